'use strict';
// `npx shardwright run` as a user runs it: real Playwright processes on
// examples/ (and on a small browserless project for crashes and title
// clashes), their per-batch reports, the history and the flaky report.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { History } = require('../js/index.js');
const native = require('../js/native.js');
const { ROOT, EXAMPLES, freePort, tempDir, run, reportTests } = require('./helpers.js');

const CLI = path.join(ROOT, 'js', 'cli', 'main.js');

/** `node js/cli/main.js run …` in `cwd`, with its own port, output, history and report dir. */
async function shardwrightRun(args, { cwd = EXAMPLES, dir = tempDir('shardwright-run-'), env = {} } = {}) {
  const r = await run(process.execPath, [CLI, 'run', ...args], {
    cwd,
    env: {
      EXAMPLES_PORT: String(await freePort()),
      EXAMPLES_OUTPUT_DIR: path.join(dir, 'test-results'),
      EXAMPLES_JSON_REPORT: path.join(dir, 'report.json'),
      SHARDWRIGHT_HISTORY: path.join(dir, 'history.json'),
      SHARDWRIGHT_REPORT_DIR: path.join(dir, 'report'),
      CI: '1',
      FORCE_COLOR: '0',
      ...env,
    },
    timeoutMs: 240_000,
  });
  return { ...r, dir };
}

/**
 * This machine's batches, in order: each with its --test-list lines and
 * what its Playwright process reported (the engine's reading of the events
 * file js/run/batch-reporter.js wrote): `ran` (keys with their attempts),
 * `began` (keys in the order they started), `order` (its files, longest
 * group first).
 */
function batches(dir) {
  const runs = path.join(dir, 'report', 'runs');
  const [mine] = fs.readdirSync(runs);
  const batchDir = path.join(runs, mine);
  const n = fs.readdirSync(batchDir).filter((f) => /^batch-\d+\.events\.jsonl$/.test(f)).length;
  const read = (file, empty) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : empty);
  return Array.from({ length: n }, (_, i) => {
    const file = (suffix) => path.join(batchDir, `batch-${i + 1}${suffix}`);
    const list = read(file('.txt'), '')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    const events = native.__runEvents(fs.readFileSync(file('.events.jsonl'), 'utf8'));
    const ran = new Map();
    for (const t of events.tests) ran.set(t.key, [...(ran.get(t.key) || []), t.attempt]);
    const order = events.suite
      ? [...new Map(events.suite.groups.map((g) => [`${g.project}/${g.file}`, [g.project, g.file]])).values()]
      : JSON.parse(read(file('.order.json'), '[]'));
    return { list, ran, began: events.began, end: events.end, suite: events.suite, order };
  });
}

/** Test keys as the history stores them, from a report of examples/ (testDir = rootDir). */
function keysOf(report) {
  return reportTests(report).map((t) => ['chromium', t.file, ...t.titlePath].join(' › '));
}

/** The suite of examples/ as `playwright test --list` sees it. */
async function listedKeys(args = []) {
  const out = path.join(tempDir(), 'list.json');
  const r = await run('npx', ['playwright', 'test', '--list', '--reporter=json', ...args], { cwd: EXAMPLES, env: { PLAYWRIGHT_JSON_OUTPUT_FILE: out } });
  assert.equal(r.code, 0, r.stderr);
  return keysOf(JSON.parse(fs.readFileSync(out, 'utf8'))).sort();
}

const BROKEN = 'chromium › demo-faults.spec.ts › search keeps the query';

