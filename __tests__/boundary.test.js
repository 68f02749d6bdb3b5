'use strict';
// What crosses the napi boundary: errors with stable codes, never a panic,
// and logs only when SHARDWRIGHT_LOG asks for them.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const native = require('../js/native.js');
const { run, ROOT } = require('./helpers.js');

test('a panic in a sync call becomes an ERR_SHARDWRIGHT_INTERNAL error', () => {
  assert.throws(
    () => native.__panicForTests(false),
    (err) => {
      assert.ok(err instanceof Error);
      assert.equal(err.code, 'ERR_SHARDWRIGHT_INTERNAL');
      assert.match(err.message, /deliberate panic in a sync call/);
      return true;
    },
  );
  // The addon still works afterwards.
  assert.equal(new native.BackoffPolicy({ jitter: 'none' }).delay(1), 1000);
});

test('a panic inside a promise rejects it with ERR_SHARDWRIGHT_INTERNAL', async () => {
  await assert.rejects(native.__panicForTests(true), (err) => {
    assert.equal(err.code, 'ERR_SHARDWRIGHT_INTERNAL');
    assert.match(err.message, /deliberate panic inside a promise/);
    return true;
  });
  // The tokio runtime survived: async work still completes.
  const { retry } = require('../js/index.js');
  assert.equal(await retry(async () => 7), 7);
});

const script = `
  const { retry } = require(${JSON.stringify(ROOT)} + '/js/index.js');
  retry(async (n) => { if (n === 1) throw new Error('ECONNRESET'); return n; }, { initialDelayMs: 1, jitter: 'none' })
    .then((v) => console.log('value', v));
`;

test('logging is off by default', async () => {
  const { code, stdout, stderr } = await run(process.execPath, ['-e', script], { env: { SHARDWRIGHT_LOG: '' } });
  assert.equal(code, 0, stderr);
  assert.equal(stdout.trim(), 'value 2');
  assert.equal(stderr, '');
});

test('SHARDWRIGHT_LOG=debug logs the retry engine to stderr', async () => {
  const { code, stdout, stderr } = await run(process.execPath, ['-e', script], { env: { SHARDWRIGHT_LOG: 'debug', NO_COLOR: '1' } });
  assert.equal(code, 0, stderr);
  assert.equal(stdout.trim(), 'value 2', 'logs never go to stdout');
  assert.match(stderr, /DEBUG.*shardwright::retry.*waiting before the next attempt/);
});

test('an invalid SHARDWRIGHT_LOG says so once and keeps logging off', async () => {
  const { code, stderr } = await run(process.execPath, ['-e', script], { env: { SHARDWRIGHT_LOG: 'shardwright=loud' } });
  assert.equal(code, 0);
  assert.match(stderr, /invalid SHARDWRIGHT_LOG: "shardwright=loud"/);
  assert.doesNotMatch(stderr, /DEBUG/);
});
