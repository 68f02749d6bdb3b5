import api from './index.js';

export const { retry, BackoffPolicy, History, loadHistory, flakyReport, flakyMarkdown, flakySummary, events, defaultHistoryPath } = api;
export default api;
