'use strict';
// The HTML run report in a real browser, on a history as the product makes
// it: 10,000 tests (200 files × 50) whose 19 earlier CI runs (4 shards
// each, flaky and broken tests, an outage) are added through the engine's
// API as the reporter adds them, then a real sharded run — `npx playwright
// test --shard=i/4` four times in one folder, the reporter planning from
// that history and writing its shard records and (option `html`) the
// report. Then `shardwright report --html` and Chromium (Playwright's
// library API): it loads in ≤ 2 s, shows 4 shard rows, lists exactly the
// tests of `report --json --all`, makes no request but the file itself and
// logs no error. Saves docs/report.png (set SHARDWRIGHT_NO_SCREENSHOT=1 not to).

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const { chromium } = require('playwright');
const { ROOT, run, tempDir } = require('./helpers.js');
const { History, resolveConfig, writeHtmlReport } = require('../js/index.js');

const CLI = path.join(ROOT, 'js', 'cli', 'main.js');
const REPORTER = path.join(ROOT, 'js', 'playwright', 'reporter.js');
const FILES = 200;
const PER_FILE = 50;
const SHARDS = 4;
const EARLIER_RUNS = 19;

/** Test i's place: its file, title and key; a few ms of work that differs by file. */
function testAt(i) {
  const f = Math.floor(i / PER_FILE);
  const file = `tests/f${String(f).padStart(3, '0')}.spec.js`;
  const title = `t${i % PER_FILE}`;
  return { file, title, key: `main › ${file} › ${title}`, ms: f % 4, kind: i % 50 === 7 ? 'flaky' : i % 400 === 13 ? 'broken' : 'stable' };
}

/** The Playwright project: 200 files of 50 tests, the shardwright reporter with `html`. */
function writeProject(dir) {
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  fs.mkdirSync(path.join(dir, 'tests'));
  for (let f = 0; f < FILES; f++) {
    let src = "const { test } = require('@playwright/test');\nconst sleep = (ms) => new Promise((r) => setTimeout(r, ms));\n";
    for (let t = 0; t < PER_FILE; t++) {
      const { title, ms } = testAt(f * PER_FILE + t);
      src += ms ? `test('${title}', async () => { await sleep(${ms}); });\n` : `test('${title}', () => {});\n`;
    }
    fs.writeFileSync(path.join(dir, testAt(f * PER_FILE).file), src);
  }
  fs.writeFileSync(
    path.join(dir, 'playwright.config.js'),
    `module.exports = { workers: 2, projects: [{ name: 'main', testDir: './tests' }],
  reporter: [[${JSON.stringify(REPORTER)}, { history: 'history.json', reportDir: 'reports', html: 'reporter.html' }]] };\n`,
  );
}

/** 19 earlier CI runs of 4 shards, each shard added under the run's id as the reporter adds it. */
function writeHistory(file) {
  let seed = 7;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const h = History.empty({ maxRuns: 20 });
  const start = Date.UTC(2026, 10, 1);
  for (let r = 0; r < EARLIER_RUNS; r++) {
    const runId = `ci-${1000 + r}`;
    const startedAt = start + r * 6 * 3_600_000;
    for (let s = 1; s <= SHARDS; s++) {
      const attempts = [];
      for (let i = s - 1; i < FILES * PER_FILE; i += SHARDS) {
        const t = testAt(i);
        const base = { project: 'main', file: t.file, titlePath: [t.title], line: 3 + (i % PER_FILE), durationMs: t.ms + Math.round(random() * 2), retry: 0 };
        const outage = r === 11 && i % 3 === 0;
        if (outage) {
          const error = { message: 'Error: page.goto: net::ERR_CONNECTION_REFUSED at http://127.0.0.1:3000/' };
          attempts.push({ ...base, status: 'failed', error }, { ...base, retry: 1, status: 'failed', error });
        } else if ((t.kind === 'flaky' && random() < 0.3) || (t.kind === 'broken' && r >= EARLIER_RUNS - 4)) {
          const error = {
            message:
              t.kind === 'flaky' ? 'Error: locator.click: Timeout 5000ms exceeded.' : 'Error: expect(received).toBe(expected)\n\nExpected: 2\nReceived: 3',
          };
          attempts.push(
            { ...base, status: 'failed', error },
            { ...base, retry: 1, status: t.kind === 'flaky' ? 'passed' : 'failed', error: t.kind === 'flaky' ? undefined : error },
          );
        } else attempts.push({ ...base, status: 'passed' });
      }
      h.addRun({
        id: runId,
        startedAt,
        endedAt: startedAt + 240_000,
        commit: (0xabc000 + r).toString(16).padEnd(40, '0'),
        source: 'reporter',
        shard: { index: s, total: SHARDS },
        attempts,
      });
    }
  }
  h.save(file);
  return h;
}

