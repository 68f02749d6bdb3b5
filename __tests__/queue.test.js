'use strict';
// The work queue on a real redis-server: exactly-once seeding, longest first,
// leases that expire and return, completion at most once, clear errors.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { WorkQueue } = require('../js/native.js');
const { startRedis } = require('./redis-helpers.js');
const { freePort } = require('./helpers.js');

let redis;
before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis.stop();
});

const groups = (n, ms = (i) => (i + 1) * 100) =>
  Array.from({ length: n }, (_, i) => ({ id: `g${String(i).padStart(3, '0')}`, expectedMs: ms(i), payload: `tests of g${i}` }));

let runs = 0;
const runId = () => `test-run-${process.pid}-${++runs}`;

/** A machine of `run`: connects, seeds (or joins) with `seedWith` = [groups, fingerprint], registers. */
async function machine(id, run, slots = 1, leaseMs = 30_000, seedWith = [groups(1), null]) {
  const q = await WorkQueue.connect(redis.url, run);
  await q.seed(...seedWith);
  await q.join({ id, slots, host: 'test' }, leaseMs, Math.max(50, leaseMs / 3));
  return q;
}

test('the first machine seeds, exactly once, even when all arrive together', async () => {
  const run = runId();
  const clients = await Promise.all([1, 2, 3, 4, 5].map(() => WorkQueue.connect(redis.url, run)));
  const seeded = await Promise.all(clients.map((c, i) => c.seed(groups(10 + i), 'fp')));
  assert.equal(seeded.filter(Boolean).length, 1);
  const status = await clients[0].status();
  assert.equal(status.total, 10 + seeded.indexOf(true), "the winner's plan is the queue");
  assert.equal(status.pending, status.total);
  assert.equal(status.fingerprint, 'fp');
});

test('groups come out longest first, one lease each, and complete at most once', async () => {
  const run = runId();
  const a = await machine('a', run, 1, 30_000, [groups(6), null]);
  const order = [];
  for (;;) {
    const batch = await a.pull({ maxGroups: 1 });
    if (!batch.length) break;
    order.push(batch[0].id);
    assert.equal(await a.complete(batch[0].id, { status: 'passed', durationMs: 5, payload: 'r' }), true);
    assert.equal(await a.complete(batch[0].id, { status: 'passed', durationMs: 5 }), false, 'a second completion is refused');
  }
  assert.deepEqual(order, ['g005', 'g004', 'g003', 'g002', 'g001', 'g000']);
  const s = await a.status();
  assert.equal(s.done, 6);
  assert.equal(s.complete, true);
  assert.equal(s.remainingMs, 0);
  const results = await a.results();
  assert.deepEqual(
    results.map((r) => [r.group, r.machine]),
    order
      .slice()
      .sort()
      .map((g) => [g, 'a']),
  );
  await assert.rejects(a.complete('nope', { status: 'passed', durationMs: 1 }), { code: 'ERR_SHARDWRIGHT_QUEUE', message: /unknown group "nope"/ });
});

test('batches follow the remaining work: big first, single groups at the end', async () => {
  const run = runId();
  const a = await machine('a', run, 2, 30_000, [groups(60, () => 100), null]);
  const sizes = [];
  for (;;) {
    const batch = await a.pull();
    if (!batch.length) break;
    sizes.push(batch.length);
    for (const g of batch) await a.complete(g.id, { status: 'passed', durationMs: 100 });
  }
  assert.equal(
    sizes.reduce((x, y) => x + y, 0),
    60,
  );
  assert.ok(sizes[0] >= 8, `first batch ${sizes[0]}`);
  assert.equal(sizes.at(-1), 1);
  assert.ok(
    sizes.every((s, i) => i === 0 || s <= sizes[i - 1]),
    sizes.join(','),
  );
});

