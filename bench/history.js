'use strict';
// The history at scale: 100,000 tests × 20 runs (2,000 files, 2 projects;
// 4 % of tests flaky, 0.5 % broken, a retry after every failure). Measured:
// load the file, add one run (100,000 attempts, one call), save it, compute
// the flaky report. The peer is what a reporter written in plain JS would
// do: the same data as one JSON object per attempt, JSON.parse /
// JSON.stringify + writeFileSync, and the same per-test outcome/flip pass
// over it — measured in the same run, so the ratio is like for like.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { History } = require('../js/index.js');
const { time, table } = require('./util.js');

const TESTS = Number(process.env.BENCH_HISTORY_TESTS || 100_000);
const RUNS = 20;
const PROJECTS = ['chromium', 'firefox'];
const PER_FILE = 50;

function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function suite() {
  const tests = [];
  for (let i = 0; i < TESTS; i++) {
    const project = PROJECTS[i % PROJECTS.length];
    const fileNo = Math.floor(i / PROJECTS.length / PER_FILE);
    tests.push({
      project,
      file: `features/area-${fileNo % 40}/flow-${fileNo}.spec.ts`,
      titlePath: [`flow ${fileNo}`, `step ${Math.floor(i / PROJECTS.length) % PER_FILE} does its thing`],
      line: 10 + (i % PER_FILE) * 7,
      kind: i % 25 === 3 ? 'flaky' : i % 200 === 7 ? 'broken' : 'stable',
      baseMs: 200 + ((i * 7919) % 5000),
    });
  }
  return tests;
}

/** One run of the whole suite as the reporter hands it over. */
function makeRun(tests, r, random) {
  const attempts = [];
  for (const t of tests) {
    const durationMs = Math.round(t.baseMs * (0.8 + random() * 0.4));
    const base = { project: t.project, file: t.file, titlePath: t.titlePath, line: t.line, durationMs, retry: 0 };
    const fails = (t.kind === 'flaky' && random() < 0.3) || (t.kind === 'broken' && r >= RUNS - 4);
    if (!fails) {
      attempts.push({ ...base, status: 'passed' });
      continue;
    }
    const error =
      t.kind === 'flaky'
        ? { message: `Error: page.goto: net::ERR_CONNECTION_REFUSED at http://127.0.0.1:${3000 + (r % 7)}/` }
        : { message: 'Error: expect(locator).toHaveText(expected) failed\n\nExpected: "Total: 2 items"\nReceived: "Total: 3 items"' };
    attempts.push({ ...base, status: 'failed', error });
    attempts.push({ ...base, retry: 1, status: t.kind === 'flaky' ? 'passed' : 'failed', error: t.kind === 'flaky' ? undefined : error });
  }
  return {
    id: `run-${String(r).padStart(3, '0')}`,
    startedAt: Date.UTC(2026, 0, 1) + r * 3_600_000,
    commit: `c${String(r).padStart(39, '0')}`,
    attempts,
  };
}

// ---- the plain-JS peer ----------------------------------------------------

function naiveAdd(doc, run) {
  doc.runs.push({ id: run.id, startedAt: run.startedAt, commit: run.commit });
  for (const a of run.attempts) {
    doc.attempts.push({
      runId: run.id,
      project: a.project,
      file: a.file,
      titlePath: a.titlePath,
      line: a.line,
      status: a.status,
      retry: a.retry,
      durationMs: a.durationMs,
      error: a.error ? a.error.message : null,
    });
  }
}

