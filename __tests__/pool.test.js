'use strict';
// WorkerManager: JS function tasks and real child processes, asserting
// outcomes and order.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { WorkerManager } = require('../js/index.js');
const { run } = require('./helpers.js');

const NODE = process.execPath;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// Manager defaults for the tests: no memory gate (CI machines vary).
const base = { minAvailableMemoryMb: 0 };

/** A promise with its resolve function outside. */
function gate() {
  let open;
  const p = new Promise((r) => (open = r));
  return { p, open };
}

test('priorities: critical first, then high, normal, low; FIFO within a level', async () => {
  const m = new WorkerManager({ ...base, maxWorkers: 1 });
  const order = [];
  const blocker = gate();
  const first = m.submit({ id: 'blocker', fn: () => blocker.p });
  await sleep(10); // the blocker holds the only worker
  const specs = [['low1', 'low'], ['n1', 'normal'], ['c1', 'critical'], ['h1', 'high'], ['n2'], ['c2', 'critical'], ['low2', 'low']];
  const all = specs.map(([id, priority]) => m.submit({ id, priority, fn: async () => order.push(id) }));
  blocker.open();
  await Promise.all([first, ...all]);
  assert.deepEqual(order, ['c1', 'c2', 'h1', 'n1', 'n2', 'low1', 'low2']);
});

test('dependencies: a DAG runs in order; dependents of a failure are skipped with the reason', async () => {
  const m = new WorkerManager({ ...base, maxWorkers: 4 });
  const log = [];
  const task = (id, dependsOn = [], fail = false) => ({
    id,
    dependsOn,
    fn: async () => {
      log.push(`start ${id}`);
      await sleep(5);
      log.push(`end ${id}`);
      if (fail) throw new Error(`expect(${id}).toBe(ok)`);
      return id.toUpperCase();
    },
  });
  const results = await m.run([
    task('deploy', ['build', 'test']),
    task('test', ['build']),
    task('build'),
    task('lint'),
    task('docs', ['lint'], true),
    task('publish', ['docs', 'deploy']),
  ]);
  const byId = Object.fromEntries(results.map((r) => [r.id, r]));
  assert.deepEqual(
    results.map((r) => r.id),
    ['deploy', 'test', 'build', 'lint', 'docs', 'publish'],
  );
  const at = (what) => log.indexOf(what);
  assert.ok(at('end build') < at('start test'));
  assert.ok(at('end test') < at('start deploy'));
  assert.ok(at('end lint') < at('start docs'));
  assert.equal(byId.deploy.value, 'DEPLOY');
  assert.equal(byId.docs.outcome, 'failed');
  assert.equal(byId.docs.error.message, 'expect(docs).toBe(ok)');
  assert.equal(byId.publish.outcome, 'skipped');
  assert.equal(byId.publish.reason, 'dependency `docs` failed');
  assert.equal(byId.publish.attempts, 0);
  assert.ok(!log.includes('start publish'));
});

test('a cycle or an unknown dependency rejects run() before anything runs', async () => {
  const m = new WorkerManager(base);
  let ran = 0;
  const fn = async () => ran++;
  await assert.rejects(
    m.run([
      { id: 'a', fn },
      { id: 'b', dependsOn: ['nope'], fn },
    ]),
    (err) => {
      assert.equal(err.code, 'ERR_SHARDWRIGHT_TASK');
      assert.equal(err.message, 'task `b` cannot be scheduled: it depends on unknown task `nope`');
      return true;
    },
  );
  await assert.rejects(
    m.run([
      { id: 'x', fn },
      { id: 'a', dependsOn: ['c'], fn },
      { id: 'b', dependsOn: ['a'], fn },
      { id: 'c', dependsOn: ['b'], fn },
    ]),
    (err) => {
      assert.equal(err.code, 'ERR_SHARDWRIGHT_TASK');
      assert.equal(err.message, 'task `a` cannot be scheduled: dependency cycle a → c → b → a');
      return true;
    },
  );
  await sleep(20);
  assert.equal(ran, 0);
  // submit() rejects only the task with the problem.
  const [ok, bad] = await Promise.allSettled([m.submit({ id: 'fine', fn }), m.submit({ id: 'bad', dependsOn: ['ghost'], fn })]);
  assert.equal(ok.value.outcome, 'passed');
  assert.equal(bad.reason.code, 'ERR_SHARDWRIGHT_TASK');
});

