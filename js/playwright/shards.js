'use strict';
// What the reporter keeps about a sharded run, so that every test runs
// exactly once across its shards, or a step fails naming the tests:
//
// - the plan: a plan file the user gives (`plan` option, SHARDWRIGHT_PLAN),
//   else the plan an earlier shard of this run kept in this folder, else a
//   fresh one (kept for the run's other shards until the last one ran);
// - the shard record: `<reportDir>/shard-i-of-n.json` (for `shardwright
//   merge`) and `config.metadata.shardwright` (it travels inside a blob
//   report, for the reporter inside `playwright merge-reports`);
// - the check: the last shard of a run in this folder checks the run's
//   records; any missing or duplicated test fails it.

const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const { codedError } = require('../errors.js');
const { writeAtomic } = require('../api/record.js');
const { checkShardCoverage } = require('../api/shard.js');

/** The metadata key of the shard record (read back by the merge reporter). */
const METADATA_KEY = 'shardwright';

/** Everything but the history is output or scratch: safe to ignore. */
function ensureReportDir(dir) {
  fs.mkdirSync(dir, { recursive: true });
  const ignore = path.join(dir, '.gitignore');
  if (!fs.existsSync(ignore)) {
    fs.writeFileSync(ignore, '# shardwright output and scratch files: safe to ignore (keep only the history file)\n*\n');
  }
}

function plansDir(reportDir) {
  return path.join(reportDir, '.plans');
}

function cachePath(reportDir, total) {
  return path.join(plansDir(reportDir), `plan-of-${total}.json`);
}

/**
 * The plan inputs for the engine: `{ planFile, planFileSource, cachedPlan }`.
 * An explicit plan file that cannot be read stops the run.
 */
function planInputs(values, reportDir, total) {
  const out = {};
  if (values.plan) {
    const file = path.resolve(values.plan);
    try {
      out.planFile = fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw codedError(
        'config',
        `invalid plan: ${JSON.stringify(values.plan)} (a readable plan file from \`shardwright plan --out\`: ${err.code || err.message})`,
      );
    }
    out.planFileSource = values.plan;
    return out;
  }
  const cached = cachePath(reportDir, total);
  if (fs.existsSync(cached)) out.cachedPlan = fs.readFileSync(cached, 'utf8');
  return out;
}

/** Keeps a fresh plan for the run's other shards in this folder. */
function keepPlan(reportDir, total, shard) {
  if (shard.source === 'history' || shard.source === 'no-history') {
    ensureReportDir(reportDir);
    writeAtomic(cachePath(reportDir, total), shard.planFile);
  }
}

const pack = (list) => zlib.deflateRawSync(Buffer.from(JSON.stringify(list))).toString('base64');
const unpack = (text) => JSON.parse(zlib.inflateRawSync(Buffer.from(text, 'base64')).toString('utf8'));

/** The record that rides in `config.metadata` (the suite's keys packed). */
function metadataRecord(index, total, shard) {
  return {
    v: 1,
    index,
    total,
    runId: shard.runId,
    fingerprint: shard.fingerprint,
    suiteFingerprint: shard.suiteFingerprint,
    historyFingerprint: shard.historyFingerprint ?? null,
    source: shard.source,
    predictedMs: shard.predictedMs ?? null,
    serialMs: shard.serialMs ?? null,
    suite: pack(shard.suite),
  };
}

/** A metadata record read back (null when absent or unreadable). */
function readMetadataRecord(metadata) {
  const r = metadata?.[METADATA_KEY];
  if (r?.v !== 1 || typeof r.suite !== 'string') return null;
  try {
    return { ...r, suite: unpack(r.suite) };
  } catch {
    return null;
  }
}

/**
 * This shard's groups from the plan it followed, in the plan's order, with
 * their expected time: the HTML report's shard timeline (planned beside
 * taken). `[]` when the plan cannot be read.
 */
function planGroups(planFile, index) {
  try {
    return JSON.parse(planFile)
      .groups.filter((g) => g.shard === index)
      .map((g) => ({ id: g.id, expectedMs: g.expectedMs ?? null, tests: g.tests }));
  } catch {
    return [];
  }
}

/** The median time from the run's start to each worker's first test (ms). */
function workerStartMs(firstStarts, runStartedAt) {
  const lags = [...firstStarts.values()]
    .map((t) => t - runStartedAt)
    .filter((ms) => ms >= 0)
    .sort((a, b) => a - b);
  if (!lags.length) return undefined;
  return lags[lags.length >> 1];
}

/** Predicted against actual, for the end of a shard. */
function predictionLine(record) {
  const { formatMs } = require('../api/flaky-format.js');
  if (!record.predictedMs) return `shard ${record.index}/${record.total} took ${formatMs(record.actualMs)}`;
  const error = ((record.actualMs - record.predictedMs) / record.predictedMs) * 100;
  const serial = record.serialMs ? `; the serial sum was ${formatMs(record.serialMs)}` : '';
  return `shard ${record.index}/${record.total} took ${formatMs(record.actualMs)} (predicted ${formatMs(record.predictedMs)} on ${record.workers} worker${record.workers === 1 ? '' : 's'}, error ${error >= 0 ? '+' : ''}${error.toFixed(0)}%${serial})`;
}

/**
 * Writes this shard's record; when every shard of the run has one in this
 * folder, checks them: returns `{ lines, ok }` (ok false: a test missing or
 * duplicated, named in the lines).
 */
function finishShard(reportDir, record) {
  ensureReportDir(reportDir);
  writeAtomic(path.join(reportDir, `shard-${record.index}-of-${record.total}.json`), `${JSON.stringify(record, null, 2)}\n`);
  const records = [];
  for (let i = 1; i <= record.total; i++) {
    const file = path.join(reportDir, `shard-${i}-of-${record.total}.json`);
    try {
      const r = JSON.parse(fs.readFileSync(file, 'utf8'));
      if (r.runId === record.runId) records.push(r);
    } catch {
      // Not there yet (or not this run's): the run is not complete here.
    }
  }
  if (records.length < record.total) return { lines: [], ok: true, complete: false };
  // The run's last shard in this folder: its plan is spent.
  fs.rmSync(cachePath(reportDir, record.total), { force: true });
  const suite = [...new Set(records.flatMap((r) => r.suite))].sort();
  const coverage = checkShardCoverage(
    suite,
    records.map((r) => ({ index: r.index, fingerprint: r.fingerprint, tests: r.ran })),
    record.total,
  );
  return { lines: [`all ${record.total} shards of run ${record.runId} ran here: ${coverage.report.trimEnd()}`], ok: coverage.ok, complete: true };
}

module.exports = {
  METADATA_KEY,
  ensureReportDir,
  planInputs,
  keepPlan,
  metadataRecord,
  readMetadataRecord,
  planGroups,
  workerStartMs,
  predictionLine,
  finishShard,
};
