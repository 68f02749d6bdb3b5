'use strict';
// Real sharded runs of examples/ with the shardwright reporter: --shard=1/2
// and --shard=2/2, run at the same time as two CI machines would, together
// run every test exactly once, keep the serial suite whole, balance by count
// without history and by expected time with it, and leave shard records that
// prove the coverage.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { runExamples, reportTests, tempDir } = require('./helpers.js');
const { History, checkShardCoverage } = require('../js/index.js');

const dir = tempDir('shardwright-shards-');
const HISTORY = path.join(dir, 'history.json');

function key(t) {
  return ['chromium', t.file, ...t.titlePath].join(' › ');
}

async function bothShards(reportDir, extraEnv = {}) {
  const env = { SHARDWRIGHT_HISTORY: HISTORY, SHARDWRIGHT_REPORT_DIR: reportDir, ...extraEnv };
  // Two machines at once: they share the history file (locked, merged on save).
  return Promise.all([1, 2].map((i) => runExamples({ args: [`--shard=${i}/2`], env })));
}

function ranTests(result) {
  return reportTests(result.report)
    .filter((t) => t.status !== 'skipped')
    .map(key);
}

test('without history: shards balanced by count, every test once, the serial suite whole', async () => {
  const reportDir = path.join(dir, 'first');
  const [a, b] = await bothShards(reportDir);
  for (const r of [a, b]) {
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      /shardwright: shard \d\/2: \d+ of 14 tests, (no usable history: )?split by test count as Playwright's own --shard does; plan [0-9a-f]{12}/,
    );
  }
  const ran = [...ranTests(a), ...ranTests(b)];
  assert.equal(ran.length, 14, ran.join('\n'));
  assert.equal(new Set(ran).size, 14, 'no test ran twice');
  const serial = (r) => ranTests(r).filter((k) => k.includes('checkout flow'));
  assert.ok([serial(a).length, serial(b).length].sort().join() === '0,3', 'the serial suite stayed on one shard');

  const records = [1, 2].map((i) => JSON.parse(fs.readFileSync(path.join(reportDir, `shard-${i}-of-2.json`), 'utf8')));
  assert.equal(records[0].fingerprint, records[1].fingerprint, 'both machines computed the same plan');
  assert.equal(records[0].balancedBy, 'count');
  assert.equal(records[0].runId, records[1].runId, 'one run');
  const coverage = checkShardCoverage(
    records[0].suite,
    records.map((r) => ({ index: r.index, fingerprint: r.fingerprint, tests: r.ran })),
    2,
  );
  assert.equal(coverage.ok, true, coverage.report);
  // Both shards were recorded despite saving at the same moment, as one run.
  const h = History.load(HISTORY);
  assert.equal(h.runCount, 1);
  assert.equal(h.testCount, 14);
});

