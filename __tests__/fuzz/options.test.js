'use strict';
// Malformed options, one class at a time, each with the error it must get:
// ERR_SHARDWRIGHT_CONFIG naming the field (as the caller wrote it) and the
// value — NaN as NaN, not "[object]" — and for a misspelt field the closest
// valid one. Bounds on what would never end (an interval of 1e12 ms).
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const sw = require('../../js/index.js');
const { hostile } = require('../fixtures/exotic.js');
const { tempDir } = require('../helpers.js');

const { WorkerManager, retry, BackoffPolicy, History, loadHistory, flakyReport, planShards, selectShard } = sw;
const base = { minAvailableMemoryMb: 0 };
const groups = [{ id: 'a', durationMs: 5 }, { id: 'b' }];

function configError(message) {
  return (err) => {
    assert.equal(err.code, 'ERR_SHARDWRIGHT_CONFIG', `${err.code}: ${err.message}`);
    assert.match(err.message, message);
    return true;
  };
}

const cyclic = () => {
  const o = { a: 1 };
  o.self = o;
  return o;
};

/** [label, call, expected message]: each call throws or rejects with ERR_SHARDWRIGHT_CONFIG. */
const CASES = [
  // NaN and friends name the field and the value, nested ones with their path.
  [
    'WorkerManager retry.maxRetries NaN',
    () => new WorkerManager({ retry: { maxRetries: Number.NaN } }),
    /^invalid retry\.maxRetries: NaN \(a finite number\)$/,
  ],
  [
    'WorkerManager retry.initialDelayMs Infinity',
    () => new WorkerManager({ retry: { initialDelayMs: Number.POSITIVE_INFINITY } }),
    /^invalid retry\.initialDelayMs: Infinity/,
  ],
  ['WorkerManager timeoutMs NaN', () => new WorkerManager({ timeoutMs: Number.NaN }), /^invalid timeoutMs: NaN/],
  ['resolveConfig maxRetries NaN', () => sw.resolveConfig({ maxRetries: Number.NaN }), /invalid maxRetries: NaN/],
  ['recommendWorkers maxWorkers NaN', () => sw.recommendWorkers({ maxWorkers: Number.NaN }), /invalid maxWorkers: NaN/],
  ['recommendWorkers minWorkers -Infinity', () => sw.recommendWorkers({ minWorkers: Number.NEGATIVE_INFINITY }), /invalid minWorkers: -Infinity/],
  ['resourceSnapshot intervalMs NaN', () => sw.resourceSnapshot({ intervalMs: Number.NaN }), /^invalid intervalMs: NaN/],
  [
    'resourceSnapshot intervalMs 1e12',
    () => sw.resourceSnapshot({ intervalMs: 1e12 }),
    /^invalid intervalMs: 1000000000000 \(a number of milliseconds from 0 to 60000\)$/,
  ],
  ['resourceSnapshot intervalMs 1e300', () => sw.resourceSnapshot({ intervalMs: 1e300 }), /^invalid intervalMs: 1e300/],
  ['retry maxRetries NaN', () => retry(() => 1, { maxRetries: Number.NaN }), /^invalid maxRetries: NaN/],
  ['BackoffPolicy multiplier NaN', () => new BackoffPolicy({ multiplier: Number.NaN }), /^invalid multiplier: NaN/],
  ['planShards weights NaN', () => planShards(groups, { shards: 2, weights: [1, Number.NaN] }), /^invalid weights\[1\]: NaN/],
  ['History maxRuns NaN', () => History.empty({ maxRuns: Number.NaN }), /^invalid maxRuns: NaN/],
  ['analyze window NaN', () => History.empty().analyze({ window: Number.NaN }), /^invalid window: NaN/],
  // Misspelt fields: named, with the closest valid one.
  ['WorkerManager maxWorker', () => new WorkerManager({ maxWorker: 2 }), /^invalid maxWorker: 2 \(not a WorkerManager option; did you mean maxWorkers\?\)$/],
  [
    'WorkerManager retry.maxRetry',
    () => new WorkerManager({ retry: { maxRetry: 2 } }),
    /^invalid retry\.maxRetry: 2 \(not a retry option; did you mean maxRetries\?\)$/,
  ],
  ['WorkerManager signl', () => new WorkerManager({ signl: 1 }), /did you mean signal\?/],
  ['retry maxRetry', () => retry(() => 1, { maxRetry: 3 }), /^invalid maxRetry: 3 \(not a retry\(\) option; did you mean maxRetries\?\)$/],
  ['retry onRetyr', () => retry(() => 1, { onRetyr: () => {} }), /^invalid onRetyr: "\[function\]" \(not a retry\(\) option; did you mean onRetry\?\)$/],
  ['planShards shard', () => planShards(groups, { shard: 2 }), /^invalid shard: 2 \(not a planShards\(\)\/selectShard\(\) option; did you mean shards\?\)$/],
  ['selectShard indx', () => selectShard(groups, { shards: 2, indx: 1 }), /^invalid indx: 1 \(.*did you mean index\?\)$/],
  [
    'BackoffPolicy intialDelayMs',
    () => new BackoffPolicy({ intialDelayMs: 5 }),
    /^invalid intialDelayMs: 5 \(not a BackoffPolicy option; did you mean initialDelayMs\?\)$/,
  ],
  [
    'History.load maxRun',
    () => History.load(path.join(tempDir(), 'h.json'), { maxRun: 5 }),
    /^invalid maxRun: 5 \(not a History option; did you mean maxRuns\?\)$/,
  ],
  ['History.empty maxAgeDay', () => History.empty({ maxAgeDay: 1 }), /did you mean maxAgeDays\?/],
  ['loadHistory rest', () => loadHistory(path.join(tempDir(), 'h.json'), { rest: true }), /did you mean reset\?/],
  ['analyze windw', () => History.empty().analyze({ windw: 5 }), /^invalid windw: 5 \(not an analyze\(\) option; did you mean window\?\)$/],
  ['flakyReport onFlakey', () => flakyReport(History.empty(), { onFlakey: () => {} }), /^invalid onFlakey: .*did you mean onFlaky\?\)$/],
  [
    'flakyReport treshold (no close name: the list)',
    () => flakyReport(History.empty(), { xyz: 1 }),
    /^invalid xyz: 1 \(not a flakyReport\(\) option; known: window, /,
  ],
  [
    'resourceSnapshot interval',
    () => sw.resourceSnapshot({ interval: 5 }),
    /^invalid interval: 5 \(not a resourceSnapshot\(\) option; did you mean intervalMs\?\)$/,
  ],
  ['submit signl', () => new WorkerManager(base).submit(() => 1, { signl: null }), /^invalid signl: null \(not a submit\(\) option; did you mean signal\?\)$/],
  ['run signl', () => new WorkerManager(base).run([], { signl: null }), /did you mean signal\?/],
  [
    'shutdown deadline',
    () => new WorkerManager(base).shutdown({ deadline: 5 }),
    /^invalid deadline: 5 \(not a shutdown\(\) option; did you mean deadlineMs\?\)$/,
  ],
  // Task fields: NaN is not "not set".
  ['task timeoutMs NaN', () => new WorkerManager(base).submit({ fn: () => 1, timeoutMs: Number.NaN }), /^invalid timeoutMs: NaN/],
  ['task retries NaN', () => new WorkerManager(base).submit({ fn: () => 1, retries: Number.NaN }), /^invalid retries: NaN/],
  [
    'run task timeoutMs Infinity',
    () => new WorkerManager(base).run([{ fn: () => 1, timeoutMs: Number.POSITIVE_INFINITY }]),
    /^invalid tasks\[0\]\.timeoutMs: Infinity/,
  ],
  [
    'task memoryLimitMb -Infinity',
    () => new WorkerManager(base).submit({ command: 'true', memoryLimitMb: Number.NEGATIVE_INFINITY }),
    /^invalid memoryLimitMb: -Infinity/,
  ],
  // Shapes no option has: cycles, getters that throw, Proxies.
  ['BackoffPolicy with a cycle', () => new BackoffPolicy({ multiplier: cyclic() }), /^invalid multiplier: \{"a":1,"self":"\[circular\]"\} \(a number\)$/],
  ['resolveConfig with a cycle', () => sw.resolveConfig(cyclic()), /invalid option: "a"/],
  [
    'BackoffPolicy with a throwing getter',
    () =>
      new BackoffPolicy({
        get multiplier() {
          throw new Error('getter');
        },
      }),
    /^invalid multiplier: "\[unreadable\]" \(a number\)$/,
  ],
  ['BackoffPolicy as a hostile Proxy', () => new BackoffPolicy(hostile()), /^invalid options: "\[unreadable\]" \(an object\)$/],
  ['WorkerManager retry as a hostile Proxy', () => new WorkerManager({ retry: hostile() }), /^invalid retry: "\[unreadable\]" \(an object\)$/],
  ['planShards with a deep nesting', () => planShards(groups, { shards: 2, tags: JSON.parse(`${'['.repeat(200)}${']'.repeat(200)}`) }), /^invalid tags\[0\]/],
];

for (const [label, call, message] of CASES) {
  test(`options: ${label}`, async () => {
    let result;
    try {
      result = call();
    } catch (err) {
      configError(message)(err);
      return;
    }
    await assert.rejects(Promise.resolve(result), configError(message));
  });
}

test('flakyReport checks every option before it reads the history', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'history.json');
  fs.writeFileSync(file, 'not a history');
  // A RegExp JS takes and the engine cannot (lookbehind): the option's
  // error, not the file's.
  await assert.rejects(flakyReport(file, { quarantine: [/(?<=checkout)spec/] }), configError(/^invalid quarantine\[0\]/));
  await assert.rejects(flakyReport(file, { windw: 3 }), configError(/did you mean window\?/));
  await assert.rejects(flakyReport(file, { window: 0 }), configError(/^invalid window: 0/));
  await assert.rejects(flakyReport(file), (err) => err.code === 'ERR_SHARDWRIGHT_HISTORY');
});

test('resourceSnapshot at the longest interval it takes is still bounded (60 s), and 0 works', async () => {
  const s = await sw.resourceSnapshot({ intervalMs: 0 });
  assert.ok(s.cpus >= 1);
});