test('serial groups never overlap, other tasks still run in parallel', async () => {
  const m = new WorkerManager({ ...base, maxWorkers: 4 });
  let inGroup = 0;
  let maxInGroup = 0;
  let running = 0;
  let maxRunning = 0;
  const order = [];
  const task = (id, group) => ({
    id,
    group,
    fn: async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      if (group === 'db') {
        inGroup++;
        maxInGroup = Math.max(maxInGroup, inGroup);
        order.push(id);
      }
      await sleep(15);
      if (group === 'db') inGroup--;
      running--;
    },
  });
  const results = await m.run([task('m1', 'db'), task('x1'), task('m2', 'db'), task('x2'), task('m3', 'db'), task('x3')]);
  assert.equal(maxInGroup, 1);
  assert.ok(maxRunning >= 3, `parallel outside the group: ${maxRunning}`);
  assert.deepEqual(order, ['m1', 'm2', 'm3']);
  assert.ok(results.every((r) => r.outcome === 'passed'));
});

test('timeouts: a JS task is abandoned and its signal aborted; a process group is killed', async () => {
  const m = new WorkerManager({ ...base, maxWorkers: 2, killGraceMs: 200 });
  let signal;
  const js = m.submit({
    id: 'hang',
    timeoutMs: 50,
    fn: (ctx) => {
      signal = ctx.signal;
      return new Promise(() => {});
    },
  });
  const t0 = Date.now();
  const proc = m.submit({ id: 'sleep', timeoutMs: 300, command: '/bin/sh', args: ['-c', 'sleep 30 & sleep 30'] });
  const [r1, r2] = await Promise.all([js, proc]);
  assert.equal(r1.outcome, 'timed-out');
  assert.equal(r1.error.name, 'TimeoutError');
  assert.equal(r1.error.message, 'task timed out after 50 ms');
  assert.equal(signal.aborted, true);
  assert.equal(signal.reason.code, 'ERR_SHARDWRIGHT_ABORTED');
  assert.equal(r2.outcome, 'timed-out');
  assert.equal(r2.signal, 'SIGTERM');
  assert.ok(Date.now() - t0 < 10_000);
});

test('retries go through the backoff engine: delays, classification, attempts', async () => {
  const m = new WorkerManager({ ...base, retry: { maxRetries: 3, initialDelayMs: 20, multiplier: 2, jitter: 'none' } });
  const retries = [];
  m.on('retry', (e) => retries.push([e.id, e.attempt, e.delayMs, e.rule]));
  const attempts = [];
  const starts = [];
  const flaky = m.submit({
    id: 'flaky',
    fn: async (ctx) => {
      attempts.push(ctx.attempt);
      starts.push(performance.now());
      if (ctx.attempt < 3) throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
      return 'finally';
    },
  });
  const thrown = new Error('expect(received).toBe(expected)');
  const permanent = m.submit({
    id: 'assert',
    fn: async () => {
      throw thrown;
    },
  });
  const once = m.submit({
    id: 'once',
    retries: 0,
    fn: async () => {
      throw new Error('socket hang up');
    },
  });
  const [r, p, o] = await Promise.all([flaky, permanent, once]);
  assert.equal(r.outcome, 'passed');
  assert.equal(r.value, 'finally');
  assert.equal(r.attempts, 3);
  assert.deepEqual(attempts, [1, 2, 3]);
  assert.deepEqual(
    r.history.map((a) => [a.outcome, a.rule ?? null, a.delayMs ?? null]),
    [
      ['failed', 'network', 20],
      ['failed', 'network', 40],
      ['passed', null, null],
    ],
  );
  assert.ok(starts[1] - starts[0] >= 19 && starts[2] - starts[1] >= 39, `waits ${starts[1] - starts[0]}, ${starts[2] - starts[1]}`);
  assert.deepEqual(retries, [
    ['flaky', 1, 20, 'network'],
    ['flaky', 2, 40, 'network'],
  ]);
  assert.equal(p.outcome, 'failed');
  assert.equal(p.attempts, 1);
  assert.equal(p.error, thrown, 'the thrown value itself');
  assert.equal(o.attempts, 1);
});

