'use strict';
// WorkerManager, the batch protocol: what the engine sends back in one
// crossing — tasks to start, attempts to abort, ends and events — and the
// ends of JS attempts going the other way, batched per microtask
// checkpoint. Mixed into WorkerManager.prototype.

const { codedError } = require('../errors.js');
const { summarizeError, whenSettled, isError, describeValue, reasonText } = require('./boundary.js');

/** The handle of a task the engine refused. */
const REJECTED = 0xffffffff;

/** What a failed task's result carries: the Error thrown, or a coded one whose `cause` is the value thrown. */
function taskError(value, id) {
  if (isError(value)) return value;
  return codedError('task', `task ${id} failed with a value that is not an Error: ${describeValue(value)}`, { cause: value });
}

// An error the engine reported as text (process tasks, rejections).
function engineError(e) {
  const err = new Error(e.message);
  if (e.name) err.name = e.name;
  if (e.code) err.code = e.code;
  return err;
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

const batching = {
  _drain() {
    this._process(this._core.take(this._buf));
  },

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
    const results = parsed?.results;
    const events = parsed?.events;
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
          else if (this._errors[h] !== undefined && r.outcome === 'failed') r.error = this._errors[h];
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
  },

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
    // Any thenable, however it behaves (a then() that throws, calls back
    // twice or both ways): the first settlement counts.
    if (
      !whenSettled(
        p,
        (v) => this._passed(h, attempt, v),
        (err) => this._failed(h, attempt, err),
      )
    ) {
      this._passed(h, attempt, p);
    }
  },

  _passed(h, attempt, value) {
    if (this._attempts[h] !== attempt) return; // timed out or cancelled meanwhile
    this._attempts[h] = 0;
    this._values[h] = value;
    this._done.push(h, attempt, 1);
    this._scheduleFlush();
  },

  _failed(h, attempt, err) {
    if (this._attempts[h] !== attempt) return;
    this._attempts[h] = 0;
    this._errors[h] = taskError(err, this._ids[h]);
    this._done.push(h, attempt, 0);
    this._doneErrors.push(summarizeError(err));
    this._scheduleFlush();
  },

  // Ends settled in one microtask checkpoint cross together.
  _scheduleFlush() {
    if (!this._flushing) {
      this._flushing = true;
      queueMicrotask(this._flush);
    }
  },

  _flushDone() {
    this._flushing = false;
    const done = Uint32Array.from(this._done);
    this._done.length = 0;
    const errors = this._doneErrors.length ? JSON.stringify(this._doneErrors) : null;
    this._doneErrors.length = 0;
    // A microtask: nothing may escape it (it would kill the process).
    try {
      this._process(this._core.complete(done, errors, this._buf));
    } catch (err) {
      this._internal(err);
    }
  },

  _signal(h, attempt) {
    let c = this._controllers[h];
    if (c === undefined || c.attempt !== attempt) {
      c = { attempt, ctl: new AbortController() };
      this._controllers[h] = c;
    }
    return c.ctl.signal;
  },

  _abort(h, attempt) {
    if (this._attempts[h] === attempt) this._attempts[h] = 0;
    const c = this._controllers[h];
    if (c !== undefined && c.attempt === attempt) {
      const err = codedError('aborted', `task ${this._ids[h]} attempt ${attempt} was aborted (timed out or cancelled)`, { name: 'AbortError' });
      c.ctl.abort(err);
    }
  },
};

module.exports = { batching, reasonText, REJECTED };
