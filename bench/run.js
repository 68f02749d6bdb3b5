'use strict';
// `shardwright run --workers 2` against `npx playwright test --workers 2` on
// the same generated suite, in the same run: 34 files, 340 tests in a real
// Chromium (Debian's, /usr/bin/chromium) against a real web server
// (`webServer`, reuseExistingServer: false). Files take unequal times (a
// seeded log-normal spread, as real suites do), in an order unrelated to
// their length. shardwright runs with the history of one earlier run (its
// steady state: it knows the durations). Runs alternate (plain, run, plain,
// run…) so load drifts hit both; the figure is the median of each.
//
//   npm run bench -- run                       BENCH_RUN_ROUNDS=3 for more rounds
//                                              BENCH_RUN_QUEUE=0 without the queue-mode row
//                                              BENCH_RUN_WORKERS=4 both with 4 workers (default 2)
//   BENCH_RUN_BEFORE=/path/to/old/checkout     also time that checkout's `shardwright run`
//
// Beside the wall times, the CPU time of each command's whole process tree
// by part (Chromium, Playwright, the web server, shardwright's own
// processes), sampled from /proc: what `run` itself costs, a figure a
// shared machine's noise hardly moves.
//
// Also timed: the same machine in queue mode (a real redis-server, one
// machine): the suite listed first, then batches pulled large to small, one
// Playwright process each — the cost of batching on a single machine.
//
// The config gives each Playwright process its own port
// (SHARDWRIGHT_WORKER_INDEX), so an older `shardwright run` that starts one
// Playwright process per slot runs it too.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { table, treeCpu } = require('./util.js');

const ROOT = path.resolve(__dirname, '..');
const FILES = 34;
const TESTS = 10;
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** A seeded generator (mulberry32). */
function random(seed) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function writeSuite(port) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shardwright-bench-run-'));
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  fs.mkdirSync(path.join(dir, 'tests'));
  fs.writeFileSync(
    path.join(dir, 'server.js'),
    `const http = require('node:http');
const port = Number(process.env.PORT);
http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end('<!doctype html><title>bench</title><h1>page ' + req.url + '</h1><button onclick="this.textContent=\\'done\\'">go</button>');
}).listen(port, '127.0.0.1');
`,
  );
  fs.writeFileSync(
    path.join(dir, 'playwright.config.js'),
    `const { defineConfig } = require('@playwright/test');
const PORT = ${port} + Number(process.env.SHARDWRIGHT_WORKER_INDEX || 0);
module.exports = defineConfig({
  testDir: './tests',
  reporter: 'dot',
  use: {
    baseURL: 'http://127.0.0.1:' + PORT,
    launchOptions: { executablePath: ${JSON.stringify(CHROMIUM)}, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'] },
  },
  webServer: { command: 'node server.js', url: 'http://127.0.0.1:' + PORT + '/', env: { PORT: String(PORT) }, reuseExistingServer: false },
});
`,
  );
  const rand = random(12);
  let total = 0;
  for (let f = 0; f < FILES; f++) {
    // Log-normal per-file pace: most files quick, a few several times longer.
    const pace = Math.round(80 * Math.exp(1.1 * Math.sqrt(-2 * Math.log(rand())) * Math.cos(2 * Math.PI * rand())));
    const tests = Array.from({ length: TESTS }, (_, t) => {
      const ms = Math.max(20, Math.round(pace * (0.5 + rand())));
      total += ms;
      return `test('f${f} t${t}', async ({ page }) => {
  await page.goto('/f${f}/t${t}');
  await page.getByRole('button', { name: 'go' }).click();
  await expect(page.getByRole('button')).toHaveText('done');
  await page.waitForTimeout(${ms});
});`;
    });
    fs.writeFileSync(
      path.join(dir, 'tests', `f${String(f).padStart(2, '0')}.spec.js`),
      `const { test, expect } = require('@playwright/test');\n${tests.join('\n')}\n`,
    );
  }
  return { dir, waitsMs: total };
}

/** What a process of a timed command is: its part of the CPU time. */
function partOf(cmd) {
  if (/js\/(cli\/main|run\/server-keeper|run\/wait-servers)\.js/.test(cmd)) return 'shardwright';
  if (/chrom/.test(cmd)) return 'chromium';
  if (/server\.js/.test(cmd)) return 'web server';
  if (/playwright/.test(cmd)) return 'playwright';
  return 'other';
}