test('run --workers 2 on examples/: every test once, in one Playwright process with 2 workers, longest group first; history and flaky report written; a failing test fails the run', async () => {
  const suite = await listedKeys();
  assert.equal(suite.length, 14);
  const dir = tempDir('shardwright-run-');

  // 1. No history yet: groups by test count, said once.
  const first = await shardwrightRun(['--workers', '2'], { dir });
  assert.equal(first.code, 0, first.stdout + first.stderr);
  assert.equal(first.stdout.match(/no history yet for these tests: groups are ordered by test count/g).length, 1, first.stdout);
  assert.match(first.stdout, /^shardwright: 14 tests in 6 groups · 2 workers$/m);
  const ran = batches(dir);
  assert.equal(ran.length, 1, 'a machine alone runs its suite as one batch');
  assert.equal(ran[0].end, 'passed');
  assert.deepEqual([...ran[0].ran.keys()].sort(), suite, 'every listed test ran exactly once');
  assert.equal(ran[0].suite.tests, 14, 'the batch planned the suite itself: no listing before');
  // Two workers: some tests ran at the same time.
  const spans = [...ran[0].ran.values()].flat().map((a) => [Date.parse(a.startTime), Date.parse(a.startTime) + a.durationMs]);
  assert.ok(
    spans.some(([s, e], i) => spans.some(([s2], j) => j !== i && s2 > s && s2 < e)),
    'two tests ran at the same time',
  );
  // The run's own files are private to this machine; the wrapper config is gone.
  assert.deepEqual(
    fs.readdirSync(EXAMPLES).filter((f) => f.startsWith('.shardwright-run-')),
    [],
  );

  let history = History.load(path.join(dir, 'history.json'));
  assert.equal(history.runCount, 1);
  assert.deepEqual(history.testKeys().sort(), suite);
  assert.equal(history.runs()[0].source, 'shardwright-run');
  assert.ok(
    history.lastOutcomes(suite).every((o) => o === 'passed' || o === 'flaky'),
    history.lastOutcomes(suite).join(),
  );
  const flaky = JSON.parse(fs.readFileSync(path.join(dir, 'report', 'flaky-report.json'), 'utf8'));
  assert.equal(flaky.run.runId, history.runs()[0].id);
  assert.equal(flaky.summary.tests, 14);
  assert.match(fs.readFileSync(path.join(dir, 'report', 'flaky-report.md'), 'utf8'), /^## shardwright flaky report/);
  assert.match(first.stdout, /^shardwright: 6\/6 groups done, 0 failed, in .* on 2 workers · tests: \d+ passed, 0 failed, \d+ flaky, 0 not run$/m);
  // The config's json reporter got the whole run.
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8'));
  assert.deepEqual(keysOf(json).sort(), suite);

  // 2. A broken test: exit 1, named with its own error; longest group first
  // now that the history knows the durations; the history gets a second run.
  const second = await shardwrightRun(['--workers', '2'], { dir, env: { SHARDWRIGHT_DEMO_BROKEN: '1' } });
  assert.equal(second.code, 1, second.stdout + second.stderr);
  assert.doesNotMatch(second.stdout, /no history/);
  assert.match(
    second.stdout,
    new RegExp(
      `^shardwright: failed:\\n  ✘ ${BROKEN.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(3 attempts\\)\\n      Error: expect\\(locator\\)\\.toHaveText`,
      'm',
    ),
  );
  assert.match(second.stdout, /^shardwright: 6\/6 groups done, 1 failed, in .* · tests: \d+ passed, 1 failed, \d+ flaky, 0 not run$/m);
  const again = batches(dir);
  assert.deepEqual([...again[0].ran.keys()].sort(), suite);
  assert.deepEqual(again[0].order[0], ['chromium', 'slow.spec.ts'], 'the longest group (slow.spec.ts, 2.7 s of waits) comes first');
  assert.ok(
    again[0].began.slice(0, 2).some((k) => k.includes('slow.spec.ts')),
    `a slow.spec.ts test is among the first two to start: ${again[0].began.slice(0, 3).join(', ')}`,
  );
  history = History.load(path.join(dir, 'history.json'));
  assert.equal(history.runCount, 2);
  assert.deepEqual(history.lastOutcomes([BROKEN]), ['failed']);
});

// A browserless Playwright project: a test that kills its own runner (a
// real crash, no report), and titles that clash on --test-list lines.
function writeProject() {
  const dir = tempDir('shardwright-run-project-');
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  fs.mkdirSync(path.join(dir, 'tests'));
  const files = {
    'playwright.config.js': `
      const { defineConfig } = require('@playwright/test');
      module.exports = defineConfig({ testDir: './tests', fullyParallel: true, reporter: 'list' });`,
    // 'login' is a test and a describe: the line of the test would select
    // the describe's tests too, so they must run in one batch.
    'tests/a.spec.js': `const { test } = require('@playwright/test');
      test('login', async () => {});
      test.describe('login', () => { test('works', async () => {}); test('remembers', async () => {}); });
      test('logout', async () => {});`,
    'tests/b.spec.js': `const { test } = require('@playwright/test');
      for (let i = 0; i < 6; i++) test('b' + i, async () => {});`,
    'tests/crash.spec.js': `const { test } = require('@playwright/test');
      test('kills its runner', async () => {
        if (process.env.CRASH_RUNNER === '1') process.kill(process.ppid, 'SIGKILL');
      });`,
  };
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

test('run: clashing --test-list lines run once; a test that kills its Playwright runner: the rest runs again, its group fails after a second death, named with the reason', async () => {
  const cwd = writeProject();
  const ok = await shardwrightRun(['--workers', '2'], { cwd, dir: cwd });
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  const all = batches(cwd)
    .flatMap((b) => [...b.ran.keys()])
    .sort();
  assert.deepEqual(all, [
    'a.spec.js › login',
    'a.spec.js › login › remembers',
    'a.spec.js › login › works',
    'a.spec.js › logout',
    'b.spec.js › b0',
    'b.spec.js › b1',
    'b.spec.js › b2',
    'b.spec.js › b3',
    'b.spec.js › b4',
    'b.spec.js › b5',
    'crash.spec.js › kills its runner',
  ]);
  // The three "login" tests were one group (fullyParallel makes one per test otherwise).
  assert.match(ok.stdout, /^shardwright: 11 tests in 9 groups · 2 workers$/m);

  const crashed = await shardwrightRun(['--workers', '1'], { cwd, dir: cwd, env: { CRASH_RUNNER: '1' } });
  assert.equal(crashed.code, 1, crashed.stdout + crashed.stderr);
  assert.match(
    crashed.stdout,
    /^shardwright: batch 1: the Playwright process (was killed by SIGKILL|exited with code 137) after \d+ tests?; \d+ groups? went back to the queue:$/m,
  );
  assert.match(
    crashed.stdout,
    /^ {2}✘ 1 test of group crash\.spec\.js › kills its runner did not run: the Playwright process died twice while these tests ran: `npx playwright test --config \S+ (--test-list \S+ )?--workers=1` (was killed by SIGKILL|exited with code 137) before its report was complete/m,
  );
  assert.match(crashed.stdout, /^shardwright: 9\/9 groups done, 1 failed, in .* · tests: 10 passed, 0 failed, 0 flaky, 1 not run$/m);
  const history = History.load(path.join(cwd, 'history.json'));
  assert.equal(history.runCount, 2);
  // Every test but the one that kills its runner ran to its end in the second run.
  const second = history.runs()[1].id;
  assert.equal(history.analyze({ runId: second }).run.passed, 10);
});

test('run: bad flags and commands are named, exit code 2, nothing run', async () => {
  const cases = [
    [['--workers', '0'], "invalid --workers: '0' (a whole number from 1 to 1000)"],
    [['--workers', 'many'], "invalid --workers: 'many' (a whole number from 1 to 1000)"],
    [['--lease-ms', '500'], "invalid --lease-ms: '500' (only with --queue)"],
    [['--fallback', 'local'], "invalid --fallback: 'local' (only with --queue)"],
    [['--group-by', 'suite'], "invalid --group-by: 'suite' (one of auto, file, test)"],
    [['--queue', 'redis://127.0.0.1:1/0', '--run-id', 'r', '--lease-ms', '5'], "invalid --lease-ms: '5' (a whole number from 100 to 86400000)"],
    [['--queue', 'redis://127.0.0.1:1/0', '--run-id', 'r', '--exit-status', 'mine'], "invalid --exit-status: 'mine' (run or own)"],
    [['--queue', 'redis://127.0.0.1:1/0', '--run-id', 'r', '--fallback', 'none'], "invalid --fallback: 'none' (local)"],
    [
      ['--queue', 'http://:pw@127.0.0.1:1/0', '--run-id', 'r'],
      "invalid --queue: 'http://***@127.0.0.1:1/0' (a Redis URL: redis://[:password@]host:port/db or rediss://…)",
    ],
    [['--', 'npx', 'playwright', 'test', '--shard=1/2'], "invalid command argument: '--shard=1/2' (shardwright run sets --shard itself; leave it out)"],
    [['--bogus'], 'unknown option --bogus'],
    [['--burn-in', '0'], "invalid --burn-in: '0' (a whole number from 1 to 1000)"],
    [['--burn-in-base', 'main'], "invalid --burn-in-base: 'main' (only with --burn-in)"],
    [['--burn-in', '3', '--burn-in-base=-x'], "invalid --burn-in-base: '-x' (a git ref (a branch, tag or commit))"],
  ];
  for (const [args, message] of cases) {
    const r = await shardwrightRun(args, { env: { SHARDWRIGHT_RUN_ID: '' } });
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.equal(r.stderr, `shardwright run: ${message} [ERR_SHARDWRIGHT_CONFIG]\n`, args.join(' '));
    assert.equal(r.stdout, '');
    assert.equal(fs.existsSync(path.join(r.dir, 'report')), false);
  }
  // --queue without a run id outside CI.
  const noId = await run(process.execPath, [CLI, 'run', '--queue', 'redis://127.0.0.1:1/0'], {
    cwd: EXAMPLES,
    env: { SHARDWRIGHT_RUN_ID: '', GITHUB_RUN_ID: '', CI_PIPELINE_ID: '', BUILDKITE_BUILD_ID: '', CIRCLE_WORKFLOW_ID: '' },
  });
  assert.equal(noId.code, 2);
  assert.match(noId.stderr, /^shardwright run: invalid --run-id: undefined \(required with --queue outside a known CI/);
  // A command that cannot list the suite.
  const missing = await shardwrightRun(['--', 'no-such-playwright-command']);
  assert.equal(missing.code, 2);
  assert.match(
    missing.stderr,
    /^shardwright run: failed to start `no-such-playwright-command` in .*examples: .*\(ENOENT\)\n {2}no test was run \[ERR_SHARDWRIGHT_IO\]\n$/s,
  );
});

test('quarantine in run: listed tests that fail do not fail the run (run mode), or are not run (skip mode)', async () => {
  const FLAKY = 'chromium › demo-faults.spec.ts › checkout total is shown';
  const dir = tempDir('shardwright-run-quarantine-');
  const env = {
    SHARDWRIGHT_QUARANTINE: FLAKY,
    SHARDWRIGHT_DEMO_FLAKY_FAILS: '1',
    SHARDWRIGHT_DEMO_RUN: '1',
    SHARDWRIGHT_MAX_RETRIES: '0',
  };
  const args = ['--workers', '1', '--', 'npx', 'playwright', 'test', 'tests/demo-faults.spec.ts', 'tests/cart.spec.ts'];

  let r = await shardwrightRun(args, { dir, env });
  assert.equal(r.code, 0, `the only failure is quarantined\n${r.stdout}\n${r.stderr}`);
  assert.match(
    r.stdout + r.stderr,
    new RegExp(`only quarantined tests failed, so the run passes \\(quarantineMode: run\\):\\n {2}- ${FLAKY.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
  );
  const history = History.load(path.join(dir, 'history.json'));
  assert.equal(history.runCount, 1);

  // A failure outside the quarantine still fails the run.
  r = await shardwrightRun(args, { dir, env: { ...env, SHARDWRIGHT_DEMO_BROKEN: '1' } });
  assert.equal(r.code, 1, r.stdout + r.stderr);

  // Skip mode: the quarantined test is not run at all.
  r = await shardwrightRun(args, { dir, env: { ...env, SHARDWRIGHT_QUARANTINE_MODE: 'skip' } });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout + r.stderr, /skipping 1 quarantined test \(quarantineMode: skip\)/);
  // Skipped where Playwright loads it (testRun.skip, as the reporter does): reported, never run.
  const [b] = batches(dir);
  assert.deepEqual(
    b.ran.get(FLAKY).map((a) => a.status),
    ['skipped'],
  );
  assert.ok(b.ran.get('chromium › cart.spec.ts › cart lists the items').every((a) => a.status === 'passed'));
});
