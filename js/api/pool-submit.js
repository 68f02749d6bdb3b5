'use strict';
// WorkerManager, submitting: tasks cross to the engine in batches (one JSON
// string per tick), and the handles it gives out take the tasks' functions,
// promises and abort signals. Mixed into WorkerManager.prototype.

const { codedError } = require('../errors.js');
const { describeValue, read, reading } = require('./boundary.js');
const { reasonText, REJECTED } = require('./pool-batch.js');

/** A number JSON would turn into null (and the engine would take for "not set"). */
const nonFinite = (v) => typeof v === 'number' && !Number.isFinite(v);
/** On the rare batch that has one: NaN and ±Infinity cross as their text, which the engine names. */
const keepNonFinite = (_, v) => (nonFinite(v) ? String(v) : v);

const submitting = {
  _encode(tasks) {
    const flags = new Uint8Array(tasks.length);
    let odd = false;
    for (let i = 0; i < tasks.length; i++) {
      const t = tasks[i];
      if (t !== null && typeof t === 'object') {
        reading(tasks.length === 1 ? 'task' : `tasks[${i}]`, () => {
          if (typeof t.fn === 'function') flags[i] = 1;
          if (!odd && (nonFinite(t.timeoutMs) || nonFinite(t.retries) || nonFinite(t.memoryLimitMb))) odd = true;
        });
      }
    }
    let json;
    try {
      json = odd ? JSON.stringify(tasks, keepNonFinite) : JSON.stringify(tasks);
    } catch (err) {
      throw codedError(
        'config',
        `invalid tasks: a task cannot be serialised as JSON (${describeValue(err)}); keep functions in \`fn\` and your own data in \`meta\` JSON-serialisable`,
      );
    }
    return { json, flags };
  },

  _flushSubmissions() {
    this._queued = false;
    const batch = this._queue;
    this._queue = [];
    if (batch.length === 0) return;
    let reply;
    try {
      const { json, flags } = this._encode(batch.map((b) => b.task));
      // Aborted already (the submission's signal or the manager's): the
      // task ends cancelled without starting.
      const reasons = [];
      for (let i = 0; i < batch.length; i++) {
        const why = this._abortedWhy(batch[i].signal);
        if (why === undefined) continue;
        flags[i] |= 2;
        reasons.push(why);
      }
      reply = this._core.submit(json, flags, false, reasons.length ? reasons : undefined);
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
      if (b.signal && !b.signal.aborted) this._cancelOn(b.signal, [h]);
    }
    this._drain();
  },

  // A handle the engine gave out: new ones take the task's function.
  _adopt(h, task) {
    if (h >= this._known) {
      this._known = h + 1;
      this._fns[h] = read(task, 'fn');
      const id = read(task, 'id');
      this._ids[h] = typeof id === 'string' && id !== '' ? id : `task-${h}`;
      const meta = read(task, 'meta');
      if (meta !== undefined) this._meta[h] = meta;
      this._outstanding++;
      this._sinceRun.push(h);
      this._armIdle();
    }
  },

  _wait(h, resolve) {
    const done = this._results[h];
    if (done !== undefined) resolve(done);
    else if (this._waiters[h] === undefined) this._waiters[h] = resolve;
    else if (typeof this._waiters[h] === 'function') this._waiters[h] = [this._waiters[h], resolve];
    else this._waiters[h].push(resolve);
  },

  _cancelOn(signal, handles) {
    const cancel = () =>
      this._safely(() => {
        this._core.cancel(Uint32Array.from(handles), reasonText(signal));
        this._drain();
      });
    if (signal.aborted) cancel();
    else signal.addEventListener('abort', cancel, { once: true });
  },

  // While tasks are outstanding, a native promise keeps Node's event loop
  // alive (processes may be running with nothing else pending in JS).
  _armIdle() {
    if (this._idleArmed || this._outstanding === 0) return;
    this._idleArmed = true;
    this._core.whenIdle().then(
      () =>
        this._safely(() => {
          this._idleArmed = false;
          this._drain();
          this._armIdle();
        }),
      (err) => this._internal(err),
    );
  },
};

module.exports = { submitting };
