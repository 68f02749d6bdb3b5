'use strict';
// WorkerManager: the scheduler lives in Rust (WorkerManagerCore); this class
// keeps what must stay in JS — the task functions, their values and errors,
// promises and listeners — and moves everything across the boundary in
// batches: submissions made in one tick cross as one JSON string, ends of
// JS attempts settled in one microtask checkpoint cross as one typed array,
// and each crossing brings back the next batch of tasks to start.

const { EventEmitter } = require('node:events');
const native = require('./native.js');
const { configError } = require('./errors.js');
const { summarizeError, toPatterns, isAbortSignal } = require('./boundary.js');

const REJECTED = 0xffffffff;
const EVENTS = ['taskStart', 'taskEnd', 'retry', 'progress', 'workerScaled', 'output', 'memoryPressure', 'stopped'];
const EVENT_SET = new Set(EVENTS);

function reasonText(signal) {
  const r = signal && signal.reason;
  if (r instanceof Error) return r.message;
  return r === undefined ? 'aborted' : String(r);
}

// An error the engine reported as text (process tasks, rejections).
function engineError(e) {
  const err = new Error(e.message);
  if (e.name) err.name = e.name;
  if (e.code) err.code = e.code;
  return err;
}

// Made outside the constructor: a closure there would share the
// constructor's context, which holds `this` strongly.
function waker(ref) {
  return () => {
    const manager = ref.deref();
    if (manager !== undefined) manager._drain();
  };
}

/** What a JS task function receives. `signal` is created on first use. */
class TaskContext {
  constructor(manager, handle, attempt, worker) {
    this.id = manager._ids[handle];
    this.attempt = attempt;
    this.worker = worker;
    this._m = manager;
    this._h = handle;
  }

  get signal() {
    return this._m._signal(this._h, this.attempt);
  }
}

