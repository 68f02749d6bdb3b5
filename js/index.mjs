import api from './index.js';

export const {
  retry,
  BackoffPolicy,
  withShardwright,
  printConfig,
  resolveConfig,
  recommendWorkers,
  explainWorkers,
  resourceSnapshot,
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
  WorkerManager,
} = api;
export default api;
