'use strict';
// Flaky detection under infrastructure noise: how well shardwright tells
// flaky tests from stable, broken and fixed ones, and quarantines the right
// ones, when CI histories are not clean.
//
// The suite: FlakeFlagger's 22,244 Java tests (24 projects) with their
// published rerun outcomes (each test rerun ~10,000 times: pass/fail counts;
// 811 flaky) — ../shared/data/flaky/flakeflagger_rerun_outcomes.json, or the
// same data derived into bench/fixtures/flakeflagger-rates.json. Each test is
// a Playwright test (`chromium › <project>/<Class>.spec.ts › <Class> ›
// <method>`) that fails each attempt with its own published failure rate. 20
// CI runs (5 of them re-runs of the previous commit), retries: 2, then the
// variants:
//
//   clean            nothing else
//   full outage      run 12: the app is down, every test fails every attempt
//                    with net::ERR_CONNECTION_REFUSED (its own URL and port)
//   partial outage   run 12: 30 % of the tests (all over the suite) hit one
//                    shared infrastructure error; each retry hits it again
//                    with probability 0.5
//   regressions      a login change breaks 25 % of the stable tests (one
//                    assertion, thousands of files) in runs 8–12, fixed in 13;
//                    a TypeError breaks one file (131 tests) in runs 5–8; a
//                    ReferenceError breaks 200 tests from run 15 on
//   retries 0        clean, without retries (flakiness only shows as flips)
//   all of it        outage, partial outage and regressions together
//   flaky TypeErrors clean, but a tenth of the flaky tests fail with a
//                    TypeError (what the retry decision could lose)
//
// Ground truth. Flaky detection: precision over FlakeFlagger's labels (a
// test called flaky must be flaky), recall over the flaky tests whose
// flakiness is observable — they both failed and passed an attempt in the 20
// runs with the noise removed. Quarantine: the same engine on the same
// history with the noise removed (the outage runs not run, no regressions)
// gives the tests that should be quarantined; precision also requires
// FlakeFlagger's flaky label. So "quarantine" measures robustness to noise,
// and its precision that nothing else gets quarantined.
//
// Retries (engine's decideRetry, from the flaky-keys file written at each
// run's start): retries saved on permanent failures, flaky passes lost.
// Per run (2–20), judged as the reporter does at the end of the run: flaky
// tests that failed (not because of the outage) and were not quarantined
// (they failed the build), and failed tests that are not flaky but were
// quarantined (hidden).
//
//   node bench/flaky-eval.js                 the table
//   SW_ROOT=/path/to/other/checkout node bench/flaky-eval.js   another build
//   node bench/flaky-eval.js --write-fixture derive the fixture from the shared file

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');
const { table } = require('./util.js');

const ROOT = process.env.SW_ROOT ? path.resolve(process.env.SW_ROOT) : path.resolve(__dirname, '..');
const { History } = require(path.join(ROOT, 'js/index.js'));
const FIXTURE = path.join(__dirname, 'fixtures/flakeflagger-rates.json.gz');
const SHARED = [
  process.env.SHARDWRIGHT_SHARED_DATA,
  path.resolve(__dirname, '../../shared/data'),
  path.resolve(__dirname, '../../../shared/data'),
  '/work/shared/data',
]
  .filter(Boolean)
  .map((d) => path.join(d, 'flaky/flakeflagger_rerun_outcomes.json'));

const RUNS = 20;
const OUTAGE_RUN = 11; // the 12th
const RERUNS = new Set([3, 7, 10, 14, 17]); // same commit as the run before
const T0 = Date.UTC(2026, 10, 2, 10, 0);

// ---- the data ----------------------------------------------------------------

/** FlakeFlagger rows → { projects: [[project, [[class, [[method, runs, failRuns, flaky]]]]]] }. */
function derive(rows) {
  const projects = new Map();
  for (const t of rows) {
    const [cls, method] = t.id.split('#');
    if (!projects.has(t.project)) projects.set(t.project, new Map());
    const classes = projects.get(t.project);
    if (!classes.has(cls)) classes.set(cls, []);
    classes.get(cls).push([method, t.runs, t.fail_runs, t.is_flaky ? 1 : 0]);
  }
  return {
    source: 'AlshammariA/FlakeFlagger test-rerun-scripts/test_results.csv @2fcbafc4713a (via ../shared/data/flaky/flakeflagger_rerun_outcomes.json)',
    projects: [...projects].map(([p, classes]) => [p, [...classes]]),
  };
}

