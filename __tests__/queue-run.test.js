'use strict';
// Queue mode end to end: `shardwright run --queue` machines (real processes,
// each running real Playwright processes on examples/) against a real
// redis-server — a machine SIGKILLed mid-run, Redis lost mid-run, Redis
// unreachable at start — and `shardwright merge --queue`.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { WorkQueue } = require('../js/native.js');
const { History } = require('../js/index.js');
const { ROOT, EXAMPLES, freePort, tempDir, run: runCommand } = require('./helpers.js');
const { startRedis } = require('./redis-helpers.js');
const { writeFixture, logLines, allTitles } = require('./run-fixture.js');

const CLI = path.join(ROOT, 'js', 'cli', 'main.js');

// Every Redis of these tests has this password (a `/`, an `@` and a `:` in
// it): no output of any command may show it (the last test greps them all).
const PASSWORD = 'pa/ss@w0rd:x';
const outputs = [];

/** helpers.run, its output kept for the password check. */
async function run(...args) {
  const r = await runCommand(...args);
  outputs.push(r.stdout, r.stderr);
  return r;
}

let redis;
before(async () => {
  redis = await startRedis({ password: PASSWORD });
});
after(async () => {
  await redis.stop();
});

/**
 * One CI machine: `node js/cli/main.js run …` in examples/ with its own port,
 * output dir, history and report dir. Resolves `exited` with { code, signal }.
 */
