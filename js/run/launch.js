'use strict';
// How `run` starts the user's command. `npx playwright …` (the default) is
// what npx would run — the project's node_modules/.bin/playwright, the
// nearest one walking up from the folder — started with this Node directly,
// with every node_modules/.bin from there up at the front of PATH as npx
// puts them (a web server command such as `vite` still resolves). npx
// itself costs about half a second per start (npm's own loading), on every
// batch and listing; `bench/run.js` compares with plain `npx playwright
// test`; the same start serves merge-reports (js/run/report.js). Anything
// else — another program, no local Playwright — runs as written.

const fs = require('node:fs');
const path = require('node:path');

/** The node_modules/.bin folders from `cwd` up, nearest first. */
function binDirs(cwd) {
  const out = [];
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    const bin = path.join(dir, 'node_modules', '.bin');
    if (fs.existsSync(bin)) out.push(bin);
    if (path.dirname(dir) === dir) return out;
  }
}

/** The JS file behind `<bin>/playwright` when it is a Node script, else null. */
function nodeScript(bins) {
  for (const bin of bins) {
    const link = path.join(bin, 'playwright');
    if (!fs.existsSync(link)) continue;
    try {
      const file = fs.realpathSync(link);
      const fd = fs.openSync(file, 'r');
      const head = Buffer.alloc(128);
      const n = fs.readSync(fd, head, 0, head.length, 0);
      fs.closeSync(fd);
      const first = head.subarray(0, n).toString('utf8').split('\n')[0];
      return /^#!.*\bnode\b/.test(first) || file.endsWith('.js') ? file : null;
    } catch {
      return null;
    }
  }
  return null;
}

/** Node's resolution of Playwright's CLI from `from` (where .bin has no script: Windows' shims). */
function resolvedCli(from) {
  for (const id of ['playwright/cli.js', '@playwright/test/cli.js']) {
    try {
      return require.resolve(id, { paths: [from] });
    } catch {}
  }
  return null;
}

/**
 * `{ program, args, env }` to start `command` in `cwd` (`env`: variables to
 * add to the caller's).
 */
function launch(command, cwd) {
  const [program, ...args] = command;
  // As written: npx is npx.cmd on Windows.
  const written = { program: process.platform === 'win32' && program === 'npx' ? 'npx.cmd' : program, args, env: {} };
  if (program !== 'npx' || args[0] !== 'playwright') return written;
  const bins = binDirs(cwd);
  const script = nodeScript(bins) || resolvedCli(cwd);
  if (!script) return written;
  // Windows' PATH variable is named in any case: left as it is there.
  const env = process.platform === 'win32' ? {} : { PATH: [...bins, process.env.PATH || ''].filter(Boolean).join(path.delimiter) };
  return { program: process.execPath, args: [script, ...args.slice(1)], env };
}

module.exports = { launch };
