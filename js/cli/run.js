'use strict';
// `shardwright run [options] [-- npx playwright test [args…]]`: its flags.
// The run itself — list, queue, N Playwright processes pulling batches,
// record — is js/run/.

const fs = require('node:fs');
const native = require('../native.js');
const { configError } = require('../errors.js');
const { intFlag, choice, runIdFrom } = require('./flags.js');

const summary = 'run the suite longest test groups first from a queue (this machine, or shared on Redis by CI machines), web servers started once';

const usage = `Usage: shardwright run [options] [-- npx playwright test [args…]]

Lists the suite once (the command + --list), starts the config's web
servers once for the machine, then runs the suite as one Playwright process
at a time with N workers, longest test groups first. Alone, a machine takes
every group at once; with --queue, machines pull batches (large first,
smaller toward the end) so they finish together. At the end the config's
reporters (html, junit…) get the whole run (merged blob reports), the
history has the run and the flaky report is written, as the shardwright
reporter does. The command defaults to \`npx playwright test\`; your
arguments (--project, --grep, files…) apply to the listing too.

Options:
  --workers, -j auto|N   Playwright workers on this machine (default: auto,
                         the worker recommendation of \`shardwright config\`)
  --history FILE         the test history (default: $SHARDWRIGHT_HISTORY or
                         .shardwright/history.json); expected durations come
                         from it, and this run is added to it
  --group-by WHAT        auto | file | test: how tests are grouped (auto: per
                         file, per test when the config is fullyParallel)
  --burn-in N            also run the tests of spec files changed against
                         --burn-in-base N more times (a \`<project> burn-in\`
                         copy of each project, retries off): one failure is
                         flaky-at-birth and fails the run
  --burn-in-base REF     the base of --burn-in (default: $SHARDWRIGHT_BURN_IN_BASE,
                         origin/main, else main)

Queue mode (every CI machine of a run runs the same command):
  --queue URL            the Redis server: redis://[:password@]host:6379/0 or
                         rediss://… (the password is never printed)
  --run-id ID            shared by the machines of one run (default:
                         $SHARDWRIGHT_RUN_ID, or the CI's run id); a run
                         that already finished is an error
  --rerun                run a finished run id again
  --tls-ca FILE          a CA certificate (PEM) to trust for rediss://
  --lease-ms N           a machine silent this long loses its groups to the
                         others (default 60000; heartbeats every third of it)
  --reconnect-retries N  reconnection attempts when Redis is lost (default 8)
  --fallback local       Redis unreachable at start: run the whole suite on
                         this machine instead of failing
  --exit-status run|own  exit 1 when a test of the run failed (run, default),
                         or only when one of this machine's did (own)

Exit codes: 0 every test passed, 1 a test failed or did not run, 2 bad
usage or an infrastructure error (the listing failed, a web server did not
start, the queue was lost), 130/143 stopped by SIGINT/SIGTERM.`;

const options = {
  workers: { type: 'string', short: 'j' },
  history: { type: 'string' },
  'group-by': { type: 'string' },
  'burn-in': { type: 'string' },
  'burn-in-base': { type: 'string' },
  queue: { type: 'string' },
  'run-id': { type: 'string' },
  rerun: { type: 'boolean' },
  'tls-ca': { type: 'string' },
  'lease-ms': { type: 'string' },
  'reconnect-retries': { type: 'string' },
  fallback: { type: 'string' },
  'exit-status': { type: 'string' },
};

const DEFAULT_COMMAND = ['npx', 'playwright', 'test'];
// Arguments `run` sets itself for each batch, or that would break it.
const OWN_ARGS = [
  '--list',
  '--shard',
  '--test-list',
  '--test-list-invert',
  '--reporter',
  '--output',
  '--workers',
  '-j',
  '--last-failed',
  '--only-changed',
  '--ui',
  '--debug',
];
const QUEUE_ONLY = ['run-id', 'rerun', 'tls-ca', 'lease-ms', 'reconnect-retries', 'fallback', 'exit-status'];

/** The options, each checked and named as the user wrote it. */
function parseOptions(values, positionals, env = process.env) {
  const o = {};
  o.workers = values.workers === undefined || values.workers === 'auto' ? 'auto' : intFlag('--workers', values.workers, 1, 1000);
  if (values.history !== undefined && values.history.trim() === '') throw configError('--history', values.history, 'a file path');
  o.history = values.history;
  o.groupBy = choice('--group-by', values['group-by'] ?? 'auto', ['auto', 'file', 'test']);
  o.burnIn = intFlag('--burn-in', values['burn-in'], 1, 1000);
  if (values['burn-in-base'] !== undefined) {
    if (o.burnIn === undefined) throw configError('--burn-in-base', values['burn-in-base'], 'only with --burn-in');
    if (!/^[^-\s][^\s]*$/.test(values['burn-in-base'])) throw configError('--burn-in-base', values['burn-in-base'], 'a git ref (a branch, tag or commit)');
    o.burnInBase = values['burn-in-base'];
  }
  if (values.queue === undefined) {
    const stray = QUEUE_ONLY.find((k) => values[k] !== undefined);
    if (stray) throw configError(`--${stray}`, values[stray], 'only with --queue');
  } else {
    if (!/^rediss?:\/\/./.test(values.queue))
      throw configError('--queue', native.redactQueueUrl(values.queue), 'a Redis URL: redis://[:password@]host:port/db or rediss://…');
    o.queue = values.queue;
    o.runId = runIdFrom(values, env);
    o.rerun = Boolean(values.rerun);
    if (values['tls-ca'] !== undefined) {
      try {
        o.tlsCa = fs.readFileSync(values['tls-ca'], 'utf8');
      } catch (err) {
        throw configError('--tls-ca', values['tls-ca'], `a readable PEM file (${err.code || err.message})`);
      }
    }
    o.leaseMs = intFlag('--lease-ms', values['lease-ms'], 100, 86_400_000) ?? 60_000;
    o.reconnectRetries = intFlag('--reconnect-retries', values['reconnect-retries'], 0, 100);
    if (values.fallback !== undefined && values.fallback !== 'local') throw configError('--fallback', values.fallback, 'local');
    o.fallback = values.fallback;
    o.exitStatus = values['exit-status'] ?? 'run';
    if (!['run', 'own'].includes(o.exitStatus)) throw configError('--exit-status', o.exitStatus, 'run or own');
  }
  o.command = positionals.length ? positionals : DEFAULT_COMMAND;
  for (const arg of o.command.slice(1)) {
    const own = OWN_ARGS.find((a) => arg === a || arg.startsWith(`${a}=`));
    if (own) throw configError('command argument', arg, `shardwright run sets ${own} itself; leave it out`);
  }
  return o;
}

async function run(values, positionals, io) {
  const o = parseOptions(values, positionals);
  // Burn-in goes to every Playwright process `run` starts: the config
  // wrapper (js/run/wrap-config.js) adds the burn-in projects there.
  if (o.burnIn !== undefined) {
    process.env.SHARDWRIGHT_BURN_IN = String(o.burnIn);
    if (o.burnInBase !== undefined) process.env.SHARDWRIGHT_BURN_IN_BASE = o.burnInBase;
  }
  return require('../run/index.js').runSuite(o, io);
}

module.exports = { summary, usage, options, run, parseOptions };