test("a dead machine's leases expire and go back to the front of the queue", async () => {
  const run = runId();
  const dead = await machine('dead', run, 1, 300, [groups(3), null]);
  const alive = await machine('alive', run, 1, 30_000, [groups(3), null]);
  const taken = await dead.pull({ maxGroups: 1, leaseMs: 300 });
  assert.equal(taken[0].id, 'g002');
  dead.stopHeartbeat(); // dies without a word
  let s = await alive.status();
  assert.deepEqual(
    s.leased.map((l) => [l.group, l.machine]),
    [['g002', 'dead']],
  );
  await new Promise((r) => setTimeout(r, 450));
  const next = await alive.pull({ maxGroups: 1 });
  assert.equal(next[0].id, 'g002', 'the reclaimed group is handed out first');
  s = await alive.status();
  assert.equal(s.reclaimed, 1);
  assert.deepEqual(
    s.leased.map((l) => [l.group, l.machine]),
    [['g002', 'alive']],
  );
  // The "dead" machine was only slow: its late completion is accepted once,
  // and the live machine's is then refused.
  assert.equal(await dead.complete('g002', { status: 'passed', durationMs: 1 }), true);
  assert.equal(await alive.complete('g002', { status: 'passed', durationMs: 1 }), false);
});

test('heartbeats keep a long group leased past its lease time', async () => {
  const run = runId();
  const a = await machine('a', run, 1, 300);
  await a.pull({ leaseMs: 300 });
  await new Promise((r) => setTimeout(r, 700));
  const s = await a.status();
  assert.equal(s.reclaimed, 0);
  assert.equal(s.leased.length, 1);
  assert.ok(s.leased[0].expiresInMs > 0);
});

test('an unreachable server is a clear error naming host and port', async () => {
  const port = await freePort();
  await assert.rejects(WorkQueue.connect(`redis://:hunter2@127.0.0.1:${port}/0`, 'r', { reconnectRetries: 0 }), (err) => {
    assert.equal(err.code, 'ERR_SHARDWRIGHT_QUEUE');
    assert.match(err.message, new RegExp(`^queue \`redis://\\*\\*\\*@127\\.0\\.0\\.1:${port}/0\`: failed to connect: `));
    assert.doesNotMatch(err.message, /hunter2/);
    return true;
  });
});

test('bad arguments name the field', async () => {
  await assert.rejects(WorkQueue.connect(redis.url, 'bad{id}'), {
    code: 'ERR_SHARDWRIGHT_CONFIG',
    message: 'invalid --run-id: "bad{id}" (1 to 200 characters without braces)',
  });
  await assert.rejects(async () => WorkQueue.connect('http://127.0.0.1:1', 'r'), {
    code: 'ERR_SHARDWRIGHT_QUEUE',
    message: /^queue `http:\/\/127.0.0.1:1`: invalid URL/,
  });
  // A URL that does not parse is never shown, whatever it holds.
  for (const bad of ['redis:/:s3cret@127.0.0.1:1', 'redis://:s3/cret@127.0.0.1:1/0', ':s3cret@host']) {
    await assert.rejects(WorkQueue.connect(bad, 'r', { reconnectRetries: 0 }), (err) => {
      assert.equal(err.code, 'ERR_SHARDWRIGHT_QUEUE');
      assert.doesNotMatch(err.message, /s3cret|s3\/cret/, err.message);
      return true;
    });
  }
  const a = await machine('a', runId());
  assert.throws(() => a.pull({ leaseMs: 5 }), {
    code: 'ERR_SHARDWRIGHT_CONFIG',
    message: 'invalid leaseMs: 5 (a number of milliseconds from 100 to 86400000)',
  });
  assert.throws(() => a.pull({ maxGroups: 0 }), { code: 'ERR_SHARDWRIGHT_CONFIG', message: 'invalid maxGroups: 0 (a whole number from 1 to 100000)' });
  assert.throws(() => a.seed([{ id: 'x', expectedMs: NaN, payload: '' }]), {
    code: 'ERR_SHARDWRIGHT_CONFIG',
    message: 'invalid groups[x].expectedMs: NaN (a finite number ≥ 0)',
  });
});

