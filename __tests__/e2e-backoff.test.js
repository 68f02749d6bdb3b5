'use strict';
// A real `npx playwright test` run of examples/ (Debian's Chromium): the test
// that fails on its first attempt is retried after the configured backoff
// (1500 ms in examples/playwright.config.ts) and then passes.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { runExamples, reportTests } = require('./helpers.js');

const CONFIGURED_DELAY_MS = 1500;

test('Playwright retries wait the backoff delay, then pass', async () => {
  const { code, stdout, stderr, report } = await runExamples({ args: ['tests/backoff.spec.ts'] });
  assert.ok(report, `no JSON report\n${stdout}\n${stderr}`);
  assert.equal(code, 0, `exit ${code}\n${stdout}\n${stderr}`);
  const [t] = reportTests(report).filter((x) => x.title === 'recovers after a refused connection');
  assert.equal(t.status, 'flaky');
  const [first, second] = t.results;
  assert.equal(first.status, 'failed');
  assert.match(first.error.message, /net::ERR_CONNECTION_REFUSED/);
  assert.equal(second.status, 'passed');
  assert.equal(second.retry, 1);

  // From timestamps: the first attempt ended at startTime + duration; the
  // retry's body started after the backoff.
  const firstEnd = Date.parse(first.startTime) + first.duration;
  const bodyStart = Number(second.annotations.find((a) => a.type === 'body-start').description);
  const gap = bodyStart - firstEnd;
  assert.ok(gap >= CONFIGURED_DELAY_MS - 50, `retry body started ${gap} ms after the failure (≥ ${CONFIGURED_DELAY_MS} ms expected)`);
  // Worker restart and browser launch add a few seconds at most.
  assert.ok(gap < CONFIGURED_DELAY_MS + 15_000, `gap ${gap} ms`);

  const note = second.annotations.find((a) => a.type === 'shardwright:backoff');
  assert.ok(note, JSON.stringify(second.annotations));
  assert.match(note.description, /^retry 1 \(attempt 2\) waited \d+ ms \(policy delay 1500 ms, jitter none\)$/);
  const waited = Number(/waited (\d+) ms/.exec(note.description)[1]);
  assert.ok(waited >= CONFIGURED_DELAY_MS - 5, `fixture waited ${waited} ms`);
  // The first attempt did not wait.
  assert.ok(!first.annotations.some((a) => a.type === 'shardwright:backoff'));
});

test('SHARDWRIGHT_INITIAL_DELAY_MS overrides the configured backoff of a real run', async () => {
  const { code, stdout, stderr, report } = await runExamples({
    args: ['tests/backoff.spec.ts'],
    env: { SHARDWRIGHT_INITIAL_DELAY_MS: '2500' },
  });
  assert.equal(code, 0, `exit ${code}\n${stdout}\n${stderr}`);
  const [t] = reportTests(report).filter((x) => x.title === 'recovers after a refused connection');
  const [first, second] = t.results;
  const note = second.annotations.find((a) => a.type === 'shardwright:backoff');
  assert.match(note.description, /policy delay 2500 ms/);
  const gap = Number(second.annotations.find((a) => a.type === 'body-start').description) - (Date.parse(first.startTime) + first.duration);
  assert.ok(gap >= 2450, `retry body started ${gap} ms after the failure`);
});

test('a bad SHARDWRIGHT_* value stops the run with a clear error', async () => {
  const { code, stdout, stderr } = await runExamples({
    args: ['tests/backoff.spec.ts'],
    env: { SHARDWRIGHT_MAX_WORKERS: 'lots' },
  });
  assert.notEqual(code, 0);
  assert.match(stdout + stderr, /invalid SHARDWRIGHT_MAX_WORKERS: "lots" \(a number\)/);
});