test('an AbortSignal cancels pending and running tasks, JS and process', async () => {
  const m = new WorkerManager({ ...base, maxWorkers: 2, killGraceMs: 100 });
  const ac = new AbortController();
  let jsSignal;
  const done = m.run(
    [
      {
        id: 'js',
        fn: (ctx) => {
          jsSignal = ctx.signal;
          return new Promise(() => {});
        },
      },
      { id: 'proc', command: '/bin/sh', args: ['-c', 'sleep 30'] },
      { id: 'waiting', fn: async () => 'never' },
      { id: 'after', dependsOn: ['waiting'], fn: async () => 'never' },
    ],
    { signal: ac.signal },
  );
  await sleep(150);
  ac.abort(new Error('user pressed ctrl-c'));
  const results = Object.fromEntries((await done).map((r) => [r.id, r]));
  assert.equal(results.js.outcome, 'cancelled');
  assert.equal(results.js.reason, 'user pressed ctrl-c');
  assert.equal(jsSignal.aborted, true);
  assert.equal(results.proc.outcome, 'cancelled');
  assert.equal(results.proc.signal, 'SIGTERM');
  assert.equal(results.waiting.outcome, 'cancelled');
  assert.equal(results.after.outcome, 'skipped');
  assert.equal(results.after.reason, 'dependency `waiting` was cancelled');
});

test('a child SIGKILLed mid-task is reported and retried', async () => {
  const m = new WorkerManager({ ...base, retry: { maxRetries: 2, initialDelayMs: 10, jitter: 'none' } });
  const script =
    "if (process.env.SHARDWRIGHT_ATTEMPT === '1') { console.log(process.pid); setInterval(() => {}, 1000) } else console.log('attempt', process.env.SHARDWRIGHT_ATTEMPT)";
  const retries = [];
  m.on('retry', (e) => retries.push(e));
  m.on('output', (o) => {
    if (o.attempt === 1 && o.stream === 'stdout') process.kill(Number(o.chunk.trim()), 'SIGKILL');
  });
  const r = await m.submit({ id: 'victim', command: NODE, args: ['-e', script] });
  assert.equal(r.outcome, 'passed');
  assert.equal(r.attempts, 2);
  assert.equal(r.stdout, 'attempt 2\n');
  assert.equal(r.history[0].signal, 'SIGKILL');
  assert.equal(r.history[0].outcome, 'failed');
  assert.equal(r.history[0].rule, 'worker-crash');
  assert.equal(retries.length, 1);
  assert.match(retries[0].error.message, /killed by signal SIGKILL/);
});

test('a process over its memory limit is killed, reported as such, not retried', async () => {
  const m = new WorkerManager({ ...base, maxWorkers: 2, memorySampleMs: 50, retry: { maxRetries: 3 } });
  const hog = 'const keep = []; setInterval(() => { if (keep.length < 60) keep.push(Buffer.alloc(20 << 20, 1)) }, 20)';
  const [hogResult, fine] = await Promise.all([
    m.submit({ id: 'hog', command: NODE, args: ['-e', hog], memoryLimitMb: 200, timeoutMs: 60_000 }),
    m.submit({ id: 'fine', command: NODE, args: ['-e', 'setTimeout(() => {}, 200)'], memoryLimitMb: 200 }),
  ]);
  assert.equal(hogResult.outcome, 'memory-killed');
  assert.equal(hogResult.attempts, 1);
  assert.equal(hogResult.signal, 'SIGKILL');
  assert.match(hogResult.reason, /^killed: its processes used \d+ MB, over the memory limit of 200 MB$/);
  assert.equal(fine.outcome, 'passed');
  assert.equal(m.progress().memoryKilled, 1);
});

test('graceful shutdown waits for running tasks up to the deadline, then kills', async () => {
  const m = new WorkerManager({ ...base, maxWorkers: 3 });
  const quick = m.submit({ id: 'quick', fn: () => sleep(100).then(() => 'done') });
  const stuck = m.submit({ id: 'stuck', command: NODE, args: ['-e', "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"] });
  const proc = m.submit({ id: 'proc', command: '/bin/sh', args: ['-c', 'sleep 0.2; echo ok'] });
  // Waits on the stuck process, so it has not started when the shutdown comes, however slow the machine.
  const queued = m.submit({ id: 'queued', dependsOn: ['stuck'], fn: async () => 'never' });
  await sleep(50);
  const t0 = Date.now();
  const report = await m.shutdown({ deadlineMs: 800 });
  const waited = Date.now() - t0;
  assert.deepEqual(report, { drained: false, killed: 1, cancelled: 1 });
  assert.ok(waited >= 750 && waited < 10_000, `waited ${waited} ms`);
  assert.equal((await quick).value, 'done');
  assert.equal((await proc).stdout, 'ok\n');
  const s = await stuck;
  assert.equal(s.outcome, 'cancelled');
  assert.equal(s.reason, 'the shutdown deadline passed');
  assert.equal(s.signal, 'SIGKILL');
  assert.equal((await queued).outcome, 'cancelled');
  await assert.rejects(m.submit({ fn: async () => 1 }), { code: 'ERR_SHARDWRIGHT_ABORTED' });
});

