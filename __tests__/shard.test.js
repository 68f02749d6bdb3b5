'use strict';
// Sharding: the JS API (plan, select, table, coverage), every bad input with
// its code and message, group forming from a real Playwright preprocess and
// a real --list report, Playwright's own --shard split reproduced exactly,
// and the plan/shard CLI commands on examples/ down to a real
// `npx playwright test --test-list` run.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { ROOT, EXAMPLES, run, runExamples, reportTests, tempDir } = require('./helpers.js');
const { planShards, selectShard, formatShardPlan, checkShardCoverage, SHARD_STRATEGIES, History } = require('../js/index.js');
const { testKey, testListLine, listReportGroups, applyHistory } = require('../js/api/groups.js');

const CLI = path.join(ROOT, 'js', 'cli', 'main.js');

function g(id, durationMs, extra = {}) {
  return { id, tests: [`${id} #1`, `${id} #2`], durationMs, ...extra };
}

const ids = (plan) => plan.shards.map((s) => s.groups);

test('planShards balances by duration to the lower bound and reports the plan', () => {
  // LPT alone: 7 (3+2+2 | 3+2); the search finds 6 | 6.
  const groups = [g('a', 3), g('b', 3), g('c', 2), g('d', 2), g('e', 2)];
  const lpt = planShards(groups, { shards: 2, improve: false });
  assert.equal(lpt.makespan, 7);
  const plan = planShards(groups, { shards: 2 });
  assert.deepEqual(
    {
      total: plan.total,
      lowerBound: plan.lowerBound,
      makespan: plan.makespan,
      imbalance: plan.imbalance,
      balancedBy: plan.balancedBy,
      strategy: plan.strategy,
    },
    { total: 12, lowerBound: 6, makespan: 6, imbalance: 1, balancedBy: 'duration', strategy: 'duration' },
  );
  assert.deepEqual(ids(plan), [
    ['c', 'd', 'e'],
    ['a', 'b'],
  ]);
  assert.deepEqual(
    plan.shards.map((s) => [s.index, s.testCount, s.load, s.expectedMs]),
    [
      [1, 6, 6, 6],
      [2, 4, 6, 6],
    ],
  );
  assert.equal(plan.groupCount, 5);
  assert.equal(plan.testCount, 10);
  assert.match(plan.fingerprint, /^[0-9a-f]{32}$/);
  // The JSON form has no hidden fields; group positions are there for callers.
  const json = JSON.parse(JSON.stringify(plan));
  assert.deepEqual(Object.keys(json.shards[0]), ['index', 'groups', 'testCount', 'load', 'weight', 'expected', 'expectedMs']);
  assert.deepEqual([...plan.shards[0].groupIndexes], [2, 3, 4]);
});

test('the same inputs give the same plan and fingerprint; any change changes the fingerprint', () => {
  const groups = Array.from({ length: 300 }, (_, i) => g(`f${String(i).padStart(3, '0')}`, ((i * 7919) % 1000) + 0.25));
  const a = planShards(groups, { shards: 7 });
  const b = planShards(JSON.parse(JSON.stringify(groups)), { shards: 7 });
  assert.deepEqual(a, b);
  // Ties and order: the same assignment from the groups in reverse order.
  const reversed = planShards([...groups].reverse(), { shards: 7 });
  assert.deepEqual(
    reversed.shards.map((s) => s.groups),
    a.shards.map((s) => s.groups),
  );
  const changed = groups.map((x, i) => (i === 17 ? { ...x, durationMs: x.durationMs + 1 } : x));
  assert.notEqual(planShards(changed, { shards: 7 }).fingerprint, a.fingerprint);
  assert.notEqual(planShards(groups, { shards: 8 }).fingerprint, a.fingerprint);
  assert.notEqual(planShards(groups, { shards: 7, strategy: 'file' }).fingerprint, a.fingerprint);
  // JSON text is accepted as well.
  assert.deepEqual(planShards(JSON.stringify(groups), { shards: 7 }), a);
});

test('without any duration the plan balances by test count and says so', () => {
  const groups = [
    { id: 'big', tests: ['b1', 'b2', 'b3', 'b4'] },
    { id: 'x', tests: ['x1', 'x2'] },
    { id: 'y', tests: ['y1', 'y2'] },
    { id: 'skip', tests: ['s1', 's2'], skipped: 2 },
  ];
  const plan = planShards(groups, { shards: 2 });
  assert.equal(plan.balancedBy, 'count');
  assert.deepEqual(
    plan.shards.map((s) => s.load),
    [4, 4],
  );
  assert.deepEqual(
    plan.shards.map((s) => s.expectedMs),
    [null, null],
  );
  assert.match(formatShardPlan(plan), /no history: balancing by test count/);
  // Some durations known: the rest at the median per-test estimate.
  const mixed = planShards([g('a', 100), g('b', 300), { id: 'new', tests: ['n1', 'n2', 'n3'] }], { shards: 2 });
  assert.equal(mixed.balancedBy, 'duration');
  assert.equal(mixed.estimatedGroups, 1);
  assert.equal(mixed.perTestEstimateMs, 100); // per test: 50 and 150 → median 100
  assert.equal(mixed.total, 700);
});

