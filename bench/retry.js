'use strict';
// retry() overhead per attempt (napi crossing + tokio scheduling) beside a
// plain JS retry loop doing the same work: the same function (fails 4 times
// with a retryable error, then succeeds), the same zero-delay exponential
// policy, a regex classification of each error. Both measured in this run.

const { retry } = require('../js/index.js');
const { time, table } = require('./util.js');

const FAILS = 4;
const ATTEMPTS = FAILS + 1;
const ERR = 'connect ECONNREFUSED 127.0.0.1:6379';

// The plain loop classifies with the same kind of rules as the engine's
// built-ins (a permanent rule checked first, then retryable ones).
const PERMANENT = [/expect\([^)]*\)\s*\.\s*(?:not\s*\.\s*)?to[A-Z]\w*|\bAssertionError\b/i];
const RETRYABLE = [
  /Target (?:page, context or browser )?(?:has been )?closed|Browser has been closed/i,
  /\bnet::ERR_[A-Z_]+|\bE(?:CONNRESET|CONNREFUSED|CONNABORTED|PIPE|TIMEDOUT)\b|socket hang up/i,
  /\b(?:429|502|503|504)\b/i,
  /Test timeout of \d+ms exceeded|Timeout \d+ms exceeded|\btimed out\b/i,
];

async function plainRetry(fn, { initialDelayMs = 0, multiplier = 2, maxDelayMs = 0, maxRetries = FAILS } = {}) {
  const attempts = [];
  for (let attempt = 1; ; attempt++) {
    const startedAt = Date.now();
    try {
      return await fn(attempt);
    } catch (err) {
      const message = String(err?.message);
      const permanent = PERMANENT.some((r) => r.test(message));
      const retryable = !permanent && (RETRYABLE.some((r) => r.test(message)) || true);
      attempts.push({ attempt, startedAt, message, retryable });
      if (!retryable || attempt > maxRetries) throw Object.assign(err, { attempts });
      const delay = Math.min(maxDelayMs, initialDelayMs * multiplier ** (attempt - 1));
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    }
  }
}

function flaky() {
  let n = 0;
  return async () => {
    n++;
    if (n <= FAILS) throw new Error(ERR);
    return n;
  };
}

const options = { initialDelayMs: 0, multiplier: 2, maxDelayMs: 0, maxRetries: FAILS, jitter: 'none' };

async function sequential(impl, calls) {
  for (let i = 0; i < calls; i++) await impl(flaky(), options);
}

async function concurrent(impl, calls, width) {
  let next = 0;
  const lane = async () => {
    while (next < calls) {
      next++;
      await impl(flaky(), options);
    }
  };
  await Promise.all(Array.from({ length: width }, lane));
}

async function main() {
  const rows = [];
  for (const [name, shape] of [
    ['sequential (latency)', (impl) => sequential(impl, 2000)],
    ['64 concurrent (throughput)', (impl) => concurrent(impl, 4000, 64)],
  ]) {
    const calls = name.startsWith('seq') ? 2000 : 4000;
    const native = await time(() => shape(retry), { runs: 5 });
    const plain = await time(() => shape(plainRetry), { runs: 5 });
    const per = (ms) => (ms * 1000) / (calls * ATTEMPTS);
    rows.push([
      name,
      `${per(native).toFixed(2)} µs`,
      `${per(plain).toFixed(2)} µs`,
      `${(native / plain).toFixed(2)}×`,
      `+${(per(native) - per(plain)).toFixed(2)} µs`,
    ]);
  }
  table(
    'retry() per attempt vs a plain JS retry loop (median of 5 runs, 5 attempts per call, zero delay)',
    ['shape', 'shardwright retry()', 'plain JS loop', 'ratio', 'overhead'],
    rows,
  );
  return rows;
}

module.exports = { main };
if (require.main === module) main();
