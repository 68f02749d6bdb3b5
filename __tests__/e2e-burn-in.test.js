'use strict';
// Burn-in of new and changed tests: in a real git repository, a branch
// changes one spec file (a test that fails one repeat in four) and adds an
// untracked one; `burnIn: 4` repeats exactly the tests of those files 4 more
// times, fails the run naming the flaky-at-birth test, leaves unchanged
// files at one run each (counted from the tests' own run log), and records
// the repeats under the original project in the history.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { ROOT, run, tempDir } = require('./helpers.js');
const { writeOutcomeSuite } = require('./fixtures/outcome-suite.js');
const { readLog } = require('./fixtures/suite.js');
const { History } = require('../js/index.js');

const CLI = path.join(ROOT, 'js', 'cli', 'main.js');
const git = (dir, ...args) => execFileSync('git', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

function counts(log) {
  const c = new Map();
  for (const k of readLog(log)) c.set(k, (c.get(k) || 0) + 1);
  return c;
}

function pw(dir, out, env) {
  return run('npx', ['playwright', 'test'], {
    cwd: dir,
    env: {
      SW_HISTORY: path.join(out, 'history.json'),
      SW_REPORTS: path.join(out, 'reports'),
      SW_OUTPUT: path.join(out, 'test-results'),
      RUN_LOG: path.join(out, 'run.log'),
      FORCE_COLOR: '0',
      CI: '',
      GITHUB_ACTIONS: '',
      ...env,
    },
  });
}

const born = 'main › tests/c.spec.js › new flaky';
const fresh = 'main › tests/f.spec.js › brand new';

/**
 * A git repository with the suite committed on main, and a branch that adds
 * a test to c.spec.js failing its third repeat (committed) and an untracked
 * f.spec.js.
 */
function repoWithChanges({ withShardwright }) {
  const dir = tempDir('sw-burn-in-repo-');
  const { tests } = writeOutcomeSuite({ dir, withShardwright });
  fs.writeFileSync(path.join(dir, '.gitignore'), 'node_modules\ntest-results\n.shardwright\n');
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'config', 'user.email', 'dev@example.com');
  git(dir, 'config', 'user.name', 'dev');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'the suite');
  git(dir, 'checkout', '-q', '-b', 'feature');
  // A new test in c.spec.js, committed on the branch: it fails the third repeat.
  fs.appendFileSync(
    path.join(dir, 'tests', 'c.spec.js'),
    `test('new flaky', async ({}, testInfo) => {\n  fs.appendFileSync(process.env.RUN_LOG, ${JSON.stringify(`${born}\n`)});\n  if (testInfo.repeatEachIndex === 2) throw new Error('flaked at birth');\n});\n`,
  );
  git(dir, 'commit', '-q', '-am', 'a new test');
  // An untracked new spec file.
  fs.writeFileSync(
    path.join(dir, 'tests', 'f.spec.js'),
    `const fs = require('fs');\nconst { test } = require('@playwright/test');\ntest('brand new', async () => { fs.appendFileSync(process.env.RUN_LOG, ${JSON.stringify(`${fresh}\n`)}); });\n`,
  );
  return { dir, tests };
}

