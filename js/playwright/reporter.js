'use strict';
// shardwright/reporter: the Playwright reporter.
//
//   reporter: [['list'], ['shardwright/reporter', { strategy: 'duration' }]]
//
// - preprocess(): with --shard=i/n, takes sharding over (testRun.skipSharding)
//   and keeps this shard's share of the expected time (testRun.exclude), from
//   the test history; with quarantineMode 'skip', skips quarantined tests.
// - onTestEnd(): collects every attempt (in memory).
// - onEnd(): adds the run to the history (one batch), saves it atomically,
//   judges flaky/broken/fixed tests, writes the flaky report (JSON, Markdown,
//   $GITHUB_STEP_SUMMARY) and a short summary; with quarantineMode 'run', a
//   run whose only failures are quarantined tests passes, and says so.

const path = require('node:path');
const native = require('../native.js');
const { resolveConfig, splitOptions } = require('../api/config.js');
const { flakySummary, formatMs } = require('../api/flaky-format.js');
const { writeAtomic, loadConfiguredHistory, recordRun, analyzeWith } = require('../api/record.js');
const { events, emitReport } = require('../api/flaky-events.js');
const { flattenSuite } = require('./suite.js');

class ShardwrightReporter {
  constructor(options = {}) {
    // Playwright adds its own keys to every reporter's options: `configDir`,
    // `_mode` ('list' for `playwright test --list`), `_commandHash`, and
    // `onlyFailures` in list mode.
    const { configDir, _mode, onlyFailures, ...rest } = options || {};
    for (const k of Object.keys(rest)) if (k.startsWith('_')) delete rest[k];
    this._listing = _mode === 'list';
    // Validates every option and SHARDWRIGHT_* variable now: a mistake stops
    // the run before any test starts, with the field and value named.
    const { settings, callbacks } = splitOptions(rest);
    this._callbacks = callbacks;
    this._settings = settings;
    this._effective = resolveConfig(rest);
    this._values = this._effective.values;
    this._attempts = [];
    this._ran = [];
    this._errors = 0;
    this._shard = null;
    // TestCase → its key, from the engine (set in preprocess).
    this._keyOf = null;
    this._history = null;
    this._historyProblem = null;
    this._startedAt = Date.now();
    this._preprocessed = false;
  }

  printsToStdio() {
    return false;
  }

  _print(line) {
    process.stdout.write(`shardwright: ${line}\n`);
  }

  _loadHistory() {
    if (this._history || this._historyProblem) return this._history;
    this._history = loadConfiguredHistory(this._values, (line) => this._print(line), 'this run is not recorded and shards are balanced by count');
    // Never overwrite a history we could not read: run without it.
    if (!this._history) this._historyProblem = true;
    return this._history;
  }

  async preprocess({ config, suite, testRun }) {
    this._preprocessed = true;
    // `playwright test --list` lists the suite: nothing to shard or record.
    if (this._listing) return;
    const history = this._loadHistory();
    // One crossing: the suite, the history and the options in; the keys and
    // this shard's share out.
    const { json, cases } = flattenSuite(suite, testRun, config);
    const shard = config.shard;
    const planned = native.__planSuite(
      json,
      history ? history._store : null,
      shard ? { shards: shard.total, index: shard.current, strategy: this._values.strategy } : undefined,
    );
    this._keyOf = new Map(cases.map((c, i) => [c, planned.keys[i]]));

    if (history && history.runCount > 0 && this._values.quarantineMode === 'skip') {
      const quarantined = new Map(analyzeWith(history, this._settings).quarantine.map((q) => [q.key, q]));
      const skipped = [];
      cases.forEach((test, i) => {
        const q = quarantined.get(planned.keys[i]);
        if (!q) return;
        testRun.skip(test, `quarantined by shardwright (${q.reason === 'listed' ? 'listed' : `flaky score ${q.score.toFixed(2)}`})`);
        skipped.push(planned.keys[i]);
      });
      if (skipped.length)
        this._print(
          `skipping ${skipped.length} quarantined test${skipped.length === 1 ? '' : 's'} (quarantineMode: skip):\n${skipped.map((k) => `  - ${k}`).join('\n')}`,
        );
    }

    if (planned.shard) {
      const s = planned.shard;
      testRun.skipSharding();
      for (const i of s.exclude) testRun.exclude(cases[i]);
      this._shard = { index: shard.current, total: shard.total, ...s };
      this._print(s.summary);
    }
  }

