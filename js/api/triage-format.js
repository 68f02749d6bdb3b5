'use strict';
// The triage of a run (the engine's `__triage`, src/triage/) as Markdown for
// a PR comment or $GITHUB_STEP_SUMMARY: the failures sorted into new, known
// flaky and broken on base, with their owners. Same style as flaky-format.js.

const { cell, code } = require('./flaky-format.js');
const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

function owners(f) {
  return f.owners.length ? f.owners.map(cell).join(' ') : '—';
}

function shortError(f) {
  if (!f.error) return '';
  return f.error.length > 120 ? `${f.error.slice(0, 117)}...` : f.error;
}

const SECTIONS = [
  [
    'new',
    '🆕 New failures',
    'failing here, passing on the base branch (or not there yet): most likely this change',
    ['Test', 'Owners', 'On base', 'Error'],
    (f) => [code(f.key), owners(f), cell(f.reason), cell(shortError(f))],
  ],
  [
    'knownFlaky',
    '🎲 Known flaky',
    'flakiness on record before this run: probably not this change',
    ['Test', 'Owners', 'Score', 'Runs (old → new)', 'Quarantined', 'Error'],
    (f) => [code(f.key), owners(f), f.score.toFixed(2), f.outcomes ? code(f.outcomes) : '', f.quarantined ? 'yes' : '', cell(shortError(f))],
  ],
  [
    'brokenOnBase',
    '🧱 Broken on base',
    'failing on the base branch too: not this change',
    ['Test', 'Owners', 'Failing on base since', 'Error'],
    (f) => [code(f.key), owners(f), cell(f.failingSince || f.reason), cell(shortError(f))],
  ],
];

/** Markdown of a triage; `maxTests` rows per section (default 50). */
function triageMarkdown(t, { maxTests = 50, title = 'shardwright triage' } = {}) {
  const lines = [`## ${title}`, ''];
  if (!t.runId) return `${[...lines, 'The history has no run to triage.', ''].join('\n')}\n`;
  const commit = t.commit ? ` at ${code(t.commit.slice(0, 7))}` : '';
  const base = t.baseRun ? `base ${code(t.baseRun)} (${plural(t.baseRuns, 'run')} in its history)` : 'an empty base history';
  lines.push(
    `Run ${code(t.runId)}${commit}: ${plural(t.failed, 'failed test')} of ${t.tests} — **${t.new.length} new**, ${t.knownFlaky.length} known flaky, ${t.brokenOnBase.length} broken on base — against ${base}.`,
    '',
  );
  for (const [field, heading, meaning, head, row] of SECTIONS) {
    const list = t[field];
    if (!list.length) continue;
    lines.push(`### ${heading} (${list.length})`, '', `_${meaning}_`, '');
    lines.push(`| ${head.join(' | ')} |`, `|${head.map((h) => (h === 'Score' ? '---:' : '---')).join('|')}|`);
    for (const f of list.slice(0, maxTests)) lines.push(`| ${row(f).join(' | ')} |`);
    if (list.length > maxTests) lines.push('', `… and ${list.length - maxTests} more.`);
    lines.push('');
  }
  if (t.failed === 0) lines.push('No test failed. ✅', '');
  if (t.passedOnRetry.length) {
    lines.push(`<details><summary>${plural(t.passedOnRetry.length, 'test')} passed on a retry</summary>`, '');
    for (const k of t.passedOnRetry.slice(0, maxTests)) lines.push(`- ${code(k)}`);
    lines.push('', '</details>', '');
  }
  const byOwner = new Map();
  for (const f of t.new) for (const o of f.owners) byOwner.set(o, (byOwner.get(o) || 0) + 1);
  if (byOwner.size) {
    lines.push(`New failures by owner: ${[...byOwner].map(([o, n]) => `${cell(o)} ${n}`).join(', ')}.`, '');
  }
  for (const p of t.codeownersProblems) lines.push(`> CODEOWNERS ${cell(p)} (skipped)`, '');
  lines.push('<sub>Rerun what failed: `npx shardwright failed > failed.txt && npx playwright test --test-list failed.txt`.</sub>', '');
  return lines.join('\n');
}

module.exports = { triageMarkdown };
