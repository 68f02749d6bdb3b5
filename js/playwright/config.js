'use strict';
// playwright.config.ts integration: withShardwright() fills `workers`,
// `retries` and the backoff of `shardwright/test` from shardwright's options
// and the SHARDWRIGHT_* environment, and adds `shardwright/reporter`.

const native = require('../native.js');
const { configError } = require('../errors.js');
const { resolveConfig, splitOptions } = require('../api/config.js');
const { applyBurnIn } = require('./burn-in.js');

/** BackoffOptions for `shardwright/test` and `retry()` from effective values. */
function backoffOptions(values) {
  return {
    initialDelayMs: values.initialDelayMs,
    maxDelayMs: values.maxDelayMs,
    multiplier: values.backoffMultiplier,
    maxRetries: values.maxRetries,
    jitter: values.jitter,
    jitterFactor: values.jitterFactor,
  };
}

/** Settings of the options object that `use.backoff` (fixture options) maps to. */
function backoffToSettings(backoff = {}) {
  const out = {};
  if (backoff.initialDelayMs !== undefined) out.initialDelayMs = backoff.initialDelayMs;
  if (backoff.maxDelayMs !== undefined) out.maxDelayMs = backoff.maxDelayMs;
  if (backoff.multiplier !== undefined) out.backoffMultiplier = backoff.multiplier;
  if (backoff.maxRetries !== undefined) out.maxRetries = backoff.maxRetries;
  if (backoff.jitter !== undefined) out.jitter = backoff.jitter;
  if (backoff.jitterFactor !== undefined) out.jitterFactor = backoff.jitterFactor;
  return out;
}

function sourceOf(effective, key) {
  return effective.entries.find((e) => e.key === key).source;
}

/**
 * Wraps a Playwright config: fills `workers` (recommended for this machine,
 * cgroup-aware), `retries` and the backoff of `shardwright/test`, from
 * shardwright's options and the SHARDWRIGHT_* environment, and adds
 * `shardwright/reporter` (with the same options) to the reporters. A value
 * the Playwright config sets itself is kept, unless an environment variable
 * overrides it.
 */
function withShardwright(config = {}, options = {}) {
  if (config === null || typeof config !== 'object') throw configError('config', config, 'a Playwright config object');
  if (options === null || typeof options !== 'object') throw configError('options', options, 'an object');
  const { settings } = splitOptions(options);
  const effective = resolveConfig(options);
  const out = { ...config };
  const fromEnv = (key) => sourceOf(effective, key).startsWith('env ');

  if (config.workers === undefined || fromEnv('workers') || fromEnv('maxWorkers') || fromEnv('minWorkers')) {
    out.workers = native.recommendWorkers(settings);
  }
  if (config.retries === undefined || fromEnv('maxRetries')) {
    out.retries = effective.playwrightRetries;
  }
  // The reporter: duration sharding, history, flaky report, quarantine.
  const reporters =
    config.reporter === undefined
      ? [[effective.ci ? 'dot' : 'list']]
      : typeof config.reporter === 'string'
        ? [[config.reporter]]
        : config.reporter.map((r) => (typeof r === 'string' ? [r] : r));
  const ours = reporters.findIndex(([name]) => name === 'shardwright/reporter' || name === require.resolve('./reporter.js'));
  if (ours < 0) out.reporter = [...reporters, ['shardwright/reporter', options]];
  else out.reporter = reporters.map((r, i) => (i === ours ? [r[0], { ...options, ...(r[1] || {}) }] : r));

  const use = { ...(config.use || {}) };
  // The fixture applies SHARDWRIGHT_* on top of these when it runs.
  // `shardwright/test` applies SHARDWRIGHT_* on top of these when it runs,
  // so the environment still wins over an explicit `use.backoff`.
  use.backoff = { ...backoffOptions(effective.values), ...config.use?.backoff };
  out.use = use;
  // Burn-in (burnIn > 0): a repeating copy of each project for the changed spec files.
  return applyBurnIn(out, effective.values);
}

module.exports = { withShardwright, backoffOptions, backoffToSettings };
