'use strict';
// `shardwright merge <files or dirs…>`: one history from the histories of
// several CI shards (downloaded artifacts), no run duplicated; with the
// reporter's shard records (`shard-<i>-of-<n>.json`) among the inputs, the
// check that every test ran exactly once. `shardwright merge --queue URL
// --run-id ID`: the merged history and flaky report of a queue-mode run.

const fs = require('node:fs');
const path = require('node:path');
const { usageError } = require('./flags.js');
const { History, defaultHistoryPath } = require('../api/history.js');
const { checkShardCoverage } = require('../api/shard.js');
const { WorkQueue } = require('../native.js');
const { resolveConfig } = require('../api/config.js');
const { codedError, configError } = require('../errors.js');
const { runIdFrom } = require('./flags.js');
const { recordRun, writeReport } = require('../api/record.js');
const { queueRun } = require('../run/queue-run.js');
const { flakySummary } = require('../api/flaky-format.js');

// What the reporter writes per shard (js/reporter.js onEnd).
const SHARD_RECORD = /^shard-(\d+)-of-(\d+)\.json$/;

const HEAD = '{"format":"shardwright-history"';

/** Whether a file starts like a shardwright history (cheap: 32 bytes). */
function looksLikeHistory(file) {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(HEAD.length);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    return buf.toString('utf8', 0, n) === HEAD;
  } finally {
    fs.closeSync(fd);
  }
}

/** A shard record of the reporter, or null when `file` is not one. */
function readShardRecord(file) {
  if (!SHARD_RECORD.test(path.basename(file))) return null;
  let r;
  try {
    r = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
  if (!r || !Number.isInteger(r.index) || !Number.isInteger(r.total) || !Array.isArray(r.ran) || !Array.isArray(r.suite)) return null;
  return { file, ...r };
}

/**
 * The history files named or found (recursively, `*.json`) in directories,
 * and the shard records (`shard-<i>-of-<n>.json`) among them.
 */
function collect(inputs) {
  const files = [];
  const skipped = [];
  const shards = [];
  const named = new Set();
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile() && entry.name.endsWith('.json')) {
        const record = readShardRecord(p);
        if (record) shards.push(record);
        else (looksLikeHistory(p) ? files : skipped).push(p);
      }
    }
  };
  for (const input of inputs) {
    let stat;
    try {
      stat = fs.statSync(input);
    } catch {
      throw usageError(`no such file or directory: ${input}`);
    }
    if (stat.isDirectory()) walk(input);
    else {
      const record = readShardRecord(input);
      if (record) shards.push(record);
      else {
        files.push(input);
        named.add(input);
      }
    }
  }
  return { files, skipped, shards, named };
}

/**
 * The records grouped by run: one run when each shard index appears once
 * (shards that planned differently are then caught by the check, not
 * split apart), else by the run id of their plan.
 */
function byRun(records) {
  const indexes = records.map((r) => `${r.index}/${r.total}`);
  if (new Set(indexes).size === indexes.length) return new Map(records.length ? [[records[0].runId ?? '(no run id)', records]] : []);
  const runs = new Map();
  for (const r of records) {
    const id = r.runId ?? '(no run id)';
    if (!runs.has(id)) runs.set(id, []);
    runs.get(id).push(r);
  }
  return runs;
}

/**
 * The exactly-once check over one run's shard records: the expected tests
 * are the union of the records' suites. `{ coverage, totals }`.
 */
function shardCoverage(records) {
  const expected = [...new Set(records.flatMap((r) => r.suite))].sort();
  const totals = [...new Set(records.map((r) => r.total))].sort((a, b) => a - b);
  const coverage = checkShardCoverage(
    expected,
    records.map((r) => ({ index: r.index, fingerprint: String(r.fingerprint ?? ''), tests: r.ran })),
    totals.length === 1 ? totals[0] : undefined,
  );
  return { coverage, totals };
}

/**
 * Merges `inputs` (history files or directories holding them) into `out`.
 * Returns what each input added.
 */
function mergeHistories(inputs, out, { reset = false } = {}) {
  const { files, skipped, shards, named } = collect(inputs);
  if (!files.length) return { target: null, added: [], skipped, files, shards };
  const target = History.load(out, { reset });
  const outAbs = path.resolve(out);
  const added = [];
  const unusable = [];
  for (const file of files) {
    if (path.resolve(file) === outAbs) continue;
    let other;
    try {
      other = History.load(file);
    } catch (err) {
      // A file named on the command line must merge, or nothing is written.
      // One found in a directory (one machine's broken cache among the
      // artifacts) must not stop the merge of the others, nor the check: it
      // is named, left as it is, and fails the merge.
      if (err.code !== 'ERR_SHARDWRIGHT_HISTORY' || named.has(file)) throw err;
      unusable.push({ file, problem: err.message });
      continue;
    }
    added.push({ file, ...target.merge(other) });
  }
  return { target, added, skipped, unusable, files, shards };
}

