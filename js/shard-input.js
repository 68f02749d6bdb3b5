'use strict';
// What `shardwright plan` and `shardwright shard` share: their flags, the
// suite (a `playwright test --list --reporter=json` report, read or run
// now), and the per-test estimates from the history.

const { execFile } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { configError, show } = require('./errors.js');
const { listReportGroups, applyHistory, historyEstimates } = require('./groups.js');
const { History, defaultHistoryPath } = require('./history.js');
const { SHARD_STRATEGIES } = require('./shard.js');

const MAX_SHARDS = 10000;
// SHARDWRIGHT_HISTORY, else .shardwright/history.json (as the reporter).
const DEFAULT_HISTORY = defaultHistoryPath();

const FLAGS = {
  shards: { type: 'string', short: 'n' },
  strategy: { type: 'string', short: 's' },
  report: { type: 'string' },
  config: { type: 'string', short: 'c' },
  history: { type: 'string' },
  weights: { type: 'string' },
  'tag-mode': { type: 'string' },
  tags: { type: 'string' },
  'group-by': { type: 'string' },
};

const FLAGS_HELP = `  --shards, -n N        how many shards (required)
  --strategy, -s NAME   ${SHARD_STRATEGIES.join(' | ')} (default duration)
  --report FILE         a \`playwright test --list --reporter=json\` report;
                        without it, that command runs now in this directory
  --config, -c FILE     the Playwright config (passed to playwright test)
  --history FILE        per-test durations (default ${DEFAULT_HISTORY});
                        without it, shards are balanced by test count
  --weights W1,W2,...   relative speed of each shard (default all equal)
  --tag-mode MODE       for --strategy tag: group | spread (default group)
  --tags T1,T2,...      for --strategy tag: the tags that count (default all)
  --group-by WHAT       auto | file | test: groups from the report are per
                        file unless the config is fullyParallel (auto); use
                        file when fullyParallel suites have serial describes`;

function whole(flag, value, min, max) {
  const n = Number(value);
  if (value === undefined || String(value).trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    throw configError(flag, value, `a whole number from ${min} to ${max}`);
  }
  return n;
}

function list(value) {
  return String(value).split(',').map((s) => s.trim()).filter(Boolean);
}

/** Plan options from the flags, each checked and named as the user wrote it. */
function planOptions(values) {
  const shards = whole('--shards', values.shards, 1, MAX_SHARDS);
  const options = { shards };
  if (values.strategy !== undefined) {
    if (!SHARD_STRATEGIES.includes(values.strategy)) throw configError('--strategy', values.strategy, `one of ${SHARD_STRATEGIES.join(', ')}`);
    options.strategy = values.strategy;
  }
  if (values.weights !== undefined) {
    const weights = list(values.weights).map(Number);
    if (weights.length !== shards || weights.some((w) => !Number.isFinite(w) || w <= 0)) {
      throw configError('--weights', values.weights, `${shards} numbers > 0, comma-separated`);
    }
    options.weights = weights;
  }
  if (values['tag-mode'] !== undefined) {
    if (!['group', 'spread'].includes(values['tag-mode'])) throw configError('--tag-mode', values['tag-mode'], 'one of group, spread');
    options.tagMode = values['tag-mode'];
  }
  if (values.tags !== undefined) options.tags = list(values.tags).map((t) => (t.startsWith('@') ? t : `@${t}`));
  return options;
}

function groupBy(values) {
  const g = values['group-by'] ?? 'auto';
  if (!['auto', 'file', 'test'].includes(g)) throw configError('--group-by', g, 'one of auto, file, test');
  return g;
}

function ioError(message, cause) {
  const err = new Error(message);
  err.code = 'ERR_SHARDWRIGHT_IO';
  if (cause) err.cause = cause;
  return err;
}

/** Runs `npx playwright test --list --reporter=json` here; resolves with the report. */
function runList(configFile, cwd = process.cwd()) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shardwright-list-'));
  const out = path.join(dir, 'list.json');
  const args = ['playwright', 'test', '--list', '--reporter=json'];
  if (configFile) args.push('--config', configFile);
  const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
  return new Promise((resolve, reject) => {
    execFile(npx, args, {
      cwd,
      env: { ...process.env, PLAYWRIGHT_JSON_OUTPUT_FILE: out, PLAYWRIGHT_JSON_OUTPUT_NAME: '', FORCE_COLOR: '0' },
      maxBuffer: 64 * 1024 * 1024,
    }, (error, stdout, stderr) => {
      try {
        if (error && !fs.existsSync(out)) {
          reject(ioError(`failed to list the suite with \`npx ${args.join(' ')}\` in ${cwd}: ${(stderr || stdout || error.message).trim()}`, error));
          return;
        }
        resolve(JSON.parse(fs.readFileSync(out, 'utf8')));
      } catch (err) {
        reject(ioError(`failed to read the list of \`npx ${args.join(' ')}\`: ${err.message}`, err));
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

function readReport(file) {
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw ioError(`failed to read \`${file}\`: ${err.message}`, err);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw configError('--report', file, `a Playwright JSON report (${err.message})`);
  }
}

/**
 * Per-test expected durations and last outcomes from the history file, or
 * `null` when there is none yet (then shards are balanced by count). An
 * unusable file is an ERR_SHARDWRIGHT_HISTORY error naming it.
 */
function loadShardEstimates(file = DEFAULT_HISTORY, keys) {
  if (!fs.existsSync(file)) return null;
  const history = History.load(file);
  return historyEstimates(history, keys);
}

/**
 * The suite's groups with their history: `{ groups, tests, rootDir,
 * withHistory }`. Says once on `io.stderr` when there is no history.
 */
async function loadSuite(values, io) {
  const report = values.report !== undefined ? readReport(values.report) : await runList(values.config);
  const suite = listReportGroups(report, { groupBy: groupBy(values) });
  const historyFile = values.history ?? DEFAULT_HISTORY;
  const estimates = loadShardEstimates(historyFile, [...suite.tests.keys()]);
  const withHistory = estimates ? applyHistory(suite.groups, estimates) : 0;
  return { ...suite, withHistory, historyFile };
}

module.exports = { FLAGS, FLAGS_HELP, DEFAULT_HISTORY, planOptions, whole, loadSuite, loadShardEstimates, runList };
