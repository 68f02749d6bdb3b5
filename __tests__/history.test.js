'use strict';
// The history and flaky analysis through the JS API: round trips, estimates,
// verdicts on crafted histories, the report's schema, callbacks and events,
// and the errors bad input gets.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const Ajv = require('ajv/dist/2020');
const addFormats = require('ajv-formats');
const sw = require('../js/index.js');
const { History, loadHistory, flakyReport, flakyMarkdown, flakySummary, events } = sw;
const { tempDir } = require('./helpers.js');

const ajv = new Ajv({ strict: true, allErrors: true });
addFormats(ajv);
const validateReport = ajv.compile(require('../schema/flaky-report.schema.json'));

function assertValidReport(report) {
  assert.ok(validateReport(report), JSON.stringify(validateReport.errors, null, 2));
}

const T0 = Date.UTC(2026, 0, 1);
const attempt = (title, status, retry = 0, extra = {}) => ({
  project: 'chromium',
  file: 'shop.spec.ts',
  titlePath: ['shop', title],
  durationMs: 100 + retry,
  status,
  retry,
  ...extra,
});

/**
 * A history from patterns, one letter per run: P passed, F failed (twice:
 * first try and retry), R failed then passed on the retry, S skipped, .
 * not run. `commits[i]` is run i's commit.
 */
function crafted(patterns, commits) {
  const h = History.empty();
  const runs = Math.max(...Object.values(patterns).map((p) => p.length));
  for (let i = 0; i < runs; i++) {
    const attempts = [];
    for (const [title, pattern] of Object.entries(patterns)) {
      const c = pattern[i];
      const error = `Error: ${title} went wrong`;
      if (c === 'P') attempts.push(attempt(title, 'passed'));
      if (c === 'S') attempts.push(attempt(title, 'skipped'));
      if (c === 'F') attempts.push(attempt(title, 'failed', 0, { error }), attempt(title, 'failed', 1, { error }));
      if (c === 'R') attempts.push(attempt(title, 'failed', 0, { error: { message: `\u001b[31m${error}\u001b[39m` } }), attempt(title, 'passed', 1));
    }
    h.addRun({ id: `run-${i}`, startedAt: T0 + i * 60_000, commit: commits ? commits[i] : `commit-${i}`, attempts });
  }
  return h;
}

const key = (title) => `chromium › shop.spec.ts › shop › ${title}`;

test('a run added, saved and loaded back keeps every attempt', () => {
  const dir = tempDir();
  const file = path.join(dir, 'sub', 'history.json');
  const h = History.empty();
  const added = h.addRun({
    id: 'ci-42-shard-1',
    startedAt: new Date(T0),
    endedAt: T0 + 5000,
    commit: 'abc123',
    shard: { index: 1, total: 2, fingerprint: 'f1', predictedMs: 4000, actualMs: 5000 },
    attempts: [
      attempt('adds', 'failed', 0, { line: 12, tags: ['@smoke'], error: { message: 'page.goto: net::ERR_CONNECTION_REFUSED' } }),
      attempt('adds', 'passed', 1, { line: 12, tags: ['@smoke'] }),
      attempt('pays', 'failed', 0, { expectedStatus: 'failed' }),
    ],
  });
  assert.deepEqual(added, { runId: 'ci-42-shard-1', newRun: true, tests: 2, attempts: 3 });
  const saved = h.save(file);
  assert.equal(saved.path, file);
  assert.deepEqual([saved.runs, saved.tests], [1, 2]);
  assert.equal(saved.bytes, fs.statSync(file).size);

  const back = History.load(file);
  assert.equal(back.path, file);
  assert.equal(back.existed, true);
  assert.deepEqual([back.runCount, back.testCount, back.attemptCount], [1, 2, 3]);
  assert.deepEqual(back.runs(), [
    {
      id: 'ci-42-shard-1',
      startedAt: T0,
      endedAt: T0 + 5000,
      commit: 'abc123',
      shard: { index: 1, total: 2, fingerprint: 'f1', predictedMs: 4000, actualMs: 5000 },
    },
  ]);
  assert.deepEqual(back.testKeys(), [key('adds'), key('pays')]);
  assert.deepEqual(back.lastOutcomes([key('adds'), key('pays'), key('nope')]), ['flaky', 'passed', null]);
  // The same run again adds nothing.
  assert.deepEqual(back.addRun({ id: 'ci-42-shard-1', attempts: [attempt('adds', 'passed')] }), {
    runId: 'ci-42-shard-1',
    newRun: false,
    tests: 0,
    attempts: 0,
  });
  // The file is compact: one line per test, per-test arrays.
  const text = fs.readFileSync(file, 'utf8');
  assert.match(text, /^\{"format":"shardwright-history","version":2,"revision":"[0-9a-f]{16}"/);
  assert.match(text, /\n\{"p":0,"f":0,"t":\["shop","adds"\],"l":12,"g":\["@smoke"\],"r":\[0,0\],"s":"fp","d":\[100,101\],"e":\[1,0\]\}/);
  assert.match(text, /\n\["page\.goto: net::ERR_CONNECTION_REFUSED","retryable","network","ERR_CONNECTION_REFUSED"\]/);
  assert.match(text, /"s":"F"/, 'an expected failure is an upper-case letter');
});

test('the commit is detected when the run does not say (GITHUB_SHA first)', async () => {
  const { run } = require('./helpers.js');
  const script = `
    const { History } = require(${JSON.stringify(path.resolve(__dirname, '../js/index.js'))});
    const h = History.empty();
    h.addRun({ id: 'a', attempts: [] });
    h.addRun({ id: 'b', commit: null, attempts: [] });
    console.log(JSON.stringify(h.runs().map((r) => r.commit ?? null)));`;
  const r = await run(process.execPath, ['-e', script], { env: { GITHUB_SHA: 'feedbeef', CI_COMMIT_SHA: 'other' } });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), ['feedbeef', null]);
  const git = await run(process.execPath, ['-e', script], { env: { GITHUB_SHA: '', CI_COMMIT_SHA: '' } });
  const head = await run('git', ['rev-parse', 'HEAD']);
  assert.deepEqual(JSON.parse(git.stdout), [head.stdout.trim(), null]);
});

