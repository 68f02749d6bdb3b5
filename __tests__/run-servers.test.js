'use strict';
// `shardwright run` and a project's web server on a FIXED port
// (`reuseExistingServer: false`, as on CI): started once for the machine,
// every test run once (each appends its title to ran.log), the config's
// reporters (html, junit) written for the whole run, a server that cannot
// start stopping the run with its output, SIGTERM leaving nothing behind.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { History } = require('../js/index.js');
const { ROOT, freePort, run } = require('./helpers.js');
const { writeFixture, logLines, allTitles } = require('./run-fixture.js');

const CLI = path.join(ROOT, 'js', 'cli', 'main.js');

function env(dir) {
  return { SHARDWRIGHT_HISTORY: path.join(dir, 'history.json'), SHARDWRIGHT_REPORT_DIR: path.join(dir, 'report'), FORCE_COLOR: '0', CI: '1' };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function listening(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.on('connect', () => {
      s.end();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

/** Live processes whose working directory is `dir` (a run's Playwright processes, its server). */
function processesIn(dir) {
  const out = [];
  for (const pid of fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      if (fs.readlinkSync(`/proc/${pid}/cwd`) !== dir) continue;
      if (fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ')) continue;
      out.push(`${pid} ${fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim()}`);
    } catch {}
  }
  return out;
}

/** Polls `check` until true (or `ms` passed); resolves its last value. */
async function within(ms, check) {
  const until = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v || Date.now() > until) return v;
    await sleep(100);
  }
}

test('fixed-port webServer with a globalSetup, html and junit reporters: every test once, the server started once, the reports cover the whole run, nothing left behind', async () => {
  const port = await freePort();
  const dir = writeFixture({
    port,
    files: 6,
    tests: 4,
    stepMs: 20,
    globalSetupPort: await freePort(),
    reporter: [['list'], ['html', { outputFolder: 'html-report', open: 'never' }], ['junit', { outputFile: 'results/junit.xml' }]],
  });
  const r = await run(process.execPath, [CLI, 'run', '--workers', '2'], { cwd: dir, env: env(dir), timeoutMs: 240_000 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(logLines(dir, 'ran.log').sort(), allTitles(6, 4), 'every test ran exactly once');
  assert.equal(logLines(dir, 'starts.log').length, 1, 'the web server started once');
  assert.match(r.stdout, /^shardwright: 24 tests in 6 groups · 2 workers$/m);
  assert.match(r.stdout, /^shardwright: 6\/6 groups done, 0 failed, in .* on 2 workers · tests: 24 passed, 0 failed, 0 flaky, 0 not run$/m);
  // The config's reporters saw the whole run, where the config says.
  assert.ok(fs.existsSync(path.join(dir, 'html-report', 'index.html')));
  const junit = fs.readFileSync(path.join(dir, 'results', 'junit.xml'), 'utf8');
  assert.equal(junit.match(/<testcase /g).length, 24);
  assert.match(junit, /tests="24" failures="0"/);
  // Nothing of the run is left: no wrapper config, no server, no process.
  assert.deepEqual(
    fs.readdirSync(dir).filter((f) => f.startsWith('.shardwright-run-')),
    [],
  );
  assert.equal(await listening(port), false, 'the web server is down');
  assert.deepEqual(processesIn(dir), []);
});

test("`npx playwright test` started without npx: the project's node_modules/.bin tools still resolve (globalSetup), every test once", async () => {
  const port = await freePort();
  const dir = writeFixture({ port, files: 3, tests: 2 });
  // node_modules: the repository's packages, plus a tool of the project's own in .bin.
  fs.rmSync(path.join(dir, 'node_modules'));
  const bin = path.join(dir, 'node_modules', '.bin');
  fs.mkdirSync(bin, { recursive: true });
  const shared = path.join(ROOT, 'node_modules');
  for (const e of fs.readdirSync(shared)) if (e !== '.bin') fs.symlinkSync(path.join(shared, e), path.join(dir, 'node_modules', e));
  for (const e of fs.readdirSync(path.join(shared, '.bin'))) fs.symlinkSync(fs.realpathSync(path.join(shared, '.bin', e)), path.join(bin, e));
  fs.writeFileSync(path.join(bin, 'fixture-tool'), `#!/bin/sh\necho "tool ran" >> ${JSON.stringify(path.join(dir, 'tool.log'))}\n`, { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'global-setup.js'), "module.exports = () => { require('node:child_process').execFileSync('fixture-tool'); };\n");
  const config = path.join(dir, 'playwright.config.js');
  fs.writeFileSync(config, fs.readFileSync(config, 'utf8').replace('defineConfig({', "defineConfig({ globalSetup: require.resolve('./global-setup.js'),"));
  // No .bin folder on the PATH, as when `shardwright run` is started by node itself.
  const PATH = process.env.PATH.split(path.delimiter)
    .filter((p) => !p.includes('node_modules'))
    .join(path.delimiter);
  const r = await run(process.execPath, [CLI, 'run', '--workers', '2'], { cwd: dir, env: { ...env(dir), PATH }, timeoutMs: 240_000 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(logLines(dir, 'ran.log').sort(), allTitles(3, 2), 'every test ran exactly once');
  assert.deepEqual(logLines(dir, 'tool.log'), ['tool ran'], "globalSetup found the project's tool");
});

test('a webServer that cannot start stops the run before any test, with its output and exit code', async () => {
  const port = await freePort();
  const dir = writeFixture({ port, files: 2, tests: 2, serverFails: true });
  const started = Date.now();
  const r = await run(process.execPath, [CLI, 'run', '--workers', '2'], { cwd: dir, env: env(dir) });
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.match(
    r.stderr,
    new RegExp(
      `^shardwright run: the web server \`node server\\.js \\(http://127\\.0\\.0\\.1:${port}/\\)\` did not start \\(exit code 3\\): Process from config\\.webServer was not able to start\\. Exit code: 3\\n  its output:\\n    server\\.js: cannot open the database \\(simulated\\)\\n  no test was run \\[ERR_SHARDWRIGHT_IO\\]\\n$`,
    ),
  );
  assert.deepEqual(logLines(dir, 'ran.log'), []);
  assert.ok(Date.now() - started < 60_000, 'at once, not after a server timeout');
  assert.deepEqual(processesIn(dir), []);
});

/** `shardwright run` of a 4 × 4 slow fixture, once 3 tests ran: `{ port, dir, child, output(), exited }`. */
async function runUntilTestsRan() {
  const port = await freePort();
  const dir = writeFixture({ port, files: 4, tests: 4, waitMs: 1500 });
  const child = spawn(process.execPath, [CLI, 'run', '--workers', '2'], { cwd: dir, env: { ...process.env, ...env(dir) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  assert.ok(await within(120_000, () => logLines(dir, 'ran.log').length >= 3), `tests ran: ${out}`);
  return { port, dir, child, output: () => out, exited };
}

test('SIGTERM mid-run: exit 143 at once, no process of the run alive after 5 s, the port free, what finished recorded', async () => {
  const { port, dir, child, output, exited } = await runUntilTestsRan();
  assert.ok(await listening(port));
  const running = processesIn(dir);
  assert.ok(running.length >= 3, `the server, the Playwright runner and its workers: ${running.join('\n')}`);
  const sent = Date.now();
  child.kill('SIGTERM');
  const exit = await exited;
  assert.equal(exit.code, 143, output());
  assert.ok(Date.now() - sent < 10_000, `exited ${Date.now() - sent} ms after SIGTERM`);
  assert.match(output(), /^shardwright: stopped by SIGTERM: \d+ groups? finished on this machine/m);
  const left = await within(5000, () => processesIn(dir).length === 0 && listening(port).then((l) => !l));
  assert.ok(left, `left behind 5 s after the exit: ${processesIn(dir).join('\n')}`);
  assert.deepEqual(
    fs.readdirSync(dir).filter((f) => f.startsWith('.shardwright-run-')),
    [],
    'the wrapper config is removed',
  );
  // The tests that finished are in the history.
  const history = History.load(path.join(dir, 'history.json'));
  assert.equal(history.runCount, 1);
  assert.ok(history.testKeys().length >= 2, history.testKeys().join('\n'));
});

test('SIGKILL mid-run: the Playwright runner, its workers and the web server are gone within 10 s', async () => {
  const { port, dir, child, exited } = await runUntilTestsRan();
  const running = processesIn(dir);
  assert.ok(
    running.some((p) => /playwright.* test/.test(p)),
    `the Playwright runner: ${running.join('\n')}`,
  );
  child.kill('SIGKILL');
  assert.equal((await exited).signal, 'SIGKILL');
  const left = await within(10_000, () => processesIn(dir).length === 0 && listening(port).then((l) => !l));
  assert.ok(left, `left behind 10 s after SIGKILL: ${processesIn(dir).join('\n')}`);
  // Nothing ran after the run was gone: the log stops growing.
  const ran = logLines(dir, 'ran.log').length;
  await new Promise((r) => setTimeout(r, 2000));
  assert.equal(logLines(dir, 'ran.log').length, ran);
  // The wrapper config the killed run held is left; the next run of the
  // folder uses it (one name per host and config), and removes it at its end.
  const wrappers = () => fs.readdirSync(dir).filter((f) => f.startsWith('.shardwright-run-'));
  assert.equal(wrappers().length, 1, wrappers().join(', '));
  fs.rmSync(path.join(dir, 'ran.log'));
  const again = await run(process.execPath, [CLI, 'run', '--workers', '2'], { cwd: dir, env: env(dir) });
  assert.equal(again.code, 0, again.stdout + again.stderr);
  assert.deepEqual(logLines(dir, 'ran.log').sort(), allTitles(4, 4), 'every test ran exactly once');
  assert.deepEqual(wrappers(), []);
});

test("shardwright/test's retry decisions in run's batches: a new test's TypeError runs once, not retries + 1 times", async () => {
  const port = await freePort();
  const dir = writeFixture({ port, files: 2, tests: 2, retries: 2 });
  // A first run: the history knows the suite, none of it flaky.
  const first = await run(process.execPath, [CLI, 'run', '--workers', '2'], { cwd: dir, env: env(dir) });
  assert.equal(first.code, 0, first.stdout + first.stderr);
  const bodies = path.join(dir, 'bodies.log');
  fs.writeFileSync(
    path.join(dir, 'tests', 'new.spec.js'),
    `const fs = require('node:fs');
const { test } = require(${JSON.stringify(path.join(ROOT, 'js', 'playwright', 'test.js'))});
test('reads a missing user', async () => {
  fs.appendFileSync(${JSON.stringify(bodies)}, 'body\\n');
  const user = undefined;
  return user.id;
});
`,
  );
  const r = await run(process.execPath, [CLI, 'run', '--workers', '2'], { cwd: dir, env: env(dir) });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.equal(fs.readFileSync(bodies, 'utf8'), 'body\n', 'the body ran once');
  assert.match(r.stdout, /new\.spec\.js › reads a missing user/);
  assert.match(r.stdout, /TypeError: Cannot read properties of undefined \(reading 'id'\)/);
  assert.deepEqual(logLines(dir, 'ran.log').sort(), [...allTitles(2, 2), ...allTitles(2, 2)].sort(), 'the rest ran in both runs');
});

test('several failed tests in one group: each is named with its own error, the run exits 1, the others pass', async () => {
  const port = await freePort();
  const fail = ['f0 t1', 'f0 t3', 'f2 t0'];
  const dir = writeFixture({ port, files: 3, tests: 4, fail });
  const r = await run(process.execPath, [CLI, 'run', '--workers', '2'], { cwd: dir, env: env(dir) });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.deepEqual(logLines(dir, 'ran.log').sort(), allTitles(3, 4), 'every test ran exactly once');
  const failed = /^shardwright: failed:\n((?: {2}✘ .*\n(?: {6}.*\n)*)+)/m.exec(r.stdout);
  assert.ok(failed, r.stdout);
  const blocks = failed[1].split(/^ {2}✘ /m).filter(Boolean);
  assert.equal(blocks.length, 3, failed[1]);
  for (const title of fail) {
    const file = `f${title[1]}.spec.js`;
    const block = blocks.find((b) => b.startsWith(`${file} › ${title}\n`));
    assert.ok(block, `${title} is named: ${failed[1]}`);
    // Its own error: the value it got is its own title, no other's.
    assert.match(block, /Error: expect\(received\)\.toBe\(expected\)/);
    assert.match(block, new RegExp(`Received: "broken ${title}"`));
    for (const other of fail.filter((t) => t !== title)) assert.doesNotMatch(block, new RegExp(`broken ${other}`));
  }
  assert.match(r.stdout, /^shardwright: 3\/3 groups done, 2 failed, in .* on 2 workers · tests: 9 passed, 3 failed, 0 flaky, 0 not run$/m);
});
