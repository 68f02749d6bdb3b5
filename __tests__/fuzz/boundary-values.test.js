'use strict';
// Generated JS values at the napi boundary: every option field (and every
// positional argument) of the public API gets values of every shape — NaN,
// -0, 1e300, lone surrogates, a megabyte of text, symbols, BigInts,
// functions, cycles, Proxies whose traps throw, revoked Proxies, getters
// that throw, sparse arrays of length 2^32-1, Maps, Dates… Each call must
// return, or throw / reject with an Error whose `code` is one of
// ERROR_CODES — never a bare TypeError from the binding, never a panic
// (ERR_SHARDWRIGHT_INTERNAL), never a crash, never a hang. Seeded, so a
// failure names the seed and the call that reproduce it.
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const sw = require('../../js/index.js');
const { hostile, revoked } = require('../fixtures/exotic.js');
const { tempDir } = require('../helpers.js');

// Every manager made is shut down at the end: one that has run a task keeps
// the process alive until then, as documented.
const managers = [];
class WorkerManager extends sw.WorkerManager {
  constructor(options) {
    super(options);
    managers.push(this);
  }
}
const SEED = Number(process.env.FUZZ_SEED || 20261203);
const ROUNDS = Number(process.env.FUZZ_ROUNDS || 6);
const CODES = new Set(Object.values(sw.ERROR_CODES));

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

const MB = 'm'.repeat(1 << 20);
const LEAVES = [
  () => Number.NaN,
  () => Number.POSITIVE_INFINITY,
  () => Number.NEGATIVE_INFINITY,
  () => -0,
  () => 0,
  () => 1,
  () => -1,
  () => 1.5,
  () => 2 ** 31,
  () => 2 ** 53 + 2,
  () => 1e300,
  () => Number.MIN_VALUE,
  () => '',
  () => ' ',
  () => 'x',
  () => 'NaN',
  () => '0x10',
  () => '\u0000',
  () => '\ud800',
  () => 'é'.repeat(100),
  () => '/[/',
  () => MB,
  () => true,
  () => false,
  () => null,
  () => undefined,
  () => Symbol('s'),
  () => 10n ** 20n,
  () => () => 1,
  () => Object.create(null),
  () => hostile(),
  () => revoked(),
  () => new Date(0),
  () => /re(?<=x)/g,
  () => new Map([[1, 2]]),
  () => new Uint8Array(4),
  () => new Array(2 ** 32 - 1),
  () => Object.freeze({ a: 1 }),
  () => ({
    get x() {
      throw new Error('getter');
    },
  }),
  () => {
    const o = { self: null };
    o.self = o;
    return o;
  },
];

function value(random, depth = 0) {
  const r = random();
  if (depth < 3 && r < 0.12) return Array.from({ length: Math.floor(random() * 4) }, () => value(random, depth + 1));
  if (depth < 3 && r < 0.24) {
    const o = {};
    for (let i = Math.floor(random() * 4); i > 0; i--) {
      // Own data properties, `__proto__` included.
      const key = ['a', 'id', 'toString', '__proto__', 'tests', 'message'][Math.floor(random() * 6)];
      Object.defineProperty(o, key, { value: value(random, depth + 1), enumerable: true, configurable: true, writable: true });
    }
    return o;
  }
  return LEAVES[Math.floor(random() * LEAVES.length)]();
}

const dir = tempDir();
const historyFile = path.join(dir, 'history.json');
const RUN = { id: 'r', commit: null, attempts: [{ file: 'a.spec.ts', titlePath: ['t'], durationMs: 5, status: 'passed' }] };
const base = { minAvailableMemoryMb: 0 };

