'use strict';
// Test groups as Playwright forms them (`createTestGroups` in
// playwright/lib/runner, 1.65), from a live Suite in Reporter.preprocess()
// or from a `playwright test --list --reporter=json` report; the stable test
// key of src/testid.rs; per-test history folded into group durations.
//
// Playwright keeps together, per project: a file's tests in default mode, a
// serial (or explicitly default) suite inside a parallel one, and runs
// every other test of a parallel suite as its own unit.

const path = require('node:path');
const { configError } = require('./errors.js');

const SEPARATOR = ' › ';

/** `/` separators, no leading `./`, no trailing `:line:col` (src/testid.rs `normalize_file`). */
function normalizeFile(file) {
  let f = String(file).replace(/\\/g, '/');
  while (f.startsWith('./')) f = f.slice(2);
  for (;;) {
    const at = f.lastIndexOf(':');
    if (at < 0) break;
    const tail = f.slice(at + 1);
    if (tail.length && /^[0-9]+$/.test(tail)) f = f.slice(0, at);
    else break;
  }
  return f;
}

/**
 * The stable key of a test (src/testid.rs `TestId::key`): project › file
 * (relative to the project's testDir) › describe titles › test title;
 * without the project part when the project has no name.
 */
function testKey(project, file, titlePath) {
  const parts = [normalizeFile(file), ...titlePath];
  return project ? `${project}${SEPARATOR}${parts.join(SEPARATOR)}` : parts.join(SEPARATOR);
}

/**
 * One line of a Playwright `--test-list` file (src/testid.rs
 * `test_list_line`): `[project] › file › titles`, the file relative to the
 * config's rootDir.
 */
function testListLine(project, rootFile, titlePath) {
  const parts = [normalizeFile(rootFile), ...titlePath];
  return project ? `[${project}]${SEPARATOR}${parts.join(SEPARATOR)}` : parts.join(SEPARATOR);
}

/** Repeats (`--repeat-each`) of one test need distinct keys in a plan. */
function repeatKey(key, repeatEachIndex) {
  return repeatEachIndex ? `${key} (repeat ${repeatEachIndex})` : key;
}

/**
 * Projects that only run as another project's dependency or teardown: they
 * run whole on every shard (Playwright detaches them before its shard
 * filter), so they are never planned.
 */
function dependencyProjects(projects, selected) {
  const byName = new Map(projects.map((p) => [p.name, p]));
  const deps = new Set();
  const visit = (p, depth) => {
    if (!p) return;
    if (depth > 0) deps.add(p.name);
    if (depth > 100) return;
    for (const d of p.dependencies || []) visit(byName.get(d), depth + 1);
    if (p.teardown) visit(byName.get(p.teardown), depth + 1);
  };
  for (const p of selected || projects) visit(byName.get(p.name) || p, 0);
  return deps;
}

function distinctTags(tests) {
  const tags = [];
  const seen = new Set();
  for (const t of tests) {
    for (const tag of t.tags) {
      if (!seen.has(tag)) {
        seen.add(tag);
        tags.push(tag);
      }
    }
  }
  return tags;
}

function makeGroup(id, project, file, members) {
  const group = { id, project, file, tests: members.map((m) => m.key), tags: distinctTags(members) };
  const skipped = members.filter((m) => m.skipped).length;
  if (skipped) group.skipped = skipped;
  return group;
}

/**
 * Groups of one project's file, in Playwright's order: the file's
 * sequential tests as one group, then each parallel unit in order of first
 * appearance (a sequential suite inside a parallel one whole, any other
 * parallel test alone).
 */
function fileGroups(project, file, entries, taken) {
  const groups = [];
  const general = entries.filter((e) => e.unit === null);
  const fileId = project ? `${project}${SEPARATOR}${file}` : file;
  const used = new Set();
  if (general.length) {
    groups.push(makeGroup(fileId, project, file, general));
    used.add(fileId);
  }
  const units = new Map();
  for (const e of entries) {
    if (e.unit === null) continue;
    if (!units.has(e.unit)) units.set(e.unit, []);
    units.get(e.unit).push(e);
  }
  for (const [unit, members] of units) {
    let id;
    if (typeof unit === 'string') id = unit; // a single test: its key
    else {
      // A sequential suite: its title path; marked if a test has the same key.
      id = testKey(project, file, unit.titles);
      if (taken.has(id) || used.has(id)) id += ' (describe)';
    }
    used.add(id);
    groups.push(makeGroup(id, project, file, members));
  }
  return groups;
}

/**
 * Groups from a live Suite inside `Reporter.preprocess({ config, suite,
 * testRun })`, following createTestGroups with `testRun.mode(suite)`
 * (Playwright ≥ 1.65). Returns `{ groups, testsByKey }` (keys → TestCase, to
 * exclude the tests of other shards). Setup/teardown projects are left out:
 * they run on every shard.
 *
 * What the public API cannot show is approximated on the safe side: tests
 * with different worker fixtures (`test.use`) in one file stay one group
 * (Playwright would split them; a coarser group never breaks a run), and a
 * parallel suite's `beforeAll` hooks do not keep its tests together
 * (Playwright chunks them by shard count anyway).
 */
