'use strict';
// The end of `shardwright run`: one history run of every completed group
// (on the last machine to finish, in queue mode) with the flaky report; what
// failed (each test with its own error and attachments), what was flaky,
// what did not run; the exit code. And what a machine keeps when the queue
// is lost.

const fs = require('node:fs');
const path = require('node:path');
const { codedError } = require('../errors.js');
const { History } = require('../api/history.js');
const { recordRun } = require('../api/record.js');
const { flakySummary, formatMs } = require('../api/flaky-format.js');
const { queueRun, readResultPayload, resultPayload, readGroupPayload } = require('./queue-run.js');
const { plural, shown } = require('./progress.js');

/** Records the run where this machine is the merger; returns `{ records, flaky }`. */
async function record(ctx, { merger, final, partial = false }) {
  const { o, queue, shared, history, settings, progress, io } = ctx;
  const say = (line) => progress.say(line);
  if (!merger) {
    if (shared) say(`the merged history is written by the last machine to finish (or: npx shardwright merge --queue <url> --run-id ${o.runId})`);
    return { records: null, flaky: null };
  }
  const results = await queue.results();
  const { run: whole, machineIds } = queueRun(o.runId || 'local', results, shared ? await queue.runs() : []);
  const records = results.map((r) => ({ ...readResultPayload(r), id: r.group, machine: r.machine, status: r.status }));
  if (partial) whole.attempts.push(...ctx.interrupted);
  if (!shared) {
    delete whole.id; // a local run gets a fresh id from the history
    whole.source = 'shardwright-run';
    whole.startedAt = ctx.startedAt;
    whole.endedAt = ctx.endedAt;
  }
  let flaky = null;
  // The history loaded at the start: a save first merges what other
  // processes saved to the file meanwhile.
  if (history && whole.attempts.length) {
    const { added, saved, report } = recordRun(history, whole, settings, ctx.options);
    flaky = report;
    say(
      `${shared ? `merged the run of ${plural(machineIds.length, 'machine')} (${plural(final.total, 'group')}) into` : `recorded this ${partial ? 'partial ' : ''}run in`} ${shown(saved.path)}: run ${added.runId}, ${plural(added.tests, 'test')}; flaky report in ${shown(path.join(path.resolve(settings.reportDir), 'flaky-report.{json,md}'))}`,
    );
    if (!partial) io.stdout.write(flakySummary(flaky, { color: progress.tty }));
  }
  return { records, flaky };
}

