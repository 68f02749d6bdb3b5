'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { retry } = require('../js/index.js');

const fast = { initialDelayMs: 5, maxDelayMs: 50, jitter: 'none' };

test('resolves with the value after retryable failures, calling onRetry before each wait', async () => {
  const events = [];
  const calls = [];
  const value = await retry(
    async (attempt) => {
      calls.push(attempt);
      if (attempt < 3) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
      return { ok: attempt };
    },
    { ...fast, maxRetries: 5, onRetry: (e) => events.push(e) },
  );
  assert.deepEqual(value, { ok: 3 });
  assert.deepEqual(calls, [1, 2, 3]);
  assert.deepEqual(
    events.map((e) => [e.attempt, e.delayMs, e.class, e.rule, e.error.code]),
    [
      [1, 5, 'retryable', 'network', 'ECONNREFUSED'],
      [2, 10, 'retryable', 'network', 'ECONNREFUSED'],
    ],
  );
});

test('waits the backoff between attempts (timestamps, lower bound)', async () => {
  const starts = [];
  await retry(
    async () => {
      starts.push(performance.now());
      if (starts.length < 3) throw new Error('socket hang up');
    },
    { initialDelayMs: 60, multiplier: 2, maxRetries: 2, jitter: 'none' },
  );
  const gaps = [starts[1] - starts[0], starts[2] - starts[1]];
  // Timers may fire late, never early (1 ms of clock granularity allowed).
  assert.ok(gaps[0] >= 59, `first wait ${gaps[0]} ms ≥ 60 ms`);
  assert.ok(gaps[1] >= 119, `second wait ${gaps[1]} ms ≥ 120 ms`);
});

test('the JS thread stays free while Rust waits', async () => {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  await retry(
    async (n) => {
      if (n === 1) throw new Error('ETIMEDOUT');
    },
    { initialDelayMs: 400, jitter: 'none' },
  );
  clearInterval(timer);
  // 80 ticks on an idle machine; a blocked thread would give none.
  assert.ok(ticks >= 10, `interval ran ${ticks} times during a 400 ms backoff`);
});

test('rejects with the last error and the attempt history when retries run out', async () => {
  let n = 0;
  const err = await retry(
    async () => {
      n++;
      throw new TypeError(`fetch failed #${n}`);
    },
    { ...fast, maxRetries: 2 },
  ).catch((e) => e);
  assert.ok(err instanceof TypeError);
  assert.equal(err.message, 'fetch failed #3');
  assert.equal(err.retryOutcome, 'exhausted');
  assert.deepEqual(
    err.attempts.map((a) => [a.attempt, a.class, a.rule, a.delayMs ?? null]),
    [
      [1, 'retryable', 'network', 5],
      [2, 'retryable', 'network', 10],
      [3, 'retryable', 'network', null],
    ],
  );
  assert.equal(err.attempts[0].error.message, 'fetch failed #1');
  assert.ok(err.attempts.every((a) => typeof a.startedAt === 'number' && a.durationMs >= 0));
});

test('a permanent error is not retried', async () => {
  let n = 0;
  const err = await retry(async () => {
    n++;
    throw new Error('expect(received).toBe(expected)\n\nExpected: 2\nReceived: 1');
  }, fast).catch((e) => e);
  assert.equal(n, 1);
  assert.equal(err.retryOutcome, 'permanent');
  assert.equal(err.attempts[0].rule, 'assertion');
});

test('user patterns (strings and RegExps) decide before the built-in rules', async () => {
  let n = 0;
  const err = await retry(
    async () => {
      n++;
      throw new Error(n === 1 ? 'Event turbo:load was not dispatched' : 'quota EXCEEDED for tenant 7');
    },
    { ...fast, retryable: [/not dispatched$/], permanent: ['quota exceeded'] },
  ).catch((e) => e);
  assert.equal(n, 2);
  assert.equal(err.retryOutcome, 'permanent');
  assert.deepEqual(
    err.attempts.map((a) => a.rule),
    ['user:/not dispatched$/', 'user:quota exceeded'],
  );
});

test('retryUnknown: false stops on errors no rule knows', async () => {
  let n = 0;
  await retry(
    async () => {
      n++;
      throw new Error('something odd');
    },
    { ...fast, retryUnknown: false },
  ).catch(() => {});
  assert.equal(n, 1);
});

test('non-Error throws are kept and wrapped only when they cannot carry the history', async () => {
  const err = await retry(
    async () => {
      throw 'ECONNRESET as a string';
    },
    { ...fast, maxRetries: 1 },
  ).catch((e) => e);
  assert.ok(err instanceof Error);
  assert.equal(err.cause, 'ECONNRESET as a string');
  assert.equal(err.attempts.length, 2);
  assert.equal(err.attempts[0].rule, 'network');
});

