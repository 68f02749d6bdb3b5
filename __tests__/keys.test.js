'use strict';
// One stable test key, whoever computes it: the reporter's live suite, the
// `--list` report, the history's attempts from the reporter, an imported
// JSON report, and the public testKey(). A real Playwright project with
// unicode and parametrised titles, nested describes, a project with its own
// testDir, and --repeat-each. And planning a shard inside preprocess is one
// crossing of the napi boundary.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { ROOT, tempDir, run } = require('./helpers.js');
const { History, listReportGroups, testKey } = require('../js/index.js');

function writeProject() {
  const dir = tempDir('shardwright-keys-');
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  fs.mkdirSync(path.join(dir, 'tests', 'nested', 'deeper'), { recursive: true });
  const files = {
    'playwright.config.js': `
      const { defineConfig } = require('@playwright/test');
      module.exports = defineConfig({
        testDir: './tests',
        reporter: [
          ['./counting-reporter.js', { history: process.env.KEYS_HISTORY, reportDir: process.env.KEYS_REPORT_DIR }],
          ['json', { outputFile: process.env.KEYS_JSON }],
        ],
        projects: [
          { name: 'alpha' },
          { name: 'β-project', testDir: './tests/nested', fullyParallel: true },
        ],
      });`,
    // Counts every call into the addon while the reporter works.
    'counting-reporter.js': `
      const fs = require('fs');
      const native = require(${JSON.stringify(path.join(ROOT, 'js', 'native.js'))});
      const calls = {};
      for (const name of Object.keys(native)) {
        const f = native[name];
        if (typeof f !== 'function' || /^[A-Z]/.test(name)) continue;
        native[name] = function (...args) { calls[name] = (calls[name] || 0) + 1; return f.apply(this, args); };
      }
      const Base = require(${JSON.stringify(path.join(ROOT, 'js', 'playwright', 'reporter.js'))});
      module.exports = class extends Base {
        async preprocess(args) {
          const before = { ...calls };
          await super.preprocess(args);
          this._preprocessCalls = Object.fromEntries(Object.entries(calls).map(([k, v]) => [k, v - (before[k] || 0)]).filter(([, v]) => v > 0));
        }
        async onEnd(result) {
          const out = await super.onEnd(result);
          fs.writeFileSync(process.env.KEYS_OUT, JSON.stringify({ keys: [...this._keyOf.values()], preprocess: this._preprocessCalls }));
          return out;
        }
      };`,
    'tests/unicode.spec.js': `const { test } = require('@playwright/test');
      test('über café ✓', async () => {});
      test.describe('日本語 › not a separator? no: a describe', () => {
        test('emoji 🚀 and "quotes"', async () => {});
      });`,
    'tests/params.spec.js': `const { test } = require('@playwright/test');
      for (const [a, b] of [[1, 2], [3, 4]]) {
        test(\`adds \${a} + \${b}\`, async () => {});
      }
      test.describe('outer', () => { test.describe('inner', () => { test('deep', async () => {}); }); });`,
    'tests/nested/deeper/own-dir.spec.js': `const { test } = require('@playwright/test');
      test('in a project with its own testDir', async () => {});
      test('another one', async () => {});`,
  };
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

const withoutRepeat = (key) => key.replace(/ \(repeat \d+\)$/, '');

test('every source keys a test alike, and planning a shard is one crossing', async () => {
  const dir = writeProject();
  const env = {
    KEYS_HISTORY: path.join(dir, 'history.json'),
    KEYS_REPORT_DIR: path.join(dir, '.shardwright'),
    KEYS_JSON: path.join(dir, 'report.json'),
    KEYS_OUT: path.join(dir, 'keys.json'),
    FORCE_COLOR: '0',
  };
  const listFile = path.join(dir, 'list.json');
  const r = await run('npx', ['playwright', 'test', '--shard=1/1', '--repeat-each=2', '--workers=2'], { cwd: dir, env });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const { keys: live, preprocess } = JSON.parse(fs.readFileSync(env.KEYS_OUT, 'utf8'));

  // Planning inside preprocess: one call into the engine, nothing else.
  assert.deepEqual(preprocess, { __planSuite: 1 });

  // The --list report, grouped by the engine from the JSON report.
  const listed = await run('npx', ['playwright', 'test', '--list', '--reporter=json', '--repeat-each=2'], {
    cwd: dir,
    env: { ...env, PLAYWRIGHT_JSON_OUTPUT_FILE: listFile },
  });
  assert.equal(listed.code, 0, listed.stderr);
  const fromList = [...listReportGroups(JSON.parse(fs.readFileSync(listFile, 'utf8'))).tests.keys()];
  assert.deepEqual(live.slice().sort(), fromList.slice().sort());
  assert.equal(live.length, 2 * 9, 'nine tests (seven in alpha, two in β-project), each twice');
  assert.ok(live.includes('alpha › unicode.spec.js › über café ✓'));
  assert.ok(live.includes('alpha › unicode.spec.js › 日本語 › not a separator? no: a describe › emoji 🚀 and "quotes"'));
  assert.ok(live.includes('alpha › params.spec.js › adds 3 + 4 (repeat 1)'));
  // A project's own testDir does not change the file: relative to the
  // config's rootDir, as the reporter's file suite titles it.
  assert.ok(live.includes('β-project › nested/deeper/own-dir.spec.js › another one'), live.join('\n'));

  // The history the reporter wrote (attempts keyed by the engine) and an
  // import of the run's JSON report: the same tests (repeats are attempts
  // of one test there).
  const recorded = History.load(env.KEYS_HISTORY).testKeys().sort();
  const imported = History.empty();
  imported.importReport(env.KEYS_JSON);
  assert.deepEqual(imported.testKeys().sort(), recorded);
  assert.deepEqual([...new Set(live.map(withoutRepeat))].sort(), recorded);

  // The public testKey(), Windows separators and a `./` prefix included.
  assert.equal(
    testKey({ project: 'β-project', file: '.\\nested\\deeper\\own-dir.spec.js', titlePath: ['another one'] }),
    'β-project › nested/deeper/own-dir.spec.js › another one',
  );
  assert.equal(testKey({ file: 'unicode.spec.js:3:7', titlePath: ['über café ✓'] }), 'unicode.spec.js › über café ✓');
});
