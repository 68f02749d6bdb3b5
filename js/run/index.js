'use strict';
// `shardwright run`: the suite as N local Playwright processes that pull
// test groups, longest first, from a work queue — in-process, or shared on
// Redis by every CI machine of a run (queue mode) — so they all finish
// together.
//
//   prepare.js   list once (<command> --list --reporter=json), the engine
//                keys, groups and estimates the suite (one call)
//   index.js     connect, seed (once per run), N slots pulling batches
//   batch.js     a batch: <command> --test-list … --reporter=json, its
//                results read back by the engine, groups completed
//   finish.js    one history run of every completed group + the flaky
//                report (as the reporter does), what failed, the exit code
//   queue-run.js what goes through the queue

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { WorkQueue } = require('../native.js');
const { codedError } = require('../errors.js');
const { WorkerManager } = require('../api/pool.js');
const { resolveConfig, recommendWorkers } = require('../api/config.js');
const { formatMs } = require('../api/flaky-format.js');
const { prepare } = require('./prepare.js');
const { batchRunner } = require('./batch.js');
const { record, conclude, lostQueue } = require('./finish.js');
const { Progress, plural } = require('./progress.js');

// How much one pull takes: about the remaining work ÷ (all slots × spread).
// Each batch is a Playwright start (browser, web server: seconds), so fewer,
// larger batches than the engine's default (3) finish earlier; measured in
// bench/queue.js.
const PULL_SPREAD = 2;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Queue mode: Redis first, so an unreachable server stops the run before anything is listed. */
async function connect(o, say) {
  if (!o.queue) return { queue: WorkQueue.local(), shared: false };
  const connectOptions = { tlsCa: o.tlsCa };
  if (o.reconnectRetries !== undefined) connectOptions.reconnectRetries = o.reconnectRetries;
  try {
    return { queue: await WorkQueue.connect(o.queue, o.runId, connectOptions), shared: true };
  } catch (err) {
    if (err.code !== 'ERR_SHARDWRIGHT_QUEUE') throw err;
    if (o.fallback !== 'local')
      throw codedError('queue', `${err.message}\n  no test was run (with --fallback local this machine runs the whole suite alone instead)`, { exitCode: 2 });
    say(`${err.message}\n  running the whole suite on this machine (--fallback local)`);
    return { queue: WorkQueue.local(), shared: false };
  }
}