  onBegin() {
    this._startedAt = Date.now();
    if (this._listing) return;
    if (!this._preprocessed) {
      this._print('this Playwright has no Reporter.preprocess() (1.65+ needed): no duration sharding or quarantine skipping; the history is still recorded');
      this._loadHistory();
    }
  }

  onError() {
    this._errors++;
  }

  onTestEnd(test, result) {
    if (this._keyOf) {
      const key = this._keyOf.get(test);
      if (key !== undefined) this._ran.push(key);
    }
    const titles = test.titlePath();
    const project = test.parent.project();
    this._attempts.push({
      project: project ? project.name : titles[1] || '',
      // Playwright's file suite title: the path relative to the project's testDir.
      file: titles[2],
      titlePath: titles.slice(3),
      line: test.location.line,
      tags: test.tags,
      durationMs: result.duration,
      status: result.status,
      retry: result.retry,
      expectedStatus: test.expectedStatus,
      error: result.error ? { message: result.error.message || result.error.value || '' } : undefined,
    });
  }

  async onEnd(result) {
    if (this._listing) return undefined;
    const history = this._loadHistory();
    if (!history) return undefined;
    const endedAt = Date.now();
    const shard = this._shard && {
      index: this._shard.index,
      total: this._shard.total,
      fingerprint: this._shard.fingerprint,
      predictedMs: this._shard.predictedMs,
      actualMs: result.duration,
    };
    const { added, report } = recordRun(
      history,
      { startedAt: this._startedAt, endedAt, shard, source: 'reporter', attempts: this._attempts },
      this._values,
      this._settings,
    );
    const dir = path.resolve(this._values.reportDir);
    if (this._shard) {
      const ran = [...new Set(this._ran)].sort();
      writeAtomic(
        path.join(dir, `shard-${this._shard.index}-of-${this._shard.total}.json`),
        `${JSON.stringify({ ...shard, runId: added.runId, strategy: this._shard.strategy, balancedBy: this._shard.balancedBy, planned: this._shard.planned, ran, suite: this._shard.suite }, null, 2)}\n`,
      );
      const err = shard.predictedMs
        ? ` (prediction ${formatMs(shard.predictedMs)}, error ${(((shard.actualMs - shard.predictedMs) / shard.predictedMs) * 100).toFixed(0)}%)`
        : '';
      this._print(`shard ${shard.index}/${shard.total} took ${formatMs(shard.actualMs)}${err}`);
    }
    process.stdout.write(`${flakySummary(report)}\n`);

    events.publish(report);
    emitReport(report, {
      report: this._callbacks.onReport,
      flaky: this._callbacks.onFlaky,
      broken: this._callbacks.onBroken,
      failing: this._callbacks.onFailing,
      fixed: this._callbacks.onFixed,
      quarantined: this._callbacks.onQuarantined,
    });

    const run = report.run;
    if (
      this._values.quarantineMode === 'run' &&
      result.status === 'failed' &&
      this._errors === 0 &&
      run &&
      run.failedQuarantined.length > 0 &&
      run.failedNotQuarantined.length === 0
    ) {
      this._print(`only quarantined tests failed, so the run passes (quarantineMode: run):\n${run.failedQuarantined.map((k) => `  - ${k}`).join('\n')}`);
      return { status: 'passed' };
    }
    return undefined;
  }
}

module.exports = ShardwrightReporter;
module.exports.default = ShardwrightReporter;
