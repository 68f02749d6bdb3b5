'use strict';
// The flaky report as text: a Markdown summary (for $GITHUB_STEP_SUMMARY or a
// PR comment) and a few terminal lines for the end of a run. Both work on the
// report object alone, so a report read back from a JSON file renders the
// same. Durations print as the engine prints them (formatMs).

const native = require('../native.js');

const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** `850 ms`, `12.3 s`, `4m 05s`, `1h 02m` (the engine's format). */
const formatMs = (ms) => native.__formatMs(Number(ms));

const SECTIONS = [
  ['broken', 'Broken', 'failing every run since a commit'],
  ['flaky', 'Flaky', 'passing and failing without a code change'],
  ['failing', 'Failing', 'failed in the latest runs, not yet known to be broken'],
  ['fixed', 'Fixed', 'passing again after a broken streak'],
];

function short(commit) {
  return commit ? String(commit).slice(0, 7) : '';
}

function cell(text) {
  return String(text ?? '')
    .replace(/\r?\n/g, ' ')
    .replace(/\|/g, '\\|')
    .replace(/`/g, "'")
    .trim();
}

function code(text) {
  return `\`${String(text).replace(/`/g, "'").replace(/\|/g, '\\|')}\``;
}

function where(ref) {
  if (!ref) return '';
  const commit = ref.commit ? `${code(short(ref.commit))} ` : '';
  return `${commit}${ref.startedAt.slice(0, 16).replace('T', ' ')}`;
}

function topError(test) {
  const e = test.evidence?.errors?.[0];
  if (!e) return '';
  const message = e.message.length > 120 ? `${e.message.slice(0, 117)}...` : e.message;
  return `${e.rule}: ${message}`;
}

function counts(report) {
  const s = report.summary;
  return [
    `**${s.flaky} flaky**`,
    `**${s.broken} broken**`,
    `${s.failing} failing`,
    `${s.fixed} fixed`,
    `${s.stable} stable`,
    `${s.quarantined} quarantined`,
    ...(s.incidents ? [plural(s.incidents, 'infrastructure incident')] : []),
  ].join(' · ');
}

/**
 * Markdown for a job summary or a comment. `maxTests` rows per section
 * (default 50); the rest is counted.
 */
