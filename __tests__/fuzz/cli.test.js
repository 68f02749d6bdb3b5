'use strict';
// The CLI's inputs: numbers only as the SHARDWRIGHT_* variables take them
// (decimal: no 0x10, 0b11, Infinity), a flag given twice refused instead of
// the last one winning, and `import` naming the file (and the test) of every
// problem. Runs main() in-process with captured output.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { main } = require('../../js/cli/main.js');
const { History } = require('../../js/index.js');
const { tempDir } = require('../helpers.js');

async function cli(...argv) {
  let stdout = '';
  let stderr = '';
  const io = { stdout: { write: (s) => (stdout += s), isTTY: false }, stderr: { write: (s) => (stderr += s) } };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

function junit(cases) {
  return `<?xml version="1.0"?>\n<testsuites><testsuite name="s">${cases}</testsuite></testsuites>\n`;
}

test('number flags are decimal only: hex, binary, octal and Infinity are refused like the env vars refuse them', async () => {
  const dir = tempDir();
  const history = path.join(dir, 'h.json');
  const report = path.join(dir, 'r.xml');
  fs.writeFileSync(report, junit('<testcase name="t" time="1"/>'));
  for (const [argv, flag] of [
    [['import', report, '--history', history, '--max-runs', '0x10'], '--max-runs'],
    [['import', report, '--history', history, '--max-runs', '0b11'], '--max-runs'],
    [['report', '--history', history, '--window', '0x10'], '--window'],
    [['report', '--history', history, '--flaky-threshold', 'Infinity'], '--flaky-threshold'],
    [['plan', '--shards', '0x2'], '--shards'],
    [['shard', '--shards', '2', '--index', '0o1'], '--index'],
    [['run', '--workers', '0x2'], '--workers'],
  ]) {
    const r = await cli(...argv);
    assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`invalid ${flag}: ['"]?(0[xbo]|Infinity)`), argv.join(' '));
    assert.match(r.stderr, /\[ERR_SHARDWRIGHT_CONFIG\]/);
  }
  // Decimal forms still work.
  const ok = await cli('import', report, '--history', history, '--max-runs', '16');
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(History.load(history).maxRuns, 16);
});

test('a flag given twice is refused, naming both values, instead of the last one winning', async () => {
  const dir = tempDir();
  const report = path.join(dir, 'r.xml');
  fs.writeFileSync(report, junit('<testcase name="t" time="1"/>'));
  const r = await cli('import', report, '--history', path.join(dir, 'a.json'), '--history', path.join(dir, 'b.json'));
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--history given twice \(--history ".*a\.json", then --history ".*b\.json"\): give it once/);
  assert.equal(fs.existsSync(path.join(dir, 'a.json')) || fs.existsSync(path.join(dir, 'b.json')), false, 'nothing written');
  const twice = await cli('report', '--json', '--json');
  assert.equal(twice.code, 2);
  assert.match(twice.stderr, /--json given twice/);
  // Repeatable flags stay repeatable.
  const h = path.join(dir, 'h.json');
  assert.equal((await cli('import', report, '--history', h)).code, 0);
  const rep = await cli('report', '--history', h, '--quarantine', 'a', '--quarantine', 'b', '--json');
  assert.equal(rep.code, 0, rep.stderr);
});

test('import: every bad time of a JUnit test names the file and the test; nothing is saved', async () => {
  const dir = tempDir();
  const history = path.join(dir, 'h.json');
  for (const time of ['NaN', 'inf', 'Infinity', '1e400', '-5', 'soon', '5000000']) {
    const report = path.join(dir, `bad-${time}.xml`);
    fs.writeFileSync(report, junit(`<testcase name="ok" time="1"/><testcase classname="cart.spec.ts" name="adds an item" time="${time}"/>`));
    const r = await cli('import', report, '--history', history);
    assert.equal(r.code, 2, `${time}: ${r.stdout}`);
    assert.ok(
      r.stderr.includes(`report \`${report}\` cannot be imported: test "adds an item" of "cart.spec.ts": invalid time "${time}"`),
      `${time}: ${r.stderr}`,
    );
    assert.match(r.stderr, /\[ERR_SHARDWRIGHT_HISTORY\]/);
    assert.equal(fs.existsSync(history), false, `${time}: nothing saved`);
  }
  // A retry's time too.
  const retry = path.join(dir, 'retry.xml');
  fs.writeFileSync(retry, junit('<testcase name="t" time="1"><flakyFailure time="NaN" message="x"/></testcase>'));
  const r = await cli('import', retry, '--history', history);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /<flakyFailure> of test "t": invalid time "NaN"/);
  // Empty and absent times are 0, as before.
  const fine = path.join(dir, 'fine.xml');
  fs.writeFileSync(fine, junit('<testcase name="a" time=""/><testcase name="b"/><testcase name="c" time="1,234.5"/>'));
  assert.equal((await cli('import', fine, '--history', history)).code, 0);
});

test('import: a bad value inside a Playwright JSON report names the file', async () => {
  const dir = tempDir();
  const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'reports', 'playwright.json'), 'utf8'));
  // A status no Playwright writes, deep inside.
  const walk = (s) => {
    for (const spec of s.specs || []) for (const t of spec.tests) for (const r of t.results) r.status = 'bogus';
    for (const c of s.suites || []) walk(c);
  };
  for (const s of fixture.suites) walk(s);
  const report = path.join(dir, 'pw.json');
  fs.writeFileSync(report, JSON.stringify(fixture));
  const r = await cli('import', report, '--history', path.join(dir, 'h.json'));
  assert.equal(r.code, 2);
  assert.ok(r.stderr.includes(`report \`${report}\` cannot be imported: invalid attempts[0].status: "bogus"`), r.stderr);
});

test('import: a 30 MB test title and error message are stored cut, with a marker', async () => {
  const dir = tempDir();
  const report = path.join(dir, 'big.xml');
  const huge = 'T'.repeat(30 << 20);
  fs.writeFileSync(report, junit(`<testcase name="${huge}" time="1"><failure message="${'E'.repeat(5 << 20)}"/></testcase>`));
  const history = path.join(dir, 'h.json');
  const r = await cli('import', report, '--history', history);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(fs.statSync(history).size < 64 * 1024, `history of ${fs.statSync(history).size} bytes`);
  const [key] = History.load(history).testKeys();
  assert.match(key, new RegExp(`T{2000}…\\[\\+${(30 << 20) - 2000} characters\\]$`));
});
