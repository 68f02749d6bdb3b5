'use strict';
// retry(fn, options): the engine's retry state machine (classification,
// delays, history) lives in Rust and waits run on tokio timers; this driver
// calls the user's function on the JS thread and keeps its values and errors
// here, so they come back to the caller untouched.

const native = require('../native.js');
const { codedError, configError } = require('../errors.js');
const { summarizeError, toPatterns, isAbortSignal } = require('./boundary.js');

function abortError(signal, attempts) {
  return codedError('aborted', 'retry was aborted', { name: 'AbortError', cause: signal ? signal.reason : undefined, attempts });
}

/**
 * Calls `fn(attempt, signal)` until it resolves, the retries are spent or an
 * error is permanent, waiting the backoff delay between attempts.
 */
async function retry(fn, options = {}) {
  if (typeof fn !== 'function') throw configError('fn', fn, 'a function returning a value or a promise');
  if (options === null || typeof options !== 'object') throw configError('options', options, 'an object');
  const { signal, onRetry } = options;
  if (signal !== undefined && !isAbortSignal(signal)) throw configError('signal', signal, 'an AbortSignal');
  if (onRetry !== undefined && typeof onRetry !== 'function') throw configError('onRetry', onRetry, 'a function');
  if (signal?.aborted) throw abortError(signal, []);

  const nativeOptions = { ...options, retryable: toPatterns(options.retryable), permanent: toPatterns(options.permanent) };
  // Validates every option (throws ERR_SHARDWRIGHT_CONFIG naming the field).
  const session = new native.RetrySession(nativeOptions, nativeOptions);

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
        if (onRetry) {
          try {
            onRetry(decision.event);
          } catch (listenerError) {
            process.emitWarning(`shardwright: onRetry threw: ${listenerError?.stack ? listenerError.stack : listenerError}`);
          }
        }
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

// The last error, as the function threw it, with the attempt history.
function withHistory(lastError, report) {
  let err = lastError;
  if (err === null || (typeof err !== 'object' && typeof err !== 'function') || !Object.isExtensible(err)) {
    err = new Error(String(lastError?.message ? lastError.message : lastError), { cause: lastError });
  }
  Object.defineProperty(err, 'attempts', { value: report.attempts, enumerable: false, configurable: true, writable: true });
  Object.defineProperty(err, 'retryOutcome', { value: report.outcome, enumerable: false, configurable: true, writable: true });
  return err;
}

module.exports = { retry };
