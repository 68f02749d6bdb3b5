'use strict';
// Errors raised by the JS layer, in the engine's shape: an Error with a
// stable `code` from the engine's one table (src/error.rs, `ErrorKind`) and
// a message naming the field and the value.

const { inspect } = require('node:util');
const native = require('./native.js');

/** `{ config: 'ERR_SHARDWRIGHT_CONFIG', io: …, plan: …, … }` */
const CODES = Object.freeze(native.__errorCodes());

function show(value) {
  try {
    return inspect(value, { depth: 1, breakLength: Infinity, maxStringLength: 80 });
  } catch {
    // A getter inspect() calls threw: the value is unreadable as such.
    return `[an unreadable ${typeof value}]`;
  }
}

/** An Error of `kind` (a key of CODES) with `message`; `extra` is assigned onto it (exitCode, cause…). */
function codedError(kind, message, extra) {
  const code = CODES[kind];
  if (!code) throw new Error(`shardwright: unknown error kind ${JSON.stringify(kind)}`);
  const err = new Error(message);
  err.code = code;
  if (extra) Object.assign(err, extra);
  return err;
}

function configError(field, value, expected) {
  return codedError('config', `invalid ${field}: ${show(value)} (${expected})`);
}

module.exports = { CODES, codedError, configError, show };