test('with history: shards balanced by expected time, the prediction recorded beside the real time', async () => {
  const reportDir = path.join(dir, 'second');
  // The history the shards plan from (the first run's times).
  const planned = History.load(HISTORY);
  const [a, b] = await bothShards(reportDir);
  for (const r of [a, b]) {
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      /shardwright: shard \d\/2: \d+ of 14 tests, by duration, expected [\d.]+ (ms|s) on \d+ workers?; plan [0-9a-f]{12}( of this run \(made by an earlier shard\))?, suite [0-9a-f]{12}, history [0-9a-f]{12}/,
    );
    assert.match(
      r.stdout,
      /shardwright: shard \d\/2 took [\d.]+ (ms|s)|\dm \d+s \(predicted [\d.]+ (ms|s) on \d+ workers?, error [+-]\d+%; the serial sum was [\d.]+ (ms|s)\)/,
    );
  }
  const ran = [...ranTests(a), ...ranTests(b)];
  assert.equal(ran.length, 14);
  assert.equal(new Set(ran).size, 14);

  const records = [1, 2].map((i) => JSON.parse(fs.readFileSync(path.join(reportDir, `shard-${i}-of-2.json`), 'utf8')));
  assert.equal(records[0].balancedBy, 'duration');
  assert.equal(records[0].fingerprint, records[1].fingerprint);
  assert.ok(records.every((r) => r.predictedMs > 0 && r.actualMs > 0));
  // Balanced by expected time, from the history the shards planned with:
  // each file is a group; two shards filled longest first differ by at most
  // the largest group (a count split has no such bound). When the slowest
  // file holds most of the time it gets a shard of its own, with fewer tests
  // than the other. (Which file is slowest depends on the first run: on a
  // loaded machine the other files' browser tests slow down too.)
  const fileMs = (keys) => {
    const byFile = new Map();
    for (const { key: k, ms } of planned.estimates(keys)) {
      const file = k.split(' › ')[1];
      byFile.set(file, (byFile.get(file) ?? 0) + ms);
    }
    return byFile;
  };
  const shardFiles = records.map((r) => fileMs(r.planned));
  const sums = shardFiles.map((m) => [...m.values()].reduce((x, y) => x + y, 0));
  const largest = Math.max(...shardFiles.flatMap((m) => [...m.values()]));
  const why = JSON.stringify(shardFiles.map((m) => Object.fromEntries(m)));
  assert.ok(Math.abs(sums[0] - sums[1]) <= largest + 1, `shards ${sums[0]} vs ${sums[1]} ms, largest file ${largest} ms: ${why}`);
  const slowFile = [...shardFiles[0].keys(), ...shardFiles[1].keys()].find((f) => f.includes('slow.spec.ts'));
  const slowIndex = shardFiles.findIndex((m) => m.has(slowFile));
  const slowMs = shardFiles[slowIndex].get(slowFile);
  if (slowMs > (sums[0] + sums[1]) / 2) {
    assert.equal(shardFiles[slowIndex].size, 1, why);
    assert.ok(records[slowIndex].planned.length < records[1 - slowIndex].planned.length, why);
  }

  // The records hold each shard's prediction beside its real time; the
  // history has the run once, with the plan's fingerprint.
  assert.ok(records.every((r) => r.actualMs > 0 && r.workers >= 1 && r.serialMs >= r.scheduleMs * 0.99 && r.predictedMs >= r.scheduleMs));
  const runs = History.load(HISTORY).runs();
  const sharded = runs.filter((r) => r.shard?.predictedMs);
  assert.equal(sharded.length, 1, JSON.stringify(runs));
  assert.ok(sharded.every((r) => r.shard.actualMs > 0 && r.shard.fingerprint === records[0].fingerprint));
});

test('a machine that planned from other inputs is caught by the coverage check', async () => {
  // Two machines: machine 1 has the shared history; machine 2 "missed the cache".
  const reportDirs = [path.join(dir, 'third-1'), path.join(dir, 'third-2')];
  const [a, b] = await Promise.all([
    runExamples({ args: ['--shard=1/2'], env: { SHARDWRIGHT_HISTORY: HISTORY, SHARDWRIGHT_REPORT_DIR: reportDirs[0] } }),
    runExamples({ args: ['--shard=2/2'], env: { SHARDWRIGHT_HISTORY: path.join(dir, 'empty', 'history.json'), SHARDWRIGHT_REPORT_DIR: reportDirs[1] } }),
  ]);
  assert.equal(a.code, 0, a.stdout + a.stderr);
  assert.equal(b.code, 0, b.stdout + b.stderr);
  const records = [1, 2].map((i) => JSON.parse(fs.readFileSync(path.join(reportDirs[i - 1], `shard-${i}-of-2.json`), 'utf8')));
  assert.notEqual(records[0].fingerprint, records[1].fingerprint);
  const coverage = checkShardCoverage(
    records[0].suite,
    records.map((r) => ({ index: r.index, fingerprint: r.fingerprint, tests: r.ran })),
    2,
  );
  assert.equal(coverage.ok, false);
  assert.match(coverage.report, /fingerprint/i);
});