test('events: taskStart and taskEnd once per task, progress to 100 %, workers scaled', async () => {
  const m = new WorkerManager({ ...base, minWorkers: 1, maxWorkers: 3, idleTimeoutMs: 50 });
  const events = [];
  for (const name of ['taskStart', 'taskEnd', 'progress', 'workerScaled']) m.on(name, (e) => events.push([name, e]));
  const results = await m.run(Array.from({ length: 6 }, (_, i) => ({ id: `t${i}`, fn: () => sleep(10).then(() => i) })));
  assert.deepEqual(
    results.map((r) => r.value),
    [0, 1, 2, 3, 4, 5],
  );
  const starts = events.filter(([n]) => n === 'taskStart').map(([, e]) => e.id);
  const ends = events.filter(([n]) => n === 'taskEnd').map(([, e]) => e.id);
  assert.deepEqual([...starts].sort(), ['t0', 't1', 't2', 't3', 't4', 't5']);
  assert.deepEqual([...ends].sort(), ['t0', 't1', 't2', 't3', 't4', 't5']);
  for (const id of starts) {
    const s = events.findIndex(([n, e]) => n === 'taskStart' && e.id === id);
    const e = events.findIndex(([n, r]) => n === 'taskEnd' && r.id === id);
    assert.ok(s < e, `${id} started before it ended`);
  }
  const taskEnd = events.find(([n]) => n === 'taskEnd')[1];
  assert.equal(
    taskEnd,
    results.find((r) => r.id === taskEnd.id),
    'taskEnd carries the result',
  );
  const last = events.filter(([n]) => n === 'progress').at(-1)[1];
  assert.deepEqual([last.total, last.passed, last.pending, last.running, last.percent], [6, 6, 0, 0, 100]);
  assert.deepEqual(events.find(([n]) => n === 'workerScaled')[1], { from: 1, to: 3, reason: 'queue' });
  // Idle workers retire down to minWorkers: in one step when they went idle
  // together, in several when a loaded machine spread their last ends apart.
  const idle = () => events.filter(([n, e]) => n === 'workerScaled' && e.reason === 'idle').map(([, e]) => e);
  for (let waited = 0; idle().at(-1)?.to !== 1 && waited < 3000; waited += 50) await sleep(50);
  const steps = idle();
  assert.equal(steps[0]?.from, 3, JSON.stringify(steps));
  assert.equal(steps.at(-1).to, 1, JSON.stringify(steps));
  for (let i = 1; i < steps.length; i++) assert.equal(steps[i].from, steps[i - 1].to, JSON.stringify(steps));
});

test('stats: busy time and utilisation per worker, queue-wait percentiles', async () => {
  const m = new WorkerManager({ ...base, minWorkers: 2, maxWorkers: 2, strategy: 'round-robin' });
  await m.run(Array.from({ length: 6 }, () => () => sleep(30)));
  const s = m.stats();
  assert.equal(s.workers.length, 2);
  assert.deepEqual(
    s.workers.map((w) => w.tasks),
    [3, 3],
  );
  for (const w of s.workers) {
    assert.ok(w.busyMs >= 85, `busy ${w.busyMs}`);
    assert.ok(w.utilisation > 0 && w.utilisation <= 1);
  }
  assert.equal(s.queueWaitMs.count, 6);
  // Two run at once: the last pair waited for two rounds of 30 ms.
  assert.ok(s.queueWaitMs.p99 >= 55, `p99 ${s.queueWaitMs.p99}`);
  assert.ok(s.queueWaitMs.p50 <= s.queueWaitMs.p95 && s.queueWaitMs.p95 <= s.queueWaitMs.p99);
  assert.equal(s.progress.passed, 6);
});