function suiteGroups(suite, testRun, { config } = {}) {
  if (!suite || typeof suite.suites !== 'object') throw configError('suite', suite, 'the root Suite of Reporter.preprocess()');
  if (!testRun || typeof testRun.mode !== 'function') {
    throw configError('testRun', testRun, 'the TestRun of Reporter.preprocess() (Playwright ≥ 1.65)');
  }
  const projects = config && Array.isArray(config.projects) ? config.projects : [];
  const deps = dependencyProjects(projects);
  const modes = new Map();
  const mode = (s) => {
    let m = modes.get(s);
    if (m === undefined) {
      m = testRun.mode(s);
      modes.set(s, m);
    }
    return m;
  };
  // A suite whose mode differs from its parent's set it itself
  // (`describe.configure`, `describe.serial`, fullyParallel on a project).
  const explicit = (s) => !s.parent || mode(s) !== mode(s.parent);

  const groups = [];
  const testsByKey = new Map();
  for (const projectSuite of suite.suites) {
    const project = projectSuite.title;
    if (deps.has(project)) continue;
    const perFile = new Map();
    for (const test of projectSuite.allTests()) {
      // ['', project, file, ...describes, title]
      const [, , fileTitle, ...titles] = test.titlePath();
      const file = normalizeFile(fileTitle);
      const key = repeatKey(testKey(project, file, titles), test.repeatEachIndex);
      let insideParallel = false;
      let outermostSequential = null;
      for (let s = test.parent; s && s !== projectSuite; s = s.parent) {
        const m = mode(s);
        if (m === 'parallel') insideParallel = true;
        else if (explicit(s)) outermostSequential = s;
      }
      if (mode(projectSuite) === 'parallel') insideParallel = true;
      let unit = null;
      if (insideParallel) {
        if (outermostSequential) {
          const [, , , ...suiteTitles] = outermostSequential.titlePath();
          unit = perFileUnit(perFile, file, outermostSequential, suiteTitles, test.repeatEachIndex);
        } else unit = key;
      }
      if (!perFile.has(file)) perFile.set(file, { entries: [], units: new Map() });
      perFile.get(file).entries.push({ key, unit, tags: test.tags, skipped: test.expectedStatus === 'skipped' });
      testsByKey.set(key, test);
    }
    for (const [file, { entries }] of perFile) groups.push(...fileGroups(project, file, entries, testsByKey));
  }
  return { groups, testsByKey };
}

function perFileUnit(perFile, file, suite, titles, repeat) {
  if (!perFile.has(file)) perFile.set(file, { entries: [], units: new Map() });
  const units = perFile.get(file).units;
  const k = `${repeat}\u0000${titles.join('\u0000')}`;
  if (!units.has(k)) units.set(k, { suite, titles: repeat ? [...titles.slice(0, -1), `${titles[titles.length - 1]} (repeat ${repeat})`] : titles });
  return units.get(k);
}

/**
 * Groups from the JSON report of `playwright test --list --reporter=json`
 * (Playwright ≥ 1.50). The report has no describe modes, so groups are per
 * file, or per test when the config is fullyParallel; `groupBy: 'file'`
 * forces per-file groups (safe when a fullyParallel suite has serial
 * describes, which the report cannot show).
 *
 * Returns `{ groups, tests, rootDir }` where `tests` maps each key to
 * `{ project, file, rootFile, titlePath, listLine }` (`rootFile` relative to
 * the config's rootDir, as `--test-list` wants it).
 */
