'use strict';
// `shardwright failed`: the tests that failed in the last run — every shard
// of it, from the merged history — as a Playwright `--test-list` file:
//   npx shardwright failed > failed.txt
//   npx playwright test --test-list failed.txt

const fs = require('node:fs');
const native = require('../native.js');
const { usageError, noPositionals } = require('./flags.js');
const { History } = require('../api/history.js');
const { writeAtomic } = require('../api/record.js');
const { effectiveSettings } = require('./options.js');

const summary = "write the last run's failed tests as a Playwright --test-list file";

const usage = `Usage: shardwright failed [--flaky] [--history FILE] [--run ID] [--out FILE]

Writes the tests that failed in the newest run of the history — all its
shards: the shards of a run are one run there (after \`shardwright merge\` or
\`playwright merge-reports\`) — as a Playwright \`--test-list\` file, so

  npx shardwright failed > failed.txt
  npx playwright test --test-list failed.txt

reruns exactly those tests. Lines are \`[project] › file › describe › title\`,
the file relative to the config's rootDir. A test that no line can select
exactly (a title holding \`›\`, a test titled like another's describe block)
is an error naming it (ERR_SHARDWRIGHT_TESTLIST), never left out. Nothing
failed: no output, a note on stderr, exit 0.

Options:
  --flaky               also the tests that failed and passed on a retry
  --run ID              that run instead of the newest (ids: \`shardwright report --json\`)
  --history FILE        the history file (default: the reporter's \`history\`,
                        $SHARDWRIGHT_HISTORY or .shardwright/history.json)
  --out FILE            write the list to FILE instead of stdout
  --config, -c FILE     the Playwright config (default: playwright.config.* here)
  -h, --help            this help`;

const options = {
  flaky: { type: 'boolean' },
  run: { type: 'string' },
  history: { type: 'string' },
  out: { type: 'string' },
  config: { type: 'string', short: 'c' },
};

const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

async function run(values, positionals, io) {
  noPositionals(positionals, 'failed');
  for (const flag of ['history', 'out', 'run']) {
    if (values[flag] !== undefined && values[flag].trim() === '')
      throw usageError(`invalid --${flag}: ${JSON.stringify(values[flag])} (${flag === 'run' ? 'a run id' : 'a file path'})`);
  }
  const settings = await effectiveSettings(values.config, { history: values.history });
  const file = settings.values.history;
  if (!fs.existsSync(file)) throw usageError(`no history at ${file} (run the suite with ['shardwright/reporter'] first, or pass --history)`);
  const history = History.load(file);
  if (history.runCount === 0) throw usageError(`the history at ${file} has no runs yet`);
  const list = native.__rerunList(history._store, values.run, Boolean(values.flaky));
  const what = values.flaky ? 'failed or flaky' : 'failed';
  if (list.lines.length === 0) {
    io.stderr.write(`shardwright failed: nothing ${what} in run ${list.runId} — the list is empty\n`);
    if (values.out) writeAtomic(values.out, '');
    return 0;
  }
  const counts = [plural(list.failed.length, 'failed test'), ...(values.flaky ? [plural(list.flaky.length, 'flaky test')] : [])].join(' and ');
  const text = `# shardwright failed: ${counts} of run ${list.runId}\n${list.lines.join('\n')}\n`;
  if (values.out) writeAtomic(values.out, text);
  else io.stdout.write(text);
  io.stderr.write(
    `shardwright failed: ${counts} of run ${list.runId}${values.out ? ` written to ${values.out}` : ''}; rerun them with \`npx playwright test --test-list <file>\`\n`,
  );
  return 0;
}

module.exports = { summary, usage, options, run };