test('every strategy, weights and the single-test shorthand', () => {
  assert.deepEqual(SHARD_STRATEGIES, ['duration', 'round-robin', 'file', 'tag', 'fail-first', 'playwright']);
  const groups = [
    { id: 'chromium › a', project: 'chromium', file: 'a', tests: ['c a'], durationMs: 50, tags: ['@db'] },
    { id: 'chromium › b', project: 'chromium', file: 'b', tests: ['c b'], durationMs: 30, tags: ['@db'] },
    { id: 'chromium › c', project: 'chromium', file: 'c', tests: ['c c'], durationMs: 20, failedLastRun: true },
    { id: 'firefox › a', project: 'firefox', file: 'a', tests: ['f a'], durationMs: 50 },
    { id: 'firefox › b', project: 'firefox', file: 'b', tests: ['f b'], durationMs: 30, failedLastRun: true },
    { id: 'firefox › c', project: 'firefox', file: 'c', tests: ['f c'], durationMs: 20 },
  ];
  assert.deepEqual(ids(planShards(groups, { shards: 2, strategy: 'round-robin' })), [
    ['chromium › a', 'chromium › c', 'firefox › b'],
    ['chromium › b', 'firefox › a', 'firefox › c'],
  ]);
  // file: a file's groups on one shard across projects (100 | 60 + 40).
  const byFile = planShards(groups, { shards: 2, strategy: 'file' });
  assert.deepEqual(
    byFile.shards.map((s) => [...s.groups].sort()),
    [
      ['chromium › a', 'firefox › a'],
      ['chromium › b', 'chromium › c', 'firefox › b', 'firefox › c'],
    ],
  );
  // tag (group): both @db groups together.
  const tagged = planShards(groups, { shards: 3, strategy: 'tag' });
  assert.ok(
    tagged.shards.some((s) => s.groups.includes('chromium › a') && s.groups.includes('chromium › b')),
    JSON.stringify(ids(tagged)),
  );
  // tag (spread): one @db group per shard.
  const spread = planShards(groups, { shards: 2, strategy: 'tag', tagMode: 'spread' });
  assert.deepEqual(
    spread.shards.map((s) => s.groups.filter((x) => x === 'chromium › a' || x === 'chromium › b').length),
    [1, 1],
  );
  // fail-first: one failed group per shard, first in its run order.
  const ff = planShards(groups, { shards: 2, strategy: 'fail-first' });
  assert.deepEqual(ff.shards.map((s) => s.groups[0]).sort(), ['chromium › c', 'firefox › b']);
  // playwright: contiguous count slices in input order.
  assert.deepEqual(ids(planShards(groups, { shards: 2, strategy: 'playwright' })), [groups.slice(0, 3).map((x) => x.id), groups.slice(3).map((x) => x.id)]);
  // weights: a shard twice as fast takes twice the load.
  const even = Array.from({ length: 12 }, (_, i) => ({ id: `t${i}`, durationMs: 10 }));
  const weighted = planShards(even, { shards: 3, weights: [2, 1, 1] });
  assert.deepEqual(
    weighted.shards.map((s) => [s.groups.length, s.expected]),
    [
      [6, 30],
      [3, 30],
      [3, 30],
    ],
  );
  assert.equal(weighted.lowerBound, 30);
  // A group without `tests` is one test keyed by its id.
  assert.deepEqual(selectShard(even, { shards: 3, index: 2, weights: [2, 1, 1] }).tests, weighted.shards[1].groups);
});

test('selectShard returns one shard in run order; formatShardPlan renders the preview', () => {
  const groups = [g('slow', 5000), g('mid', 3000), g('fast', 2000)];
  const s2 = selectShard(groups, { shards: 2, index: 2 });
  assert.equal(s2.index, 2);
  assert.deepEqual(s2.groups, ['mid', 'fast']);
  assert.deepEqual(s2.tests, ['mid #1', 'mid #2', 'fast #1', 'fast #2']);
  const text = formatShardPlan(s2.plan);
  assert.ok(text.startsWith('shard plan: 6 tests in 3 groups over 2 shards, strategy duration, balanced by duration\n'), text);
  assert.ok(text.includes('shard  groups  tests  expected  share\n1/2         1      2     5.0 s  50.0%\n2/2         2      4     5.0 s  50.0%\n'), text);
  assert.ok(text.includes('total 10.0 s, lower bound 5.0 s, makespan 5.0 s, imbalance 1.0000 (+0.00% over the bound)'), text);
  assert.ok(text.includes(`fingerprint ${s2.plan.fingerprint}`));
});

