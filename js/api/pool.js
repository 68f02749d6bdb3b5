'use strict';
// WorkerManager: the scheduler lives in Rust (WorkerManagerCore); this class
// keeps what must stay in JS — the task functions, their values and errors,
// promises and listeners — and moves everything across the boundary in
// batches: submissions made in one tick cross as one JSON string, ends of
// JS attempts settled in one microtask checkpoint cross as one typed array,
// and each crossing brings back the next batch of tasks to start.

const { EventEmitter } = require('node:events');
const native = require('../native.js');
const { configError } = require('../errors.js');
const { toPatterns, isAbortSignal } = require('./boundary.js');
const { batching, reasonText } = require('./pool-batch.js');
const { submitting } = require('./pool-submit.js');

const EVENTS = ['taskStart', 'taskEnd', 'retry', 'progress', 'workerScaled', 'output', 'memoryPressure', 'stopped'];
const EVENT_SET = new Set(EVENTS);

// Made outside the constructor: a closure there would share the
// constructor's context, which holds `this` strongly.
function waker(ref) {
  return () => {
    const manager = ref.deref();
    if (manager !== undefined) manager._drain();
  };
}

class WorkerManager extends EventEmitter {
  constructor(options = {}) {
    super();
    if (options === null || typeof options !== 'object') throw configError('options', options, 'an object');
    const { signal, retry, ...rest } = options;
    if (signal !== undefined && !isAbortSignal(signal)) throw configError('signal', signal, 'an AbortSignal');
    const nativeOptions = { ...rest };
    if (retry !== undefined) {
      nativeOptions.retry =
        retry && typeof retry === 'object' ? { ...retry, retryable: toPatterns(retry.retryable), permanent: toPatterns(retry.permanent) } : retry;
    }
    for (const key of Object.keys(nativeOptions)) {
      if (!OPTION_NAMES.has(key)) throw configError(key, nativeOptions[key], `not a WorkerManager option (known: ${[...OPTION_NAMES, 'signal'].join(', ')})`);
    }
    // Validates every option (throws ERR_SHARDWRIGHT_CONFIG naming the field).
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

    this.on('newListener', (name) => this._relisten(name, 1));
    this.on('removeListener', (name) => this._relisten(name, 0));
    if (signal) {
      if (signal.aborted) this.cancel(reasonText(signal));
      else signal.addEventListener('abort', () => this.cancel(reasonText(signal)), { once: true });
    }
  }

  // ----- submitting -----------------------------------------------------

  /**
   * Submits one task (a function, or `{ fn | command, ... }`); resolves with
   * its result. Submissions of one tick cross to Rust together.
   */
  submit(task, options) {
    if (typeof task === 'function') task = { fn: task };
    const signal = options?.signal;
    if (signal !== undefined && !isAbortSignal(signal)) return Promise.reject(configError('signal', signal, 'an AbortSignal'));
    return new Promise((resolve, reject) => {
      this._queue.push({ task, resolve, reject, signal });
      if (!this._queued) {
        this._queued = true;
        queueMicrotask(() => this._flushSubmissions());
      }
    });
  }

  /**
   * Submits `tasks` (all or nothing: a bad task or a dependency problem
   * rejects before anything runs) and resolves, once every task has ended,
   * with the results of every task submitted since the last run() resolved.
   */
  async run(tasks, options) {
    const signal = options?.signal;
    if (signal !== undefined && !isAbortSignal(signal)) throw configError('signal', signal, 'an AbortSignal');
    if (tasks !== undefined) {
      if (!Array.isArray(tasks)) throw configError('tasks', tasks, 'an array of tasks');
      const list = tasks.map((t) => (typeof t === 'function' ? { fn: t } : t));
      // Earlier submit() calls of this tick go first, so dependencies on them resolve.
      this._flushSubmissions();
      const { json, flags } = this._encode(list);
      const reply = this._core.submit(json, flags, true);
      const handles = [];
      for (let i = 0; i < list.length; i++) {
        this._adopt(reply.handles[i], list[i]);
        handles.push(reply.handles[i]);
      }
      if (signal) this._cancelOn(signal, handles);
      this._drain();
    } else if (signal) {
      const cancel = () => this.cancel(reasonText(signal));
      if (signal.aborted) cancel();
      else signal.addEventListener('abort', cancel, { once: true });
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

  _emit(type, payload) {
    try {
      this.emit(type, payload);
    } catch (err) {
      process.emitWarning(`shardwright: a '${type}' listener threw: ${err?.stack ? err.stack : err}`);
    }
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
    this._core.cancel(null, String(reason));
    this._drain();
  }

  /**
   * Refuses new tasks, cancels those not started, waits up to `deadlineMs`
   * for the running ones, then kills them. Resolves with what it did.
   */
  async shutdown({ deadlineMs = 30_000 } = {}) {
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

const OPTION_NAMES = new Set([
  'minWorkers',
  'maxWorkers',
  'idleTimeoutMs',
  'strategy',
  'seed',
  'timeoutMs',
  'retry',
  'dedupWindowMs',
  'maxFailures',
  'minAvailableMemoryMb',
  'memorySampleMs',
  'memoryLimitMb',
  'killGraceMs',
  'maxOutputBytes',
]);

Object.assign(WorkerManager.prototype, submitting, batching);

module.exports = { WorkerManager, EVENTS };
