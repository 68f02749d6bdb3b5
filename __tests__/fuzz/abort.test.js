'use strict';
// An AbortSignal that is aborted already starts nothing: not a process task
// (the engine cancels it in the same step that accepts it, before any
// worker takes it), not a JS function, whether the signal is the
// submission's, run()'s or the manager's own. Real child processes, a real
// file each would write.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { WorkerManager } = require('../../js/index.js');
const { tempDir } = require('../helpers.js');

const base = { minAvailableMemoryMb: 0, maxWorkers: 8 };

function aborted(reason = 'stop') {
  const ac = new AbortController();
  ac.abort(reason);
  return ac.signal;
}

/** A process task that appends a line to `file` if it ever starts. */
function writer(file, i) {
  return { id: `p${i}`, command: process.execPath, args: ['-e', `require('fs').appendFileSync(${JSON.stringify(file)}, '${i}\\n')`] };
}

test('40 process tasks submitted with an aborted signal: none starts, in every one of 10 rounds', async () => {
  const dir = tempDir();
  for (let round = 0; round < 10; round++) {
    const file = path.join(dir, `started-${round}`);
    const m = new WorkerManager(base);
    const signal = aborted(`round ${round}`);
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => m.submit(writer(file, i), { signal })));
    await m.shutdown({ deadlineMs: 5000 });
    assert.deepEqual(new Set(results.map((r) => r.outcome)), new Set(['cancelled']), `round ${round}`);
    assert.equal(results[0].reason, `round ${round}`);
    assert.equal(fs.existsSync(file), false, `round ${round}: ${fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : ''}`);
  }
});

test('run() with an aborted signal starts none of its tasks, JS or process', async () => {
  const file = path.join(tempDir(), 'started');
  const m = new WorkerManager(base);
  let ran = 0;
  const results = await m.run([writer(file, 1), () => ran++, { fn: () => ran++, id: 'js' }], { signal: aborted() });
  assert.deepEqual(
    results.map((r) => r.outcome),
    ['cancelled', 'cancelled', 'cancelled'],
  );
  assert.equal(ran, 0);
  assert.equal(fs.existsSync(file), false);
});

test('a manager created with an aborted signal runs nothing submitted to it, then or later', async () => {
  const file = path.join(tempDir(), 'started');
  const m = new WorkerManager({ ...base, signal: aborted('the build was cancelled') });
  let ran = 0;
  const first = await m.submit(() => ran++);
  await new Promise((r) => setTimeout(r, 20));
  const later = await Promise.all([m.submit(() => ran++), m.submit(writer(file, 2))]);
  const viaRun = await m.run([() => ran++]);
  for (const r of [first, ...later, ...viaRun]) {
    assert.equal(r.outcome, 'cancelled');
    assert.equal(r.reason, 'the build was cancelled');
  }
  assert.equal(ran, 0);
  assert.equal(fs.existsSync(file), false);
});

test('a manager whose signal aborts later cancels what runs and refuses to start what comes after', async () => {
  const ac = new AbortController();
  const m = new WorkerManager({ ...base, signal: ac.signal });
  let ran = 0;
  const running = m.submit(() => new Promise(() => {}));
  await new Promise((r) => setTimeout(r, 10));
  ac.abort('enough');
  assert.equal((await running).outcome, 'cancelled');
  const after = await m.submit(() => ran++);
  assert.equal(after.outcome, 'cancelled');
  assert.equal(ran, 0);
});

test('a signal not aborted yet still cancels on abort (no change)', async () => {
  const m = new WorkerManager(base);
  const ac = new AbortController();
  const p = m.submit(() => new Promise(() => {}), { signal: ac.signal });
  setTimeout(() => ac.abort('later'), 10);
  const r = await p;
  assert.equal(r.outcome, 'cancelled');
});