test('a task id submitted twice within the window runs once; both get the result', async () => {
  const m = new WorkerManager({ ...base, dedupWindowMs: 5000 });
  let calls = 0;
  const fn = async () => ++calls;
  const [a, b] = await Promise.all([m.submit({ id: 'same', fn }), m.submit({ id: 'same', fn })]);
  const c = await m.submit({ id: 'same', fn });
  assert.equal(calls, 1);
  assert.equal(a, b);
  assert.equal(a, c);
  assert.equal(a.value, 1);
});

test('maxFailures stops the run: what has not started is skipped', async () => {
  const m = new WorkerManager({ ...base, maxWorkers: 1, maxFailures: 2 });
  const stopped = [];
  m.on('stopped', (e) => stopped.push(e.reason));
  const results = await m.run(
    Array.from({ length: 5 }, (_, i) => ({
      id: `t${i}`,
      fn: async () => {
        throw new Error(`boom ${i}`);
      },
    })),
  );
  assert.deepEqual(
    results.map((r) => r.outcome),
    ['failed', 'failed', 'skipped', 'skipped', 'skipped'],
  );
  assert.equal(results[4].reason, 'stopped after 2 failed tasks (maxFailures)');
  assert.deepEqual(stopped, ['stopped after 2 failed tasks (maxFailures)']);
});

test('process tasks: output, exit code, env, cwd and the worker index', async () => {
  const m = new WorkerManager({ ...base, maxWorkers: 2 });
  const chunks = [];
  m.on('output', (o) => chunks.push(o));
  const [ok, bad] = await Promise.all([
    m.submit({
      id: 'env',
      command: '/bin/sh',
      args: ['-c', 'echo "$GREETING from $(pwd) as $SHARDWRIGHT_TASK_ID on $SHARDWRIGHT_WORKER_INDEX"'],
      env: { GREETING: 'hello' },
      cwd: '/tmp',
    }),
    m.submit({ id: 'exit2', command: '/bin/sh', args: ['-c', 'echo broken >&2; exit 2'] }),
  ]);
  assert.match(ok.stdout, /^hello from \/tmp as env on [01]\n$/);
  assert.equal(ok.exitCode, 0);
  assert.equal(bad.outcome, 'failed');
  assert.equal(bad.exitCode, 2);
  assert.equal(bad.stderr, 'broken\n');
  assert.equal(bad.error.message, '`/bin/sh` exited with code 2\nbroken');
  assert.equal(bad.error.code, 'EXIT_2');
  assert.ok(chunks.some((c) => c.id === 'exit2' && c.stream === 'stderr' && c.chunk === 'broken\n'));
});

test('Node stays alive while a process task runs, and exits when it is done', async () => {
  const script = `
    const { WorkerManager } = require(${JSON.stringify(require.resolve('../js/index.js'))});
    const m = new WorkerManager({ minAvailableMemoryMb: 0 });
    m.submit({ command: '/bin/sh', args: ['-c', 'sleep 0.3; echo slept'] }).then((r) => console.log(r.outcome, r.stdout.trim()));
  `;
  const t0 = Date.now();
  const r = await run(NODE, ['-e', script], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'passed slept\n');
  assert.ok(Date.now() - t0 < 20_000);
});

const BAD_OPTIONS = [
  [{ maxWorkers: 0 }, 'invalid maxWorkers: 0 (a whole number from 1 to 10000)'],
  [{ maxWorkers: 'many' }, 'invalid maxWorkers: "many" (a number)'],
  [{ minWorkers: 3, maxWorkers: 2 }, 'invalid minWorkers: 3 (at most maxWorkers (2))'],
  [{ strategy: 'fastest' }, 'invalid strategy: "fastest" (one of round-robin, least-loaded, random, priority)'],
  [{ timeoutMs: 0 }, 'invalid timeoutMs: 0 (a number of milliseconds > 0 and ≤ 2147483647)'],
  [{ retry: { maxRetries: -1 } }, 'invalid retry.maxRetries: -1 (a whole number from 0 to 1000)'],
  [{ retry: { jitter: 'lots' } }, 'invalid retry.jitter: "lots" (one of none, full, equal, decorrelated)'],
  [{ maxFailures: 1.5 }, 'invalid maxFailures: 1.5 (a whole number from 0 to 4294967295)'],
  [{ memoryLimitMb: -1 }, 'invalid memoryLimitMb: -1 (a number of megabytes > 0)'],
  [{ signal: 'stop' }, "invalid signal: 'stop' (an AbortSignal)"],
  [{ workers: 2 }, /^invalid workers: 2 \(not a WorkerManager option; did you mean (min|max)Workers\?\)$/],
  [{ colour: 'red' }, /^invalid colour: "red" \(not a WorkerManager option; known: minWorkers, maxWorkers, .*, signal\)$/],
];

