'use strict';
// Infrastructure-aware verdicts through the JS API, on real files: an outage
// run is an incident (not hundreds of flaky tests), one flaky run is not
// enough to quarantine, a quarantined test's failure is judged against the
// quarantine as it stood when its run began, old history files and reports
// still read, and retry decisions from a flaky-keys file.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const Ajv = require('ajv/dist/2020');
const addFormats = require('ajv-formats');
const { History } = require('../js/index.js');
const { tempDir } = require('./helpers.js');

const ajv = new Ajv({ strict: true, allErrors: true });
addFormats(ajv);
const validateReport = ajv.compile(require('../schema/flaky-report.schema.json'));
function assertValidReport(report) {
  assert.ok(validateReport(report), JSON.stringify(validateReport.errors, null, 2));
}

const T0 = Date.UTC(2026, 10, 30, 10, 0);
const FILES = 6;
const PER_FILE = 10;
const key = (i, project = 'chromium') => `${project} › area/f${Math.floor(i / PER_FILE)}.spec.ts › suite › test ${i}`;
const REFUSED = (i) =>
  `Error: page.goto: net::ERR_CONNECTION_REFUSED at http://127.0.0.1:${3000 + (i % 3)}/page-${i}\nCall log:\n  - navigating to "http://127.0.0.1:${3000 + (i % 3)}/page-${i}", waiting until "load"`;

function attempt(i, status, retry, error, project = 'chromium') {
  return {
    project,
    file: `area/f${Math.floor(i / PER_FILE)}.spec.ts`,
    titlePath: ['suite', `test ${i}`],
    durationMs: 200 + i,
    status,
    retry,
    ...(error ? { error: { message: error } } : {}),
  };
}

/**
 * Runs of a 60-test suite: `outcome(run, i)` is 'P' (passed), 'R' (failed,
 * passed on the retry), 'F' (failed twice) or an error message (failed twice
 * with it).
 */
function addRuns(history, runs, outcome, { from = 0, project = 'chromium' } = {}) {
  for (let r = from; r < from + runs; r++) {
    const attempts = [];
    for (let i = 0; i < FILES * PER_FILE; i++) {
      const o = outcome(r, i);
      if (o === 'P') attempts.push(attempt(i, 'passed', 0, null, project));
      else if (o === 'R')
        attempts.push(
          attempt(i, 'failed', 0, `Error: Timed out 5000ms waiting for expect(locator).toHaveText(expected)\n\nLocator: locator('#t${i}')`, project),
          attempt(i, 'passed', 1, null, project),
        );
      else {
        const message = o === 'F' ? `Error: test ${i} failed` : o;
        attempts.push(attempt(i, 'failed', 0, message, project), attempt(i, 'failed', 1, message, project));
      }
    }
    history.addRun({ id: `ci-${412 + r}`, startedAt: T0 + r * 3_600_000, endedAt: T0 + r * 3_600_000 + 120_000, commit: `c${r}`, attempts });
  }
}