test('estimates: recent passes, then the file mean, then the suite median, then the default', () => {
  const h = History.empty();
  const durations = [100, 110, 9000, 90, 105]; // one outlier
  durations.forEach((ms, i) => {
    h.addRun({
      id: `r${i}`,
      startedAt: T0 + i,
      commit: null,
      attempts: [
        { project: 'chromium', file: 'a.spec.ts', titlePath: ['fast'], durationMs: ms, status: 'passed' },
        { project: 'chromium', file: 'a.spec.ts', titlePath: ['slow'], durationMs: 3000, status: 'passed' },
        { project: 'chromium', file: 'b.spec.ts', titlePath: ['b'], durationMs: 50, status: 'failed' },
      ],
    });
  });
  const got = h.estimates(['chromium › a.spec.ts › fast', 'chromium › a.spec.ts › new', 'chromium › c.spec.ts › new', 'chromium › b.spec.ts › b']);
  assert.deepEqual(got, [
    { key: 'chromium › a.spec.ts › fast', ms: 105, source: 'history', samples: 5 },
    { key: 'chromium › a.spec.ts › new', ms: (105 + 3000) / 2, source: 'file', samples: 0 },
    { key: 'chromium › c.spec.ts › new', ms: 105, source: 'suite', samples: 0 },
    { key: 'chromium › b.spec.ts › b', ms: 50, source: 'history', samples: 5 },
  ]);
  assert.deepEqual(History.empty().estimates(['x']), [{ key: 'x', ms: 1000, source: 'default', samples: 0 }]);
});