/** Runs a command: `{ ms, cpu }`, its wall time and the CPU of its process tree. */
function timed(cmd, args, cwd, env) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { cwd, env: { ...process.env, FORCE_COLOR: '0', CI: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const sampler = treeCpu(child.pid, partOf);
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', async (code) => {
      const ms = performance.now() - t0;
      const cpu = await sampler.stop();
      if (code !== 0) return reject(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${out.slice(-3000)}`));
      resolve({ ms, cpu });
    });
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function main() {
  if (!fs.existsSync(CHROMIUM)) {
    console.log(`\n### shardwright run vs playwright test\n\nskipped: no Chromium at ${CHROMIUM}`);
    return null;
  }
  const port = 20000 + (process.pid % 20000);
  const { dir, waitsMs } = writeSuite(port);
  const rounds = Number(process.env.BENCH_RUN_ROUNDS || 2);
  const workers = process.env.BENCH_RUN_WORKERS || '2';
  if (!/^[1-9][0-9]?$/.test(workers)) throw new Error(`BENCH_RUN_WORKERS must be a worker count from 1 to 99, got ${JSON.stringify(workers)}`);
  const before = process.env.BENCH_RUN_BEFORE;
  const sw = (root) => [process.execPath, [path.join(root, 'js', 'cli', 'main.js'), 'run', '--workers', workers]];
  const history = (name) => ({ SHARDWRIGHT_HISTORY: path.join(dir, `${name}-history.json`), SHARDWRIGHT_REPORT_DIR: path.join(dir, `.${name}`) });
  const modes = [
    [`npx playwright test --workers ${workers}`, () => timed('npx', ['playwright', 'test', '--workers', workers], dir, {})],
    [`shardwright run --workers ${workers}`, () => timed(...sw(ROOT), dir, history('run'))],
  ];
  let redis = null;
  try {
    // BENCH_RUN_QUEUE=0: no queue-mode row (a shorter run).
    if (process.env.BENCH_RUN_QUEUE === '0') throw new Error('skipped');
    redis = await require('../__tests__/redis-helpers.js').startRedis();
    let n = 0;
    const queued = () => {
      const [cmd, args] = sw(ROOT);
      return timed(cmd, [...args, '--queue', redis.url, '--run-id', `bench-${process.pid}-${++n}`], dir, history('queue'));
    };
    modes.push([`shardwright run --workers ${workers} --queue (1 machine: listing + batches)`, queued]);
  } catch {
    // No redis-server: no queue-mode row.
  }
  if (before) modes.push([`shardwright run --workers ${workers}, before (${path.basename(before)})`, () => timed(...sw(before), dir, history('before'))]);
  try {
    // The history of one earlier run, as shardwright has it in steady state.
    await timed(...sw(ROOT), dir, history('run'));
    if (before) await timed(...sw(before), dir, history('before'));
    if (redis) fs.copyFileSync(path.join(dir, 'run-history.json'), path.join(dir, 'queue-history.json'));
    const times = modes.map(() => []);
    const cpus = modes.map(() => []);
    for (let r = 0; r < rounds; r++) {
      for (const [i, [, fn]] of modes.entries()) {
        const { ms, cpu } = await fn();
        times[i].push(ms);
        cpus[i].push(cpu);
      }
      // A long bench says where it is (stderr: the tables stay clean).
      process.stderr.write(`run bench: round ${r + 1}/${rounds}: ${times.map((t) => `${(t[r] / 1000).toFixed(1)} s`).join(', ')}\n`);
    }
    const plain = median(times[0]);
    // Each round's pair ran back to back under the same load: the median of
    // the rounds' ratios is steadier than the ratio of the medians.
    const paired = (i) => median(times[i].map((t, r) => t / times[0][r]));
    const rows = modes.map(([name], i) => [
      name,
      times[i].map((t) => `${(t / 1000).toFixed(1)} s`).join(', '),
      `${(median(times[i]) / 1000).toFixed(1)} s`,
      i === 0 ? '1.00' : `**${(median(times[i]) / plain).toFixed(3)}**`,
      i === 0 ? '1.00' : paired(i).toFixed(3),
    ]);
    table(
      `shardwright run vs playwright test: ${FILES} files, ${FILES * TESTS} tests in Chromium against a webServer, ${(waitsMs / 1000).toFixed(0)} s of waits; ${rounds} alternating rounds, load ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} at the end`,
      ['command', 'wall times', 'median', '÷ playwright test', "median of the rounds' ratios"],
      rows,
    );
    // Where the CPU went: the whole process tree of each command, and what
    // of it shardwright's own processes (run, the server keeper) used —
    // a figure that, unlike wall time, a shared machine's noise hardly moves.
    if (cpus[0][0]) {
      const s = (x) => `${x.toFixed(1)} s`;
      const parts = ['chromium', 'playwright', 'web server', 'shardwright', 'other'];
      table(
        "CPU time of each command's process tree (medians of the rounds)",
        ['command', 'total', ...parts, 'shardwright ÷ total'],
        modes.map(([name], i) => {
          const med = (f) => median(cpus[i].map(f));
          const total = med((c) => c.total);
          const own = med((c) => c.parts.shardwright || 0);
          return [name, s(total), ...parts.map((p) => s(med((c) => c.parts[p] || 0))), `${((100 * own) / total).toFixed(2)}%`];
        }),
      );
    }
    return { plain, ratios: times.map((t) => median(t) / plain), paired: modes.map((_, i) => paired(i)) };
  } finally {
    if (redis) await redis.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = { main, writeSuite };
if (require.main === module) main();
