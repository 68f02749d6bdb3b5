'use strict';
// `shardwright run`: the suite from a work queue — in-process, or shared on
// Redis by every CI machine of a run (queue mode) — run by one Playwright
// process at a time per machine, with the machine's workers, so the
// machines finish together.
//
//   prepare.js   the wrapper config, the suite listed once, the engine's
//                groups and estimates, the config's servers and reporters
//   servers.js   the web servers, started once per machine (a keeper
//                process shared by the run processes of the machine)
//   index.js     connect, seed (once per run), the machine's loop
//   batch.js     a batch: one Playwright process, its streamed results,
//                groups completed as they finish
//   report.js    the blob reports merged into the config's reporters
//   finish.js    one history run of every completed group + the flaky
//                report, what failed, the exit code
//   queue-run.js what goes through the queue

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { WorkQueue } = require('../native.js');
const { codedError } = require('../errors.js');
const { WorkerManager } = require('../api/pool.js');
const { resolveConfig, recommendWorkers } = require('../api/config.js');
const { prepare, preparePass } = require('./prepare.js');
const { MachineServers } = require('./servers.js');
const { batchRunner } = require('./batch.js');
const { mergeReport, markRun } = require('./report.js');
const { record, conclude, lostQueue, failRest } = require('./finish.js');
const { seedAndJoin, adopt, renderer, finishRun, abandon } = require('./queue-steps.js');
const { Progress } = require('./progress.js');
const { loadConfiguredHistory } = require('../api/record.js');
const { alive, reap } = require('./server-host.js');
const { writeFlakyKeys } = require('../playwright/retry-keys.js');

const WAITER = path.join(__dirname, 'wait-servers.js');

// In queue mode a pull takes about this machine's share of the remaining
// work ÷ PULL_SPREAD: large batches first (few Playwright start-ups),
// smaller ones toward the end (the machines finish together). Alone, a
// machine takes everything at once: Playwright's own workers then balance
// it, longest group first. Measured in bench/queue.js and bench/run.js.
const PULL_SPREAD = 2;
// A machine whose batches run no test this many times in a row stops.
const BREAKER = 2;

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

// A name's part in a folder name (the host, a run id).
const safe = (s) => String(s).replace(/[^A-Za-z0-9.-]/g, '_');

/** Folders of this host's run processes that are gone (`…-<host>-<pid>`) under `base`, but `keep`. */
function removeStale(base, keep) {
  const host = safe(os.hostname()).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  try {
    for (const name of fs.readdirSync(base)) {
      const m = new RegExp(`-${host}-(\\d+)$`).exec(name);
      if (m && name !== keep && !alive(Number(m[1]))) fs.rmSync(path.join(base, name), { recursive: true, force: true });
    }
  } catch {}
}

/** This machine's folder for its batches' lists, events and blobs (older ones of gone run processes go). */
function privateDir(settings, o, machineId) {
  const base = path.resolve(settings.reportDir, 'runs');
  const me = `${safe(o.runId || 'local')}-${safe(machineId)}`;
  removeStale(base, me);
  const dir = path.join(base, me);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'blobs'), { recursive: true });
  return dir;
}

