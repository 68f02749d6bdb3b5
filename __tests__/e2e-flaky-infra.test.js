'use strict';
// Real `npx playwright test` runs (Debian's Chromium) of a generated project,
// recorded by the shardwright reporter into one history, run after run:
//
//   1 clean · 2 webServer down (every test: ERR_CONNECTION_REFUSED; outage runs
//   without retries, to keep them short) · 3 clean,
//   one test flaky (passes on retry) · 4 a part of the app down (12 of 23
//   tests, 3 of 7 files: ERR_EMPTY_RESPONSE) · 5 clean, the test flaky again · 6 TypeErrors and a
//   web-first assertion timeout with retries: 2 · 7 the same with
//   retryPermanent: true.
//
// Outages are named as incidents and leave stable tests stable; one flaky
// run makes a test flaky but not quarantined, two quarantine it; a TypeError
// with a clean history is not retried (body once, no backoff) while an
// assertion timeout and a test with flaky history still are.
//
// The project lives under examples/ (its node_modules has shardwright,
// installed from the packed tarball, and @playwright/test) and is removed
// at the end.
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { EXAMPLES, freePort, run, reportTests } = require('./helpers.js');

const project = fs.mkdtempSync(path.join(EXAMPLES, '.e2e-flaky-infra-'));
// A killed run's web server may still be writing: retry the removal.
after(() => fs.rmSync(project, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 }));
const HISTORY = path.join(project, 'history.json');
const REPORTS = path.join(project, 'reports');
const BODY_LOG = path.join(project, 'bodies.log');
const STABLE_FILES = ['alpha', 'bravo', 'charlie', 'delta', 'echo'];
const DOWN_FILES = ['alpha', 'bravo', 'charlie'];
const NOTE = 'shardwright: not retried, permanent failure';
const key = (file, title) => `chromium › ${file}.spec.ts › ${title}`;
const FLAKY = key('flaky', 'checkout total');
const TYPE_ERROR = key('permanent', 'reads a missing field');
const ASSERTION = key('permanent', 'shows the banner');

function write(file, text) {
  fs.mkdirSync(path.dirname(path.join(project, file)), { recursive: true });
  fs.writeFileSync(path.join(project, file), text);
}

// The app: one page per path. DOWN=alpha,bravo drops the connections of
// those parts (Chromium: net::ERR_EMPTY_RESPONSE), as a dependency down for
// part of the run would.
write(
  'server.js',
  `const http = require('node:http');
const down = (process.env.DOWN || '').split(',').filter(Boolean);
http.createServer((req, res) => {
  if (down.some((d) => req.url.startsWith('/' + d))) return req.socket.destroy();
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end('<h1 id="t">ok</h1>');
}).listen(Number(process.env.PORT), '127.0.0.1');
`,
);

// OUTAGE=all: the webServer is not started and nothing listens on the port.
write(
  'playwright.config.js',
  `const { defineConfig } = require('@playwright/test');
const { withShardwright } = require('shardwright');
const PORT = Number(process.env.APP_PORT);
const outage = process.env.OUTAGE === 'all';
module.exports = withShardwright(
  defineConfig({
    testDir: './tests',
    outputDir: 'test-results',
    timeout: 15000,
    reporter: [['json', { outputFile: process.env.JSON_REPORT }]],
    use: {
      baseURL: 'http://127.0.0.1:' + PORT,
      retryPermanent: process.env.RETRY_PERMANENT === '1',
      permanent: process.env.PERMANENT ? [process.env.PERMANENT] : [],
      launchOptions: {
        executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
      },
    },
    projects: [{ name: 'chromium', use: { browserName: 'chromium' } }],
    webServer: outage
      ? undefined
      : { command: 'node server.js', url: 'http://127.0.0.1:' + PORT + '/', env: { PORT: String(PORT), DOWN: process.env.DOWN || '' }, reuseExistingServer: false },
  }),
  { maxWorkers: 2, jitter: 'none' },
);
`,
);

for (const name of STABLE_FILES) {
  const tests = [1, 2, 3, 4].map(
    (i) => `test('${name} page ${i}', async ({ page }) => {
  await page.goto('/${name}/${i}');
  await expect(page.locator('#t')).toHaveText('ok');
});
`,
  );
  write(`tests/${name}.spec.ts`, `import { expect, test } from 'shardwright/test';\n\n${tests.join('\n')}`);
}

