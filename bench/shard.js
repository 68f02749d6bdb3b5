'use strict';
// Sharding, two questions, both answered beside the peer in the same run:
//
// 1. Balance. On real per-test timings (bench/fixtures/, see its README),
//    grouped per file as Playwright groups a default-mode suite, each plan's
//    makespan ÷ the lower bound max(total ÷ n, longest file) for 4, 8 and 16
//    shards: shardwright's `duration` strategy, LPT alone, and Playwright's
//    own `--shard` count split of the same groups in the same order
//    (reproduced faithfully by the `playwright` strategy; tests/shard
//    checks it against real `playwright test --shard` runs).
// 2. Speed. Planning 100,000 tests into 64 shards through the JS API
//    (target ≤ 100 ms), per file (5,000 files of 20 tests) and fully
//    parallel (100,000 single-test groups), durations cycled from a real
//    suite.

const fs = require('node:fs');
const path = require('node:path');
const { planShards, selectShard } = require('../js/index.js');
const { time, table } = require('./util.js');

const FIXTURES = path.join(__dirname, 'fixtures');
const SUITES = [
  ['turbo (Playwright)', 'turbo-playwright-offline-run1.json'],
  ['PostHog storybook, chromium', 'posthog-storybook-playwright-chromium.json'],
  ['PostHog storybook, webkit', 'posthog-storybook-playwright-webkit.json'],
  ['scout (pytest)', 'scout.json'],
  ['onegov-cloud (pytest)', 'onegov-cloud.json'],
];

/** Playwright's file order: a depth-first walk, each directory's entries by localeCompare. */
function playwrightFileOrder(a, b) {
  const x = a.split('/');
  const y = b.split('/');
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i].localeCompare(y[i]);
  }
  return x.length - y.length;
}

/** One group per file, as Playwright groups a default-mode suite. */
function fileGroups(tests) {
  const byFile = new Map();
  for (const t of tests) {
    if (!byFile.has(t.file)) byFile.set(t.file, []);
    byFile.get(t.file).push(t);
  }
  return [...byFile.keys()].sort(playwrightFileOrder).map((file) => {
    const members = byFile.get(file);
    return { id: file, file, tests: members.map((t) => t.id), durationMs: members.reduce((s, t) => s + t.duration_ms, 0) };
  });
}

const pct = (ratio) => `${((ratio - 1) * 100).toFixed(2)}%`;
const sec = (ms) => `${(ms / 1000).toFixed(0)} s`;

function balance() {
  const rows = [];
  const summary = [];
  for (const [name, file] of SUITES) {
    const tests = JSON.parse(fs.readFileSync(path.join(FIXTURES, file), 'utf8'));
    const groups = fileGroups(tests);
    for (const shards of [4, 8, 16]) {
      const ours = planShards(groups, { shards });
      const lpt = planShards(groups, { shards, improve: false });
      const pw = planShards(groups, { shards, strategy: 'playwright' });
      rows.push([
        shards === 4 ? `${name} (${groups.length} files, ${tests.length} tests)` : '',
        shards,
        sec(ours.lowerBound),
        `**${ours.imbalance.toFixed(4)}** (+${pct(ours.imbalance)})`,
        `${lpt.imbalance.toFixed(4)} (+${pct(lpt.imbalance)})`,
        `${pw.imbalance.toFixed(3)} (+${pct(pw.imbalance)})`,
        `${(pw.makespan / ours.makespan).toFixed(2)}×`,
      ]);
      summary.push({ name, shards, ours: ours.imbalance, lpt: lpt.imbalance, playwright: pw.imbalance });
    }
  }
  table(
    'Makespan ÷ lower bound on real timings, per-file groups (1 = perfect; lower bound = max(total ÷ shards, longest file))',
    ['suite', 'shards', 'lower bound', 'shardwright `duration`', 'LPT alone', 'Playwright `--shard`', 'Playwright makespan ÷ ours'],
    rows,
  );
  const worst = Math.max(...summary.map((s) => s.ours));
  const within = summary.filter((s) => s.ours <= 1.02).length;
  console.log(
    `\n\`duration\` within 2% of the lower bound in ${within} of ${summary.length} cases (worst ${pct(worst)} over); Playwright's count split: median ${pct(median(summary.map((s) => s.playwright)))} over, worst ${pct(Math.max(...summary.map((s) => s.playwright)))}.`,
  );
  return summary;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** 100,000 tests, durations cycled from onegov-cloud's real ones. */
function bigSuite(parallel) {
  const real = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'onegov-cloud.json'), 'utf8')).map((t) => t.duration_ms);
  const groups = [];
  let k = 0;
  for (let f = 0; f < 5000; f++) {
    const file = `tests/area${f % 50}/feature-${f}.spec.ts`;
    const keys = Array.from({ length: 20 }, (_, i) => `chromium › ${file} › feature ${f} › does thing ${i}`);
    const durations = keys.map(() => real[k++ % real.length]);
    const tags = f % 7 ? [] : ['@slow'];
    if (parallel) for (const [i, id] of keys.entries()) groups.push({ id, project: 'chromium', file, tags, durationMs: durations[i] });
    else groups.push({ id: `chromium › ${file}`, project: 'chromium', file, tests: keys, tags, durationMs: durations.reduce((a, b) => a + b, 0) });
  }
  return groups;
}

async function speed() {
  const rows = [];
  for (const [shape, parallel] of [
    ['5,000 files × 20 tests (default mode)', false],
    ['100,000 single-test groups (fullyParallel)', true],
  ]) {
    const groups = bigSuite(parallel);
    let plan;
    const planMs = await time(
      () => {
        plan = planShards(groups, { shards: 64 });
      },
      { runs: 7, warmup: 2 },
    );
    const selectMs = await time(() => selectShard(groups, { shards: 64, index: 7 }), { runs: 7, warmup: 1 });
    const lptMs = await time(() => planShards(groups, { shards: 64, improve: false }), { runs: 7, warmup: 1 });
    const pwMs = await time(() => planShards(groups, { shards: 64, strategy: 'playwright' }), { runs: 7, warmup: 1 });
    rows.push([
      shape,
      groups.length,
      `**${planMs.toFixed(0)} ms**`,
      `${selectMs.toFixed(0)} ms`,
      `${lptMs.toFixed(0)} ms`,
      `${pwMs.toFixed(0)} ms`,
      plan.imbalance.toFixed(5),
      planMs <= 100 ? 'yes' : 'no',
    ]);
  }
  table(
    'Planning 100,000 tests into 64 shards through the JS API (median of 7 runs; target ≤ 100 ms)',
    ['suite shape', 'groups', '`planShards` (duration)', '`selectShard`', 'LPT alone', '`playwright` strategy', 'imbalance', '≤ 100 ms'],
    rows,
  );
  return rows;
}

async function main() {
  const summary = balance();
  const rows = await speed();
  return { summary, rows };
}

module.exports = { main, speed, fileGroups, playwrightFileOrder };
if (require.main === module) main();