/** The machine: pulls and runs batches until the queue is done, the run stops or its Playwright keeps failing. */
async function machineLoop(ctx, runBatch, failedBefore = 0) {
  const pollMs = Math.min(1000, Math.max(100, Math.floor(ctx.leaseMs / 2)));
  let failedBatches = failedBefore;
  while (!ctx.stopping) {
    try {
      const batch = await ctx.queue.pull({ leaseMs: ctx.leaseMs, spread: ctx.shared ? PULL_SPREAD : 1, share: ctx.workers, maxGroups: 100_000 });
      if (batch.length) {
        const r = await runBatch(batch);
        if (r.cancelled) continue;
        failedBatches = r.ranTests ? 0 : failedBatches + 1;
        if (failedBatches >= BREAKER) {
          ctx.tripped = r.problem;
          return;
        }
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
  const machineId = `${os.hostname()}-${process.pid}`;
  const { queue, shared } = await connect(o, say);
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
    machineId,
    options: o.history !== undefined ? { history: o.history } : {},
    leaseMs: o.leaseMs ?? 60_000,
    mine: [], // this machine's completed groups
    strikes: new Set(), // groups whose Playwright process died while they ran
    interrupted: [], // attempts of tests that finished in groups a signal cut short
    batchSeq: 0,
    // Groups handed to Playwright whose tests began (the progress line's "running").
    startedGroups: 0,
    stopping: null, // the error that stops the run (the queue lost), or a signal
    tripped: null,
    lastStatus: null,
    startedAt: Date.now(),
    serverEnv: {},
    runConfig: null,
    changed: () => {},
    render: async () => null,
  };
  ctx.stop = (err) => {
    if (ctx.stopping) return;
    ctx.stopping = err;
    if (ctx.manager) ctx.manager.cancel(err.message);
  };
  const onSignal = (signal) => ctx.stop(Object.assign(new Error(`stopped by ${signal}`), { signal }));
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const servers = new MachineServers(ctx);
  ctx.startServers = (runConfig) => servers.want(runConfig);
  ctx.prestartServers = (configFile) => servers.prestart(configFile);
  const serversError = async () => (await servers.settle()).error;
  let ticker = null;
  let removeKeys = null;
  let releasing = null;
  try {
    ctx.privateDir = privateDir(settings, o, machineId);
    ctx.history = loadConfiguredHistory(settings, say, 'this run is not recorded and groups are ordered by test count');
    // shardwright/test's retry decisions in every batch, as the reporter
    // gives them in a plain run (the batches inherit SHARDWRIGHT_FLAKY_KEYS).
    removeKeys = writeFlakyKeys(ctx.history, ctx.options, say);
    ctx.manager = new WorkerManager({ maxWorkers: 1, minWorkers: 1, retry: { maxRetries: 0 }, minAvailableMemoryMb: 0 });
    ctx.render = renderer(ctx);
    ctx.changed = throttle(ctx);
    const runBatch = batchRunner(ctx, (plan) => adopt(ctx, plan));
    let first = null;
    if (shared) {
      const prepared = await prepare(o, settings, ctx);
      const failed = await serversError();
      if (failed) throw failed;
      if (prepared.empty) return prepared.exitCode;
      if (ctx.stopping) return await end(ctx);
      ctx.byCount = prepared.byCount;
      ctx.command = prepared.command;
      ctx.fingerprint = prepared.fingerprint;
      markRun(ctx);
      ctx.outputDir = path.join(prepared.outputDir, 'shardwright', path.basename(ctx.privateDir));
      ctx.rootDir = prepared.rootDir;
      await seedAndJoin(ctx, prepared);
      ticker = progress.tty ? setInterval(ctx.render, 1000) : null;
    } else {
      // Alone: the whole suite in one pass, no listing before.
      const stopWatching = preparePass(o, settings, ctx);
      ticker = progress.tty ? setInterval(ctx.render, 1000) : null;
      first = await runBatch(null).finally(stopWatching);
      const failed = await serversError();
      if (failed) throw failed;
      if (first.unplanned && !ctx.stopping) {
        throw codedError('task', `Playwright ran no test: ${first.problem.split('\n').join('\n  ')}\n  (\`${[...o.command].join(' ')}\`)`, { exitCode: 2 });
      }
      if (ctx.empty !== undefined) return ctx.empty;
    }
    // Queue mode; alone, what a batch that died left.
    await machineLoop(ctx, runBatch, first && !first.ranTests ? 1 : 0);
    if (ticker) clearInterval(ticker);
    await ctx.manager.shutdown({ deadlineMs: 0 }).catch(() => {});
    // No test of this machine runs any more: its web servers stop while the
    // history and reports are written (awaited below), not after.
    releasing = servers.release();
    releasing.catch(() => {}); // awaited below, with its error
    progress.clear();
    ctx.endedAt = Date.now();
    if (ctx.tripped && !ctx.stopping) {
      if (shared) throw await abandon(ctx);
      await failRest(ctx);
    }
    if (!ctx.stopping && ctx.runConfig) await mergeReport(ctx, ctx.runConfig, ctx.rootDir);
    return await end(ctx);
  } finally {
    if (ticker) clearInterval(ticker);
    if (ctx.manager) await ctx.manager.shutdown({ deadlineMs: 0 }).catch(() => {});
    // Web server waiters of a batch killed before it stopped them
    // (js/run/wait-servers.js): Playwright leaves its web servers behind.
    if (ctx.privateDir) await reap([WAITER, ctx.privateDir]);
    await (releasing || servers.release());
    if (ctx.wrapper) ctx.wrapper.release();
    if (removeKeys) removeKeys();
    // Artifacts of earlier run processes of this host (this one's stay).
    for (const d of ctx.runConfig?.outputDirs || []) removeStale(path.join(d, 'shardwright'), path.basename(ctx.privateDir || ''));
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

/** Progress on a terminal, redrawn at most every 200 ms; plain lines otherwise, every 30 s. */
function throttle(ctx) {
  let last = 0;
  return () => {
    const now = Date.now();
    if (now - last < (ctx.progress.tty ? 200 : 30_000)) return;
    last = now;
    ctx.render().then((s) => {
      if (!ctx.progress.tty && s) ctx.progress.say(ctx.progress.text);
    });
  };
}

async function end(ctx) {
  const { queue, shared, stopping } = ctx;
  ctx.endedAt = ctx.endedAt || Date.now();
  if (stopping) {
    queue.stopHeartbeat();
    const own = ctx.mine.filter((r) => !r.duplicate);
    if (stopping.signal) {
      ctx.progress.clear();
      if (shared) await queue.leave().catch(() => {});
      const finished = own.length + ctx.interrupted.length;
      const recorded = finished && !shared ? await record(ctx, { merger: true, final: await queue.status(), partial: true }).catch(() => null) : null;
      ctx.progress.say(
        `stopped by ${stopping.signal}: ${own.length} group${own.length === 1 ? '' : 's'} finished on this machine${recorded ? ', recorded with the tests that finished in the others' : ''}; ${shared ? 'the others go back to the queue' : 'the others did not run'}`,
      );
      return stopping.signal === 'SIGINT' ? 130 : 143;
    }
    // Anything but the queue failing mid-run (a file we could not write) is
    // an error of its own.
    if (!(shared && stopping.code === 'ERR_SHARDWRIGHT_QUEUE')) throw Object.assign(stopping, { exitCode: 2 });
    throw lostQueue(stopping, ctx);
  }
  const { merger, final } = await finishRun(ctx);
  // The last machine: the config's reporters again, with every machine's part found here.
  if (shared && merger && ctx.runConfig) await mergeReport(ctx, ctx.runConfig, ctx.rootDir, { whole: true });
  const recorded = await record(ctx, { merger, final });
  return conclude(ctx, { final, ...recorded });
}

module.exports = { runSuite, PULL_SPREAD };