// Fails its first attempt in the runs listed in FLAKY_RUNS (a web-first
// assertion timeout), passes on retry. In a TYPE_ERRORS run its first
// attempt throws a TypeError instead.
write(
  'tests/flaky.spec.ts',
  `import { expect, test } from 'shardwright/test';

test('checkout total', async ({ page }, testInfo) => {
  await page.goto('/flaky');
  if (testInfo.retry === 0 && process.env.TYPE_ERRORS === '1') (undefined as any).total.count;
  const failNow = testInfo.retry === 0 && (process.env.FLAKY_RUNS || '').split(',').includes(process.env.RUN);
  await expect(page.locator('#t')).toHaveText(failNow ? 'never' : 'ok', { timeout: failNow ? 300 : 5000 });
});
`,
);

// In a TYPE_ERRORS run: a TypeError on every attempt, and a web-first
// assertion that times out on every attempt. Each body run is logged.
write(
  'tests/permanent.spec.ts',
  `import { appendFileSync } from 'node:fs';
import { expect, test } from 'shardwright/test';

test('reads a missing field', async ({ page }, testInfo) => {
  appendFileSync(process.env.BODY_LOG, 'type-error ' + testInfo.retry + '\\n');
  await page.goto('/permanent');
  const order: any = process.env.TYPE_ERRORS === '1' ? undefined : { id: 1 };
  expect(order.id).toBe(1);
});

test('shows the banner', async ({ page }, testInfo) => {
  appendFileSync(process.env.BODY_LOG, 'assertion ' + testInfo.retry + '\\n');
  await page.goto('/permanent');
  await expect(page.locator('#t')).toHaveText(process.env.TYPE_ERRORS === '1' ? process.env.BANNER || 'banner' : 'ok', { timeout: 500 });
});
`,
);

const STABLE = STABLE_FILES.flatMap((f) => [1, 2, 3, 4].map((i) => key(f, `${f} page ${i}`)));

/** One run; resolves with the exit code, output, Playwright's JSON report and shardwright's report. */
async function runOnce(n, env = {}) {
  const jsonReport = path.join(project, `pw-${n}.json`);
  const result = await run('npx', ['playwright', 'test'], {
    cwd: project,
    env: {
      APP_PORT: String(await freePort()),
      JSON_REPORT: jsonReport,
      BODY_LOG,
      RUN: String(n),
      FLAKY_RUNS: '3,5',
      SHARDWRIGHT_HISTORY: HISTORY,
      SHARDWRIGHT_REPORT_DIR: REPORTS,
      SHARDWRIGHT_MAX_RETRIES: '1',
      SHARDWRIGHT_INITIAL_DELAY_MS: '100',
      GITHUB_SHA: `c${n}`,
      GITHUB_STEP_SUMMARY: '',
      CI: '1',
      FORCE_COLOR: '0',
      ...env,
    },
    // Each failure restarts a worker and its browser: on a loaded 2-core
    // machine an outage run takes minutes.
    timeoutMs: 480_000,
  });
  const out = `run ${n}: exit ${result.code}\n${result.stdout}\n${result.stderr}`;
  assert.ok(fs.existsSync(jsonReport), `no Playwright report\n${out}`);
  const pw = reportTests(JSON.parse(fs.readFileSync(jsonReport, 'utf8')));
  const report = JSON.parse(fs.readFileSync(path.join(REPORTS, 'flaky-report.json'), 'utf8'));
  assert.equal(report.run.runId.length > 0, true);
  return { ...result, out, pw, report, tests: new Map(report.tests.map((t) => [t.key, t])) };
}

const verdictOf = (r, k) => r.tests.get(k)?.verdict ?? 'stable';

