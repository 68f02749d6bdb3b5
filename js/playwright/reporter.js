'use strict';
// shardwright/reporter: the Playwright reporter (v2 reporter API).
//
//   reporter: [['list'], ['shardwright/reporter', { strategy: 'duration' }]]
//
// - preprocess(): with --shard=i/n, takes sharding over (skipSharding +
//   exclude) and keeps this shard's share of the run's plan (js/playwright/
//   shards.js: a plan file, the plan an earlier shard kept, or a fresh one
//   from the history); with quarantineMode 'skip', skips quarantined tests.
// - onBegin(): writes the flaky keys (tests with flaky history) for
//   shardwright/test's retry decisions, SHARDWRIGHT_FLAKY_KEYS for workers.
// - onTestEnd(): collects every attempt (in memory).
// - onEnd(): adds the run to the history (the shards of a run share its id),
//   saves it atomically, writes the flaky report and the shard record; the
//   run's last shard in this folder checks that every test ran exactly once.
// - Inside `playwright merge-reports` (js/playwright/merge.js): checks the
//   shards' blobs the same way and records the merged run once.

const path = require('node:path');
const native = require('../native.js');
const { resolveConfig, splitOptions } = require('../api/config.js');
const { flakySummary } = require('../api/flaky-format.js');
const { loadConfiguredHistory, recordRun, analyzeWith } = require('../api/record.js');
const { events, emitReport } = require('../api/flaky-events.js');
const { flattenSuite, skipQuarantined } = require('./suite.js');
const shards = require('./shards.js');
const { MergeCheck } = require('./merge.js');
const retryKeys = require('./retry-keys.js');
const { reportAfterRun } = require('../report/html.js');
const { BurnInTally } = require('./burn-in.js');

class ShardwrightReporter {
  constructor(options = {}) {
    // Playwright adds its own keys to every reporter's options: `configDir`,
    // `_mode` ('list' for `--list`, 'merge' inside merge-reports),
    // `_commandHash`, and `onlyFailures` in list mode.
    const { configDir, _mode, onlyFailures, ...rest } = options || {};
    for (const k of Object.keys(rest)) if (k.startsWith('_')) delete rest[k];
    this._mode = _mode;
    // Validates every option and SHARDWRIGHT_* variable now: a mistake stops
    // the run before any test starts, with the field and value named.
    const { settings, callbacks } = splitOptions(rest);
    this._callbacks = callbacks;
    this._settings = settings;
    this._values = resolveConfig(rest).values;
    this._reportDir = path.resolve(this._values.reportDir);
    this._attempts = [];
    this._burnIn = new BurnInTally();
    this._errors = 0;
    this._shard = null;
    // TestCase → its key, from the engine (set in preprocess).
    this._keyOf = null;
    this._ran = [];
    this._firstStart = new Map(); // workerIndex → first test start (ms)
    this._history = undefined;
    this._startedAt = Date.now();
    this._preprocessed = false;
    this._merge = _mode === 'merge' ? new MergeCheck((line) => this._print(line)) : null;
  }

  version() {
    return 'v2';
  }

  printsToStdio() {
    return false;
  }

  _print(line) {
    // A listing's output is the list: say nothing into it.
    if (this._mode !== 'list') process.stdout.write(`shardwright: ${line}\n`);
  }

  _loadHistory() {
    if (this._history === undefined) {
      // Never overwrite a history we could not read: run without it.
      this._history = loadConfiguredHistory(this._values, (line) => this._print(line), 'this run is not recorded');
    }
    return this._history;
  }

  onConfigure(config) {
    this._config = config;
    if (this._merge) this._merge.configure(config);
    // burnIn asked for, but no config wrapper made its projects: said now, and the run fails.
    else if (this._mode !== 'list') this._burnIn.expect(this._values.burnIn, (line) => this._print(line));
  }

  _classifyOptions() {
    return retryKeys.classifyOptions(this._config);
  }

  async preprocess({ config, suite, testRun }) {
    this._preprocessed = true;
    if (this._merge) return;
    // `--list --shard=i/n` lists what `--shard=i/n` runs: the same plan
    // (without keeping it, or anything else: a listing changes nothing).
    const listing = this._mode === 'list';
    if (listing && !config.shard) return;
    const history = this._loadHistory();
    const shard = config.shard;
    const run = shard ? { workers: config.workers, ...shards.planInputs(this._values, this._reportDir, shard.total) } : undefined;
    // One crossing: the suite, the history and the options in; the keys and
    // this shard's share out.
    const { json, cases } = flattenSuite(suite, testRun, config);
    const planned = native.__planSuite(
      json,
      history ? history._store : null,
      shard ? { shards: shard.total, index: shard.current, strategy: this._values.strategy } : undefined,
      run,
    );
    this._keyOf = new Map(cases.map((c, i) => [c, planned.keys[i]]));
    if (history && history.runCount > 0 && this._values.quarantineMode === 'skip')
      skipQuarantined(analyzeWith(history, this._settings).quarantine, cases, planned.keys, testRun, (line) => this._print(line));
    if (planned.shard) this._takeShard(config, testRun, cases, planned.shard, listing);
  }

