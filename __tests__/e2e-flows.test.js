'use strict';
// Every CI flow Playwright users run with --shard: either every test runs
// exactly once across the shards (counted from the tests' own side effect:
// each appends its key to a log), or a step of the flow exits non-zero
// naming the tests that did not run or ran twice. Real `npx playwright test`
// runs of a generated project (no browser needed).

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { ROOT, run, tempDir } = require('./helpers.js');
const { writeSuite, readLog, exactlyOnce } = require('./fixtures/suite.js');
const { History } = require('../js/index.js');

const CLI = path.join(ROOT, 'js', 'cli', 'main.js');

/** One machine: its own history copy, report dir and run log. */
function machine(root, name, history) {
  const dir = path.join(root, name);
  fs.mkdirSync(dir, { recursive: true });
  const m = { dir, history: path.join(dir, 'history.json'), reports: path.join(dir, 'reports'), log: path.join(dir, 'run.log'), blob: path.join(dir, 'blob') };
  if (history) fs.copyFileSync(history, m.history);
  return m;
}

function pw(suiteDir, args, m, env = {}) {
  return run('npx', ['playwright', 'test', ...args], {
    cwd: suiteDir,
    env: {
      SW_HISTORY: m.history,
      SW_REPORTS: m.reports,
      SW_OUTPUT: path.join(m.dir, 'test-results'),
      RUN_LOG: m.log,
      PLAYWRIGHT_BLOB_OUTPUT_DIR: m.blob,
      FORCE_COLOR: '0',
      CI: '1',
      ...env,
    },
  });
}

function cli(args, opts = {}) {
  return run(process.execPath, [CLI, ...args], opts);
}

/** A history of one full run of the suite (so shards plan by duration). */
async function seededHistory(suite, root) {
  const m = machine(root, 'seed');
  const r = await pw(suite.dir, [], m);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  return m.history;
}

/**
 * The merge job of the blob flow: `npx playwright merge-reports` with the
 * recommended merge config (html + shardwright's reporter) in `<root>/merge`,
 * its history a copy of `history` (kept between calls).
 */
function mergeReports(root, history, blobs) {
  const mergeDir = path.join(root, 'merge');
  if (!fs.existsSync(mergeDir)) {
    fs.mkdirSync(mergeDir);
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(mergeDir, 'node_modules'), 'dir');
    fs.copyFileSync(history, path.join(mergeDir, 'history.json'));
    fs.writeFileSync(
      path.join(mergeDir, 'merge.config.js'),
      `module.exports = { testDir: ${JSON.stringify(suite.dir)}, reporter: [['html', { open: 'never', outputFolder: 'html' }], [${JSON.stringify(path.join(ROOT, 'js', 'playwright', 'reporter.js'))}, { history: 'history.json', reportDir: 'reports' }]] };\n`,
    );
  }
  return run('npx', ['playwright', 'merge-reports', '--config', 'merge.config.js', blobs], { cwd: mergeDir, env: { CI: '1' } });
}

const suite = writeSuite();
const N = suite.tests.length;

test('flow 1 — shards on separate machines with the history from a cache: exactly once, and `merge` of their artifacts agrees', async () => {
  const root = tempDir('sw-flow1-');
  const history = await seededHistory(suite, root);
  const machines = [1, 2, 3].map((i) => machine(root, `m${i}`, history));
  const results = await Promise.all(machines.map((m, i) => pw(suite.dir, [`--shard=${i + 1}/3`], m)));
  for (const r of results) {
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /shard \d\/3: \d+ of \d+ tests, by duration, expected .* on 2 workers; plan [0-9a-f]{12}, suite [0-9a-f]{12}, history [0-9a-f]{12}/);
  }
  const logged = machines.flatMap((m) => readLog(m.log));
  assert.deepEqual(exactlyOnce(suite.tests, logged), { missing: [], twice: [] });
  assert.equal(logged.length, N);
  // The merge job: the machines' artifacts into one history, checked.
  const out = path.join(root, 'merged.json');
  fs.copyFileSync(history, out);
  const merged = await cli(['merge', ...machines.map((m) => m.dir), '--out', out], { env: { SHARDWRIGHT_REPORT_DIR: path.join(root, 'merge-reports') } });
  assert.equal(merged.code, 0, merged.stdout + merged.stderr);
  assert.match(merged.stdout, new RegExp(`coverage ok: all ${N} tests ran exactly once`));
  // The shards of one run are one run: the seed run and this one.
  assert.equal(History.load(out).runCount, 2);
  assert.ok(fs.existsSync(path.join(root, 'merge-reports', 'flaky-report.json')), 'merge writes the merged flaky report');
});

