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
    assert.match(r.stdout, /shardwright: shard \d\/2: \d+ of 14 tests, no history: balancing by test count; plan [0-9a-f]{12}/);
  }
  const ran = [...ranTests(a), ...ranTests(b)];
  assert.equal(ran.length, 14, ran.join('\n'));
  assert.equal(new Set(ran).size, 14, 'no test ran twice');
  const serial = (r) => ranTests(r).filter((k) => k.includes('checkout flow'));
  assert.ok([serial(a).length, serial(b).length].sort().join() === '0,3', 'the serial suite stayed on one shard');

  const records = [1, 2].map((i) => JSON.parse(fs.readFileSync(path.join(reportDir, `shard-${i}-of-2.json`), 'utf8')));
  assert.equal(records[0].fingerprint, records[1].fingerprint, 'both machines computed the same plan');
  assert.equal(records[0].balancedBy, 'count');
  const coverage = checkShardCoverage(
    records[0].suite,
    records.map((r) => ({ index: r.index, fingerprint: r.fingerprint, tests: r.ran })),
    2,
  );
  assert.equal(coverage.ok, true, coverage.report);
  // Both runs were recorded despite saving at the same moment.
  assert.equal(History.load(HISTORY).runCount, 2);
});

test('with history: shards balanced by expected time, the prediction recorded beside the real time', async () => {
  const reportDir = path.join(dir, 'second');
  const [a, b] = await bothShards(reportDir);
  for (const r of [a, b]) {
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      /shardwright: shard \d\/2: \d+ of 14 tests, by duration, expected [\d.]+ (ms|s) \(makespan [\d.]+ (ms|s), lower bound [\d.]+ (ms|s)\); plan [0-9a-f]{12}/,
    );
    assert.match(r.stdout, /shardwright: shard \d\/2 took [\d.]+ (ms|s|min) \(prediction [\d.]+ (ms|s), error -?\d+%\)/);
  }
  const ran = [...ranTests(a), ...ranTests(b)];
  assert.equal(ran.length, 14);
  assert.equal(new Set(ran).size, 14);

  const records = [1, 2].map((i) => JSON.parse(fs.readFileSync(path.join(reportDir, `shard-${i}-of-2.json`), 'utf8')));
  assert.equal(records[0].balancedBy, 'duration');
  assert.equal(records[0].fingerprint, records[1].fingerprint);
  assert.ok(records.every((r) => r.predictedMs > 0 && r.actualMs > 0));
  // The slowest file holds most of the time: by duration it gets a shard
  // of its own, with fewer tests than the other (a count split cannot do that).
  const slowShard = records.find((r) => r.planned.some((k) => k.includes('slow.spec.ts')));
  const other = records.find((r) => r !== slowShard);
  assert.ok(slowShard.planned.length < other.planned.length, `${slowShard.planned.length} vs ${other.planned.length} tests`);

  // The history holds each shard's prediction beside its real time.
  const runs = History.load(HISTORY).runs();
  const sharded = runs.filter((r) => r.shard?.predictedMs);
  assert.equal(sharded.length, 2, JSON.stringify(runs));
  assert.ok(sharded.every((r) => r.shard.actualMs > 0 && r.shard.fingerprint === records[0].fingerprint));
});

test('a machine that planned from other inputs is caught by the coverage check', async () => {
  const reportDir = path.join(dir, 'third');
  // Machine 1 has the shared history; machine 2 "missed the cache".
  const [a, b] = await Promise.all([
    runExamples({ args: ['--shard=1/2'], env: { SHARDWRIGHT_HISTORY: HISTORY, SHARDWRIGHT_REPORT_DIR: reportDir } }),
    runExamples({ args: ['--shard=2/2'], env: { SHARDWRIGHT_HISTORY: path.join(dir, 'empty', 'history.json'), SHARDWRIGHT_REPORT_DIR: reportDir } }),
  ]);
  assert.equal(a.code, 0, a.stdout + a.stderr);
  assert.equal(b.code, 0, b.stdout + b.stderr);
  const records = [1, 2].map((i) => JSON.parse(fs.readFileSync(path.join(reportDir, `shard-${i}-of-2.json`), 'utf8')));
  assert.notEqual(records[0].fingerprint, records[1].fingerprint);
  const coverage = checkShardCoverage(
    records[0].suite,
    records.map((r) => ({ index: r.index, fingerprint: r.fingerprint, tests: r.ran })),
    2,
  );
  assert.equal(coverage.ok, false);
  assert.match(coverage.report, /fingerprint/i);
});
