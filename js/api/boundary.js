'use strict';
// What JS values become on their way into the engine — errors as a summary
// (for classification), RegExps as source and flags — and the guards around
// user code: any value may be thrown, returned or given as an abort reason
// (a null-prototype object, a Proxy whose every trap throws, a thenable
// whose then() throws), and none of them may escape as an exception of our
// own, which would kill the host process. Shared by retry(), the worker
// manager, the history and the flaky events.

const { inspect, types } = require('node:util');
const { codedError } = require('../errors.js');

/** Whether `v` is an Error, without running any of its code. */
function isError(v) {
  if (types.isNativeError(v)) return true;
  try {
    return v instanceof Error;
  } catch {
    return false;
  }
}

/** `Array.isArray(v)`, false for a revoked Proxy (where it throws). */
function isArray(v) {
  try {
    return Array.isArray(v);
  } catch {
    return false;
  }
}

/** `v instanceof C`, false when a Proxy's trap throws. */
function isInstance(v, C) {
  try {
    return v instanceof C;
  } catch {
    return false;
  }
}

/**
 * Runs `f`, which reads a caller's value (`what`): a value that cannot be
 * read — a Proxy whose traps throw, a revoked Proxy, a getter that throws —
 * makes an ERR_SHARDWRIGHT_CONFIG error naming it, whatever the JS error;
 * errors that have a code already pass as they are.
 */
function reading(what, f) {
  try {
    return f();
  } catch (err) {
    if (err !== null && typeof err === 'object' && typeof read(err, 'code') === 'string' && /^ERR_SHARDWRIGHT_/.test(read(err, 'code'))) throw err;
    throw codedError('config', `invalid ${what}: it cannot be read (${describeValue(err)})`, { cause: err });
  }
}

/** `v[key]`, or `undefined` when reading it throws. */
function read(v, key) {
  try {
    return v[key];
  } catch {
    return undefined;
  }
}

const MAX_TEXT = 2000;

