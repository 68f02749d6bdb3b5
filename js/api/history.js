'use strict';
// The test history and flaky analysis for JS. The engine (Rust) keeps the
// history, reads and writes the file, and judges the tests; this wrapper
// batches every call: a run crosses as one JSON string, a report comes back
// as one.

const native = require('../native.js');
const { codedError, configError } = require('../errors.js');
const { bounded, isArray, isInstance, reading, toPatterns, callbackError, describeValue } = require('./boundary.js');
const { emitReport } = require('./flaky-events.js');
const { testKey: keyOf } = require('./groups.js');

const DEFAULT_HISTORY_PATH = '.shardwright/history.json';

/** `SHARDWRIGHT_HISTORY`, else `.shardwright/history.json` (relative to the cwd). */
function defaultHistoryPath() {
  const env = process.env.SHARDWRIGHT_HISTORY;
  return env?.trim() ? env.trim() : DEFAULT_HISTORY_PATH;
}

function checkPath(field, value) {
  if (typeof value !== 'string' || value.trim() === '') throw configError(field, value, 'a file path');
  return value;
}

function checkOptions(field, options) {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object' || isArray(options)) throw configError(field, options, 'an object');
  return reading(field, () => ({ ...options }));
}

// RegExps cannot cross the boundary as such: send their source and flags.
function nativeFlakyOptions(options) {
  const o = { ...checkOptions('options', options) };
  o.quarantine = toPatterns(o.quarantine, 'quarantine');
  o.retryable = toPatterns(o.retryable, 'retryable');
  o.permanent = toPatterns(o.permanent, 'permanent');
  return o;
}

function checkKeys(keys) {
  if (!isArray(bounded('keys', keys)) || reading('keys', () => keys.some((k) => typeof k !== 'string')))
    throw configError('keys', keys, 'an array of test keys (strings)');
  return keys;
}

/**
 * The stable key of a test, as the history stores it:
 * `project › file › describe › title` (no project part when it is '').
 * `file` is relative to the project's testDir.
 */
function testKey(test) {
  const { project = '', file, titlePath } = reading('test', () => ({ ...test }));
  if (typeof file !== 'string' || !isArray(titlePath)) {
    throw configError('test', { project, file, titlePath }, 'an object with `file` (string) and `titlePath` (array of strings)');
  }
  return reading('test.titlePath', () => keyOf(project, file, titlePath));
}

class History {
  /** @internal Use History.load(), History.empty() or loadHistory(). */
  constructor(store) {
    if (!isInstance(store, native.HistoryStore)) {
      throw configError('store', store, 'a native history (use History.load() or History.empty())');
    }
    this._store = store;
  }

  /** The key of a test as the history stores it (see `testKey`). */
  static testKey(test) {
    return testKey(test);
  }

  /** Reads a history file synchronously; a missing file is an empty history. */
  static load(path = defaultHistoryPath(), options) {
    return new History(native.HistoryStore.load(checkPath('path', path), checkOptions('options', options)));
  }

  static empty(options) {
    return new History(native.HistoryStore.empty(checkOptions('options', options)));
  }

  /** The file it was loaded from or last saved to. */
  get path() {
    return this._store.path;
  }

  get runCount() {
    return this._store.runCount;
  }

  get testCount() {
    return this._store.testCount;
  }

  get attemptCount() {
    return this._store.attemptCount;
  }

  get maxRuns() {
    return this._store.maxRuns;
  }

  /** Whether the file existed when it was loaded. */
  get existed() {
    return this._store.existed;
  }

  /** `{ problem, backup }` when `reset: true` set an unusable file aside. */
  get recovered() {
    return this._store.recovered;
  }

  /**
   * Adds one whole run (every attempt of every test) in one call. `options`
   * (the same as analyze()'s) classify its errors with `retryable` /
   * `permanent` and set the incident thresholds.
   */
  addRun(run, options) {
    if (run === null || typeof run !== 'object' || isArray(run)) throw configError('run', run, 'an object with an `attempts` array');
    let json;
    try {
      json = JSON.stringify(run);
    } catch (err) {
      throw codedError('config', `invalid run: it cannot be serialised as JSON (${describeValue(err)})`, { cause: err });
    }
    return this._store.addRunJson(json, options === undefined ? undefined : nativeFlakyOptions(options));
  }

  /** The infrastructure incidents the history records. */
  incidents() {
    return this._store.incidents();
  }

  /** Keys of the tests with flaky history (their retries are never skipped). */
  flakyKeys(options) {
    return this._store.flakyKeys(nativeFlakyOptions(options));
  }

  /** Writes flakyKeys() to `path` for decideRetry() in Playwright workers. */
  writeFlakyKeys(path, options) {
    return this._store.writeFlakyKeys(checkPath('path', path), nativeFlakyOptions(options));
  }