/** `merge --queue`: the run's history run and flaky report, from Redis. */
async function mergeQueue(values, positionals, io) {
  if (positionals.length) throw usageError(`unexpected argument ${JSON.stringify(positionals[0])} (with --queue, merge reads the run from Redis)`);
  const runId = runIdFrom(values);
  const tlsCa = values['tls-ca'] !== undefined ? fs.readFileSync(values['tls-ca'], 'utf8') : undefined;
  const queue = await WorkQueue.connect(values.queue, runId, { tlsCa, reconnectRetries: 2 });
  const status = await queue.status();
  if (!status.seeded) {
    throw codedError('queue', `run ${JSON.stringify(runId)} is not on ${queue.target}: no machine seeded it, or its keys expired`);
  }
  const { run, groups, failedGroups, machineIds } = queueRun(runId, await queue.results(), await queue.runs());
  const settings = { ...resolveConfig({}).values };
  if (values.out !== undefined) settings.history = values.out;
  const history = History.load(settings.history, { maxRuns: settings.historyRuns, reset: Boolean(values.reset) });
  if (history.recovered)
    io.stderr.write(
      `shardwright merge: ${settings.history} was unusable (${history.recovered.problem}); kept as ${history.recovered.backup}, starting afresh\n`,
    );
  const { added, saved, report } = recordRun(history, run, settings, values.out !== undefined ? { history: values.out } : {});
  io.stdout.write(
    `run ${runId} on ${queue.target}: ${groups} of ${status.total} groups done (${failedGroups} failed) by ${machineIds.length} machine${machineIds.length === 1 ? '' : 's'}\n` +
      `${added.newRun === false ? 'already in' : 'merged into'} ${saved.path}: run ${added.runId}, ${added.tests} tests; flaky report in ${path.resolve(settings.reportDir)}\n`,
  );
  io.stdout.write(flakySummary(report));
  if (!status.complete) {
    io.stderr.write(
      `shardwright merge: run ${runId} is not complete (${status.pending} pending, ${status.leased.length} leased): the history has the ${groups} groups done so far\n`,
    );
    return 1;
  }
  return 0;
}

module.exports = {
  summary: 'merge the histories of several shards into one (no run duplicated)',
  usage: `Usage: shardwright merge <files or dirs…> [--out FILE] [--reset]
       shardwright merge --queue URL [--run-id ID] [--out FILE]

Merges history files — named, or found as *.json histories in the given
directories (e.g. downloaded CI artifacts, one per shard) — into one. Runs are
matched by id, so a run present in several inputs is kept once. The output
file, if it exists, is merged into too.

Shard records (shard-<i>-of-<n>.json, written by the reporter of a run with
--shard) among the inputs are checked: every test of the suite ran on exactly
one shard, and every shard planned from the same inputs (fingerprint). Each
missing or duplicated test is named; the exit code is 1 when the check fails.

With --queue, the run of a queue-mode \`shardwright run\` is read from Redis
and added to the history as one run, and the flaky report is written (the
last machine of the run does this by itself).

Options:
  --out FILE      the merged history (default: $SHARDWRIGHT_HISTORY or
                  .shardwright/history.json)
  --reset         if the output file is unusable, keep it as a backup and
                  start afresh
  --queue URL     the Redis server of a queue-mode run (the password is never
                  printed)
  --run-id ID     that run (default: $SHARDWRIGHT_RUN_ID, or the CI's run id)
  --tls-ca FILE   a CA certificate (PEM) to trust for rediss://
  -h, --help      this help`,
  options: {
    out: { type: 'string' },
    reset: { type: 'boolean' },
    queue: { type: 'string' },
    'run-id': { type: 'string' },
    'tls-ca': { type: 'string' },
  },
  mergeHistories,
  shardCoverage,
  run(values, positionals, io) {
    if (values.out !== undefined && values.out.trim() === '') throw usageError(`invalid --out: ${JSON.stringify(values.out)} (a file path)`);
    if (values.queue !== undefined) return mergeQueue(values, positionals, io);
    for (const flag of ['run-id', 'tls-ca']) if (values[flag] !== undefined) throw configError(`--${flag}`, values[flag], 'only with --queue');
    if (!positionals.length) throw usageError('no history given (usage: shardwright merge <files or dirs…>)');
    const out = values.out ?? defaultHistoryPath();
    const { target, added, skipped, unusable = [], files, shards } = mergeHistories(positionals, out, { reset: Boolean(values.reset) });
    if (!files.length && !shards.length) throw usageError(`no history files found in ${positionals.join(', ')}`);
    let code = 0;
    for (const [runId, records] of byRun(shards)) {
      const { coverage, totals } = shardCoverage(records);
      io.stdout.write(`shard records of run ${runId}: ${records.length} (${records.map((r) => `${r.index}/${r.total}`).join(', ')})\n`);
      if (totals.length > 1) io.stdout.write(`shard records of different totals: ${totals.join(', ')} (from different runs?)\n`);
      io.stdout.write(coverage.report);
      if (!coverage.ok || totals.length > 1) code = 1;
    }
    if (!files.length) return code;
    if (target.recovered)
      io.stderr.write(`shardwright merge: ${out} was unusable (${target.recovered.problem}); kept as ${target.recovered.backup}, starting afresh\n`);
    for (const a of added) {
      io.stdout.write(`merged ${a.file}: ${a.runsAdded} new runs, ${a.runsShared} already present, ${a.attemptsAdded} attempts\n`);
    }
    for (const s of skipped) io.stdout.write(`skipped ${s} (not a shardwright history)\n`);
    for (const u of unusable) {
      io.stderr.write(`shardwright merge: not merged, left as it is: ${u.problem}\n`);
      code = 1;
    }
    const saved = target.save(out);
    io.stdout.write(`saved ${saved.path}: ${saved.runs} runs, ${saved.tests} tests, ${saved.bytes} bytes\n`);
    // The merged flaky report, as the reporter writes it after a run.
    const settings = { ...resolveConfig({}).values, history: out };
    const report = writeReport(target, settings, { history: out });
    io.stdout.write(`flaky report in ${path.resolve(settings.reportDir)}\n${flakySummary(report)}`);
    return code;
  },
};