test('an outage run: stable tests stay stable, the report lists the incident', () => {
  const dir = tempDir();
  const file = path.join(dir, 'history.json');
  const h = History.empty();
  // Test 7 is really flaky (runs 7–9); run 5: the app was down.
  addRuns(h, 10, (r, i) => (r === 5 ? REFUSED(i) : i === 7 && r >= 7 ? 'R' : 'P'));
  h.save(file);
  const back = History.load(file);
  // The history records the incident (and the file keeps it).
  assert.deepEqual(back.incidents(), [{ runId: 'ci-417', signature: 'ERR_CONNECTION_REFUSED', tests: 60, files: 6, ran: 60, confirmed: true, streak: 1 }]);
  assert.match(
    fs.readFileSync(file, 'utf8'),
    /\n"incidents":\[\n\{"run":"ci-417","signature":"ERR_CONNECTION_REFUSED","tests":60,"files":6,"ran":60,"confirmed":true,"streak":1\}\],/,
  );

  const report = back.analyze({ now: T0 });
  assertValidReport(report);
  assert.equal(report.schemaVersion, 2);
  assert.deepEqual(report.summary, { tests: 60, stable: 59, flaky: 1, broken: 0, failing: 0, fixed: 0, skipped: 0, quarantined: 1, incidents: 1 });
  assert.deepEqual(report.incidents, [
    {
      runId: 'ci-417',
      commit: 'c5',
      startedAt: '2026-11-30T15:00:00.000Z',
      endedAt: '2026-11-30T15:02:00.000Z',
      project: null,
      signature: 'ERR_CONNECTION_REFUSED',
      tests: 60,
      files: 6,
      ran: 60,
      share: 1,
      confirmed: true,
      streak: 1,
      summary: 'run ci-417 (2026-11-30 15:00–15:02): 60 of 60 tests in 6 files failed with ERR_CONNECTION_REFUSED',
    },
  ]);
  const [flaky] = report.tests;
  assert.equal(flaky.key, key(7));
  assert.equal(flaky.verdict, 'flaky');
  assert.equal(flaky.evidence.outcomes, 'PPPPPXPRRR', 'the outage run is X, not judged');
  assert.deepEqual([flaky.evidence.flakyRuns, flaky.evidence.flakyCommits, flaky.evidence.infrastructureRuns], [3, 3, 1]);
  const outage = flaky.evidence.runs.find((r) => r.runId === 'ci-417');
  assert.deepEqual([outage.outcome, outage.flaky, outage.infrastructure], ['failed', false, 'ERR_CONNECTION_REFUSED']);
  assert.match(flaky.evidence.why, /^flaky: flakiness seen in 3 runs \(3 commits\) of 9 judged; .* 1 run left out \(infrastructure\); quarantined/);
  // The outage run itself: every failure is infrastructure (and still a failure).
  const run = back.analyze({ runId: 'ci-417' }).run;
  assert.equal(run.failed, 60);
  assert.equal(run.failedInfrastructure.length, 60);
  assert.equal(run.quarantineAsOf, 'run-start');
});

test("an outage of one project is that project's incident; the same test is judged per project", () => {
  const h = History.empty();
  addRuns(h, 6, () => 'P');
  // webkit's browser crashed in one run (chromium fine); chromium's test 3
  // flaked twice, webkit's did not.
  for (let r = 0; r < 6; r++) {
    const attempts = [];
    for (let i = 0; i < 60; i++) {
      attempts.push(r === 2 ? attempt(i, 'failed', 0, 'Error: page.click: Target crashed', 'webkit') : attempt(i, 'passed', 0, null, 'webkit'));
      if (i === 3 && (r === 1 || r === 4)) attempts.push(attempt(i, 'failed', 0, 'Error: flaked'), attempt(i, 'passed', 1));
      else attempts.push(attempt(i, 'passed', 0));
    }
    h.addRun({ id: `w-${r}`, startedAt: T0 + 10 * 3_600_000 + r * 60_000, commit: `w${r}`, attempts });
  }
  const report = h.analyze({ incidentMinShare: 0.6 });
  assertValidReport(report);
  assert.deepEqual(
    report.incidents.map((i) => [i.runId, i.project, i.signature, i.tests, i.ran]),
    [['w-2', 'webkit', 'browser crashed', 60, 60]],
  );
  assert.deepEqual(
    report.tests.map((t) => [t.key, t.project, t.verdict]),
    [[key(3), 'chromium', 'flaky']],
  );
});

test('flaky in one run: flaky, not quarantined; in two runs: quarantined', () => {
  const h = History.empty();
  addRuns(h, 3, (r, i) => (i === 1 && r === 1 ? 'R' : 'P'));
  let report = h.analyze();
  let t = report.tests.find((x) => x.key === key(1));
  assert.equal(t.verdict, 'flaky');
  assert.equal(t.quarantined, false);
  assert.deepEqual(report.quarantine, []);
  assert.match(t.evidence.why, /not quarantined: flakiness in 1 run \(needs 2\)/);
  addRuns(h, 1, (r, i) => (i === 1 ? 'R' : 'P'), { from: 3 });
  report = h.analyze();
  t = report.tests.find((x) => x.key === key(1));
  assert.equal(t.quarantined, true);
  assert.deepEqual(
    report.quarantine.map((q) => [q.key, q.reason, q.flakyRuns, q.flakyCommits, q.since.runId, q.cleanRuns]),
    [[key(1), 'score', 2, 2, 'ci-415', 0]],
  );
  assertValidReport(report);
  // quarantineMinRuns: 3 asks for more evidence.
  assert.deepEqual(h.analyze({ quarantineMinRuns: 3 }).quarantine, []);
});

