'use strict';
// Every attempt of every test in a Playwright JSON report (`--reporter=json`),
// keyed as listReportGroups() keys the listed suite — so a batch of
// `shardwright run` maps its results back to its groups — and shaped as the
// history's attempts (History#addRun).

const path = require('node:path');
const { testKey, normalizeFile } = require('./groups.js');

function repeatKey(key, repeat) {
  return repeat ? `${key} (repeat ${repeat})` : key;
}

function errorText(result) {
  const e = result.error || (Array.isArray(result.errors) ? result.errors[0] : undefined);
  if (!e) return undefined;
  const text = e.message || e.value;
  return typeof text === 'string' && text ? text : undefined;
}

/**
 * `Map<key, { status, attempts }>` for a parsed JSON report, in report
 * order. `status` is the test's outcome: `passed` (as expected, including
 * an expected failure), `flaky` (passed on a retry), `failed` (not as
 * expected) or `skipped`. `attempts` are History#addRun attempts.
 */
function reportAttempts(report) {
  const out = new Map();
  if (!report || typeof report !== 'object' || !Array.isArray(report.suites)) return out;
  const config = report.config || {};
  const rootDir = config.rootDir || '';
  const projects = Array.isArray(config.projects) ? config.projects : [];
  const testDirOf = new Map(projects.map((p) => [p.name, p.testDir]));
  const walk = (suite, titles) => {
    for (const spec of suite.specs || []) {
      const repeats = new Map();
      for (const t of spec.tests || []) {
        const project = t.projectName || '';
        const repeat = repeats.get(project) || 0;
        repeats.set(project, repeat + 1);
        const rootFile = spec.file || suite.file || '';
        const testDir = testDirOf.get(project);
        const file = normalizeFile(testDir && rootDir ? path.relative(testDir, path.resolve(rootDir, rootFile)) : rootFile);
        const titlePath = [...titles, spec.title];
        const key = repeatKey(testKey(project, file, titlePath), repeat);
        const status = t.status === 'unexpected' ? 'failed' : t.status === 'flaky' ? 'flaky' : t.status === 'skipped' ? 'skipped' : 'passed';
        const tags = (spec.tags || []).map((tag) => (tag.startsWith('@') ? tag : `@${tag}`));
        const attempts = (t.results || []).map((r) => ({
          project,
          file,
          titlePath,
          line: spec.line,
          tags,
          durationMs: Number.isFinite(r.duration) && r.duration >= 0 ? r.duration : 0,
          status: r.status,
          retry: r.retry || 0,
          expectedStatus: t.expectedStatus,
          error: errorText(r),
        }));
        out.set(key, { status, attempts });
      }
    }
    for (const child of suite.suites || []) walk(child, child.title ? [...titles, child.title] : titles);
  };
  for (const fileSuite of report.suites) walk(fileSuite, []);
  return out;
}

module.exports = { reportAttempts };
