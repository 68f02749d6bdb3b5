'use strict';
// npx shardwright config: the effective configuration and where each value came from.

const { printConfig, configTable } = require('../api/config.js');
const { usageError } = require('./flags.js');
const { reporterOptions } = require('./options.js');

module.exports = {
  summary: 'print the effective configuration, the source of each value, and the worker count',
  usage: `Usage: shardwright config [--json] [--table]

Prints every setting with its effective value and its source (default,
option — of the shardwright reporter in your Playwright config — or the
SHARDWRIGHT_* variable that set it), and the recommended worker count with
the limit that set it.

  --config, -c FILE   the Playwright config (default: playwright.config.* here)
  --json              print as JSON
  --table             print the settings table (Markdown) with defaults and variables`,
  options: {
    config: { type: 'string', short: 'c' },
    json: { type: 'boolean' },
    table: { type: 'boolean' },
  },
  async run(values, positionals, io) {
    if (positionals.length) throw usageError(`invalid argument: ${JSON.stringify(positionals[0])} (config takes no arguments)`);
    if (values.table) {
      io.stdout.write(`${configTable()}\n`);
      return 0;
    }
    const { options, source } = await reporterOptions(values.config);
    if (values.json) {
      const result = printConfig(options, { write: () => {} });
      io.stdout.write(`${JSON.stringify({ ...result, optionsFrom: source }, null, 2)}\n`);
      return 0;
    }
    if (source) io.stdout.write(`options: ${source}\n`);
    printConfig(options, { write: (s) => io.stdout.write(s) });
    return 0;
  },
};