test('flow 2 — shards one after the other in one folder: the run keeps its plan, exactly once; its last shard checks the run', async () => {
  const root = tempDir('sw-flow2-');
  const m = machine(root, 'here');
  for (const round of [1, 2]) {
    fs.rmSync(m.log, { force: true });
    for (const i of [1, 2, 3]) {
      const r = await pw(suite.dir, [`--shard=${i}/3`], m);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      if (i > 1) assert.match(r.stdout, /of this run \(made by an earlier shard\)/);
      if (i === 3) assert.match(r.stdout, new RegExp(`all 3 shards of run sw-[0-9a-f]{16} ran here: coverage ok: all ${N} tests ran exactly once`));
    }
    assert.deepEqual(exactlyOnce(suite.tests, readLog(m.log)), { missing: [], twice: [] }, `round ${round}`);
    // Each round is one run in the history, whatever its shards.
    assert.equal(History.load(m.history).runCount, round);
  }
});

test('flow 3 — blob reporter per shard + merge-reports: exactly once, one run recorded once, the merged flaky report', async () => {
  const root = tempDir('sw-flow3-');
  const history = await seededHistory(suite, root);
  const machines = [1, 2, 3].map((i) => machine(root, `m${i}`, history));
  const blobs = path.join(root, 'all-blob-reports');
  fs.mkdirSync(blobs);
  for (const [i, m] of machines.entries()) {
    // The recommended config: the blob reporter and shardwright's, both in the config.
    const r = await pw(suite.dir, [`--shard=${i + 1}/3`], m, { SW_BLOB: '1' });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (const f of fs.readdirSync(m.blob)) fs.copyFileSync(path.join(m.blob, f), path.join(blobs, f));
  }
  assert.deepEqual(
    exactlyOnce(
      suite.tests,
      machines.flatMap((m) => readLog(m.log)),
    ),
    { missing: [], twice: [] },
  );
  // The merge job: a merge config with the html and shardwright reporters.
  const mergeDir = path.join(root, 'merge');
  const merge = () => mergeReports(root, history, blobs);
  let r = await merge();
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, new RegExp(`coverage ok: all ${N} tests ran exactly once`));
  const h = History.load(path.join(mergeDir, 'history.json'));
  assert.equal(h.runCount, 2, 'the seed run and the merged run');
  const newest = h.runs().at(-1);
  assert.match(newest.id, /^sw-[0-9a-f]{16}$/);
  assert.equal(h.testCount, N);
  assert.ok(fs.existsSync(path.join(mergeDir, 'reports', 'flaky-report.json')));
  assert.ok(fs.existsSync(path.join(mergeDir, 'html', 'index.html')));
  // Merging again (a restored cache that holds the run): nothing twice.
  r = await merge();
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(History.load(path.join(mergeDir, 'history.json')).runCount, 2);
});

test('flow 4 — one shard cannot read the history: the merge steps fail naming the tests; with a plan file, exactly once', async () => {
  const root = tempDir('sw-flow4-');
  const history = await seededHistory(suite, root);
  const machines = [1, 2, 3].map((i) => machine(root, `m${i}`, history));
  fs.writeFileSync(machines[1].history, '{"format":"shardwright-history", this is not json');
  const results = [];
  for (const [i, m] of machines.entries()) results.push(await pw(suite.dir, [`--shard=${i + 1}/3`], m, { SW_BLOB: '1' }));
  assert.match(results[1].stdout, /no usable history: split by test count/);
  const logged = machines.flatMap((m) => readLog(m.log));
  const { missing, twice } = exactlyOnce(suite.tests, logged);
  assert.ok(missing.length + twice.length > 0, 'differing plans lose or repeat tests (what the merge must catch)');
  const merged = await cli(['merge', ...machines.map((m) => m.dir), '--out', path.join(root, 'merged.json')]);
  assert.equal(merged.code, 1, merged.stdout + merged.stderr);
  assert.match(merged.stdout, /coverage FAILED/);
  for (const t of missing) assert.ok(merged.stdout.includes(t), `names ${t}`);
  for (const t of twice) assert.ok(merged.stdout.includes(t), `names ${t}`);
  // The blob flow's merge job fails too, naming them.
  const blobs = path.join(root, 'all-blob-reports');
  fs.mkdirSync(blobs);
  for (const m of machines) for (const f of fs.readdirSync(m.blob)) fs.copyFileSync(path.join(m.blob, f), path.join(blobs, f));
  const reports = await mergeReports(root, history, blobs);
  assert.equal(reports.code, 1, reports.stdout + reports.stderr);
  const said = reports.stdout + reports.stderr;
  assert.match(said, /the merged run is not exactly once/);
  for (const t of [...missing, ...twice]) assert.ok(said.includes(t), `merge-reports names ${t}`);

  // A plan made once and shared: every shard follows it, the broken history does not matter.
  const plan = path.join(root, 'plan.json');
  const made = await cli(['plan', '--shards', '3', '--history', history, '--out', plan, '--config', path.join(suite.dir, 'playwright.config.js')], {
    cwd: suite.dir,
  });
  assert.equal(made.code, 0, made.stdout + made.stderr);
  const again = [1, 2, 3].map((i) => machine(root, `p${i}`, history));
  fs.writeFileSync(again[1].history, 'not json');
  for (const [i, m] of again.entries()) {
    const r = await pw(suite.dir, [`--shard=${i + 1}/3`], m, { SW_PLAN: plan });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /from the plan file/);
  }
  assert.deepEqual(
    exactlyOnce(
      suite.tests,
      again.flatMap((m) => readLog(m.log)),
    ),
    { missing: [], twice: [] },
  );
});

