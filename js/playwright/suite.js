'use strict';
// The suite of Reporter.preprocess(), flattened for the engine in one pass:
// every suite with its parent, title and `testRun.mode()`, every test with
// its suite, title, repeat, tags and whether it is expected to be skipped.
// The engine (src/playwright/live.rs) keys, groups and plans it; the test
// objects stay here, found again by their index.

const { configError } = require('../errors.js');

/** Entries in declaration order (tests and child suites interleaved). */
function entries(suite) {
  return typeof suite.entries === 'function' ? suite.entries() : [...suite.tests, ...suite.suites];
}

/**
 * `{ json, cases }`: `json` for the engine, `cases[i]` the TestCase of the
 * engine's test i. `config.projects` gives dependencies and teardowns (their
 * projects run on every shard and are not planned).
 */
function flattenSuite(root, testRun, config) {
  if (!root || !Array.isArray(root.suites)) throw configError('suite', root, 'the root Suite of Reporter.preprocess()');
  if (!testRun || typeof testRun.mode !== 'function') {
    throw configError('testRun', testRun, 'the TestRun of Reporter.preprocess() (Playwright ≥ 1.62)');
  }
  const suites = [];
  const tests = [];
  const cases = [];
  const visit = (suite, parent) => {
    const index = suites.length;
    suites.push([parent, suite.title, testRun.mode(suite)]);
    for (const entry of entries(suite)) {
      if (entry.type === 'test') {
        tests.push([index, entry.title, entry.repeatEachIndex || 0, entry.tags || [], entry.expectedStatus === 'skipped']);
        cases.push(entry);
      } else {
        visit(entry, index);
      }
    }
  };
  for (const projectSuite of root.suites) visit(projectSuite, -1);
  const projects = (config?.projects || []).map((p) => ({
    name: p.name,
    testDir: p.testDir,
    dependencies: p.dependencies || [],
    teardown: p.teardown || undefined,
  }));
  return { json: JSON.stringify({ projects, suites, tests }), cases };
}

/** quarantineMode 'skip': skips the quarantined tests of the suite (`keys[i]` is `cases[i]`'s), and says which. */
function skipQuarantined(quarantine, cases, keys, testRun, print) {
  const quarantined = new Map(quarantine.map((q) => [q.key, q]));
  const skipped = [];
  cases.forEach((test, i) => {
    const q = quarantined.get(keys[i]);
    if (!q) return;
    testRun.skip(test, `quarantined by shardwright (${q.reason === 'listed' ? 'listed' : `flaky score ${q.score.toFixed(2)}`})`);
    skipped.push(keys[i]);
  });
  if (skipped.length)
    print(
      `skipping ${skipped.length} quarantined test${skipped.length === 1 ? '' : 's'} (quarantineMode: skip):\n${skipped.map((k) => `  - ${k}`).join('\n')}`,
    );
}

module.exports = { flattenSuite, skipQuarantined };
