'use strict';
// shardwright's JS API (CommonJS). ESM: index.mjs re-exports the same names.

const native = require('./native.js');
const { retry } = require('./retry.js');
const { WorkerManager } = require('./pool.js');

module.exports = {
  retry,
  BackoffPolicy: native.BackoffPolicy,
  WorkerManager,
};
