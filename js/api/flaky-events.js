'use strict';
// How other reporters and tools get flaky results as they are found.
//
// - `flakyReport(history, { onFlaky, onBroken, … })` calls the callbacks for
//   the report it computes.
// - `events` is one process-wide EventEmitter (shared by every copy of
//   shardwright loaded in the process). shardwright's Playwright reporter
//   publishes each run's report on it; listen with
//   `events.on('flaky', (test) => …)`, or `await events.report()`.
//
// Order of a publication: one event per reported test, named by its verdict
// ('broken', 'flaky', 'failing', 'fixed'), then 'quarantined' for each
// quarantine entry (with the test's entry when it has one), then 'report'
// with the whole report last — so a 'report' listener knows the per-test
// events have all been delivered.

const { EventEmitter } = require('node:events');
const { whenSettled, describeValue, read } = require('./boundary.js');

const VERDICT_EVENTS = ['broken', 'flaky', 'failing', 'fixed'];

/** The default for a listener that failed: its stack (or a description) on stderr. */
function printListenerError(err, name, rejected) {
  const stack = read(err, 'stack');
  process.stderr.write(`shardwright: a '${name}' listener ${rejected ? 'rejected' : 'threw'}: ${typeof stack === 'string' ? stack : describeValue(err)}\n`);
}

/**
 * Delivers a report to `handlers`: an EventEmitter, or an object of
 * callbacks keyed by event name ({ flaky(test), report(report), … }).
 * A listener or callback that throws, or returns a promise that rejects,
 * does not stop the others: `onListenerError(err, name, rejected)` is told.
 * Returns the promises the callbacks returned (settled, never rejecting),
 * for a caller that waits for them.
 */
function emitReport(report, handlers, { onListenerError = printListenerError } = {}) {
  const pending = [];
  const deliver = (listener, self, name, args) => {
    let result;
    try {
      result = listener.apply(self, args);
    } catch (err) {
      onListenerError(err, name, false);
      return;
    }
    pending.push(
      new Promise((done) => {
        const settledAs = whenSettled(result, done, (err) => {
          onListenerError(err, name, true);
          done();
        });
        if (!settledAs) done();
      }),
    );
  };
  const call = (name, ...args) => {
    if (handlers instanceof EventEmitter) {
      for (const listener of handlers.rawListeners(name)) deliver(listener, handlers, name, args);
    } else if (handlers && typeof handlers[name] === 'function') {
      deliver(handlers[name], handlers, name, args);
    }
  };
  const byKey = new Map();
  for (const test of report.tests) {
    byKey.set(test.key, test);
    if (VERDICT_EVENTS.includes(test.verdict)) call(test.verdict, test);
  }
  for (const entry of report.quarantine) call('quarantined', entry, byKey.get(entry.key));
  call('report', report);
  return pending;
}

class FlakyEvents extends EventEmitter {
  constructor() {
    super();
    /** The last report published in this process, or null. */
    this.lastReport = null;
  }

  /**
   * Publishes a report to the listeners (shardwright's reporter calls this
   * once per run). A listener that throws or rejects does not stop the
   * others: its error is printed to stderr.
   */
  publish(report) {
    if (!report || typeof report !== 'object' || !Array.isArray(report.tests)) {
      throw Object.assign(new Error('invalid report: a flaky report object (from flakyReport() or history.analyze())'), { code: 'ERR_SHARDWRIGHT_CONFIG' });
    }
    this.lastReport = report;
    emitReport(report, this);
  }

  /** The next report published. */
  nextReport() {
    return new Promise((resolve) => this.once('report', resolve));
  }

  /** The last report published, or the next one if none was yet. */
  report() {
    return this.lastReport ? Promise.resolve(this.lastReport) : this.nextReport();
  }
}

const KEY = Symbol.for('shardwright.flakyEvents');
if (!(globalThis[KEY] instanceof EventEmitter)) globalThis[KEY] = new FlakyEvents();
/** @type {FlakyEvents} */
const events = globalThis[KEY];

module.exports = { events, emitReport, FlakyEvents };
