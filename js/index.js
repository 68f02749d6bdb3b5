'use strict';
// shardwright's JS API (CommonJS). ESM: index.mjs re-exports the same names.

const native = require('./native.js');
const { retry } = require('./retry.js');
const { History, loadHistory, flakyReport, defaultHistoryPath, testKey } = require('./history.js');
const { flakyMarkdown, flakySummary } = require('./flaky-format.js');
const { events } = require('./flaky-events.js');

module.exports = {
  retry,
  BackoffPolicy: native.BackoffPolicy,
  History,
  loadHistory,
  flakyReport,
  flakyMarkdown,
  flakySummary,
  events,
  defaultHistoryPath,
  testKey,
};
