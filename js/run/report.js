'use strict';
// The user's reporters see the whole run: each batch wrote a blob report of
// its own (PLAYWRIGHT_BLOB_OUTPUT_FILE), and at the end `playwright
// merge-reports` turns this machine's blobs into the config's reports —
// html, junit, json, blob, github, custom ones — with their options, paths
// resolving from the config's folder as in a normal run (the engine lists
// them: src/playwright/webserver.rs). Terminal reporters (list, line, dot)
// are left out: `run` prints its own summary. In queue mode each machine
// writes its part; `npx playwright merge-reports` of every machine's
// `<reportDir>/runs/*/blobs` gives the whole run's.

const { execFile } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { shown } = require('./progress.js');
const { launch } = require('./launch.js');

const zips = (dir) => {
  try {
    return fs.readdirSync(dir).filter((f) => f.endsWith('.zip'));
  } catch {
    return [];
  }
};

/** The private folders of this run's machines on this disk (same run id and suite), this machine's first. */
function runDirs(ctx) {
  const base = path.dirname(ctx.privateDir);
  const me = JSON.stringify([ctx.o.runId || 'local', ctx.fingerprint || '']);
  const out = [ctx.privateDir];
  let names = [];
  try {
    names = fs.readdirSync(base);
  } catch {}
  for (const name of names.sort()) {
    const dir = path.join(base, name);
    if (dir === ctx.privateDir) continue;
    try {
      const r = JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8'));
      if (JSON.stringify([r.runId, r.fingerprint]) === me) out.push(dir);
    } catch {}
  }
  return out;
}

/** Writes down which run this machine's folder belongs to (for the merger's `runDirs`). */
function markRun(ctx) {
  fs.writeFileSync(path.join(ctx.privateDir, 'run.json'), JSON.stringify({ runId: ctx.o.runId || 'local', fingerprint: ctx.fingerprint || '' }));
}

/**
 * Merges the batches' blobs into the config's reporters; says where they
 * went. `whole`: the merger of a queue-mode run, with the blobs of every
 * machine of the run on this disk (nothing to do when there are only its own,
 * merged already).
 */
async function mergeReport(ctx, runConfig, rootDir, { whole = false } = {}) {
  if (!runConfig.reporters.length) return;
  const dirs = whole ? runDirs(ctx) : [ctx.privateDir];
  if (whole && dirs.length < 2) return;
  const blobs = path.join(ctx.privateDir, 'blobs');
  const files = dirs.flatMap((d) => zips(path.join(d, 'blobs')).map((f) => [path.join(d, 'blobs', f), `${path.basename(d)}-${f}`]));
  if (!files.length) return;
  const say = (line) => ctx.progress.say(line);
  const config = path.join(ctx.privateDir, 'merge.config.cjs');
  fs.writeFileSync(
    config,
    `// Written by shardwright run: your config's reporters, for playwright merge-reports.\nmodule.exports = ${JSON.stringify({ testDir: rootDir || runConfig.configDir, reporter: runConfig.reporters }, null, 2)};\n`,
  );
  // merge-reports unpacks into the folder it reads: give it links to the blobs.
  const work = fs.mkdtempSync(path.join(ctx.privateDir, 'merge-'));
  for (const [file, name] of files) {
    try {
      fs.linkSync(file, path.join(work, name));
    } catch {
      fs.copyFileSync(file, path.join(work, name));
    }
  }
  const { program, args, env: started } = launch(['npx', 'playwright', 'merge-reports', '--config', config, work], runConfig.configDir);
  const env = { ...process.env, ...started, FORCE_COLOR: ctx.progress.tty ? process.env.FORCE_COLOR || '1' : '0' };
  // Never block on a browser at the end of a batch run.
  if (env.PLAYWRIGHT_HTML_OPEN === undefined) env.PLAYWRIGHT_HTML_OPEN = 'never';
  const r = await new Promise((resolve) => {
    execFile(program, args, { cwd: runConfig.configDir, env, maxBuffer: 64 << 20 }, (error, stdout, stderr) => resolve({ error, stdout, stderr }));
  });
  fs.rmSync(work, { recursive: true, force: true });
  const names = runConfig.reporters.map((x) => path.basename(x[0])).join(', ');
  // What the reporters say (the html report's "To open…"), without merge-reports' own steps.
  const out = `${r.stdout}${r.stderr}`
    .split('\n')
    .filter((l) => !/^(merging reports from|extracting: |merging events|processing test events|building final report|finished building report)/.test(l))
    .join('\n')
    .trim();
  if (r.error && r.error.code !== 1) {
    // Exit code 1 is merge-reports saying the run failed; anything else is its own trouble.
    say(`the merged report (${names}) failed: \`${[program, ...args].join(' ')}\`: ${out || r.error.message}`);
    return;
  }
  if (out) ctx.io.stdout.write(`${out}\n`);
  const what = whole
    ? `the run's ${dirs.length} machines on this host (${files.length} batches)`
    : files.length > 1
      ? `${files.length} batches merged`
      : ctx.shared
        ? "this machine's part of the run"
        : 'the run';
  say(`${names} report${runConfig.reporters.length > 1 ? 's' : ''} of ${what} (blobs in ${shown(whole ? path.dirname(ctx.privateDir) : blobs)})`);
}

module.exports = { mergeReport, markRun };
