'use strict';
// What the commands share to read their flags: checks that name the flag as
// typed (`--window`), and usage errors (exit code 2).

const { codedError, configError } = require('../errors.js');

/** A usage error: ERR_SHARDWRIGHT_CONFIG, exit code 2. */
function usageError(message) {
  return codedError('config', message);
}

/**
 * A number written in decimal, as the engine reads SHARDWRIGHT_* variables
 * (`12`, `0.5`, `1e3`): `Number()` alone would also take `0x10`, `0b11`,
 * `0o7` and `Infinity`. NaN when it is not one.
 */
function decimal(value) {
  const text = String(value).trim();
  return /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text) ? Number(text) : Number.NaN;
}

/** A whole number in [min, max]; required. */
function whole(flag, value, min, max) {
  const n = value === undefined ? Number.NaN : decimal(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw configError(flag, value, `a whole number from ${min} to ${max}`);
  }
  return n;
}

/** A whole-number flag within bounds; undefined when absent. */
function intFlag(flag, value, min, max) {
  return value === undefined ? undefined : whole(flag, value, min, max);
}

/** A number flag: undefined when absent; a usage error naming `--name` when bad. */
function numberFlag(values, name, { min = -Infinity, max = Infinity, integer = false } = {}) {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const n = decimal(raw);
  const kind = integer ? 'a whole number' : 'a number';
  const range = Number.isFinite(max) ? ` from ${min} to ${max}` : Number.isFinite(min) ? ` ≥ ${min}` : '';
  if (raw.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
    throw usageError(`invalid --${name}: ${JSON.stringify(raw)} (${kind}${range})`);
  }
  return n;
}

/** One of `choices`. */
function choice(flag, value, choices) {
  if (!choices.includes(value)) throw configError(flag, value, `one of ${choices.join(', ')}`);
  return value;
}

/** A comma-separated list. */
function list(value) {
  return String(value)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function noPositionals(positionals, command) {
  if (positionals.length) throw usageError(`unexpected argument ${JSON.stringify(positionals[0])} (see \`shardwright ${command} --help\`)`);
}

/**
 * The run id of queue mode: --run-id, or the CI's own id of this pipeline
 * run (so every machine of one CI run agrees without configuration).
 */
function runIdFrom(values, env = process.env) {
  if (values['run-id'] !== undefined) {
    if (!values['run-id'].trim()) throw configError('--run-id', values['run-id'], 'a non-empty id shared by the machines of one run');
    return values['run-id'];
  }
  if (env.SHARDWRIGHT_RUN_ID) return env.SHARDWRIGHT_RUN_ID;
  if (env.GITHUB_RUN_ID) return `gh-${env.GITHUB_RUN_ID}-${env.GITHUB_RUN_ATTEMPT || 1}`;
  if (env.CI_PIPELINE_ID) return `gl-${env.CI_PIPELINE_ID}`;
  if (env.BUILDKITE_BUILD_ID) return `bk-${env.BUILDKITE_BUILD_ID}`;
  if (env.CIRCLE_WORKFLOW_ID) return `cci-${env.CIRCLE_WORKFLOW_ID}`;
  throw configError('--run-id', undefined, 'required with --queue outside a known CI (GitHub Actions, GitLab, Buildkite, CircleCI); or set SHARDWRIGHT_RUN_ID');
}

module.exports = { usageError, decimal, whole, intFlag, numberFlag, choice, list, noPositionals, runIdFrom };
