'use strict';
// One batch of `shardwright run`: the groups pulled together run as one
// Playwright process (`<command> --test-list <file> --reporter=json
// --workers=1`, a process task of the WorkerManager); its JSON report is
// read back by the engine and each group completes with its tests'
// attempts, or fails naming the tests that did not run.

const fs = require('node:fs');
const path = require('node:path');
const native = require('../native.js');
const { formatMs } = require('../api/flaky-format.js');
const { readGroupPayload, resultPayload } = require('./queue-run.js');
const { plural, tail } = require('./progress.js');

/** The tests of a batch's report: `{ [key]: { status, attempts } }`, or a problem. */
function readResults(reportFile, result, shownCommand) {
  if (!fs.existsSync(reportFile)) {
    const how = result.signal ? `was killed by ${result.signal}` : `exited with code ${result.exitCode}`;
    const output = result.stderr || result.stdout;
    return { problem: `\`${shownCommand}\` ${how} without a report${output ? `:\n    ${tail(output)}` : ''}` };
  }
  try {
    return { tests: JSON.parse(native.__reportResults(fs.readFileSync(reportFile, 'utf8'))) };
  } catch (err) {
    return { problem: `its report ${reportFile} is unreadable (${err.message})` };
  }
}

/** Each group's record: its tests' attempts, which failed, which did not run. */
function groupRecords(parts, tests, problem, wallMs) {
  return parts.map(({ group, tests: keys }) => {
    const attempts = [];
    const failed = [];
    const missing = [];
    let durationMs = 0;
    for (const key of keys) {
      const t = tests && Object.hasOwn(tests, key) ? tests[key] : undefined;
      if (!t) {
        missing.push(key);
        continue;
      }
      attempts.push(...t.attempts);
      for (const a of t.attempts) durationMs += a.durationMs;
      if (t.status === 'failed') failed.push(key);
    }
    if (problem) durationMs = wallMs / parts.length;
    const status = failed.length || missing.length ? 'failed' : 'passed';
    return {
      id: group.id,
      status,
      durationMs,
      attempts,
      failed,
      missing,
      problem: problem || (missing.length ? `${plural(missing.length, 'test')} not in the batch's report (not run)` : undefined),
    };
  });
}

/**
 * A batch runner for one run: `runBatch(batch)` runs the groups, completes
 * them in the queue and pushes their records to `ctx.mine`.
 */
function batchRunner(ctx) {
  const { o, queue, manager, progress, batchDir, outputBase, cwd } = ctx;
  const say = (line) => progress.say(line);
  return async function runBatch(batch) {
    const n = ++ctx.batchSeq;
    const parts = batch.map((g) => ({ group: g, ...readGroupPayload(g) }));
    const lines = [...new Set(parts.flatMap((p) => p.lines))];
    const testCount = parts.reduce((a, p) => a + p.tests.length, 0);
    const listFile = path.join(batchDir, `batch-${n}.txt`);
    const reportFile = path.join(batchDir, `batch-${n}.json`);
    fs.writeFileSync(listFile, `# shardwright run: batch ${n}, ${batch.map((g) => g.id).join(', ')}\n${lines.join('\n')}\n`);
    const args = [...o.command.slice(1), '--test-list', listFile, '--reporter=json', '--workers=1', '--output', path.join(outputBase, `batch-${n}`)];
    ctx.runningGroups += batch.length;
    const names =
      batch.length > 3
        ? `${batch
            .slice(0, 3)
            .map((g) => g.id)
            .join(', ')}, …`
        : batch.map((g) => g.id).join(', ');
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
    ctx.runningGroups -= batch.length;
    if (result.outcome === 'cancelled') return; // stopping: the leases return to the queue
    const { tests, problem } = readResults(reportFile, result, [o.command[0], ...args].join(' '));
    const records = groupRecords(parts, tests, problem, wallMs);
    ctx.mine.push(...records);
    const failedHere = records.filter((r) => r.status === 'failed').length;
    // The batch's groups complete together, as its one process ended.
    const accepted = await Promise.all(records.map((r) => queue.complete(r.id, { status: r.status, durationMs: r.durationMs, payload: resultPayload(r) })));
    records.forEach((record, i) => {
      if (accepted[i]) return;
      record.duplicate = true;
      say(`group ${record.id} was already completed by another machine (this machine's lease had run out); its result here is not counted`);
    });
    if (problem) say(`batch ${n} failed: ${plural(batch.length, 'group')} (${batch.map((g) => g.id).join(', ')}) failed because ${problem}`);
    const s = await ctx.render();
    if (!progress.tty) {
      const where = s ? ` — ${s.done}/${s.total} groups done, ${s.failed} failed` : '';
      say(`batch ${n} ${failedHere ? `failed (${failedHere} of ${batch.length} groups)` : 'passed'} in ${formatMs(wallMs)}${where}`);
    }
  };
}

module.exports = { batchRunner };
