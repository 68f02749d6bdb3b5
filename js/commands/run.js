'use strict';
// `shardwright run [options] [-- npx playwright test [args…]]`: the suite as
// N local Playwright processes that pull test groups, longest first, from a
// work queue — in-process, or shared on Redis by every CI machine of a run
// (queue mode) — so they all finish together.
//
//   list once      <command> --list --reporter=json        → groups (js/groups.js)
//   estimate       the history                              → expected ms per group
//   seed           WorkQueue.seed(groups)                   (once per run)
//   N slots        pull → <command> --test-list <file> --reporter=json --workers=1
//                  (a process task of the WorkerManager) → complete(group, attempts)
//   the end        one history run from every completed group + the flaky report
//                  (js/run-record.js, as the reporter does)

const { execFile } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { WorkQueue } = require('../native.js');
const { WorkerManager } = require('../pool.js');
const { resolveConfig, recommendWorkers } = require('../config.js');
const { configError } = require('../errors.js');
const { listReportGroups, historyEstimates, applyHistory } = require('../groups.js');
const { History } = require('../history.js');
const { flakySummary } = require('../flaky-format.js');
const { formatMs, runIdFrom, intFlag } = require('../cli-util.js');
const { loadConfiguredHistory, recordRun, flakyOptions } = require('../run-record.js');
const { reportAttempts } = require('../report-attempts.js');
const { groupPayload, readGroupPayload, resultPayload, queueRun } = require('../queue-run.js');

const summary = 'run the suite as N Playwright processes pulling test groups from a queue (local, or shared on Redis by CI machines)';

const usage = `Usage: shardwright run [options] [-- npx playwright test [args…]]

Lists the suite once (the command + --list), then runs it as N Playwright
processes on this machine that pull test groups, longest expected first,
from a queue, each batch through --test-list, so they finish together. At
the end the history has the run and the flaky report is written, as the
shardwright reporter does. The command defaults to \`npx playwright test\`;
your arguments (--project, --grep, files…) apply to the listing too.

Options:
  --workers, -j auto|N   Playwright processes on this machine (default: auto,
                         the worker recommendation of \`shardwright config\`)
  --history FILE         the test history (default: $SHARDWRIGHT_HISTORY or
                         .shardwright/history.json); expected durations come
                         from it, and this run is added to it
  --group-by WHAT        auto | file | test: how tests are grouped (auto: per
                         file, per test when the config is fullyParallel)

Queue mode (every CI machine of a run runs the same command):
  --queue URL            the Redis server: redis://[:password@]host:6379/0 or
                         rediss://… (the password is never printed)
  --run-id ID            shared by the machines of one run (default:
                         $SHARDWRIGHT_RUN_ID, or the CI's run id)
  --tls-ca FILE          a CA certificate (PEM) to trust for rediss://
  --lease-ms N           a machine silent this long loses its groups to the
                         others (default 60000; heartbeats every third of it)
  --reconnect-retries N  reconnection attempts when Redis is lost (default 8)
  --fallback local       Redis unreachable at start: run the whole suite on
                         this machine instead of failing
  --exit-status run|own  exit 1 when a test of the run failed (run, default),
                         or only when one of this machine's did (own)

Exit codes: 0 every test passed, 1 a test failed, 2 bad usage or an
infrastructure error (the listing failed, the queue was lost).`;

const options = {
  workers: { type: 'string', short: 'j' },
  history: { type: 'string' },
  'group-by': { type: 'string' },
  queue: { type: 'string' },
  'run-id': { type: 'string' },
  'tls-ca': { type: 'string' },
  'lease-ms': { type: 'string' },
  'reconnect-retries': { type: 'string' },
  fallback: { type: 'string' },
  'exit-status': { type: 'string' },
};

const DEFAULT_COMMAND = ['npx', 'playwright', 'test'];
// Arguments `run` sets itself for each batch, or that would break it.
const OWN_ARGS = ['--list', '--shard', '--test-list', '--test-list-invert', '--reporter', '--output', '--workers', '-j', '--last-failed', '--only-changed', '--ui', '--debug'];
const QUEUE_ONLY = ['run-id', 'tls-ca', 'lease-ms', 'reconnect-retries', 'fallback', 'exit-status'];
// Without history, a group's expected time is its test count × this (only
// the order and the "time left" scale depend on it).
const NOMINAL_TEST_MS = 1000;
// How much one pull takes: about the remaining work ÷ (all slots × spread).
// Each batch is a Playwright start (browser, web server: seconds), so fewer,
// larger batches than the engine's default (3) finish earlier; measured in
// bench/queue.js.
const PULL_SPREAD = 2;

