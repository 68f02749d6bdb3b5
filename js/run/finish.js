'use strict';
// The end of `shardwright run`: one history run of every completed group
// (on the last machine to finish, in queue mode) with the flaky report, what
// failed, and the exit code. And what a machine keeps when the queue is lost.

const fs = require('node:fs');
const path = require('node:path');
const { codedError } = require('../errors.js');
const { History } = require('../api/history.js');
const { recordRun } = require('../api/record.js');
const { flakySummary, formatMs } = require('../api/flaky-format.js');
const { queueRun } = require('./queue-run.js');
const { plural, shown } = require('./progress.js');

/** Records the run where this machine is the merger; returns `{ failures, flaky }`. */
async function record(ctx, { merger, final }) {
  const { o, queue, shared, history, settings, progress, io } = ctx;
  const say = (line) => progress.say(line);
  if (!merger) {
    if (shared) say(`the merged history is written by the last machine to finish (or: npx shardwright merge --queue <url> --run-id ${o.runId})`);
    return { failures: null, flaky: null };
  }
  const { run: whole, failures, machineIds } = queueRun(o.runId || 'local', await queue.results(), shared ? await queue.runs() : []);
  if (!shared) {
    delete whole.id; // a local run gets a fresh id from the history
    whole.source = 'shardwright-run';
    whole.startedAt = ctx.startedAt;
    whole.endedAt = ctx.endedAt;
  }
  let flaky = null;
  // The history loaded at the start: a save first merges what other
  // processes saved to the file meanwhile.
  if (history) {
    const { added, saved, report } = recordRun(history, whole, settings, ctx.options);
    flaky = report;
    say(
      `${shared ? `merged the run of ${plural(machineIds.length, 'machine')} (${plural(final.total, 'group')}) into` : 'recorded this run in'} ${shown(saved.path)}: run ${added.runId}, ${plural(added.tests, 'test')}; flaky report in ${shown(path.join(path.resolve(settings.reportDir), 'flaky-report.{json,md}'))}`,
    );
    io.stdout.write(flakySummary(flaky, { color: progress.tty }));
  }
  return { failures, flaky };
}

/** Prints what failed and the totals; returns the exit code. */
function conclude(ctx, { final, failures: runFailures, flaky }) {
  const { o, shared, settings, progress, machineId, workers } = ctx;
  const say = (line) => progress.say(line);
  const own = ctx.mine.filter((r) => !r.duplicate);
  const ownFailed = own.filter((r) => r.status === 'failed');
  // What failed: the whole run's where known, else this machine's.
  const failures =
    runFailures || ownFailed.map((r) => ({ group: r.id, machine: machineId, failed: r.failed, missing: r.missing, problem: r.problem, attempts: r.attempts }));
  if (failures.length) {
    const lines = [];
    for (const f of failures) {
      for (const key of f.failed) {
        const last = f.attempts.filter((a) => a.error).at(-1);
        const first = last
          ? String(last.error)
              .split('\n')
              .find((l) => l.trim())
          : '';
        lines.push(
          `  ✘ ${key}${
            first
              ? `\n      ${first
                  .replace(/\u001b\[[0-9;]*m/g, '')
                  .trim()
                  .slice(0, 200)}`
              : ''
          }`,
        );
      }
      if (f.missing.length)
        lines.push(
          `  ✘ ${plural(f.missing.length, 'test')} of group ${f.group} did not run${shared ? ` (machine ${f.machine})` : ''}: ${f.problem || ''}`.trimEnd(),
        );
    }
    say(`failed:\n${lines.join('\n')}`);
  }
  // quarantineMode 'run': a run whose only failures are quarantined tests
  // passes (where this machine judged the whole run), and says so.
  const onlyQuarantined =
    settings.quarantineMode === 'run' &&
    flaky &&
    flaky.run &&
    failures.length > 0 &&
    failures.every((f) => f.missing.length === 0) &&
    flaky.run.failedQuarantined.length > 0 &&
    flaky.run.failedNotQuarantined.length === 0;
  if (onlyQuarantined) {
    say(`only quarantined tests failed, so the run passes (quarantineMode: run):\n${flaky.run.failedQuarantined.map((k) => `  - ${k}`).join('\n')}`);
  }
  const took = formatMs(ctx.endedAt - ctx.startedAt);
  if (shared) {
    say(
      `run ${o.runId}: ${final.done}/${final.total} groups done, ${final.failed} failed${final.reclaimed ? `, ${final.reclaimed} reclaimed from dead machines` : ''}; this machine ran ${plural(own.length, 'group')} (${ownFailed.length} failed) in ${took}`,
    );
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

module.exports = { record, conclude, lostQueue };
