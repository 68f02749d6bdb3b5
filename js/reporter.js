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
const { resolveConfig, splitOptions } = require('./config.js');
const { flakySummary } = require('./flaky-format.js');
const { writeAtomic, flakyOptions, loadConfiguredHistory, recordRun } = require('./run-record.js');
const { events, emitReport } = require('./flaky-events.js');
const { suiteGroups, applyHistory, historyEstimates, testKey } = require('./groups.js');
const { selectShard } = require('./shard.js');
const { formatMs } = require('./cli-util.js');

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
    this._callbacks = splitOptions(rest).callbacks;
    this._effective = resolveConfig(rest);
    this._values = this._effective.values;
    this._attempts = [];
    this._errors = 0;
    this._shard = null;
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

  _flakyOptions() {
    return flakyOptions(this._values);
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
    this._config = config;
    const history = this._loadHistory();
    let report = null;
    if (history && history.runCount > 0) report = history.analyze(this._flakyOptions());

    if (report && this._values.quarantineMode === 'skip' && report.quarantine.length) {
      const quarantined = new Map(report.quarantine.map((q) => [q.key, q]));
      const { testsByKey } = suiteGroups(suite, testRun, { config });
      const skipped = [];
      for (const [key, test] of testsByKey) {
        const q = quarantined.get(key);
        if (!q) continue;
        testRun.skip(test, `quarantined by shardwright (${q.reason === 'listed' ? 'listed' : `flaky score ${q.score.toFixed(2)}`})`);
        skipped.push(key);
      }
      if (skipped.length) this._print(`skipping ${skipped.length} quarantined test${skipped.length === 1 ? '' : 's'} (quarantineMode: skip):\n${skipped.map((k) => `  - ${k}`).join('\n')}`);
    }

    if (config.shard) this._planShard(config, suite, testRun, history);
  }

  _planShard(config, suite, testRun, history) {
    const { current, total } = config.shard;
    const { groups, testsByKey } = suiteGroups(suite, testRun, { config });
    const keys = [...testsByKey.keys()];
    const perTest = historyEstimates(history, keys);
    const known = perTest ? applyHistory(groups, perTest) : 0;
    const selected = selectShard(groups, { shards: total, index: current, strategy: this._values.strategy });
    const plan = selected.plan;
    const mine = plan.shards[current - 1];
    testRun.skipSharding();
    const keep = new Set(selected.tests);
    for (const [key, test] of testsByKey) if (!keep.has(key)) testRun.exclude(test);
    this._shard = {
      index: current,
      total,
      fingerprint: plan.fingerprint,
      predictedMs: plan.balancedBy === 'count' ? undefined : mine.expectedMs,
      strategy: plan.strategy,
      balancedBy: plan.balancedBy,
      tests: [...keep].sort(),
      suite: keys.slice().sort(),
    };
    const how = plan.balancedBy === 'count'
      ? 'no history: balancing by test count'
      : `by ${plan.strategy}, expected ${formatMs(mine.expectedMs)} (makespan ${formatMs(plan.makespan)}, lower bound ${formatMs(plan.lowerBound)}${known < groups.length ? `, ${groups.length - known} of ${groups.length} groups without history` : ''})`;
    this._print(`shard ${current}/${total}: ${keep.size} of ${keys.length} tests, ${how}; plan ${plan.fingerprint.slice(0, 12)}`);
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
    const { added, report } = recordRun(history, { startedAt: this._startedAt, endedAt, shard, source: 'reporter', attempts: this._attempts }, this._values);
    const dir = path.resolve(this._values.reportDir);
    if (this._shard) {
      const ran = [...new Set(this._attempts.map((a) => testKey(a.project, a.file, a.titlePath)))].sort();
      writeAtomic(
        path.join(dir, `shard-${this._shard.index}-of-${this._shard.total}.json`),
        JSON.stringify({ ...shard, runId: added.runId, strategy: this._shard.strategy, balancedBy: this._shard.balancedBy, planned: this._shard.tests, ran, suite: this._shard.suite }, null, 2) + '\n',
      );
      const err = shard.predictedMs ? ` (prediction ${formatMs(shard.predictedMs)}, error ${(((shard.actualMs - shard.predictedMs) / shard.predictedMs) * 100).toFixed(0)}%)` : '';
      this._print(`shard ${shard.index}/${shard.total} took ${formatMs(shard.actualMs)}${err}`);
    }
    process.stdout.write(flakySummary(report) + '\n');

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
