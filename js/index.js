'use strict';
// shardwright's JS API (CommonJS). ESM: index.mjs re-exports the same names.

const native = require('./native.js');
const { retry } = require('./retry.js');
const shard = require('./shard.js');
const groups = require('./groups.js');

module.exports = {
  retry,
  BackoffPolicy: native.BackoffPolicy,
  planShards: shard.planShards,
  selectShard: shard.selectShard,
  formatShardPlan: shard.formatShardPlan,
  checkShardCoverage: shard.checkShardCoverage,
  SHARD_STRATEGIES: shard.SHARD_STRATEGIES,
  suiteGroups: groups.suiteGroups,
  listReportGroups: groups.listReportGroups,
  applyHistory: groups.applyHistory,
  testKey: groups.testKey,
  testListLine: groups.testListLine,
};
