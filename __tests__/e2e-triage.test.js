'use strict';
// After a red run, where the developer looks: `shardwright failed` (the
// run's failed tests across its shards as a --test-list file, which
// `npx playwright test --test-list` reruns exactly) and `shardwright triage`
// (new / known flaky / broken on base, with owners). Real Playwright runs
// of a generated project (no browser), real history files, the CLI as a
// process; counts come from the tests' own side effect (their run log).

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { ROOT, run, tempDir } = require('./helpers.js');
const { writeOutcomeSuite } = require('./fixtures/outcome-suite.js');
const { readLog } = require('./fixtures/suite.js');
const { History } = require('../js/index.js');

const CLI = path.join(ROOT, 'js', 'cli', 'main.js');

function machine(root, name, history) {
  const dir = path.join(root, name);
  fs.mkdirSync(dir, { recursive: true });
  const m = { dir, history: path.join(dir, 'history.json'), reports: path.join(dir, 'reports'), log: path.join(dir, 'run.log') };
  if (history) fs.copyFileSync(history, m.history);
  return m;
}

function pw(suiteDir, args, m, { outcomes = {}, retries = 0, env = {} } = {}) {
  return run('npx', ['playwright', 'test', ...args], {
    cwd: suiteDir,
    env: {
      SW_HISTORY: m.history,
      SW_REPORTS: m.reports,
      SW_OUTPUT: path.join(m.dir, 'test-results'),
      SW_RETRIES: String(retries),
      RUN_LOG: m.log,
      OUTCOMES: JSON.stringify(outcomes),
      FORCE_COLOR: '0',
      CI: '1',
      ...env,
    },
  });
}

const cli = (args, opts = {}) => run(process.execPath, [CLI, ...args], opts);

const suite = writeOutcomeSuite();

// Failing in the run: in three files of two projects, one nested describe.
const FAILING = [
  'main › tests/a.spec.js › cart › removes an item',
  'main › tests/c.spec.js › search › filters › by size',
  'other › other/e.spec.js › sync › pulls',
  'main › tests/b.spec.js › a > b',
];
const FLAKY = 'main › tests/d.spec.js › avatar';

