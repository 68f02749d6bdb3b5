import api from './index.js';

export const { retry, BackoffPolicy, History, loadHistory, flakyReport, flakyMarkdown, flakySummary, events, defaultHistoryPath, testKey } = api;
export default api;
