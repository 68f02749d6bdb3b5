'use strict';
// Real `npx playwright test` runs of examples/, repeated, with the
// shardwright reporter recording each: a deliberately flaky test, a test
// broken by a "commit", stable tests, and a test that passes only on retry
// are each classified correctly; quarantine then lets a run pass, or skips.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { runExamples, reportTests, tempDir, run, ROOT } = require('./helpers.js');

const dir = tempDir('shardwright-flaky-');
const HISTORY = path.join(dir, 'history.json');
const REPORTS = path.join(dir, 'reports');
const SUMMARY = path.join(dir, 'step-summary.md');
const FILES = ['tests/shop.spec.ts', 'tests/demo-faults.spec.ts', 'tests/backoff.spec.ts'];

const FLAKY = 'chromium › demo-faults.spec.ts › checkout total is shown';
const BROKEN = 'chromium › demo-faults.spec.ts › search keeps the query';
const RETRIED = 'chromium › backoff.spec.ts › recovers after a refused connection';
const STABLE = [
  'chromium › shop.spec.ts › home page shows the shop',
  'chromium › shop.spec.ts › adding to the cart counts items',
  'chromium › shop.spec.ts › search › shows results for the query',
];

// The flaky test fails on runs 2, 4 and 6; the broken one from the commit
// "c2" on (runs 3–5), fixed again in run 6.
const RUNS = [
  { run: 1, commit: 'c1' },
  { run: 2, commit: 'c1' },
  { run: 3, commit: 'c2', broken: true },
  { run: 4, commit: 'c2', broken: true },
  { run: 5, commit: 'c3', broken: true },
];

function env(extra = {}) {
  return {
    SHARDWRIGHT_HISTORY: HISTORY,
    SHARDWRIGHT_REPORT_DIR: REPORTS,
    SHARDWRIGHT_MAX_RETRIES: '1',
    SHARDWRIGHT_INITIAL_DELAY_MS: '100',
    SHARDWRIGHT_DEMO_FLAKY_FAILS: '2,4,6',
    GITHUB_STEP_SUMMARY: SUMMARY,
    ...extra,
  };
}

const byKey = (report) => new Map(report.tests.map((t) => [t.key, t]));

test('five runs: flaky, broken, passed-on-retry and stable tests are told apart', async () => {
  for (const r of RUNS) {
    const result = await runExamples({
      args: FILES,
      env: env({ SHARDWRIGHT_DEMO_RUN: String(r.run), GITHUB_SHA: r.commit, SHARDWRIGHT_DEMO_BROKEN: r.broken ? '1' : '' }),
    });
    const failing = (r.run % 2 === 0 ? 1 : 0) + (r.broken ? 1 : 0);
    assert.equal(result.code, failing ? 1 : 0, `run ${r.run}: exit ${result.code}\n${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /^shardwright: /m, 'the reporter printed its summary');
  }

  const report = JSON.parse(fs.readFileSync(path.join(REPORTS, 'flaky-report.json'), 'utf8'));
  assert.equal(report.kind, 'shardwright-flaky-report');
  assert.equal(report.history.runs, 5);
  const tests = byKey(report);

  const flaky = tests.get(FLAKY);
  assert.equal(flaky.verdict, 'flaky');
  assert.equal(flaky.evidence.outcomes, 'PFPFP');
  assert.deepEqual(flaky.sameCommit, ['c1', 'c2'], 'passed and failed at the same commit');
  assert.ok(flaky.score > 0.3, `score ${flaky.score}`);
  assert.ok(
    flaky.evidence.errors.some((e) => /toHaveText/.test(e.message) && e.class === 'permanent'),
    JSON.stringify(flaky.evidence.errors),
  );

  const broken = tests.get(BROKEN);
  assert.equal(broken.verdict, 'broken');
  assert.equal(broken.evidence.outcomes, 'PPFFF');
  assert.equal(broken.since.commit, 'c2', 'broken since the commit that broke it');
  assert.equal(broken.before.commit, 'c1');

  const retried = tests.get(RETRIED);
  assert.equal(retried.verdict, 'flaky', 'failed, then passed on a retry, in every run');
  assert.equal(retried.evidence.outcomes, 'RRRRR');
  assert.ok(retried.evidence.errors.some((e) => /ERR_CONNECTION_REFUSED/.test(e.message) && e.class === 'retryable' && e.rule === 'network'));

  for (const key of STABLE) assert.equal(tests.has(key) ? tests.get(key).verdict : 'stable', 'stable', key);
  assert.equal(report.summary.stable, STABLE.length);
  assert.equal(report.summary.broken, 1);
  assert.equal(report.summary.flaky, 2);

  // Markdown beside the JSON and in the GitHub step summary (once per run).
  const md = fs.readFileSync(path.join(REPORTS, 'flaky-report.md'), 'utf8');
  assert.match(md, /checkout total is shown/);
  assert.match(md, /search keeps the query/);
  assert.equal(fs.readFileSync(SUMMARY, 'utf8').split('## shardwright flaky report').length - 1, 5);

  // The CLI reads the same history without running tests.
  const cli = await run(process.execPath, [path.join(ROOT, 'js/cli/main.js'), 'report', '--history', HISTORY, '--json']);
  assert.equal(cli.code, 0, cli.stderr);
  const again = byKey(JSON.parse(cli.stdout));
  assert.deepEqual([again.get(FLAKY).verdict, again.get(BROKEN).verdict, again.get(RETRIED).verdict], ['flaky', 'broken', 'flaky']);
});

test('quarantine (run mode): a run whose only failures are quarantined passes, and says so; the broken test is fixed', async () => {
  const result = await runExamples({
    args: FILES,
    env: env({ SHARDWRIGHT_DEMO_RUN: '6', GITHUB_SHA: 'c4' }),
  });
  const pw = reportTests(result.report);
  assert.equal(pw.find((t) => t.title === 'checkout total is shown').status, 'unexpected', 'the flaky test failed');
  assert.equal(result.code, 0, `quarantined failures do not fail the run\n${result.stdout}\n${result.stderr}`);
  assert.match(
    result.stdout,
    /only quarantined tests failed, so the run passes \(quarantineMode: run\):\n {2}- chromium › demo-faults\.spec\.ts › checkout total is shown/,
  );
  const report = JSON.parse(fs.readFileSync(path.join(REPORTS, 'flaky-report.json'), 'utf8'));
  assert.deepEqual(report.run.failedQuarantined, [FLAKY]);
  assert.deepEqual(report.run.failedNotQuarantined, []);
  assert.equal(byKey(report).get(BROKEN).verdict, 'fixed');
  assert.equal(byKey(report).get(BROKEN).since.commit, 'c4');
});

test('quarantine (skip mode): quarantined tests are skipped with the reason, others run', async () => {
  const result = await runExamples({
    args: FILES,
    env: env({ SHARDWRIGHT_DEMO_RUN: '8', GITHUB_SHA: 'c4', SHARDWRIGHT_QUARANTINE_MODE: 'skip' }),
  });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /skipping \d+ quarantined tests? \(quarantineMode: skip\)/);
  const pw = reportTests(result.report);
  const flaky = pw.find((t) => t.title === 'checkout total is shown');
  assert.equal(flaky.status, 'skipped');
  assert.match(flaky.annotations.find((a) => a.type === 'skip').description, /^quarantined by shardwright \(flaky score \d\.\d\d\)$/);
  for (const title of ['home page shows the shop', 'search keeps the query']) {
    assert.equal(pw.find((t) => t.title === title).status, 'expected', title);
  }
});
