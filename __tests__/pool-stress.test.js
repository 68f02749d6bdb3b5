'use strict';
// Stress: 10,000 JS tasks with random dependencies and 1,000 child
// processes in one manager; every task ends exactly once, after its
// dependencies.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { WorkerManager } = require('../js/index.js');

// A small seeded generator (mulberry32), so a failure can be replayed.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PRIORITIES = ['critical', 'high', 'normal', 'low'];

test('10,000 JS tasks with random dependencies and 1,000 processes each end exactly once', async () => {
  const random = rng(20261123);
  const m = new WorkerManager({ maxWorkers: 8, minAvailableMemoryMb: 0 });
  const calls = new Map();
  const endOrder = new Map();
  let clock = 0;
  const deps = new Map();
  const starts = new Map();
  const taskEnds = new Map();
  m.on('taskEnd', (r) => taskEnds.set(r.id, (taskEnds.get(r.id) || 0) + 1));

  const tasks = [];
  for (let i = 0; i < 10_000; i++) {
    const id = `js${i}`;
    const dependsOn = [];
    const n = i === 0 ? 0 : Math.floor(random() * 4);
    for (let k = 0; k < n; k++) dependsOn.push(`js${Math.floor(random() * i)}`);
    deps.set(id, dependsOn);
    const fails = random() < 0.01;
    const yieldFirst = random() < 0.3;
    tasks.push({
      id,
      dependsOn,
      priority: PRIORITIES[i % 4],
      fn: async () => {
        calls.set(id, (calls.get(id) || 0) + 1);
        starts.set(id, clock++);
        if (yieldFirst) await new Promise((r) => setImmediate(r));
        endOrder.set(id, clock++);
        if (fails) throw new Error(`expect(${id}).toPass()`);
        return i;
      },
    });
  }
  // A process task after every tenth JS task.
  for (let i = 0; i < 1000; i++) {
    const proc = { id: `proc${i}`, priority: PRIORITIES[i % 4], command: '/bin/sh', args: ['-c', 'echo $SHARDWRIGHT_TASK_ID'] };
    tasks.splice(i * 11 + 10, 0, proc);
  }
  // The first half through run(), the rest submitted one by one while it
  // runs. Dependencies point to lower indexes: submitted through run()
  // already, or earlier in the same batch of submit() calls.
  const firstHalf = tasks.slice(0, 5500);
  const secondHalf = tasks.slice(5500);
  const running = m.run(firstHalf);
  const submitted = [];
  for (const t of secondHalf) {
    submitted.push(m.submit(t).catch((err) => ({ rejected: err })));
  }
  const [results, late] = await Promise.all([running, Promise.all(submitted)]);
  assert.ok(
    late.every((r) => !r.rejected),
    'no late submission was rejected',
  );

  const all = new Map(results.map((r) => [r.id, r]));
  assert.equal(all.size, 11_000, 'one result per task');
  assert.equal(results.length, 11_000);
  for (const [id, count] of taskEnds) assert.equal(count, 1, `${id} ended ${count} times`);
  assert.equal(taskEnds.size, 11_000);
  for (const [id, count] of calls) assert.equal(count, 1, `${id} ran ${count} times`);

  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const [id, r] of all) {
    if (id.startsWith('proc')) {
      assert.equal(r.outcome, 'passed', `${id}: ${r.reason || r.error}`);
      assert.equal(r.stdout, `${id}\n`);
      passed++;
      continue;
    }
    if (r.outcome === 'skipped') {
      skipped++;
      assert.ok(!calls.has(id), `${id} was skipped but ran`);
      assert.match(r.reason, /^dependency `js\d+` (failed|was skipped)$/);
      continue;
    }
    if (r.outcome === 'failed') failed++;
    else {
      assert.equal(r.outcome, 'passed');
      assert.equal(r.value, Number(id.slice(2)));
      passed++;
    }
    for (const d of deps.get(id)) {
      assert.equal(all.get(d).outcome, 'passed', `${id} ran although ${d} did not pass`);
      assert.ok(endOrder.get(d) < starts.get(id), `${id} started before ${d} ended`);
    }
  }
  assert.ok(failed > 0 && skipped > 0, `failed ${failed}, skipped ${skipped}`);
  const p = m.progress();
  assert.deepEqual([p.total, p.passed, p.failed, p.skipped, p.pending, p.running], [11_000, passed, failed, skipped, 0, 0]);
});