const clean = (s) =>
  String(s || '')
    .replace(/\u001b\[[0-9;]*m/g, '')
    .trim();

/** A failed test: its last failed attempt's error (first lines) and attachments. */
function failedTest(key, attempts) {
  const own = attempts.filter((a) => a.key === key);
  const bad = own.filter((a) => a.status !== 'passed' && a.status !== 'skipped');
  const last = bad.at(-1);
  const lines = [`  ✘ ${key}${own.length > 1 ? ` (${plural(own.length, 'attempt')})` : ''}`];
  if (last) {
    const error = clean(last.error?.message ?? last.error)
      .split('\n')
      .filter((l) => l.trim())
      .slice(0, 3)
      .map((l) => l.trim().slice(0, 200));
    for (const l of error) lines.push(`      ${l}`);
    const files = (last.attachments || []).map((a) => `${a.name}: ${shown(a.path)}`);
    if (files.length) lines.push(`      ${files.join(' · ')}`);
  }
  return lines.join('\n');
}

/** Prints what failed, was flaky and did not run, and the totals; returns the exit code. */
function conclude(ctx, { final, records: runRecords, flaky }) {
  const { o, shared, settings, progress, machineId, workers } = ctx;
  const say = (line) => progress.say(line);
  const own = ctx.mine.filter((r) => !r.duplicate);
  // The whole run's records where known (this machine merged it), else this machine's.
  const records = runRecords || own.map((r) => ({ ...r, machine: machineId }));
  const failed = [];
  const notRun = [];
  const flakyKeys = [];
  let tests = 0;
  let skipped = 0;
  for (const r of records) {
    tests += r.tests ?? 0;
    skipped += (r.skipped || []).length;
    for (const key of r.failed) failed.push(failedTest(key, r.attempts));
    flakyKeys.push(...(r.flaky || []));
    if (r.missing.length) {
      const where = shared ? ` (machine ${r.machine})` : '';
      const keys = r.missing.slice(0, 5).map((k) => `      - ${k}`);
      if (r.missing.length > 5) keys.push(`      … and ${r.missing.length - 5} more`);
      notRun.push(
        `  ✘ ${plural(r.missing.length, 'test')} of group ${r.id}${where} did not run: ${String(r.problem || '')
          .split('\n')
          .join('\n      ')}\n${keys.join('\n')}`,
      );
    }
  }
  if (failed.length) say(`failed:\n${failed.join('\n')}`);
  // `run --burn-in`: a failed repeat of a `<project> burn-in` copy is flaky at birth.
  const born = process.env.SHARDWRIGHT_BURN_IN ? records.flatMap((r) => r.failed).filter((k) => /^(.* )?burn-in › /.test(k)) : [];
  if (born.length) say(`burn-in: ${plural(born.length, 'repeat')} of new or changed tests failed — flaky at birth:\n${born.map((k) => `  - ${k}`).join('\n')}`);
  if (flakyKeys.length) say(`flaky (passed on a retry):\n${flakyKeys.map((k) => `  ~ ${k}`).join('\n')}`);
  const missing = records.reduce((a, r) => a + r.missing.length, 0);
  if (notRun.length) say(`not run:\n${notRun.join('\n')}`);
  // quarantineMode 'run': a run whose only failures are quarantined tests
  // passes (where this machine judged the whole run), and says so.
  const onlyQuarantined =
    settings.quarantineMode === 'run' &&
    flaky?.run &&
    missing === 0 &&
    failed.length > 0 &&
    flaky.run.failedQuarantined.length > 0 &&
    flaky.run.failedNotQuarantined.length === 0;
  if (onlyQuarantined) {
    say(`only quarantined tests failed, so the run passes (quarantineMode: run):\n${flaky.run.failedQuarantined.map((k) => `  - ${k}`).join('\n')}`);
  }
  const passed = tests - failed.length - flakyKeys.length - missing - skipped;
  const counts = `tests: ${passed} passed, ${failed.length} failed, ${flakyKeys.length} flaky, ${missing} not run${skipped ? `, ${skipped} skipped` : ''}`;
  const took = formatMs(ctx.endedAt - ctx.startedAt);
  if (shared) {
    say(
      `run ${o.runId}: ${final.done}/${final.total} groups done, ${final.failed} failed${final.reclaimed ? `, ${final.reclaimed} reclaimed from dead machines` : ''}; this machine ran ${plural(own.length, 'group')} (${own.filter((r) => r.status === 'failed').length} failed) in ${took}${runRecords ? ` · ${counts}` : ''}`,
    );
    const failedCount = o.exitStatus === 'own' ? own.filter((r) => r.status === 'failed').length : final.failed;
    return failedCount > 0 && !onlyQuarantined ? 1 : 0;
  }
  say(`${final.done}/${final.total} groups done, ${final.failed} failed, in ${took} on ${plural(workers, 'worker')} · ${counts}`);
  return final.failed > 0 && !onlyQuarantined ? 1 : 0;
}

/**
 * Alone, a machine whose Playwright processes keep running no test fails
 * what is left: every remaining test did not run, for the reason seen.
 */
async function failRest(ctx) {
  const problem = `this machine's Playwright processes ran no test in 2 batches in a row: ${ctx.tripped}`;
  for (;;) {
    const batch = await ctx.queue.pull({ spread: 1, share: ctx.workers, maxGroups: 100_000 });
    if (!batch.length) return;
    for (const g of batch) {
      const { tests } = readGroupPayload(g);
      const r = { id: g.id, status: 'failed', durationMs: 0, attempts: [], failed: [], flaky: [], skipped: [], missing: tests, tests: tests.length, problem };
      ctx.mine.push(r);
      await ctx.queue.complete(g.id, { status: 'failed', durationMs: 0, payload: resultPayload(r) });
    }
  }
}

/**
 * The queue was lost mid-run: this machine's results so far go to a history
 * file of their own (`shardwright merge` adds it to any history), named in
 * the error.
 */
function lostQueue(err, ctx) {
  const { queue, o, settings, machineId } = ctx;
  const own = ctx.mine.filter((r) => !r.duplicate);
  const safe = (s) => String(s).replace(/[^A-Za-z0-9._-]+/g, '_');
  const file = path.resolve(settings.reportDir, `queue-results-${safe(o.runId || 'local')}-${safe(machineId)}.json`);
  let saved = '';
  try {
    const partial = History.empty();
    const added = partial.addRun({
      id: `queue-${o.runId}-${machineId}`,
      startedAt: ctx.startedAt,
      endedAt: ctx.endedAt ?? Date.now(),
      source: 'queue-partial',
      attempts: own.flatMap((r) => r.attempts),
    });
    fs.mkdirSync(path.dirname(file), { recursive: true });
    partial.save(file);
    const failed = own.filter((r) => r.status === 'failed').length;
    saved = `\n  this machine's results so far (${plural(own.length, 'group')}, ${plural(added.tests, 'test')}, ${failed} failed) are in ${file} — a shardwright history: \`npx shardwright merge ${file}\` adds them to yours`;
  } catch (e) {
    saved = `\n  and this machine's results could not be saved to ${file}: ${e.message}`;
  }
  const lost = codedError('queue', `lost the queue ${queue.target} mid-run: ${err.message}${saved}`, { exitCode: 2 });
  if (err.code) lost.code = err.code;
  return lost;
}

module.exports = { record, conclude, lostQueue, failRest };
