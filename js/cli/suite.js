'use strict';
// What `plan` and `shard` share: their flags, the suite (a `playwright test
// --list --reporter=json` report, read or listed now) and its history — and
// one engine call that plans them (src/playwright).

const { execFile } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const native = require('../native.js');
const { codedError, configError } = require('../errors.js');
const { History } = require('../api/history.js');
const { effectiveSettings } = require('./options.js');
const { SHARD_STRATEGIES, toPlan } = require('../api/shard.js');
const { whole, list, choice } = require('./flags.js');

const MAX_SHARDS = 10000;

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
  --history FILE        per-test durations (default: the reporter's history
                        option, $SHARDWRIGHT_HISTORY or .shardwright/history.json);
                        with none, shards split by test count
  --weights W1,W2,...   relative speed of each shard (default all equal)
  --tag-mode MODE       for --strategy tag: group | spread (default group)
  --tags T1,T2,...      for --strategy tag: the tags that count (default all)
  --group-by WHAT       auto | file | test: groups from the report are per
                        file unless the config is fullyParallel (auto); use
                        file when fullyParallel suites have serial describes`;

/** Plan options from the flags, each checked and named as the user wrote it. */
function planOptions(values) {
  const shards = whole('--shards', values.shards, 1, MAX_SHARDS);
  const options = { shards };
  if (values.strategy !== undefined) options.strategy = choice('--strategy', values.strategy, SHARD_STRATEGIES);
  if (values.weights !== undefined) {
    const weights = list(values.weights).map(Number);
    if (weights.length !== shards || weights.some((w) => !Number.isFinite(w) || w <= 0)) {
      throw configError('--weights', values.weights, `${shards} numbers > 0, comma-separated`);
    }
    options.weights = weights;
  }
  if (values['tag-mode'] !== undefined) options.tagMode = choice('--tag-mode', values['tag-mode'], ['group', 'spread']);
  if (values.tags !== undefined) options.tags = list(values.tags).map((t) => (t.startsWith('@') ? t : `@${t}`));
  return options;
}

/**
 * Runs `<command> --list --reporter=json` in `cwd`; resolves with the
 * report's text. `command` defaults to `npx playwright test`.
 */
function listSuite(command = ['npx', 'playwright', 'test'], { cwd = process.cwd(), configFile } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shardwright-list-'));
  const out = path.join(dir, 'list.json');
  const args = [...command.slice(1), '--list', '--reporter=json'];
  if (configFile) args.push('--config', configFile);
  const program = process.platform === 'win32' && command[0] === 'npx' ? 'npx.cmd' : command[0];
  const shown = [command[0], ...args].join(' ');
  return new Promise((resolve, reject) => {
    execFile(
      program,
      args,
      {
        cwd,
        env: { ...process.env, PLAYWRIGHT_JSON_OUTPUT_FILE: out, PLAYWRIGHT_JSON_OUTPUT_NAME: '', FORCE_COLOR: '0' },
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        try {
          if (!fs.existsSync(out)) {
            const why = (stderr || stdout || error?.message || 'no report written').trim();
            reject(codedError('io', `failed to list the suite with \`${shown}\` in ${cwd}: ${why}`, { cause: error }));
            return;
          }
          resolve(fs.readFileSync(out, 'utf8'));
        } catch (err) {
          reject(codedError('io', `failed to read the list of \`${shown}\`: ${err.message}`, { cause: err }));
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      },
    );
  });
}

function readReport(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw codedError('io', `failed to read \`${file}\`: ${err.message}`, { cause: err });
  }
}

/**
 * The history file named by --history (default: the configured one), or
 * null when it does not exist (then shards are balanced by count). An
 * unusable file is an ERR_SHARDWRIGHT_HISTORY error naming it.
 */
function historyFor(values, settings) {
  const file = values.history ?? settings.history;
  if (fs.existsSync(file)) return History.load(file);
  // Named on purpose: a path that does not exist is a mistake, not "no history yet".
  if (values.history !== undefined)
    throw configError('--history', values.history, 'an existing history file (leave --history out to plan by test count when there is none)');
  return null;
}

/**
 * Plans the suite: `{ plan, tests, withHistory, lines? }`; with `shard`,
 * `lines` are shard `--index`'s `--test-list` lines.
 */
async function planSuite(values, { shard = false } = {}) {
  if (values.shards === undefined) {
    throw configError('--shards', undefined, `required: how many shards to plan, e.g. \`shardwright ${shard ? 'shard --index 1' : 'plan'} --shards 4\``);
  }
  const settings = (await effectiveSettings(values.config)).values;
  const options = { strategy: settings.strategy, ...planOptions(values) };
  const groupBy = choice('--group-by', values['group-by'] ?? 'auto', ['auto', 'file', 'test']);
  if (shard) options.index = whole('--index', values.index, 1, options.shards);
  const report = values.report !== undefined ? readReport(values.report) : await listSuite(undefined, { configFile: values.config });
  const history = historyFor(values, settings);
  let planned;
  try {
    planned = native.__planReport(report, history ? history._store : null, { plan: options, groupBy });
  } catch (err) {
    // The report is the flag's file: name it.
    const bad = /^invalid report: (.*) \(a Playwright JSON report[^)]*\)$/s.exec(err.message);
    if (bad && values.report !== undefined) throw configError('--report', values.report, `a Playwright JSON report (${bad[1]})`);
    throw err;
  }
  return { ...planned, plan: toPlan(planned.plan, planned.groupIds) };
}

module.exports = { FLAGS, FLAGS_HELP, planOptions, planSuite, listSuite };