test('password and TLS: rediss:// with a private CA; a wrong password never shows', async (t) => {
  try {
    require('node:child_process').execFileSync('openssl', ['version'], { stdio: 'ignore' });
  } catch {
    t.skip('openssl is not installed (needed to make the test certificates)');
    return;
  }
  const secure = await startRedis({ password: 's3cr3t pass', tls: true });
  try {
    const q = await WorkQueue.connect(secure.url, 'tls-run', { tlsCa: secure.ca });
    assert.equal(q.target, `rediss://***@127.0.0.1:${secure.port}/0`);
    assert.equal(await q.seed(groups(2), null), true);
    await q.join({ id: 'm', slots: 1, host: 'h' }, 5000, 1000);
    assert.equal((await q.pull()).length >= 1, true);
    const wrong = secure.url.replace(encodeURIComponent('s3cr3t pass'), 'nope-wrong');
    await assert.rejects(WorkQueue.connect(wrong, 'tls-run', { tlsCa: secure.ca, reconnectRetries: 0 }), (err) => {
      assert.equal(err.code, 'ERR_SHARDWRIGHT_QUEUE');
      assert.doesNotMatch(err.message, /nope-wrong|s3cr3t/);
      return true;
    });
    // Without the CA the server's certificate is not trusted.
    await assert.rejects(WorkQueue.connect(secure.url, 'tls-run', { reconnectRetries: 0 }), { code: 'ERR_SHARDWRIGHT_QUEUE' });
  } finally {
    await secure.stop();
  }
});

test('a server lost mid-run: reconnects when it comes back, fails clearly when it does not', async () => {
  const r = await startRedis();
  const q = await WorkQueue.connect(r.url, 'lost', { reconnectRetries: 4 });
  await q.seed(groups(2), null);
  await q.join({ id: 'm', slots: 1, host: 'h' }, 5000, 1000);
  await r.stop();
  // Back within the reconnect budget: the next call reconnects and works
  // (this server kept no data, so the queue is empty).
  const back = setTimeout(() => startRedis({ port: r.port }).then((again) => (r.again = again)), 300);
  const status = await q.status();
  clearTimeout(back);
  assert.equal(status.seeded, false);
  await r.again.stop();
  const started = Date.now();
  await assert.rejects(q.pull(), (err) => {
    assert.equal(err.code, 'ERR_SHARDWRIGHT_QUEUE');
    assert.match(err.message, new RegExp(`^queue \`redis://127\\.0\\.0\\.1:${r.port}/0\`: failed to`));
    return true;
  });
  assert.ok(Date.now() - started >= 250, 'it retried with backoff before failing');
});

test('npx shardwright status shows pending, leases by machine, done and time left', async () => {
  const { run, ROOT } = require('./helpers.js');
  const cli = require('node:path').join(ROOT, 'js/cli/main.js');
  const id = runId();
  const a = await machine('ci-box-1', id, 2, 30_000, [groups(5), 'fp1']);
  const [first] = await a.pull({ maxGroups: 1 });
  await a.complete(first.id, { status: 'failed', durationMs: 480 });
  await a.pull({ maxGroups: 1 });
  let r = await run(process.execPath, [cli, 'status', '--queue', redis.url, '--run-id', id]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /groups: 5 · pending 3 · leased 1 · done 1 \(failed 1\)/);
  assert.match(r.stdout, /expected time left: 1\.0 s of work, about 500 ms on 2 running slots \(400 ms in progress\)/);
  assert.match(r.stdout, /^ {2}ci-box-1 {2}running {2}2 slots {2}seen .* ago {2}leases 1$/m);
  assert.match(r.stdout, /^ {4}g003 {2}expected 400 ms {2}lease ends in /m);
  r = await run(process.execPath, [cli, 'status', '--queue', redis.url, '--run-id', id, '--json']);
  const json = JSON.parse(r.stdout);
  assert.deepEqual([json.pending, json.done, json.failed, json.leased[0].machine], [3, 1, 1, 'ci-box-1']);
  r = await run(process.execPath, [cli, 'status', '--queue', redis.url, '--run-id', 'never-started']);
  assert.match(r.stdout, /not seeded yet/);
  const port = await freePort();
  r = await run(process.execPath, [cli, 'status', '--queue', `redis://:pw123@127.0.0.1:${port}`, '--run-id', 'x']);
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    new RegExp(`^shardwright status: queue \`redis://\\*\\*\\*@127\\.0\\.0\\.1:${port}\`: failed to connect: .*\\[ERR_SHARDWRIGHT_QUEUE\\]`),
  );
  assert.doesNotMatch(r.stderr, /pw123/);
  r = await run(process.execPath, [cli, 'status', '--run-id', 'x']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /invalid --queue: undefined/);
});

