'use strict';
// retry(fn, options): the engine's retry state machine (classification,
// delays, history) lives in Rust and waits run on tokio timers; this driver
// calls the user's function on the JS thread and keeps its values and errors
// here, so they come back to the caller untouched.

const native = require('../native.js');
const { codedError, configError } = require('../errors.js');
const { summarizeError, toPatterns, isAbortSignal, isError, describeValue, read, whenSettled, callbackError, warnCallback } = require('./boundary.js');

function abortError(signal, attempts) {
  return codedError('aborted', 'retry was aborted', { name: 'AbortError', cause: signal ? read(signal, 'reason') : undefined, attempts });
}

/**
 * Calls `onRetry(event)`. A throw or a rejection does not stop the retries:
 * it is reported as a warning with code ERR_SHARDWRIGHT_CALLBACK.
 */
function callOnRetry(onRetry, event) {
  let result;
  try {
    result = onRetry(event);
  } catch (err) {
    warnCallback(callbackError('onRetry', err));
    return;
  }
  whenSettled(result, noop, (err) => warnCallback(callbackError('onRetry', err, true)));
}

function noop() {}

/**
 * Calls `fn(attempt, signal)` until it resolves, the retries are spent or an
 * error is permanent, waiting the backoff delay between attempts.
 */
async function retry(fn, options = {}) {
  if (typeof fn !== 'function') throw configError('fn', fn, 'a function returning a value or a promise');
  if (options === null || typeof options !== 'object') throw configError('options', options, 'an object');
  let parts;
  try {
    parts = { ...options };
  } catch (err) {
    throw codedError('config', `invalid options: the object cannot be read (${describeValue(err)})`);
  }
  const { signal, onRetry, ...rest } = parts;
  if (signal !== undefined && !isAbortSignal(signal)) throw configError('signal', signal, 'an AbortSignal');
  if (onRetry !== undefined && typeof onRetry !== 'function') throw configError('onRetry', onRetry, 'a function');
  if (signal?.aborted) throw abortError(signal, []);

  const nativeOptions = { ...rest, retryable: toPatterns(rest.retryable, 'retryable'), permanent: toPatterns(rest.permanent, 'permanent') };
  if (nativeOptions.retryable === undefined) delete nativeOptions.retryable;
  if (nativeOptions.permanent === undefined) delete nativeOptions.permanent;
  // Validates every option (throws ERR_SHARDWRIGHT_CONFIG naming the field,
  // and for an unknown one the closest known).
  const session = new native.RetrySession(nativeOptions);

  // An abort ends a running wait (in Rust) and a running attempt (here).
  let rejectAborted;
  const aborted = new Promise((_, reject) => (rejectAborted = reject));
  aborted.catch(() => {});
  const onAbort = () => {
    session.abort();
    rejectAborted(ABORTED);
  };
  if (signal) signal.addEventListener('abort', onAbort, { once: true });

  try {
    for (;;) {
      const attempt = session.begin();
      let value;
      try {
        const result = fn(attempt, signal);
        value = signal ? await Promise.race([result, aborted]) : await result;
      } catch (err) {
        if (err === ABORTED) throw abortError(signal, session.report('aborted').attempts);
        const decision = session.failed(summarizeError(err));
        if (!decision.retry) throw withHistory(err, session.report(decision.outcome));
        if (onRetry) callOnRetry(onRetry, decision.event);
        if (decision.event.delayMs > 0 && !(await session.wait(decision.event.delayMs))) {
          throw abortError(signal, session.report('aborted').attempts);
        }
        continue;
      }
      session.succeeded();
      return value;
    }
  } finally {
    if (signal) signal.removeEventListener('abort', onAbort);
  }
}

const ABORTED = Symbol('aborted');

/** Defines `attempts` and `retryOutcome` on `err`; false when it cannot hold them. */
function attach(err, report) {
  try {
    if (!Object.isExtensible(err)) return false;
    Object.defineProperty(err, 'attempts', { value: report.attempts, enumerable: false, configurable: true, writable: true });
    Object.defineProperty(err, 'retryOutcome', { value: report.outcome, enumerable: false, configurable: true, writable: true });
    return Array.isArray(err.attempts);
  } catch {
    return false;
  }
}

// The last error, as the function threw it, with the attempt history. A
// value that cannot carry it (a primitive, a frozen object, a Proxy) is the
// `cause` of a coded Error that does.
function withHistory(lastError, report) {
  if (lastError !== null && (typeof lastError === 'object' || typeof lastError === 'function') && attach(lastError, report)) return lastError;
  const message = isError(lastError) ? read(lastError, 'message') : undefined;
  const err = codedError('task', typeof message === 'string' ? message : describeValue(lastError), { cause: lastError });
  attach(err, report);
  return err;
}

module.exports = { retry };