/** Seeds the run (or joins it) and registers this machine; returns the group total. */
async function seedAndJoin(ctx, prepared) {
  const { o, queue, shared, workers, machineId, leaseMs } = ctx;
  const say = (line) => ctx.progress.say(line);
  try {
    const seeded = await queue.seed(prepared.queued, prepared.fingerprint);
    if (shared && !seeded) {
      const s = await queue.status();
      if (s.fingerprint && s.fingerprint !== prepared.fingerprint) {
        say(
          `this machine lists a different suite than the machine that seeded run ${o.runId} (fingerprint ${prepared.fingerprint.slice(0, 12)} ≠ ${s.fingerprint.slice(0, 12)}): it runs the seeded groups; tests it does not have fail as not run`,
        );
      }
    }
    await queue.join({ id: machineId, slots: workers, host: os.hostname() }, leaseMs, Math.max(50, Math.floor(leaseMs / 3)));
    const total = shared ? (await queue.status()).total : prepared.queued.length;
    say(
      shared
        ? `${seeded ? 'seeded' : 'joined'} run ${o.runId} on ${queue.target}: ${plural(total, 'group')} · this machine ${machineId}, ${plural(workers, 'Playwright process', 'Playwright processes')}`
        : `${plural(prepared.testCount, 'test')} in ${plural(total, 'group')} · ${plural(workers, 'Playwright process', 'Playwright processes')}${prepared.expected}`,
    );
  } catch (err) {
    throw codedError('queue', `${err.message}\n  no test was run`, { exitCode: 2, ...(err.code ? { code: err.code } : {}) });
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

/** A slot: pulls and runs batches until the queue is done or the run stops. */
async function slot(ctx, runBatch) {
  const pollMs = Math.min(1000, Math.max(100, Math.floor(ctx.leaseMs / 2)));
  while (!ctx.stopping) {
    try {
      const batch = await ctx.queue.pull({ leaseMs: ctx.leaseMs, spread: PULL_SPREAD });
      if (batch.length) {
        await runBatch(batch);
        continue;
      }
      if (!ctx.shared) return;
      // Nothing pending now: done when no lease is open either; a dead
      // machine's leases come back when they expire.
      if ((await ctx.queue.status()).complete) return;
      await sleep(pollMs);
    } catch (err) {
      ctx.stop(err);
    }
  }
}

async function runSuite(o, io) {
  const settings = resolveConfig({}).values;
  if (o.history !== undefined) settings.history = o.history;
  const progress = new Progress(io.stdout);
  const say = (line) => progress.say(line);
  const cwd = process.cwd();
  const { queue, shared } = await connect(o, say);
  const prepared = await prepare(o, settings, cwd, say);
  if (prepared.empty) return prepared.exitCode;

  const workers = o.workers === 'auto' ? recommendWorkers({}) : o.workers;
  const ctx = {
    o,
    io,
    queue,
    shared,
    settings,
    progress,
    cwd,
    workers,
    options: o.history !== undefined ? { history: o.history } : {},
    history: prepared.history,
    byCount: prepared.byCount,
    machineId: `${os.hostname()}-${process.pid}`,
    leaseMs: o.leaseMs ?? 60_000,
    // Where the batches' lists, reports and artifacts go.
    batchDir: path.resolve(settings.reportDir, 'batches'),
    outputBase: prepared.outputDir,
    mine: [], // this machine's completed groups
    batchSeq: 0,
    runningGroups: 0,
    stopping: null, // the error that stops the run (the queue lost), or a signal
    lastStatus: null,
    startedAt: Date.now(),
  };
  fs.rmSync(ctx.batchDir, { recursive: true, force: true });
  fs.mkdirSync(ctx.batchDir, { recursive: true });
  await seedAndJoin(ctx, prepared);

  ctx.manager = new WorkerManager({ maxWorkers: workers, minWorkers: workers, retry: { maxRetries: 0 } });
  ctx.render = renderer(ctx);
  ctx.stop = (err) => {
    if (!ctx.stopping) {
      ctx.stopping = err;
      ctx.manager.cancel(err.message);
    }
  };
  const ticker = progress.tty ? setInterval(ctx.render, 1000) : null;
  const onSignal = (signal) => ctx.stop(Object.assign(new Error(`stopped by ${signal}`), { signal }));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const runBatch = batchRunner(ctx);
  try {
    await Promise.all(Array.from({ length: workers }, () => slot(ctx, runBatch)));
  } finally {
    if (ticker) clearInterval(ticker);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await ctx.manager.shutdown({ deadlineMs: 0 }).catch(() => {});
    progress.clear();
  }
  ctx.endedAt = Date.now();
  return end(ctx);
}

async function end(ctx) {
  const { queue, shared, stopping } = ctx;
  const own = ctx.mine.filter((r) => !r.duplicate);
  if (stopping) {
    queue.stopHeartbeat();
    if (stopping.signal) {
      ctx.progress.say(`stopped by ${stopping.signal}: ${plural(own.length, 'group')} finished on this machine; the others go back to the queue`);
      return stopping.signal === 'SIGINT' ? 130 : 143;
    }
    // Anything but the queue failing mid-run (a file we could not write) is
    // an error of its own.
    if (!(shared && stopping.code === 'ERR_SHARDWRIGHT_QUEUE')) throw Object.assign(stopping, { exitCode: 2 });
    throw lostQueue(stopping, ctx);
  }
  // The end: this machine's record, then — on the last machine to finish —
  // one history run of every completed group.
  let final;
  let merger = !shared;
  try {
    if (shared) {
      const ownFailed = own.filter((r) => r.status === 'failed').length;
      await queue.pushRun(
        JSON.stringify({
          machine: ctx.machineId,
          host: os.hostname(),
          slots: ctx.workers,
          startedAt: ctx.startedAt,
          endedAt: ctx.endedAt,
          groups: own.length,
          failed: ownFailed,
          batches: ctx.batchSeq,
        }),
      );
      await queue.leave();
      final = await queue.status();
      const now = Date.now();
      const others = final.machines.filter((m) => m.id !== ctx.machineId && m.state === 'running' && now - m.lastSeen < 2 * ctx.leaseMs);
      merger = others.length === 0 && (await queue.claim('merge'));
    } else {
      final = await queue.status();
    }
  } catch (err) {
    throw lostQueue(err, ctx);
  }
  const recorded = await record(ctx, { merger, final });
  return conclude(ctx, { final, ...recorded });
}

module.exports = { runSuite, PULL_SPREAD };