function cut(text) {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}… [${text.length - MAX_TEXT} more characters]` : text;
}

/** A short text for any value; never throws. */
function describeValue(v) {
  if (typeof v === 'string') return cut(v);
  if (v === null || (typeof v !== 'object' && typeof v !== 'function')) {
    try {
      return String(v);
    } catch {
      return `[${typeof v}]`;
    }
  }
  const message = read(v, 'message');
  if (typeof message === 'string') {
    const name = read(v, 'name');
    return cut(typeof name === 'string' && name && name !== 'Error' ? `${name}: ${message}` : message);
  }
  try {
    return cut(inspect(v, { depth: 1, breakLength: Infinity, maxStringLength: 200, maxArrayLength: 10 }));
  } catch {
    return types.isProxy(v) ? '[a Proxy that cannot be read]' : `[an unreadable ${typeof v}]`;
  }
}

/** The summary of a thrown value that crosses into Rust: name, message, code. Never throws. */
function summarizeError(err) {
  if (err !== null && (typeof err === 'object' || typeof err === 'function')) {
    const name = read(err, 'name');
    const message = read(err, 'message');
    const code = read(err, 'code');
    return {
      name: typeof name === 'string' ? name : undefined,
      message: typeof message === 'string' ? message : describeValue(err),
      code: typeof code === 'string' || typeof code === 'number' ? String(code) : undefined,
    };
  }
  return { message: describeValue(err) };
}

/**
 * Calls `onOk(value)` or `onErr(reason)` once `value` settles when it is a
 * thenable (returns true), whatever its `then` does: a `then` that throws,
 * or a getter of it, counts as a rejection. Returns false for other values.
 */
function whenSettled(value, onOk, onErr) {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false;
  let then;
  try {
    then = value.then;
  } catch (err) {
    onErr(err);
    return true;
  }
  if (typeof then !== 'function') return false;
  // A thenable may call back more than once, and both ways: the first call counts.
  let settled = false;
  const ok = (v) => {
    if (!settled) {
      settled = true;
      onOk(v);
    }
  };
  const fail = (err) => {
    if (!settled) {
      settled = true;
      onErr(err);
    }
  };
  try {
    then.call(value, ok, fail);
  } catch (err) {
    fail(err);
  }
  return true;
}

/** A promise of what a callback returned: its rejection (or a throwing `then`) rejects it. */
function settled(value) {
  return new Promise((resolve, reject) => {
    if (!whenSettled(value, resolve, reject)) resolve(value);
  });
}

/** The coded error of a callback (`onRetry`, a listener) that threw or rejected with `err`. */
function callbackError(what, err, rejected = false) {
  return codedError('callback', `${what} ${rejected ? 'rejected' : 'threw'}: ${describeValue(err)}`, { cause: err });
}

/** Reports a callback's failure as a process warning (the process goes on). */
function warnCallback(error) {
  try {
    process.emitWarning(error.message, { code: error.code, detail: 'shardwright went on; handle errors inside your callback to silence this' });
  } catch {
    // emitWarning itself failed (a --throw-deprecation-like setting, or a
    // 'warning' listener): nothing more can be said.
  }
}

/** The text of an AbortSignal's reason; never throws. */
function reasonText(signal) {
  const r = read(signal, 'reason');
  if (r === undefined) return 'aborted';
  if (isError(r)) {
    const message = read(r, 'message');
    if (typeof message === 'string') return message;
  }
  return describeValue(r);
}

/** The most items an array of the caller's may have (2^24): more is a mistake (`new Array(2 ** 32 - 1)`), and walking it would take minutes. */
const MAX_ITEMS = 1 << 24;

/** `list` itself; an array longer than `max` is an ERR_SHARDWRIGHT_CONFIG error naming `field`. */
function bounded(field, list, max = MAX_ITEMS) {
  if (isArray(list) && list.length > max) {
    throw codedError('config', `invalid ${field}: an array of ${list.length} items (at most ${max})`);
  }
  return list;
}

/** RegExps cannot cross the boundary as such: their source and flags do. */
function toPattern(p) {
  return p instanceof RegExp ? { regex: p.source, flags: p.flags } : p;
}

/** A list of patterns for the engine; anything else is passed on for the engine to reject. */
function toPatterns(list, field = 'patterns') {
  return isArray(bounded(field, list, 100_000)) ? reading(field, () => list.map(toPattern)) : list;
}

function isAbortSignal(signal) {
  return signal != null && typeof signal === 'object' && typeof read(signal, 'aborted') === 'boolean' && typeof read(signal, 'addEventListener') === 'function';
}

function levenshtein(a, b) {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 0; i < a.length; i++) {
    const next = [i + 1];
    for (let j = 0; j < b.length; j++) next.push(Math.min(row[j] + (a[i] === b[j] ? 0 : 1), row[j + 1] + 1, next[j] + 1));
    row = next;
  }
  return row[b.length];
}

/** The known name a misspelt one most likely meant (as the engine's `config::closest`). */
function closest(name, known) {
  let best;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = levenshtein(name.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return bestDistance <= Math.min(3, Math.max(1, Math.floor(name.length / 2))) ? best : undefined;
}

/**
 * Rejects a field of `options` that is not in `known`, naming it and the
 * closest valid one (ERR_SHARDWRIGHT_CONFIG), as the engine does.
 */
function checkFields(options, known, owner) {
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const near = closest(key, known);
    throw codedError(
      'config',
      `invalid ${key}: ${describeValue(read(options, key))} (not ${owner} option; ${near ? `did you mean ${near}?` : `known: ${known.join(', ')}`})`,
    );
  }
}

module.exports = {
  MAX_ITEMS,
  bounded,
  isArray,
  isInstance,
  reading,
  read,
  isError,
  describeValue,
  summarizeError,
  whenSettled,
  settled,
  callbackError,
  warnCallback,
  reasonText,
  toPattern,
  toPatterns,
  isAbortSignal,
  closest,
  checkFields,
};