test("a quarantined test that fails again is judged by the quarantine as of its run's start, and stays quarantined", () => {
  const dir = tempDir();
  const file = path.join(dir, 'history.json');
  const h = History.empty();
  addRuns(h, 3, (r, i) => (i === 0 && r !== 1 ? 'R' : 'P'));
  h.save(file);
  // What the reporter prints before run 4.
  const atStart = History.load(file).analyze();
  assert.deepEqual(
    atStart.quarantine.map((q) => q.key),
    [key(0)],
  );
  // Run 4: the quarantined test fails on every attempt.
  const after = History.load(file);
  addRuns(after, 1, (r, i) => (i === 0 ? 'F' : 'P'), { from: 3 });
  after.save();
  const report = History.load(file).analyze({ runId: 'ci-415' });
  assert.deepEqual(report.run.failedQuarantined, [key(0)]);
  assert.deepEqual(report.run.failedNotQuarantined, []);
  assert.deepEqual(
    report.quarantine.map((q) => q.key),
    [key(0)],
    'still quarantined after its failure',
  );
  // The list printed at the start can be passed as such.
  const given = History.load(file).analyze({ runId: 'ci-415', startQuarantine: atStart.quarantine.map((q) => q.key) });
  assert.deepEqual([given.run.failedQuarantined, given.run.quarantineAsOf], [[key(0)], 'given']);
  // It leaves quarantine after quarantineReleaseAfter clean runs.
  const released = History.load(file);
  addRuns(released, 3, () => 'P', { from: 4 });
  assert.deepEqual(
    released.analyze({ quarantineReleaseAfter: 4 }).quarantine.map((q) => q.cleanRuns),
    [3],
  );
  assert.deepEqual(released.analyze({ quarantineReleaseAfter: 3 }).quarantine, []);
});