test('flow 5 — another reporter takes --shard over, or no preprocess (Playwright < 1.62): said, and one split, never a mix', async () => {
  const root = tempDir('sw-flow5-');
  // A reporter that shards itself (every other test), listed before ours.
  const other = path.join(root, 'other-sharder.js');
  fs.writeFileSync(
    other,
    `module.exports = class { version() { return 'v2'; } printsToStdio() { return false; }
      preprocess({ config, suite, testRun }) { if (!config.shard) return; testRun.skipSharding();
        suite.allTests().forEach((t, i) => { if (i % config.shard.total !== config.shard.current - 1) testRun.exclude(t); }); } };`,
  );
  const ours = path.join(ROOT, 'js', 'playwright', 'reporter.js');
  // Ours without preprocess: what it sees on a Playwright without Reporter.preprocess().
  const old = path.join(root, 'old-playwright.js');
  fs.writeFileSync(old, `const R = require(${JSON.stringify(ours)}); module.exports = class extends R {}; module.exports.prototype.preprocess = undefined;`);
  for (const [name, reporters, said] of [
    [
      'other',
      `[[${JSON.stringify(other)}], [${JSON.stringify(ours)}, { history: process.env.SW_HISTORY, reportDir: process.env.SW_REPORTS }]]`,
      /another reporter takes --shard over/,
    ],
    [
      'old',
      `[[${JSON.stringify(old)}, { history: process.env.SW_HISTORY, reportDir: process.env.SW_REPORTS }]]`,
      /no Reporter\.preprocess\(\) \(1\.62\+ needed\): Playwright splits --shard by test count itself/,
    ],
  ]) {
    const s = writeSuite({ reporters });
    const history = await seededHistory(s, path.join(root, name));
    const machines = [1, 2].map((i) => machine(path.join(root, name), `m${i}`, history));
    for (const [i, m] of machines.entries()) {
      const r = await pw(s.dir, [`--shard=${i + 1}/2`], m);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, said);
    }
    assert.deepEqual(
      exactlyOnce(
        s.tests,
        machines.flatMap((m) => readLog(m.log)),
      ),
      { missing: [], twice: [] },
      name,
    );
  }
});

test('flow 6 — `--list --shard=i/n` lists exactly what `--shard=i/n` runs', async () => {
  const root = tempDir('sw-flow6-');
  const history = await seededHistory(suite, root);
  for (const i of [1, 2]) {
    const m = machine(root, `m${i}`, history);
    const listed = await pw(suite.dir, ['--list', `--shard=${i}/2`], m);
    assert.equal(listed.code, 0, listed.stderr);
    const lines = listed.stdout
      .split('\n')
      .filter((l) => /^\s+\[(main|par)\]/.test(l))
      .map((l) => l.trim().replace(/^\[(\w+)\] › ([^:]+):\d+:\d+ › /, '$1 › $2 › '));
    assert.ok(!listed.stdout.includes('shardwright:'), 'nothing of ours in the listing');
    const r = await pw(suite.dir, [`--shard=${i}/2`], m);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(lines.sort(), readLog(m.log).sort(), `shard ${i}`);
  }
});