  /** Whether test `key`, failed with `error`, is worth a retry (judged on this history). */
  decideRetry(key, error, options) {
    return this._store.decideRetry(key, error, nativeFlakyOptions(options));
  }

  /** The same decision from a flaky-keys file (`flakyKeys`): one cheap call per failed test. */
  static decideRetry(input) {
    const o = { ...checkOptions('input', input) };
    o.retryable = toPatterns(o.retryable, 'retryable');
    o.permanent = toPatterns(o.permanent, 'permanent');
    return native.decideRetry(o);
  }

  /** Adds the run of a Playwright JSON report or a JUnit XML file. */
  importReport(path) {
    return this._store.importReport(checkPath('path', path));
  }

  /**
   * Writes the history atomically (temp file + fsync + rename) under a lock,
   * first merging runs another process saved to the file meanwhile.
   */
  save(path) {
    return this._store.save(path === undefined ? undefined : checkPath('path', path));
  }

  /** Adds another history's runs; a run id both have is kept once. */
  merge(other) {
    const o = typeof other === 'string' ? History.load(other) : other;
    if (!isInstance(o, History)) throw configError('other', other, 'a History or the path of a history file');
    if (o === this) return { runsAdded: 0, runsShared: this.runCount, testsAdded: 0, attemptsAdded: 0 };
    return this._store.merge(o._store);
  }

  /**
   * Expected durations for planning, in the order of `keys`:
   * `{ key, ms, source: 'history' | 'file' | 'suite' | 'default', samples }`.
   */
  estimates(keys) {
    checkKeys(keys);
    const { ms, source, samples } = this._store.estimates(keys);
    const out = new Array(keys.length);
    for (let i = 0; i < keys.length; i++) out[i] = { key: keys[i], ms: ms[i], source: source[i], samples: samples[i] };
    return out;
  }

  /** Each test's outcome in its latest run (`null`: never ran), in the order of `keys`. */
  lastOutcomes(keys) {
    return this._store.lastOutcomes(checkKeys(keys));
  }

  /** The flaky report (see schema/flaky-report.schema.json), synchronously. */
  analyze(options) {
    return JSON.parse(this._store.analyzeJson(nativeFlakyOptions(options)));
  }

  /** Run metadata, oldest first. */
  runs() {
    return this._store.runs();
  }

  testKeys() {
    return this._store.testKeys();
  }
}

/** Reads a history file off the JS thread. */
async function loadHistory(path = defaultHistoryPath(), options) {
  return new History(await native.loadHistoryStore(checkPath('path', path), checkOptions('options', options)));
}

const CALLBACKS = ['onReport', 'onFlaky', 'onBroken', 'onFailing', 'onFixed', 'onQuarantined'];

/**
 * The flaky report of a history (a History, a file path, or the default
 * file). Callbacks in `options` (`onFlaky(test)`, `onBroken`, `onFailing`,
 * `onFixed`, `onQuarantined(entry, test)`, `onReport(report)`) are called once
 * per matching test, and awaited, before the promise resolves; one that
 * throws or rejects does not stop the others, and the promise then rejects
 * with ERR_SHARDWRIGHT_CALLBACK (its `cause` the first failure). Every option
 * is checked before the history is read.
 */
async function flakyReport(historyOrPath, options) {
  const o = checkOptions('options', options);
  for (const name of CALLBACKS) {
    if (o[name] !== undefined && typeof o[name] !== 'function') throw configError(name, o[name], 'a function');
  }
  const nativeOptions = nativeFlakyOptions(o);
  for (const name of [...CALLBACKS, 'maxRuns', 'maxAgeDays']) delete nativeOptions[name];
  // Up front: a bad option (a misspelt name, a RegExp that does not
  // compile) fails before a large history is read.
  native.__checkFlakyReportOptions({ ...o, quarantine: toPatterns(o.quarantine, 'quarantine') });
  let history = historyOrPath;
  if (history === undefined || history === null || typeof history === 'string') {
    history = await loadHistory(history ?? defaultHistoryPath(), { reset: false, maxRuns: o.maxRuns, maxAgeDays: o.maxAgeDays });
  }
  if (!isInstance(history, History)) throw configError('history', historyOrPath, 'a History or the path of a history file');
  const report = history.analyze(nativeOptions);
  let failure;
  const handlers = { report: o.onReport, flaky: o.onFlaky, broken: o.onBroken, failing: o.onFailing, fixed: o.onFixed, quarantined: o.onQuarantined };
  const pending = emitReport(report, handlers, {
    onListenerError: (err, name, rejected) => {
      failure ??= callbackError(`on${name[0].toUpperCase()}${name.slice(1)}`, err, rejected);
    },
  });
  await Promise.all(pending);
  if (failure) throw failure;
  return report;
}

module.exports = { History, loadHistory, flakyReport, defaultHistoryPath, testKey, DEFAULT_HISTORY_PATH };