function fail(message, code, exitCode) {
  const err = new Error(message);
  err.code = code;
  if (exitCode !== undefined) err.exitCode = exitCode;
  return err;
}

/** The options, each checked and named as the user wrote it. */
function parseOptions(values, positionals, env = process.env) {
  const o = {};
  if (values.workers === undefined || values.workers === 'auto') o.workers = 'auto';
  else o.workers = intFlag('--workers', values.workers, 1, 1000);
  if (values.history !== undefined && values.history.trim() === '') throw configError('--history', values.history, 'a file path');
  o.history = values.history;
  o.groupBy = values['group-by'] ?? 'auto';
  if (!['auto', 'file', 'test'].includes(o.groupBy)) throw configError('--group-by', o.groupBy, 'one of auto, file, test');
  if (values.queue === undefined) {
    const stray = QUEUE_ONLY.find((k) => values[k] !== undefined);
    if (stray) throw configError(`--${stray}`, values[stray], 'only with --queue');
  } else {
    if (!/^rediss?:\/\/./.test(values.queue)) throw configError('--queue', values.queue.replace(/\/\/[^@/]*@/, '//***@'), 'a Redis URL: redis://[:password@]host:port/db or rediss://…');
    o.queue = values.queue;
    o.runId = runIdFrom(values, env);
    if (values['tls-ca'] !== undefined) {
      try {
        o.tlsCa = fs.readFileSync(values['tls-ca'], 'utf8');
      } catch (err) {
        throw configError('--tls-ca', values['tls-ca'], `a readable PEM file (${err.code || err.message})`);
      }
    }
    o.leaseMs = intFlag('--lease-ms', values['lease-ms'], 100, 86_400_000) ?? 60_000;
    o.reconnectRetries = intFlag('--reconnect-retries', values['reconnect-retries'], 0, 100);
    if (values.fallback !== undefined && values.fallback !== 'local') throw configError('--fallback', values.fallback, 'local');
    o.fallback = values.fallback;
    o.exitStatus = values['exit-status'] ?? 'run';
    if (!['run', 'own'].includes(o.exitStatus)) throw configError('--exit-status', o.exitStatus, 'run or own');
  }
  o.command = positionals.length ? positionals : DEFAULT_COMMAND;
  for (const arg of o.command.slice(1)) {
    const own = OWN_ARGS.find((a) => arg === a || arg.startsWith(`${a}=`));
    if (own) throw configError('command argument', arg, `shardwright run sets ${own} itself; leave it out`);
  }
  return o;
}

