'use strict';
// Configuration helpers for playwright.config.ts: withShardwright(),
// printConfig(), and the worker recommendation. Values are resolved and
// validated in Rust: defaults < options < SHARDWRIGHT_* environment variables.

const native = require('./native.js');
const { configError } = require('./errors.js');

const warned = new Set();
function warnUnknownEnv(names) {
  for (const name of names) {
    if (warned.has(name)) continue;
    warned.add(name);
    process.emitWarning(`shardwright: unknown environment variable ${name} (not a setting; see \`npx shardwright config\`)`);
  }
}

/** Report callbacks the reporter accepts beside the settings. */
const CALLBACKS = ['onReport', 'onFlaky', 'onBroken', 'onFailing', 'onFixed', 'onQuarantined'];

/** `{ settings, callbacks }`: the engine validates the settings; callbacks stay in JS. */
function splitOptions(options) {
  const settings = {};
  const callbacks = {};
  if (options === null || options === undefined) return { settings, callbacks };
  if (typeof options !== 'object' || Array.isArray(options)) throw configError('options', options, 'an object');
  for (const [k, v] of Object.entries(options)) {
    if (CALLBACKS.includes(k)) {
      if (v !== undefined && typeof v !== 'function') throw configError(k, v, 'a function');
      callbacks[k] = v;
    } else if (k === 'quarantine' && Array.isArray(v)) {
      // RegExps are given to the engine as `/source/flags` text.
      settings[k] = v.map((p) => (p instanceof RegExp ? `/${p.source}/${p.flags}` : p));
    } else {
      settings[k] = v;
    }
  }
  return { settings, callbacks };
}

/** Effective configuration (throws ERR_SHARDWRIGHT_CONFIG naming the field or variable). */
function resolveConfig(options) {
  const effective = native.resolveConfig(splitOptions(options).settings);
  warnUnknownEnv(effective.unknownEnv);
  return effective;
}

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
  const reporters = config.reporter === undefined ? [[process.env.CI ? 'dot' : 'list']] : typeof config.reporter === 'string' ? [[config.reporter]] : config.reporter.map((r) => (typeof r === 'string' ? [r] : r));
  const ours = reporters.findIndex(([name]) => name === 'shardwright/reporter' || name === require.resolve('./reporter.js'));
  if (ours < 0) out.reporter = [...reporters, ['shardwright/reporter', options]];
  else out.reporter = reporters.map((r, i) => (i === ours ? [r[0], { ...options, ...(r[1] || {}) }] : r));

  const use = { ...(config.use || {}) };
  // The fixture applies SHARDWRIGHT_* on top of these when it runs.
  // `shardwright/test` applies SHARDWRIGHT_* on top of these when it runs,
  // so the environment still wins over an explicit `use.backoff`.
  use.backoff = { ...backoffOptions(effective.values), ...(config.use && config.use.backoff) };
  out.use = use;
  return out;
}

function formatValue(v) {
  return v === null ? '(none)' : typeof v === 'string' ? v : String(v);
}

/** Prints the effective configuration and where each value came from; returns it. */
function printConfig(options, { write = (s) => process.stdout.write(s) } = {}) {
  const effective = resolveConfig(options);
  const workers = native.explainWorkers(splitOptions(options).settings);
  const rows = effective.entries.map((e) => [e.key, formatValue(e.value), e.source]);
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length), ['setting', 'value', 'source'][i].length));
  const line = (r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  const out = [
    `shardwright configuration${effective.ci ? ` (CI: ${effective.ci})` : ''}`,
    line(['setting', 'value', 'source']),
    ...rows.map(line),
    `workers → ${workers.workers} (limited by ${workers.limitedBy}: ${workers.effectiveCpus} CPUs usable, ${Math.round(workers.availableMemoryMb)} MiB available, load ${workers.inputs.loadAverage[0].toFixed(2)})`,
  ];
  if (effective.unknownEnv.length) out.push(`unknown variables: ${effective.unknownEnv.join(', ')}`);
  write(out.join('\n') + '\n');
  return { ...effective, workers };
}

/** The README's configuration table, generated from the engine's defaults. */
function configTable() {
  const rows = native.configDocs().map((e) => `| \`${e.key}\` | \`${e.env}\` | ${e.default === null ? '(none)' : `\`${e.default}\``} | ${e.doc} |`);
  return ['| option | environment variable | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

module.exports = {
  withShardwright,
  printConfig,
  resolveConfig,
  splitOptions,
  configTable,
  backoffOptions,
  backoffToSettings,
  recommendWorkers: (options) => native.recommendWorkers(options),
  explainWorkers: (options) => native.explainWorkers(options),
  resourceSnapshot: (options) => native.resourceSnapshot(options),
};
