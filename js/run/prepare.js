'use strict';
// Before a run starts pulling: the suite listed once (the user's command +
// `--list --reporter=json`), keyed, grouped and estimated by the engine (one
// call), with quarantined tests left out under quarantineMode 'skip'.

const path = require('node:path');
const native = require('../native.js');
const { codedError } = require('../errors.js');
const { listSuite } = require('../cli/suite.js');
const { loadConfiguredHistory, analyzeWith } = require('../api/record.js');
const { formatMs } = require('../api/flaky-format.js');
const { groupPayload } = require('./queue-run.js');
const { plural, shown } = require('./progress.js');

/**
 * `{ queued, fingerprint, testCount, byCount, history, outputDir }`, or
 * `null` when the listing found no test (said).
 */
async function prepare(o, settings, cwd, say) {
  const report = await listSuite(o.command, { cwd });
  const history = loadConfiguredHistory(settings, say, 'this run is not recorded and groups are ordered by test count');
  // quarantineMode 'skip': quarantined tests are left out of the queue.
  let quarantined = [];
  if (history && history.runCount > 0 && settings.quarantineMode === 'skip') {
    quarantined = analyzeWith(history, {}).quarantine.map((q) => q.key);
  }
  const suite = native.__queueSuite(report, history ? history._store : null, o.groupBy, quarantined);
  if (suite.unlistable.length) {
    throw codedError(
      'plan',
      `these tests cannot be written to a --test-list line (a title holds › or leading/trailing spaces):\n  ${suite.unlistable.join('\n  ')}`,
      { exitCode: 2 },
    );
  }
  const listedQuarantined = suite.quarantined;
  if (listedQuarantined.length) {
    say(`skipping ${plural(listedQuarantined.length, 'quarantined test')} (quarantineMode: skip):\n${listedQuarantined.map((k) => `  - ${k}`).join('\n')}`);
  }
  if (!suite.groups.length) {
    say(listedQuarantined.length ? 'every test is quarantined: nothing to run' : `no tests found by \`${[...o.command, '--list'].join(' ')}\``);
    return { empty: true, exitCode: listedQuarantined.length ? 0 : 1 };
  }
  // Said once (an unreadable history was already named, with what follows).
  if (suite.byCount && history)
    say(`no history yet for these tests: groups are ordered by test count (${shown(path.resolve(settings.history))} learns their durations from this run)`);
  const queued = suite.groups.map((g) => ({ id: g.id, expectedMs: g.expectedMs, payload: groupPayload(g.tests, g.lines) }));
  const expectedMs = queued.reduce((a, g) => a + g.expectedMs, 0);
  return {
    queued,
    fingerprint: suite.fingerprint,
    testCount: suite.tests,
    byCount: suite.byCount,
    history,
    outputDir: suite.outputDir || path.join(cwd, 'test-results'),
    expected: suite.byCount ? '' : `, ${formatMs(expectedMs)} expected in all`,
  };
}

module.exports = { prepare };