function loadRates() {
  const shared = SHARED.find((f) => fs.existsSync(f));
  const data = shared ? derive(JSON.parse(fs.readFileSync(shared, 'utf8'))) : JSON.parse(zlib.gunzipSync(fs.readFileSync(FIXTURE)));
  const tests = [];
  for (const [project, classes] of data.projects) {
    const seen = new Map();
    for (const [cls, methods] of classes) {
      const simple = cls.split('.').pop();
      const n = (seen.get(simple) || 0) + 1;
      seen.set(simple, n);
      const file = `${project}/${simple}${n > 1 ? `-${n}` : ''}.spec.ts`;
      for (const [method, runs, failRuns, flaky] of methods) {
        tests.push({ file, titlePath: [simple, method], p: failRuns / runs, flaky: flaky === 1, broken: failRuns === runs });
      }
    }
  }
  tests.forEach((t, i) => {
    t.i = i;
    t.key = `chromium › ${t.file} › ${t.titlePath.join(' › ')}`;
  });
  return { tests, from: shared ? path.relative(process.cwd(), shared) : path.relative(process.cwd(), FIXTURE) };
}

// ---- randomness: a hash per (test, run, attempt, stream), so a variant and
// its noise-free twin draw the same behaviour -----------------------------------

function hash(a, b, c, d) {
  let h =
    Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^
    Math.imul(b + 0x632be5ab, 0xc2b2ae35) ^
    Math.imul(c + 0x1b873593, 0x27d4eb2f) ^
    Math.imul(d + 0x165667b1, 0x9e3779b1);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  h = Math.imul(h, 0x297a2d39);
  h ^= h >>> 15;
  return (h >>> 0) / 4294967296;
}

// Real Playwright failure messages (hotwired/turbo's suite,
// ../shared/data/flaky/turbo-playwright-offline-*.json) for flaky tests; the
// engine's classifier test corpus for programming errors.
const FLAKY_MESSAGES = [
  "Error: Timed out 5000ms waiting for expect(locator).toHaveText(expected)\n\nLocator: locator('#total')",
  "Error: Timed out 5000ms waiting for expect(locator).toHaveURL(expected)\n\nLocator: locator(':root')",
  'Error: page.evaluate: Execution context was destroyed, most likely because of a navigation',
  "Error: Event turbo:frame-render with {} wasn't dispatched within 2000ms",
  "Error: Network request wasn't made when it should have been.",
  'Error: Timed out 5000ms waiting for expect(locator).toHaveCount(expected)',
  'Error: expect(received).toEqual(expected) // deep equality\n\nExpected: 0\nReceived: 2',
  'Error: Event turbo:render with {"renderMethod":"morph"} wasn\'t dispatched within 2000ms',
  'Error: Timed out 5000ms waiting for expect(locator).toHaveValue(expected)',
  'Test timeout of 10000ms exceeded.',
  'Error: no more events',
];
const BROKEN_MESSAGES = [
  "TypeError: Cannot read properties of undefined (reading 'getId')",
  'Error: expect(received).toBe(expected) // Object.is equality\n\nExpected: 3\nReceived: 2',
  'ReferenceError: fixture is not defined',
  'Error: expect(locator).toHaveText(expected) failed\n\nLocator: locator(\'#status\')\nExpected: "ready"\nReceived: "error"',
];

// ---- variants ----------------------------------------------------------------

const VARIANTS = [
  { name: 'clean', retries: 2 },
  { name: 'full outage', retries: 2, outage: 'full' },
  { name: 'partial outage', retries: 2, outage: 'partial' },
  { name: 'regressions', retries: 2, regressions: true },
  { name: 'retries 0', retries: 0 },
  { name: 'all of it', retries: 2, outage: 'both', regressions: true },
  // A stress case for the retry decision: a tenth of the flaky tests fail
  // with a TypeError (a race that reads a node before it exists).
  { name: 'flaky TypeErrors', retries: 2, flakyTypeErrors: 0.1 },
];

function regressionsOf(tests) {
  const stable = tests.filter((t) => t.p === 0);
  const byFile = new Map();
  for (const t of stable) byFile.set(t.file, (byFile.get(t.file) || 0) + 1);
  const oneFile = 'activiti-activiti/TaskQueryTest.spec.ts';
  const map = new Map(); // test index → { from, to, message }
  for (const t of stable) {
    const h = hash(t.i, 7, 7, 7);
    if (t.file === oneFile) map.set(t.i, { from: 5, to: 8, message: "TypeError: Cannot read properties of undefined (reading 'assignee')" });
    else if (h < 0.25)
      map.set(t.i, {
        from: 8,
        to: 12,
        message: "Error: expect(locator).toBeVisible() failed\n\nLocator: getByRole('button', { name: 'Sign in' })\nExpected: visible\nTimeout: 5000ms",
      });
    else if (h < 0.26) map.set(t.i, { from: 15, to: RUNS - 1, message: 'ReferenceError: formatPrice is not defined' });
  }
  return map;
}

