import api from './index.js';

export const { retry, BackoffPolicy } = api;
export default api;