test('a finished run is not run again by accident; --rerun seeds it again', async () => {
  const run = runId();
  const a = await machine('a', run, 1, 30_000, [groups(2), 'fp-x']);
  for (const g of await a.pull({ maxGroups: 10, spread: 1 })) await a.complete(g.id, { status: g.id === 'g000' ? 'failed' : 'passed', durationMs: 1 });
  assert.equal((await a.status()).complete, true);
  const late = await WorkQueue.connect(redis.url, run);
  await assert.rejects(late.seed(groups(2), 'fp-x'), (err) => {
    assert.equal(err.code, 'ERR_SHARDWRIGHT_QUEUE');
    assert.match(err.message, /: this run already finished: 2\/2 groups done \(1 failed\), seeded \d+ min ago$/);
    return true;
  });
  assert.equal(await late.seed(groups(3), 'fp-x', { rerun: true }), true, 'seeded again');
  const s = await late.status();
  assert.deepEqual([s.total, s.pending, s.done, s.failed], [3, 3, 0, 0]);
  // While it runs, machines with --rerun join it instead of resetting it.
  assert.equal(await (await WorkQueue.connect(redis.url, run)).seed(groups(3), 'fp-x', { rerun: true }), false);
});

test('two suites under one run id get queues of their own', async () => {
  const run = runId();
  const a = await machine('a', run, 1, 30_000, [groups(4), 'aaaa1111']);
  const b = await machine('b', run, 1, 30_000, [groups(2), 'bbbb2222']);
  assert.equal((await a.status()).total, 4);
  assert.equal((await b.status()).total, 2);
  assert.deepEqual(
    (await b.suites()).map((x) => [x.fingerprint, x.total]),
    [
      ['aaaa1111', 4],
      ['bbbb2222', 2],
    ],
  );
  // Without a fingerprint (status, merge): the latest seeded suite.
  assert.equal((await (await WorkQueue.connect(redis.url, run)).status()).total, 2);
});

test('released groups go back to the front; lost keys fail every call instead of looking empty', async () => {
  const run = runId();
  const a = await machine('a', run, 2, 30_000, [groups(5), 'fp']);
  const b = await machine('b', run, 2, 30_000, [groups(5), 'fp']);
  const taken = await a.pull({ maxGroups: 2, spread: 1, share: 2 });
  assert.deepEqual(
    taken.map((g) => g.id),
    ['g004', 'g003'],
  );
  assert.equal(await b.release(taken.map((g) => g.id)), 0, 'b holds no lease on them');
  assert.equal(await a.release(taken.map((g) => g.id)), 2);
  assert.deepEqual(
    (await b.pull({ maxGroups: 2, spread: 1, share: 2 })).map((g) => g.id),
    ['g004', 'g003'],
  );
  // The server loses the run's keys (eviction, FLUSHALL, a restart without persistence).
  const { execFileSync } = require('node:child_process');
  execFileSync('redis-cli', ['-p', String(redis.port), 'FLUSHALL']);
  for (const call of [() => a.pull(), () => b.complete('g004', { status: 'passed', durationMs: 1 }), () => a.release(['g002'])]) {
    await assert.rejects(call(), (err) => {
      assert.equal(err.code, 'ERR_SHARDWRIGHT_QUEUE');
      assert.match(err.message, /the run's keys are gone from Redis \(evicted under memory pressure, flushed, or the server restarted without persistence\)/);
      return true;
    });
  }
  assert.equal((await a.status()).seeded, false);
});
