'use strict';
// WorkerManager: the scheduler lives in Rust (WorkerManagerCore); this class
// keeps what must stay in JS — the task functions, their values and errors,
// promises and listeners — and moves everything across the boundary in
// batches: submissions made in one tick cross as one JSON string, ends of
// JS attempts settled in one microtask checkpoint cross as one typed array,
// and each crossing brings back the next batch of tasks to start.

const { EventEmitter } = require('node:events');
const native = require('../native.js');
const { codedError, configError } = require('../errors.js');
const {
  bounded,
  isArray,
  reading,
  toPatterns,
  isAbortSignal,
  checkFields,
  callbackError,
  warnCallback,
  whenSettled,
  describeValue,
  read,
} = require('./boundary.js');
const { batching, reasonText } = require('./pool-batch.js');
const { submitting } = require('./pool-submit.js');

const EVENTS = ['taskStart', 'taskEnd', 'retry', 'progress', 'workerScaled', 'output', 'memoryPressure', 'stopped'];
const EVENT_SET = new Set(EVENTS);

// Made outside the constructor: a closure there would share the
// constructor's context, which holds `this` strongly. Called by the engine
// on the JS thread: nothing may escape it (it would kill the process).
function waker(ref) {
  return () => {
    const manager = ref.deref();
    if (manager === undefined) return;
    try {
      manager._drain();
    } catch (err) {
      manager._internal(err);
    }
  };
}

/** A shallow copy of an options object; one that cannot be read is a coded error. */
function readable(options) {
  try {
    return { ...options };
  } catch (err) {
    throw codedError('config', `invalid options: the object cannot be read (${describeValue(err)})`);
  }
}

/** An options object (or undefined), checked against the fields `known`. */
function callOptions(options, known, owner) {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object') throw configError('options', options, 'an object');
  const copy = readable(options);
  checkFields(copy, known, owner);
  return copy;
}

class WorkerManager extends EventEmitter {
  constructor(options = {}) {
    super();
    if (options === null || typeof options !== 'object') throw configError('options', options, 'an object');
    const { signal, retry, ...rest } = readable(options);
    if (signal !== undefined && !isAbortSignal(signal)) throw configError('signal', signal, 'an AbortSignal');
    const nativeOptions = { ...rest };
    if (retry !== undefined) {
      try {
        nativeOptions.retry =
          retry && typeof retry === 'object'
            ? { ...retry, retryable: toPatterns(retry.retryable, 'retry.retryable'), permanent: toPatterns(retry.permanent, 'retry.permanent') }
            : retry;
      } catch (err) {
        if (err?.code) throw err;
        // Unreadable (a Proxy that throws): the engine names it.
        nativeOptions.retry = retry;
      }
    }
    // Validates every option (throws ERR_SHARDWRIGHT_CONFIG naming the field,
    // and for an unknown one the closest known).
    // The wake function holds the manager weakly: the threadsafe function is
    // a root, and a strong reference would keep an unused manager (and its
    // tasks) alive forever. While tasks are outstanding, _armIdle's pending
    // promise keeps it alive.
    this._core = new native.WorkerManagerCore(nativeOptions, waker(new WeakRef(this)));

    // The numbers of each batch from the core land here (see _process).
    this._buf = new Float64Array(1 << 15);
    // Per handle (the engine's task number, dense from 0).
    this._fns = [];
    this._ids = [];
    this._meta = [];
    this._waiters = [];
    this._results = [];
    this._values = [];
    this._errors = [];
    this._attempts = [];
    this._controllers = [];
    this._known = 0;
    this._outstanding = 0;

    this._queue = [];
    this._queued = false;
    this._done = [];
    this._doneErrors = [];
    this._flushing = false;
    this._flush = () => this._flushDone();
    this._sinceRun = [];
    this._idleWaiters = [];
    this._idleArmed = false;
    this._closed = false;
    this._ownSignal = signal;

    this.on('newListener', (name) => this._relisten(name, 1));
    this.on('removeListener', (name) => this._relisten(name, 0));
    if (signal && !signal.aborted) signal.addEventListener('abort', () => this._safely(() => this.cancel(reasonText(signal))), { once: true });
  }

  /** Runs `f` where nothing may escape (an event listener, a microtask). */
  _safely(f) {
    try {
      f();
    } catch (err) {
      this._internal(err);
    }
  }

  // ----- submitting -----------------------------------------------------

  /**
   * Submits one task (a function, or `{ fn | command, ... }`); resolves with
   * its result. Submissions of one tick cross to Rust together.
   */
  submit(task, options) {
    if (typeof task === 'function') task = { fn: task };
    let signal;
    try {
      signal = callOptions(options, ['signal'], 'a submit()').signal;
    } catch (err) {
      return Promise.reject(err);
    }
    if (signal !== undefined && !isAbortSignal(signal)) return Promise.reject(configError('signal', signal, 'an AbortSignal'));
    return new Promise((resolve, reject) => {
      this._queue.push({ task, resolve, reject, signal });
      if (!this._queued) {
        this._queued = true;
        queueMicrotask(() => this._safely(() => this._flushSubmissions()));
      }
    });
  }

