'use strict';
// shardwright's JS API (CommonJS). ESM: index.mjs re-exports the same names.

const native = require('./native.js');
const { retry } = require('./retry.js');
const config = require('./config.js');

module.exports = {
  retry,
  BackoffPolicy: native.BackoffPolicy,
  withShardwright: config.withShardwright,
  printConfig: config.printConfig,
  resolveConfig: config.resolveConfig,
  recommendWorkers: config.recommendWorkers,
  explainWorkers: config.explainWorkers,
  resourceSnapshot: config.resourceSnapshot,
};
