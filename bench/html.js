'use strict';
// The HTML run report's size and the time to make it, at 10k and 100k tests
// × 20 runs (bench/history.js's shape: 4 % flaky, 0.5 % broken). Each size
// in a Node process of its own (the generator reads its size at load):
// generate the history, save it, then time `writeHtmlReport` (load the
// history, judge it, build the page's data, write the file). No shard
// records here, so no timeline (at most ~1,500 bars a shard row).
//
//   node bench/html.js                 10k and 100k (BENCH_HTML_SIZES=10000,100000)

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { table } = require('./util.js');

function child(file, out) {
  const { History, writeHtmlReport } = require('../js/index.js');
  const { suite, makeRun, rng } = require('./history.js');
  const tests = suite();
  const random = rng(42);
  const h = History.empty({ maxRuns: 20, maxAgeDays: 0 });
  for (let r = 0; r < 20; r++) h.addRun(makeRun(tests, r, random));
  h.save(file);
  const t0 = performance.now();
  const written = writeHtmlReport(out, file);
  const ms = performance.now() - t0;
  const data = fs.readFileSync(out, 'utf8').match(/<script type="application\/json" id="sw-data">(.*?)<\/script>/s)[1];
  const page = JSON.parse(data);
  process.stdout.write(
    JSON.stringify({ ms, bytes: written.bytes, historyBytes: fs.statSync(file).size, listed: page.tests.length, quarantined: page.quarantine.length }),
  );
}

function main() {
  const sizes = (process.env.BENCH_HTML_SIZES || '10000,100000').split(',').map(Number);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shardwright-bench-html-'));
  const rows = [];
  try {
    for (const n of sizes) {
      const file = path.join(dir, `history-${n}.json`);
      const out = path.join(dir, `report-${n}.html`);
      const r = spawnSync(process.execPath, [__filename, '--child', file, out], { env: { ...process.env, BENCH_HISTORY_TESTS: String(n) }, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(r.stderr);
      const m = JSON.parse(r.stdout);
      const mib = (b) => `${(b / 2 ** 20).toFixed(2)} MiB`;
      rows.push([
        `${n / 1000}k × 20`,
        mib(m.historyBytes),
        mib(m.bytes),
        m.listed.toLocaleString('en'),
        m.quarantined.toLocaleString('en'),
        `${m.ms.toFixed(0)} ms`,
      ]);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  table(
    'HTML run report: size and time to write (load + judge + page data + write)',
    ['history', 'history file', 'HTML file', 'tests listed', 'quarantined', 'writeHtmlReport'],
    rows,
  );
}

if (process.argv[2] === '--child') child(process.argv[3], process.argv[4]);
else if (require.main === module) main();

module.exports = { main };
