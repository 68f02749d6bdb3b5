'use strict';
// Test groups and keys for callers that plan with their own tools: thin
// wrappers over the engine's model of Playwright (src/playwright), which
// forms groups as Playwright's createTestGroups does, keys tests and folds
// durations into groups. Nothing here knows Playwright's rules itself.

const native = require('../native.js');
const { configError } = require('../errors.js');
const { flattenSuite } = require('../playwright/suite.js');

/**
 * The stable key of a test: `project › file › describe › title` (no project
 * part when it is ''); `file` relative to the project's testDir.
 */
function testKey(project, file, titlePath, repeat) {
  if (typeof file !== 'string' || !Array.isArray(titlePath) || titlePath.some((t) => typeof t !== 'string')) {
    throw configError('test', { project, file, titlePath }, 'a file (string) and a titlePath (array of strings)');
  }
  return native.__testKey(project ? String(project) : '', file, titlePath, repeat);
}

/** One line of a Playwright `--test-list` file: `[project] › file › titles` (file relative to rootDir). */
function testListLine(project, rootFile, titlePath) {
  const key = testKey('', rootFile, titlePath);
  return project ? `[${project}] › ${key}` : key;
}

/**
 * Groups from a live Suite inside `Reporter.preprocess({ config, suite,
 * testRun })`: `{ groups, testsByKey }` (keys → TestCase). Setup and
 * teardown projects are left out: they run on every shard.
 */
function suiteGroups(suite, testRun, { config } = {}) {
  const { json, cases } = flattenSuite(suite, testRun, config);
  const { keys, groups } = native.__groupSuite(json);
  const byKey = new Map(keys.map((k, i) => [k, cases[i]]));
  const testsByKey = new Map();
  for (const g of groups) for (const k of g.tests) testsByKey.set(k, byKey.get(k));
  return { groups: groups.map(plainGroup), testsByKey };
}

function plainGroup(g) {
  const out = { id: g.id, project: g.project, file: g.file, tests: g.tests, tags: g.tags };
  if (g.skipped) out.skipped = g.skipped;
  return out;
}

/**
 * Groups from the JSON report of `playwright test --list --reporter=json`:
 * `{ groups, tests, rootDir }`, `tests` mapping each key to `{ project,
 * file, rootFile, titlePath, listLine }`. Per file, or per test when the
 * config is fullyParallel; `groupBy: 'file' | 'test'` forces either.
 */
function listReportGroups(report, { groupBy = 'auto' } = {}) {
  if (!report || typeof report !== 'object' || !report.config || !Array.isArray(report.suites)) {
    throw configError('report', report, 'a Playwright JSON report ({ config, suites })');
  }
  const r = native.__reportGroups(JSON.stringify(report), groupBy);
  const tests = new Map(r.tests.map(({ key, ...t }) => [key, t]));
  return { groups: r.groups.map(plainGroup), tests, rootDir: r.rootDir };
}

/**
 * Folds per-test history into the groups, in place: `durationMs` is the sum
 * of its tests' durations (a test without one counts as the median of the
 * known tests; a group with no known test keeps none), `failedLastRun` is
 * set when one of its tests failed last run. `history`: a Map or object from
 * test key to milliseconds, or to `{ durationMs?, failedLastRun? }`. Returns
 * how many groups got a duration.
 */
function applyHistory(groups, history) {
  if (!history) return 0;
  if (!Array.isArray(groups)) throw configError('groups', groups, 'an array of groups');
  const get = history instanceof Map ? (k) => history.get(k) : (k) => (Object.hasOwn(history, k) ? history[k] : undefined);
  const counts = [];
  const durations = [];
  const failed = [];
  for (const g of groups) {
    const keys = g.tests?.length ? g.tests : [g.id];
    counts.push(keys.length);
    for (const k of keys) {
      const v = get(k);
      const ms = typeof v === 'number' ? v : v && typeof v === 'object' ? v.durationMs : undefined;
      durations.push(typeof ms === 'number' ? ms : NaN);
      failed.push(Boolean(v && typeof v === 'object' && v.failedLastRun === true));
    }
  }
  const folded = native.__foldDurations(counts, durations, failed);
  groups.forEach((g, i) => {
    if (!Number.isNaN(folded.durationMs[i])) g.durationMs = folded.durationMs[i];
    if (folded.failedLastRun[i]) g.failedLastRun = true;
  });
  return folded.withDuration;
}

module.exports = { testKey, testListLine, suiteGroups, listReportGroups, applyHistory };
