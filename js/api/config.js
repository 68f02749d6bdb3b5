'use strict';
// The effective configuration: resolveConfig(), printConfig(), the worker
// recommendation. Values are resolved and validated in Rust: defaults <
// options < SHARDWRIGHT_* environment variables.

const native = require('../native.js');
const { configError } = require('../errors.js');
const { bounded, isArray, reading } = require('./boundary.js');

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
  if (typeof options !== 'object' || isArray(options)) throw configError('options', options, 'an object');
  for (const [k, v] of reading('options', () => Object.entries(options))) {
    if (CALLBACKS.includes(k)) {
      if (v !== undefined && typeof v !== 'function') throw configError(k, v, 'a function');
      callbacks[k] = v;
    } else if (k === 'quarantine' && isArray(bounded('quarantine', v, 100_000))) {
      // RegExps are given to the engine as `/source/flags` text.
      settings[k] = reading('quarantine', () => v.map((p) => (p instanceof RegExp ? `/${p.source}/${p.flags}` : p)));
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

function formatValue(v) {
  return v === null ? '(none)' : typeof v === 'string' ? v : String(v);
}

/** Prints the effective configuration and where each value came from; returns it. */
function printConfig(options, { write = (s) => process.stdout.write(s) } = {}) {
  const effective = resolveConfig(options);
  const workers = native.explainWorkers(splitOptions(options).settings);
  const rows = effective.entries.map((e) => [e.key, formatValue(e.value), e.source]);
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length), ['setting', 'value', 'source'][i].length));
  const line = (r) =>
    r
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  const out = [
    `shardwright configuration${effective.ci ? ` (CI: ${effective.ci})` : ''}`,
    line(['setting', 'value', 'source']),
    ...rows.map(line),
    `workers → ${workers.workers} (limited by ${workers.limitedBy}: ${workers.effectiveCpus} CPUs usable, ${Math.round(workers.availableMemoryMb)} MiB available, load ${workers.inputs.loadAverage[0].toFixed(2)})`,
  ];
  if (effective.unknownEnv.length) out.push(`unknown variables: ${effective.unknownEnv.join(', ')}`);
  write(`${out.join('\n')}\n`);
  return { ...effective, workers };
}

/** The README's configuration table, generated from the engine's defaults. */
function configTable() {
  const rows = native.configDocs().map((e) => `| \`${e.key}\` | \`${e.env}\` | ${e.default === null ? '(none)' : `\`${e.default}\``} | ${e.doc} |`);
  return ['| option | environment variable | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

module.exports = {
  printConfig,
  resolveConfig,
  splitOptions,
  configTable,
  recommendWorkers: (options) => native.recommendWorkers(options),
  explainWorkers: (options) => native.explainWorkers(options),
  resourceSnapshot: (options) => native.resourceSnapshot(options),
};
