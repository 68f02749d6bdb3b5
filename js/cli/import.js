'use strict';
// `shardwright import <report…>`: seeds the history from Playwright JSON
// reports and JUnit XML files, one run per report.

const { usageError } = require('./flags.js');
const { History, defaultHistoryPath } = require('../api/history.js');
const { numberFlag } = require('./flags.js');

module.exports = {
  summary: 'add Playwright JSON reports / JUnit XML files to the history',
  usage: `Usage: shardwright import <report…> [--history FILE] [--max-runs N] [--reset]

Adds each report to the test history as one run, so the first sharded run is
already balanced and flaky detection starts with evidence. Reads Playwright's
JSON report (--reporter=json) and JUnit XML (Playwright's junit reporter and
other runners). A report already imported is not added twice. Nothing is
saved unless every report could be read.

Options:
  --history FILE    the history file (default: $SHARDWRIGHT_HISTORY or
                    .shardwright/history.json); created if missing
  --max-runs N      runs kept per test (default 20, or what the file says)
  --reset           if the history file is unusable, keep it as a backup and
                    start afresh
  -h, --help        this help`,
  options: {
    history: { type: 'string' },
    'max-runs': { type: 'string' },
    reset: { type: 'boolean' },
  },
  run(values, positionals, io) {
    if (!positionals.length) throw usageError('no report given (usage: shardwright import <report…>)');
    if (values.history !== undefined && values.history.trim() === '') throw usageError(`invalid --history: ${JSON.stringify(values.history)} (a file path)`);
    const maxRuns = numberFlag(values, 'max-runs', { min: 1, max: 1000, integer: true });
    const file = values.history ?? defaultHistoryPath();
    const history = History.load(file, { reset: Boolean(values.reset), maxRuns });
    if (history.recovered) {
      io.stderr.write(`shardwright import: ${file} was unusable (${history.recovered.problem}); kept as ${history.recovered.backup}, starting afresh\n`);
    }
    for (const report of positionals) {
      const r = history.importReport(report);
      const what = r.newRun ? `run ${r.runId}: ${r.tests} tests, ${r.attempts} attempts` : `already in the history (run ${r.runId}), ${r.tests} tests added`;
      io.stdout.write(`imported ${report} (${r.format}) — ${what}\n`);
    }
    const saved = history.save(file);
    if (saved.recovered) {
      io.stderr.write(`shardwright import: ${file} was unreadable (${saved.recovered.problem}); kept it as ${saved.recovered.backup} and saved in its place\n`);
    }
    io.stdout.write(`saved ${saved.path}: ${saved.runs} runs, ${saved.tests} tests, ${saved.bytes} bytes\n`);
    return 0;
  },
};