test('verdicts on a crafted history: stable, flaky, broken since a commit, fixed, failing, skipped', () => {
  const h = crafted({
    stable: 'PPPPPPPP',
    'flaky retry': 'PPRPPPRP',
    'flaky flips': 'PFPPFPPP',
    broken: 'PPPPPFFF',
    fixed: 'PFFFPPPP',
    'new failure': 'PPPPPPPF',
    skipped: 'SSSSSSSS',
  });
  const report = h.analyze({ now: T0 });
  assertValidReport(report);
  assert.deepEqual(report.summary, { tests: 7, stable: 1, flaky: 2, broken: 1, failing: 1, fixed: 1, skipped: 1, quarantined: 1, incidents: 0 });
  assert.deepEqual(
    report.tests.map((t) => [t.titlePath[1], t.verdict]),
    [
      ['broken', 'broken'],
      ['flaky flips', 'flaky'],
      ['flaky retry', 'flaky'],
      ['new failure', 'failing'],
      ['fixed', 'fixed'],
    ],
  );
  const byTitle = Object.fromEntries(report.tests.map((t) => [t.titlePath[1], t]));
  const broken = byTitle.broken;
  assert.deepEqual([broken.since.commit, broken.since.runId, broken.before.commit], ['commit-5', 'run-5', 'commit-4']);
  assert.equal(broken.evidence.outcomes, 'PPPPPFFF');
  assert.deepEqual(broken.evidence.errors, [
    { message: 'Error: broken went wrong', class: 'retryable', rule: 'unknown', signature: 'Error: broken went wrong', count: 6 },
  ]);
  assert.deepEqual(
    broken.evidence.runs.map((r) => r.runId),
    ['run-7', 'run-6', 'run-5'],
  );
  const fixed = byTitle.fixed;
  assert.deepEqual([fixed.since.commit, fixed.before.commit], ['commit-4', 'commit-1']);
  const flaky = byTitle['flaky retry'];
  assert.deepEqual([flaky.flaky, flaky.passed, flaky.failed, flaky.evidence.outcomes], [2, 6, 0, 'PPRPPPRP']);
  assert.equal(flaky.evidence.errors[0].message, 'Error: flaky retry went wrong', 'ANSI colours stripped');
  // Four flips outweigh two flaky runs; both are over the flaky threshold.
  assert.equal(byTitle['flaky flips'].flips, 4);
  assert.ok(byTitle['flaky flips'].score > flaky.score && flaky.score >= 0.1, `${byTitle['flaky flips'].score} > ${flaky.score}`);
  // Quarantined: the flaky tests over 0.3.
  assert.deepEqual(
    report.quarantine.map((q) => [q.key, q.reason]),
    report.tests.filter((t) => t.verdict === 'flaky' && t.score >= 0.3).map((t) => [t.key, 'score']),
  );
  assert.equal(report.generatedAt, '2026-01-01T00:00:00.000Z');
  // The latest run's summary.
  assert.deepEqual(report.run, {
    runId: 'run-7',
    commit: 'commit-7',
    startedAt: new Date(T0 + 7 * 60_000).toISOString(),
    tests: 7,
    passed: 4,
    failed: 2,
    flaky: 0,
    skipped: 1,
    failedTests: [key('broken'), key('new failure')],
    flakyTests: [],
    failedQuarantined: [],
    failedNotQuarantined: [key('broken'), key('new failure')],
    failedInfrastructure: [],
    quarantineAsOf: 'run-start',
  });
});

test('the same commit passing and failing is flaky even with few runs', () => {
  const h = crafted({ t: 'PF' }, ['same', 'same']);
  const [t] = h.analyze().tests;
  assert.deepEqual([t.verdict, t.sameCommit], ['flaky', ['same']]);
  const h2 = crafted({ t: 'PF' }, ['one', 'two']);
  assert.equal(h2.analyze().tests[0].verdict, 'failing');
});

test('thresholds, the window and the quarantine list are options', () => {
  const h = crafted({ a: 'PFPPPPPPPPPPPPPPPPPP', b: 'PPPPPPPPPPPPPPPPPPPP', c: 'PPPPPPPPPPPPPPPPPPRP' });
  const strict = h.analyze({ flakyThreshold: 0.01 });
  assert.deepEqual(strict.tests.map((t) => t.titlePath[1]).sort(), ['a', 'c']);
  const narrow = h.analyze({ window: 5 });
  assert.deepEqual(
    narrow.tests.map((t) => t.titlePath[1]),
    ['c'],
    'a flaked before the window',
  );
  const listed = h.analyze({ quarantine: ['chromium › shop.spec.ts › shop › b', /SHOP › A$/i], quarantineThreshold: 1 });
  assert.deepEqual(
    listed.quarantine.map((q) => [q.key, q.reason, q.rule]),
    [
      [key('a'), 'listed', '/SHOP › A$/i'],
      [key('b'), 'listed', 'chromium › shop.spec.ts › shop › b'],
    ],
  );
  assert.equal(listed.tests.find((t) => t.key === key('b')).quarantined, true, 'a listed stable test is reported');
  assert.deepEqual(h.analyze({ runId: 'run-18' }).run.flakyTests, [key('c')]);
});

