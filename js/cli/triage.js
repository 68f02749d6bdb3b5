'use strict';
// `shardwright triage`: the last run's failures sorted into new, known flaky
// and broken on base, as Markdown for the PR (the sorting is the engine's,
// src/triage/).

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const native = require('../native.js');
const { usageError, numberFlag, noPositionals } = require('./flags.js');
const { History } = require('../api/history.js');
const { writeAtomic } = require('../api/record.js');
const { triageMarkdown } = require('../api/triage-format.js');
const { effectiveSettings } = require('./options.js');

const summary = "sort the last run's failures into new, known flaky and broken on base (Markdown)";

const usage = `Usage: shardwright triage --base BASE_HISTORY [--history FILE] [--markdown-out FILE]

Sorts the failures of the newest run of the history (all its shards) for
the pull request:

  new             failing here, passing on the base branch (or a new test)
  known flaky     flaky on record before this run (base's history or this
                  branch's): score and evidence from the flaky report
  broken on base  failing on the base branch too

with the owners of each test file from CODEOWNERS (.github/CODEOWNERS,
CODEOWNERS or docs/CODEOWNERS at the repository root; the last matching
pattern wins). Prints Markdown, and appends it to $GITHUB_STEP_SUMMARY when
set. Judged with the shardwright reporter's options of the Playwright config.

Options:
  --base FILE           the base branch's history (required), e.g. restored
                        from the cache of main's last run
  --history FILE        this run's history (default: the reporter's \`history\`,
                        $SHARDWRIGHT_HISTORY or .shardwright/history.json)
  --run ID              triage that run instead of the newest
  --markdown-out FILE   also write the Markdown to FILE (for a PR comment)
  --json                print the triage as JSON instead of Markdown
  --codeowners FILE     this CODEOWNERS file instead of the repository's
  --max-tests N         rows per section (default 50)
  --config, -c FILE     the Playwright config (default: playwright.config.* here)
  -h, --help            this help`;

const options = {
  base: { type: 'string' },
  history: { type: 'string' },
  run: { type: 'string' },
  'markdown-out': { type: 'string' },
  json: { type: 'boolean' },
  codeowners: { type: 'string' },
  'max-tests': { type: 'string' },
  config: { type: 'string', short: 'c' },
};

/** The repository root (git), else `cwd`. */
function repoRoot(cwd) {
  try {
    return execFileSync('git', ['rev-parse', '--show-toplevel'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return cwd;
  }
}

/** `{ text, file }` of CODEOWNERS (GitHub's locations, in its order), or null. */
function findCodeowners(flag, root) {
  if (flag !== undefined) {
    if (!fs.existsSync(flag) || !fs.statSync(flag).isFile()) throw usageError(`invalid --codeowners: ${JSON.stringify(flag)} (no such file)`);
    return { text: fs.readFileSync(flag, 'utf8'), file: flag };
  }
  for (const rel of ['.github/CODEOWNERS', 'CODEOWNERS', 'docs/CODEOWNERS']) {
    const file = path.join(root, rel);
    if (fs.existsSync(file) && fs.statSync(file).isFile()) return { text: fs.readFileSync(file, 'utf8'), file };
  }
  return null;
}

function loadHistory(file, flag) {
  if (!fs.existsSync(file)) throw usageError(`invalid ${flag}: ${JSON.stringify(file)} (no such history file)`);
  return History.load(file);
}

async function run(values, positionals, io) {
  noPositionals(positionals, 'triage');
  if (values.base === undefined) throw usageError('--base is required: the base branch’s history file (see `shardwright triage --help`)');
  for (const flag of ['base', 'history', 'run', 'markdown-out']) {
    if (values[flag] !== undefined && values[flag].trim() === '')
      throw usageError(`invalid --${flag}: ${JSON.stringify(values[flag])} (${flag === 'run' ? 'a run id' : 'a file path'})`);
  }
  const maxTests = numberFlag(values, 'max-tests', { min: 1, integer: true });
  const settings = await effectiveSettings(values.config, { history: values.history });
  const head = loadHistory(settings.values.history, '--history');
  const base = loadHistory(values.base, '--base');
  const cwd = process.cwd();
  const root = repoRoot(cwd);
  const owners = findCodeowners(values.codeowners, root);
  // Keys' files are relative to the config's rootDir; CODEOWNERS paths to the repository.
  const prefix = path
    .relative(root, settings.rootDir || cwd)
    .split(path.sep)
    .join('/');
  const triage = JSON.parse(native.__triage(head._store, base._store, settings.options, settings.flags, values.run, owners?.text, prefix));
  const markdown = triageMarkdown(triage, { maxTests: maxTests ?? 50 });
  if (values['markdown-out']) writeAtomic(values['markdown-out'], markdown);
  if (process.env.GITHUB_STEP_SUMMARY) fs.appendFileSync(process.env.GITHUB_STEP_SUMMARY, `${markdown}\n`);
  io.stdout.write(values.json ? `${JSON.stringify(triage, null, 2)}\n` : markdown);
  io.stderr.write(
    `shardwright triage: run ${triage.runId || '(none)'}: ${triage.new.length} new, ${triage.knownFlaky.length} known flaky, ${triage.brokenOnBase.length} broken on base${owners ? ` (owners from ${path.relative(cwd, owners.file) || owners.file})` : ''}\n`,
  );
  return 0;
}

module.exports = { summary, usage, options, run };