function listReportGroups(report, { groupBy = 'auto' } = {}) {
  if (!report || typeof report !== 'object' || !report.config || !Array.isArray(report.suites)) {
    throw configError('report', report, 'a Playwright JSON report ({ config, suites })');
  }
  if (!['auto', 'file', 'test'].includes(groupBy)) throw configError('groupBy', groupBy, "one of 'auto', 'file', 'test'");
  const config = report.config;
  const rootDir = config.rootDir || '';
  const projects = Array.isArray(config.projects) ? config.projects : [];
  // `filteredProjects` (1.65's report) carries dependencies; fall back to projects.
  const described = Array.isArray(config.filteredProjects) ? config.filteredProjects : projects;
  const deps = dependencyProjects(described.length ? described : projects);
  const testDirOf = new Map([...projects, ...described].map((p) => [p.name, p.testDir]));
  const parallelOf = (name) => {
    if (groupBy !== 'auto') return groupBy === 'test';
    const p = described.find((x) => x.name === name) || projects.find((x) => x.name === name);
    return Boolean(p && p.fullyParallel !== undefined ? p.fullyParallel : config.fullyParallel);
  };

  // Flatten: [{ project, rootFile, titles, line, column, tags, skipped, order }]
  const found = [];
  const walk = (s, titles) => {
    for (const spec of s.specs || []) {
      const repeats = new Map();
      for (const t of spec.tests || []) {
        const project = t.projectName || '';
        const repeat = repeats.get(project) || 0;
        repeats.set(project, repeat + 1);
        found.push({
          project,
          rootFile: spec.file,
          titles: [...titles, spec.title],
          line: spec.line || 0,
          column: spec.column || 0,
          tags: (spec.tags || []).map((tag) => (tag.startsWith('@') ? tag : `@${tag}`)),
          skipped: t.expectedStatus === 'skipped',
          repeat,
          order: found.length,
        });
      }
    }
    for (const child of s.suites || []) walk(child, child.title ? [...titles, child.title] : titles);
  };
  for (const fileSuite of report.suites) walk(fileSuite, []);

  // Playwright's order: projects as configured, files as loaded, tests as
  // declared (line, column; the report lists a file's tests before its
  // describes, so position alone is not the declaration order).
  const projectOrder = new Map(projects.map((p, i) => [p.name, i]));
  const fileOrder = new Map(report.suites.map((s, i) => [s.file, i]));
  found.sort((a, b) =>
    (projectOrder.get(a.project) ?? 1e9) - (projectOrder.get(b.project) ?? 1e9)
    || (fileOrder.get(a.rootFile) ?? 1e9) - (fileOrder.get(b.rootFile) ?? 1e9)
    || a.line - b.line || a.column - b.column || a.order - b.order);

  const groups = [];
  const tests = new Map();
  let current = null;
  const flush = () => {
    if (current) groups.push(...fileGroups(current.project, current.file, current.entries, tests));
  };
  for (const f of found) {
    if (deps.has(f.project)) continue;
    const testDir = testDirOf.get(f.project);
    const absolute = path.resolve(rootDir, f.rootFile);
    const file = normalizeFile(testDir ? path.relative(testDir, absolute) : f.rootFile);
    const key = repeatKey(testKey(f.project, file, f.titles), f.repeat);
    if (!current || current.project !== f.project || current.file !== file) {
      flush();
      current = { project: f.project, file, entries: [] };
    }
    current.entries.push({ key, unit: parallelOf(f.project) ? key : null, tags: f.tags, skipped: f.skipped });
    tests.set(key, { project: f.project, file, rootFile: normalizeFile(f.rootFile), titlePath: f.titles, listLine: testListLine(f.project, f.rootFile, f.titles) });
  }
  flush();
  return { groups, tests, rootDir };
}

/**
 * Folds per-test history into the groups: `durationMs` is the sum of its
 * tests' estimates; tests without one count as the median estimate of all
 * known tests; a group with no known test keeps no duration (the engine then
 * estimates it, or balances by count when nothing is known).
 * `failedLastRun` is set when any of its tests failed last run.
 *
 * `history`: a Map or object from test key to milliseconds, or to
 * `{ durationMs?, failedLastRun? }`. Returns how many groups got a duration.
 */
function applyHistory(groups, history) {
  if (!history) return 0;
  const get = history instanceof Map ? (k) => history.get(k) : (k) => (Object.prototype.hasOwnProperty.call(history, k) ? history[k] : undefined);
  const read = (k) => {
    const v = get(k);
    if (typeof v === 'number') return { durationMs: v, failedLastRun: false };
    if (v && typeof v === 'object') return v;
    return null;
  };
  const known = [];
  for (const g of groups) {
    for (const k of g.tests || [g.id]) {
      const v = read(k);
      if (v && Number.isFinite(v.durationMs) && v.durationMs >= 0) known.push(v.durationMs);
    }
  }
  known.sort((a, b) => a - b);
  const n = known.length;
  const median = n ? (n % 2 ? known[(n - 1) / 2] : (known[n / 2 - 1] + known[n / 2]) / 2) : 0;
  let withDuration = 0;
  for (const g of groups) {
    let sum = 0;
    let hits = 0;
    let misses = 0;
    let failed = false;
    for (const k of g.tests || [g.id]) {
      const v = read(k);
      if (v && v.failedLastRun === true) failed = true;
      if (v && Number.isFinite(v.durationMs) && v.durationMs >= 0) {
        sum += v.durationMs;
        hits++;
      } else misses++;
    }
    if (hits) {
      g.durationMs = sum + misses * median;
      withDuration++;
    }
    if (failed) g.failedLastRun = true;
  }
  return withDuration;
}

/**
 * Per-test inputs for applyHistory() from a History (js/history.js): each
 * key's estimate when the history knows the test or its file or suite
 * (`history`, `file`, `suite` sources; `default` means nothing is known and
 * is left out), and whether it failed in its latest run. One batched call
 * each. `null` when the history has no runs.
 */
function historyEstimates(history, keys) {
  if (!history || history.runCount === 0) return null;
  const estimates = history.estimates(keys);
  const outcomes = history.lastOutcomes(keys);
  const out = new Map();
  estimates.forEach((e, i) => {
    const entry = { failedLastRun: outcomes[i] === 'failed' };
    if (e.source !== 'default') entry.durationMs = e.ms;
    out.set(e.key, entry);
  });
  return out;
}

module.exports = { testKey, testListLine, normalizeFile, suiteGroups, listReportGroups, applyHistory, historyEstimates, dependencyProjects };