test('bad options and runs get ERR_SHARDWRIGHT_CONFIG naming the field', () => {
  const h = crafted({ a: 'PP' });
  const cases = [
    [() => h.analyze({ window: 0 }), 'invalid window: 0 (a whole number from 1 to 1000)'],
    [() => h.analyze({ flakyThreshold: 2 }), 'invalid flakyThreshold: 2 (a number from 0 to 1)'],
    [() => h.analyze({ quarantineThreshold: 'high' }), 'invalid quarantineThreshold: "high" (a number)'],
    [() => h.analyze({ brokenAfter: 1.5 }), 'invalid brokenAfter: 1.5 (a whole number from 1 to 1000)'],
    [() => h.analyze({ halfLife: -1 }), 'invalid halfLife: -1 (a number of runs > 0)'],
    [() => h.analyze({ quarantine: 'x' }), 'invalid quarantine: "x" (an array of test keys, key prefixes or RegExps)'],
    [() => h.analyze({ quarantine: [{ regex: '(' }] }), /^invalid quarantine\[0\]: \/\(\/ \(a valid regular expression/],
    [() => h.analyze({ runId: 'nope' }), 'invalid runId: "nope" (the id of a run in the history)'],
    [() => h.addRun(null), 'invalid run: null (an object with an `attempts` array)'],
    [() => h.addRun({}), 'invalid run.attempts: missing (a required field)'],
    [() => h.addRun({ attempts: [{ file: 'a', titlePath: ['t'], durationMs: NaN, status: 'passed' }] }), 'invalid run.attempts[0].durationMs: null (f64)'],
    [
      () => h.addRun({ attempts: [{ file: 'a', titlePath: ['t'], durationMs: 1, status: 'ok' }] }),
      'invalid attempts[0].status: "ok" (one of passed, failed, timedOut, skipped or interrupted)',
    ],
    [
      () => h.addRun({ attempts: [{ file: 'a', titlePath: 't', durationMs: 1, status: 'passed' }] }),
      'invalid run.attempts[0].titlePath: string "t" (a sequence)',
    ],
    [() => h.addRun({ shard: { index: 0, total: 2 }, attempts: [] }), 'invalid run.shard: 0/2 (index from 1 to total, total ≥ 1)'],
    [() => h.addRun({ startedAt: 'yesterday', attempts: [] }), 'invalid run.startedAt: "yesterday" (an ISO 8601 time or milliseconds since the epoch)'],
    [() => History.load('x.json', { maxRuns: 0 }), 'invalid maxRuns: 0 (a whole number from 1 to 1000)'],
    [() => History.load('x.json', { reset: 'sure' }), 'invalid reset: "sure" (true or false)'],
    [() => History.load(''), "invalid path: '' (a file path)"],
    [() => h.estimates('a'), "invalid keys: 'a' (an array of test keys (strings))"],
    [() => h.merge(42), 'invalid other: 42 (a History or the path of a history file)'],
  ];
  for (const [fn, message] of cases) {
    assert.throws(fn, (err) => {
      assert.equal(err.code, 'ERR_SHARDWRIGHT_CONFIG', err.message);
      if (typeof message === 'string') assert.equal(err.message, message);
      else assert.match(err.message, message);
      return true;
    });
  }
});

test('merge: shards of one pipeline into one history, no run duplicated', () => {
  const base = crafted({ a: 'PP', b: 'PP' });
  const dir = tempDir();
  base.save(path.join(dir, 'base.json'));
  const shard1 = History.load(path.join(dir, 'base.json'));
  const shard2 = History.load(path.join(dir, 'base.json'));
  shard1.addRun({ id: 'pipe-9-1', startedAt: T0 + 1e6, commit: 'c9', shard: { index: 1, total: 2 }, attempts: [attempt('a', 'passed')] });
  shard2.addRun({
    id: 'pipe-9-2',
    startedAt: T0 + 1e6 + 5,
    commit: 'c9',
    shard: { index: 2, total: 2 },
    attempts: [attempt('b', 'failed'), attempt('b', 'passed', 1)],
  });
  const merged = History.load(path.join(dir, 'base.json'));
  assert.deepEqual(merged.merge(shard1), { runsAdded: 1, runsShared: 2, testsAdded: 0, attemptsAdded: 1 });
  assert.deepEqual(merged.merge(shard2), { runsAdded: 1, runsShared: 2, testsAdded: 0, attemptsAdded: 2 });
  assert.deepEqual(merged.merge(shard2), { runsAdded: 0, runsShared: 3, testsAdded: 0, attemptsAdded: 0 });
  assert.deepEqual(merged.merge(merged), { runsAdded: 0, runsShared: 4, testsAdded: 0, attemptsAdded: 0 });
  assert.deepEqual(
    merged.runs().map((r) => r.id),
    ['run-0', 'run-1', 'pipe-9-1', 'pipe-9-2'],
  );
  assert.equal(merged.attemptCount, 4 + 1 + 2);
  shard1.save(path.join(dir, 's1.json'));
  const viaPath = History.load(path.join(dir, 'base.json'));
  assert.equal(viaPath.merge(path.join(dir, 's1.json')).runsAdded, 1);
  assert.deepEqual(merged.lastOutcomes([key('a'), key('b')]), ['passed', 'flaky']);
});

test('bounds: the last maxRuns runs per test are kept', () => {
  const h = History.empty({ maxRuns: 3 });
  for (let i = 0; i < 6; i++) h.addRun({ id: `r${i}`, startedAt: T0 + i, commit: null, attempts: [attempt('t', 'passed', 0, { durationMs: i })] });
  assert.equal(h.attemptCount, 3);
  const dir = tempDir();
  const saved = h.save(path.join(dir, 'h.json'));
  assert.equal(saved.runs, 3, 'runs no test refers to are dropped');
  assert.deepEqual(
    History.load(path.join(dir, 'h.json'))
      .runs()
      .map((r) => r.id),
    ['r3', 'r4', 'r5'],
  );
  assert.equal(History.load(path.join(dir, 'h.json')).maxRuns, 3, 'the bound is stored in the file');
  assert.equal(History.load(path.join(dir, 'h.json'), { maxRuns: 2 }).attemptCount, 2, 'an explicit option overrides it');
});

test('flakyReport(): from a path or a History, callbacks once per test in order, then onReport', async () => {
  const h = crafted({ stable: 'PPPP', flaky: 'PRPR', broken: 'PFFF', fixed: 'FFFP' });
  const dir = tempDir();
  const file = path.join(dir, 'history.json');
  h.save(file);
  const calls = [];
  const report = await flakyReport(file, {
    quarantine: ['chromium › shop.spec.ts › shop › stable'],
    onFlaky: (t) => calls.push(['flaky', t.titlePath[1]]),
    onBroken: (t) => calls.push(['broken', t.titlePath[1]]),
    onFixed: (t) => calls.push(['fixed', t.titlePath[1]]),
    onFailing: (t) => calls.push(['failing', t.titlePath[1]]),
    onQuarantined: (q, t) => calls.push(['quarantined', q.key.split(' › ').pop(), q.reason, t?.verdict]),
    onReport: (r) => calls.push(['report', r.summary.tests]),
  });
  assertValidReport(report);
  assert.deepEqual(calls, [
    ['broken', 'broken'],
    ['flaky', 'flaky'],
    ['fixed', 'fixed'],
    ['quarantined', 'flaky', 'score', 'flaky'],
    ['quarantined', 'stable', 'listed', 'stable'],
    ['report', 4],
  ]);
  const fromHistory = await flakyReport(await loadHistory(file), { now: 0, quarantine: ['chromium › shop.spec.ts › shop › stable'] });
  assert.deepEqual(fromHistory.summary, report.summary);
  await assert.rejects(
    flakyReport(file, { onFlaky: 'yes' }),
    (err) => err.code === 'ERR_SHARDWRIGHT_CONFIG' && err.message === "invalid onFlaky: 'yes' (a function)",
  );
  await assert.rejects(loadHistory(path.join(dir)), (err) => err.code === 'ERR_SHARDWRIGHT_HISTORY');
});

test('events: a published report reaches listeners; a throwing listener does not stop the others', async () => {
  const h = crafted({ flaky: 'PRPR', broken: 'PFFF' });
  const report = h.analyze();
  const seen = [];
  const onFlaky = (t) => seen.push(['flaky', t.key]);
  const onBroken = () => {
    throw new Error('listener bug');
  };
  const onBroken2 = (t) => seen.push(['broken', t.key]);
  events.on('flaky', onFlaky);
  events.on('broken', onBroken);
  events.on('broken', onBroken2);
  const next = events.nextReport();
  const stderrWrite = process.stderr.write;
  let stderr = '';
  process.stderr.write = (chunk) => {
    stderr += chunk;
    return true;
  };
  try {
    events.publish(report);
  } finally {
    process.stderr.write = stderrWrite;
    events.off('flaky', onFlaky);
    events.off('broken', onBroken);
    events.off('broken', onBroken2);
  }
  assert.deepEqual(seen, [
    ['broken', key('broken')],
    ['flaky', key('flaky')],
  ]);
  assert.match(stderr, /shardwright: a 'broken' listener threw: Error: listener bug/);
  assert.equal(await next, report);
  assert.equal(await events.report(), report);
  assert.equal(events.lastReport, report);
  // One emitter per process, whichever copy of the module is loaded.
  assert.equal(globalThis[Symbol.for('shardwright.flakyEvents')], events);
  assert.throws(
    () => events.publish({}),
    (err) => err.code === 'ERR_SHARDWRIGHT_CONFIG',
  );
});

test('Markdown and terminal summaries', () => {
  const h = crafted({ stable: 'PPPP', 'flaky | pipe': 'PRPR', broken: 'PFFF' });
  const report = h.analyze({ now: 0 });
  const md = flakyMarkdown(report);
  assert.match(md, /^## shardwright flaky report\n/);
  assert.match(md, /\*\*1 flaky\*\* · \*\*1 broken\*\* · 0 failing · 0 fixed · 1 stable · 1 quarantined — 3 tests over 4 runs/);
  assert.match(md, /### Broken \(1\)/);
  assert.match(
    md,
    /\| `chromium › shop\.spec\.ts › shop › broken` \| `commit-` 2026-01-01 00:01 \| `commit-` 2026-01-01 00:00 \| `PFFF` \| unknown: Error: broken went wrong \|/,
  );
  assert.match(md, /\| `chromium › shop\.spec\.ts › shop › flaky \\\| pipe` \| 0\.\d\d \| `PRPR` \| 2 \/ 0 \/ 2 \| yes \|/, 'pipes escaped');
  assert.match(md, /### Quarantined \(1\)\n\n- `chromium › shop\.spec\.ts › shop › flaky \\\| pipe` — score 0\.\d\d/);
  const text = flakySummary(report);
  assert.equal(text.split('\n')[0], 'shardwright: 1 flaky, 1 broken, 1 stable (4 runs in the history) · 1 quarantined');
  assert.match(text, /\n {2}broken {2}chromium › shop\.spec\.ts › shop › broken {2}PFFF {2}since commit-\n/);
  assert.match(text, /\n {2}flaky {3}chromium › shop\.spec\.ts › shop › flaky \| pipe {2}score 0\.\d\d {2}PRPR {2}\[quarantined\]\n$/);
  assert.equal(flakySummary(crafted({ a: 'PP' }).analyze()), 'shardwright: 1 test, none flaky or broken (2 runs in the history)\n');
  assert.match(flakyMarkdown(crafted({ a: 'PP' }).analyze()), /No flaky, broken or failing tests\. ✅/);
});

test('testKey() builds the keys the engine stores', () => {
  const tests = [
    { project: 'chromium', file: 'a/b.spec.ts', titlePath: ['group', 'does it'] },
    { project: '', file: '.\\win\\c.spec.ts', titlePath: ['t'] },
    { project: 'firefox', file: './x.spec.ts:12:3', titlePath: ['d', 'e', 'f'] },
  ];
  const h = History.empty();
  h.addRun({ id: 'r', commit: null, attempts: tests.map((t) => ({ ...t, durationMs: 1, status: 'passed' })) });
  assert.deepEqual(tests.map(sw.testKey).sort(), h.testKeys().sort());
  assert.deepEqual(h.testKeys().sort(), ['chromium › a/b.spec.ts › group › does it', 'firefox › x.spec.ts › d › e › f', 'win/c.spec.ts › t']);
  assert.equal(History.testKey(tests[0]), 'chromium › a/b.spec.ts › group › does it');
  assert.throws(
    () => sw.testKey({ file: 1 }),
    (err) => err.code === 'ERR_SHARDWRIGHT_CONFIG',
  );
});

test('the ESM entry exports the same API', async () => {
  const esm = await import('../js/index.mjs');
  for (const name of ['History', 'loadHistory', 'flakyReport', 'flakyMarkdown', 'flakySummary', 'events', 'defaultHistoryPath', 'testKey']) {
    assert.equal(esm[name], sw[name], name);
  }
});