test('a version 1 history file loads and is saved as version 2', () => {
  const dir = tempDir();
  const file = path.join(dir, 'history.json');
  const v1 = [
    '{"format":"shardwright-history","version":1,"revision":"0123456789abcdef","savedAt":1767323100000,"maxRuns":20,"maxAgeDays":60,',
    '"runs":[',
    '{"id":"r1","startedAt":1767323045000,"commit":"4e1d","source":"reporter"},',
    '{"id":"r2","startedAt":1767409445000,"commit":"5f2e","source":"reporter"}],',
    '"errors":[',
    '["Error: page.goto: net::ERR_CONNECTION_REFUSED at http://127.0.0.1:3000/","retryable","network"]],',
    '"projects":["chromium"],',
    '"files":["cart.spec.ts"],',
    '"tests":[',
    '{"p":0,"f":0,"t":["cart lists the items"],"l":3,"r":[0,0,1],"s":"fpp","d":[812,790,701],"e":[1,0,0]}]}',
    '',
  ].join('\n');
  fs.writeFileSync(file, v1);
  const h = History.load(file);
  assert.deepEqual([h.runCount, h.testCount, h.attemptCount], [2, 1, 3]);
  const report = h.analyze();
  assert.equal(report.tests[0].evidence.errors[0].signature, 'ERR_CONNECTION_REFUSED');
  h.save();
  const text = fs.readFileSync(file, 'utf8');
  assert.match(text, /^\{"format":"shardwright-history","version":2,/);
  assert.match(text, /\["Error: page\.goto: net::ERR_CONNECTION_REFUSED at http:\/\/127\.0\.0\.1:3000\/","retryable","network","ERR_CONNECTION_REFUSED"\]/);
  assert.deepEqual(History.load(file).lastOutcomes(['chromium › cart.spec.ts › cart lists the items']), ['passed']);
});

test("a version 1 report (an earlier release's) still validates; version 2 requires the new parts", () => {
  const v1 = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures/flaky-report-v1.json'), 'utf8'));
  assert.equal(v1.schemaVersion, 1);
  assertValidReport(v1);
  const v2missing = { ...v1, schemaVersion: 2 };
  assert.equal(validateReport(v2missing), false, 'a version 2 report needs `incidents`');
  assert.ok(
    validateReport.errors.some((e) => e.params && e.params.missingProperty === 'incidents'),
    JSON.stringify(validateReport.errors),
  );
});

test("the user's patterns classify the history's errors; retry decisions from a flaky-keys file", () => {
  const dir = tempDir();
  const h = History.empty();
  const options = { permanent: ['license expired'], retryable: [/^TypeError: Cannot read properties of null/] };
  addRuns(
    h,
    4,
    (r, i) => {
      if (i === 0 && (r === 1 || r === 3)) return 'R';
      if (i === 2) return 'Error: the license expired';
      return 'P';
    },
    {},
  );
  const h2 = History.empty();
  h2.addRun({ id: 'x', commit: null, attempts: [attempt(2, 'failed', 0, 'Error: the license expired')] }, options);
  assert.deepEqual(
    h2.analyze().tests[0].evidence.errors.map((e) => [e.class, e.rule]),
    [['permanent', 'user:license expired']],
  );
  assert.deepEqual(
    h
      .analyze(options)
      .tests.find((t) => t.key === key(2))
      .evidence.errors.map((e) => [e.class, e.rule]),
    [['permanent', 'user:license expired']],
  );

  const keysFile = path.join(dir, 'flaky-keys.json');
  assert.deepEqual(h.writeFlakyKeys(keysFile), { path: keysFile, keys: 1 });
  assert.deepEqual(JSON.parse(fs.readFileSync(keysFile, 'utf8')).keys, [key(0)]);
  assert.deepEqual(h.flakyKeys(), [key(0)]);
  const ask = (k, error, extra = {}) => History.decideRetry({ key: k, error, flakyKeys: keysFile, ...extra });
  // No flaky history and a programming error: not retried.
  const typeError = ask(key(5), { name: 'TypeError', message: "TypeError: Cannot read properties of undefined (reading 'id')" });
  assert.deepEqual([typeError.retry, typeError.reason, typeError.rule], [false, 'permanent', 'programming-error']);
  // Flaky history: always retried.
  assert.deepEqual([ask(key(0), 'ReferenceError: x is not defined').retry, ask(key(0), 'ReferenceError: x is not defined').reason], [true, 'flaky-history']);
  // Web-first assertion timeouts, network errors: retried.
  assert.equal(ask(key(5), 'Error: Timed out 5000ms waiting for expect(locator).toHaveText(expected)').retry, true);
  assert.equal(ask(key(5), 'Error: page.goto: net::ERR_CONNECTION_REFUSED at http://127.0.0.1:3000/').retry, true);
  // The user's patterns.
  assert.equal(ask(key(2), 'Error: the license expired', options).retry, false);
  assert.equal(ask(key(5), "TypeError: Cannot read properties of null (reading 'x')", options).retry, true);
  // No flaky-keys file yet (no history): retried.
  assert.deepEqual(
    [
      History.decideRetry({ key: key(5), error: 'TypeError: boom', flakyKeys: path.join(dir, 'none.json') }).retry,
      History.decideRetry({ key: key(5), error: 'TypeError: boom', flakyKeys: path.join(dir, 'none.json') }).reason,
    ],
    [true, 'no-history'],
  );
  // On the history itself.
  assert.equal(h.decideRetry(key(5), 'TypeError: boom').retry, false);
  assert.equal(h.decideRetry(key(0), 'TypeError: boom').retry, true);
  assert.throws(
    () => History.decideRetry({ key: key(5), error: 5, flakyKeys: keysFile }),
    (err) => err.code === 'ERR_SHARDWRIGHT_CONFIG' && err.message === 'invalid error: 5 (an error message or { name, message })',
  );
  fs.writeFileSync(path.join(dir, 'bad.json'), '{"format":"other","version":1,"keys":[]}');
  assert.throws(
    () => History.decideRetry({ key: key(5), error: 'x', flakyKeys: path.join(dir, 'bad.json') }),
    (err) => err.code === 'ERR_SHARDWRIGHT_HISTORY',
  );
});

test('bad thresholds name the option', () => {
  const h = History.empty();
  for (const [options, message] of [
    [{ quarantineMinRuns: 0 }, 'invalid quarantineMinRuns: 0 (a whole number from 1 to 1000)'],
    [{ quarantineReleaseAfter: 'soon' }, 'invalid quarantineReleaseAfter: "soon" (a number)'],
    [{ incidentMinShare: 1.5 }, 'invalid incidentMinShare: 1.5 (a number above 0 and at most 1)'],
    [{ incidentMinTests: 0 }, 'invalid incidentMinTests: 0 (a whole number from 1 to 1000000)'],
    [{ startQuarantine: 'x' }, 'invalid startQuarantine: "x" (an array of test keys)'],
    [{ permanent: [{ regex: '(' }] }, /^invalid permanent\[0\]: \/\(\//],
  ]) {
    assert.throws(
      () => h.analyze(options),
      (err) => {
        assert.equal(err.code, 'ERR_SHARDWRIGHT_CONFIG');
        if (typeof message === 'string') assert.equal(err.message, message);
        else assert.match(err.message, message);
        return true;
      },
    );
  }
});
