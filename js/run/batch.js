'use strict';
// One batch of `shardwright run`: the groups pulled together run as one
// Playwright process with the machine's workers (`<command> --test-list
// <file> --reporter=blob,batch-reporter --workers=N`, a process task of the
// WorkerManager). js/run/batch-reporter.js streams every test's end to a
// file the engine reads as it grows: a group completes in the queue as soon
// as its tests are done, each test with its own attempts and errors.
//
// The config's reporters (html, junit…): a machine alone runs its suite as
// one batch, which runs them itself, options and all (set through the
// wrapper config, js/run/wrap-config.js). Otherwise each batch writes a
// blob report of its own (PLAYWRIGHT_BLOB_OUTPUT_FILE) and they are merged
// into them at the end (js/run/report.js).
//
// How a batch can end:
// - Playwright finished (its reporter's end line) having run tests: every
//   group completes; tests it did not run fail the group, with Playwright's
//   reason.
// - No test ran (a config or globalSetup error, a port taken): the groups
//   go back to the queue untouched and the machine counts a failed batch
//   (two in a row stop it: js/run/index.js).
// - The process died mid-way (killed, crashed): done groups stay done, the
//   others go back to the queue — but a group that was running when it died
//   a second time fails, named with the reason (no endless retries of a
//   test that kills its runner).

const fs = require('node:fs');
const path = require('node:path');
const native = require('../native.js');
const { codedError } = require('../errors.js');
const { formatMs } = require('../api/flaky-format.js');
const { readGroupPayload, resultPayload } = require('./queue-run.js');
const { plural, tail } = require('./progress.js');
const { Tail } = require('./tail-file.js');
const { launch } = require('./launch.js');

const REPORTER = path.join(__dirname, 'batch-reporter.js');
const POLL_MS = 200;

/** A group's record: its tests' attempts, which failed, were flaky, did not run. */
function groupRecord(part, tests, problem) {
  const attempts = [];
  const failed = [];
  const flaky = [];
  const skipped = [];
  const missing = [];
  let durationMs = 0;
  for (const key of part.tests) {
    const t = tests.get(key);
    if (!t?.attempts.length) {
      missing.push(key);
      continue;
    }
    attempts.push(...t.attempts);
    for (const a of t.attempts) durationMs += a.durationMs;
    if (t.status === 'failed') failed.push(key);
    else if (t.status === 'flaky') flaky.push(key);
    else if (t.status === 'skipped') skipped.push(key);
  }
  return {
    id: part.group.id,
    tests: part.tests.length,
    status: failed.length || missing.length ? 'failed' : 'passed',
    durationMs,
    attempts,
    failed,
    flaky,
    skipped,
    missing,
    problem: missing.length ? problem || 'not in the batch (Playwright did not run them)' : undefined,
  };
}

