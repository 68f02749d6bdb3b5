'use strict';
// `npx shardwright import | report | merge` as a user runs them (real child
// processes), over real Playwright JSON and JUnit reports.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const Ajv = require('ajv/dist/2020');
const addFormats = require('ajv-formats');
const { History } = require('../js/index.js');
const { ROOT, tempDir, run, runExamples } = require('./helpers.js');

const CLI = path.join(ROOT, 'js', 'cli', 'main.js');
const REPORTS = path.join(__dirname, 'fixtures', 'reports');
const PW_JSON = path.join(REPORTS, 'playwright.json');
const JUNIT = path.join(REPORTS, 'junit.xml');
const JUNIT_RETRIES = path.join(REPORTS, 'junit-retries.xml');
const NODE_JUNIT = path.join(REPORTS, 'node-test.xml');

const ajv = new Ajv({ strict: true });
addFormats(ajv);
const validateReport = ajv.compile(require('../schema/flaky-report.schema.json'));

function cli(args, { cwd, env = {} } = {}) {
  return run(process.execPath, [CLI, ...args], { cwd, env: { SHARDWRIGHT_HISTORY: '', NO_COLOR: '1', ...env } });
}

const FLAKY = 'chromium › backoff.spec.ts › recovers after a refused connection';
const BROKEN = 'chromium › history-fixture.spec.ts › history fixtures › broken total';

test('import: real Playwright JSON and JUnit reports, one run each, never twice', async () => {
  const cwd = tempDir();
  const r = await cli(['import', PW_JSON, JUNIT_RETRIES, NODE_JUNIT], { cwd });
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0], /^imported .*playwright\.json \(playwright-json\) — run import-[0-9a-f]{16}: 9 tests, 12 attempts$/);
  assert.match(lines[1], /^imported .*junit-retries\.xml \(junit\) — run import-[0-9a-f]{16}: 9 tests, 12 attempts$/);
  assert.match(lines[2], /^imported .*node-test\.xml \(junit\) — run import-[0-9a-f]{16}: 4 tests, 4 attempts$/);
  assert.match(lines[3], /^saved \.shardwright\/history\.json: 3 runs, 13 tests, \d+ bytes$/);

  const history = History.load(path.join(cwd, '.shardwright', 'history.json'));
  assert.deepEqual(
    history.runs().map((x) => x.source),
    ['playwright-json', 'junit-playwright', 'junit'],
  );
  assert.deepEqual(history.lastOutcomes([FLAKY, BROKEN, 'test › math › division › by zero', 'test › math › adds']), ['flaky', 'failed', 'failed', 'passed']);

  // The same reports again (and JUnit without retries of the same run as the
  // JSON: a different file, so a different run).
  const again = await cli(['import', PW_JSON, JUNIT], { cwd });
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /playwright\.json \(playwright-json\) — already in the history \(run import-[0-9a-f]{16}\), 0 tests added\n/);
  assert.match(again.stdout, /junit\.xml \(junit\) — run import-[0-9a-f]{16}: 9 tests, 9 attempts\n/);
  assert.equal(History.load(path.join(cwd, '.shardwright', 'history.json')).runCount, 4);

  // An unreadable report: nothing is saved, the file is named.
  const bad = path.join(cwd, 'notes.txt');
  fs.writeFileSync(bad, 'hello');
  const before = fs.readFileSync(path.join(cwd, '.shardwright', 'history.json'));
  const failed = await cli(['import', PW_JSON, bad], { cwd });
  assert.equal(failed.code, 2);
  assert.equal(
    failed.stderr,
    `shardwright import: report \`${bad}\` cannot be imported: neither a Playwright JSON report nor JUnit XML (not valid JSON: expected value at line 1 column 1) [ERR_SHARDWRIGHT_HISTORY]\n`,
  );
  assert.deepEqual(fs.readFileSync(path.join(cwd, '.shardwright', 'history.json')), before);
});

test('import: a report from a real `npx playwright test --reporter=json` run of examples/', async () => {
  const dir = tempDir();
  const result = await runExamples({ dir, args: ['--reporter=json', '--workers=2'], env: { PLAYWRIGHT_JSON_OUTPUT_FILE: path.join(dir, 'live.json') } });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  const r = await cli(['import', path.join(dir, 'live.json'), '--history', path.join(dir, 'h.json')]);
  assert.equal(r.code, 0, r.stderr);
  const history = History.load(path.join(dir, 'h.json'));
  const keys = history.testKeys();
  assert.ok(keys.includes(FLAKY), keys.join('\n'));
  assert.ok(keys.includes('chromium › shop.spec.ts › search › shows results for the query'), keys.join('\n'));
  // The examples' backoff test fails on its first attempt, passes on the retry.
  assert.deepEqual(history.lastOutcomes([FLAKY]), ['flaky']);
  const report = history.analyze();
  const flaky = report.tests.find((t) => t.key === FLAKY);
  assert.equal(flaky.verdict, 'flaky');
  assert.equal(flaky.evidence.errors[0].rule, 'network');
});

