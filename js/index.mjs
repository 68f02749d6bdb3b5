import api from './index.js';

export const { retry, BackoffPolicy, WorkerManager } = api;
export default api;