  /**
   * Submits `tasks` (all or nothing: a bad task or a dependency problem
   * rejects before anything runs) and resolves, once every task has ended,
   * with the results of every task submitted since the last run() resolved.
   */
  async run(tasks, options) {
    const signal = callOptions(options, ['signal'], 'a run()').signal;
    if (signal !== undefined && !isAbortSignal(signal)) throw configError('signal', signal, 'an AbortSignal');
    if (tasks !== undefined) {
      if (!isArray(bounded('tasks', tasks))) throw configError('tasks', tasks, 'an array of tasks');
      const list = reading('tasks', () => tasks.map((t) => (typeof t === 'function' ? { fn: t } : t)));
      // Earlier submit() calls of this tick go first, so dependencies on them resolve.
      this._flushSubmissions();
      const { json, flags } = this._encode(list);
      // Already aborted: the tasks end cancelled without starting.
      const why = this._abortedWhy(signal);
      if (why !== undefined) for (let i = 0; i < flags.length; i++) flags[i] |= 2;
      const reply = this._core.submit(json, flags, true, why === undefined ? undefined : list.map(() => why));
      const handles = [];
      for (let i = 0; i < list.length; i++) {
        this._adopt(reply.handles[i], list[i]);
        handles.push(reply.handles[i]);
      }
      if (signal && why === undefined) this._cancelOn(signal, handles);
      this._drain();
    } else if (signal) {
      if (signal.aborted) this.cancel(reasonText(signal));
      else signal.addEventListener('abort', () => this._safely(() => this.cancel(reasonText(signal))), { once: true });
    }
    await this.onIdle();
    const handles = this._sinceRun;
    this._sinceRun = [];
    return handles.map((h) => this._results[h]);
  }

  /** Resolves when every task submitted so far has ended. */
  onIdle() {
    if (this._queue.length) this._flushSubmissions();
    if (this._outstanding === 0) return Promise.resolve();
    return new Promise((resolve) => this._idleWaiters.push(resolve));
  }

  // Listeners are user code: one that throws, or returns a promise that
  // rejects, becomes an 'error' event (a warning when nobody listens to
  // 'error'); the other listeners and the tasks go on.
  _emit(type, payload) {
    for (const listener of this.rawListeners(type)) {
      let result;
      try {
        result = listener.call(this, payload);
      } catch (err) {
        this._listenerFailed(type, err, false);
        continue;
      }
      whenSettled(result, noop, (err) => this._listenerFailed(type, err, true));
    }
  }

  _listenerFailed(type, err, rejected) {
    const error = callbackError(`a '${type}' listener`, err, rejected);
    if (type !== 'error' && this.listenerCount('error') > 0) this._emit('error', error);
    else warnCallback(error);
  }

  // A failure of shardwright itself on a path no caller awaits (a wake-up,
  // a microtask): an 'error' event, or a warning.
  _internal(err) {
    const error = codedError('internal', `the worker manager failed: ${describeValue(err)}`, { cause: err });
    if (this.listenerCount('error') > 0) this._emit('error', error);
    else warnCallback(error);
  }

  /** The reason text when `signal` or the manager's own signal is aborted. */
  _abortedWhy(signal) {
    if (this._ownSignal && read(this._ownSignal, 'aborted') === true) return reasonText(this._ownSignal);
    if (signal && read(signal, 'aborted') === true) return reasonText(signal);
    return undefined;
  }

  // ----- control --------------------------------------------------------

  _relisten(name, delta) {
    if (!EVENT_SET.has(name)) return;
    // 'newListener' fires before the listener is added, 'removeListener' after.
    const kinds = EVENTS.filter((e) => this.listenerCount(e) + (e === name ? delta : 0) > 0);
    this._core.listen(kinds);
  }

  /** Cancels every task that has not ended. */
  cancel(reason = 'cancelled') {
    if (this._queue.length) this._flushSubmissions();
    this._core.cancel(null, typeof reason === 'string' ? reason : describeValue(reason));
    this._drain();
  }

  /**
   * Refuses new tasks, cancels those not started, waits up to `deadlineMs`
   * for the running ones, then kills them. Resolves with what it did.
   */
  async shutdown(options) {
    const { deadlineMs = 30_000 } = callOptions(options, ['deadlineMs'], 'a shutdown()');
    if (typeof deadlineMs !== 'number' || !Number.isFinite(deadlineMs) || deadlineMs < 0) {
      throw configError('deadlineMs', deadlineMs, 'a number of milliseconds ≥ 0');
    }
    if (this._queue.length) this._flushSubmissions();
    this._closed = true;
    const pending = this._core.shutdown(deadlineMs);
    this._drain();
    const report = await pending;
    this._drain();
    await this.onIdle();
    return report;
  }

  /** Pool statistics: workers' busy time and utilisation, queue-wait percentiles, progress. */
  stats() {
    return this._core.stats();
  }

  /** Task counts right now. */
  progress() {
    return this._core.progress();
  }
}

function noop() {}

Object.assign(WorkerManager.prototype, submitting, batching);

module.exports = { WorkerManager, EVENTS };