async function machine(name, args, { env = {} } = {}) {
  const dir = tempDir(`shardwright-machine-${name}-`);
  const child = spawn(process.execPath, [CLI, 'run', ...args], {
    cwd: EXAMPLES,
    env: {
      ...process.env,
      EXAMPLES_PORT: String(await freePort()),
      EXAMPLES_OUTPUT_DIR: path.join(dir, 'test-results'),
      SHARDWRIGHT_HISTORY: path.join(dir, 'history.json'),
      SHARDWRIGHT_REPORT_DIR: path.join(dir, 'report'),
      CI: '1',
      FORCE_COLOR: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const m = { name, dir, child, stdout: '', stderr: '' };
  child.stdout.on('data', (d) => (m.stdout += d));
  child.stderr.on('data', (d) => (m.stderr += d));
  m.exited = new Promise((resolve) =>
    child.on('close', (code, signal) => {
      outputs.push(m.stdout, m.stderr);
      resolve({ code, signal });
    }),
  );
  return m;
}

/** A machine process of the fixture project in `cwd` (one folder shared by every machine). */
function fixtureMachine(name, cwd, args, env = {}) {
  const child = spawn(process.execPath, [CLI, 'run', ...args], {
    cwd,
    env: {
      ...process.env,
      SHARDWRIGHT_HISTORY: path.join(cwd, 'history.json'),
      SHARDWRIGHT_REPORT_DIR: path.join(cwd, 'report'),
      CI: '1',
      FORCE_COLOR: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const m = { name, child, stdout: '', stderr: '' };
  child.stdout.on('data', (d) => (m.stdout += d));
  child.stderr.on('data', (d) => (m.stderr += d));
  m.exited = new Promise((resolve) =>
    child.on('close', (code, signal) => {
      outputs.push(m.stdout, m.stderr);
      resolve({ code, signal });
    }),
  );
  return m;
}

async function until(check, what, timeoutMs = 120_000) {
  const started = Date.now();
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Child pids of every process, from /proc. */
function childrenMap() {
  const map = new Map();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // pid (comm) state ppid …; comm may hold spaces and parentheses.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!map.has(ppid)) map.set(ppid, []);
    map.get(ppid).push(Number(entry));
  }
  return map;
}

function tree(pid) {
  const children = childrenMap();
  const out = [];
  const visit = (p) => {
    out.push(p);
    for (const c of children.get(p) || []) visit(c);
  };
  visit(pid);
  return out;
}

/**
 * SIGKILLs a process and all its descendants (the machine's Playwright
 * processes live in process groups of their own): stop them all first so
 * none starts another, then kill.
 */
function killTree(pid) {
  for (let round = 0; round < 3; round++) {
    for (const p of tree(pid)) {
      try {
        process.kill(p, 'SIGSTOP');
      } catch {}
    }
  }
  const all = tree(pid);
  for (const p of all) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {}
  }
  return all;
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
}

async function listedKeys(args = []) {
  const out = path.join(tempDir(), 'list.json');
  const r = await run('npx', ['playwright', 'test', '--list', '--reporter=json', ...args], { cwd: EXAMPLES, env: { PLAYWRIGHT_JSON_OUTPUT_FILE: out } });
  assert.equal(r.code, 0, r.stderr);
  const keys = [];
  const walk = (s, titles) => {
    for (const spec of s.specs || []) for (let i = 0; i < spec.tests.length; i++) keys.push(['chromium', spec.file, ...titles, spec.title].join(' › '));
    for (const c of s.suites || []) walk(c, [...titles, c.title]);
  };
  for (const s of JSON.parse(fs.readFileSync(out, 'utf8')).suites) walk(s, []);
  return keys.sort();
}

/** Distinct test keys of history attempts. */
function attemptKeys(attempts) {
  return [...new Set(attempts.map((a) => [a.project, a.file, ...a.titlePath].join(' › ')))];
}

test('3 machines, one SIGKILLed mid-run: every group completes exactly once, its leases return, the merged history holds every test', async () => {
  const suite = await listedKeys();
  const runId = `kill-${process.pid}`;
  const args = ['--queue', redis.url, '--run-id', runId, '--workers', '1', '--lease-ms', '1500'];
  const machines = [];
  for (const name of ['a', 'b', 'c']) machines.push(await machine(name, args));
  // The victim: the first machine with a batch under way.
  const victim = await until(() => machines.find((m) => /batch \d+ started/.test(m.stdout)), 'a batch to start');
  // Mid-batch: its Playwright runner, web server and browser are up.
  await until(() => tree(victim.child.pid).length >= 5, "the batch's Playwright processes", 60_000);
  const killed = killTree(victim.child.pid);
  const survivors = machines.filter((m) => m !== victim);
  const exits = await Promise.all(survivors.map((m) => m.exited));
  for (const [i, e] of exits.entries()) assert.equal(e.code, 0, `${survivors[i].name}: ${survivors[i].stdout}${survivors[i].stderr}`);
  assert.equal((await victim.exited).signal, 'SIGKILL');
  assert.deepEqual(killed.filter(alive), [], 'nothing of the killed machine lives on');

  const q = await WorkQueue.connect(redis.url, runId);
  const status = await q.status();
  assert.equal(status.complete, true);
  assert.equal(status.done, status.total);
  assert.equal(status.total, 6);
  assert.equal(status.failed, 0);
  assert.ok(status.reclaimed > 0, `the dead machine's leases were returned (reclaimed ${status.reclaimed})`);
  const victimId = `${require('node:os').hostname()}-${victim.child.pid}`;
  assert.deepEqual(
    status.machines.filter((m) => m.state === 'running').map((m) => m.id),
    [victimId],
    'only the dead machine never finished',
  );

  // Exactly once: one result per group, and every test in exactly one group's result.
  const results = await q.results();
  assert.equal(results.length, 6);
  assert.equal(new Set(results.map((r) => r.group)).size, 6);
  const perGroup = results.map((r) => attemptKeys(JSON.parse(r.payload).attempts));
  const tests = perGroup.flat().sort();
  assert.deepEqual(tests, suite, 'every test ran to completion in exactly one group');

  // The last machine to finish merged the run into its history.
  const mergers = survivors.filter((m) => /merged the run of 2 machines \(6 groups\)/.test(m.stdout));
  assert.equal(mergers.length, 1, survivors.map((m) => m.stdout).join('\n---\n'));
  const other = survivors.find((m) => m !== mergers[0]);
  assert.match(other.stdout, /the merged history is written by the last machine to finish/);
  assert.equal(fs.existsSync(path.join(other.dir, 'history.json')), false);
  const history = History.load(path.join(mergers[0].dir, 'history.json'));
  assert.equal(history.runCount, 1);
  assert.equal(history.runs()[0].id, `queue-${runId}`);
  assert.deepEqual(history.testKeys().sort(), suite);
  assert.ok(fs.existsSync(path.join(mergers[0].dir, 'report', 'flaky-report.json')));
  for (const m of survivors)
    assert.match(m.stdout, new RegExp(`^shardwright: run ${runId}: 6/6 groups done, 0 failed, \\d+ reclaimed from dead machines; this machine ran`, 'm'));

  // `shardwright merge --queue` writes the same run anywhere, once.
  const out = path.join(tempDir(), 'merged.json');
  for (let i = 0; i < 2; i++) {
    const r = await run(process.execPath, [CLI, 'merge', '--queue', redis.url, '--run-id', runId, '--out', out], {
      env: { SHARDWRIGHT_REPORT_DIR: path.dirname(out) },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      new RegExp(
        `^run ${runId} on redis://\\*\\*\\*@127\\.0\\.0\\.1:${redis.port}/0: 6 of 6 groups done \\(0 failed\\) by 2 machines\\n${i ? 'already in' : 'merged into'} `,
      ),
    );
  }
  const merged = History.load(out);
  assert.equal(merged.runCount, 1);
  assert.deepEqual(merged.testKeys().sort(), suite);
});

test("Redis lost mid-run: a clear failure naming the server, and this machine's results so far in a local file", async () => {
  const own = await startRedis({ password: 'pa55word' });
  const runId = `lost-${process.pid}`;
  const m = await machine('lost', ['--queue', own.url, '--run-id', runId, '--workers', '1', '--reconnect-retries', '1']);
  try {
    await until(() => /batch 1 ended/.test(m.stdout), 'the first batch to end');
  } finally {
    await own.stop();
  }
  const exit = await m.exited;
  assert.equal(exit.code, 2, m.stdout + m.stderr);
  const target = `redis://\\*\\*\\*@127\\.0\\.0\\.1:${own.port}/0`;
  const match = new RegExp(
    `^shardwright run: lost the queue ${target} mid-run: queue \`${target}\`: failed to .*\\n  this machine's results so far \\((\\d+) groups?, (\\d+) tests?, 0 failed\\) are in (\\S+) — a shardwright history: \`npx shardwright merge \\S+\` adds them to yours \\[ERR_SHARDWRIGHT_QUEUE\\]\\n$`,
    's',
  ).exec(m.stderr);
  assert.ok(match, m.stderr);
  assert.doesNotMatch(m.stdout + m.stderr, /pa55word/);
  const file = match[3];
  assert.equal(file, path.join(m.dir, 'report', `queue-results-${runId}-${require('node:os').hostname()}-${m.child.pid}.json`));
  const partial = History.load(file);
  assert.equal(partial.runCount, 1);
  assert.equal(partial.testKeys().length, Number(match[2]));
  // At least the first batch's tests are in it, each with its outcome.
  const firstBatch = m.stdout.match(/batch 1 started: (\d+) groups?, (\d+) tests?/);
  assert.ok(partial.testKeys().length >= Number(firstBatch[2]), `${partial.testKeys().length} tests saved, batch 1 had ${firstBatch[2]}`);
  assert.ok(partial.lastOutcomes(partial.testKeys()).every((o) => o === 'passed' || o === 'flaky'));
});

test('Redis unreachable at start: exit 2 naming host and port, no test run; --fallback local runs the suite here', async () => {
  const port = await freePort();
  const url = `redis://:s3cret@127.0.0.1:${port}/0`;
  const subset = ['--', 'npx', 'playwright', 'test', 'cart.spec.ts', 'shop.spec.ts'];
  const down = await machine('down', ['--queue', url, '--run-id', 'down', '--workers', '1', ...subset]);
  const exit = await down.exited;
  assert.equal(exit.code, 2);
  assert.match(
    down.stderr,
    new RegExp(
      `^shardwright run: queue \`redis://\\*\\*\\*@127\\.0\\.0\\.1:${port}/0\`: failed to connect: .*\\n  no test was run \\(with --fallback local this machine runs the whole suite alone instead\\) \\[ERR_SHARDWRIGHT_QUEUE\\]\\n$`,
      's',
    ),
  );
  assert.doesNotMatch(down.stdout + down.stderr, /s3cret/);
  assert.equal(down.stdout, '');
  assert.equal(fs.existsSync(path.join(down.dir, 'report')), false, 'nothing listed or run');
  assert.equal(fs.existsSync(path.join(down.dir, 'test-results')), false);

  const local = await machine('fallback', ['--queue', url, '--run-id', 'down', '--workers', '1', '--fallback', 'local', ...subset]);
  const done = await local.exited;
  assert.equal(done.code, 0, local.stdout + local.stderr);
  assert.match(
    local.stdout,
    new RegExp(
      `^shardwright: queue \`redis://\\*\\*\\*@127\\.0\\.0\\.1:${port}/0\`: failed to connect: .*\\n  running the whole suite on this machine \\(--fallback local\\)$`,
      'm',
    ),
  );
  assert.doesNotMatch(local.stdout + local.stderr, /s3cret/);
  assert.match(local.stdout, /^shardwright: 5 tests in 2 groups · 1 worker$/m);
  const history = History.load(path.join(local.dir, 'history.json'));
  assert.deepEqual(history.testKeys().sort(), await listedKeys(['cart.spec.ts', 'shop.spec.ts']));
});

test('3 machine processes at once in one folder, a fixed-port webServer: every test runs once, the server starts once, every file of a machine is its own', async () => {
  const cwd = writeFixture({ port: await freePort(), files: 8, tests: 3, stepMs: 40 });
  const runId = `one-host-${process.pid}`;
  const args = ['--queue', redis.url, '--run-id', runId, '--workers', '2'];
  const machines = ['a', 'b', 'c'].map((n) => fixtureMachine(n, cwd, args));
  const exits = await Promise.all(machines.map((m) => m.exited));
  for (const [i, e] of exits.entries()) assert.equal(e.code, 0, `${machines[i].name}: ${machines[i].stdout}${machines[i].stderr}`);
  assert.deepEqual(logLines(cwd, 'ran.log').sort(), allTitles(8, 3), 'every test ran exactly once');
  assert.equal(logLines(cwd, 'starts.log').length, 1, 'one web server for the three machine processes');
  const dirs = fs.readdirSync(path.join(cwd, 'report', 'runs'));
  assert.equal(dirs.length, 3, `a folder per machine: ${dirs}`);
  for (const m of machines) assert.ok(dirs.includes(`${runId}-${require('node:os').hostname()}-${m.child.pid}`));
  const mergers = machines.filter((m) => /merged the run of \d machines \(8 groups\)/.test(m.stdout));
  assert.equal(mergers.length, 1, machines.map((m) => m.stdout).join('\n---\n'));
  assert.match(mergers[0].stdout, /· tests: 24 passed, 0 failed, 0 flaky, 0 not run$/m);
  assert.deepEqual(
    fs.readdirSync(cwd).filter((f) => f.startsWith('.shardwright-run-')),
    [],
  );
});

test('3 machine processes in one folder, failing tests, junit and html reporters: the last machine names each failed test with its own error and writes the reports of the whole run', async () => {
  const fail = ['f0 t1', 'f3 t2'];
  const cwd = writeFixture({
    port: await freePort(),
    files: 6,
    tests: 3,
    stepMs: 30,
    fail,
    reporter: [['list'], ['html', { outputFolder: 'html-report', open: 'never' }], ['junit', { outputFile: 'results/junit.xml' }]],
  });
  const runId = `reports-${process.pid}`;
  const machines = ['a', 'b', 'c'].map((n) => fixtureMachine(n, cwd, ['--queue', redis.url, '--run-id', runId, '--workers', '1']));
  const exits = await Promise.all(machines.map((m) => m.exited));
  assert.deepEqual(logLines(cwd, 'ran.log').sort(), allTitles(6, 3), 'every test ran exactly once');
  const mergers = machines.filter((m) => /merged the run of \d machines \(6 groups\)/.test(m.stdout));
  assert.equal(mergers.length, 1, machines.map((m) => m.stdout + m.stderr).join('\n---\n'));
  const merger = mergers[0];
  assert.equal(exits[machines.indexOf(merger)].code, 1, merger.stdout + merger.stderr);
  for (const [i, e] of exits.entries()) assert.ok([0, 1].includes(e.code), `${machines[i].name}: ${machines[i].stdout}${machines[i].stderr}`);
  assert.match(merger.stdout, /· tests: 16 passed, 2 failed, 0 flaky, 0 not run$/m);
  const failed = /^shardwright: failed:\n((?: {2}✘ .*\n(?: {6}.*\n)*)+)/m.exec(merger.stdout);
  assert.ok(failed, merger.stdout);
  for (const title of fail) {
    const block = failed[1].split(/^ {2}✘ /m).find((b) => b.startsWith(`f${title[1]}.spec.js › ${title}\n`));
    assert.ok(block, `${title} is named: ${failed[1]}`);
    assert.match(block, new RegExp(`Received: "broken ${title}"`));
    for (const other of fail.filter((t) => t !== title)) assert.doesNotMatch(block, new RegExp(`broken ${other}`));
  }
  // The config's reporters: the last machine wrote them from every machine's blobs.
  assert.match(merger.stdout, /^shardwright: html, junit reports of the run's 3 machines on this host \(\d+ batches\)/m);
  const junit = fs.readFileSync(path.join(cwd, 'results', 'junit.xml'), 'utf8');
  assert.equal(junit.match(/<testcase /g).length, 18);
  assert.match(junit, /tests="18" failures="2"/);
  assert.ok(fs.existsSync(path.join(cwd, 'html-report', 'index.html')));
});

test('a globalSetup that starts a server on a fixed port: machines whose Playwright cannot run stop pulling, their groups go to a healthy one, every test runs once', async () => {
  const cwd = writeFixture({ port: await freePort(), files: 8, tests: 2, waitMs: 300, globalSetupPort: await freePort() });
  const runId = `global-setup-${process.pid}`;
  const args = ['--queue', redis.url, '--run-id', runId, '--workers', '1'];
  const machines = ['a', 'b', 'c'].map((n) => fixtureMachine(n, cwd, args));
  const exits = await Promise.all(machines.map((m) => m.exited));
  assert.deepEqual(logLines(cwd, 'ran.log').sort(), allTitles(8, 2), 'every test ran exactly once');
  assert.ok(
    exits.some((e) => e.code === 0),
    machines.map((m) => m.stdout + m.stderr).join('\n---\n'),
  );
  for (const [i, e] of exits.entries()) {
    if (e.code === 0) continue;
    assert.equal(e.code, 2, machines[i].stdout + machines[i].stderr);
    assert.match(
      machines[i].stderr,
      /this machine stopped pulling: its Playwright processes ran no test in 2 batches in a row, and its groups went back to the queue for the other machines of run .*:\n[\s\S]*Port \d+ not available/,
    );
  }
  const q = await WorkQueue.connect(redis.url, runId);
  const s = await q.status();
  assert.deepEqual([s.done, s.total, s.failed], [8, 8, 0]);
});

test('a run id whose run finished is an error, never a green run of nothing; --rerun runs it again', async () => {
  const cwd = writeFixture({ port: await freePort(), files: 2, tests: 2 });
  const runId = `reused-${process.pid}`;
  const args = ['--queue', redis.url, '--run-id', runId, '--workers', '1'];
  const first = fixtureMachine('first', cwd, args);
  assert.equal((await first.exited).code, 0, first.stderr);
  assert.equal(logLines(cwd, 'ran.log').length, 4);
  const again = fixtureMachine('again', cwd, args);
  assert.equal((await again.exited).code, 2);
  assert.match(
    again.stderr,
    new RegExp(
      `^shardwright run: queue \`redis://\\*\\*\\*@127\\.0\\.0\\.1:${redis.port}/0\`: this run already finished: 2/2 groups done \\(0 failed\\), seeded \\d+ min ago\\n  nothing was run: give this run a new --run-id, or pass --rerun to run the suite again under run id ${runId} \\[ERR_SHARDWRIGHT_QUEUE\\]\\n$`,
    ),
  );
  assert.equal(logLines(cwd, 'ran.log').length, 4, 'nothing ran');
  const rerun = fixtureMachine('rerun', cwd, [...args, '--rerun']);
  assert.equal((await rerun.exited).code, 0, rerun.stderr);
  assert.match(rerun.stdout, new RegExp(`^shardwright: seeded run ${runId} on `, 'm'));
  assert.equal(logLines(cwd, 'ran.log').length, 8, 'the whole suite ran again');
});

test("Redis loses the run's keys mid-run: the machine fails with a clear message and its local results, instead of idling", async () => {
  const cwd = writeFixture({ port: await freePort(), files: 6, tests: 2, waitMs: 400 });
  const runId = `flushed-${process.pid}`;
  const m = fixtureMachine('flushed', cwd, ['--queue', redis.url, '--run-id', runId, '--workers', '1']);
  await until(() => /batch 1 ended/.test(m.stdout), 'the first batch to end');
  require('node:child_process').execFileSync('redis-cli', ['-p', String(redis.port), '-a', PASSWORD, '--no-auth-warning', 'FLUSHALL']);
  const exit = await m.exited;
  assert.equal(exit.code, 2, m.stdout + m.stderr);
  const target = `redis://\\*\\*\\*@127\\.0\\.0\\.1:${redis.port}/0`;
  assert.match(
    m.stderr,
    new RegExp(
      `^shardwright run: lost the queue ${target} mid-run: queue \`${target}\`: failed to .*: the run's keys are gone from Redis \\(evicted under memory pressure, flushed, or the server restarted without persistence\\)\\n  this machine's results so far \\(\\d+ groups?, \\d+ tests?, 0 failed\\) are in \\S+`,
    ),
  );
});

test('no output of any command of these tests shows the Redis password, whatever the URL looks like', async () => {
  const port = await freePort();
  const forms = [
    `redis://:${PASSWORD}@127.0.0.1:${port}/0`, // unencoded: a / and an @ in the password
    `redis:/:${PASSWORD}@127.0.0.1:${port}`, // a mistyped scheme
    `redis://127.0.0.1:${port}/0?password=${encodeURIComponent(PASSWORD)}`,
    `redis://user:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}/0`,
    `http://:${PASSWORD}@127.0.0.1:${port}/0`,
  ];
  for (const url of forms) {
    for (const cmd of [
      ['run', '--queue', url, '--run-id', 'pw', '--reconnect-retries', '0'],
      ['status', '--queue', url, '--run-id', 'pw'],
      ['merge', '--queue', url, '--run-id', 'pw'],
    ]) {
      const r = await run(process.execPath, [CLI, ...cmd], { cwd: EXAMPLES, env: { SHARDWRIGHT_LOG: 'debug' } });
      assert.equal(r.code, 2, `${cmd.join(' ')}: ${r.stdout}${r.stderr}`);
    }
  }
  const secrets = [PASSWORD, encodeURIComponent(PASSWORD), 'pa/ss', 'w0rd'];
  assert.ok(outputs.length > 30, `${outputs.length} outputs`);
  for (const text of outputs) for (const secret of secrets) assert.ok(!text.includes(secret), `an output shows the password:\n${text}`);
});

test('SIGTERM to a queue-mode machine mid-run: exit 143, its unfinished groups go back to the queue at once, nothing of it left after 5 s; another machine finishes the run', async () => {
  const port = await freePort();
  const cwd = writeFixture({ port, files: 6, tests: 3, waitMs: 700 });
  const runId = `sigterm-${process.pid}`;
  const args = ['--queue', redis.url, '--run-id', runId, '--workers', '2', '--lease-ms', '60000'];
  const m = fixtureMachine('term', cwd, args);
  await until(() => logLines(cwd, 'ran.log').length >= 2, 'tests to run');
  const sent = Date.now();
  m.child.kill('SIGTERM');
  const exit = await m.exited;
  assert.equal(exit.code, 143, m.stdout + m.stderr);
  assert.ok(Date.now() - sent < 10_000, `exited ${Date.now() - sent} ms after SIGTERM`);
  assert.match(m.stdout, /^shardwright: stopped by SIGTERM: \d+ groups? finished on this machine; the others go back to the queue$/m);
  // Back at once, not after the 60 s lease.
  const q = await WorkQueue.connect(redis.url, runId);
  const s = await q.status();
  assert.deepEqual(s.leased, [], 'no lease left open');
  assert.ok(s.pending > 0 && s.done + s.pending === s.total, JSON.stringify(s));
  // Nothing of the machine is left: no process in the folder, the port free.
  const inCwd = () => {
    const out = [];
    for (const pid of fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
      try {
        if (fs.readlinkSync(`/proc/${pid}/cwd`) === cwd && !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ')) out.push(pid);
      } catch {}
    }
    return out;
  };
  const portUsed = () =>
    new Promise((resolve) => {
      const sock = require('node:net').connect(port, '127.0.0.1');
      sock.on('connect', () => {
        sock.end();
        resolve(true);
      });
      sock.on('error', () => resolve(false));
    });
  const deadline = Date.now() + 5000;
  while ((inCwd().length || (await portUsed())) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(inCwd(), [], 'no process of the run in its folder 5 s after the exit');
  assert.equal(await portUsed(), false, 'the web server is down');
  // Another machine takes the rest: every test ran.
  const rest = fixtureMachine('rest', cwd, args);
  assert.equal((await rest.exited).code, 0, rest.stdout + rest.stderr);
  assert.deepEqual([...new Set(logLines(cwd, 'ran.log'))].sort(), allTitles(6, 3));
  const end = await q.status();
  assert.deepEqual([end.done, end.total, end.failed], [s.total, s.total, 0]);
});
