'use strict';
// What `shardwright run` stores in the work queue and reads back: the
// payload of a queued group (its tests and their --test-list lines), the
// payload of a completed group (its tests' attempts), and the one history
// run of a whole queue-mode run, built from every completed group — so it
// holds each test once however many machines ran, died or retried.

const { configError } = require('../errors.js');

/** The payload of a group in the queue: its tests, their lines, its project and file. */
function groupPayload(tests, lines, project, file) {
  return JSON.stringify({ tests, lines, project, file });
}

function parseJson(text, what) {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw configError(what, text.length > 80 ? `${text.slice(0, 77)}...` : text, `JSON written by shardwright run (${err.message})`);
  }
}

/** `{ tests, lines, project?, file? }` of a queued group. */
function readGroupPayload(group) {
  const p = parseJson(group.payload, `payload of group ${JSON.stringify(group.id)}`);
  if (!p || !Array.isArray(p.tests) || !Array.isArray(p.lines)) {
    throw configError(`payload of group ${JSON.stringify(group.id)}`, group.payload, '{ tests, lines } as shardwright run queues it');
  }
  return p;
}

/**
 * The result payload of a completed group: `{ tests, attempts, failed,
 * flaky, skipped, missing, problem? }` — `tests`: how many it has,
 * `failed`: its tests that did not pass, `flaky`: passed on a retry,
 * `missing`: tests that did not run, `problem`: why they did not.
 */
function resultPayload({ tests = 0, attempts, failed = [], flaky = [], skipped = [], missing = [], problem }) {
  const p = { tests, attempts, failed, flaky, skipped, missing };
  if (problem) p.problem = problem;
  return JSON.stringify(p);
}

function readResultPayload(record) {
  if (!record.payload) return { tests: 0, attempts: [], failed: [], flaky: [], skipped: [], missing: [] };
  const p = parseJson(record.payload, `result of group ${JSON.stringify(record.group)}`);
  return {
    tests: p.tests || 0,
    attempts: p.attempts || [],
    failed: p.failed || [],
    flaky: p.flaky || [],
    skipped: p.skipped || [],
    missing: p.missing || [],
    problem: p.problem,
  };
}

/**
 * The history run of a whole run from the queue's completed groups
 * (`queue.results()`) and the machines' run records (`queue.runs()`):
 * `{ run, groups, failedGroups, failures, machines, machineIds }`. `run.id` is
 * `queue-<runId>` so merging it twice (the last machine, then `shardwright
 * merge --queue`) keeps it once.
 */
function queueRun(runId, results, runRecords) {
  const machines = runRecords
    .map((text) => {
      try {
        return JSON.parse(text);
      } catch {
        return null;
      }
    })
    .filter(Boolean);
  const attempts = [];
  const failures = [];
  let startedAt = Infinity;
  let endedAt = 0;
  for (const m of machines) {
    if (Number.isFinite(m.startedAt)) startedAt = Math.min(startedAt, m.startedAt);
    if (Number.isFinite(m.endedAt)) endedAt = Math.max(endedAt, m.endedAt);
  }
  for (const r of results) {
    const p = readResultPayload(r);
    attempts.push(...p.attempts);
    if (r.status === 'failed')
      failures.push({ group: r.group, machine: r.machine, failed: p.failed, missing: p.missing, problem: p.problem, attempts: p.attempts });
    startedAt = Math.min(startedAt, r.finishedAt - r.durationMs);
    endedAt = Math.max(endedAt, r.finishedAt);
  }
  // Machines that took part: those that finished (their records) and those
  // that completed a group (one that died afterwards has no record).
  const machineIds = [...new Set([...machines.map((m) => m.machine), ...results.map((r) => r.machine)].filter(Boolean))].sort();
  const now = Date.now();
  const run = {
    id: `queue-${runId}`,
    startedAt: Number.isFinite(startedAt) ? Math.round(startedAt) : now,
    endedAt: endedAt > 0 ? Math.round(endedAt) : now,
    source: 'queue',
    attempts,
  };
  return { run, groups: results.length, failedGroups: failures.length, failures, machines, machineIds };
}

module.exports = { groupPayload, readGroupPayload, resultPayload, readResultPayload, queueRun };
