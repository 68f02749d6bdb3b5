'use strict';
// `shardwright merge` over the artifacts of real `playwright test --shard`
// runs of examples/: the reporter's shard records are checked — every test
// exactly once, one plan — and a shard that planned from other inputs is
// caught, each missing and duplicated test named.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { History } = require('../js/index.js');
const { ROOT, tempDir, run, runExamples } = require('./helpers.js');

const CLI = path.join(ROOT, 'js', 'cli', 'main.js');

/** One CI shard: its own history and report dir (an artifact directory). */
async function shard(index, total, artifact, historyFrom) {
  fs.mkdirSync(artifact, { recursive: true });
  const history = path.join(artifact, 'history.json');
  if (historyFrom) fs.copyFileSync(historyFrom, history);
  const r = await runExamples({
    args: [`--shard=${index}/${total}`],
    env: { SHARDWRIGHT_HISTORY: history, SHARDWRIGHT_REPORT_DIR: artifact },
  });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  return JSON.parse(fs.readFileSync(path.join(artifact, `shard-${index}-of-${total}.json`), 'utf8'));
}

test('merge checks the shard records: ok for one plan, every missing and duplicated test named when a shard planned differently', async () => {
  const cwd = tempDir('shardwright-merge-');
  const a = path.join(cwd, 'run-a');
  const s1 = await shard(1, 2, path.join(a, 'shard-1'));
  const s2 = await shard(2, 2, path.join(a, 'shard-2'));
  assert.equal(s1.fingerprint, s2.fingerprint);

  const ok = await run(process.execPath, [CLI, 'merge', a, '--out', path.join(cwd, 'merged.json')], { cwd });
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(
    ok.stdout,
    /^shard records of run sw-[0-9a-f]{16}: 2 \(1\/2, 2\/2\)\ncoverage ok: all 14 tests ran exactly once, every shard planned from the same inputs\n/,
  );
  // The two shards of one run are one run.
  assert.match(ok.stdout, /^saved .*merged\.json: 1 runs, 14 tests/m);
  assert.equal(History.load(path.join(cwd, 'merged.json')).runCount, 1);

  // Shard 2 again, now with a history (duration plan) while shard 1 planned
  // by count: a different fingerprint, and tests on both shards or neither.
  const b = path.join(cwd, 'run-b');
  fs.mkdirSync(b);
  fs.cpSync(path.join(a, 'shard-1'), path.join(b, 'shard-1'), { recursive: true });
  const s2b = await shard(2, 2, path.join(b, 'shard-2'), path.join(cwd, 'merged.json'));
  assert.notEqual(s2b.fingerprint, s1.fingerprint);
  const bad = await run(process.execPath, [CLI, 'merge', b, '--out', path.join(cwd, 'merged-b.json')], { cwd });
  assert.equal(bad.code, 1, bad.stdout + bad.stderr);
  const suite = new Set(s1.suite);
  const duplicated = s1.ran.filter((t) => s2b.ran.includes(t));
  const missing = [...suite].filter((t) => !s1.ran.includes(t) && !s2b.ran.includes(t));
  assert.ok(duplicated.length + missing.length > 0, 'the two plans disagree on some test');
  assert.match(bad.stdout, new RegExp(`coverage FAILED: ${14 - missing.length} of 14 tests ran\\n`));
  assert.match(bad.stdout, /shards planned from different inputs \(fingerprints differ\):\n/);
  for (const f of [s1.fingerprint, s2b.fingerprint]) assert.ok(bad.stdout.includes(f), f);
  for (const t of missing) assert.ok(bad.stdout.includes(`  ${t}\n`), `missing ${t} named`);
  for (const t of duplicated) assert.ok(bad.stdout.includes(`  ${t}  (shards #1, #2)\n`), `duplicated ${t} named`);
  // The histories are merged all the same.
  assert.match(bad.stdout, /^saved .*merged-b\.json: /m);
});