class WorkerManager extends EventEmitter {
  constructor(options = {}) {
    super();
    if (options === null || typeof options !== 'object') throw configError('options', options, 'an object');
    const { signal, retry, ...rest } = options;
    if (signal !== undefined && !isAbortSignal(signal)) throw configError('signal', signal, 'an AbortSignal');
    const nativeOptions = { ...rest };
    if (retry !== undefined) {
      nativeOptions.retry = retry && typeof retry === 'object'
        ? { ...retry, retryable: toPatterns(retry.retryable), permanent: toPatterns(retry.permanent) }
        : retry;
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
    const signal = options && options.signal;
    if (signal !== undefined && !isAbortSignal(signal)) return Promise.reject(configError('signal', signal, 'an AbortSignal'));
    return new Promise((resolve, reject) => {
      this._queue.push({ task, resolve, reject, signal });
      if (!this._queued) {
        this._queued = true;
        queueMicrotask(() => this._flushSubmissions());
      }
    });
  }

  _encode(tasks) {
    const flags = new Uint8Array(tasks.length);
    for (let i = 0; i < tasks.length; i++) {
      const t = tasks[i];
      if (t !== null && typeof t === 'object' && typeof t.fn === 'function') flags[i] = 1;
    }
    let json;
    try {
      json = JSON.stringify(tasks);
    } catch (err) {
      throw configError('tasks', tasks, `JSON-serialisable task objects (${err.message})`);
    }
    return { json, flags };
  }

  _flushSubmissions() {
    this._queued = false;
    const batch = this._queue;
    this._queue = [];
    if (batch.length === 0) return;
    let reply;
    try {
      const { json, flags } = this._encode(batch.map((b) => b.task));
      reply = this._core.submit(json, flags, false);
    } catch (err) {
      for (const b of batch) b.reject(err);
      return;
    }
    const errors = new Map(reply.errors.map((e) => [e.index, e]));
    for (let i = 0; i < batch.length; i++) {
      const b = batch[i];
      const h = reply.handles[i];
      if (h === REJECTED) {
        const e = errors.get(i);
        b.reject(Object.assign(new Error(e.message), { code: e.code }));
        continue;
      }
      this._adopt(h, b.task);
      this._wait(h, b.resolve);
      if (b.signal) this._cancelOn(b.signal, [h]);
    }
    this._drain();
  }

  // A handle the engine gave out: new ones take the task's function.
  _adopt(h, task) {
    if (h >= this._known) {
      this._known = h + 1;
      this._fns[h] = task.fn;
      this._ids[h] = typeof task.id === 'string' && task.id !== '' ? task.id : `task-${h}`;
      if (task.meta !== undefined) this._meta[h] = task.meta;
      this._outstanding++;
      this._sinceRun.push(h);
      this._armIdle();
    }
  }

  _wait(h, resolve) {
    const done = this._results[h];
    if (done !== undefined) resolve(done);
    else if (this._waiters[h] === undefined) this._waiters[h] = resolve;
    else if (typeof this._waiters[h] === 'function') this._waiters[h] = [this._waiters[h], resolve];
    else this._waiters[h].push(resolve);
  }

  _cancelOn(signal, handles) {
    const cancel = () => {
      this._core.cancel(Uint32Array.from(handles), reasonText(signal));
      this._drain();
    };
    if (signal.aborted) cancel();
    else signal.addEventListener('abort', cancel, { once: true });
  }

  /**
   * Submits `tasks` (all or nothing: a bad task or a dependency problem
   * rejects before anything runs) and resolves, once every task has ended,
   * with the results of every task submitted since the last run() resolved.
   */
  async run(tasks, options) {
    const signal = options && options.signal;
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

  // While tasks are outstanding, a native promise keeps Node's event loop
  // alive (processes may be running with nothing else pending in JS).
  _armIdle() {
    if (this._idleArmed || this._outstanding === 0) return;
    this._idleArmed = true;
    this._core.whenIdle().then(() => {
      this._idleArmed = false;
      this._drain();
      this._armIdle();
    });
  }

  // ----- the batch protocol ---------------------------------------------

  _drain() {
    this._process(this._core.take(this._buf));
  }

  // A batch: numbers in this._buf (header nRun, nAbort, nPlain, more), rich
  // results and events in `rich` (JSON).
  _process(rich) {
    const buf = this._buf;
    const nRun = buf[0];
    const nAbort = buf[1];
    const nPlain = buf[2];
    const more = buf[3];
    const abortAt = 4 + nRun * 3;
    const plainAt = abortAt + nAbort * 2;
    // Copied out first: user code run below (abort listeners, events, task
    // functions) may call into the manager, which reuses the buffer.
    const data = buf.slice(0, plainAt + nPlain * 5);
    const parsed = rich ? JSON.parse(rich) : undefined;
    const results = parsed && parsed.results;
    const events = parsed && parsed.events;
    for (let i = abortAt; i < plainAt; i += 2) this._abort(data[i], data[i + 1]);
    const ended = [];
    for (let i = plainAt, end = plainAt + nPlain * 5; i < end; i += 5) {
      const h = data[i];
      const worker = data[i + 3];
      const startedAt = data[i + 4];
      const durationMs = data[i + 1];
      const r = {
        id: this._ids[h],
        outcome: 'passed',
        value: this._values[h],
        attempts: 1,
        durationMs,
        queueWaitMs: data[i + 2],
        worker,
        startedAt,
        history: [{ attempt: 1, worker, startedAt, durationMs, outcome: 'passed' }],
      };
      if (this._meta[h] !== undefined) r.meta = this._meta[h];
      this._results[h] = r;
      ended.push(h);
    }
    if (results) {
      for (const r of results) {
        const h = r.handle;
        delete r.handle;
        if (this._fns[h] !== undefined) {
          if (r.outcome === 'passed') r.value = this._values[h];
          else if (this._errors[h] !== undefined && (r.outcome === 'failed')) r.error = this._errors[h];
          else if (r.error) r.error = engineError(r.error);
        } else if (r.error) {
          r.error = engineError(r.error);
        }
        if (this._meta[h] !== undefined) r.meta = this._meta[h];
        this._results[h] = r;
        ended.push(h);
      }
    }
    if (events) {
      for (const e of events) {
        const type = e.type;
        delete e.type;
        if (type === 'taskEnd') this._emit(type, this._results[e.handle]);
        else {
          delete e.handle;
          this._emit(type, e);
        }
      }
    }
    for (const h of ended) {
      this._fns[h] = undefined;
      this._values[h] = undefined;
      this._errors[h] = undefined;
      this._controllers[h] = undefined;
      this._attempts[h] = 0;
      const w = this._waiters[h];
      if (w !== undefined) {
        this._waiters[h] = undefined;
        if (typeof w === 'function') w(this._results[h]);
        else for (const f of w) f(this._results[h]);
      }
    }
    if (ended.length) {
      this._outstanding -= ended.length;
      if (this._outstanding === 0 && this._idleWaiters.length) {
        const waiters = this._idleWaiters;
        this._idleWaiters = [];
        for (const f of waiters) f();
      }
    }
    for (let i = 4; i < abortAt; i += 3) this._start(data[i], data[i + 1], data[i + 2]);
    if (more) this._drain();
  }

  _emit(type, payload) {
    try {
      this.emit(type, payload);
    } catch (err) {
      process.emitWarning(`shardwright: a '${type}' listener threw: ${err && err.stack ? err.stack : err}`);
    }
  }

  _start(h, attempt, worker) {
    this._attempts[h] = attempt;
    const fn = this._fns[h];
    let p;
    try {
      p = fn(new TaskContext(this, h, attempt, worker));
    } catch (err) {
      this._failed(h, attempt, err);
      return;
    }
    if (p !== null && typeof p === 'object' && typeof p.then === 'function') {
      p.then((v) => this._passed(h, attempt, v), (err) => this._failed(h, attempt, err));
    } else {
      this._passed(h, attempt, p);
    }
  }

  _passed(h, attempt, value) {
    if (this._attempts[h] !== attempt) return; // timed out or cancelled meanwhile
    this._attempts[h] = 0;
    this._values[h] = value;
    this._done.push(h, attempt, 1);
    this._scheduleFlush();
  }

  _failed(h, attempt, err) {
    if (this._attempts[h] !== attempt) return;
    this._attempts[h] = 0;
    this._errors[h] = err;
    this._done.push(h, attempt, 0);
    this._doneErrors.push(summarizeError(err));
    this._scheduleFlush();
  }

  // Ends settled in one microtask checkpoint cross together.
  _scheduleFlush() {
    if (!this._flushing) {
      this._flushing = true;
      queueMicrotask(this._flush);
    }
  }

  _flushDone() {
    this._flushing = false;
    const done = Uint32Array.from(this._done);
    this._done.length = 0;
    const errors = this._doneErrors.length ? JSON.stringify(this._doneErrors) : null;
    this._doneErrors.length = 0;
    this._process(this._core.complete(done, errors, this._buf));
  }

  _signal(h, attempt) {
    let c = this._controllers[h];
    if (c === undefined || c.attempt !== attempt) {
      c = { attempt, ctl: new AbortController() };
      this._controllers[h] = c;
    }
    return c.ctl.signal;
  }

  _abort(h, attempt) {
    if (this._attempts[h] === attempt) this._attempts[h] = 0;
    const c = this._controllers[h];
    if (c !== undefined && c.attempt === attempt) {
      const err = new Error(`task ${this._ids[h]} attempt ${attempt} was aborted (timed out or cancelled)`);
      err.name = 'AbortError';
      err.code = 'ERR_SHARDWRIGHT_ABORTED';
      c.ctl.abort(err);
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
  'minWorkers', 'maxWorkers', 'idleTimeoutMs', 'strategy', 'seed', 'timeoutMs', 'retry', 'dedupWindowMs',
  'maxFailures', 'minAvailableMemoryMb', 'memorySampleMs', 'memoryLimitMb', 'killGraceMs', 'maxOutputBytes',
]);

module.exports = { WorkerManager, EVENTS };
