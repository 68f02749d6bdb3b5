'use strict';
// shardwright's JS API (CommonJS). ESM: index.mjs re-exports the same names.

const native = require('./native.js');
const { retry } = require('./retry.js');
const config = require('./config.js');
const shard = require('./shard.js');
const groups = require('./groups.js');
const { WorkerManager } = require('./pool.js');
const { History, loadHistory, flakyReport, defaultHistoryPath, testKey } = require('./history.js');
const { flakyMarkdown, flakySummary } = require('./flaky-format.js');
const { events } = require('./flaky-events.js');

module.exports = {
  retry,
  BackoffPolicy: native.BackoffPolicy,
  withShardwright: config.withShardwright,
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
};
