'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { BackoffPolicy } = require('../js/index.js');

test('defaults come from the engine', () => {
  const p = new BackoffPolicy();
  assert.deepEqual({ ...p.toJSON() }, { initialDelayMs: 1000, multiplier: 2, maxDelayMs: 30000, maxRetries: 2, jitter: 'equal', jitterFactor: 1 });
  assert.equal(p.worstCaseTotalMs, 3000);
});

test('schedule without jitter is exponential and capped', () => {
  const p = new BackoffPolicy({ initialDelayMs: 100, multiplier: 3, maxDelayMs: 1000, maxRetries: 5, jitter: 'none' });
  assert.deepEqual(p.schedule(), [100, 300, 900, 1000, 1000]);
  assert.equal(p.delay(3), 900);
  assert.equal(p.delay(0), 0);
  assert.equal(p.worstCaseTotalMs, 3300);
});

test('a seed makes jittered delays exact and reproducible', () => {
  for (const jitter of ['full', 'equal', 'decorrelated']) {
    const a = new BackoffPolicy({ initialDelayMs: 200, maxRetries: 4, jitter, seed: 42 });
    const b = new BackoffPolicy({ initialDelayMs: 200, maxRetries: 4, jitter, seed: 42 });
    assert.deepEqual(a.schedule(), b.schedule(), jitter);
    assert.notDeepEqual(a.schedule(), a.schedule(43), jitter);
    for (const [i, d] of a.schedule().entries()) assert.equal(a.delay(i + 1), d);
  }
  const equal = new BackoffPolicy({ initialDelayMs: 200, maxRetries: 4, jitter: 'equal', seed: 42 }).schedule();
  equal.forEach((d, i) => {
    const e = Math.min(200 * 2 ** i, 30000);
    assert.ok(d >= e / 2 && d <= e, `${d} within [${e / 2}, ${e}]`);
  });
});

// Every bad option: the error's code and a message naming the field and value.
const BAD = [
  [{ initialDelayMs: -1 }, 'invalid initialDelayMs: -1 (a number of milliseconds ≥ 0)'],
  [{ initialDelayMs: NaN }, 'invalid initialDelayMs: NaN (a finite number)'],
  [{ initialDelayMs: Infinity }, 'invalid initialDelayMs: Infinity (a finite number)'],
  [{ initialDelayMs: 'soon' }, 'invalid initialDelayMs: "soon" (a number)'],
  [{ multiplier: 0.5 }, 'invalid multiplier: 0.5 (a finite number ≥ 1)'],
  [{ multiplier: -2 }, 'invalid multiplier: -2 (a finite number ≥ 1)'],
  [{ multiplier: {} }, 'invalid multiplier: {} (a number)'],
  [{ maxDelayMs: 10 }, 'invalid maxDelayMs: 10 (must not be below initialDelayMs (1000))'],
  [{ maxDelayMs: -5, initialDelayMs: 0 }, 'invalid maxDelayMs: -5 (a number of milliseconds ≥ 0)'],
  [{ maxDelayMs: 1e12 }, 'invalid maxDelayMs: 1000000000000 (at most 2147483647 ms)'],
  [{ maxRetries: -1 }, 'invalid maxRetries: -1 (a whole number from 0 to 1000)'],
  [{ maxRetries: 1.5 }, 'invalid maxRetries: 1.5 (a whole number from 0 to 1000)'],
  [{ maxRetries: 5000 }, 'invalid maxRetries: 5000 (a whole number from 0 to 1000)'],
  [{ maxRetries: true }, 'invalid maxRetries: true (a number)'],
  [{ jitter: 'half' }, 'invalid jitter: "half" (one of none, full, equal, decorrelated)'],
  [{ jitter: 3 }, 'invalid jitter: 3 (a string)'],
  [{ jitterFactor: 2 }, 'invalid jitterFactor: 2 (a number from 0 to 1)'],
  [{ jitterFactor: -0.1 }, 'invalid jitterFactor: -0.1 (a number from 0 to 1)'],
  [{ seed: -3 }, 'invalid seed: -3 (a whole number from 0 to 9007199254740991)'],
  [{ seed: 'abc' }, 'invalid seed: "abc" (a number)'],
];

for (const [options, message] of BAD) {
  test(`BackoffPolicy rejects ${JSON.stringify(options, (k, v) => (Number.isNaN(v) || v === Infinity ? String(v) : v))}`, () => {
    assert.throws(
      () => new BackoffPolicy(options),
      (err) => {
        assert.ok(err instanceof Error);
        assert.equal(err.code, 'ERR_SHARDWRIGHT_CONFIG');
        assert.equal(err.message, message);
        return true;
      },
    );
  });
}

test('delay() rejects a bad retry index or seed', () => {
  const p = new BackoffPolicy();
  assert.throws(() => p.delay(-1), { code: 'ERR_SHARDWRIGHT_CONFIG', message: /^invalid retry: -1/ });
  assert.throws(() => p.delay('x'), { code: 'ERR_SHARDWRIGHT_CONFIG', message: 'invalid retry: "x" (a number)' });
  assert.throws(() => p.schedule(1.5), { code: 'ERR_SHARDWRIGHT_CONFIG', message: /^invalid seed: 1.5/ });
});
