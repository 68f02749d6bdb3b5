'use strict';
// Helpers shared by the CLI commands.

const { configError } = require('./errors.js');

/** `1 h 02 min`, `3 min 05 s`, `12.3 s`, `850 ms`. */
function formatMs(ms) {
  if (!Number.isFinite(ms)) return '?';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(Math.round(s % 60)).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
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

/** A whole-number flag within bounds. */
function intFlag(flag, value, min, max) {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw configError(flag, value, `a whole number from ${min} to ${max}`);
  return n;
}

module.exports = { formatMs, runIdFrom, intFlag };
