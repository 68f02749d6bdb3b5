'use strict';
// The queue side of a `shardwright run` machine: seeding or joining the run
// (a finished run is an error, unless --rerun), the progress line from the
// queue's status, and leaving — as the last machine, claiming the merge.

const os = require('node:os');
const { codedError } = require('../errors.js');
const { formatMs } = require('../api/flaky-format.js');
const { lostQueue } = require('./finish.js');
const { plural } = require('./progress.js');

/** Seeds the run (or joins it) and registers this machine. */
async function seedAndJoin(ctx, prepared) {
  const { o, queue, shared, workers, machineId, leaseMs } = ctx;
  const say = (line) => ctx.progress.say(line);
  let seeded;
  try {
    seeded = await queue.seed(prepared.queued, prepared.fingerprint, { rerun: Boolean(o.rerun) });
  } catch (err) {
    const finished = /already finished/.test(err.message);
    const hint = finished
      ? `\n  nothing was run: give this run a new --run-id, or pass --rerun to run the suite again under run id ${o.runId}`
      : '\n  no test was run';
    throw codedError('queue', `${err.message}${hint}`, { exitCode: 2 });
  }
  try {
    if (shared) {
      const suites = await queue.suites();
      const others = suites.filter((s) => s.fingerprint !== prepared.fingerprint);
      if (others.length) {
        say(
          `run ${o.runId} also has a queue for another suite (fingerprint ${others.map((s) => s.fingerprint.slice(0, 12)).join(', ')}; this machine's is ${prepared.fingerprint.slice(0, 12)}): this machine lists a different suite — another commit, other arguments? — and runs its own queue`,
        );
      }
    }
    await queue.join({ id: machineId, slots: workers, host: os.hostname() }, leaseMs, Math.max(50, Math.floor(leaseMs / 3)));
    const total = shared ? (await queue.status()).total : prepared.queued.length;
    say(
      shared
        ? `${seeded ? 'seeded' : 'joined'} run ${o.runId} on ${queue.target}: ${plural(total, 'group')} · this machine ${machineId}, ${plural(workers, 'worker')}`
        : `${plural(prepared.testCount, 'test')} in ${plural(total, 'group')} · ${plural(workers, 'worker')}${prepared.expected}`,
    );
  } catch (err) {
    throw codedError('queue', `${err.message}\n  no test was run`, { exitCode: 2 });
  }
}

/** The progress line's text, from the queue's status. */
function renderer(ctx) {
  return async () => {
    try {
      ctx.lastStatus = await ctx.queue.status();
    } catch {
      return ctx.lastStatus;
    }
    const s = ctx.lastStatus;
    const slots = ctx.shared ? s.machines.filter((m) => m.state === 'running').reduce((a, m) => a + m.slots, 0) || ctx.workers : ctx.workers;
    const left = ctx.byCount ? `${plural(s.pending + s.leased.length, 'group')} left` : `about ${formatMs(s.remainingMs / slots)} left`;
    ctx.progress.show(
      `${s.done}/${s.total} groups done · ${ctx.runningGroups} running${ctx.shared ? ` here (${s.leased.length} in the run)` : ''} · ${s.failed} failed · ${left}`,
    );
    return s;
  };
}

/**
 * The end of this machine's part: its record, then — on the last machine
 * to finish — the claim to merge the run. `{ merger, final }`.
 */
async function finishRun(ctx) {
  const { queue, shared } = ctx;
  if (!shared) return { merger: true, final: await queue.status() };
  try {
    const own = ctx.mine.filter((r) => !r.duplicate);
    await queue.pushRun(
      JSON.stringify({
        machine: ctx.machineId,
        host: os.hostname(),
        slots: ctx.workers,
        startedAt: ctx.startedAt,
        endedAt: ctx.endedAt,
        groups: own.length,
        failed: own.filter((r) => r.status === 'failed').length,
        batches: ctx.batchSeq,
      }),
    );
    await queue.leave();
    const final = await queue.status();
    const now = Date.now();
    const others = final.machines.filter((m) => m.id !== ctx.machineId && m.state === 'running' && now - m.lastSeen < 2 * ctx.leaseMs);
    const merger = others.length === 0 && (await queue.claim('merge'));
    return { merger, final };
  } catch (err) {
    throw lostQueue(err, ctx);
  }
}

/**
 * A machine whose Playwright processes keep running no test leaves the run
 * (its groups went back to the queue for the others): the error it exits with.
 */
async function abandon(ctx) {
  try {
    await ctx.queue.leave();
  } catch {}
  return codedError(
    'task',
    `this machine stopped pulling: its Playwright processes ran no test in 2 batches in a row, and its groups went back to the queue for the other machines of run ${ctx.o.runId}:\n    ${String(ctx.tripped).split('\n').join('\n    ')}`,
    { exitCode: 2 },
  );
}

module.exports = { seedAndJoin, renderer, finishRun, abandon };
