'use strict';
// WorkerManager against p-queue: 100,000 no-op async JS tasks, the same
// concurrency and the same four priority levels, in one run. Throughput is
// tasks per second from the first submission to the last result; latency is
// per task, from its submission to its promise resolving (p50, p99).

const { WorkerManager } = require('../js/index.js');
const { table } = require('./util.js');

const TASKS = 100_000;
const RUNS = 5;
const LEVELS = ['critical', 'high', 'normal', 'low'];
// p-queue runs higher numbers first.
const PQ_PRIORITY = { critical: 3, high: 2, normal: 1, low: 0 };

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Submits TASKS tasks through `add(i, level)` (returns a promise) and measures. */
async function measure(add) {
  const submitted = new Float64Array(TASKS);
  const latency = new Float64Array(TASKS);
  const all = new Array(TASKS);
  const t0 = performance.now();
  for (let i = 0; i < TASKS; i++) {
    submitted[i] = performance.now();
    all[i] = add(i, LEVELS[i & 3]).then(() => {
      latency[i] = performance.now() - submitted[i];
    });
  }
  await Promise.all(all);
  const ms = performance.now() - t0;
  latency.sort();
  return { ms, p50: percentile(latency, 50), p99: percentile(latency, 99) };
}

/**
 * Runs each contender once per round, in turn, so a change in the machine's
 * load (other processes) hits them alike; one warm-up round first. Returns
 * each contender's median run (by time).
 */
async function rounds(contenders) {
  const runs = contenders.map(() => []);
  for (let round = 0; round <= RUNS; round++) {
    for (let c = 0; c < contenders.length; c++) {
      const r = await contenders[c]();
      if (round > 0) runs[c].push(r);
    }
  }
  return runs.map((list) => {
    list.sort((a, b) => a.ms - b.ms);
    return list[Math.floor(list.length / 2)];
  });
}

/** Counts the manager's crossings of the napi boundary during one run. */
function counted(m) {
  const core = m._core;
  const counts = { calls: 0 };
  for (const name of ['submit', 'complete', 'take']) {
    const f = core[name].bind(core);
    core[name] = (...args) => {
      counts.calls++;
      return f(...args);
    };
  }
  return counts;
}

async function main() {
  const { default: PQueue } = await import('p-queue');
  const noop = async () => {};
  const rows = [];
  const crossings = {};
  for (const concurrency of [4, 16]) {
    const options = { minWorkers: concurrency, maxWorkers: concurrency, minAvailableMemoryMb: 0 };
    const [pq, submit, batch, unbatched] = await rounds([
      () => {
        const q = new PQueue({ concurrency });
        return measure((i, level) => q.add(noop, { priority: PQ_PRIORITY[level] }));
      },
      async () => {
        const m = new WorkerManager(options);
        const counts = counted(m);
        const r = await measure((i, priority) => m.submit({ fn: noop, priority }));
        crossings[`submit-${concurrency}`] = counts.calls;
        return r;
      },
      async () => {
        const m = new WorkerManager(options);
        const counts = counted(m);
        const tasks = new Array(TASKS);
        for (let i = 0; i < TASKS; i++) tasks[i] = { fn: noop, priority: LEVELS[i & 3] };
        const t0 = performance.now();
        const submittedAt = performance.timeOrigin + t0;
        const results = await m.run(tasks);
        const ms = performance.now() - t0;
        crossings[`run-${concurrency}`] = counts.calls;
        // run() resolves once for the whole batch: a task's latency here is
        // from the batch's submission to the task's end (engine clock).
        const lat = Float64Array.from(results, (r) => r.startedAt + r.durationMs - submittedAt);
        lat.sort();
        return { ms, p50: percentile(lat, 50), p99: percentile(lat, 99) };
      },
      // For comparison, batching turned off: every submission and every end
      // of a task crosses the boundary on its own.
      async () => {
        const m = new WorkerManager(options);
        const counts = counted(m);
        m._scheduleFlush = () => m._flushDone();
        const r = await measure((i, priority) => {
          const p = m.submit({ fn: noop, priority });
          m._flushSubmissions();
          return p;
        });
        crossings[`unbatched-${concurrency}`] = counts.calls;
        return r;
      },
    ]);
    const tput = (r) => Math.round(TASKS / (r.ms / 1000));
    const row = (name, r, calls) => [
      `${name}`,
      String(concurrency),
      `${tput(r).toLocaleString('en-US')}/s`,
      `${r.p50.toFixed(0)} ms`,
      `${r.p99.toFixed(0)} ms`,
      `${(tput(r) / tput(pq)).toFixed(2)}×`,
      calls === undefined ? '—' : (calls / TASKS).toFixed(3),
    ];
    rows.push(row('p-queue `add()`', pq));
    rows.push(row('WorkerManager `submit()`', submit, crossings[`submit-${concurrency}`]));
    rows.push(row('WorkerManager `run(tasks)`', batch, crossings[`run-${concurrency}`]));
    rows.push(row('WorkerManager `submit()`, batching off', unbatched, crossings[`unbatched-${concurrency}`]));
  }
  table(
    `WorkerManager vs p-queue: ${TASKS.toLocaleString('en-US')} no-op JS tasks, 4 priority levels (median of ${RUNS} runs)`,
    ['implementation', 'concurrency', 'throughput', 'latency p50', 'latency p99', 'throughput vs p-queue', 'napi calls per task'],
    rows,
  );
  return rows;
}

module.exports = { main };
if (require.main === module) main();
