'use strict';
// The history at scale (#16): the same shape as bench/history.js (N tests ×
// 20 runs, 4 % flaky, 0.5 % broken, a retry after every failure) at 100k
// and 1M tests. Each step runs in a Node process of its own, so its peak RSS
// (`process.resourceUsage().maxRSS`, read as the process exits) is its own:
//   load            History.load(file)
//   analyze         History.load(file).analyze() (time of analyze alone)
//   load+add+save   load, addRun (one whole run of N tests), save
//   report --json   `shardwright report --json` end to end (a CLI process,
//                   wall time from spawn to exit, output to a file)
//   plan            planShards() of N single-test groups into 64 shards
//                   (the JS API; peak RSS includes building the groups)
//   pool            WorkerManager.run() of N no-op JS tasks, concurrency 4
// Wall time and CPU time (user + system of that process during the step):
// on a loaded machine the wall time grows with the load, the CPU time
// much less.
// Then the growth factor of each figure from the smallest size to the
// largest: linear cost is a factor of 10 for 10× the tests.
//
//   node bench/scale.js                      100k and 1M (BENCH_SCALE_SIZES=100000,1000000)
//   BENCH_SCALE_SIZES=100000 node bench/scale.js

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { table } = require('./util.js');

const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'js', 'cli', 'main.js');
const RUNS = 20;

/** CPU milliseconds (user + system) of this process since `from`. */
function cpuMs(from) {
  const u = process.cpuUsage(from);
  return (u.user + u.system) / 1000;
}

/** In a child: what it measured and its own peak RSS, on fd 3. */
function report(extra) {
  const out = { ...extra, maxRssMb: process.resourceUsage().maxRSS / 1024 };
  fs.writeSync(3, JSON.stringify(out));
}

/** The child's steps (argv: --step NAME FILE). */
function child(step, file) {
  const { History } = require('../js/index.js');
  if (step === 'gen') {
    const { suite, makeRun, rng } = require('./history.js');
    const tests = suite();
    const random = rng(42);
    const h = History.empty({ maxRuns: RUNS, maxAgeDays: 0 });
    for (let r = 0; r < RUNS; r++) h.addRun(makeRun(tests, r, random));
    h.save(file);
    // The run the load+add+save step adds.
    fs.writeFileSync(`${file}.extra.json`, JSON.stringify(makeRun(tests, RUNS, random)));
    return report({ attempts: h.attemptCount });
  }
  if (step === 'load') {
    const [t0, c0] = [performance.now(), process.cpuUsage()];
    const h = History.load(file);
    const ms = performance.now() - t0;
    return report({ ms, cpuMs: cpuMs(c0), tests: h.testCount });
  }
  if (step === 'analyze') {
    const h = History.load(file);
    const [t0, c0] = [performance.now(), process.cpuUsage()];
    const r = h.analyze();
    const ms = performance.now() - t0;
    return report({ ms, cpuMs: cpuMs(c0), flaky: r.summary.flaky, broken: r.summary.broken });
  }
  if (step === 'update') {
    const extra = JSON.parse(fs.readFileSync(`${file}.extra.json`, 'utf8'));
    const copy = `${file}.copy.json`;
    fs.copyFileSync(file, copy);
    const [t0, c0] = [performance.now(), process.cpuUsage()];
    const h = History.load(copy);
    h.addRun(extra);
    h.save(copy);
    const ms = performance.now() - t0;
    const cpu = cpuMs(c0);
    fs.rmSync(copy);
    return report({ ms, cpuMs: cpu });
  }
  if (step === 'plan') {
    // N single-test groups (fullyParallel), 2,000 files × 2 projects as in
    // the history's shape, durations cycled from onegov-cloud's real ones;
    // the time is planShards() alone, through the public JS API.
    const { planShards } = require('../js/index.js');
    const real = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'onegov-cloud.json'), 'utf8')).map((t) => t.duration_ms);
    const n = Number(process.env.BENCH_HISTORY_TESTS);
    const groups = new Array(n);
    for (let i = 0; i < n; i++) {
      const project = i % 2 ? 'firefox' : 'chromium';
      const f = Math.floor(i / 100);
      const file = `features/area-${f % 40}/flow-${f}.spec.ts`;
      groups[i] = { id: `${project} › ${file} › flow ${f} › step ${Math.floor(i / 2) % 50}`, project, file, durationMs: real[i % real.length] };
    }
    const [t0, c0] = [performance.now(), process.cpuUsage()];
    const plan = planShards(groups, { shards: 64 });
    const ms = performance.now() - t0;
    return report({ ms, cpuMs: cpuMs(c0), shards: plan.shards.length });
  }
  if (step === 'pool') {
    // WorkerManager.run() with N no-op JS tasks, concurrency 4, four
    // priority levels (bench/pool.js's shape at N).
    const { WorkerManager } = require('../js/index.js');
    const n = Number(process.env.BENCH_HISTORY_TESTS);
    const levels = ['critical', 'high', 'normal', 'low'];
    const noop = async () => {};
    const tasks = new Array(n);
    for (let i = 0; i < n; i++) tasks[i] = { fn: noop, priority: levels[i & 3] };
    const m = new WorkerManager({ minWorkers: 4, maxWorkers: 4, minAvailableMemoryMb: 0 });
    const [t0, c0] = [performance.now(), process.cpuUsage()];
    return m.run(tasks).then(async (results) => {
      const ms = performance.now() - t0;
      const cpu = cpuMs(c0);
      await m.shutdown();
      report({ ms, cpuMs: cpu, tasks: results.length });
    });
  }
  throw new Error(`unknown step ${step}`);
}