test('failed: the failed tests of a three-shard run, from the merged history, rerun exactly by --test-list', async () => {
  const root = tempDir('sw-failed-');
  const seed = machine(root, 'seed');
  assert.equal((await pw(suite.dir, [], seed)).code, 0);
  // Nothing failed in the seed run: an empty list, said on stderr, exit 0.
  const none = await cli(['failed', '--history', seed.history]);
  assert.equal(none.code, 0, none.stderr);
  assert.equal(none.stdout, '');
  assert.match(none.stderr, /nothing failed in run \S+ — the list is empty/);

  const outcomes = { ...Object.fromEntries(FAILING.map((k) => [k, 'fail'])), [FLAKY]: 'flaky' };
  const machines = [1, 2, 3].map((i) => machine(root, `m${i}`, seed.history));
  const shards = await Promise.all(machines.map((m, i) => pw(suite.dir, [`--shard=${i + 1}/3`], m, { outcomes, retries: 1 })));
  for (const r of shards) assert.match(r.stdout, /shard \d\/3: /, r.stdout + r.stderr);
  // The failures really were spread over the shards.
  const shardsWithFailures = machines.filter((m) => readLog(m.log).some((k) => FAILING.includes(k)));
  assert.ok(shardsWithFailures.length >= 2, `failures on ${shardsWithFailures.length} shard(s)`);
  const merged = path.join(root, 'merged.json');
  fs.copyFileSync(seed.history, merged);
  const m = await cli(['merge', ...machines.map((x) => x.dir), '--out', merged], { env: { SHARDWRIGHT_REPORT_DIR: path.join(root, 'merge-reports') } });
  assert.equal(m.code, 0, m.stdout + m.stderr);
  assert.equal(History.load(merged).runCount, 2);

  const listFile = path.join(root, 'failed.txt');
  const f = await cli(['failed', '--history', merged, '--out', listFile], { cwd: suite.dir });
  assert.equal(f.code, 0, f.stderr);
  assert.match(f.stderr, /4 failed tests of run sw-[0-9a-f]{16} written to/);
  const lines = fs
    .readFileSync(listFile, 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'));
  assert.deepEqual(lines.sort(), [
    '[main] › tests/a.spec.js › cart › removes an item',
    '[main] › tests/b.spec.js › a > b',
    '[main] › tests/c.spec.js › search › filters › by size',
    '[other] › other/e.spec.js › sync › pulls',
  ]);
  // Playwright reruns exactly those (they pass now): each once, nothing else.
  const rerun = machine(root, 'rerun');
  const r = await pw(suite.dir, ['--test-list', listFile], rerun);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(readLog(rerun.log).sort(), [...FAILING].sort());

  // --flaky adds the test that passed on its retry; stdout is the list.
  const withFlaky = await cli(['failed', '--flaky', '--history', merged]);
  assert.equal(withFlaky.code, 0, withFlaky.stderr);
  assert.match(withFlaky.stdout, /^# shardwright failed: 4 failed tests and 1 flaky test of run /);
  fs.writeFileSync(listFile, withFlaky.stdout);
  const again = machine(root, 'rerun-flaky');
  assert.equal((await pw(suite.dir, ['--test-list', listFile], again)).code, 0);
  assert.deepEqual(readLog(again.log).sort(), [...FAILING, FLAKY].sort());

  // --run picks an older run (the seed: nothing failed).
  const seedRun = History.load(merged).runs()[0].id;
  const old = await cli(['failed', '--history', merged, '--run', seedRun]);
  assert.equal(old.code, 0);
  assert.equal(old.stdout, '');
  const bad = await cli(['failed', '--history', merged, '--run', 'no-such-run']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /invalid --run: "no-such-run" \(the id of a run in the history; the newest: sw-/);
});

test('failed: a test no --test-list line selects exactly is a loud error naming it', () => {
  const root = tempDir('sw-failed-bad-');
  const file = path.join(root, 'history.json');
  const h = History.empty();
  const at = (titlePath, status) => ({ project: 'main', file: 'tests/x.spec.js', titlePath, status, retry: 0, durationMs: 5 });
  h.addRun({ id: 'r1', startedAt: 1_000, attempts: [at(['odd › title'], 'failed'), at(['fine'], 'failed'), at(['ok'], 'passed')] });
  h.save(file);
  return cli(['failed', '--history', file]).then((r) => {
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /1 of the 2 tests to rerun from run r1 cannot be written as a --test-list line/);
    assert.match(r.stderr, /main › tests\/x\.spec\.js › odd › title: a title holds `›`/);
    assert.match(r.stderr, /\[ERR_SHARDWRIGHT_TESTLIST\]/);
  });
});

test('triage: the run’s failures sorted into new, known flaky and broken on base, with owners, in the job summary', async () => {
  const root = tempDir('sw-triage-');
  const FLAKY_ON_BASE = 'main › tests/d.spec.js › avatar';
  const BROKEN = 'other › other/e.spec.js › export';
  const NEW = 'main › tests/a.spec.js › cart › removes an item';
  // The base branch: four runs; `avatar` passes on a retry in two of them,
  // `export` fails every run.
  const baseM = machine(root, 'base');
  for (const flaky of [true, false, true, false]) {
    const outcomes = { [BROKEN]: 'fail', ...(flaky ? { [FLAKY_ON_BASE]: 'flaky' } : {}) };
    const r = await pw(suite.dir, [], baseM, { outcomes, retries: 1 });
    assert.equal(r.code, 1, r.stdout);
  }
  // This branch's run: a regression, the flaky test failing outright, the broken one.
  const head = machine(root, 'head', baseM.history);
  const h = await pw(suite.dir, [], head, { outcomes: { [NEW]: 'fail', [FLAKY_ON_BASE]: 'fail', [BROKEN]: 'fail' } });
  assert.equal(h.code, 1);
  fs.mkdirSync(path.join(suite.dir, '.github'), { recursive: true });
  fs.writeFileSync(path.join(suite.dir, '.github', 'CODEOWNERS'), '*  @acme/qa\ntests/a.spec.js @acme/cart\n/other/ @acme/data\n');
  const summaryFile = path.join(root, 'step-summary.md');
  const out = path.join(root, 'triage.md');
  const t = await cli(['triage', '--base', baseM.history, '--history', head.history, '--markdown-out', out], {
    cwd: suite.dir,
    env: { GITHUB_STEP_SUMMARY: summaryFile },
  });
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stderr, /1 new, 1 known flaky, 1 broken on base \(owners from \.github\/CODEOWNERS\)/);
  const md = fs.readFileSync(out, 'utf8');
  assert.equal(t.stdout, md);
  assert.ok(fs.readFileSync(summaryFile, 'utf8').includes(md), 'appended to $GITHUB_STEP_SUMMARY');
  const section = (heading) => md.split('### ').find((s) => s.startsWith(heading)) || '';
  assert.match(section('🆕 New failures (1)'), new RegExp(`\`${NEW}\` \\| @acme/cart \\| passes on base \\| Error: planned failure of`));
  assert.match(section('🎲 Known flaky (1)'), new RegExp(`\`${FLAKY_ON_BASE}\` \\| @acme/qa \\| 0\\.\\d\\d \\| \`RPRP\``));
  assert.match(section('🧱 Broken on base (1)'), new RegExp(`\`${BROKEN}\` \\| @acme/data \\| \\S+`));
  assert.match(md, /3 failed tests of 17 — \*\*1 new\*\*, 1 known flaky, 1 broken on base/);
  // --json: the engine's sorting as it is.
  const j = await cli(['triage', '--base', baseM.history, '--history', head.history, '--json'], { cwd: suite.dir });
  const triage = JSON.parse(j.stdout);
  assert.deepEqual(
    [triage.new, triage.knownFlaky, triage.brokenOnBase].map((l) => l.map((f) => f.key)),
    [[NEW], [FLAKY_ON_BASE], [BROKEN]],
  );
  assert.equal(triage.brokenOnBase[0].baseOutcome, 'failed');
  const usage = await cli(['triage', '--history', head.history]);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /--base is required/);
});
