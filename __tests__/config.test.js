'use strict';
// One typed configuration: defaults < options < SHARDWRIGHT_* variables,
// validated in Rust with errors naming the variable or option and its value.
const { test, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const sw = require('../js/index.js');
const { configTable } = require('../js/api/config.js');
const { ROOT } = require('./helpers.js');

const saved = { ...process.env };
afterEach(() => {
  for (const k of Object.keys(process.env)) if (k.startsWith('SHARDWRIGHT_') || k === 'CI') delete process.env[k];
  for (const [k, v] of Object.entries(saved)) if (k.startsWith('SHARDWRIGHT_') || k === 'CI') process.env[k] = v;
});

function clearEnv() {
  for (const k of Object.keys(process.env)) if (k.startsWith('SHARDWRIGHT_') && k !== 'SHARDWRIGHT_LOG') delete process.env[k];
  delete process.env.CI;
  for (const k of ['GITHUB_ACTIONS', 'GITLAB_CI', 'BUILDKITE', 'CIRCLECI', 'JENKINS_URL', 'TF_BUILD']) delete process.env[k];
}

// Every variable with a bad value: the code, and a message naming the
// variable and the value.
const BAD_ENV = [
  ['SHARDWRIGHT_WORKERS', 'half', 'invalid SHARDWRIGHT_WORKERS: "half" ("auto" or a whole number from 1 to 1024)'],
  ['SHARDWRIGHT_WORKERS', '0', 'invalid SHARDWRIGHT_WORKERS: "0" ("auto" or a whole number from 1 to 1024)'],
  ['SHARDWRIGHT_MIN_WORKERS', '-1', 'invalid SHARDWRIGHT_MIN_WORKERS: -1 (a whole number from 1 to 1024)'],
  ['SHARDWRIGHT_MIN_WORKERS', 'two', 'invalid SHARDWRIGHT_MIN_WORKERS: "two" (a number)'],
  ['SHARDWRIGHT_MAX_WORKERS', '2.5', 'invalid SHARDWRIGHT_MAX_WORKERS: 2.5 (a whole number from 1 to 1024)'],
  ['SHARDWRIGHT_MAX_WORKERS', 'lots', 'invalid SHARDWRIGHT_MAX_WORKERS: "lots" (a number)'],
  ['SHARDWRIGHT_CPUS_PER_WORKER', '0', 'invalid SHARDWRIGHT_CPUS_PER_WORKER: 0 (a number above 0 and at most 1024)'],
  ['SHARDWRIGHT_MEMORY_PER_WORKER_MB', '-512', 'invalid SHARDWRIGHT_MEMORY_PER_WORKER_MB: -512 (a number above 0 and at most 16777216)'],
  ['SHARDWRIGHT_MEMORY_PER_WORKER_MB', '1GB', 'invalid SHARDWRIGHT_MEMORY_PER_WORKER_MB: "1GB" (a number)'],
  ['SHARDWRIGHT_CONSIDER_LOAD', 'maybe', 'invalid SHARDWRIGHT_CONSIDER_LOAD: "maybe" (true or false)'],
  ['SHARDWRIGHT_MAX_RETRIES', 'three', 'invalid SHARDWRIGHT_MAX_RETRIES: "three" (a number)'],
  ['SHARDWRIGHT_MAX_RETRIES', '-1', 'invalid SHARDWRIGHT_MAX_RETRIES: -1 (a whole number from 0 to 1000)'],
  ['SHARDWRIGHT_MAX_RETRIES', '5000', 'invalid SHARDWRIGHT_MAX_RETRIES: 5000 (a whole number from 0 to 1000)'],
  ['SHARDWRIGHT_INITIAL_DELAY_MS', 'NaN', 'invalid SHARDWRIGHT_INITIAL_DELAY_MS: NaN (a finite number)'],
  ['SHARDWRIGHT_INITIAL_DELAY_MS', '-100', 'invalid SHARDWRIGHT_INITIAL_DELAY_MS: -100 (a number of milliseconds ≥ 0)'],
  ['SHARDWRIGHT_MAX_DELAY_MS', '10', 'invalid SHARDWRIGHT_MAX_DELAY_MS: 10 (must not be below initialDelayMs (1000))'],
  ['SHARDWRIGHT_MAX_DELAY_MS', '1e99', 'invalid SHARDWRIGHT_MAX_DELAY_MS: 1e99 (at most 2147483647 ms)'],
  ['SHARDWRIGHT_BACKOFF_MULTIPLIER', '0.5', 'invalid SHARDWRIGHT_BACKOFF_MULTIPLIER: 0.5 (a finite number ≥ 1)'],
  ['SHARDWRIGHT_BACKOFF_MULTIPLIER', 'Infinity', 'invalid SHARDWRIGHT_BACKOFF_MULTIPLIER: Infinity (a finite number)'],
  ['SHARDWRIGHT_JITTER', 'some', 'invalid SHARDWRIGHT_JITTER: "some" (one of none, full, equal, decorrelated)'],
  ['SHARDWRIGHT_JITTER_FACTOR', '1.2', 'invalid SHARDWRIGHT_JITTER_FACTOR: 1.2 (a number from 0 to 1)'],
  ['SHARDWRIGHT_STRATEGY', 'fastest', 'invalid SHARDWRIGHT_STRATEGY: "fastest" (one of duration, round-robin, file, tag, fail-first)'],
  ['SHARDWRIGHT_HISTORY_RUNS', '0', 'invalid SHARDWRIGHT_HISTORY_RUNS: 0 (a whole number from 1 to 1000)'],
  ['SHARDWRIGHT_HISTORY_RUNS', 'all', 'invalid SHARDWRIGHT_HISTORY_RUNS: "all" (a number)'],
  ['SHARDWRIGHT_RESET_HISTORY', 'please', 'invalid SHARDWRIGHT_RESET_HISTORY: "please" (true or false)'],
  ['SHARDWRIGHT_FLAKY_WINDOW', '0', 'invalid SHARDWRIGHT_FLAKY_WINDOW: 0 (a whole number from 1 to 1000)'],
  ['SHARDWRIGHT_FLAKY_THRESHOLD', '1.5', 'invalid SHARDWRIGHT_FLAKY_THRESHOLD: 1.5 (a number from 0 to 1)'],
  ['SHARDWRIGHT_QUARANTINE_THRESHOLD', '-0.2', 'invalid SHARDWRIGHT_QUARANTINE_THRESHOLD: -0.2 (a number from 0 to 1)'],
  ['SHARDWRIGHT_BROKEN_AFTER', '2.5', 'invalid SHARDWRIGHT_BROKEN_AFTER: 2.5 (a whole number from 1 to 1000)'],
  ['SHARDWRIGHT_QUARANTINE_MIN_RUNS', '0', 'invalid SHARDWRIGHT_QUARANTINE_MIN_RUNS: 0 (a whole number from 1 to 1000)'],
  ['SHARDWRIGHT_QUARANTINE_RELEASE_AFTER', 'never', 'invalid SHARDWRIGHT_QUARANTINE_RELEASE_AFTER: "never" (a number)'],
  ['SHARDWRIGHT_INCIDENT_MIN_TESTS', '-1', 'invalid SHARDWRIGHT_INCIDENT_MIN_TESTS: -1 (a whole number from 1 to 1000000)'],
  ['SHARDWRIGHT_INCIDENT_MIN_SHARE', '30%', 'invalid SHARDWRIGHT_INCIDENT_MIN_SHARE: "30%" (a number)'],
  ['SHARDWRIGHT_INCIDENT_MIN_FILES', '0', 'invalid SHARDWRIGHT_INCIDENT_MIN_FILES: 0 (a whole number from 1 to 1000000)'],
  ['SHARDWRIGHT_QUARANTINE_MODE', 'ignore', 'invalid SHARDWRIGHT_QUARANTINE_MODE: "ignore" (one of run, skip, off)'],
  ['SHARDWRIGHT_BURN_IN', '2.5', 'invalid SHARDWRIGHT_BURN_IN: 2.5 (a whole number from 0 to 1000)'],
  ['SHARDWRIGHT_BURN_IN_BASE', '-x', 'invalid SHARDWRIGHT_BURN_IN_BASE: "-x" (a git ref (a branch, tag or commit))'],
  ['SHARDWRIGHT_QUARANTINE', '["ok", 3]', 'invalid SHARDWRIGHT_QUARANTINE[1]: 3 (a non-empty string)'],
  ['SHARDWRIGHT_QUARANTINE', '[unclosed', 'invalid SHARDWRIGHT_QUARANTINE: "[unclosed" (a JSON array of strings, or one entry per line)'],
];

for (const [name, value, message] of BAD_ENV) {
  test(`${name}=${value} is rejected naming the variable`, () => {
    clearEnv();
    process.env[name] = value;
    for (const call of [() => sw.resolveConfig(), () => sw.recommendWorkers(), () => sw.withShardwright({})]) {
      assert.throws(call, (err) => {
        assert.equal(err.code, 'ERR_SHARDWRIGHT_CONFIG');
        assert.equal(err.message, message);
        return true;
      });
    }
  });
}

test('every setting has an environment variable and a bad-value test', () => {
  const vars = new Set(sw.resolveConfig().entries.map((e) => e.env));
  const tested = new Set(BAD_ENV.map(([n]) => n));
  for (const v of vars) {
    if (v === 'SHARDWRIGHT_HISTORY' || v === 'SHARDWRIGHT_REPORT_DIR' || v === 'SHARDWRIGHT_PLAN' || v === 'SHARDWRIGHT_HTML') continue; // any path is valid
    assert.ok(tested.has(v), `${v} has a bad-value test`);
  }
});

test('quarantine lists: one entry per line in the variable, or a JSON array; RegExps as options', () => {
  clearEnv();
  process.env.SHARDWRIGHT_QUARANTINE = 'chromium › cart.spec.ts › cart lists the items\n\n/^chromium › slow/i\n';
  assert.deepEqual(sw.resolveConfig().values.quarantine, ['chromium › cart.spec.ts › cart lists the items', '/^chromium › slow/i']);
  delete process.env.SHARDWRIGHT_QUARANTINE;
  assert.deepEqual(sw.resolveConfig({ quarantine: ['a › b', /flaky/i] }).values.quarantine, ['a › b', '/flaky/i']);
  assert.deepEqual(sw.resolveConfig({ quarantine: 'a › b' }).values.quarantine, ['a › b']);
  assert.throws(() => sw.resolveConfig({ quarantine: 5 }), {
    code: 'ERR_SHARDWRIGHT_CONFIG',
    message: 'invalid quarantine: 5 (an array of test keys, key prefixes or /regex/ strings)',
  });
  assert.throws(() => sw.resolveConfig({ onFlaky: 'log' }), { code: 'ERR_SHARDWRIGHT_CONFIG', message: "invalid onFlaky: 'log' (a function)" });
});

test('precedence: default < option < environment, with the source of each value', () => {
  clearEnv();
  process.env.SHARDWRIGHT_MAX_WORKERS = '3';
  process.env.SHARDWRIGHT_JITTER = 'full';
  const c = sw.resolveConfig({ maxWorkers: 6, initialDelayMs: 250 });
  const entry = (k) => c.entries.find((e) => e.key === k);
  assert.deepEqual([entry('maxWorkers').value, entry('maxWorkers').source], [3, 'env SHARDWRIGHT_MAX_WORKERS']);
  assert.deepEqual([entry('initialDelayMs').value, entry('initialDelayMs').source], [250, 'option']);
  assert.deepEqual([entry('jitter').value, entry('jitter').source], ['full', 'env SHARDWRIGHT_JITTER']);
  assert.deepEqual([entry('history').value, entry('history').source], ['.shardwright/history.json', 'default']);
  assert.equal(c.values.maxWorkers, 3);
});

test('bad options name the option; unknown options suggest the right name', () => {
  clearEnv();
  assert.throws(() => sw.resolveConfig({ maxWorker: 2 }), {
    code: 'ERR_SHARDWRIGHT_CONFIG',
    message: 'invalid option: "maxWorker" (unknown; did you mean maxWorkers?)',
  });
  assert.throws(() => sw.resolveConfig({ memoryPerWorkerMb: '1GB' }), {
    code: 'ERR_SHARDWRIGHT_CONFIG',
    message: 'invalid memoryPerWorkerMb: "1GB" (a number)',
  });
  assert.throws(() => sw.resolveConfig('fast'), { code: 'ERR_SHARDWRIGHT_CONFIG', message: "invalid options: 'fast' (an object)" });
  assert.throws(() => sw.resolveConfig({ minWorkers: 4, maxWorkers: 2 }), { message: 'invalid maxWorkers: 2 (must not be below minWorkers (4))' });
});

test('CI is detected and sets Playwright retries', () => {
  clearEnv();
  assert.equal(sw.resolveConfig().ci, undefined);
  assert.equal(sw.resolveConfig().playwrightRetries, 0);
  process.env.GITHUB_ACTIONS = 'true';
  try {
    assert.equal(sw.resolveConfig().ci, 'github-actions');
    assert.equal(sw.resolveConfig().playwrightRetries, 2);
  } finally {
    delete process.env.GITHUB_ACTIONS;
  }
  process.env.SHARDWRIGHT_MAX_RETRIES = '4';
  assert.equal(sw.resolveConfig().playwrightRetries, 4, 'an explicit value applies locally too');
});

test('withShardwright fills workers, retries and the backoff; keeps what the config sets', () => {
  clearEnv();
  const base = { testDir: './tests', use: { baseURL: 'http://127.0.0.1:1' } };
  const c = sw.withShardwright(base, { maxWorkers: 1, maxRetries: 3, initialDelayMs: 200 });
  assert.equal(c.workers, 1);
  assert.equal(c.retries, 3);
  assert.equal(c.testDir, './tests');
  assert.equal(c.use.baseURL, 'http://127.0.0.1:1');
  assert.deepEqual(c.use.backoff, { initialDelayMs: 200, maxDelayMs: 30000, multiplier: 2, maxRetries: 3, jitter: 'equal', jitterFactor: 1 });
  assert.equal(base.workers, undefined, 'the input config is not mutated');

  const kept = sw.withShardwright({ workers: 5, retries: 1, use: { backoff: { jitter: 'none' } } }, { maxWorkers: 1 });
  assert.equal(kept.workers, 5);
  assert.equal(kept.retries, 1);
  assert.equal(kept.use.backoff.jitter, 'none');

  process.env.SHARDWRIGHT_WORKERS = '2';
  process.env.SHARDWRIGHT_MAX_RETRIES = '0';
  const overridden = sw.withShardwright({ workers: 5, retries: 1 });
  assert.equal(overridden.workers, 2, 'the environment overrides the config');
  assert.equal(overridden.retries, 0);
});

test('printConfig shows each value and where it came from', () => {
  clearEnv();
  process.env.SHARDWRIGHT_MAX_WORKERS = '2';
  process.env.SHARDWRIGHT_MAX_WORKRES = '9';
  const warnings = [];
  const onWarning = (w) => warnings.push(w.message);
  process.on('warning', onWarning);
  let out = '';
  const result = sw.printConfig({ jitter: 'none' }, { write: (s) => (out += s) });
  process.off('warning', onWarning);
  assert.match(out, /^maxWorkers\s+2\s+env SHARDWRIGHT_MAX_WORKERS$/m);
  assert.match(out, /^jitter\s+none\s+option$/m);
  assert.match(out, /^initialDelayMs\s+1000\s+default$/m);
  assert.match(out, /^workers → \d+ \(limited by (cpu|memory|load|maxWorkers|minWorkers)/m);
  assert.match(out, /unknown variables: SHARDWRIGHT_MAX_WORKRES/);
  assert.ok(result.workers.workers >= 1 && result.workers.workers <= 2);
  assert.deepEqual(result.unknownEnv, ['SHARDWRIGHT_MAX_WORKRES']);
});

test('README configuration table is generated from the Rust defaults (no drift)', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const m = /<!-- config-table:start -->\n([\s\S]*?)\n<!-- config-table:end -->/.exec(readme);
  assert.ok(m, 'README has the generated table markers');
  assert.equal(m[1], configTable(), 'README table differs from the engine defaults: run `node docs/update-readme.js`');
});

test('npx shardwright config prints values and sources; bad variables exit 2', async () => {
  const { run } = require('./helpers.js');
  const cli = path.join(ROOT, 'js/cli/main.js');
  let r = await run(process.execPath, [cli, 'config'], { env: { SHARDWRIGHT_JITTER: 'none' } });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^jitter\s+none\s+env SHARDWRIGHT_JITTER$/m);
  r = await run(process.execPath, [cli, 'config', '--json'], { env: { SHARDWRIGHT_JITTER: 'none' } });
  assert.equal(JSON.parse(r.stdout).values.jitter, 'none');
  r = await run(process.execPath, [cli, 'config', '--table']);
  assert.equal(r.stdout.trim(), configTable());
  r = await run(process.execPath, [cli, 'config'], { env: { SHARDWRIGHT_JITTER: 'lots' } });
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trim(), 'shardwright config: invalid SHARDWRIGHT_JITTER: "lots" (one of none, full, equal, decorrelated) [ERR_SHARDWRIGHT_CONFIG]');
  r = await run(process.execPath, [cli, 'config', '--bogus']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown option --bogus/);
});
