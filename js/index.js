'use strict';
// shardwright's JS API (CommonJS). ESM: index.mjs re-exports the same names.
// The API lives in js/api/ (one file per area); withShardwright() in
// js/playwright/config.js, beside the reporter and the test fixture.

const native = require('./native.js');
const { retry } = require('./api/retry.js');
const config = require('./api/config.js');
const shard = require('./api/shard.js');
const groups = require('./api/groups.js');
const { WorkerManager } = require('./api/pool.js');
const { History, loadHistory, flakyReport, defaultHistoryPath, testKey } = require('./api/history.js');
const { flakyMarkdown, flakySummary } = require('./api/flaky-format.js');
const { events } = require('./api/flaky-events.js');
const { withShardwright } = require('./playwright/config.js');
const { CODES } = require('./errors.js');
const { htmlReport, writeHtmlReport } = require('./report/html.js');

module.exports = {
  retry,
  BackoffPolicy: native.BackoffPolicy,
  withShardwright,
  printConfig: config.printConfig,
  resolveConfig: config.resolveConfig,
  recommendWorkers: config.recommendWorkers,
  explainWorkers: config.explainWorkers,
  resourceSnapshot: config.resourceSnapshot,
  planShards: shard.planShards,
  selectShard: shard.selectShard,
  formatShardPlan: shard.formatShardPlan,
  checkShardCoverage: shard.checkShardCoverage,
  SHARD_STRATEGIES: shard.SHARD_STRATEGIES,
  suiteGroups: groups.suiteGroups,
  listReportGroups: groups.listReportGroups,
  applyHistory: groups.applyHistory,
  testListLine: groups.testListLine,
  WorkerManager,
  History,
  loadHistory,
  flakyReport,
  flakyMarkdown,
  flakySummary,
  events,
  defaultHistoryPath,
  testKey,
  htmlReport,
  writeHtmlReport,
  ERROR_CODES: CODES,
};
