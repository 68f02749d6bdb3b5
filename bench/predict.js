'use strict';
// Predicted against actual wall time per shard (issue #11): real
// `npx playwright test --shard=i/n` runs of a generated suite whose tests
// sleep the real durations of hotwired/turbo's Playwright suite (481 tests,
// 27 files; bench/fixtures/turbo-playwright-offline-run1.json) scaled down,
// with `workers: 2` and `workers: 4`. Beside each: the serial-sum prediction
// (what the shard's tests add up to, what shardwright printed before it
// modelled the workers).
//
// Per worker count: one unsharded run seeds the history, then three rounds
// of the shards run one after the other in one folder (each round its own CI
// run id). The first round predicts without a measured start-up; later
// rounds learn it from the earlier rounds' predicted-vs-actual.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { table } = require('./util.js');

const ROOT = path.join(__dirname, '..');
const SCALE = Number(process.env.BENCH_PREDICT_SCALE || 0.06);
const SHARDS = 2;
const ROUNDS = 3;

function writeSuite(dir) {
  const tests = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'turbo-playwright-offline-run1.json'), 'utf8'));
  const byFile = new Map();
  for (const t of tests) {
    if (!byFile.has(t.file)) byFile.set(t.file, []);
    byFile.get(t.file).push(t);
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  for (const [file, list] of byFile) {
    const out = path.join(dir, 'tests', file.replace(/\.js$/, '.spec.js'));
    fs.mkdirSync(path.dirname(out), { recursive: true });
    let src = "const { test } = require('@playwright/test');\n";
    list.forEach((t, i) => {
      const ms = Math.round(t.duration_ms * SCALE);
      src += `test(${JSON.stringify(`${i} ${t.title}`)}, async () => { await new Promise((r) => setTimeout(r, ${ms})); });\n`;
    });
    fs.writeFileSync(out, src);
  }
  fs.writeFileSync(
    path.join(dir, 'playwright.config.js'),
    `module.exports = {
  testDir: './tests',
  workers: Number(process.env.BENCH_WORKERS),
  reporter: [['dot'], [${JSON.stringify(path.join(ROOT, 'js', 'playwright', 'reporter.js'))}, { history: 'history.json', reportDir: 'reports' }]],
};
`,
  );
  return { files: byFile.size, tests: tests.length, serialMs: tests.reduce((s, t) => s + Math.round(t.duration_ms * SCALE), 0) };
}

function playwright(dir, args, env) {
  const r = spawnSync('npx', ['playwright', 'test', ...args], { cwd: dir, env: { ...process.env, CI: '1', FORCE_COLOR: '0', ...env }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`playwright test ${args.join(' ')} exited ${r.status}\n${r.stdout}${r.stderr}`);
  return r;
}

const pct = (predicted, actual) => `${predicted >= actual ? '+' : ''}${(((predicted - actual) / actual) * 100).toFixed(1)}%`;

async function main() {
  const rows = [];
  const summary = [];
  for (const workers of [2, 4]) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shardwright-bench-predict-'));
    writeSuite(dir);
    const env = { BENCH_WORKERS: String(workers) };
    playwright(dir, [], { ...env, SHARDWRIGHT_RUN_ID: `seed-${workers}` });
    const errors = [];
    const serialErrors = [];
    for (let round = 1; round <= ROUNDS; round++) {
      for (let i = 1; i <= SHARDS; i++) {
        playwright(dir, [`--shard=${i}/${SHARDS}`], { ...env, SHARDWRIGHT_RUN_ID: `bench-${workers}-${round}` });
        const r = JSON.parse(fs.readFileSync(path.join(dir, 'reports', `shard-${i}-of-${SHARDS}.json`), 'utf8'));
        const error = (r.predictedMs - r.actualMs) / r.actualMs;
        const serialError = (r.serialMs - r.actualMs) / r.actualMs;
        if (round > 1) {
          errors.push(Math.abs(error));
          serialErrors.push(Math.abs(serialError));
        }
        rows.push([
          workers,
          round,
          `${i}/${SHARDS}`,
          `${(r.actualMs / 1000).toFixed(1)} s`,
          `${(r.predictedMs / 1000).toFixed(1)} s (${pct(r.predictedMs, r.actualMs)})`,
          `${(r.serialMs / 1000).toFixed(1)} s (${pct(r.serialMs, r.actualMs)})`,
        ]);
      }
    }
    const mean = (xs) => (xs.reduce((a, b) => a + b, 0) / xs.length) * 100;
    summary.push([workers, `${mean(errors).toFixed(1)}%`, `${(Math.max(...errors) * 100).toFixed(1)}%`, `${mean(serialErrors).toFixed(0)}%`]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  table(
    `Shard wall time: predicted (workers modelled) and serial sum, against actual — turbo's 481 tests × ${SCALE}, ${SHARDS} shards`,
    ['workers', 'round', 'shard', 'actual', 'predicted (error)', 'serial sum (error)'],
    rows,
  );
  table('Prediction error, rounds 2–3 (start-up learnt)', ['workers', 'mean |error| predicted', 'max |error| predicted', 'mean |error| serial sum'], summary);
}

module.exports = { main };
if (require.main === module)
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