test('the HTML report of 10,000 tests × 20 runs over 4 shards: loads fast, 4 shard rows, the flaky list of `report --json --all`, no request, no error', async () => {
  const dir = tempDir('sw-html-');
  writeProject(dir);
  writeHistory(path.join(dir, 'history.json'));

  // The 20th run, real: four shards one after the other in this folder.
  for (let i = 1; i <= SHARDS; i++) {
    const r = await run('npx', ['playwright', 'test', `--shard=${i}/${SHARDS}`], { cwd: dir, env: { CI: '1', FORCE_COLOR: '0' }, timeoutMs: 300_000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`shard ${i}/${SHARDS}: \\d+ of 10000 tests, by duration`));
    assert.match(r.stdout, /HTML report: .*reporter\.html \(\d/);
    if (i === SHARDS) assert.match(r.stdout, /all 4 shards of run \S+ ran here: coverage ok/);
  }
  const records = fs.readdirSync(path.join(dir, 'reports')).filter((f) => /^shard-\d-of-4\.json$/.test(f));
  assert.equal(records.length, SHARDS);
  const history = History.load(path.join(dir, 'history.json'));
  assert.equal(history.runCount, 20);
  assert.equal(history.testCount, 10_000);

  const out = path.join(dir, 'report.html');
  let r = await run(process.execPath, [CLI, 'report', '--html', out], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /wrote .*report\.html \(\d+(\.\d)? (KiB|MiB)\)/);
  // The reporter's own copy (option `html`), written by the last shard: the whole run's timeline.
  const fromReporter = fs.readFileSync(path.join(dir, 'reporter.html'), 'utf8');
  const reporterData = JSON.parse(fromReporter.match(/<script type="application\/json" id="sw-data">(.*?)<\/script>/s)[1]);
  assert.deepEqual(
    reporterData.timeline.shards.map((s) => s.index),
    [1, 2, 3, 4],
  );
  assert.equal(reporterData.runs.length, 20);
  const size = fs.statSync(out).size;
  console.log(
    `# HTML report of 10,000 tests × 20 runs: ${(size / 2 ** 20).toFixed(2)} MiB (${size} bytes); written by the reporter too: ${fs.statSync(path.join(dir, 'reporter.html')).size} bytes`,
  );
  r = await run(process.execPath, [CLI, 'report', '--json', '--all'], { cwd: dir, timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  const attention = report.tests.map((t) => t.key).sort();
  const flaky = report.tests
    .filter((t) => t.verdict === 'flaky')
    .map((t) => t.key)
    .sort();
  assert.ok(flaky.length >= 50 && attention.length > flaky.length, `${flaky.length} flaky of ${attention.length}`);

  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1360, height: 1180 } });
    const url = pathToFileURL(out).href;
    const requests = [];
    const errors = [];
    await page.route('**/*', (route) => {
      const u = route.request().url();
      if (u === url) return route.continue();
      requests.push(u);
      return route.abort();
    });
    page.on('request', (req) => {
      if (req.url() !== url) requests.push(req.url());
    });
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));

    const t0 = performance.now();
    await page.goto(url);
    await page.waitForSelector('body[data-ready]');
    const wallMs = performance.now() - t0;
    const readyMs = Number(await page.getAttribute('body', 'data-ready'));
    console.log(`# page ready ${readyMs} ms after navigation start (goto → ready ${wallMs.toFixed(0)} ms)`);
    assert.ok(readyMs <= 2000, `rendered in ${readyMs} ms`);
    assert.ok(wallMs <= 5000, `goto → ready took ${wallMs} ms`);

    // The timeline: one row per shard, each with its bars drawn.
    const rows = await page.$$eval('#timeline .tl-row canvas[data-shard]', (cs) => cs.map((c) => ({ shard: c.dataset.shard, w: c.width })));
    assert.deepEqual(
      rows.map((x) => x.shard),
      ['1', '2', '3', '4'],
    );
    assert.ok(rows.every((x) => x.w > 0));
    const labels = await page.$$eval('#timeline .tl-label', (ls) => ls.map((l) => l.textContent));
    const planned = labels.map((l) => Number(l.match(/ · ([\d,]+) tests, /)[1].replace(/,/g, '')));
    assert.equal(
      planned.reduce((a, b) => a + b, 0),
      10_000,
      `every test on one shard row: ${labels.join(' | ')}`,
    );
    assert.equal(await page.locator('#timeline .tl-bound:not(.took)').count(), 4, 'the lower bound marked on every row');

    // The list, scrolled through: exactly the report's tests; then the flaky ones.
    const listed = async () => {
      const keys = new Set();
      const box = page.locator('#tests-list');
      const height = await box.evaluate((b) => b.scrollHeight);
      for (let y = 0; ; y += 300) {
        await box.evaluate((b, top) => {
          b.scrollTop = top;
          b.dispatchEvent(new Event('scroll'));
        }, y);
        for (const k of await page.$$eval('#tests-list .vrow', (rs) => rs.map((x) => x.dataset.key))) keys.add(k);
        if (y > height) break;
      }
      return [...keys].sort();
    };
    assert.deepEqual(await listed(), attention);
    await page.click('#tests button[data-filter="flaky"]');
    assert.deepEqual(await listed(), flaky);
    assert.equal(await page.textContent('#tests-count'), `${flaky.length.toLocaleString('en')} of ${attention.length.toLocaleString('en')} tests`);
    await page.click('#tests button[data-filter="all"]');

    assert.ok((await page.locator('#incidents tbody tr').count()) >= 1, 'the outage is listed');
    assert.ok((await page.locator('#slowest tbody tr').count()) >= 10);
    assert.ok((await page.locator('#trend-flaky svg g').count()) === 20, 'one bar per run');

    if (!process.env.SHARDWRIGHT_NO_SCREENSHOT) {
      await page.click('#tests .vrow >> nth=0');
      await page.screenshot({ path: path.join(ROOT, 'docs', 'report.png') });
    }
    assert.deepEqual(requests, [], 'no request but the file');
    assert.deepEqual(errors, [], 'no console or page error');
  } finally {
    await browser.close();
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

test('`report --html`: bad flags are usage errors naming the flag', async () => {
  const dir = tempDir('sw-html-flags-');
  const history = path.join(dir, 'h.json');
  History.empty().save(history);
  for (const [args, message] of [
    [['--html', ''], /invalid --html: "" \(a file path\)/],
    [['--html', 'x.html', '--json'], /--html cannot be used with --json/],
    [['--report-dir', 'r'], /--report-dir is only for --html/],
  ]) {
    const r = await run(process.execPath, [CLI, 'report', '--history', history, ...args], { cwd: dir });
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, message);
    assert.match(r.stderr, /\[ERR_SHARDWRIGHT_CONFIG\]/);
  }
  // The reporter's option is a path.
  assert.throws(() => resolveConfig({ html: 3 }), { code: 'ERR_SHARDWRIGHT_CONFIG', message: 'invalid html: 3 (a string)' });
  assert.equal(resolveConfig({ html: 'r.html' }).values.html, 'r.html');
  // An empty history still makes a page.
  const r = await run(process.execPath, [CLI, 'report', '--history', history, '--html', 'empty.html'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const html = fs.readFileSync(path.join(dir, 'empty.html'), 'utf8');
  assert.match(html, /<script type="application\/json" id="sw-data">\{"kind":"shardwright-html-report"/);
  assert.doesNotMatch(html, /(src|href)\s*=\s*["']?(https?:)?\/\/|url\(|@import/, 'nothing a browser could fetch');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('`report --html --report-dir`: shard records found a few folders down (downloaded artifacts); an unreadable one is a note', async () => {
  const dir = tempDir('sw-html-records-');
  const h = History.empty();
  h.addRun({
    id: 'ci-1',
    startedAt: Date.UTC(2026, 0, 1),
    attempts: ['a', 'b'].map((t) => ({ file: `${t}.spec.ts`, titlePath: [t], durationMs: 40, status: 'passed' })),
  });
  h.save(path.join(dir, 'h.json'));
  for (const i of [1, 2]) {
    const reports = path.join(dir, 'shards', `shardwright-${i}`, '.shardwright', 'reports');
    fs.mkdirSync(reports, { recursive: true });
    const key = `${i === 1 ? 'a' : 'b'}.spec.ts › ${i === 1 ? 'a' : 'b'}`;
    const record = {
      index: i,
      total: 2,
      runId: 'ci-1',
      workers: 1,
      predictedMs: 50,
      actualMs: 60,
      groups: [{ id: key, expectedMs: 30, tests: [key] }],
      ran: [key],
    };
    fs.writeFileSync(path.join(reports, `shard-${i}-of-2.json`), JSON.stringify(record));
  }
  fs.writeFileSync(path.join(dir, 'shards', 'shard-3-of-4.json'), '{"index":');
  const r = await run(process.execPath, [CLI, 'report', '--history', 'h.json', '--html', 'r.html', '--report-dir', 'shards'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const html = fs.readFileSync(path.join(dir, 'r.html'), 'utf8');
  const data = JSON.parse(html.match(/<script type="application\/json" id="sw-data">(.*?)<\/script>/s)[1]);
  assert.equal(data.timeline.runId, 'ci-1');
  assert.deepEqual(
    data.timeline.shards.map((s) => [s.index, s.plannedMs, s.takenMs]),
    [
      [1, 30, 40],
      [2, 30, 40],
    ],
  );
  assert.equal(data.timeline.lowerBoundMs, 30);
  assert.match(data.notes.join('\n'), /shard-3-of-4\.json left out: not a shard record/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('titles that look like markup stay text: nothing closes the data or runs', async () => {
  const dir = tempDir('sw-html-xss-');
  const h = History.empty();
  const titles = ['</script><script>window.__pwned = 1</script>', '<img src=x onerror="window.__pwned = 2">', "$& $1 $' $` \u2028 <!--"];
  for (let r = 0; r < 3; r++) {
    h.addRun({
      id: `r${r}`,
      startedAt: Date.UTC(2026, 0, 1 + r),
      attempts: titles.flatMap((t) =>
        r === 1
          ? [
              { file: 'x.spec.ts', titlePath: [t], durationMs: 5, status: 'failed', error: { message: `Error: </script> ${t}` } },
              { file: 'x.spec.ts', titlePath: [t], durationMs: 5, status: 'passed', retry: 1 },
            ]
          : [{ file: 'x.spec.ts', titlePath: [t], durationMs: 5, status: 'passed' }],
      ),
    });
  }
  const out = path.join(dir, 'r.html');
  const written = writeHtmlReport(out, h);
  assert.equal(written.bytes, fs.statSync(out).size);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('dialog', (d) => errors.push(`dialog ${d.message()}`));
    await page.goto(pathToFileURL(out).href);
    await page.waitForSelector('body[data-ready]');
    const keys = await page.$$eval('#tests-list .vrow', (rs) => rs.map((x) => x.dataset.key));
    assert.deepEqual(keys.sort(), titles.map((t) => `x.spec.ts › ${t}`).sort());
    assert.equal(await page.evaluate(() => window.__pwned), undefined);
    assert.equal(await page.locator('#tests-list img').count(), 0);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
  fs.rmSync(dir, { recursive: true, force: true });
});
