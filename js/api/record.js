'use strict';
// What every way of running the suite does at its end — the reporter,
// `shardwright run` and `shardwright merge`: load the history as configured,
// add the run, save it, judge the tests, and write the flaky report (JSON and
// Markdown in reportDir, the job summary on GitHub Actions). One place, so
// the files look the same whoever wrote them.

const fs = require('node:fs');
const path = require('node:path');
const { History } = require('./history.js');
const { flakyMarkdown } = require('./flaky-format.js');

/** Writes `text` to `file` atomically: a temp file in the same dir, fsync, rename. */
function writeAtomic(file, text) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeFileSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

/**
 * The history at `values.history` (with `historyRuns` and `resetHistory`),
 * or `null` when it cannot be read: then `say` is told why and what follows
 * (`consequence`), and the file is never overwritten.
 */
function loadConfiguredHistory(values, say, consequence = 'this run is not recorded') {
  const file = path.resolve(values.history);
  try {
    const history = History.load(file, { maxRuns: values.historyRuns, reset: values.resetHistory });
    if (history.recovered) {
      say(`the history was unusable (${history.recovered.problem}); kept as ${history.recovered.backup}, starting fresh (resetHistory)`);
    }
    return history;
  } catch (err) {
    say(
      `${err.message}\n  ${consequence}; fix or remove the file, or set resetHistory: true (SHARDWRIGHT_RESET_HISTORY=1) to keep it as a backup and start fresh`,
    );
    return null;
  }
}

/**
 * The flaky report of `history` judged with the settings of `options` (the
 * reporter's options; SHARDWRIGHT_* apply on top, a command's `flags` above
 * both), for run `runId` or the newest.
 */
function analyzeWith(history, options, runId, flags) {
  return JSON.parse(history._store.analyzeSettingsJson(options || {}, runId, flags));
}

/**
 * Adds `run` (see History#addRun) to `history`, saves it, and writes the
 * flaky report of the history as it now is: `<reportDir>/flaky-report.json`,
 * `flaky-report.md`, and $GITHUB_STEP_SUMMARY when set. `options` are the
 * reporter's options (the settings the run was judged with), `values` the
 * effective settings; `classify` the user's `retryable` / `permanent`
 * patterns (shardwright/test's `use`) that classify the run's errors.
 * Returns `{ added, saved, report }`.
 */
function recordRun(history, run, values, options, classify) {
  const added = history.addRun(run, classify);
  const saved = history.save();
  if (saved.recovered)
    process.stderr.write(
      `shardwright: ${saved.path} was unreadable (${saved.recovered.problem}); kept it as ${saved.recovered.backup} and saved this run's history in its place\n`,
    );
  // A run without attempts (nothing ran) is not kept: judge the history alone.
  const kept = history.runs().some((r) => r.id === added.runId);
  const report = writeReport(history, values, options, kept ? added.runId : undefined);
  return { added, saved, report };
}

/**
 * Writes the flaky report of `history` (for run `runId`, or the newest):
 * JSON and Markdown in `values.reportDir`, the job summary on GitHub Actions.
 */
function writeReport(history, values, options, runId) {
  const report = analyzeWith(history, options, runId);
  const dir = path.resolve(values.reportDir);
  writeAtomic(path.join(dir, 'flaky-report.json'), `${JSON.stringify(report, null, 2)}\n`);
  const markdown = flakyMarkdown(report);
  writeAtomic(path.join(dir, 'flaky-report.md'), markdown);
  if (process.env.GITHUB_STEP_SUMMARY) fs.appendFileSync(process.env.GITHUB_STEP_SUMMARY, `${markdown}\n`);
  return report;
}

module.exports = { writeAtomic, loadConfiguredHistory, analyzeWith, recordRun, writeReport };