test('burn-in: the changed and untracked spec files repeated N times, a flaky-at-birth test fails the run, unchanged files run once', async () => {
  const { dir, tests } = repoWithChanges({ withShardwright: true });
  const out = tempDir('sw-burn-in-out-');

  const r = await pw(dir, out, { SW_OPTIONS: JSON.stringify({ burnIn: 4 }), SHARDWRIGHT_BURN_IN_BASE: 'main' });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /shardwright: burn-in ×4 against main: 2 changed file\(s\): tests\/c\.spec\.js, tests\/f\.spec\.js/);
  assert.match(r.stdout, /burn-in: 1 of 5 new or changed test\(s\) failed a repeat — flaky at birth:/);
  assert.match(r.stdout, /- main › tests\/c\.spec\.js › new flaky: failed 1 of 4 repeats: Error: flaked at birth/);
  const ran = counts(path.join(out, 'run.log'));
  // The changed files' tests: once in `main`, 4 times in `main burn-in`.
  for (const key of [...tests.filter((k) => k.includes('tests/c.spec.js')), born, fresh]) assert.equal(ran.get(key), 5, key);
  // Every other file once: no burn-in for unchanged specs.
  for (const key of tests.filter((k) => !k.includes('tests/c.spec.js'))) assert.equal(ran.get(key), 1, key);
  // The repeats are the original project's in the history: a flaky run.
  const history = History.load(path.join(out, 'history.json'));
  assert.deepEqual(history.lastOutcomes([born, fresh]), ['flaky', 'passed']);
  assert.ok(!history.testKeys().some((k) => k.includes('burn-in')), 'no burn-in project keys in the history');

  // Nothing changed against the base: no burn-in project, every test once, exit 0.
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'all in');
  const out2 = tempDir('sw-burn-in-out2-');
  const clean = await pw(dir, out2, { SW_OPTIONS: JSON.stringify({ burnIn: 4, burnInBase: 'HEAD' }) });
  assert.equal(clean.code, 0, clean.stdout + clean.stderr);
  assert.match(clean.stderr, /burn-in ×4 against HEAD: no changed file/);
  assert.ok([...counts(path.join(out2, 'run.log')).values()].every((n) => n === 1));

  // A base git does not know: a config error naming it, before any test runs.
  const bad = await pw(dir, tempDir('sw-burn-in-out3-'), { SW_OPTIONS: JSON.stringify({ burnIn: 2 }), SHARDWRIGHT_BURN_IN_BASE: 'no-such-branch' });
  assert.notEqual(bad.code, 0);
  assert.match(bad.stdout + bad.stderr, /invalid burnInBase: 'no-such-branch' \(a branch, tag or commit of this repository/);
});

test('burnIn without withShardwright (the reporter alone cannot add projects): said at the start, nothing repeated, the run fails', async () => {
  const { dir, tests } = repoWithChanges({ withShardwright: false });
  const out = tempDir('sw-burn-in-bare-');
  const r = await pw(dir, out, { SHARDWRIGHT_BURN_IN: '3', SHARDWRIGHT_BURN_IN_BASE: 'main' });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const said = r.stdout.split('burnIn is 3 but no test is repeated: the Playwright config is not wrapped with withShardwright()').length - 1;
  assert.equal(said, 2, `said at the start and at the end: ${r.stdout}`);
  const ran = counts(path.join(out, 'run.log'));
  for (const key of [...tests, born, fresh]) assert.equal(ran.get(key), 1, key);
});

test('run --burn-in: the same through the config wrapper of `shardwright run` (a config without withShardwright)', async () => {
  const { dir, tests } = repoWithChanges({ withShardwright: false });
  const out = tempDir('sw-burn-in-run-');
  const r = await run(
    process.execPath,
    [CLI, 'run', '--workers', '2', '--burn-in', '3', '--burn-in-base', 'main', '--history', path.join(out, 'history.json')],
    {
      cwd: dir,
      env: { RUN_LOG: path.join(out, 'run.log'), SW_REPORTS: path.join(out, 'reports'), FORCE_COLOR: '0', CI: '', GITHUB_ACTIONS: '' },
    },
  );
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(
    r.stdout + r.stderr,
    /burn-in: 1 repeat of new or changed tests failed — flaky at birth:\n {2}- main burn-in › tests\/c\.spec\.js › new flaky \(repeat 2\)/,
  );
  const ran = counts(path.join(out, 'run.log'));
  for (const key of [...tests.filter((k) => k.includes('tests/c.spec.js')), born, fresh]) assert.equal(ran.get(key), 4, key);
  for (const key of tests.filter((k) => !k.includes('tests/c.spec.js'))) assert.equal(ran.get(key), 1, key);
});