/** Runs `<command> --list --reporter=json`; resolves with the report. */
function listSuite(command, cwd) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shardwright-run-list-'));
  const out = path.join(dir, 'list.json');
  const args = [...command.slice(1), '--list', '--reporter=json'];
  const shown = [command[0], ...args].join(' ');
  return new Promise((resolve, reject) => {
    execFile(command[0], args, {
      cwd,
      env: { ...process.env, PLAYWRIGHT_JSON_OUTPUT_FILE: out, FORCE_COLOR: '0' },
      maxBuffer: 64 * 1024 * 1024,
    }, (error, stdout, stderr) => {
      try {
        if (!fs.existsSync(out)) {
          const why = (stderr || stdout || (error && error.message) || 'no report written').trim();
          reject(fail(`failed to list the suite with \`${shown}\` in ${cwd}: ${why}`, 'ERR_SHARDWRIGHT_IO'));
          return;
        }
        resolve(JSON.parse(fs.readFileSync(out, 'utf8')));
      } catch (err) {
        reject(fail(`failed to read the list of \`${shown}\`: ${err.message}`, 'ERR_SHARDWRIGHT_IO'));
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

/**
 * Groups whose --test-list lines would select each other's tests go
 * together: Playwright selects every test whose title path starts with a
 * line's, so a test titled like another's describe block, or the repeats of
 * one test (--repeat-each), must run in one batch or run twice.
 */
function mergeClashingGroups(groups, tests) {
  const parent = groups.map((_, i) => i);
  const find = (i) => (parent[i] === i ? i : (parent[i] = find(parent[i])));
  const groupOf = new Map();
  groups.forEach((g, i) => g.tests.forEach((k) => groupOf.set(k, i)));
  const pathId = (t, titles) => [t.project, t.rootFile, ...titles].join('\u0000');
  const byPath = new Map();
  for (const [key, t] of tests) {
    if (!groupOf.has(key)) continue;
    const id = pathId(t, t.titlePath);
    if (byPath.has(id)) parent[find(groupOf.get(key))] = find(groupOf.get(byPath.get(id)));
    else byPath.set(id, key);
  }
  for (const [key, t] of tests) {
    if (!groupOf.has(key)) continue;
    for (let d = 1; d < t.titlePath.length; d++) {
      const other = byPath.get(pathId(t, t.titlePath.slice(0, d)));
      if (other !== undefined) parent[find(groupOf.get(key))] = find(groupOf.get(other));
    }
  }
  const merged = new Map();
  groups.forEach((g, i) => {
    const root = find(i);
    if (!merged.has(root)) merged.set(root, { ...g, tests: [...g.tests] });
    else merged.get(root).tests.push(...g.tests);
  });
  return [...merged.values()];
}

/** Tests whose titles cannot be written as a --test-list line. */
function unlistable(tests) {
  const bad = [];
  for (const [key, t] of tests) {
    const part = [t.rootFile, ...t.titlePath].find((p) => p.includes('›') || p !== p.trim() || p === '');
    if (part !== undefined) bad.push(`${key}: ${JSON.stringify(part)}`);
  }
  return bad;
}

function median(values) {
  if (!values.length) return undefined;
  const s = values.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** A fingerprint of the suite (groups and their tests), not of the estimates. */
function suiteFingerprint(groups) {
  const h = crypto.createHash('sha256');
  for (const g of groups.slice().sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) h.update(`${g.id}\u0001${g.tests.join('\u0002')}\u0003`);
  return h.digest('hex').slice(0, 32);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The last lines of a process's output, for a crash message. */
function tail(text, lines = 6) {
  const all = String(text || '').replace(/\u001b\[[0-9;]*m/g, '').trim().split('\n');
  return all.slice(-lines).join('\n    ');
}

/** A path relative to the working directory when inside it, else absolute. */
function shown(p) {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
}

function plural(n, word, many = `${word}s`) {
  return `${n} ${n === 1 ? word : many}`;
}

/** The progress line on a TTY, plain lines otherwise. */
class Progress {
  constructor(out) {
    this.out = out;
    this.tty = Boolean(out.isTTY);
    this.line = '';
  }

  say(text) {
    if (this.tty && this.line) this.out.write('\r\u001b[2K');
    this.out.write(`shardwright: ${text}\n`);
    if (this.tty && this.line) this.out.write(this.line);
  }

  show(text) {
    if (!this.tty) return;
    const width = this.out.columns || 120;
    this.line = `shardwright: ${text}`.slice(0, width - 1);
    this.out.write(`\r\u001b[2K${this.line}`);
  }

  clear() {
    if (this.tty && this.line) this.out.write('\r\u001b[2K');
    this.line = '';
  }
}

async function run(values, positionals, io) {
  const o = parseOptions(values, positionals);
  const settings = resolveConfig({}).values;
  if (o.history !== undefined) settings.history = o.history;
  const workers = o.workers === 'auto' ? recommendWorkers({}) : o.workers;
  const progress = new Progress(io.stdout);
  const say = (line) => progress.say(line);
  const cwd = process.cwd();
  const machineId = `${os.hostname()}-${process.pid}`;

  // Queue mode: reach Redis first, so an unreachable server stops the run
  // before anything is listed or run.
  let queue = null;
  let shared = false;
  if (o.queue) {
    const connectOptions = { tlsCa: o.tlsCa };
    if (o.reconnectRetries !== undefined) connectOptions.reconnectRetries = o.reconnectRetries;
    try {
      queue = await WorkQueue.connect(o.queue, o.runId, connectOptions);
      shared = true;
    } catch (err) {
      if (err.code !== 'ERR_SHARDWRIGHT_QUEUE') throw err;
      if (o.fallback !== 'local') throw fail(`${err.message}\n  no test was run (with --fallback local this machine runs the whole suite alone instead)`, err.code, 2);
      say(`${err.message}\n  running the whole suite on this machine (--fallback local)`);
    }
  }
  if (!queue) queue = WorkQueue.local();

  // The suite, grouped; expected durations from the history.
  const report = await listSuite(o.command, cwd);
  const suite = listReportGroups(report, { groupBy: o.groupBy });
  const bad = unlistable(suite.tests);
  if (bad.length) throw fail(`these tests cannot be written to a --test-list line (a title holds › or leading/trailing spaces):\n  ${bad.join('\n  ')}`, 'ERR_SHARDWRIGHT_PLAN', 2);
  const groups = mergeClashingGroups(suite.groups, suite.tests);
  if (!groups.length) {
    say(`no tests found by \`${[...o.command, '--list'].join(' ')}\``);
    return 1;
  }
  const history = loadConfiguredHistory(settings, say, 'this run is not recorded and groups are ordered by test count');
  // quarantineMode 'skip': quarantined tests are left out of the queue.
  if (history && history.runCount > 0 && settings.quarantineMode === 'skip') {
    const quarantined = new Set(history.analyze(flakyOptions(settings)).quarantine.map((q) => q.key));
    const skipped = [];
    for (const g of groups) {
      const kept = g.tests.filter((k) => !quarantined.has(k));
      if (kept.length !== g.tests.length) skipped.push(...g.tests.filter((k) => quarantined.has(k)));
      g.tests = kept;
    }
    for (let i = groups.length - 1; i >= 0; i--) if (!groups[i].tests.length) groups.splice(i, 1);
    for (const k of skipped) suite.tests.delete(k);
    if (skipped.length) say(`skipping ${plural(skipped.length, 'quarantined test')} (quarantineMode: skip):\n${skipped.map((k) => `  - ${k}`).join('\n')}`);
    if (!groups.length) {
      say('every test is quarantined: nothing to run');
      return 0;
    }
  }
  const keys = [...suite.tests.keys()];
  const estimates = history ? historyEstimates(history, keys) : null;
  const known = estimates ? applyHistory(groups, estimates) : 0;
  const perTest = estimates ? median([...estimates.values()].filter((e) => Number.isFinite(e.durationMs)).map((e) => e.durationMs)) : undefined;
  const byCount = known === 0;
  // Said once (an unreadable history was already named, with what follows).
  if (byCount && history) say(`no history yet for these tests: groups are ordered by test count (${shown(path.resolve(settings.history))} learns their durations from this run)`);
  const queued = groups.map((g) => ({
    id: g.id,
    expectedMs: Number.isFinite(g.durationMs) ? g.durationMs : g.tests.length * (perTest ?? NOMINAL_TEST_MS),
    payload: groupPayload(g.tests, g.tests.map((k) => suite.tests.get(k).listLine)),
  }));
  const fingerprint = suiteFingerprint(groups);

  // Where the batches' lists, reports and artifacts go.
  const batchDir = path.resolve(settings.reportDir, 'batches');
  fs.rmSync(batchDir, { recursive: true, force: true });
  fs.mkdirSync(batchDir, { recursive: true });
  const projects = (report.config && report.config.projects) || [];
  const outputBase = (projects[0] && projects[0].outputDir) || path.join(cwd, 'test-results');

  const startedAt = Date.now();
  const leaseMs = o.leaseMs ?? 60_000;
  let seeded;
  try {
    seeded = await queue.seed(queued, fingerprint);
    if (shared && !seeded) {
      const s = await queue.status();
      if (s.fingerprint && s.fingerprint !== fingerprint) {
        say(`this machine lists a different suite than the machine that seeded run ${o.runId} (fingerprint ${fingerprint.slice(0, 12)} ≠ ${s.fingerprint.slice(0, 12)}): it runs the seeded groups; tests it does not have fail as not run`);
      }
    }
    await queue.join({ id: machineId, slots: workers, host: os.hostname() }, leaseMs, Math.max(50, Math.floor(leaseMs / 3)));
  } catch (err) {
    throw fail(`${err.message}\n  no test was run`, err.code, 2);
  }
  const total = shared ? (await queue.status()).total : queued.length;
  say(
    shared
      ? `${seeded ? 'seeded' : 'joined'} run ${o.runId} on ${queue.target}: ${plural(total, 'group')} · this machine ${machineId}, ${plural(workers, 'Playwright process', 'Playwright processes')}`
      : `${plural(keys.length, 'test')} in ${plural(total, 'group')} · ${plural(workers, 'Playwright process', 'Playwright processes')}${byCount ? '' : `, ${formatMs(queued.reduce((a, g) => a + g.expectedMs, 0))} expected in all`}`,
  );

  const manager = new WorkerManager({ maxWorkers: workers, minWorkers: workers, retry: { maxRetries: 0 } });
  const mine = []; // this machine's completed groups
  let batchSeq = 0;
  let runningGroups = 0;
  let stopping = null; // the error that stops the run (the queue lost), or a signal
  let lastStatus = null;

  const render = async () => {
    try {
      lastStatus = await queue.status();
    } catch {
      return lastStatus;
    }
    const s = lastStatus;
    const slots = shared ? s.machines.filter((m) => m.state === 'running').reduce((a, m) => a + m.slots, 0) || workers : workers;
    const left = byCount ? `${plural(s.pending + s.leased.length, 'group')} left` : `about ${formatMs(s.remainingMs / slots)} left`;
    progress.show(`${s.done}/${s.total} groups done · ${runningGroups} running${shared ? ` here (${s.leased.length} in the run)` : ''} · ${s.failed} failed · ${left}`);
    return s;
  };
  const ticker = progress.tty ? setInterval(render, 1000) : null;

  const stop = (err) => {
    if (!stopping) {
      stopping = err;
      manager.cancel(err.message);
    }
  };
  const onSignal = (signal) => stop(Object.assign(new Error(`stopped by ${signal}`), { signal }));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  async function runBatch(batch) {
    const n = ++batchSeq;
    const parts = batch.map((g) => ({ group: g, ...readGroupPayload(g) }));
    const lines = [...new Set(parts.flatMap((p) => p.lines))];
    const testCount = parts.reduce((a, p) => a + p.tests.length, 0);
    const listFile = path.join(batchDir, `batch-${n}.txt`);
    const reportFile = path.join(batchDir, `batch-${n}.json`);
    fs.writeFileSync(listFile, `# shardwright run: batch ${n}, ${batch.map((g) => g.id).join(', ')}\n${lines.join('\n')}\n`);
    const args = [...o.command.slice(1), '--test-list', listFile, '--reporter=json', '--workers=1', '--output', path.join(outputBase, `batch-${n}`)];
    runningGroups += batch.length;
    const names = batch.length > 3 ? `${batch.slice(0, 3).map((g) => g.id).join(', ')}, …` : batch.map((g) => g.id).join(', ');
    if (!progress.tty) say(`batch ${n} started: ${plural(batch.length, 'group')}, ${plural(testCount, 'test')} (${names})`);
    const t0 = Date.now();
    const result = await manager.submit({
      id: `batch-${n}`,
      command: o.command[0],
      args,
      cwd,
      env: { PLAYWRIGHT_JSON_OUTPUT_FILE: reportFile, FORCE_COLOR: '0' },
    });
    const wallMs = Date.now() - t0;
    runningGroups -= batch.length;
    if (result.outcome === 'cancelled') return; // stopping: the leases return to the queue
    let tests = null;
    let problem;
    if (fs.existsSync(reportFile)) {
      try {
        tests = reportAttempts(JSON.parse(fs.readFileSync(reportFile, 'utf8')));
      } catch (err) {
        problem = `its report ${reportFile} is unreadable (${err.message})`;
      }
    } else {
      const how = result.signal ? `was killed by ${result.signal}` : `exited with code ${result.exitCode}`;
      problem = `\`${[o.command[0], ...args].join(' ')}\` ${how} without a report${result.stderr || result.stdout ? `:\n    ${tail(result.stderr || result.stdout)}` : ''}`;
    }
    let failedHere = 0;
    const records = [];
    for (const { group, tests: groupTests } of parts) {
      const attempts = [];
      const failed = [];
      const missing = [];
      let durationMs = 0;
      for (const key of groupTests) {
        const t = tests && tests.get(key);
        if (!t) {
          missing.push(key);
          continue;
        }
        attempts.push(...t.attempts);
        for (const a of t.attempts) durationMs += a.durationMs;
        if (t.status === 'failed') failed.push(key);
      }
      if (problem) durationMs = wallMs / batch.length;
      const status = failed.length || missing.length ? 'failed' : 'passed';
      if (status === 'failed') failedHere++;
      const record = { id: group.id, status, durationMs, attempts, failed, missing, problem: problem || (missing.length ? `${plural(missing.length, 'test')} not in the batch's report (not run)` : undefined) };
      mine.push(record);
      records.push(record);
    }
    // The batch's groups complete together, as its one process ended.
    const accepted = await Promise.all(records.map((r) => queue.complete(r.id, { status: r.status, durationMs: r.durationMs, payload: resultPayload(r) })));
    records.forEach((record, i) => {
      if (accepted[i]) return;
      record.duplicate = true;
      say(`group ${record.id} was already completed by another machine (this machine's lease had run out); its result here is not counted`);
    });
    if (problem) say(`batch ${n} failed: ${plural(batch.length, 'group')} (${batch.map((g) => g.id).join(', ')}) failed because ${problem}`);
    const s = await render();
    if (!progress.tty) {
      const where = s ? ` — ${s.done}/${s.total} groups done, ${s.failed} failed` : '';
      say(`batch ${n} ${failedHere ? `failed (${failedHere} of ${batch.length} groups)` : 'passed'} in ${formatMs(wallMs)}${where}`);
    }
  }

  async function slot() {
    const pollMs = Math.min(1000, Math.max(100, Math.floor(leaseMs / 2)));
    while (!stopping) {
      let batch;
      try {
        batch = await queue.pull({ leaseMs, spread: PULL_SPREAD });
        if (!batch.length) {
          if (!shared) return;
          // Nothing pending now: done when no lease is open either; a dead
          // machine's leases come back when they expire.
          const s = await queue.status();
          if (s.complete) return;
          await sleep(pollMs);
          continue;
        }
        await runBatch(batch);
      } catch (err) {
        stop(err);
      }
    }
  }
  // Anything but the queue failing mid-run (a file we could not write) is
  // an error of its own.
  const isQueueLoss = (err) => shared && err.code === 'ERR_SHARDWRIGHT_QUEUE';

  try {
    await Promise.all(Array.from({ length: workers }, () => slot()));
  } finally {
    if (ticker) clearInterval(ticker);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await manager.shutdown({ deadlineMs: 0 }).catch(() => {});
    progress.clear();
  }
  const endedAt = Date.now();
  const own = mine.filter((r) => !r.duplicate);
  const ownFailed = own.filter((r) => r.status === 'failed');

  if (stopping) {
    queue.stopHeartbeat();
    if (stopping.signal) {
      say(`stopped by ${stopping.signal}: ${plural(own.length, 'group')} finished on this machine; the others go back to the queue`);
      return stopping.signal === 'SIGINT' ? 130 : 143;
    }
    if (!isQueueLoss(stopping)) throw Object.assign(stopping, { exitCode: 2 });
    throw lostQueue(stopping, { queue, o, settings, machineId, own, startedAt, endedAt });
  }

  // The end: this machine's record, then — on the last machine to finish —
  // one history run of every completed group.
  let final;
  let merger = !shared;
  try {
    if (shared) {
      await queue.pushRun(JSON.stringify({ machine: machineId, host: os.hostname(), slots: workers, startedAt, endedAt, groups: own.length, failed: ownFailed.length, batches: batchSeq }));
      await queue.leave();
      final = await queue.status();
      const now = Date.now();
      const others = final.machines.filter((m) => m.id !== machineId && m.state === 'running' && now - m.lastSeen < 2 * leaseMs);
      merger = others.length === 0 && (await queue.claim('merge'));
    } else {
      final = await queue.status();
    }
  } catch (err) {
    throw lostQueue(err, { queue, o, settings, machineId, own, startedAt, endedAt });
  }

  let runFailures = null;
  let flaky = null;
  if (merger) {
    const { run: whole, failures, machineIds } = queueRun(o.runId || 'local', await queue.results(), shared ? await queue.runs() : []);
    if (!shared) {
      delete whole.id; // a local run gets a fresh id from the history
      whole.source = 'shardwright-run';
      whole.startedAt = startedAt;
      whole.endedAt = endedAt;
    }
    runFailures = failures;
    // The history loaded at the start: a save first merges what other
    // processes saved to the file meanwhile.
    if (history) {
      const recorded = recordRun(history, whole, settings);
      const { added, saved } = recorded;
      flaky = recorded.report;
      say(`${shared ? `merged the run of ${plural(machineIds.length, 'machine')} (${plural(final.total, 'group')}) into` : 'recorded this run in'} ${shown(saved.path)}: run ${added.runId}, ${plural(added.tests, 'test')}; flaky report in ${shown(path.join(path.resolve(settings.reportDir), 'flaky-report.{json,md}'))}`);
      io.stdout.write(flakySummary(flaky, { color: progress.tty }));
    }
  } else if (shared) {
    say(`the merged history is written by the last machine to finish (or: npx shardwright merge --queue <url> --run-id ${o.runId})`);
  }

  // What failed: the whole run's where known, else this machine's.
  const failures = runFailures || ownFailed.map((r) => ({ group: r.id, machine: machineId, failed: r.failed, missing: r.missing, problem: r.problem, attempts: r.attempts }));
  if (failures.length) {
    const lines = [];
    for (const f of failures) {
      for (const key of f.failed) {
        const last = f.attempts.filter((a) => a.error).at(-1);
        const first = last ? String(last.error).split('\n').find((l) => l.trim()) : '';
        lines.push(`  ✘ ${key}${first ? `\n      ${first.replace(/\u001b\[[0-9;]*m/g, '').trim().slice(0, 200)}` : ''}`);
      }
      if (f.missing.length) lines.push(`  ✘ ${plural(f.missing.length, 'test')} of group ${f.group} did not run${shared ? ` (machine ${f.machine})` : ''}: ${f.problem || ''}`.trimEnd());
    }
    say(`failed:\n${lines.join('\n')}`);
  }
  // quarantineMode 'run': a run whose only failures are quarantined tests
  // passes (where this machine judged the whole run), and says so.
  const onlyQuarantined =
    settings.quarantineMode === 'run' &&
    flaky && flaky.run && failures.length > 0 &&
    failures.every((f) => f.missing.length === 0) &&
    flaky.run.failedQuarantined.length > 0 && flaky.run.failedNotQuarantined.length === 0;
  if (onlyQuarantined) {
    say(`only quarantined tests failed, so the run passes (quarantineMode: run):\n${flaky.run.failedQuarantined.map((k) => `  - ${k}`).join('\n')}`);
  }
  const took = formatMs(endedAt - startedAt);
  if (shared) {
    say(`run ${o.runId}: ${final.done}/${final.total} groups done, ${final.failed} failed${final.reclaimed ? `, ${final.reclaimed} reclaimed from dead machines` : ''}; this machine ran ${plural(own.length, 'group')} (${ownFailed.length} failed) in ${took}`);
    const failedCount = o.exitStatus === 'own' ? ownFailed.length : final.failed;
    return failedCount > 0 && !onlyQuarantined ? 1 : 0;
  }
  say(`${final.done}/${final.total} groups done, ${final.failed} failed, in ${took} on ${plural(workers, 'process', 'processes')}`);
  return final.failed > 0 && !onlyQuarantined ? 1 : 0;
}

/**
 * The queue was lost mid-run: this machine's results so far go to a history
 * file of their own (`shardwright merge` adds it to any history), named in
 * the error.
 */
function lostQueue(err, { queue, o, settings, machineId, own, startedAt, endedAt }) {
  const safe = (s) => String(s).replace(/[^A-Za-z0-9._-]+/g, '_');
  const file = path.resolve(settings.reportDir, `queue-results-${safe(o.runId || 'local')}-${safe(machineId)}.json`);
  let saved = '';
  try {
    const partial = History.empty();
    partial.addRun({ id: `queue-${o.runId}-${machineId}`, startedAt, endedAt, source: 'queue-partial', attempts: own.flatMap((r) => r.attempts) });
    fs.mkdirSync(path.dirname(file), { recursive: true });
    partial.save(file);
    const tests = new Set(own.flatMap((r) => r.attempts.map((a) => `${a.project}\u0000${a.file}\u0000${a.titlePath.join('\u0000')}`))).size;
    const failed = own.filter((r) => r.status === 'failed').length;
    saved = `\n  this machine's results so far (${plural(own.length, 'group')}, ${plural(tests, 'test')}, ${failed} failed) are in ${file} — a shardwright history: \`npx shardwright merge ${file}\` adds them to yours`;
  } catch (e) {
    saved = `\n  and this machine's results could not be saved to ${file}: ${e.message}`;
  }
  return fail(`lost the queue ${queue.target} mid-run: ${err.message}${saved}`, err.code || 'ERR_SHARDWRIGHT_QUEUE', 2);
}

module.exports = { summary, usage, options, run, parseOptions, mergeClashingGroups, PULL_SPREAD };
