'use strict';
// `shardwright report`: the flaky report of a history, without running tests.

const fs = require('node:fs');
const native = require('../native.js');
const { usageError, numberFlag, noPositionals } = require('./flags.js');
const { History } = require('../api/history.js');
const { analyzeWith } = require('../api/record.js');
const { flakyMarkdown, flakySummary } = require('../api/flaky-format.js');
const { effectiveSettings } = require('./options.js');
const { writeHtmlReport } = require('../report/html.js');

/** Tests in `report --json` unless --max-tests or --all says otherwise. */
const JSON_MAX_TESTS = 1000;

module.exports = {
  summary: 'print the flaky report of a history (text, --json or --markdown), or write it as one HTML file (--html)',
  usage: `Usage: shardwright report [--history FILE] [--json | --markdown | --html FILE] [options]

Prints the flaky report of a test history: flaky, broken, failing and fixed
tests with their scores and evidence, and the quarantine list — judged with
the options of the shardwright reporter in your Playwright config, then
SHARDWRIGHT_* variables, then these flags, as the end of a run judges it.

Options:
  --config, -c FILE           the Playwright config (default: playwright.config.*
                              here)
  --history FILE              the history file (default: the reporter's
                              \`history\`, $SHARDWRIGHT_HISTORY or
                              .shardwright/history.json)
  --json                      the report as JSON (schema/flaky-report.schema.json):
                              the summary, the quarantine list and the first
                              --max-tests tests that need attention (default
                              1000: broken, flaky, failing, fixed, by score);
                              \`testsOmitted\` counts the rest
  --all                       with --json: every test that needs attention
  --markdown                  a Markdown summary (e.g. for $GITHUB_STEP_SUMMARY)
  --html FILE                 write the HTML run report to FILE: one self-contained
                              file (no network) with the shard timeline of the
                              latest sharded run, the slowest groups, the tests
                              that need attention with a strip per run, trends,
                              incidents and the quarantine
  --report-dir DIR            with --html: where the shard records are, searched
                              a few folders down (e.g. a merge job's downloaded
                              artifacts; default: the reporter's \`reportDir\`,
                              .shardwright/reports)
  --window N                  latest runs judged per test (default 20)
  --flaky-threshold X         score from which a test is flaky, 0–1 (default 0.1)
  --quarantine-threshold X    score from which a flaky test is quarantined (default 0.3)
  --broken-after N            consecutive failing runs that make a test broken (default 3)
  --quarantine KEY            quarantine this test key or key prefix (repeatable)
  --max-tests N               rows per section in text and Markdown (default 10 / 50),
                              tests in --json (default 1000)
  -h, --help                  this help`,
  options: {
    config: { type: 'string', short: 'c' },
    history: { type: 'string' },
    json: { type: 'boolean' },
    all: { type: 'boolean' },
    markdown: { type: 'boolean' },
    html: { type: 'string' },
    'report-dir': { type: 'string' },
    window: { type: 'string' },
    'flaky-threshold': { type: 'string' },
    'quarantine-threshold': { type: 'string' },
    'broken-after': { type: 'string' },
    quarantine: { type: 'string', multiple: true },
    'max-tests': { type: 'string' },
  },
  async run(values, positionals, io) {
    noPositionals(positionals, 'report');
    if (values.json && values.markdown) throw usageError('--json and --markdown cannot be used together');
    if (values.html !== undefined && (values.json || values.markdown))
      throw usageError(`--html cannot be used with ${values.json ? '--json' : '--markdown'} (the HTML report is a file of its own)`);
    if (values.all && !values.json) throw usageError('--all is only for --json (text and Markdown take --max-tests)');
    for (const flag of ['html', 'report-dir']) {
      if (values[flag] !== undefined && values[flag].trim() === '')
        throw usageError(`invalid --${flag}: ${JSON.stringify(values[flag])} (a ${flag === 'html' ? 'file' : 'folder'} path)`);
    }
    if (values['report-dir'] !== undefined && values.html === undefined) throw usageError('--report-dir is only for --html');
    if (values.history !== undefined && values.history.trim() === '') throw usageError(`invalid --history: ${JSON.stringify(values.history)} (a file path)`);
    const maxTests = numberFlag(values, 'max-tests', { min: 1, integer: true });
    const settings = await effectiveSettings(values.config, {
      history: values.history,
      flakyWindow: numberFlag(values, 'window', { min: 1, max: 1000, integer: true }),
      flakyThreshold: numberFlag(values, 'flaky-threshold', { min: 0, max: 1 }),
      quarantineThreshold: numberFlag(values, 'quarantine-threshold', { min: 0, max: 1 }),
      brokenAfter: numberFlag(values, 'broken-after', { min: 1, max: 1000, integer: true }),
    });
    if (values.quarantine) settings.flags.quarantine = [...settings.values.quarantine, ...values.quarantine];
    const file = settings.values.history;
    if (!fs.existsSync(file)) {
      throw usageError(`no history at ${file} (add ['shardwright/reporter'] to your Playwright config, or seed it with \`npx shardwright import <report…>\`)`);
    }
    if (settings.source && !values.json) io.stderr.write(`shardwright report: options of ${settings.source}\n`);
    if (values.html !== undefined) {
      const reportDir = values['report-dir'] ?? settings.values.reportDir;
      const written = writeHtmlReport(values.html, History.load(file), { options: settings.options, flags: settings.flags, reportDir });
      io.stdout.write(`shardwright report: wrote ${written.path} (${written.size})\n`);
      return 0;
    }
    if (values.json) {
      // Bounded: a history of a million tests has tens of thousands that
      // need attention; the full list only when asked for. Loaded, judged
      // and written by the engine in one call: only the text crosses.
      const limit = values.all ? undefined : (maxTests ?? JSON_MAX_TESTS);
      io.stdout.write(native.__reportFileJson(file, settings.options, settings.flags, limit));
      return 0;
    }
    const report = analyzeWith(History.load(file), settings.options, undefined, settings.flags);
    if (values.markdown) io.stdout.write(flakyMarkdown(report, { maxTests: maxTests ?? 50 }));
    else io.stdout.write(flakySummary(report, { maxTests: maxTests ?? 10, color: Boolean(io.stdout.isTTY) && !process.env.NO_COLOR }));
    return 0;
  },
};
