'use strict';
// npx shardwright status --queue URL --run-id ID: the state of a queue-mode run.

const { WorkQueue } = require('../native.js');
const { runIdFrom } = require('./flags.js');
const { formatMs } = require('../api/flaky-format.js');
const { configError } = require('../errors.js');

function render(status, target, runId, now = Date.now()) {
  const lines = [`queue ${target} · run ${runId}`];
  if (!status.seeded) {
    lines.push('not seeded yet: no machine has started this run');
    return lines.join('\n');
  }
  const leasedMs = status.leased.reduce((a, l) => a + l.expectedMs, 0);
  lines.push(
    `groups: ${status.total} · pending ${status.pending} · leased ${status.leased.length} · done ${status.done} (failed ${status.failed})` +
      (status.reclaimed ? ` · reclaimed from dead machines ${status.reclaimed}` : ''),
  );
  const slots = status.machines.filter((m) => m.state === 'running').reduce((a, m) => a + m.slots, 0);
  lines.push(
    `expected time left: ${formatMs(status.remainingMs)} of work` +
      (slots ? `, about ${formatMs(status.remainingMs / slots)} on ${slots} running slot${slots === 1 ? '' : 's'}` : '') +
      (leasedMs ? ` (${formatMs(leasedMs)} in progress)` : ''),
  );
  if (status.machines.length) {
    lines.push('machines:');
    for (const m of status.machines) {
      const leases = status.leased.filter((l) => l.machine === m.id);
      const seen = m.lastSeen ? `${formatMs(Math.max(0, now - m.lastSeen))} ago` : 'never';
      lines.push(`  ${m.id}  ${m.state}  ${m.slots} slot${m.slots === 1 ? '' : 's'}  seen ${seen}  leases ${leases.length}`);
      for (const l of leases) lines.push(`    ${l.group}  expected ${formatMs(l.expectedMs)}  lease ends in ${formatMs(l.expiresInMs)}`);
    }
  }
  lines.push(status.complete ? `complete: ${status.failed ? 'failed' : 'passed'}` : 'running');
  return lines.join('\n');
}

module.exports = {
  summary: 'show a queue-mode run: pending, leased (by which machine), done, failed, time left',
  usage: `Usage: shardwright status --queue redis://host:6379/0 [--run-id ID] [--json]

  --queue URL     the Redis server of the run (redis:// or rediss://; a password
                  in the URL is never printed)
  --run-id ID     the run (default: SHARDWRIGHT_RUN_ID, or the CI's run id)
  --tls-ca FILE   a CA certificate (PEM) to trust for rediss://
  --json          print the status as JSON`,
  options: {
    queue: { type: 'string' },
    'run-id': { type: 'string' },
    'tls-ca': { type: 'string' },
    json: { type: 'boolean' },
  },
  render,
  async run(values, positionals, io) {
    if (!values.queue) throw configError('--queue', values.queue, 'the Redis URL of the run, e.g. redis://127.0.0.1:6379/0');
    const runId = runIdFrom(values);
    const tlsCa = values['tls-ca'] ? require('node:fs').readFileSync(values['tls-ca'], 'utf8') : undefined;
    const queue = await WorkQueue.connect(values.queue, runId, { tlsCa, reconnectRetries: 1 });
    const status = await queue.status();
    // Machines listing different suites under one run id get queues of their own.
    const suites = await queue.suites();
    if (values.json) io.stdout.write(`${JSON.stringify({ target: queue.target, runId, ...status, suites }, null, 2)}\n`);
    else {
      if (suites.length > 1)
        io.stdout.write(
          `run ${runId} has ${suites.length} queues, one per suite listed (fingerprints ${suites.map((x) => x.fingerprint.slice(0, 12)).join(', ')}): the latest one\n`,
        );
      io.stdout.write(`${render(status, queue.target, runId)}\n`);
    }
    return 0;
  },
};
