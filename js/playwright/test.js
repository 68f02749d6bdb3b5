'use strict';
// shardwright/test: Playwright's `test` with backoff between retries.
//
// Playwright re-runs a failed test at once. This automatic fixture waits the
// backoff policy's delay before the body of every retry (testInfo.retry > 0)
// and records the wait in the test's annotations. Configure it with
// `use: { backoff: { initialDelayMs, multiplier, maxDelayMs, jitter, ... } }`
// (or withShardwright's options); SHARDWRIGHT_INITIAL_DELAY_MS and the other
// backoff variables override both.

const base = require('@playwright/test');
const { BackoffPolicy } = require('../native.js');
const { resolveConfig } = require('../api/config.js');
const { backoffOptions, backoffToSettings } = require('./config.js');

// FNV-1a over the test id: spreads a configured seed over tests so that each
// test gets its own reproducible delays.
function mix(seed, text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return (seed * 0x10000 + h) % Number.MAX_SAFE_INTEGER;
}

// The wait runs in the fixture's own time budget, not the test's: a long
// backoff must not make the retry time out. Playwright adds this to other
// timers, so it stays far below Node's 2^31-1 ms timer limit.
const FIXTURE_TIMEOUT_MS = 60 * 60 * 1000;

const test = base.test.extend({
  backoff: [{}, { option: true }],
  _shardwrightBackoff: [
    async ({ backoff }, use, testInfo) => {
      if (testInfo.retry > 0) {
        // The fixture option first (errors name its fields), then the
        // SHARDWRIGHT_* environment on top.
        new BackoffPolicy(backoff);
        const effective = resolveConfig(backoffToSettings(backoff));
        const policy = new BackoffPolicy(backoffOptions(effective.values));
        const seed = backoff && backoff.seed !== undefined ? mix(backoff.seed, testInfo.testId) : undefined;
        const delayMs = Math.round(policy.delay(testInfo.retry, seed));
        const started = Date.now();
        if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
        testInfo.annotations.push({
          type: 'shardwright:backoff',
          description: `retry ${testInfo.retry} (attempt ${testInfo.retry + 1}) waited ${Date.now() - started} ms (policy delay ${delayMs} ms, jitter ${policy.jitter})`,
        });
      }
      await use(undefined);
    },
    { auto: true, timeout: FIXTURE_TIMEOUT_MS, title: 'shardwright backoff', box: true },
  ],
});

module.exports = { ...base, test, expect: base.expect };
