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
} = api;
export default api;