/** Runs `args` under node with fd 3 for the child's figures; resolves { wallMs, ...figures }. */
function measure(args, { stdout = 'ignore', env = {} } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', stdout, 'pipe', 'pipe'] });
    let figures = '';
    let stderr = '';
    p.stdio[3].setEncoding('utf8');
    p.stderr.setEncoding('utf8');
    p.stdio[3].on('data', (d) => (figures += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => {
      const wallMs = performance.now() - t0;
      if (code !== 0) return reject(new Error(`${args.join(' ')} exited ${code}: ${stderr}`));
      resolve({ wallMs, ...JSON.parse(figures || '{}') });
    });
  });
}

async function atSize(tests, dir) {
  const file = path.join(dir, `history-${tests}.json`);
  const env = { BENCH_HISTORY_TESTS: String(tests) };
  const gen = await measure([__filename, '--step', 'gen', file], { env });
  const load = await measure([__filename, '--step', 'load', file]);
  const analyze = await measure([__filename, '--step', 'analyze', file]);
  const update = await measure([__filename, '--step', 'update', file]);
  // The CLI end to end, its peak RSS read by a preloaded exit hook.
  const out = path.join(dir, `report-${tests}.json`);
  const fd = fs.openSync(out, 'w');
  const cli = await measure(['--require', path.join(__dirname, 'scale-rss.js'), CLI, 'report', '--history', file, '--json'], { stdout: fd });
  fs.closeSync(fd);
  const sizes = { history: fs.statSync(file).size, report: fs.statSync(out).size };
  fs.rmSync(out);
  const plan = await measure([__filename, '--step', 'plan', file], { env });
  const pool = await measure([__filename, '--step', 'pool', file], { env });
  return { tests, attempts: gen.attempts, gen, load, analyze, update, cli, sizes, plan, pool };
}

async function main() {
  const sizes = (process.env.BENCH_SCALE_SIZES || '100000,1000000').split(',').map(Number);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shardwright-bench-scale-'));
  const results = [];
  try {
    for (const n of sizes) results.push(await atSize(n, dir));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const s = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
  const mb = (m) => (m >= 1024 ? `${(m / 1024).toFixed(2)} GiB` : `${m.toFixed(0)} MiB`);
  const rows = [];
  const steps = [
    ['load', (r) => r.load.ms, (r) => r.load.maxRssMb, (r) => r.load.cpuMs],
    ['analyze()', (r) => r.analyze.ms, (r) => r.analyze.maxRssMb, (r) => r.analyze.cpuMs],
    ['load + add a run + save', (r) => r.update.ms, (r) => r.update.maxRssMb, (r) => r.update.cpuMs],
    ['CLI report --json (end to end)', (r) => r.cli.wallMs, (r) => r.cli.maxRssMb, (r) => r.cli.cpuMs],
    ['planShards: N single-test groups → 64 shards', (r) => r.plan.ms, (r) => r.plan.maxRssMb, (r) => r.plan.cpuMs],
    ['WorkerManager.run(): N no-op tasks, concurrency 4', (r) => r.pool.ms, (r) => r.pool.maxRssMb, (r) => r.pool.cpuMs],
  ];
  for (const r of results) {
    for (const [name, t, m, c] of steps) rows.push([`${(r.tests / 1000).toLocaleString('en')}k`, name, s(t(r)), s(c(r)), mb(m(r))]);
    rows.push([`${(r.tests / 1000).toLocaleString('en')}k`, 'sizes', `history ${mb(r.sizes.history / 2 ** 20)}`, `report ${mb(r.sizes.report / 2 ** 20)}`]);
  }
  table(
    `history at scale: N tests × ${RUNS} runs, one process per step (time, peak RSS of that process)`,
    ['tests', 'step', 'wall time', 'CPU time', 'peak RSS'],
    rows,
  );
  if (results.length > 1) {
    const a = results[0];
    const b = results[results.length - 1];
    const x = b.tests / a.tests;
    const growth = steps.map(([name, t, m, c]) => [name, `${(t(b) / t(a)).toFixed(1)}×`, `${(c(b) / c(a)).toFixed(1)}×`, `${(m(b) / m(a)).toFixed(1)}×`]);
    growth.push(['report size', '', '', `${(b.sizes.report / a.sizes.report).toFixed(1)}×`]);
    table(
      `growth from ${a.tests.toLocaleString('en')} to ${b.tests.toLocaleString('en')} tests (${x}× the tests; linear = ${x}×)`,
      ['step', 'wall time', 'CPU time', 'peak RSS'],
      growth,
    );
  }
  return results;
}

module.exports = { main };

if (require.main === module) {
  const i = process.argv.indexOf('--step');
  if (i > 0) child(process.argv[i + 1], process.argv[i + 2]);
  else
    main().catch((err) => {
      console.error(err);
      process.exit(1);
    });
}