  _takeShard(config, testRun, cases, s, listing) {
    try {
      testRun.skipSharding();
    } catch (err) {
      // Playwright allows one reporter to shard: another one did.
      this._print(`another reporter takes --shard over (${err.message}); shardwright leaves sharding to it and does not plan this shard`);
      return;
    }
    for (const i of s.exclude) testRun.exclude(cases[i]);
    if (listing) return;
    const { current, total } = config.shard;
    this._shard = { index: current, total, workers: config.workers, ...s };
    shards.keepPlan(this._reportDir, total, s);
    // Rides in the blob report, for the reporter inside merge-reports.
    if (config.metadata && typeof config.metadata === 'object') config.metadata[shards.METADATA_KEY] = shards.metadataRecord(current, total, s);
    if (s.cacheNote) this._print(`${s.cacheNote}: planned afresh`);
    this._print(s.summary);
  }

  onBegin() {
    this._startedAt = Date.now();
    if (this._mode === 'list' || this._merge) return;
    if (!this._preprocessed) {
      this._print(
        'this Playwright has no Reporter.preprocess() (1.62+ needed): Playwright splits --shard by test count itself; no quarantine skipping; the history is still recorded',
      );
      this._loadHistory();
    }
    this._writeFlakyKeys();
  }

  _writeFlakyKeys() {
    this._removeKeys = retryKeys.writeFlakyKeys(this._history, this._settings, (line) => this._print(line));
  }

  _removeFlakyKeys() {
    if (this._removeKeys) this._removeKeys();
    this._removeKeys = null;
  }

  onReportConfigure(params) {
    if (this._merge) this._merge.reportConfigure(params);
  }

  onReportEnd(params) {
    if (this._merge) this._merge.reportEnd(params);
  }

  onError() {
    this._errors++;
  }

  onTestBegin(test, result) {
    const w = result.workerIndex;
    if (w >= 0 && !this._firstStart.has(w)) this._firstStart.set(w, result.startTime ? result.startTime.getTime() : Date.now());
  }

  onTestEnd(test, result) {
    const titles = test.titlePath();
    const project = test.parent.project();
    // A burn-in copy's repeats are recorded as the original project's.
    const burnIn = BurnInTally.projectOf(project);
    const attempt = {
      project: burnIn ?? (project ? project.name : titles[1] || ''),
      // The file suite's title: the file relative to the config's rootDir.
      file: titles[2],
      titlePath: titles.slice(3),
      line: test.location.line,
      tags: test.tags,
      durationMs: result.duration,
      status: result.status,
      retry: result.retry,
      expectedStatus: test.expectedStatus,
      error: result.error ? { message: result.error.message || result.error.value || '' } : undefined,
    };
    if (this._merge) return this._merge.testEnd(test, attempt);
    if (burnIn !== undefined) this._burnIn.add(native.__testKey(burnIn, attempt.file, attempt.titlePath), result, test.expectedStatus);
    const key = this._keyOf?.get(test);
    if (key !== undefined) this._ran.push(key);
    this._attempts.push(attempt);
  }

  async onEnd(result) {
    if (this._mode === 'list') return undefined;
    if (this._merge) return this._merge.end(this, result);
    this._removeFlakyKeys();
    const history = this._loadHistory();
    let verdict;
    if (history) {
      const run = { startedAt: this._startedAt, endedAt: Date.now(), source: 'reporter', attempts: this._attempts };
      if (this._shard) {
        // The shards of one run are one run in the history.
        run.id = this._shard.runId;
        run.shard = {
          index: this._shard.index,
          total: this._shard.total,
          fingerprint: this._shard.fingerprint,
          // The tests' predicted schedule beside the real time: later
          // predictions learn the start-up from their difference.
          predictedMs: this._shard.scheduleMs ?? undefined,
          actualMs: result.duration,
        };
      }
      verdict = this.publish(recordRun(history, run, this._values, this._settings, this._classifyOptions()).report, result);
    }
    if (this._shard && !this._finishShard(result)) verdict = { status: 'failed' };
    this._writeHtml(history);
    const burnIn = this._burnIn.summary();
    for (const line of burnIn.lines) this._print(line);
    // Flaky at birth (or a burn-in that never ran) fails the run, whatever quarantine says.
    if (burnIn.failed > 0) return { status: 'failed' };
    return verdict;
  }

  /** The HTML run report (option `html`), once this shard's record is written. */
  _writeHtml(history) {
    reportAfterRun(this._values.html, history, { options: this._settings, reportDir: this._reportDir }, (line) => this._print(line));
  }

  /** The shard's record, its prediction against the real time, and the run's check when it is complete here. */
  _finishShard(result) {
    const s = this._shard;
    const record = {
      index: s.index,
      total: s.total,
      runId: s.runId,
      fingerprint: s.fingerprint,
      suiteFingerprint: s.suiteFingerprint,
      historyFingerprint: s.historyFingerprint ?? null,
      source: s.source,
      strategy: s.strategy,
      balancedBy: s.balancedBy,
      workers: s.workers,
      predictedMs: s.predictedMs ?? null,
      scheduleMs: s.scheduleMs ?? null,
      serialMs: s.serialMs ?? null,
      actualMs: result.duration,
      workerStartMs: shards.workerStartMs(this._firstStart, this._startedAt) ?? null,
      planned: s.planned,
      groups: shards.planGroups(s.planFile, s.index),
      ran: [...new Set(this._ran)].sort(),
      suite: s.suite,
    };
    this._print(shards.predictionLine(record));
    const check = shards.finishShard(this._reportDir, record);
    for (const line of check.lines) this._print(line);
    return check.ok;
  }

  /** Prints the flaky summary and tells the listeners; the quarantine verdict of the run. */
  publish(report, result) {
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