function flakyMarkdown(report, { maxTests = 50, title = 'shardwright flaky report' } = {}) {
  const h = report.history;
  const lines = [`## ${title}`, ''];
  lines.push(
    `${counts(report)} — ${plural(report.summary.tests, 'test')} over ${plural(h.runs, 'run')} (window ${report.options.window}, flaky from score ${report.options.flakyThreshold}, quarantine from ${report.options.quarantineThreshold})`,
    '',
  );
  if (report.run) {
    const r = report.run;
    const commit = r.commit ? ` at ${code(short(r.commit))}` : '';
    lines.push(
      `Latest run ${code(r.runId)}${commit}: ${r.passed} passed, ${r.failed} failed, ${r.flaky} flaky, ${r.skipped} skipped${r.failedQuarantined.length ? ` (${r.failedQuarantined.length} failed test(s) quarantined)` : ''}${r.failedInfrastructure?.length ? `; ${r.failedInfrastructure.length} failed in an infrastructure incident` : ''}.`,
      '',
    );
  }
  const incidents = report.incidents || [];
  if (incidents.length) {
    lines.push(
      `### Infrastructure incidents (${incidents.length})`,
      '',
      '_many tests failing with one error signature at once (an outage, not the tests): these failures are not counted as flakiness_',
      '',
    );
    for (const i of incidents.slice(-maxTests)) lines.push(`- ${cell(i.summary)}`);
    if (incidents.length > maxTests) lines.push(`- … and ${incidents.length - maxTests} older`);
    lines.push('');
  }
  for (const [verdict, heading, meaning] of SECTIONS) {
    const tests = report.tests.filter((t) => t.verdict === verdict);
    if (!tests.length) continue;
    lines.push(`### ${heading} (${tests.length})`, '', `_${meaning}_`, '');
    if (verdict === 'flaky') {
      lines.push('| Test | Score | Runs (old → new) | Flaky / failed / passed | Quarantined | Top error |', '|---|---:|---|---|---|---|');
      for (const t of tests.slice(0, maxTests)) {
        lines.push(
          `| ${code(t.key)} | ${t.score.toFixed(2)} | ${code(t.evidence.outcomes)} | ${t.flaky} / ${t.failed} / ${t.passed} | ${t.quarantined ? 'yes' : ''} | ${cell(topError(t))} |`,
        );
      }
    } else if (verdict === 'fixed') {
      lines.push('| Test | Passing since | Broken since | Runs (old → new) |', '|---|---|---|---|');
      for (const t of tests.slice(0, maxTests)) lines.push(`| ${code(t.key)} | ${where(t.since)} | ${where(t.before)} | ${code(t.evidence.outcomes)} |`);
    } else {
      lines.push('| Test | Failing since | Last passed | Runs (old → new) | Error |', '|---|---|---|---|---|');
      for (const t of tests.slice(0, maxTests)) {
        lines.push(`| ${code(t.key)} | ${where(t.since)} | ${where(t.before) || '—'} | ${code(t.evidence.outcomes)} | ${cell(topError(t))} |`);
      }
    }
    if (tests.length > maxTests) lines.push('', `… and ${tests.length - maxTests} more.`);
    lines.push('');
  }
  if (report.quarantine.length) {
    lines.push(`### Quarantined (${report.quarantine.length})`, '');
    for (const q of report.quarantine.slice(0, maxTests)) {
      const why = q.reason === 'listed' ? `listed (${cell(q.rule)})` : `score ${q.score.toFixed(2)}`;
      lines.push(`- ${code(q.key)} — ${why}`);
    }
    if (report.quarantine.length > maxTests) lines.push(`- … and ${report.quarantine.length - maxTests} more`);
    lines.push('');
  }
  if (!report.tests.some((t) => t.verdict !== 'stable')) lines.push('No flaky, broken or failing tests. ✅', '');
  lines.push(`<sub>Outcomes: P passed, F failed, R passed on a retry. Report schema v${report.schemaVersion}, generated ${report.generatedAt}.</sub>`, '');
  return lines.join('\n');
}

const COLORS = { broken: 31, flaky: 33, failing: 31, fixed: 32 };

/** A few lines for the end of a run: counts, then the worst tests. */
function flakySummary(report, { maxTests = 10, color = false } = {}) {
  const paint = (verdict, text) => (color && COLORS[verdict] ? `\u001b[${COLORS[verdict]}m${text}\u001b[39m` : text);
  const s = report.summary;
  const shown = report.tests.filter((t) => t.verdict !== 'stable');
  // Incidents of the reported run (the newest when none was asked for).
  const runId = report.run?.runId;
  const incidents = (report.incidents || []).filter((i) => i.runId === runId).map((i) => `  incident ${i.summary}`);
  if (!shown.length) {
    const head = `shardwright: ${plural(s.tests, 'test')}, none flaky or broken (${plural(report.history.runs, 'run')} in the history)${s.quarantined ? `, ${s.quarantined} quarantined` : ''}`;
    return `${[head, ...incidents].join('\n')}\n`;
  }
  const parts = [`${s.flaky} flaky`, `${s.broken} broken`, `${s.failing} failing`, `${s.fixed} fixed`, `${s.stable} stable`].filter((p) => !p.startsWith('0 '));
  const lines = [
    `shardwright: ${parts.join(', ')} (${plural(report.history.runs, 'run')} in the history)${s.quarantined ? ` · ${s.quarantined} quarantined` : ''}`,
    ...incidents,
  ];
  for (const t of shown.slice(0, maxTests)) {
    let detail = t.evidence.outcomes;
    if (t.verdict === 'flaky') detail = `score ${t.score.toFixed(2)}  ${t.evidence.outcomes}${t.quarantined ? '  [quarantined]' : ''}`;
    else if (t.since?.commit) detail += `  since ${short(t.since.commit)}`;
    lines.push(`  ${paint(t.verdict, t.verdict.padEnd(7))} ${t.key}  ${detail}`);
  }
  if (shown.length > maxTests) lines.push(`  … and ${shown.length - maxTests} more (npx shardwright report)`);
  return `${lines.join('\n')}\n`;
}

module.exports = { formatMs, flakyMarkdown, flakySummary, cell, code };
