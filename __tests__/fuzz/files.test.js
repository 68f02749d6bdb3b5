'use strict';
// The history and report files against what a file system can hold: devices
// that never end (/dev/zero) or never take a byte (/dev/full), a FIFO that
// never answers, a file larger than anything shardwright wrote, a full
// device (a real 256 KiB tmpfs in a mount namespace), a symbolic link,
// settings no writer writes (maxRuns: 0) — each a coded error or the right
// outcome, within a bounded time, nothing left behind, nothing lost.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { History } = require('../../js/index.js');
const { recordRun } = require('../../js/api/record.js');
const { tempDir, run } = require('../helpers.js');

const ONE = { id: 'r1', commit: null, attempts: [{ file: 'a.spec.ts', titlePath: ['t'], durationMs: 5, status: 'passed' }] };

function io(message) {
  return (err) => {
    assert.equal(err.code, 'ERR_SHARDWRIGHT_IO', `${err.code}: ${err.message}`);
    assert.match(err.message, message);
    return true;
  };
}

function fifo(dir) {
  const file = path.join(dir, 'history.json');
  execFileSync('mkfifo', [file]);
  return file;
}

test('/dev/zero as a history: refused at once as a device, never read', () => {
  const t0 = Date.now();
  assert.throws(() => History.load('/dev/zero'), io(/^failed to read `\/dev\/zero`: it is a character device, not a regular file$/));
  assert.throws(() => History.empty().importReport('/dev/zero'), io(/it is a character device, not a regular file/));
  assert.ok(Date.now() - t0 < 5000);
});

test('a FIFO as a history, a report or a save target: refused without waiting for a writer', async () => {
  const dir = tempDir();
  const file = fifo(dir);
  assert.throws(() => History.load(file), io(/it is a FIFO \(named pipe\), not a regular file$/));
  await assert.rejects(require('../../js/index.js').loadHistory(file), io(/FIFO/));
  assert.throws(() => History.empty().importReport(file), io(/FIFO/));
  const h = History.empty();
  h.addRun(ONE);
  assert.throws(() => h.save(file), io(/^failed to write `.*history\.json`: it is a FIFO/));
  assert.deepEqual(fs.readdirSync(dir), ['history.json'], 'no lock or temporary file beside it');
});

test('/dev/full as a save target: refused before anything is created (no lock file in /dev)', () => {
  const h = History.empty();
  h.addRun(ONE);
  assert.throws(() => h.save('/dev/full'), io(/^failed to write `\/dev\/full`: it is a character device, not a regular file$/));
  assert.equal(fs.existsSync('/dev/full.lock'), false);
});

test('a history file larger than the limit (1 GiB, sparse) is refused by its size, not read', () => {
  const dir = tempDir();
  const file = path.join(dir, 'history.json');
  fs.writeFileSync(file, '');
  fs.truncateSync(file, 2 ** 30 + 1);
  const t0 = Date.now();
  assert.throws(() => History.load(file), io(/it is larger than 1 GiB \(.*\), the most shardwright reads$/));
  const report = path.join(dir, 'report.json');
  fs.writeFileSync(report, '');
  fs.truncateSync(report, 2 ** 30 + 1);
  assert.throws(() => History.empty().importReport(report), io(/larger than 1 GiB/));
  assert.ok(Date.now() - t0 < 5000);
});