test('an AbortSignal stops the wait at once', async () => {
  const ac = new AbortController();
  const started = Date.now();
  setTimeout(() => ac.abort(new Error('user cancelled')), 50);
  let n = 0;
  const err = await retry(
    async () => {
      n++;
      throw new Error('503 Service Unavailable');
    },
    { initialDelayMs: 60_000, maxDelayMs: 60_000, signal: ac.signal },
  ).catch((e) => e);
  assert.equal(err.name, 'AbortError');
  assert.equal(err.code, 'ERR_SHARDWRIGHT_ABORTED');
  assert.equal(err.cause.message, 'user cancelled');
  assert.equal(err.attempts.length, 1);
  assert.equal(n, 1);
  assert.ok(Date.now() - started < 30_000, 'did not wait the 60 s backoff');
});

test('an AbortSignal interrupts a running attempt and is passed to fn', async () => {
  const ac = new AbortController();
  let seen;
  setTimeout(() => ac.abort(), 30);
  const err = await retry(
    (attempt, signal) => {
      seen = signal;
      return new Promise(() => {}); // never settles
    },
    { signal: ac.signal },
  ).catch((e) => e);
  assert.equal(err.code, 'ERR_SHARDWRIGHT_ABORTED');
  assert.equal(seen, ac.signal);
});

test('an already aborted signal rejects without calling fn', async () => {
  let called = false;
  const err = await retry(async () => (called = true), { signal: AbortSignal.abort() }).catch((e) => e);
  assert.equal(err.code, 'ERR_SHARDWRIGHT_ABORTED');
  assert.equal(called, false);
});

test('an onRetry that throws does not break the retry', async () => {
  const warnings = [];
  const onWarning = (w) => warnings.push(w.message);
  process.on('warning', onWarning);
  const v = await retry(
    async (n) => {
      if (n === 1) throw new Error('ECONNRESET');
      return 'done';
    },
    {
      ...fast,
      onRetry: () => {
        throw new Error('listener bug');
      },
    },
  );
  await new Promise((r) => setImmediate(r));
  process.off('warning', onWarning);
  assert.equal(v, 'done');
  assert.ok(
    warnings.some((w) => w.includes('listener bug')),
    warnings.join('\n'),
  );
});

// Every bad argument: code and message naming the field and the value.
const BAD = [
  [() => retry(42), 'invalid fn: 42 (a function returning a value or a promise)'],
  [() => retry(async () => {}, 'fast'), "invalid options: 'fast' (an object)"],
  [() => retry(async () => {}, { signal: {} }), 'invalid signal: {} (an AbortSignal)'],
  [() => retry(async () => {}, { onRetry: 'log' }), "invalid onRetry: 'log' (a function)"],
  [() => retry(async () => {}, { maxRetries: -2 }), 'invalid maxRetries: -2 (a whole number from 0 to 1000)'],
  [() => retry(async () => {}, { initialDelayMs: NaN }), 'invalid initialDelayMs: NaN (a finite number)'],
  [() => retry(async () => {}, { multiplier: 0 }), 'invalid multiplier: 0 (a finite number ≥ 1)'],
  [() => retry(async () => {}, { maxDelayMs: 1 }), 'invalid maxDelayMs: 1 (must not be below initialDelayMs (1000))'],
  [() => retry(async () => {}, { jitter: 'lots' }), 'invalid jitter: "lots" (one of none, full, equal, decorrelated)'],
  [() => retry(async () => {}, { jitterFactor: 3 }), 'invalid jitterFactor: 3 (a number from 0 to 1)'],
  [() => retry(async () => {}, { seed: 0.5 }), 'invalid seed: 0.5 (a whole number from 0 to 9007199254740991)'],
  [() => retry(async () => {}, { retryable: 'ECONNRESET' }), 'invalid retryable: "ECONNRESET" (an array of strings or RegExps)'],
  [() => retry(async () => {}, { retryable: [7] }), 'invalid retryable[0]: 7 (a string or a RegExp)'],
  [() => retry(async () => {}, { permanent: [''] }), 'invalid permanent[0]: "" (a non-empty string or a RegExp)'],
  [
    () => retry(async () => {}, { permanent: [/(?<=x)y/] }),
    /^invalid permanent\[0\]: \/\(\?<=x\)y\/ \(a regular expression shardwright can compile: .*look-?around/i,
  ],
  [() => retry(async () => {}, { retryUnknown: 'perhaps' }), 'invalid retryUnknown: "perhaps" (true or false)'],
];

for (const [call, message] of BAD) {
  test(`retry() rejects: ${message instanceof RegExp ? message.source : message}`, async () => {
    await assert.rejects(call(), (err) => {
      assert.equal(err.code, 'ERR_SHARDWRIGHT_CONFIG');
      if (message instanceof RegExp) assert.match(err.message, message);
      else assert.equal(err.message, message);
      return true;
    });
  });
}