test('bad input: a clear error with its code, naming the field, group or test', () => {
  const ok = [g('a', 1), g('b', 2)];
  const cases = [
    [() => planShards(ok, { shards: 0 }), 'ERR_SHARDWRIGHT_CONFIG', 'invalid shards: 0 (a whole number from 1 to 10000)'],
    [() => planShards(ok, {}), 'ERR_SHARDWRIGHT_CONFIG', 'invalid shards: undefined (a whole number from 1 to 10000)'],
    [() => planShards(ok, { shards: 2.5 }), 'ERR_SHARDWRIGHT_CONFIG', 'invalid shards: 2.5 (a whole number from 1 to 10000)'],
    [() => planShards(ok, { shards: '3x' }), 'ERR_SHARDWRIGHT_CONFIG', 'invalid shards: "3x" (a number)'],
    [
      () => planShards(ok, { shards: 2, strategy: 'fastest' }),
      'ERR_SHARDWRIGHT_CONFIG',
      'invalid strategy: "fastest" (one of duration, round-robin, file, tag, fail-first, playwright)',
    ],
    [() => planShards(ok, { shards: 2, tagMode: 'all' }), 'ERR_SHARDWRIGHT_CONFIG', 'invalid tagMode: "all" (one of group, spread)'],
    [() => planShards(ok, { shards: 2, weights: [1] }), 'ERR_SHARDWRIGHT_CONFIG', 'invalid weights: [1] (one weight per shard: 2 numbers > 0)'],
    [() => planShards(ok, { shards: 2, weights: [1, NaN] }), 'ERR_SHARDWRIGHT_CONFIG', 'invalid weights[1]: NaN (a finite number)'],
    [() => planShards(ok, { shards: 2, weights: [1, -2] }), 'ERR_SHARDWRIGHT_CONFIG', 'invalid weights[1]: -2 (a finite number > 0)'],
    [() => planShards(ok, { shards: 2, weights: '1,2' }), 'ERR_SHARDWRIGHT_CONFIG', 'invalid weights: "1,2" (an array of numbers > 0, one per shard)'],
    [() => planShards(ok, { shards: 2, tags: ['@a', 3] }), 'ERR_SHARDWRIGHT_CONFIG', 'invalid tags[1]: 3 (a string)'],
    [() => planShards(ok, { shards: 2, improve: 'maybe' }), 'ERR_SHARDWRIGHT_CONFIG', 'invalid improve: "maybe" (true or false)'],
    [() => planShards(ok, 'shards'), 'ERR_SHARDWRIGHT_CONFIG', "invalid options: 'shards' (an object)"],
    [() => planShards({ id: 'a' }, { shards: 2 }), 'ERR_SHARDWRIGHT_CONFIG', "invalid groups: { id: 'a' } (an array of groups, or their JSON text)"],
    [() => selectShard(ok, { shards: 2, index: 3 }), 'ERR_SHARDWRIGHT_CONFIG', 'invalid index: 3 (a whole number from 1 to 2)'],
    [() => selectShard(ok, { shards: 2 }), 'ERR_SHARDWRIGHT_CONFIG', 'invalid index: undefined (a whole number from 1 to 2)'],
    [() => selectShard(ok, { shards: 2, index: 0 }), 'ERR_SHARDWRIGHT_CONFIG', 'invalid index: 0 (a whole number from 1 to 2)'],
    [
      () => planShards([g('a', NaN)], { shards: 2 }),
      'ERR_SHARDWRIGHT_PLAN',
      'failed to plan shards: group `a` has an invalid durationMs: NaN (a finite number ≥ 0, or none when unknown)',
    ],
    [
      () => planShards([g('a', -5)], { shards: 2 }),
      'ERR_SHARDWRIGHT_PLAN',
      'failed to plan shards: group `a` has an invalid durationMs: -5 (a finite number ≥ 0, or none when unknown)',
    ],
    [
      () => planShards([g('a', Infinity)], { shards: 2 }),
      'ERR_SHARDWRIGHT_PLAN',
      'failed to plan shards: group `a` has an invalid durationMs: Infinity (a finite number ≥ 0, or none when unknown)',
    ],
    [() => planShards([g('a', 1), g('a', 2)], { shards: 2 }), 'ERR_SHARDWRIGHT_PLAN', 'failed to plan shards: duplicate group id `a` (groups #0 and #1)'],
    [
      () => planShards([g('a', 1), { id: 'b', tests: ['a #2'] }], { shards: 2 }),
      'ERR_SHARDWRIGHT_PLAN',
      'failed to plan shards: test `a #2` is in two groups: `a` and `b`',
    ],
    [
      () => planShards([{ id: 'e', tests: [] }], { shards: 2 }),
      'ERR_SHARDWRIGHT_PLAN',
      'failed to plan shards: invalid groups[0] (`e`).tests: [] (at least one test key; leave tests out for one test keyed by the id)',
    ],
    [
      () => planShards([{ id: 'solo' }, { id: 'x', tests: ['solo'] }], { shards: 2 }),
      'ERR_SHARDWRIGHT_PLAN',
      'failed to plan shards: test `solo` is in two groups: `solo` and `x`',
    ],
    [() => planShards([{ id: '' }], { shards: 2 }), 'ERR_SHARDWRIGHT_PLAN', 'failed to plan shards: group #0 has an empty id'],
    [
      () => planShards([{ id: 'a', tests: 'a1' }], { shards: 2 }),
      'ERR_SHARDWRIGHT_PLAN',
      "failed to plan shards: invalid groups[0] (`a`).tests: 'a1' (an array of strings)",
    ],
    [
      () => planShards([{ id: 'a', tests: ['x', 1] }], { shards: 2 }),
      'ERR_SHARDWRIGHT_PLAN',
      'failed to plan shards: invalid groups[0] (`a`).tests[1]: 1 (a string)',
    ],
    [() => planShards([{ id: 7 }], { shards: 2 }), 'ERR_SHARDWRIGHT_PLAN', 'failed to plan shards: invalid groups[0].id: 7 (a string)'],
    // A NUL ends each string on its way to the engine: named, never a shifted plan.
    [
      () => planShards([{ id: 'a' }, { id: 'b', tests: ['b1', 'b\u00002'] }], { shards: 2 }),
      'ERR_SHARDWRIGHT_PLAN',
      "failed to plan shards: invalid groups[1] (`b`).tests[1]: 'b\\x002' (a string without NUL characters)",
    ],
    [
      () => planShards([{ id: 'a', file: 'x\u0000.spec.ts' }], { shards: 2 }),
      'ERR_SHARDWRIGHT_PLAN',
      "failed to plan shards: invalid groups[0] (`a`).file: 'x\\x00.spec.ts' (a string without NUL characters)",
    ],
    [
      () => planShards([{ id: 'a', duration: 5 }], { shards: 2 }),
      'ERR_SHARDWRIGHT_PLAN',
      'failed to plan shards: invalid groups[0] (`a`).duration: 5 (not a group field (one of id, project, file, tests, tags, durationMs, failedLastRun, skipped))',
    ],
    [
      () => planShards([{ id: 'a', durationMs: '5' }], { shards: 2 }),
      'ERR_SHARDWRIGHT_PLAN',
      "failed to plan shards: invalid groups[0] (`a`).durationMs: '5' (a number ≥ 0, or undefined when unknown)",
    ],
    [
      () => planShards([{ id: 'a', skipped: -1 }], { shards: 2 }),
      'ERR_SHARDWRIGHT_PLAN',
      'failed to plan shards: invalid groups[0] (`a`).skipped: -1 (a whole number ≥ 0)',
    ],
    [
      () => planShards([{ id: 'a', tests: ['a1'], skipped: 2 }], { shards: 2 }),
      'ERR_SHARDWRIGHT_PLAN',
      'failed to plan shards: group `a` has skipped: 2 but only 1 tests',
    ],
    [
      () => planShards([{ id: 'a', failedLastRun: 'yes' }], { shards: 2 }),
      'ERR_SHARDWRIGHT_PLAN',
      "failed to plan shards: invalid groups[0] (`a`).failedLastRun: 'yes' (true or false)",
    ],
    [() => planShards([null], { shards: 2 }), 'ERR_SHARDWRIGHT_PLAN', 'failed to plan shards: invalid groups[0]: null (an object)'],
    [() => planShards('[{', { shards: 2 }), 'ERR_SHARDWRIGHT_PLAN', /^failed to plan shards: groups are not valid JSON \(/],
    [() => formatShardPlan(null), 'ERR_SHARDWRIGHT_CONFIG', 'invalid plan: null (a plan from planShards())'],
  ];
  for (const [call, code, message] of cases) {
    assert.throws(call, (err) => {
      assert.equal(err.code, code, `${err.message}`);
      if (message instanceof RegExp) assert.match(err.message, message);
      else assert.equal(err.message, message);
      return true;
    });
  }
});

test('checkShardCoverage names missing and duplicated tests and differing fingerprints', () => {
  const good = checkShardCoverage(
    ['a', 'b', 'c'],
    [
      { index: 1, fingerprint: 'f', tests: ['a', 'b'] },
      { index: 2, fingerprint: 'f', tests: ['c'] },
    ],
    2,
  );
  assert.equal(good.ok, true);
  assert.equal(good.report, 'coverage ok: all 3 tests ran exactly once, every shard planned from the same inputs\n');
  const bad = checkShardCoverage(
    ['a', 'b', 'c', 'd'],
    [
      { index: 1, fingerprint: 'f1', tests: ['a', 'b'] },
      { index: 2, fingerprint: 'f2', tests: ['b', 'x'] },
      { index: 3, fingerprint: 'f1', tests: ['c'] },
    ],
    4,
  );
  assert.equal(bad.ok, false);
  assert.deepEqual(bad.missing, ['d']);
  assert.deepEqual(bad.duplicated, [{ test: 'b', shards: [1, 2] }]);
  assert.deepEqual(bad.unexpected, [{ test: 'x', shards: [2] }]);
  assert.deepEqual(bad.fingerprints, [
    { fingerprint: 'f1', shards: [1, 3] },
    { fingerprint: 'f2', shards: [2] },
  ]);
  assert.deepEqual(bad.missingShards, [4]);
  assert.equal(
    bad.report,
    [
      'coverage FAILED: 3 of 4 tests ran',
      'shards planned from different inputs (fingerprints differ):',
      '  f1  shards #1, #3',
      '  f2  shards #2',
      'shards with no record: #4',
      '1 tests ran on no shard:',
      '  d',
      '1 tests ran on more than one shard:',
      '  b  (shards #1, #2)',
      '1 tests ran that the suite does not list:',
      '  x  (shards #2)',
      '',
    ].join('\n'),
  );
  for (const [args, message] of [
    [[null, []], 'invalid expected: null (an array of test keys)'],
    [[['a'], [{ index: 0, fingerprint: 'f', tests: [] }]], 'invalid records[0].index: 0 (a whole number ≥ 1)'],
    [[['a'], [{ index: 1, tests: [] }]], 'invalid records[0].fingerprint: undefined (a string)'],
    [[['a'], [{ index: 1, fingerprint: 'f', tests: [1] }]], 'invalid records[0].tests: [ 1 ] (an array of test keys)'],
    [[['a'], [], 0], 'invalid shards: 0 (a whole number from 1 to 10000)'],
  ]) {
    assert.throws(() => checkShardCoverage(...args), { code: 'ERR_SHARDWRIGHT_CONFIG', message });
  }
});

test('test keys and --test-list lines follow src/testid.rs', () => {
  // The same cases as testid.rs's unit tests.
  assert.equal(testKey('chromium', '.\\tests\\shop.spec.ts', ['search', 'shows results']), 'chromium › tests/shop.spec.ts › search › shows results');
  assert.equal(testKey('', 'a.spec.ts', ['t']), 'a.spec.ts › t');
  assert.equal(testKey('p', 'tests/a.spec.ts:12:3', ['t']), 'p › tests/a.spec.ts › t');
  assert.equal(testListLine('chromium', 'e2e/shop.spec.ts', ['search', 't']), '[chromium] › e2e/shop.spec.ts › search › t');
});

test('applyHistory sums per-test estimates, fills gaps with the median and marks failures', () => {
  const groups = [{ id: 'a', tests: ['a1', 'a2'] }, { id: 'b', tests: ['b1', 'b2'] }, { id: 'c', tests: ['c1'] }, { id: 'd' }];
  const n = applyHistory(
    groups,
    new Map([
      ['a1', 100],
      ['a2', 300],
      ['b1', { durationMs: 200, failedLastRun: true }],
      ['d', 50],
    ]),
  );
  assert.equal(n, 3);
  // Known: 50, 100, 200, 300 → median 150.
  assert.deepEqual(
    groups.map((x) => [x.id, x.durationMs, x.failedLastRun ?? false]),
    [
      ['a', 400, false],
      ['b', 350, true],
      ['c', undefined, false],
      ['d', 50, false],
    ],
  );
});

// A real Playwright project with every grouping case: default files, a
// serial describe, a parallel describe, a parallel file with a serial
// describe, a fullyParallel project, a setup project, a skipped test.
function writeProject() {
  const dir = tempDir('shardwright-groups-');
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  fs.mkdirSync(path.join(dir, 'tests'));
  const files = {
    'playwright.config.js': `
      const { defineConfig } = require('@playwright/test');
      module.exports = defineConfig({
        testDir: './tests',
        reporter: [['./reporter.js']],
        projects: [
          { name: 'setup', testMatch: /global\\.setup\\.js/ },
          { name: 'serial', dependencies: ['setup'], testIgnore: /global\\.setup\\.js/ },
          { name: 'par', fullyParallel: true, testIgnore: /global\\.setup\\.js/ },
        ],
      });`,
    'reporter.js': `
      const fs = require('fs');
      const { suiteGroups } = require(${JSON.stringify(path.join(ROOT, 'js', 'api', 'groups.js'))});
      module.exports = class {
        async preprocess({ config, suite, testRun }) {
          if (process.env.GROUPS_OUT) fs.writeFileSync(process.env.GROUPS_OUT, JSON.stringify(suiteGroups(suite, testRun, { config }).groups));
        }
        printsToStdio() { return false; }
      };`,
    'tests/global.setup.js': `const { test } = require('@playwright/test'); test('setup', async () => {});`,
    'tests/a.spec.js': `const { test } = require('@playwright/test');
      test('a1', async () => {});
      test.describe('d', () => { test('a2', async () => {}); test('a3', async () => {}); });
      test('a4', { tag: '@smoke' }, async () => {});`,
    'tests/b.spec.js': `const { test } = require('@playwright/test');
      test.describe.serial('ser', () => { test('b1', async () => {}); test('b2', async () => {}); });
      test.describe.parallel('par', () => { test('b3', async () => {}); test('b5', async () => {}); });
      test('b4', async () => {});`,
    'tests/c.spec.js': `const { test } = require('@playwright/test');
      test.describe.configure({ mode: 'parallel' });
      test('c1', async () => {});
      test.describe('inner', () => { test.describe.configure({ mode: 'serial' }); test('c2', async () => {}); test('c3', async () => {}); });
      test('c4', async () => {});
      test.skip('c5', async () => {});`,
  };
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

async function list(cwd, args = [], env = {}) {
  const out = path.join(tempDir('shardwright-list-'), 'list.json');
  const r = await run('npx', ['playwright', 'test', '--list', '--reporter=json', ...args], {
    cwd,
    env: { PLAYWRIGHT_JSON_OUTPUT_FILE: out, FORCE_COLOR: '0', ...env },
  });
  assert.equal(r.code, 0, r.stderr + r.stdout);
  return JSON.parse(fs.readFileSync(out, 'utf8'));
}

test("groups from a real preprocess follow createTestGroups, and the playwright strategy is exactly Playwright's --shard", async () => {
  const dir = writeProject();
  const groupsFile = path.join(dir, 'groups.json');
  // The config's reporter (reporter.js) writes the groups in preprocess.
  const r = await run('npx', ['playwright', 'test', '--list'], { cwd: dir, env: { GROUPS_OUT: groupsFile, FORCE_COLOR: '0' } });
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const groups = JSON.parse(fs.readFileSync(groupsFile, 'utf8'));
  assert.deepEqual(
    groups.map((x) => [x.id, x.tests.length, x.tags, x.skipped ?? 0]),
    [
      ['serial › a.spec.js', 4, ['@smoke'], 0],
      ['serial › b.spec.js', 3, [], 0], // the serial describe and b4: sequential
      ['serial › b.spec.js › par › b3', 1, [], 0],
      ['serial › b.spec.js › par › b5', 1, [], 0],
      ['serial › c.spec.js › c1', 1, [], 0],
      ['serial › c.spec.js › inner', 2, [], 0], // serial inside parallel: whole
      ['serial › c.spec.js › c4', 1, [], 0],
      ['serial › c.spec.js › c5', 1, [], 1],
      ['par › a.spec.js › a1', 1, [], 0],
      ['par › a.spec.js › d › a2', 1, [], 0],
      ['par › a.spec.js › d › a3', 1, [], 0],
      ['par › a.spec.js › a4', 1, ['@smoke'], 0],
      ['par › b.spec.js › ser', 2, [], 0],
      ['par › b.spec.js › par › b3', 1, [], 0],
      ['par › b.spec.js › par › b5', 1, [], 0],
      ['par › b.spec.js › b4', 1, [], 0],
      ['par › c.spec.js › c1', 1, [], 0],
      ['par › c.spec.js › inner', 2, [], 0],
      ['par › c.spec.js › c4', 1, [], 0],
      ['par › c.spec.js › c5', 1, [], 1],
    ],
  );
  assert.deepEqual(groups[5].tests, ['serial › c.spec.js › inner › c2', 'serial › c.spec.js › inner › c3']);
  // Playwright's own split, shard by shard, against the reproduction.
  for (const n of [2, 3, 5]) {
    for (let i = 1; i <= n; i++) {
      const theirs = [...listReportGroups(await list(dir, [`--shard=${i}/${n}`])).tests.keys()].sort();
      const ours = selectShard(groups, { shards: n, index: i, strategy: 'playwright' }).tests.slice().sort();
      assert.deepEqual(ours, theirs, `shard ${i}/${n}`);
    }
  }
});

test('groups from a --list report: per file, or per test when fullyParallel; setup projects left out', async () => {
  const dir = writeProject();
  const report = await list(dir);
  const { groups, tests } = listReportGroups(report);
  // The report shows no describe modes: per file (no project-level fullyParallel in it).
  assert.deepEqual(
    groups.map((x) => [x.id, x.tests.length]),
    [
      ['serial › a.spec.js', 4],
      ['serial › b.spec.js', 5],
      ['serial › c.spec.js', 5],
      ['par › a.spec.js', 4],
      ['par › b.spec.js', 5],
      ['par › c.spec.js', 5],
    ],
  );
  assert.deepEqual(groups[0].tests, ['serial › a.spec.js › a1', 'serial › a.spec.js › d › a2', 'serial › a.spec.js › d › a3', 'serial › a.spec.js › a4']);
  assert.deepEqual(tests.get('par › a.spec.js › d › a2'), {
    project: 'par',
    file: 'a.spec.js',
    rootFile: 'a.spec.js',
    titlePath: ['d', 'a2'],
    listLine: '[par] › a.spec.js › d › a2',
  });
  assert.equal(groups[2].skipped, 1);
  const perTest = listReportGroups(report, { groupBy: 'test' }).groups;
  assert.equal(perTest.length, 28);
  assert.throws(() => listReportGroups({}), { code: 'ERR_SHARDWRIGHT_CONFIG' });
  assert.throws(() => listReportGroups(report, { groupBy: 'describe' }), {
    code: 'ERR_SHARDWRIGHT_CONFIG',
    message: 'invalid groupBy: "describe" (one of auto, file, test)',
  });
});

function cli(args, opts = {}) {
  return run(process.execPath, [CLI, ...args], { cwd: EXAMPLES, ...opts });
}

test('CLI: plan prints the preview, shard writes a --test-list that a real run of examples/ accepts', async () => {
  const dir = tempDir();
  const listFile = path.join(dir, 'list.json');
  fs.writeFileSync(listFile, JSON.stringify(await list(EXAMPLES)));
  // An empty history: nothing known, so the plan balances by count.
  const noHistory = path.join(dir, 'none.json');
  History.empty().save(noHistory);

  const suite = listReportGroups(JSON.parse(fs.readFileSync(listFile, 'utf8')));
  const total = suite.tests.size;
  let r = await cli(['plan', '--shards', '2', '--report', listFile, '--history', noHistory]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    new RegExp(
      `^shard plan: ${total} tests in ${suite.groups.length} groups over 2 shards, strategy duration, balanced by count\nno history: balancing by test count\n`,
    ),
  );
  assert.equal(r.stdout.match(/no history/g).length, 1, 'said once');

  r = await cli(['plan', '--shards', '2', '--report', listFile, '--history', noHistory, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const plan = JSON.parse(r.stdout);
  // By count, the two shards differ by at most the largest group.
  const largest = Math.max(...suite.groups.map((g) => g.tests.length));
  assert.equal(plan.shards[0].testCount + plan.shards[1].testCount, total);
  assert.ok(Math.abs(plan.shards[0].testCount - plan.shards[1].testCount) <= largest);
  assert.deepEqual(plan.shards.flatMap((x) => x.groups).sort(), suite.groups.map((g) => g.id).sort());
  assert.equal(r.stderr, 'shardwright: no history: balancing by test count\n');

  // With a history: balanced by duration, the slow file alone on a shard.
  const history = path.join(dir, 'history.json');
  const h = History.empty();
  h.addRun({
    commit: null,
    attempts: [...suite.tests.values()].map((t) => ({
      project: t.project,
      file: t.file,
      titlePath: t.titlePath,
      durationMs: t.file === 'slow.spec.ts' ? 20000 : 500,
      status: 'passed',
    })),
  });
  h.save(history);
  r = await cli(['plan', '--shards', '2', '--report', listFile, '--history', history, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const timed = JSON.parse(r.stdout);
  assert.equal(timed.balancedBy, 'duration');
  assert.ok(
    timed.shards.some((x) => x.groups.length === 1 && x.groups[0] === 'chromium › slow.spec.ts'),
    JSON.stringify(timed.shards.map((x) => x.groups)),
  );
  assert.equal(r.stderr, '');

  // Each shard's --test-list file, then a real run of each: every test once.
  const ran = [];
  for (const index of [1, 2]) {
    r = await cli(['shard', '--index', String(index), '--shards', '2', '--report', listFile, '--history', noHistory]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0], new RegExp(`^# shardwright shard ${index}/2: ${plan.shards[index - 1].testCount} tests, strategy duration, balanced by count$`));
    assert.equal(lines[1], `# fingerprint ${plan.fingerprint}`);
    const expected = plan.shards[index - 1].groups.flatMap((id) => reportTestsOfGroup(id, listFile));
    assert.deepEqual(lines.slice(2), expected);
    const file = path.join(dir, `shard${index}.txt`);
    fs.writeFileSync(file, r.stdout);
    const result = await runExamples({ args: ['--test-list', file] });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const titles = reportTests(result.report).map((t) => `[chromium] › ${t.file} › ${t.titlePath.join(' › ')}`);
    assert.deepEqual(titles.sort(), expected.slice().sort());
    ran.push(...titles);
  }
  assert.equal(ran.length, total);
  assert.equal(new Set(ran).size, total);
});

/** The --test-list lines of a group, from the report. */
function reportTestsOfGroup(id, listFile) {
  const { groups, tests } = listReportGroups(JSON.parse(fs.readFileSync(listFile, 'utf8')));
  return groups.find((x) => x.id === id).tests.map((k) => tests.get(k).listLine);
}

test('CLI: bad flags and files are named, exit code 2', async () => {
  const dir = tempDir();
  const listFile = path.join(dir, 'list.json');
  fs.writeFileSync(listFile, JSON.stringify(await list(EXAMPLES)));
  const bad = path.join(dir, 'bad.json');
  fs.writeFileSync(bad, '{ nope');
  for (const [args, message] of [
    [['plan', '--shards', '0', '--report', listFile], "shardwright plan: invalid --shards: '0' (a whole number from 1 to 10000) [ERR_SHARDWRIGHT_CONFIG]"],
    [
      ['plan', '--report', listFile],
      'shardwright plan: invalid --shards: undefined (required: how many shards to plan, e.g. `shardwright plan --shards 4`) [ERR_SHARDWRIGHT_CONFIG]',
    ],
    [
      ['plan', '--shards', '2', '--report', listFile, '--history', 'missing.json'],
      /^shardwright plan: invalid --history: 'missing\.json' \(an existing history file/,
    ],
    [
      ['plan', '--shards', '2', '--strategy', 'fast', '--report', listFile],
      "shardwright plan: invalid --strategy: 'fast' (one of duration, round-robin, file, tag, fail-first, playwright) [ERR_SHARDWRIGHT_CONFIG]",
    ],
    [
      ['plan', '--shards', '2', '--weights', '1,x', '--report', listFile],
      "shardwright plan: invalid --weights: '1,x' (2 numbers > 0, comma-separated) [ERR_SHARDWRIGHT_CONFIG]",
    ],
    [
      ['shard', '--shards', '2', '--index', '3', '--report', listFile],
      "shardwright shard: invalid --index: '3' (a whole number from 1 to 2) [ERR_SHARDWRIGHT_CONFIG]",
    ],
    [['shard', '--shards', '2', '--report', listFile], 'shardwright shard: invalid --index: undefined (a whole number from 1 to 2) [ERR_SHARDWRIGHT_CONFIG]'],
    [
      ['plan', '--shards', '2', '--group-by', 'x', '--report', listFile],
      "shardwright plan: invalid --group-by: 'x' (one of auto, file, test) [ERR_SHARDWRIGHT_CONFIG]",
    ],
    [
      ['plan', '--shards', '2', '--report', path.join(dir, 'missing.json')],
      new RegExp(`^shardwright plan: failed to read \`${dir}/missing\\.json\`: ENOENT.* \\[ERR_SHARDWRIGHT_IO\\]$`),
    ],
    [
      ['plan', '--shards', '2', '--report', bad],
      /^shardwright plan: invalid --report: '.*bad\.json' \(a Playwright JSON report \(.*\)\) \[ERR_SHARDWRIGHT_CONFIG\]$/,
    ],
    [
      ['plan', '--shards', '2', '--report', listFile, '--history', bad],
      /^shardwright plan: history file `.*bad\.json` is unusable: .* \[ERR_SHARDWRIGHT_HISTORY\]$/,
    ],
  ]) {
    const r = await cli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    if (message instanceof RegExp) assert.match(r.stderr.trim(), message);
    else assert.equal(r.stderr.trim(), message);
  }
});

test('CLI: without --report, plan lists the suite with playwright itself', async () => {
  const none = path.join(tempDir(), 'none.json');
  History.empty().save(none);
  const r = await cli(['plan', '--shards', '3', '--json', '--history', none]);
  assert.equal(r.code, 0, r.stderr);
  const plan = JSON.parse(r.stdout);
  const listed = listReportGroups(await list(EXAMPLES));
  assert.equal(plan.testCount, listed.tests.size);
  assert.equal(
    plan.shards.reduce((a, x) => a + x.testCount, 0),
    listed.tests.size,
  );
  assert.equal(plan.groupCount, listed.groups.length);
});