/**
 * One run of the suite. `twin`: the noise-free version (outage-affected
 * tests do not run, regressions do not happen). `decide(test, error)`:
 * whether to retry after the first failure (the engine's decision).
 */
function makeRun(tests, variant, r, { twin, regressions, decide, stats }) {
  const attempts = [];
  const hitKeys = new Set();
  const partial = variant.outage === 'partial' || variant.outage === 'both';
  const full = variant.outage === 'full' || variant.outage === 'both';
  const startedAt = T0 + r * 3_600_000;
  for (const t of tests) {
    const base = { project: 'chromium', file: t.file, titlePath: t.titlePath, durationMs: 500 + Math.round(hash(t.i, r, 0, 3) * 2000) };
    // The full outage in run 12; the partial one too, or in run 6 with both.
    const fullHit = full && r === OUTAGE_RUN;
    const partialRun = variant.outage === 'both' ? OUTAGE_RUN - 6 : OUTAGE_RUN;
    const partialHit = partial && r === partialRun && hash(t.i, r, 0, 4) < 0.3;
    const hit = fullHit || partialHit;
    if (hit) hitKeys.add(t.key);
    if (twin && hit) continue;
    const reg = !twin && regressions && regressions.get(t.i);
    const regressed = reg && r >= reg.from && r <= reg.to;
    const brokenMessage = BROKEN_MESSAGES[t.i % BROKEN_MESSAGES.length];
    const flakyMessage =
      variant.flakyTypeErrors && hash(t.i, 9, 9, 9) < variant.flakyTypeErrors
        ? "TypeError: Cannot read properties of null (reading 'textContent')"
        : FLAKY_MESSAGES[t.i % FLAKY_MESSAGES.length];
    const out = [];
    // What each attempt would do, noise aside.
    const natural = (k) => (t.broken || hash(t.i, r, k, 1) < t.p ? (t.broken ? brokenMessage : flakyMessage) : null);
    for (let k = 0; k <= variant.retries; k++) {
      let error = natural(k);
      if (regressed) error = reg.message;
      if (hit && (fullHit || k === 0 || hash(t.i, r, k, 5) < 0.5)) {
        error = fullHit
          ? `Error: page.goto: net::ERR_CONNECTION_REFUSED at http://127.0.0.1:${3000 + (t.i % 4)}/${t.file.replace('.spec.ts', '').toLowerCase()}\nCall log:\n  - navigating to "http://127.0.0.1:${3000 + (t.i % 4)}/", waiting until "load"`
          : `Error: apiRequestContext.post: read ECONNRESET\nCall log:\n  - → POST http://10.0.3.7:${8000 + (t.i % 9)}/api/session`;
      }
      out.push({ ...base, retry: k, status: error ? 'failed' : 'passed', ...(error ? { error: { message: error } } : {}) });
      if (!error) break;
      if (k === 0 && variant.retries > 0 && decide && !twin) {
        const d = decide(t, error);
        if (!d.retry) {
          // What the skipped retries would have done.
          let wouldPass = false;
          let saved = 0;
          for (let j = 1; j <= variant.retries; j++) {
            saved++;
            let e = natural(j);
            if (regressed) e = reg.message;
            if (!e) {
              wouldPass = true;
              break;
            }
          }
          stats.saved += saved;
          if (wouldPass) stats.lost++;
          break;
        }
      }
      if (k > 0) stats.retries++;
    }
    attempts.push(...out);
  }
  const run = {
    id: `ci-${412 + r}`,
    startedAt,
    endedAt: startedAt + 120_000,
    commit: `c${String(commitOf(r)).padStart(7, '0')}`,
    source: 'reporter',
    attempts,
  };
  // Not part of the run: which tests the outage hit (for measuring).
  Object.defineProperty(run, 'hitKeys', { value: hitKeys, enumerable: false });
  return run;
}

function commitOf(r) {
  let c = 0;
  for (let i = 1; i <= r; i++) if (!RERUNS.has(i)) c++;
  return c;
}

// ---- measuring ---------------------------------------------------------------