/** Why tests of an ended batch did not run: Playwright's errors, else its output. */
function whyNotRun(errors, result, shownCommand) {
  const clean = (s) =>
    String(s)
      .replace(/\u001b\[[0-9;]*m/g, '')
      .trim();
  if (errors.length) return `Playwright reported: ${errors.map((e) => clean(e).split('\n').slice(0, 8).join('\n    ')).join('\n    ')}`;
  const output = result.stderr || result.stdout;
  const how = result.signal ? `was killed by ${result.signal}` : `exited with code ${result.exitCode}`;
  return `\`${shownCommand}\` ${how}${output ? `:\n    ${tail(output)}` : ''}`;
}

/** The batch's command line and environment. */
function invocation(ctx, n, file, { onePass, workers }) {
  const direct = Boolean(ctx.wrapper && !ctx.shared && n === 1);
  const env = {
    ...ctx.serverEnv,
    PLAYWRIGHT_BLOB_OUTPUT_FILE: path.join(ctx.privateDir, 'blobs', `batch-${n}.zip`),
    SHARDWRIGHT_RUN_EVENTS: file('.events.jsonl'),
    // Watched by the batch's reporter: a SIGKILLed run takes its batch along.
    SHARDWRIGHT_RUN_PARENT: String(process.pid),
    FORCE_COLOR: '0',
  };
  const args = [...ctx.command.slice(1)];
  if (onePass) {
    env.SHARDWRIGHT_RUN_PLAN = path.join(ctx.privateDir, 'plan.json');
    if (ctx.wrapper) {
      env.SHARDWRIGHT_RUN_CONFIG_OUT = path.join(ctx.privateDir, 'config.json');
      env.SHARDWRIGHT_RUN_SERVERS = `wait:${ctx.privateDir}`;
    }
  } else {
    env.SHARDWRIGHT_RUN_ORDER = file('.order.json');
    args.push('--test-list', file('.txt'));
  }
  if (ctx.wrapper) {
    // Alone and first: the config's reporters run in the batch; else blobs to merge.
    env.SHARDWRIGHT_RUN_REPORTER = JSON.stringify({ keep: direct ? 'auto' : [], add: [...(direct ? [] : [['blob']]), [REPORTER]] });
    env.SHARDWRIGHT_RUN_OUTPUT = path.join('shardwright', path.basename(ctx.privateDir), `batch-${n}`);
  } else {
    args.push(`--reporter=blob,${REPORTER}`);
  }
  args.push(`--workers=${workers}`);
  if (!ctx.wrapper && ctx.outputDir) args.push('--output', path.join(ctx.outputDir, `batch-${n}`));
  return { args, env, direct };
}

/**
 * A batch runner for one run: `runBatch(groups)` runs them, completes them
 * in the queue as they finish (records into `ctx.mine`) and resolves `{
 * ranTests, problem, cancelled }`. `runBatch(null)`: a machine alone runs
 * its whole suite in one pass, with no listing before: the batch's reporter
 * plans the suite as Playwright loaded it and writes it down, and `adopt`
 * queues it (seeds, joins, pulls it all) as it arrives.
 */
function batchRunner(ctx, adopt) {
  const { queue, progress, privateDir, cwd } = ctx;
  const say = (line) => progress.say(line);
  return async function runBatch(batch) {
    const onePass = batch === null;
    const n = ++ctx.batchSeq;
    const file = (suffix) => path.join(privateDir, `batch-${n}${suffix}`);
    let parts = [];
    const open = new Map();
    // A group handed to Playwright is open; it runs (for the progress line)
    // once one of its tests began: in one pass every group is handed over at
    // the start, and only the workers' count runs at once.
    const partOf = new Map();
    const stopped = (part) => {
      if (part.started) ctx.startedGroups--;
      part.started = false;
    };
    const take = (groups) => {
      parts = groups.map((g) => ({ group: g, ...readGroupPayload(g) }));
      for (const p of parts) {
        open.set(p.group.id, p);
        for (const k of p.tests) partOf.set(k, p);
      }
    };
    if (!onePass) {
      take(batch);
      const lines = [...new Set(parts.flatMap((p) => p.lines))];
      const order = [];
      for (const p of parts) if (p.project !== undefined && !order.some(([pr, f]) => pr === p.project && f === p.file)) order.push([p.project, p.file]);
      fs.writeFileSync(file('.txt'), `# shardwright run: batch ${n}, ${batch.map((g) => g.id).join(', ')}\n${lines.join('\n')}\n`);
      fs.writeFileSync(file('.order.json'), JSON.stringify(order));
    }
    fs.writeFileSync(file('.events.jsonl'), '');
    const workers = onePass ? ctx.workers : Math.min(ctx.workers, batch.length);
    const { args, env, direct } = invocation(ctx, n, file, { onePass, workers });
    if (!progress.tty && !onePass) {
      const testCount = parts.reduce((a, p) => a + p.tests.length, 0);
      say(`batch ${n} started: ${plural(batch.length, 'group')}, ${plural(testCount, 'test')} on ${plural(workers, 'worker')}`);
    }

    const tests = new Map(); // key → { status, final, attempts }
    const began = new Set();
    const errors = [];
    let end = null;
    const completions = [];
    const complete = (part, problem) => {
      open.delete(part.group.id);
      stopped(part);
      const record = groupRecord(part, tests, problem);
      ctx.mine.push(record);
      completions.push(
        queue
          .complete(record.id, { status: record.status, durationMs: record.durationMs, payload: resultPayload(record) })
          .then((accepted) => {
            if (accepted) return;
            record.duplicate = true;
            say(`group ${record.id} was already completed by another machine (this machine's lease had run out); its result here is not counted`);
          })
          // The queue lost: the run stops (this machine's results are saved).
          .catch((err) => ctx.stop(err)),
      );
      ctx.changed();
    };
    let adopted = !onePass;
    const poll = async () => {
      const text = events.read();
      if (!text) return;
      const e = native.__runEvents(text);
      if (e.suite && !adopted) {
        adopted = true;
        take(await adopt(e.suite));
      }
      for (const k of e.began) {
        began.add(k);
        const part = partOf.get(k);
        if (part && !part.started && open.has(part.group.id)) {
          part.started = true;
          ctx.startedGroups++;
        }
      }
      for (const t of e.tests) {
        const s = tests.get(t.key) || { attempts: [] };
        s.attempts.push(t.attempt);
        s.status = t.status;
        s.final = t.final;
        tests.set(t.key, s);
      }
      errors.push(...e.errors);
      if (e.end) end = e.end;
      for (const part of [...open.values()]) {
        if (part.tests.every((k) => tests.get(k)?.final)) complete(part);
      }
    };
    const events = new Tail(file('.events.jsonl'));
    let polling = Promise.resolve();
    const tick = () => {
      polling = polling.then(poll).catch((err) => ctx.stop(err));
    };
    const t0 = Date.now();
    const timer = setInterval(tick, POLL_MS);
    let result;
    try {
      const how = launch([ctx.command[0], ...args], cwd);
      result = await ctx.manager.submit({ id: `batch-${n}`, command: how.program, args: how.args, cwd, env: { ...env, ...how.env } });
    } finally {
      clearInterval(timer);
    }
    if (result.error?.name === 'SpawnError') {
      const message = result.history?.at(-1)?.error?.message || result.error.code;
      throw codedError('io', `failed to start \`${ctx.o.command.join(' ')}\` in ${cwd}: ${message} (${result.error.code})\n  no test was run`, { exitCode: 2 });
    }
    tick();
    await polling;
    // What the config's reporters said (the html report's "To open…", github annotations).
    if (direct && result.stdout?.trim()) ctx.io.stdout.write(`${result.stdout.trim()}\n`);
    const wallMs = Date.now() - t0;
    const ended = tests.size;
    const shownCommand = [ctx.command[0], ...args].join(' ');
    const rest = [...open.values()];
    let problem = null;
    if (result.outcome === 'cancelled') {
      // Stopping: what did not finish goes back to the queue; the tests of
      // those groups that did finish are kept for the history.
      for (const part of rest) for (const k of part.tests) if (tests.has(k)) ctx.interrupted.push(...tests.get(k).attempts);
      for (const part of rest) stopped(part);
      await Promise.all(completions);
      if (rest.length) await queue.release(rest.map((p) => p.group.id)).catch(() => {});
      return { cancelled: true, ranTests: ended > 0 };
    }
    if (!adopted) {
      // Alone, and Playwright never got to the suite (a config or globalSetup error).
      return { cancelled: false, ranTests: false, unplanned: true, problem: whyNotRun(errors, result, shownCommand) };
    }
    if (end !== null && ended > 0) {
      const why = whyNotRun(errors, result, shownCommand);
      for (const part of rest) complete(part, why);
    } else {
      const how = end !== null ? 'ran no test' : result.signal ? `was killed by ${result.signal}` : `exited with code ${result.exitCode}`;
      const reason = end !== null ? whyNotRun(errors, result, shownCommand) : `\`${shownCommand}\` ${how} before its report was complete`;
      const output = end === null && (result.stderr || result.stdout) ? `:\n    ${tail(result.stderr || result.stdout)}` : '';
      problem = `${reason}${output}`;
      const back = [];
      for (const part of rest) {
        const running = part.tests.some((k) => began.has(k) && !tests.get(k)?.final);
        if (running && ctx.strikes.has(part.group.id)) {
          complete(part, `the Playwright process died twice while these tests ran: ${problem}`);
          continue;
        }
        if (running) ctx.strikes.add(part.group.id);
        stopped(part);
        back.push(part.group.id);
      }
      if (back.length) await queue.release(back);
      say(
        `batch ${n}: the Playwright process ${how}${ended ? ` after ${plural(ended, 'test')}` : ''}; ${plural(back.length, 'group')} went back to the queue${back.length < rest.length ? `, ${rest.length - back.length} failed` : ''}:\n    ${problem.split('\n').join('\n    ')}`,
      );
    }
    await Promise.all(completions);
    if (!progress.tty) {
      const s = await ctx.render();
      const where = s ? ` — ${s.done}/${s.total} groups done, ${s.failed} failed` : '';
      say(`batch ${n} ended in ${formatMs(wallMs)}: ${plural(ended, 'test')} ran${where}`);
    }
    // A batch in which no test even began is the machine's trouble, not a test's.
    return { cancelled: false, ranTests: began.size > 0, problem };
  };
}

module.exports = { batchRunner, Tail };
