'use strict';
// The history file under stress: writers killed mid-save, malformed files,
// writers saving at once. Real child processes, real files.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { History } = require('../js/index.js');
const { tempDir, run } = require('./helpers.js');

const WRITER = path.join(__dirname, 'fixtures', 'history-writer.js');

function savedIds(stdout) {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('saved '))
    .map((l) => l.slice(6));
}

test('a writer SIGKILLed while it saves never leaves an unreadable history, and every completed run is there', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'history.json');
  const completed = new Set();
  let killedWhileRunning = 0;
  for (let round = 0; round < 40; round++) {
    // 300 tests per run and a growing file: each save takes a few ms. Once the
    // writer has completed its first save, the kill lands at a random point
    // of the following ones (load, add, encode, write, fsync, rename).
    const child = spawn(process.execPath, [WRITER, file, `w${round}`, '1000', '300'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
    await new Promise((resolve) => {
      child.stdout.on('data', (d) => {
        const first = !out.includes('saved ');
        out += d;
        if (first && out.includes('saved ')) setTimeout(resolve, Math.floor(Math.random() * 40));
      });
      child.on('close', resolve);
    });
    child.kill('SIGKILL');
    const { signal } = await exited;
    if (signal === 'SIGKILL') killedWhileRunning++;
    assert.equal(err, '', `writer stderr: ${err}`);
    for (const id of savedIds(out)) completed.add(id);

    // Readable, and holds every run whose save returned.
    const history = History.load(file);
    const ids = new Set(history.runs().map((r) => r.id));
    for (const id of completed) assert.ok(ids.has(id), `round ${round}: completed run ${id} is in the history`);
  }
  assert.equal(killedWhileRunning, 40, 'every writer was killed while still writing');
  assert.ok(completed.size >= 40, `runs completed before the kills: ${completed.size}`);
  // Temp files of killed writers are cleaned up by the next save.
  History.load(file).save();
  const leftovers = fs.readdirSync(dir).filter((f) => f !== 'history.json' && f !== 'history.json.lock');
  assert.deepEqual(leftovers, []);
});

test('writers saving at once lose no run (lock + merge of what the other saved)', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'history.json');
  const writers = ['a', 'b', 'c'];
  // Each loads, adds its run, pauses up to 20 ms (the others save meanwhile),
  // then saves: without the lock and the merge, runs would be overwritten.
  const results = await Promise.all(writers.map((w) => run(process.execPath, [WRITER, file, w, '15', '50', '20'])));
  for (const r of results) assert.equal(r.code, 0, r.stderr);
  const history = History.load(file);
  const ids = history
    .runs()
    .map((r) => r.id)
    .sort();
  const expected = writers.flatMap((w) => Array.from({ length: 15 }, (_, n) => `${w}-${n}`)).sort();
  assert.deepEqual(ids, expected);
  // Every test has one result per run: nothing duplicated either.
  let attempts = 0;
  for (let n = 0; n < 15; n++) for (let t = 0; t < 50; t++) attempts += (t + n) % 7 === 0 ? 2 : 1;
  assert.equal(history.attemptCount, writers.length * attempts);
});

// ---- malformed files --------------------------------------------------------

function validHistory() {
  const h = History.empty();
  h.addRun({
    id: 'r1',
    startedAt: 1_000,
    commit: 'c1',
    attempts: [
      { project: 'chromium', file: 'a.spec.ts', titlePath: ['t'], durationMs: 10, status: 'failed', error: 'Error: boom' },
      { project: 'chromium', file: 'a.spec.ts', titlePath: ['t'], durationMs: 12, status: 'passed', retry: 1 },
    ],
  });
  const dir = tempDir();
  h.save(path.join(dir, 'h.json'));
  return fs.readFileSync(path.join(dir, 'h.json'), 'utf8');
}

const GOOD = validHistory();
const swap = (from, to) => {
  assert.ok(GOOD.includes(from), `fixture contains ${from}`);
  return GOOD.replace(from, to);
};