test('a full device (a real 256 KiB tmpfs): ENOSPC named and coded, no temporary or lock file left, the history intact', async (t) => {
  const dir = tempDir();
  const script = path.join(__dirname, '..', 'fixtures', 'enospc-save.js');
  const mounted = await run('unshare', ['-rm', 'sh', '-c', `mount -t tmpfs -o size=256k none "$0" && exec "$1" "$2" "$0"`, dir, process.execPath, script]);
  if (mounted.code !== 0 && /mount|unshare|Operation not permitted/i.test(mounted.stderr)) {
    t.skip(`no mount namespace here: ${mounted.stderr.trim()}`);
    return;
  }
  assert.equal(mounted.code, 0, mounted.stderr);
  const out = JSON.parse(mounted.stdout);
  assert.equal(out.error?.code, 'ERR_SHARDWRIGHT_IO', JSON.stringify(out));
  assert.match(out.error.message, /^failed to write `.*\.history\.json\.tmp-[^`]+`: No space left on device \(ENOSPC\)$/);
  assert.deepEqual(out.left, ['history.json'], 'no temporary file, no lock file');
  assert.deepEqual(out.runs, ['small'], 'the history as it was before the failed save');
});

test('a symbolic link to the history stays a link: the save writes through to its target', () => {
  const dir = tempDir();
  const real = path.join(dir, 'store', 'real-history.json');
  fs.mkdirSync(path.dirname(real));
  const link = path.join(dir, 'history.json');
  fs.symlinkSync(path.relative(dir, real), link);
  const h = History.load(link);
  h.addRun(ONE);
  h.save();
  assert.ok(fs.lstatSync(link).isSymbolicLink(), 'still a link');
  assert.deepEqual(
    History.load(real)
      .runs()
      .map((r) => r.id),
    ['r1'],
  );
  // Again, now that the target exists (merge through the link).
  const again = History.load(link);
  again.addRun({ ...ONE, id: 'r2' });
  again.save(link);
  assert.ok(fs.lstatSync(link).isSymbolicLink());
  assert.deepEqual(
    History.load(real)
      .runs()
      .map((r) => r.id),
    ['r1', 'r2'],
  );
  assert.deepEqual(fs.readdirSync(dir).sort(), ['history.json', 'store']);
  assert.deepEqual(fs.readdirSync(path.dirname(real)), ['real-history.json']);
});

test('maxRuns: 0 (or above the cap) in a history file is refused, never clamped into dropping runs', () => {
  const dir = tempDir();
  const file = path.join(dir, 'history.json');
  const h = History.empty({ maxRuns: 5 });
  for (let i = 0; i < 3; i++) h.addRun({ ...ONE, id: `r${i}`, startedAt: 1_700_000_000_000 + i });
  h.save(file);
  const good = fs.readFileSync(file, 'utf8');
  for (const bad of [0, 1001]) {
    fs.writeFileSync(file, good.replace(/"maxRuns":\d+/, `"maxRuns":${bad}`));
    assert.throws(
      () => History.load(file),
      (err) => err.code === 'ERR_SHARDWRIGHT_HISTORY' && err.message.includes(`its maxRuns is ${bad} (a whole number from 1 to 1000)`),
    );
    // A save over it keeps it as a backup first (all three runs in it), and says so.
    const fresh = History.empty();
    fresh.addRun({ ...ONE, id: 'new' });
    const saved = fresh.save(file);
    assert.match(saved.recovered.problem, new RegExp(`its maxRuns is ${bad}`));
    const backup = fs.readFileSync(saved.recovered.backup, 'utf8');
    assert.equal((backup.match(/"id":"r\d"/g) || []).length, 3, 'no run dropped');
    fs.rmSync(saved.recovered.backup);
  }
});

test('recordRun (the reporter, run, merge --queue) says on stderr, every time, that an unreadable history was kept as a backup and replaced', () => {
  const dir = tempDir();
  const file = path.join(dir, 'history.json');
  const writes = [];
  const write = process.stderr.write;
  process.stderr.write = (chunk) => {
    writes.push(String(chunk));
    return true;
  };
  try {
    for (const garbage of ['garbage one', 'garbage two', 'garbage one']) {
      const history = History.load(file);
      fs.writeFileSync(file, garbage); // another process wrote it meanwhile
      recordRun(history, { ...ONE, id: `run-${writes.length}` }, { reportDir: path.join(dir, 'report') }, {});
    }
  } finally {
    process.stderr.write = write;
  }
  const notices = writes.filter((w) => /was unreadable/.test(w));
  assert.equal(notices.length, 3, writes.join(''));
  for (const n of notices) assert.match(n, /history\.json\.bad-[0-9a-f]{16}/);
});
