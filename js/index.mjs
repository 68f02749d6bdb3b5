import api from './index.js';

export const {
  retry,
  BackoffPolicy,
  planShards,
  selectShard,
  formatShardPlan,
  checkShardCoverage,
  SHARD_STRATEGIES,
  suiteGroups,
  listReportGroups,
  applyHistory,
  testKey,
  testListLine,
} = api;
export default api;