const WM_FIELDS = [
  'minWorkers',
  'maxWorkers',
  'idleTimeoutMs',
  'strategy',
  'seed',
  'timeoutMs',
  'retry',
  'dedupWindowMs',
  'maxFailures',
  'memorySampleMs',
  'memoryLimitMb',
  'killGraceMs',
  'maxOutputBytes',
  'signal',
];
const BACKOFF = ['initialDelayMs', 'multiplier', 'maxDelayMs', 'maxRetries', 'jitter', 'jitterFactor', 'seed'];
const SHARD = ['shards', 'strategy', 'weights', 'tagMode', 'tags', 'improve', 'index'];
const GROUP = ['id', 'project', 'file', 'tests', 'tags', 'durationMs', 'failedLastRun', 'skipped'];
const HISTORY = ['reset', 'maxRuns', 'maxAgeDays'];
const FLAKY = ['window', 'flakyThreshold', 'quarantineThreshold', 'brokenAfter', 'halfLife', 'quarantine', 'runId', 'now'];
const SETTINGS = sw.resolveConfig({}).entries.map((e) => e.key);
const ATTEMPT = ['project', 'file', 'titlePath', 'line', 'tags', 'durationMs', 'status', 'retry', 'expectedStatus', 'error'];
const TASK = ['id', 'priority', 'dependsOn', 'group', 'timeoutMs', 'retries', 'meta'];

/** [name, call(v)]: every place a caller's value enters. */
const CALLS = [
  ...WM_FIELDS.map((f) => [`new WorkerManager({ ${f} })`, (v) => new WorkerManager({ ...base, [f]: v })]),
  ...BACKOFF.map((f) => [`new WorkerManager({ retry: { ${f} } })`, (v) => new WorkerManager({ ...base, retry: { [f]: v } })]),
  ...BACKOFF.map((f) => [`new BackoffPolicy({ ${f} })`, (v) => new sw.BackoffPolicy({ [f]: v })]),
  ['BackoffPolicy#delay', (v) => new sw.BackoffPolicy().delay(v)],
  ['BackoffPolicy#schedule', (v) => new sw.BackoffPolicy().schedule(v)],
  ...[...BACKOFF, 'retryable', 'permanent', 'retryUnknown', 'signal', 'onRetry'].map((f) => [`retry(fn, { ${f} })`, (v) => sw.retry(() => 1, { [f]: v })]),
  ['retry(v)', (v) => sw.retry(v)],
  ...SHARD.map((f) => [`planShards(groups, { ${f} })`, (v) => sw.planShards([{ id: 'a' }, { id: 'b' }], { shards: 2, [f]: v })]),
  ...GROUP.map((f) => [`planShards([{ ${f} }])`, (v) => sw.planShards([{ id: 'g', [f]: v }], { shards: 2 })]),
  ['planShards(v)', (v) => sw.planShards(v, { shards: 1 })],
  ['selectShard index', (v) => sw.selectShard([{ id: 'a' }], { shards: 1, index: v })],
  ['formatShardPlan(v)', (v) => sw.formatShardPlan(v)],
  ['checkShardCoverage(v, [])', (v) => sw.checkShardCoverage(v, [])],
  ['checkShardCoverage([], v)', (v) => sw.checkShardCoverage([], v)],
  ['testKey(v)', (v) => sw.testKey(v)],
  ...HISTORY.map((f) => [`History.empty({ ${f} })`, (v) => sw.History.empty({ [f]: v })]),
  ...HISTORY.filter((f) => f !== 'reset').map((f) => [`History.load(file, { ${f} })`, (v) => sw.History.load(historyFile, { [f]: v })]),
  ['History.load(v)', (v) => sw.History.load(v)],
  ['loadHistory(v)', (v) => sw.loadHistory(v)],
  ...FLAKY.map((f) => [`History#analyze({ ${f} })`, (v) => sw.History.empty().analyze({ [f]: v })]),
  ...[...FLAKY, 'onReport', 'onFlaky', 'maxRuns'].map((f) => [`flakyReport(h, { ${f} })`, (v) => sw.flakyReport(sw.History.empty(), { [f]: v })]),
  ['History#addRun(v)', (v) => sw.History.empty().addRun(v)],
  ...['id', 'startedAt', 'endedAt', 'commit', 'shard', 'source', 'attempts'].map((f) => [
    `History#addRun({ ${f} })`,
    (v) => sw.History.empty().addRun({ ...RUN, [f]: v }),
  ]),
  ...ATTEMPT.map((f) => [`History#addRun(attempt { ${f} })`, (v) => sw.History.empty().addRun({ ...RUN, attempts: [{ ...RUN.attempts[0], [f]: v }] })]),
  ['History#estimates(v)', (v) => sw.History.empty().estimates(v)],
  ['History#lastOutcomes(v)', (v) => sw.History.empty().lastOutcomes(v)],
  ['History#merge(v)', (v) => sw.History.empty().merge(v)],
  ['History#save(v)', (v) => (typeof v === 'string' ? undefined : sw.History.empty().save(v))],
  ...SETTINGS.map((k) => [`resolveConfig({ ${k} })`, (v) => sw.resolveConfig({ [k]: v })]),
  ['resolveConfig(v)', (v) => sw.resolveConfig(v)],
  ['recommendWorkers(v)', (v) => sw.recommendWorkers(v)],
  ['explainWorkers({ maxWorkers })', (v) => sw.explainWorkers({ maxWorkers: v })],
  // Long waits are what the option asks for: only values that end quickly, or are refused.
  ['resourceSnapshot({ intervalMs })', (v) => (typeof v === 'number' && v > 300 && v <= 60_000 ? undefined : sw.resourceSnapshot({ intervalMs: v }))],
  ['resourceSnapshot(v)', (v) => sw.resourceSnapshot(v)],
  // Process fields only with values that are not a program to run.
  ...TASK.map((f) => [`submit({ fn, ${f} })`, (v) => new WorkerManager(base).submit({ fn: () => 1, [f]: v })]),
  ['submit(v)', (v) => (typeof v === 'string' ? undefined : new WorkerManager(base).submit(v))],
  ['submit({ command })', (v) => (typeof v === 'string' ? undefined : new WorkerManager(base).submit({ command: v }))],
  ['run([v])', (v) => new WorkerManager(base).run([v])],
  ['run(v)', (v) => new WorkerManager(base).run(v)],
  ['submit(fn, v)', (v) => new WorkerManager(base).submit(() => 1, v)],
  ['cancel(v)', (v) => new WorkerManager(base).cancel(v)],
  ['shutdown(v)', (v) => new WorkerManager(base).shutdown(v)],
];

