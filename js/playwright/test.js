'use strict';
// shardwright/test: Playwright's `test` with backoff between retries, and no
// retries of permanent failures.
//
// Playwright re-runs a failed test at once. This automatic fixture waits the
// backoff policy's delay before the body of every retry (testInfo.retry > 0)
// and records the wait in the test's annotations. Configure it with
// `use: { backoff: { initialDelayMs, multiplier, maxDelayMs, jitter, ... } }`
// (or withShardwright's options); SHARDWRIGHT_INITIAL_DELAY_MS and the other
// backoff variables override both.
//
// Before a retry it asks the engine whether the retry is worth it: when the
// first attempt failed with a permanent error by class (TypeError,
// ReferenceError, SyntaxError, RangeError, a `use.permanent` pattern) and
// the test has no flaky history, the retry fails at once with the original
// error and the note `shardwright: not retried, permanent failure` — no
// body, no backoff. The history comes from the flaky-keys file the reporter
// writes at the run's start (SHARDWRIGHT_FLAKY_KEYS); without it (no
// shardwright reporter) every retry runs, as in Playwright.
// `use: { retryPermanent: true }` restores Playwright's behaviour.
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const base = require('@playwright/test');
const { BackoffPolicy, __testKey } = require('../native.js');
const { History } = require('../api/history.js');
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

/** The engine's key of the running test: the one the history knows it by. */
function keyOf(testInfo) {
  const file = path.relative(testInfo.config.rootDir, testInfo.file).split(path.sep).join('/');
  // titlePath: the file, then describe titles and the test's title.
  return __testKey(testInfo.project.name, file, testInfo.titlePath.slice(1), testInfo.repeatEachIndex);
}

/** Where the first failure of test `key` is kept for its retries (beside the flaky-keys file). */
function firstFailureFile(keysFile, key) {
  const name = crypto.createHash('sha1').update(key).digest('hex');
  return path.join(path.dirname(keysFile), 'first-failures', `${name}.json`);
}

function readFirstFailure(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    // Not written (the worker died with the test, or it passed): retried.
    return null;
  }
}

function writeFirstFailure(file, error) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify({ message: error.message ?? error.value ?? '', stack: error.stack ?? '' }));
  fs.renameSync(tmp, file);
}

const NOTE = 'shardwright: not retried, permanent failure';

/**
 * The retry attempt's failure: the first attempt's error (message and stack)
 * with the note. No name: Playwright shows the message as it was.
 */
function notRetriedError(first, decision) {
  const err = new Error(`${first.message}\n\n${NOTE} (${decision.rule}, no flaky history; use.retryPermanent: true retries it)`);
  err.name = '';
  if (first.stack)
    err.stack = `${err.message}\n${first.stack
      .split('\n')
      .filter((l) => /^\s+at /.test(l))
      .join('\n')}`;
  return err;
}

const test = base.test.extend({
  backoff: [{}, { option: true }],
  retryPermanent: [false, { option: true }],
  retryable: [[], { option: true }],
  permanent: [[], { option: true }],
  _shardwrightBackoff: [
    async ({ backoff, retryPermanent, retryable, permanent }, use, testInfo) => {
      const keysFile = process.env.SHARDWRIGHT_FLAKY_KEYS;
      const key = keysFile && !retryPermanent ? keyOf(testInfo) : undefined;
      if (key !== undefined && testInfo.retry > 0) {
        const first = readFirstFailure(firstFailureFile(keysFile, key));
        if (first) {
          const decision = History.decideRetry({ key, error: first, flakyKeys: keysFile, retryable, permanent });
          if (!decision.retry) {
            testInfo.annotations.push({ type: 'shardwright:not-retried', description: `${NOTE}: ${decision.message}` });
            throw notRetriedError(first, decision);
          }
        }
      }
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
      // The first attempt's failure, for the decision before its retries.
      if (key !== undefined && testInfo.retry === 0 && testInfo.status !== testInfo.expectedStatus && testInfo.error) {
        writeFirstFailure(firstFailureFile(keysFile, key), testInfo.error);
      }
    },
    { auto: true, timeout: FIXTURE_TIMEOUT_MS, title: 'shardwright retry', box: true },
  ],
});

module.exports = { ...base, test, expect: base.expect };
