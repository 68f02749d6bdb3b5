'use strict';
// The reporter of a `shardwright run` batch, beside `blob` (`--reporter
// blob,<this file>`), in the batch's Playwright process:
//
// - preprocess(): runs the batch's files longest group first, so the
//   workers finish together. Playwright hands its test groups to free
//   workers in suite order; the order of a project's file suites is the only
//   thing changed, and only when Playwright's Suite keeps them in `_entries`
//   (otherwise its own order stays). The order is the queue's
//   (SHARDWRIGHT_RUN_ORDER: `[[project, file], …]`), or — a machine alone,
//   its whole suite in one pass with no listing before — the engine's plan
//   of the suite as loaded here (SHARDWRIGHT_RUN_PLAN: the history, the
//   quarantined tests to skip), written down as a `suite` line for `run` to
//   queue and follow.
// - onTestEnd(), onError(), onEnd(): one JSON line per event appended to
//   SHARDWRIGHT_RUN_EVENTS, as it happens — `run` completes each group as
//   soon as its tests are done and knows what ran even if the process is
//   killed. The engine reads the lines (src/playwright/stream.rs).
// - A watch on `shardwright run` (SHARDWRIGHT_RUN_PARENT): SIGTERM and
//   SIGINT stop the batch through `run`, but a SIGKILLed `run` cannot. Once
//   it is gone, the batch stops itself as on Ctrl-C (Playwright ends its
//   workers and its own web servers), and exits after 5 s at the latest: no
//   Playwright process outlives the run.

const fs = require('node:fs');

function readOrder(file) {
  if (!file) return null;
  try {
    const list = JSON.parse(fs.readFileSync(file, 'utf8'));
    return Array.isArray(list) ? list : null;
  } catch {
    return null;
  }
}

const slash = (p) =>
  String(p)
    .replace(/\\/g, '/')
    .replace(/^(\.\/)+/, '');

class BatchReporter {
  constructor() {
    const file = process.env.SHARDWRIGHT_RUN_EVENTS;
    this._fd = file ? fs.openSync(file, 'a') : null;
    this._order = readOrder(process.env.SHARDWRIGHT_RUN_ORDER);
    this._watch(Number(process.env.SHARDWRIGHT_RUN_PARENT));
  }

  _watch(parent) {
    if (!Number.isInteger(parent) || parent <= 1) return;
    const timer = setInterval(() => {
      try {
        process.kill(parent, 0);
        return;
      } catch (err) {
        if (err.code !== 'ESRCH') return;
      }
      clearInterval(timer);
      this._write({ t: 'error', message: `shardwright run (pid ${parent}) is gone: the batch stops` });
      setTimeout(() => process.exit(130), 5000).unref();
      process.kill(process.pid, 'SIGINT');
    }, 500);
    timer.unref();
  }

  // Nothing is printed; saying so keeps Playwright from adding its own
  // line/dot reporter to the batch.
  printsToStdio() {
    return true;
  }

  _write(event) {
    if (this._fd === null) return;
    try {
      fs.writeSync(this._fd, `${JSON.stringify(event)}\n`);
    } catch {
      // A full disk loses progress lines, not the run: the blob still has it.
    }
  }

  preprocess({ config, suite, testRun }) {
    if (!suite || !Array.isArray(suite.suites)) return;
    if (process.env.SHARDWRIGHT_RUN_PLAN) this._plan(config, suite, testRun, process.env.SHARDWRIGHT_RUN_PLAN);
    if (this._order) this._reorder(suite, this._order);
  }

  _plan(config, suite, testRun, file) {
    const native = require('../native.js');
    const { History } = require('../api/history.js');
    const { flattenSuite } = require('../playwright/suite.js');
    const spec = JSON.parse(fs.readFileSync(file, 'utf8'));
    let history = null;
    try {
      if (spec.history && fs.existsSync(spec.history)) history = History.load(spec.history);
    } catch {
      // `run` said so already, and orders by test count.
    }
    const { json, cases } = flattenSuite(suite, testRun, config);
    const plan = native.__runSuitePlan(json, history ? history._store : null, spec.quarantined || []);
    for (const i of plan.skip) testRun.skip(cases[i], 'quarantined by shardwright (quarantineMode: skip)');
    this._order = plan.order;
    this._write({ t: 'suite', groups: plan.groups, byCount: plan.byCount, fingerprint: plan.fingerprint, tests: plan.tests, quarantined: plan.quarantined });
  }

  _reorder(suite, order) {
    const rank = new Map(order.map(([project, file], i) => [`${project}\u0000${slash(file)}`, i]));
    for (const projectSuite of suite.suites) {
      const entries = projectSuite._entries;
      if (!Array.isArray(entries)) continue;
      const at = (s) => rank.get(`${projectSuite.title}\u0000${slash(s.title)}`) ?? Number.MAX_SAFE_INTEGER;
      const sorted = entries.map((s, i) => [at(s), i, s]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      sorted.forEach(([, , s], i) => {
        entries[i] = s;
      });
    }
  }

  onTestBegin(test) {
    this._write({ t: 'begin', titlePath: test.titlePath(), repeat: test.repeatEachIndex || 0 });
  }

  onTestEnd(test, result) {
    this._write({
      t: 'test',
      titlePath: test.titlePath(),
      repeat: test.repeatEachIndex || 0,
      line: test.location ? test.location.line : 0,
      tags: test.tags || [],
      expectedStatus: test.expectedStatus,
      retries: test.retries,
      outcome: test.outcome(),
      status: result.status,
      duration: result.duration,
      retry: result.retry,
      startTime: result.startTime instanceof Date ? result.startTime.toISOString() : undefined,
      errors: (result.errors || []).map((e) => e.message || e.value || ''),
      attachments: (result.attachments || []).filter((a) => a.path).map((a) => [a.name, a.path]),
    });
  }

  onError(error) {
    this._write({ t: 'error', message: (error && (error.message || error.value)) || String(error) });
  }

  onEnd(result) {
    this._write({ t: 'end', status: result.status });
    if (this._fd !== null) fs.closeSync(this._fd);
    this._fd = null;
  }
}

module.exports = BatchReporter;
module.exports.default = BatchReporter;
