'use strict';
// Queue mode against static shards, on a real suite's real estimate error.
//
// The suite: onegov-cloud's 509 test files, run as they took at commit
// 82c3f9e (bench/fixtures/onegov-cloud.json); the plan only knows their
// durations at commit 57c07b7, a month earlier
// (bench/fixtures/onegov-cloud-57c07b798c.json) — the estimate error of a
// real history. Three CI machines, one of them 2× slower (nobody knows which
// in advance); then three equal ones. Every group really sleeps its
// duration, scaled down, and each
// Playwright start costs a fixed (scaled) time — once per batch in queue
// mode, once per machine for static shards:
//
// - queue mode: a real redis-server; each machine is an async loop with its
//   own connection pulling batches and completing their groups at the end
//   of each (WorkQueue on Redis, as `shardwright run --queue` does);
// - static duration shards: planShards() on the estimates, one shard each;
// - Playwright's count split: the `playwright` strategy (its --shard).
//
// Printed as makespan ÷ the lower bound max(total ÷ the machines' summed
// speed, longest group on the fastest machine).

const fs = require('node:fs');
const path = require('node:path');
const { planShards, applyHistory } = require('../js/index.js');
const { WorkQueue } = require('../js/native.js');
const { fileGroups } = require('./shard.js');
const { table } = require('./util.js');
const { PULL_SPREAD } = require('../js/run/index.js'); // batch sizes as `shardwright run` pulls

const FIXTURES = path.join(__dirname, 'fixtures');
const STARTUP_MS = 2000; // one Playwright start (browser, web server), real time
const TARGET_LOWER_BOUND_MS = Number(process.env.BENCH_QUEUE_MS || 6000); // the scaled lower bound

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * A machine's clock for simulated work: sleeps `ms` × its slowness, paying
 * back the timers' overshoot on later sleeps so hundreds of tiny groups do
 * not add up to timer noise (time spent outside sleeps, e.g. on the queue,
 * still counts).
 */
function worker(speed) {
  let debt = 0;
  return async (ms) => {
    const want = ms / speed - debt;
    if (want <= 0) {
      debt = -want;
      return;
    }
    const t0 = performance.now();
    await sleep(want);
    debt = performance.now() - t0 - want;
  };
}

function load() {
  const actual = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'onegov-cloud.json'), 'utf8'));
  const earlier = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'onegov-cloud-57c07b798c.json'), 'utf8'));
  const groups = fileGroups(actual); // Playwright's file order; durationMs = the real one
  const real = new Map(groups.map((g) => [g.id, g.durationMs]));
  // The plan's view: per-test estimates from the earlier commit (median for
  // tests it did not have yet), as the reporter folds the history in.
  const estimates = new Map(earlier.map((t) => [t.id, t.duration_ms]));
  const planned = groups.map(({ id, file, tests }) => ({ id, file, tests }));
  applyHistory(planned, estimates);
  const known = [...estimates.values()].sort((a, b) => a - b);
  const median = known[known.length >> 1];
  for (const g of planned) if (!Number.isFinite(g.durationMs)) g.durationMs = g.tests.length * median;
  let err = 0;
  let total = 0;
  for (const g of planned) {
    err += Math.abs(g.durationMs - real.get(g.id));
    total += real.get(g.id);
  }
  return { planned, real, total, estimateError: err / total, newFiles: planned.filter((g) => !g.tests.some((t) => estimates.has(t))).length };
}

async function staticRun(plan, real, scale, speeds) {
  const t0 = performance.now();
  const ends = await Promise.all(
    plan.shards.map(async (shard, m) => {
      const work = worker(speeds[m]);
      await work(STARTUP_MS * scale);
      for (const id of shard.groups) await work(real.get(id) * scale);
      return performance.now() - t0;
    }),
  );
  return { makespan: Math.max(...ends), starts: speeds.length };
}

async function queueRun(url, planned, real, scale, speeds) {
  const runId = `bench-${process.pid}-${Date.now()}`;
  const queues = await Promise.all(speeds.map(() => WorkQueue.connect(url, runId)));
  // The machines arrive together; one of them seeds, all join.
  await Promise.all(
    queues.map((q) =>
      q.seed(
        planned.map((g) => ({ id: g.id, expectedMs: g.durationMs, payload: '' })),
        'bench',
      ),
    ),
  );
  await Promise.all(queues.map((q, m) => q.join({ id: `machine-${m + 1}`, slots: 1, host: 'bench' }, 60_000, 20_000)));
  const t0 = performance.now();
  let starts = 0;
  const ends = await Promise.all(
    queues.map(async (q, m) => {
      const work = worker(speeds[m]);
      for (;;) {
        const batch = await q.pull({ spread: PULL_SPREAD });
        if (!batch.length) {
          if ((await q.status()).complete) break;
          await sleep(5);
          continue;
        }
        starts++;
        await work(STARTUP_MS * scale);
        // One Playwright process runs the batch; its groups complete when it ends.
        for (const g of batch) await work(real.get(g.id) * scale);
        await Promise.all(batch.map((g) => q.complete(g.id, { status: 'passed', durationMs: real.get(g.id) })));
      }
      return performance.now() - t0;
    }),
  );
  const status = await queues[0].status();
  for (const q of queues) await q.leave();
  if (status.done !== planned.length) throw new Error(`queue run incomplete: ${status.done} of ${planned.length}`);
  return { makespan: Math.max(...ends), starts };
}