function prf(predicted, truth, allowed) {
  let tp = 0;
  let fp = 0;
  for (const k of predicted) allowed(k) ? tp++ : fp++;
  let found = 0;
  for (const k of truth) if (predicted.has(k)) found++;
  return {
    precision: predicted.size ? tp / predicted.size : 1,
    recall: truth.size ? found / truth.size : 1,
    predicted: predicted.size,
    truth: truth.size,
    fp,
    missed: truth.size - found,
  };
}

function evaluate(rates, variant, tmp) {
  const { tests } = rates;
  const byKey = new Map(tests.map((t) => [t.key, t]));
  const regressions = variant.regressions ? regressionsOf(tests) : null;
  const h = History.empty({ maxRuns: RUNS, maxAgeDays: 0 });
  const twin = History.empty({ maxRuns: RUNS, maxAgeDays: 0 });
  const engine = typeof h.flakyKeys === 'function';
  const stats = { retries: 0, saved: 0, lost: 0, firstFailures: 0 };
  const keysFile = path.join(tmp, `flaky-keys-${variant.name.replace(/\W+/g, '-')}.json`);
  // Over runs 2–20: failed flaky tests (outage aside) that were not
  // quarantined when the run began (they failed the build), and failed tests
  // that are not flaky but were quarantined (a real failure hidden).
  let flakyFailed = 0;
  let hidden = 0;
  for (let r = 0; r < RUNS; r++) {
    let decide = null;
    if (engine && variant.retries > 0) {
      // What the reporter does at preprocess; the fixture asks per failure.
      h.writeFlakyKeys(keysFile);
      decide = (t, message) => {
        stats.firstFailures++;
        return History.decideRetry({ key: t.key, error: { message }, flakyKeys: keysFile });
      };
    }
    const made = makeRun(tests, variant, r, { regressions, decide, stats });
    h.addRun(made);
    twin.addRun(makeRun(tests, variant, r, { twin: true, regressions, stats: { retries: 0, saved: 0, lost: 0 } }));
    if (r > 0) {
      const run = h.analyze({ runId: `ci-${412 + r}` }).run;
      flakyFailed += run.failedNotQuarantined.filter((k) => byKey.get(k).flaky && !made.hitKeys.has(k)).length;
      hidden += run.failedQuarantined.filter((k) => !byKey.get(k).flaky).length;
    }
  }
  const report = h.analyze();
  const clean = twin.analyze();
  const cost = engine && variant.name === 'clean' ? retryCost(h, tmp) : null;
  const isFlaky = (k) => byKey.get(k).flaky;

  // Observable flakiness in the noise-free twin: a failed and a passed attempt.
  const seen = new Map();
  for (let r = 0; r < RUNS; r++) {
    for (const a of makeRun(tests, variant, r, { twin: true, regressions, stats: { retries: 0, saved: 0, lost: 0 } }).attempts) {
      const key = `chromium › ${a.file} › ${a.titlePath.join(' › ')}`;
      const s = seen.get(key) || 0;
      seen.set(key, s | (a.status === 'passed' ? 1 : 2));
    }
  }
  const observable = new Set([...seen].filter(([k, s]) => s === 3 && isFlaky(k)).map(([k]) => k));
  const detected = new Set(report.tests.filter((t) => t.verdict === 'flaky').map((t) => t.key));
  if (process.env.FLAKY_EVAL_DEBUG) {
    const twinTests = new Map(clean.tests.map((t) => [t.key, t]));
    const missed = [...observable].filter((k) => !detected.has(k));
    const shapes = new Map();
    for (const k of missed) {
      const t = report.tests.find((x) => x.key === k) || twinTests.get(k);
      const shape = t ? `${t.verdict} ${t.evidence.outcomes}` : 'stable (not reported)';
      shapes.set(shape, (shapes.get(shape) || 0) + 1);
    }
    console.log(variant.name, 'missed', missed.length, [...shapes].sort((a, b) => b[1] - a[1]).slice(0, 15));
  }
  const quarantined = new Set(report.quarantine.filter((q) => q.reason === 'score').map((q) => q.key));
  const shouldQuarantine = new Set(clean.quarantine.filter((q) => q.reason === 'score' && isFlaky(q.key)).map((q) => q.key));
  return {
    detection: prf(detected, observable, isFlaky),
    quarantine: prf(quarantined, shouldQuarantine, isFlaky),
    incidents: (report.incidents || []).map((i) => i.summary),
    summary: report.summary,
    stats,
    flakyFailed,
    hidden,
    cost,
  };
}

/**
 * What a Playwright worker pays to decide a retry: loading the whole history
 * vs reading the flaky-keys file (a fresh path each time: no cache).
 */
