#!/usr/bin/env node
'use strict';
// `npm run demo`: the example project (examples/) run as a user would see it,
// in a temporary copy — a few runs that build the history (a flaky test, a
// slow file), two duration-balanced shards with predicted and actual times,
// the merged history, the flaky report, the HTML report, then where to look. Uses Chromium at
// /usr/bin/chromium (or $CHROMIUM_PATH). About two minutes.

const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const EXAMPLES = __dirname;
const HISTORY_RUNS = 4;
// The flaky test ('checkout total is shown') fails in these history runs.
const FLAKY_FAILS = '2';

const bold = (s) => (process.stdout.isTTY ? `\u001b[1m${s}\u001b[22m` : s);
const step = (n, title) => console.log(`\n${bold(`── ${n}. ${title} ──`)}\n`);

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Runs a command in `cwd`, echoing its output indented; resolves `{ code, out }`. */
function sh(cwd, cmd, args, env = {}) {
  console.log(`$ ${[cmd, ...args].join(' ')}`);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const echo = (d) => {
      out += d;
      // The demo's own SHARDWRIGHT_DEMO_* variables (they make a test flaky)
      // are not settings: shardwright's warning about them is left out here.
      const shown = String(d)
        .split('\n')
        .filter((l) => !/unknown environment variable SHARDWRIGHT_DEMO_|node --trace-warnings/.test(l))
        .join('\n');
      process.stdout.write(shown.replace(/^(?=.)/gm, '  '));
    };
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', echo);
    child.stderr.on('data', echo);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

function installed() {
  const pkg = path.join(EXAMPLES, 'node_modules', 'shardwright', 'package.json');
  return fs.existsSync(pkg) && fs.existsSync(path.join(EXAMPLES, 'node_modules', '@playwright', 'test'));
}

/** A copy of examples/ in a temp dir, its node_modules the examples' install of the packed tarball. */
function copyProject() {
  if (!installed() || process.env.DEMO_REINSTALL) {
    console.log('installing shardwright into examples/ from its packed tarball (node examples/install.js)…');
    execFileSync(process.execPath, [path.join(EXAMPLES, 'install.js')], { stdio: 'inherit' });
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shardwright-demo-'));
  for (const entry of ['playwright.config.ts', 'package.json', 'server.js', 'site', 'tests']) {
    fs.cpSync(path.join(EXAMPLES, entry), path.join(dir, entry), { recursive: true });
  }
  fs.symlinkSync(path.join(EXAMPLES, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return dir;
}

async function main() {
  const chromium = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
  if (!fs.existsSync(chromium)) {
    console.error(`demo: no Chromium at ${chromium} (install Debian's chromium package, or set CHROMIUM_PATH)`);
    return 2;
  }
  const dir = copyProject();
  const env = { EXAMPLES_PORT: String(await freePort()), CHROMIUM_PATH: chromium, FORCE_COLOR: '0' };
  const faults = (run) => ({ ...env, SHARDWRIGHT_DEMO_FLAKY_FAILS: FLAKY_FAILS, SHARDWRIGHT_DEMO_RUN: String(run) });
  console.log(`The example project, copied to ${dir}`);

  step(1, `${HISTORY_RUNS} runs build the history (the flaky test fails in run ${FLAKY_FAILS}; tests/slow.spec.ts is the slow file)`);
  for (let run = 1; run <= HISTORY_RUNS; run++) {
    console.log(bold(`run ${run} of ${HISTORY_RUNS}`));
    await sh(dir, 'npx', ['playwright', 'test'], faults(run));
  }

  step(2, 'two shards, balanced by expected duration (one after the other here; on CI each is its own machine)');
  const shardLines = [];
  for (const i of [1, 2]) {
    const r = await sh(dir, 'npx', ['playwright', 'test', `--shard=${i}/2`], faults(HISTORY_RUNS + 1));
    shardLines.push(...r.out.split('\n').filter((l) => /shardwright: (shard \d\/2|.*predicted|all 2 shards)/.test(l)));
  }

  step(3, 'the merged history: the two shards are one run');
  const { History } = require(path.join(dir, 'node_modules', 'shardwright'));
  const history = History.load(path.join(dir, '.shardwright', 'history.json'));
  const runs = history.runs();
  console.log(`${history.runCount} runs, ${history.testCount} tests, ${history.attemptCount} attempts in .shardwright/history.json`);
  for (const r of runs) {
    const shard = r.shard ? `  one run of ${r.shard.total} shards (its id is the plan's: every shard recorded under it)` : '';
    console.log(`  ${r.id}  ${new Date(r.startedAt).toISOString().slice(11, 19)}${shard}`);
  }

  step(4, 'the flaky report');
  await sh(dir, 'npx', ['shardwright', 'report'], env);
  step(5, 'the HTML report: the shard timeline, flaky tests run by run, trends');
  await sh(dir, 'npx', ['shardwright', 'report', '--html', 'shardwright-report.html'], env);

  console.log(`\n${bold('── where to look ──')}\n`);
  console.log('shard plans (expected vs actual):');
  for (const l of shardLines) console.log(`  ${l.trim()}`);
  console.log(`
  the project        ${dir}
  the history        ${path.join(dir, '.shardwright', 'history.json')}
  the flaky report   ${path.join(dir, '.shardwright', 'reports', 'flaky-report.md')} (and .json)
  the HTML report    ${path.join(dir, 'shardwright-report.html')}  (one file: open it in a browser)
  try                cd ${dir} && npx shardwright plan --shards 3
                     npx shardwright failed     (the last run's failures as a --test-list file)
`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(err);
    process.exitCode = 1;
  },
);