test('a webServer down for every test: an incident, stable tests stay stable', async () => {
  const first = await runOnce(1);
  assert.equal(first.code, 0, first.out);
  assert.equal(first.pw.length, STABLE.length + 3);

  const down = await runOnce(2, { OUTAGE: 'all', SHARDWRIGHT_MAX_RETRIES: '0' });
  assert.equal(down.code, 1, down.out);
  assert.ok(
    down.pw.every((t) => t.results.every((r) => /net::ERR_CONNECTION_REFUSED/.test(r.error?.message ?? ''))),
    'every test failed with the refused connection',
  );
  assert.equal(down.report.incidents.length, 1, JSON.stringify(down.report.incidents));
  const [incident] = down.report.incidents;
  assert.equal(incident.runId, down.report.run.runId);
  assert.equal(incident.signature, 'ERR_CONNECTION_REFUSED');
  assert.equal(incident.tests, STABLE.length + 3);
  assert.match(incident.summary, /: 23 of 23 tests in 7 files failed with ERR_CONNECTION_REFUSED/);
  assert.equal(down.report.run.failedInfrastructure.length, STABLE.length + 3);
  assert.match(down.stdout, /incident run .*ERR_CONNECTION_REFUSED/, 'the end-of-run summary names the incident');
  const md = fs.readFileSync(path.join(REPORTS, 'flaky-report.md'), 'utf8');
  assert.match(md, /### Infrastructure incidents \(1\)\n\n.*\n\n- run .*23 of 23 tests in 7 files failed with ERR_CONNECTION_REFUSED/);
  assert.equal(down.report.summary.flaky, 0);
  assert.deepEqual(down.report.quarantine, []);
  for (const k of STABLE) assert.notEqual(verdictOf(down, k), 'flaky', k);
});

test('a test flaky in one run is flaky but not quarantined; the outage stays an incident', async () => {
  const r = await runOnce(3);
  assert.equal(r.code, 0, r.out);
  const flaky = r.tests.get(FLAKY);
  assert.equal(flaky.verdict, 'flaky', r.out);
  assert.equal(flaky.evidence.flakyRuns, 1);
  assert.equal(flaky.quarantined, false);
  assert.deepEqual(r.report.quarantine, []);
  assert.equal(r.report.summary.flaky, 1);
  assert.equal(r.report.incidents[0].confirmed, true, 'the tests passed again');
  for (const k of STABLE) assert.equal(verdictOf(r, k), 'stable', k);
});

test('a part of the app down: an incident for the tests it hit, stable tests stay stable', async () => {
  const r = await runOnce(4, { DOWN: DOWN_FILES.join(','), SHARDWRIGHT_MAX_RETRIES: '0' });
  assert.equal(r.code, 1, r.out);
  const hit = r.pw.filter((t) => t.status === 'unexpected').map((t) => key(path.basename(t.file, '.spec.ts'), t.title));
  assert.deepEqual(hit.sort(), STABLE.filter((k) => DOWN_FILES.some((f) => k.includes(`› ${f}.spec.ts`))).sort());
  const incident = r.report.incidents.find((i) => i.runId === r.report.run.runId);
  assert.ok(incident, JSON.stringify(r.report.incidents));
  assert.equal(incident.signature, 'ERR_EMPTY_RESPONSE');
  assert.equal(incident.tests, 12);
  assert.equal(incident.files, 3);
  for (const k of STABLE) assert.equal(verdictOf(r, k), 'stable', k);
  assert.equal(r.report.summary.flaky, 1, 'only the flaky test is flaky');
});

test('flaky in two runs: quarantined; both incidents in the report', async () => {
  const r = await runOnce(5);
  assert.equal(r.code, 0, r.out);
  const flaky = r.tests.get(FLAKY);
  assert.equal(flaky.verdict, 'flaky');
  assert.equal(flaky.evidence.flakyRuns, 2);
  assert.equal(flaky.quarantined, true, JSON.stringify(flaky.evidence));
  assert.deepEqual(
    r.report.quarantine.map((q) => q.key),
    [FLAKY],
  );
  assert.deepEqual(
    r.report.incidents.map((i) => i.signature),
    ['ERR_CONNECTION_REFUSED', 'ERR_EMPTY_RESPONSE'],
  );
  for (const k of STABLE) assert.equal(verdictOf(r, k), 'stable', k);
  assert.equal(r.report.summary.flaky, 1);
});

const bodies = () => fs.readFileSync(BODY_LOG, 'utf8').trim().split('\n');
const backoffNotes = (result) => result.annotations.filter((a) => a.type === 'shardwright:backoff');

test('retries: 2 — a TypeError with a clean history runs once without backoff; an assertion timeout and a flaky test are retried', async () => {
  fs.writeFileSync(BODY_LOG, '');
  const started = Date.now();
  const r = await runOnce(6, { TYPE_ERRORS: '1', SHARDWRIGHT_MAX_RETRIES: '2', SHARDWRIGHT_INITIAL_DELAY_MS: '2000', SHARDWRIGHT_BACKOFF_MULTIPLIER: '1' });
  const wall = Date.now() - started;
  assert.equal(r.code, 1, r.out);
  const log = bodies();
  assert.deepEqual(
    log.filter((l) => l.startsWith('type-error')),
    ['type-error 0'],
    'the TypeError test body ran once',
  );
  assert.deepEqual(
    log.filter((l) => l.startsWith('assertion')),
    ['assertion 0', 'assertion 1', 'assertion 2'],
    'the assertion timeout was retried',
  );

  const typeError = r.pw.find((t) => t.title === 'reads a missing field');
  assert.equal(typeError.results.length, 3);
  assert.match(typeError.results[0].error.message, /^TypeError: Cannot read properties of undefined \(reading 'id'\)/);
  for (const attempt of typeError.results.slice(1)) {
    assert.equal(attempt.status, 'failed');
    assert.match(attempt.error.message, /^TypeError: Cannot read properties of undefined \(reading 'id'\)/, 'the original error');
    assert.ok(attempt.error.message.includes(NOTE), attempt.error.message);
    assert.deepEqual(backoffNotes(attempt), [], 'no backoff wait');
    assert.ok(attempt.duration < 2000, `attempt took ${attempt.duration} ms`);
    const note = attempt.annotations.find((a) => a.type === 'shardwright:not-retried');
    assert.ok(note?.description.startsWith(NOTE), JSON.stringify(attempt.annotations));
  }

  const assertion = r.pw.find((t) => t.title === 'shows the banner');
  assert.equal(assertion.results.length, 3);
  assert.match(assertion.results[0].error.message, /toHaveText/);
  for (const attempt of assertion.results.slice(1)) {
    assert.ok(!attempt.error.message.includes(NOTE));
    const [wait] = backoffNotes(attempt);
    assert.ok(wait, JSON.stringify(attempt.annotations));
    assert.ok(Number(/waited (\d+) ms/.exec(wait.description)[1]) >= 1995, wait.description);
  }

  // Flaky history: its TypeError is retried, and the retry passes.
  const flaky = r.pw.find((t) => t.title === 'checkout total');
  assert.equal(flaky.status, 'flaky', JSON.stringify(flaky.results.map((x) => x.error?.message)));
  assert.match(flaky.results[0].error.message, /^TypeError/);
  assert.equal(backoffNotes(flaky.results[1]).length, 1);

  // The history keeps the attempts' classification.
  const recorded = r.tests.get(TYPE_ERROR);
  assert.ok(
    recorded.evidence.errors.some((e) => e.class === 'permanent' && e.rule === 'programming-error'),
    JSON.stringify(recorded.evidence.errors),
  );
  assert.ok(r.tests.get(ASSERTION), 'the assertion test failed in the run');
  assert.ok(wall < 120_000, `${wall} ms`);
});

test('retryPermanent: true retries the TypeError as Playwright does', async () => {
  fs.writeFileSync(BODY_LOG, '');
  const r = await runOnce(7, {
    TYPE_ERRORS: '1',
    RETRY_PERMANENT: '1',
    BANNER: 'promo banner',
    PERMANENT: 'promo banner',
    SHARDWRIGHT_MAX_RETRIES: '2',
    SHARDWRIGHT_INITIAL_DELAY_MS: '100',
  });
  assert.equal(r.code, 1, r.out);
  assert.deepEqual(
    bodies().filter((l) => l.startsWith('type-error')),
    ['type-error 0', 'type-error 1', 'type-error 2'],
  );
  const typeError = r.pw.find((t) => t.title === 'reads a missing field');
  for (const attempt of typeError.results) assert.ok(!attempt.error.message.includes(NOTE));
  assert.equal(backoffNotes(typeError.results[1]).length, 1, 'and waits the backoff');
  // The user's `use.permanent` pattern reaches the history's classifier:
  // the timed-out assertion (retryable by the built-in rules) is recorded
  // as permanent by the user's rule.
  const recorded = r.tests.get(ASSERTION);
  assert.ok(
    recorded.evidence.errors.some((e) => e.class === 'permanent' && e.rule === 'user:promo banner'),
    JSON.stringify(recorded.evidence.errors),
  );
});