function naiveFlaky(doc) {
  const byTest = new Map();
  for (const a of doc.attempts) {
    const key = `${a.project} › ${a.file} › ${a.titlePath.join(' › ')}`;
    if (!byTest.has(key)) byTest.set(key, new Map());
    const runs = byTest.get(key);
    if (!runs.has(a.runId)) runs.set(a.runId, { passed: 0, failed: 0 });
    const r = runs.get(a.runId);
    if (a.status === 'passed') r.passed++;
    else if (a.status !== 'skipped') r.failed++;
  }
  const flaky = [];
  for (const [key, runs] of byTest) {
    let flips = 0;
    let flakyRuns = 0;
    let prev = null;
    for (const r of runs.values()) {
      const pass = r.passed > 0;
      if (r.passed && r.failed) flakyRuns++;
      if (prev !== null && prev !== pass) flips++;
      prev = pass;
    }
    if (flakyRuns || flips) flaky.push({ key, flips, flakyRuns });
  }
  return flaky;
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shardwright-bench-history-'));
  const file = path.join(dir, 'history.json');
  const naiveFile = path.join(dir, 'naive.json');
  const tests = suite();
  const random = rng(42);
  const runs = [];
  for (let r = 0; r <= RUNS; r++) runs.push(makeRun(tests, r, random));
  const extra = runs.pop(); // the run added in the "update" step

  // shardwright first, then the peer: the peer's 2 million JS objects would
  // otherwise slow every garbage collection during shardwright's steps.
  const seed = History.empty({ maxRuns: RUNS, maxAgeDays: 0 });
  for (const run of runs) seed.addRun(run);
  seed.save(file);
  const seeded = fs.readFileSync(file);
  const attempts = seed.attemptCount;
  const report = seed.analyze();
  const sw = {};
  const peer = {};
  sw.load = await time(() => History.load(file), { runs: 5 });
  // Update = one addRun call with the whole run (100,000 attempts).
  sw.update = await measureInside(
    () => History.load(file),
    (h) => h.addRun(extra),
  );
  // Save = write the updated history (the file is restored between runs so
  // each save starts from the same state).
  sw.save = await measureInside(
    () => {
      fs.writeFileSync(file, seeded);
      const h = History.load(file);
      h.addRun(extra);
      return h;
    },
    (h) => h.save(file),
  );
  const loaded = History.load(file);
  sw.report = await time(() => loaded.analyze(), { runs: 5 });
  const swSize = fs.statSync(file).size;

  const doc = { runs: [], attempts: [] };
  for (const run of runs) naiveAdd(doc, run);
  fs.writeFileSync(naiveFile, JSON.stringify(doc));
  peer.load = await time(() => JSON.parse(fs.readFileSync(naiveFile, 'utf8')), { runs: 5 });
  peer.update = await measureInside(
    () => JSON.parse(fs.readFileSync(naiveFile, 'utf8')),
    (d) => naiveAdd(d, extra),
  );
  peer.save = await measureInside(
    () => {
      const d = JSON.parse(fs.readFileSync(naiveFile, 'utf8'));
      naiveAdd(d, extra);
      return d;
    },
    (d) => {
      const tmp = `${naiveFile}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify(d));
      fs.renameSync(tmp, `${naiveFile}.out`);
    },
  );
  peer.report = await time(() => naiveFlaky(doc), { runs: 5 });

  const sizes = { sw: swSize, peer: fs.statSync(naiveFile).size };
  const mb = (b) => `${(b / 2 ** 20).toFixed(1)} MiB`;
  const ms = (x) => `${x.toFixed(0)} ms`;
  const rows = ['load', 'update', 'save', 'report'].map((step) => [
    { load: 'load the file', update: 'add one run (100k attempts, one call)', save: 'save (atomic, locked)', report: 'flaky report' }[step],
    ms(sw[step]),
    sw[step] < 1000 ? '✓ < 1 s' : '✗ ≥ 1 s',
    ms(peer[step]),
    `${(sw[step] / peer[step]).toFixed(2)}×`,
  ]);
  rows.push(['file size', mb(sizes.sw), '', mb(sizes.peer), `${(sizes.sw / sizes.peer).toFixed(2)}×`]);
  table(
    `history: ${TESTS.toLocaleString('en')} tests × ${RUNS} runs (${attempts.toLocaleString('en')} attempts; report: ${report.summary.flaky} flaky, ${report.summary.broken} broken) — median of 5`,
    ['step', 'shardwright', 'target', 'plain JS (object per attempt)', 'ratio'],
    rows,
  );
  fs.rmSync(dir, { recursive: true, force: true });
  return { sw, peer, sizes };
}

/** Median time of `step(state)` only, with a fresh `prepare()` state each run. */
async function measureInside(prepare, step, runs = 5) {
  const samples = [];
  for (let i = 0; i < runs + 1; i++) {
    const state = prepare();
    const t0 = performance.now();
    step(state);
    if (i > 0) samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

module.exports = { main, suite, makeRun, rng };
if (require.main === module) main();