test('report: text, --json (the schema) and --markdown of a history', async () => {
  const cwd = tempDir();
  const file = path.join(cwd, 'h.json');
  assert.equal((await cli(['import', PW_JSON, JUNIT_RETRIES, '--history', file], { cwd })).code, 0);

  const text = await cli(['report', '--history', file], { cwd });
  assert.equal(text.code, 0, text.stderr);
  assert.equal(
    text.stdout,
    [
      'shardwright: 1 flaky, 1 failing, 6 stable (2 runs in the history) · 1 quarantined',
      // Two flaky runs out of two: 0.66 with the prior clean run, quarantined.
      `  flaky   ${FLAKY}  score 0.66  RR  [quarantined]`,
      `  failing ${BROKEN}  FF`,
      '',
    ].join('\n'),
  );

  const json = await cli(['report', '--json', '--history', file, '--quarantine', 'chromium › cart.spec.ts', '--broken-after', '2'], { cwd });
  assert.equal(json.code, 0, json.stderr);
  const report = JSON.parse(json.stdout);
  assert.ok(validateReport(report), JSON.stringify(validateReport.errors));
  assert.deepEqual(
    report.tests.map((t) => [t.key, t.verdict]),
    [
      [BROKEN, 'broken'],
      [FLAKY, 'flaky'],
      ['chromium › cart.spec.ts › cart links back home', 'stable'],
      ['chromium › cart.spec.ts › cart lists the items', 'stable'],
    ],
  );
  assert.deepEqual(
    report.quarantine.map((q) => q.reason),
    ['score', 'listed', 'listed'],
  );
  assert.equal(report.options.brokenAfter, 2);
  assert.equal(report.testsOmitted, 0);

  // Bounded: the first --max-tests tests that need attention (1000 by
  // default), the rest counted; --all for every one.
  const args = ['report', '--json', '--history', file, '--quarantine', 'chromium › cart.spec.ts', '--broken-after', '2'];
  const cut = JSON.parse((await cli([...args, '--max-tests', '1'], { cwd })).stdout);
  assert.ok(validateReport(cut), JSON.stringify(validateReport.errors));
  assert.deepEqual(
    cut.tests.map((t) => t.key),
    [BROKEN],
  );
  assert.equal(cut.testsOmitted, 3);
  assert.deepEqual(cut.summary, report.summary);
  const all = JSON.parse((await cli([...args, '--max-tests', '1', '--all'], { cwd })).stdout);
  assert.deepEqual(all, { ...report, generatedAt: all.generatedAt });
  const misuse = await cli(['report', '--all', '--history', file], { cwd });
  assert.equal(misuse.code, 2);
  assert.match(misuse.stderr, /--all is only for --json/);

  const md = await cli(['report', '--markdown', '--history', file], { cwd });
  assert.equal(md.code, 0, md.stderr);
  assert.match(md.stdout, /^## shardwright flaky report\n/);
  // The newest run's message stands for the error: JUnit's message attribute has no `Error: ` prefix.
  assert.match(md.stdout, /### Flaky \(1\)[\s\S]*network: (Error: )?page\.goto: net::ERR_CONNECTION_REFUSED/);
});

test('merge: the histories of CI shards (artifact directories) into one, no run duplicated', async () => {
  const cwd = tempDir();
  const base = path.join(cwd, 'base.json');
  assert.equal((await cli(['import', PW_JSON, '--history', base], { cwd })).code, 0);
  // Two shards started from the same downloaded history and added their runs.
  for (const [shard, report] of [
    ['shard-1', JUNIT_RETRIES],
    ['shard-2', NODE_JUNIT],
  ]) {
    const dir = path.join(cwd, 'artifacts', shard);
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(base, path.join(dir, 'history.json'));
    assert.equal((await cli(['import', report, '--history', path.join(dir, 'history.json')], { cwd })).code, 0);
  }
  fs.writeFileSync(path.join(cwd, 'artifacts', 'shard-1', 'results.json'), '{"suites":[]}');

  const r = await cli(['merge', 'artifacts', '--out', 'merged.json'], { cwd });
  assert.equal(r.code, 0, r.stderr);
  const [head, ...rest] = r.stdout.split(/(?=flaky report in )/);
  assert.equal(
    head,
    [
      'merged artifacts/shard-1/history.json: 2 new runs, 0 already present, 24 attempts',
      'merged artifacts/shard-2/history.json: 1 new runs, 1 already present, 4 attempts',
      'skipped artifacts/shard-1/results.json (not a shardwright history)',
      `saved merged.json: 3 runs, 13 tests, ${fs.statSync(path.join(cwd, 'merged.json')).size} bytes`,
      '',
    ].join('\n'),
  );
  // The merged flaky report, as a run's end writes it.
  assert.match(rest.join(''), /^flaky report in .*\.shardwright\/reports\nshardwright: 1 flaky, 2 failing, 8 stable \(3 runs in the history\)/);
  assert.ok(fs.existsSync(path.join(cwd, '.shardwright', 'reports', 'flaky-report.json')));
  const merged = History.load(path.join(cwd, 'merged.json'));
  assert.equal(merged.runCount, 3);
  assert.equal(merged.attemptCount, 12 + 12 + 4);
  // Merging again (the output is merged into too) adds nothing.
  const again = await cli(['merge', 'artifacts/shard-1/history.json', 'artifacts/shard-2', '--out', 'merged.json'], { cwd });
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /shard-1\/history\.json: 0 new runs, 2 already present, 0 attempts\n/);
  assert.equal(History.load(path.join(cwd, 'merged.json')).attemptCount, 28);
});

test('every bad flag or argument: a clear message and exit code 2', async () => {
  const cwd = tempDir();
  const file = path.join(cwd, 'h.json');
  assert.equal((await cli(['import', PW_JSON, '--history', file], { cwd })).code, 0);
  fs.mkdirSync(path.join(cwd, 'empty-dir'));
  fs.writeFileSync(path.join(cwd, 'corrupt.json'), '{"format":"shardwright-history","vers');
  const cases = [
    [['report', '--json', '--markdown', '--history', file], 'shardwright report: --json and --markdown cannot be used together [ERR_SHARDWRIGHT_CONFIG]'],
    [['report', '--window', '0', '--history', file], 'shardwright report: invalid --window: "0" (a whole number from 1 to 1000) [ERR_SHARDWRIGHT_CONFIG]'],
    [['report', '--window', 'ten', '--history', file], 'shardwright report: invalid --window: "ten" (a whole number from 1 to 1000) [ERR_SHARDWRIGHT_CONFIG]'],
    [['report', '--window', '2.5', '--history', file], 'shardwright report: invalid --window: "2.5" (a whole number from 1 to 1000) [ERR_SHARDWRIGHT_CONFIG]'],
    [
      ['report', '--flaky-threshold', '2', '--history', file],
      'shardwright report: invalid --flaky-threshold: "2" (a number from 0 to 1) [ERR_SHARDWRIGHT_CONFIG]',
    ],
    [
      ['report', '--quarantine-threshold=-0.5', '--history', file],
      'shardwright report: invalid --quarantine-threshold: "-0.5" (a number from 0 to 1) [ERR_SHARDWRIGHT_CONFIG]',
    ],
    [
      ['report', '--broken-after', 'x', '--history', file],
      'shardwright report: invalid --broken-after: "x" (a whole number from 1 to 1000) [ERR_SHARDWRIGHT_CONFIG]',
    ],
    [['report', '--max-tests', '0', '--history', file], 'shardwright report: invalid --max-tests: "0" (a whole number ≥ 1) [ERR_SHARDWRIGHT_CONFIG]'],
    [['report', '--bogus'], 'shardwright report: unknown option --bogus [ERR_SHARDWRIGHT_CONFIG]'],
    [['report', 'extra', '--history', file], 'shardwright report: unexpected argument "extra" (see `shardwright report --help`) [ERR_SHARDWRIGHT_CONFIG]'],
    [['report', '--history', ''], 'shardwright report: invalid --history: "" (a file path) [ERR_SHARDWRIGHT_CONFIG]'],
    [['report', '--history'], /^shardwright report: Option '--history <value>' argument missing \[ERR_SHARDWRIGHT_CONFIG\]\n$/],
    [
      ['report', '--history', 'missing.json'],
      "shardwright report: no history at missing.json (add ['shardwright/reporter'] to your Playwright config, or seed it with `npx shardwright import <report…>`) [ERR_SHARDWRIGHT_CONFIG]",
    ],
    [
      ['report', '--history', 'corrupt.json'],
      /^shardwright report: history file `corrupt\.json` is unusable: the file is truncated .* \[ERR_SHARDWRIGHT_HISTORY\]\n$/,
    ],
    [['import'], 'shardwright import: no report given (usage: shardwright import <report…>) [ERR_SHARDWRIGHT_CONFIG]'],
    [['import', PW_JSON, '--max-runs', '0'], 'shardwright import: invalid --max-runs: "0" (a whole number from 1 to 1000) [ERR_SHARDWRIGHT_CONFIG]'],
    [['import', PW_JSON, '--history', ' '], 'shardwright import: invalid --history: " " (a file path) [ERR_SHARDWRIGHT_CONFIG]'],
    [['import', PW_JSON, '--reset=yes'], /^shardwright import: Option '--reset' does not take an argument \[ERR_SHARDWRIGHT_CONFIG\]\n$/],
    [
      ['import', 'nope.json', '--history', file],
      /^shardwright import: failed to read `nope\.json`: No such file or directory \(ENOENT\) \[ERR_SHARDWRIGHT_IO\]\n$/,
    ],
    [
      ['import', PW_JSON, '--history', 'corrupt.json'],
      /^shardwright import: history file `corrupt\.json` is unusable: the file is truncated.*start afresh with `reset: true` \(CLI: --reset\).* \[ERR_SHARDWRIGHT_HISTORY\]\n$/,
    ],
    [['merge'], 'shardwright merge: no history given (usage: shardwright merge <files or dirs…>) [ERR_SHARDWRIGHT_CONFIG]'],
    [['merge', file, '--out', ''], 'shardwright merge: invalid --out: "" (a file path) [ERR_SHARDWRIGHT_CONFIG]'],
    [['merge', 'no-such-dir'], 'shardwright merge: no such file or directory: no-such-dir [ERR_SHARDWRIGHT_CONFIG]'],
    [['merge', 'empty-dir', '--out', 'out.json'], 'shardwright merge: no history files found in empty-dir [ERR_SHARDWRIGHT_CONFIG]'],
    [
      ['merge', PW_JSON, '--out', 'out.json'],
      /^shardwright merge: history file `.*playwright\.json` is unusable: not a shardwright history \(no `format` field\).* \[ERR_SHARDWRIGHT_HISTORY\]\n$/,
    ],
    [['merge', file, '--out', 'out.json', '--force'], 'shardwright merge: unknown option --force [ERR_SHARDWRIGHT_CONFIG]'],
  ];
  for (const [args, message] of cases) {
    const r = await cli(args, { cwd });
    assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}\n${r.stdout}${r.stderr}`);
    if (typeof message === 'string') assert.equal(r.stderr, `${message}\n`, args.join(' '));
    else assert.match(r.stderr, message, args.join(' '));
    assert.equal(r.stdout, '', `${args.join(' ')}: nothing on stdout`);
  }
  // The failed merge wrote nothing.
  assert.equal(fs.existsSync(path.join(cwd, 'out.json')), false);
  // With --reset the corrupt history is set aside and the import goes on.
  const reset = await cli(['import', PW_JSON, '--history', 'corrupt.json', '--reset'], { cwd });
  assert.equal(reset.code, 0, reset.stderr);
  assert.match(
    reset.stderr,
    /^shardwright import: corrupt\.json was unusable \(the file is truncated.*\); kept as corrupt\.json\.bad-[0-9a-f]{16}, starting afresh\n$/,
  );
  assert.equal(History.load(path.join(cwd, 'corrupt.json')).runCount, 1);
});

test('the package ships the report schema', async () => {
  const { code, stdout, stderr } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT });
  assert.equal(code, 0, stderr);
  const files = JSON.parse(stdout)[0].files.map((f) => f.path);
  for (const f of [
    'schema/flaky-report.schema.json',
    'js/api/history.js',
    'js/api/history.d.ts',
    'js/api/flaky-events.js',
    'js/api/flaky-format.js',
    'js/cli/report.js',
    'js/cli/import.js',
    'js/cli/merge.js',
    'js/cli/flags.js',
  ]) {
    assert.ok(files.includes(f), `${f} is in the tarball`);
  }
  const schema = require('../schema/flaky-report.schema.json');
  assert.deepEqual(schema.properties.schemaVersion.enum, [1, 2]);
});