function within(p, ms, what) {
  let timer;
  return Promise.race([p, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms)))]).finally(() =>
    clearTimeout(timer),
  );
}

const problems = [];

/** Records a problem unless `err` is an Error with one of our codes (and not a caught panic). */
function checkError(err, what) {
  let ok = false;
  let shown = '(unreadable)';
  try {
    ok = err instanceof Error && CODES.has(err.code) && err.code !== 'ERR_SHARDWRIGHT_INTERNAL';
    shown = `${err?.code}: ${err?.message}`.slice(0, 300);
  } catch {}
  if (!ok) problems.push(`${what} → ${shown}`);
}

test(`${CALLS.length} entry points × ${ROUNDS} generated values (+ every leaf): a result or a coded error (seed ${SEED})`, async () => {
  const random = rng(SEED);
  let calls = 0;
  for (const [name, call] of CALLS) {
    const values = [...LEAVES.map((make) => make()), ...Array.from({ length: ROUNDS }, () => value(random))];
    for (let i = 0; i < values.length; i++) {
      const what = `${name} with value #${i} (seed ${SEED})`;
      let result;
      try {
        result = call(values[i]);
      } catch (err) {
        checkError(err, what);
        continue;
      }
      calls++;
      if (result && typeof result.then === 'function') {
        try {
          const settled = await within(result, 10_000, what);
          // A WorkerManager task's result: it ended (whatever its outcome).
          if (settled && typeof settled === 'object' && 'outcome' in settled && !settled.outcome) problems.push(`${what} → a result without an outcome`);
        } catch (err) {
          checkError(err, what);
        }
      }
    }
  }
  assert.ok(calls > 0);
  assert.deepEqual(problems, []);
});

after(async () => {
  await Promise.all(managers.map((m) => m.shutdown({ deadlineMs: 1000 }).catch(() => {})));
});