const MALFORMED = [
  ['empty', '', /the file is empty/],
  ['whitespace only', '  \n\t\n', /the file is empty/],
  ['truncated in the middle', GOOD.slice(0, Math.floor(GOOD.length / 2)), /the file is truncated \(the JSON ends early at line \d+ column \d+\)/],
  ['truncated to one byte', '{', /the file is truncated/],
  ['truncated by one byte', GOOD.trimEnd().slice(0, -1), /the file is truncated/],
  ['random binary', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0xff, 0x00, 0x13]), /not a text file \(invalid UTF-8 at byte 0\)/],
  ['NUL bytes', '\u0000\u0000\u0000\u0000', /not valid JSON at line 1 column 1/],
  ['UTF-16 text', Buffer.from(`\ufeff${GOOD}`, 'utf16le'), /not a text file \(invalid UTF-8/],
  ['wrong version', swap('"version":2', '"version":3'), /unsupported version 3 \(this shardwright reads versions 1 and 2/],
  ['version as a string', swap('"version":2', '"version":"2"'), /unsupported version "2"/],
  ['no version', swap('"version":2,', ''), /no `version` field/],
  ['another format', swap('"format":"shardwright-history"', '"format":"jest-results"'), /not a shardwright history \(`format` is "jest-results"/],
  ['a JSON array', '[1,2,3]', /not a shardwright history \(the JSON is not an object\)/],
  ['JSON null', 'null', /not a shardwright history \(the JSON is not an object\)/],
  ['a JSON string', '"history"', /not a shardwright history \(the JSON is not an object\)/],
  ['deeply nested arrays', '['.repeat(100_000) + ']'.repeat(100_000), /not a shardwright history \(the JSON is not an object\)/],
  [
    'deeply nested value in a field',
    swap('"format":"shardwright-history"', `"format":${'['.repeat(5000)}1${']'.repeat(5000)}`),
    /`format` is sequence, expected a string/,
  ],
  ['duration beyond f64', swap('"d":[10,', '"d":[1e400,'), /not valid JSON at line \d+ column \d+: number out of range/],
  ['duration beyond u32', swap('"d":[10,', '"d":[99999999999,'), /`tests\[0\]\.d\[0\]` is integer `99999999999`, expected u32/],
  ['negative duration', swap('"d":[10,', '"d":[-5,'), /`tests\[0\]\.d\[0\]` is integer `-5`, expected u32/],
  ['fractional duration', swap('"d":[10,', '"d":[10.5,'), /`tests\[0\]\.d\[0\]` is floating point `10\.5`, expected u32/],
  ['start time beyond i64', swap('"startedAt":1000', '"startedAt":1e300'), /`runs\[0\]\.startedAt` is floating point `1e\+300`, expected i64/],
  ['runs is an object', swap('"runs":[', '"runs":{"x":[').replace('}],\n"errors"', '}]},\n"errors"'), /`runs` is map, expected a sequence/],
  [
    'statuses and durations disagree',
    swap('"s":"fp"', '"s":"fpp"'),
    /tests\[0\] \("chromium › a\.spec\.ts › t"\): `s` has 3 statuses, `r` 2 runs and `d` 2 durations/,
  ],
  ['unknown status letter', swap('"s":"fp"', '"s":"fz"'), /attempt 1 has the status letter 'z' \(one of p f t s i\)/],
  ['run index out of range', swap('"r":[0,0]', '"r":[0,9]'), /attempt 1 refers to run 9, but there are 1 runs/],
  ['error index out of range', swap('"e":[1,0]', '"e":[2,0]'), /attempt 0 refers to error 2, but there are 1/],
  ['project index out of range', swap('"p":0', '"p":3'), /tests\[0\]\.p is 3 but there are 1 projects/],
  [
    'duplicate run id',
    swap('{"id":"r1","startedAt":1000,"commit":"c1"}', '{"id":"r1","startedAt":1000,"commit":"c1"},\n{"id":"r1","startedAt":2000}'),
    /the run id "r1" appears twice/,
  ],
  ['empty title path', swap('"t":["t"]', '"t":[]'), /tests\[0\]\.t \(the title path\) is empty/],
  ['unknown error class', swap('"retryable"', '"fatal"'), /errors\[0\] has the class "fatal" \(retryable or permanent\)/],
  ['trailing garbage', `${GOOD}}}`, /not valid JSON at line \d+ column \d+: trailing characters/],
];

test(`${MALFORMED.length} malformed history files: each a clear ERR_SHARDWRIGHT_HISTORY naming the file and the problem, nothing lost (kept as a backup on reset)`, () => {
  assert.ok(MALFORMED.length >= 20);
  const dir = tempDir();
  for (const [name, content, problem] of MALFORMED) {
    const file = path.join(dir, `${name.replace(/\W+/g, '-')}.json`);
    fs.writeFileSync(file, content);
    const before = fs.readFileSync(file);
    let thrown;
    assert.throws(
      () => History.load(file),
      (err) => {
        thrown = err;
        return true;
      },
      name,
    );
    assert.equal(thrown.code, 'ERR_SHARDWRIGHT_HISTORY', `${name}: ${thrown.message}`);
    assert.ok(thrown.message.startsWith(`history file \`${file}\` is unusable: `), `${name}: ${thrown.message}`);
    assert.match(thrown.message, problem, name);
    assert.match(
      thrown.message,
      /; nothing was changed — fix or remove it, or start afresh with `reset: true` \(CLI: --reset\), which keeps it as `[^`]+\.bad-[0-9a-f]{16}`$/,
      name,
    );
    // The original is untouched, nothing else written.
    assert.deepEqual(fs.readFileSync(file), before, `${name}: the file is untouched`);
    const backup = /which keeps it as `([^`]+)`/.exec(thrown.message)[1];
    assert.equal(fs.existsSync(backup), false);

    // Only when asked: a fresh start, the bad file moved to the backup.
    const fresh = History.load(file, { reset: true });
    assert.equal(fresh.runCount, 0);
    assert.equal(fresh.recovered.backup, backup, name);
    assert.match(fresh.recovered.problem, problem, name);
    assert.equal(fs.existsSync(file), false, `${name}: moved aside`);
    assert.deepEqual(fs.readFileSync(backup), before);
  }
});

test('a directory where the file should be is named as such', () => {
  const dir = tempDir();
  assert.throws(
    () => History.load(dir),
    (err) => err.code === 'ERR_SHARDWRIGHT_HISTORY' && err.message === `history file \`${dir}\` is unusable: it is a directory, not a file`,
  );
});

test('saving over an unreadable file keeps it as a backup first', () => {
  const dir = tempDir();
  const file = path.join(dir, 'history.json');
  fs.writeFileSync(file, 'not json at all');
  const h = History.empty();
  h.addRun({ id: 'r', commit: null, attempts: [{ file: 'a.spec.ts', titlePath: ['t'], durationMs: 1, status: 'passed' }] });
  const saved = h.save(file);
  assert.match(saved.recovered.problem, /not valid JSON/);
  assert.equal(fs.readFileSync(saved.recovered.backup, 'utf8'), 'not json at all');
  assert.deepEqual(
    History.load(file)
      .runs()
      .map((r) => r.id),
    ['r'],
  );
});

test('a UTF-8 byte order mark is accepted', () => {
  const dir = tempDir();
  const file = path.join(dir, 'history.json');
  fs.writeFileSync(file, `\ufeff${GOOD}`);
  assert.deepEqual(
    History.load(file)
      .runs()
      .map((r) => r.id),
    ['r1'],
  );
});