/** A static plan's makespan from the real durations alone, the machines' speeds in every order. */
function staticRange(plan, real, speeds) {
  const loads = plan.shards.map((s) => s.groups.reduce((a, id) => a + real.get(id), 0) + STARTUP_MS);
  const spans = loads.map((_, slow) => Math.max(...loads.map((l, i) => l / speeds[(i + slow) % speeds.length])));
  return [Math.min(...spans), Math.max(...spans)];
}

const SCENARIOS = [
  ['3 machines, machine 3 2× slower', [1, 1, 0.5]],
  ['3 equal machines', [1, 1, 1]],
];

async function main() {
  const { planned, real, total, estimateError, newFiles } = load();
  const longest = Math.max(...real.values());
  let redis;
  try {
    redis = await require('../__tests__/redis-helpers.js').startRedis();
  } catch (err) {
    console.log(`\n### Queue mode\n\nskipped: no redis-server (${err.message.split('\n')[0]})`);
    return null;
  }
  const rows = [];
  const results = [];
  try {
    const duration = planShards(planned, { shards: 3 });
    const count = planShards(planned, { shards: 3, strategy: 'playwright' });
    for (const [scenario, speeds] of SCENARIOS) {
      const speedSum = speeds.reduce((a, b) => a + b, 0);
      const lowerBound = Math.max(total / speedSum, longest);
      const scale = TARGET_LOWER_BOUND_MS / lowerBound;
      const modes = [
        ['queue mode (Redis)', () => queueRun(redis.url, planned, real, scale, speeds), null],
        ['static duration shards', () => staticRun(duration, real, scale, speeds), duration],
        ["Playwright's count split", () => staticRun(count, real, scale, speeds), count],
      ];
      const ratios = [];
      for (const [name, fn, plan] of modes) {
        const { makespan, starts } = await fn();
        const ratio = makespan / (lowerBound * scale);
        ratios.push(ratio);
        const range = plan
          ? staticRange(plan, real, speeds)
              .map((x) => (x / lowerBound).toFixed(2))
              .join('–')
          : '—';
        rows.push([
          rows.length % 3 ? '' : `${scenario} (lower bound ${(lowerBound / 60000).toFixed(1)} min)`,
          name,
          `${(makespan / scale / 60000).toFixed(1)} min`,
          `**${ratio.toFixed(3)}**`,
          `+${((ratio - 1) * 100).toFixed(1)}%`,
          range,
          starts,
        ]);
      }
      results.push({ scenario, queue: ratios[0], duration: ratios[1], playwright: ratios[2] });
    }
  } finally {
    await redis.stop();
  }
  table(
    `Queue mode vs static shards, makespan ÷ lower bound: onegov-cloud (509 files, ${(total / 60000).toFixed(0)} min of tests); plans from a month-old commit's durations (${(estimateError * 100).toFixed(1)}% mean abs error per file, ${newFiles} new files); every group slept, scaled so the lower bound takes ${TARGET_LOWER_BOUND_MS / 1000} s; ${STARTUP_MS / 1000} s (unscaled) per Playwright start`,
    ['machines', 'mode', 'makespan (unscaled)', 'makespan ÷ lower bound', 'over', 'static: machines in any order', 'Playwright starts'],
    rows,
  );
  console.log(
    `\nLower bound = max(total ÷ the machines' summed speed, longest file ${(longest / 1000).toFixed(0)} s). Static plans run shard i on machine i; the "any order" column is the range over every assignment, from the real durations.`,
  );
  for (const r of results)
    console.log(
      `${r.scenario}: queue mode ${r.queue.toFixed(3)}, static duration shards ${r.duration.toFixed(3)}, Playwright's split ${r.playwright.toFixed(3)} — queue mode's makespan is ${(r.queue / r.duration).toFixed(2)}× the static shards' and ${(r.queue / r.playwright).toFixed(2)}× Playwright's.`,
    );
  return { rows, results };
}

module.exports = { main };
if (require.main === module) main();