function retryCost(h, tmp) {
  const file = path.join(tmp, 'history.json');
  h.save(file);
  const median = (fn, n = 5) => {
    const xs = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      fn(i);
      xs.push(performance.now() - t0);
    }
    return xs.sort((a, b) => a - b)[n >> 1];
  };
  const load = median(() => History.load(file));
  const keys = path.join(tmp, 'keys.json');
  const written = h.writeFlakyKeys(keys);
  const key = h.testKeys()[0];
  const ask = (flakyKeys) =>
    History.decideRetry({ key, error: { name: 'TypeError', message: "TypeError: Cannot read properties of undefined (reading 'id')" }, flakyKeys });
  const first = median((i) => {
    const copy = path.join(tmp, `keys-${i}.json`);
    fs.copyFileSync(keys, copy);
    ask(copy);
  });
  const cached = median(() => ask(keys), 101);
  return {
    historyBytes: fs.statSync(file).size,
    loadMs: load,
    keys: written.keys,
    keysBytes: fs.statSync(keys).size,
    firstMs: first,
    cachedMs: cached,
  };
}

async function main() {
  if (process.argv.includes('--write-fixture')) {
    const shared = SHARED.find((f) => fs.existsSync(f));
    if (!shared) throw new Error('the shared data set is not here');
    const data = derive(JSON.parse(fs.readFileSync(shared, 'utf8')));
    fs.writeFileSync(FIXTURE, zlib.gzipSync(JSON.stringify(data), { level: 9 }));
    console.log(`wrote ${FIXTURE} (${fs.statSync(FIXTURE).size} bytes)`);
    return null;
  }
  const rates = loadRates();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'shardwright-flaky-eval-'));
  const only = process.env.FLAKY_EVAL_VARIANTS ? process.env.FLAKY_EVAL_VARIANTS.split(',') : null;
  const results = [];
  const t0 = performance.now();
  for (const v of VARIANTS) {
    if (only && !only.includes(v.name)) continue;
    results.push([v, evaluate(rates, v, tmp)]);
  }
  fs.rmSync(tmp, { recursive: true, force: true });
  const f = (x) => x.toFixed(2);
  const label = process.env.SW_ROOT ? ` — ${ROOT}` : '';
  table(
    `flaky detection under noise: ${rates.tests.length.toLocaleString('en')} FlakeFlagger tests × ${RUNS} runs (${rates.from})${label}`,
    [
      'variant',
      'flaky: precision',
      'recall',
      'called flaky (wrongly)',
      'quarantine: precision',
      'recall',
      'quarantined (wrongly / missed)',
      'flaky failures that failed a run',
      'real failures hidden',
      'incidents',
    ],
    results.map(([v, r]) => [
      v.name,
      f(r.detection.precision),
      f(r.detection.recall),
      `${r.detection.predicted} (${r.detection.fp})`,
      f(r.quarantine.precision),
      f(r.quarantine.recall),
      `${r.quarantine.predicted} (${r.quarantine.fp} / ${r.quarantine.missed})`,
      r.flakyFailed,
      r.hidden,
      r.incidents.length,
    ]),
  );
  const withRetries = results.filter(([v]) => v.retries > 0);
  if (withRetries.some(([, r]) => r.stats.firstFailures > 0)) {
    table(
      'retry decisions (decideRetry from the flaky-keys file written at each run start)',
      ['variant', 'first-attempt failures', 'retries run', 'retries saved', 'flaky passes lost'],
      withRetries.map(([v, r]) => [v.name, r.stats.firstFailures, r.stats.retries, r.stats.saved, r.stats.lost]),
    );
  }
  const cost = results.map(([, r]) => r.cost).find(Boolean);
  if (cost) {
    const mb = (b) => `${(b / 2 ** 20).toFixed(1)} MiB`;
    table(
      'what a worker pays per retry decision (median)',
      ['source', 'size', 'time'],
      [
        ['History.load() of the whole history', mb(cost.historyBytes), `${cost.loadMs.toFixed(1)} ms`],
        [`decideRetry() reading the flaky-keys file (${cost.keys} keys)`, `${(cost.keysBytes / 1024).toFixed(1)} KiB`, `${cost.firstMs.toFixed(2)} ms`],
        ['decideRetry() again (file cached)', '', `${(cost.cachedMs * 1000).toFixed(0)} µs`],
      ],
    );
  }
  for (const [v, r] of results) for (const line of r.incidents.slice(0, 3)) console.log(`- ${v.name}: ${line}`);
  console.log(`\n(${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  return results;
}

module.exports = { main };
if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
