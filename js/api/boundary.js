'use strict';
// What JS values become on their way into the engine: errors as a summary
// (for classification), RegExps as source and flags. Shared by retry(), the
// worker manager and the history.

/** The summary of a thrown value that crosses into Rust: name, message, code. */
function summarizeError(err) {
  if (err instanceof Error || (err && typeof err === 'object')) {
    return {
      name: typeof err.name === 'string' ? err.name : undefined,
      message: typeof err.message === 'string' ? err.message : String(err),
      code: typeof err.code === 'string' || typeof err.code === 'number' ? String(err.code) : undefined,
    };
  }
  return { message: String(err) };
}

/** RegExps cannot cross the boundary as such: their source and flags do. */
function toPattern(p) {
  return p instanceof RegExp ? { regex: p.source, flags: p.flags } : p;
}

/** A list of patterns for the engine; anything else is passed on for the engine to reject. */
function toPatterns(list) {
  return Array.isArray(list) ? list.map(toPattern) : list;
}

function isAbortSignal(signal) {
  return signal != null && typeof signal === 'object' && typeof signal.aborted === 'boolean' && typeof signal.addEventListener === 'function';
}

module.exports = { summarizeError, toPattern, toPatterns, isAbortSignal };
