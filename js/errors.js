'use strict';
// Errors raised by the JS layer itself, in the same shape as the engine's:
// an Error with a stable `code` and a message naming the field and the value.

const { inspect } = require('node:util');

function show(value) {
  return inspect(value, { depth: 1, breakLength: Infinity, maxStringLength: 80 });
}

function configError(field, value, expected) {
  const err = new Error(`invalid ${field}: ${show(value)} (${expected})`);
  err.code = 'ERR_SHARDWRIGHT_CONFIG';
  return err;
}

module.exports = { configError, show };