for (const [options, message] of BAD_OPTIONS) {
  test(`new WorkerManager throws: ${message instanceof RegExp ? message.source : message}`, () => {
    assert.throws(
      () => new WorkerManager(options),
      (err) => {
        assert.equal(err.code, 'ERR_SHARDWRIGHT_CONFIG');
        if (message instanceof RegExp) assert.match(err.message, message);
        else assert.equal(err.message, message);
        return true;
      },
    );
  });
}

const BAD_TASKS = [
  [{ fn: async () => {}, priority: 'urgent' }, 'invalid priority: "urgent" (one of critical, high, normal, low)'],
  [{ fn: async () => {}, dependencies: ['a'] }, /^invalid dependencies: \["a"\] \(not a task field/],
  [{ fn: async () => {}, timeoutMs: -1 }, 'invalid timeoutMs: -1 (a number of milliseconds > 0 and ≤ 2147483647)'],
  [{ id: 'x' }, 'invalid fn: undefined (a function, or `command` for a process task)'],
  [{ fn: 'not a function' }, 'invalid fn: "not a function" (a function)'],
  [{ command: 'ls', args: 'a b' }, 'invalid args: "a b" (an array of strings)'],
  [{ fn: async () => {}, command: 'ls' }, 'invalid command: "ls" (either `fn` or `command`, not both)'],
];

for (const [task, message] of BAD_TASKS) {
  test(`submit() rejects: ${message instanceof RegExp ? message.source : message}`, async () => {
    const m = new WorkerManager(base);
    await assert.rejects(m.submit(task), (err) => {
      assert.equal(err.code, 'ERR_SHARDWRIGHT_CONFIG');
      if (message instanceof RegExp) assert.match(err.message, message);
      else assert.equal(err.message, message);
      return true;
    });
  });
}

test('run(tasks) names the bad task by its index', async () => {
  const m = new WorkerManager(base);
  await assert.rejects(m.run([{ fn: async () => {} }, { fn: async () => {}, retries: 'x' }]), {
    code: 'ERR_SHARDWRIGHT_CONFIG',
    message: 'invalid tasks[1].retries: "x" (a number)',
  });
});

test('a batch bigger than the transfer buffer arrives in parts, in order', async () => {
  // 10,000 tasks start at once and end in one microtask checkpoint: their
  // 50,000 numbers exceed the 32,768-number buffer.
  const m = new WorkerManager({ ...base, minWorkers: 10_000, maxWorkers: 10_000 });
  let ends = 0;
  m.on('taskEnd', () => ends++);
  const results = await m.run(Array.from({ length: 10_000 }, (_, i) => async () => i));
  assert.equal(results.length, 10_000);
  assert.ok(results.every((r, i) => r.outcome === 'passed' && r.value === i));
  assert.equal(ends, 10_000);
});

test('a manager nobody references any more is garbage-collected (with its tasks)', async () => {
  const script = `
    const { WorkerManager } = require(${JSON.stringify(require.resolve('../js/index.js'))});
    let collected = 0;
    const registry = new FinalizationRegistry(() => collected++);
    (async () => {
      for (let i = 0; i < 5; i++) {
        const m = new WorkerManager({ minAvailableMemoryMb: 0 });
        m.on('taskEnd', () => {});
        registry.register(m, i);
        await m.run([async () => 1, { command: '/bin/true' }]);
      }
      for (let k = 0; k < 20 && collected < 4; k++) {
        global.gc();
        await new Promise((r) => setTimeout(r, 20));
      }
      console.log(collected);
    })();
  `;
  const r = await run(NODE, ['--expose-gc', '-e', script], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  // The last one may still be on the stack of the async function.
  assert.ok(Number(r.stdout) >= 4, `collected ${r.stdout.trim()} of 5`);
});
