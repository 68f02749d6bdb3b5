'use strict';
// The queue side of a `shardwright run` machine: seeding or joining the run
// (a finished run is an error, unless --rerun), or — a machine alone —
// queueing the suite its batch planned; the progress line from the queue's
// status; and leaving — as the last machine, claiming the merge.

const os = require('node:os');
const path = require('node:path');
const { codedError } = require('../errors.js');
const { formatMs } = require('../api/flaky-format.js');
const { lostQueue } = require('./finish.js');
const { groupPayload } = require('./queue-run.js');
const { plural, shown } = require('./progress.js');

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
    if (!s.seeded) return null;
    const slots = ctx.shared ? s.machines.filter((m) => m.state === 'running').reduce((a, m) => a + m.slots, 0) || ctx.workers : ctx.workers;
    const left = ctx.byCount ? `${plural(s.pending + s.leased.length, 'group')} left` : `about ${formatMs(s.remainingMs / slots)} left`;
    ctx.progress.show(
      `${s.done}/${s.total} groups done · ${ctx.startedGroups} running${ctx.shared ? ` here (${s.leased.length} in the run)` : ''} · ${s.failed} failed · ${left}`,
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

/**
 * A machine alone: the suite its batch planned (js/run/batch-reporter.js)
 * goes into the in-process queue, and the batch takes all of it.
 */
async function adopt(ctx, plan) {
  const { queue, progress, settings } = ctx;
  const say = (line) => progress.say(line);
  if (plan.quarantined?.length) {
    say(`skipping ${plural(plan.quarantined.length, 'quarantined test')} (quarantineMode: skip):\n${plan.quarantined.map((k) => `  - ${k}`).join('\n')}`);
  }
  if (plan.byCount && ctx.history)
    say(`no history yet for these tests: groups are ordered by test count (${shown(path.resolve(settings.history))} learns their durations from this run)`);
  ctx.byCount = plan.byCount;
  if (!plan.groups.length) {
    say(plan.quarantined?.length ? 'every test is quarantined: nothing to run' : `no tests found by \`${ctx.o.command.join(' ')}\``);
    ctx.empty = plan.quarantined?.length ? 0 : 1;
  }
  const queued = plan.groups.map((g) => ({ id: g.id, expectedMs: g.expectedMs, payload: groupPayload(g.tests, g.lines, g.project, g.file) }));
  await queue.seed(queued, plan.fingerprint);
  await queue.join({ id: ctx.machineId, slots: ctx.workers, host: os.hostname() }, ctx.leaseMs, Math.max(50, Math.floor(ctx.leaseMs / 3)));
  const expected = plan.byCount ? '' : `, ${formatMs(queued.reduce((a, g) => a + g.expectedMs, 0))} expected in all`;
  say(`${plural(plan.tests, 'test')} in ${plural(queued.length, 'group')} · ${plural(ctx.workers, 'worker')}${expected}`);
  // All of it (a pull stops at its expected-time target: groups expected
  // to take no time could stay behind).
  const all = [];
  for (;;) {
    const batch = await queue.pull({ leaseMs: ctx.leaseMs, spread: 1, share: ctx.workers, maxGroups: 100_000 });
    if (!batch.length) return all;
    all.push(...batch);
  }
}

module.exports = { seedAndJoin, adopt, renderer, finishRun, abandon };
