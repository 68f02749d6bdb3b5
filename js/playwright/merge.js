'use strict';
// shardwright's reporter inside `npx playwright merge-reports`: Playwright
// replays each shard's blob report between onReportConfigure and
// onReportEnd. Each sharded blob carries its shard record in its config's
// metadata (js/playwright/shards.js). At the end:
//
// - every test of the suite ran exactly once across the shards, every shard
//   is there and planned from the same plan — or the merge fails (a
//   reporter error: merge-reports exits 1) naming the tests;
// - the run is recorded once: the shards' attempts under the run's id, which
//   the shards used themselves, so a history that already holds them
//   (a restored cache, `shardwright merge` of their artifacts) gains nothing
//   twice; and the merged flaky report is written.

const path = require('node:path');
const native = require('../native.js');
const { codedError } = require('../errors.js');
const { checkShardCoverage } = require('../api/shard.js');
const { formatMs } = require('../api/flaky-format.js');
const { recordRun } = require('../api/record.js');
const { METADATA_KEY, readMetadataRecord } = require('./shards.js');

class MergeCheck {
  constructor(print) {
    this._print = print;
    this._reports = [];
    this._current = null;
  }

  /** The merged config: its copy of a shard's record is not for other reporters. */
  configure(config) {
    if (config?.metadata) delete config.metadata[METADATA_KEY];
  }

  reportConfigure({ reportPath, config }) {
    this._current = {
      file: path.basename(reportPath),
      shard: config?.shard || null,
      record: readMetadataRecord(config?.metadata),
      tests: new Map(), // TestCase → [project, file, titlePath, repeat]
      attempts: [],
      durationMs: undefined,
    };
    this._reports.push(this._current);
  }

  reportEnd({ result }) {
    if (this._current) this._current.durationMs = result?.duration;
    this._current = null;
  }

  testEnd(test, attempt) {
    const report = this._current || this._reports.at(-1);
    if (!report) return;
    report.tests.set(test, [attempt.project, attempt.file, attempt.titlePath, test.repeatEachIndex || 0]);
    report.attempts.push(attempt);
  }

  /** What the merged run says: problems (each a line) and the coverage, when sharded. */
  _check() {
    const sharded = this._reports.filter((r) => r.shard || r.record);
    if (!sharded.length) return { problems: [], coverage: null };
    const problems = [];
    const bare = sharded.filter((r) => !r.record);
    for (const r of bare) {
      problems.push(
        `${r.file} (shard ${r.shard ? `${r.shard.current}/${r.shard.total}` : '?'}) has no shardwright record: that shard ran without shardwright's reporter (\`--reporter\` on the command line replaces the config's reporters) or with shardwright older than this, so its exactly-once cannot be checked`,
      );
    }
    const records = sharded.filter((r) => r.record);
    if (!records.length) return { problems, coverage: null };
    const totals = [...new Set(records.map((r) => r.record.total))];
    if (totals.length > 1) problems.push(`the shards were of different runs: --shard totals ${totals.join(', ')}`);
    const all = records.flatMap((r) => [...r.tests.values()]);
    const keys = native.__testKeys(JSON.stringify(all));
    let at = 0;
    const runRecords = records.map((r) => {
      const tests = keys.slice(at, at + r.tests.size);
      at += r.tests.size;
      return { index: r.record.index, fingerprint: r.record.fingerprint, tests: [...new Set(tests)] };
    });
    const suite = [...new Set(records.flatMap((r) => r.record.suite))].sort();
    const coverage = checkShardCoverage(suite, runRecords, Math.max(...totals));
    if (!coverage.ok) problems.push(coverage.report.trimEnd());
    return { problems, coverage, records };
  }

  /** Predicted against actual per shard. */
  _predictions() {
    return this._reports
      .filter((r) => r.record)
      .sort((a, b) => a.record.index - b.record.index)
      .map((r) => {
        const { index, total, predictedMs } = r.record;
        const actual = r.durationMs;
        const error = predictedMs && actual ? `, error ${(((actual - predictedMs) / predictedMs) * 100).toFixed(0)}%` : '';
        return `  shard ${index}/${total}: took ${formatMs(actual)}${predictedMs ? ` (predicted ${formatMs(predictedMs)}${error})` : ''}`;
      });
  }

  async end(reporter, result) {
    const { problems, coverage } = this._check();
    const predictions = this._predictions();
    if (predictions.length) this._print(`merged ${predictions.length} shard${predictions.length === 1 ? '' : 's'}:\n${predictions.join('\n')}`);
    if (coverage?.ok) this._print(coverage.report.trimEnd());
    let verdict;
    const history = reporter._loadHistory();
    if (history) {
      // One history run per run id (the shards of one run share it).
      const byRun = new Map();
      for (const r of this._reports) {
        const id = r.record?.runId || `merge-${path.basename(r.file, '.zip')}-${Date.now()}`;
        if (!byRun.has(id)) byRun.set(id, { id, startedAt: reporter._startedAt, endedAt: Date.now(), source: 'merge-reports', attempts: [] });
        byRun.get(id).attempts.push(...r.attempts);
      }
      let last;
      for (const run of byRun.values()) last = recordRun(history, run, reporter._values, reporter._settings, reporter._classifyOptions());
      if (last) verdict = reporter.publish(last.report, result);
      reporter._writeHtml(history);
    }
    if (problems.length) {
      const message = `the merged run is not exactly once:\n${problems.join('\n')}`;
      this._print(message);
      // A reporter error is what makes merge-reports exit non-zero.
      throw codedError('plan', `shardwright: ${message}`);
    }
    return verdict;
  }
}

module.exports = { MergeCheck };
