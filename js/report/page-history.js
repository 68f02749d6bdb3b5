// The HTML report's sections over the history (inlined after page-ui.js,
// before page.js, which calls them): trends per run, the slowest groups,
// infrastructure incidents, the quarantine and notes.
'use strict';

globalThis.SW.historySections = (data, C) => {
  const { el, num, ms, commit, day, virtualList, barChart, table } = globalThis.SW;
  const $ = (id) => document.getElementById(id);

  // ── trends ──
  function trends() {
    const runs = data.runs;
    const title = (r) => [`run ${r.id}${r.commit ? ` @ ${commit(r.commit)}` : ''}${r.shards ? ` (${r.shards} shards)` : ''}`, day(r.startedAt)];
    barChart(
      $('trend-flaky'),
      runs,
      [
        { name: 'flaky', color: C.flaky, value: (r) => r.flaky },
        { name: 'failed', color: C.fail, value: (r) => r.failed },
        { name: 'infrastructure', color: C.infra, value: (r) => r.infrastructure },
      ],
      (r) => [...title(r), `${num(r.tests)} tests: ${num(r.flaky)} flaky, ${num(r.failed)} failed, ${num(r.infrastructure)} infrastructure`],
    );
    barChart(
      $('trend-duration'),
      runs,
      [{ name: 'summed test time', color: C.took[0], value: (r) => r.serialMs }],
      (r) => [...title(r), `summed ${ms(r.serialMs)}${r.wallMs ? `, wall ${ms(r.wallMs)}` : ''}`],
      ms,
    );
  }

  // ── slowest groups ──
  function slowest() {
    const sec = $('slowest');
    const rows = data.slowest;
    if (!rows.length) return sec.append(el('p', { class: 'empty' }, 'No test has run yet.'));
    const top = rows[0].meanMs || 1;
    sec.append(
      el('p', { class: 'muted' }, `${rows.length} of ${num(data.groups)} groups (a project's test file), by their mean summed test time per run`),
      table(
        ['group', 'tests', 'runs', 'mean', 'newest run', 'most', ''],
        rows.map((g) => [
          el('span', { class: 'key' }, g.project ? `${g.project} › ${g.file}` : g.file),
          num(g.tests),
          num(g.runs),
          ms(g.meanMs),
          ms(g.lastMs),
          ms(g.maxMs),
          el('div', { class: 'bar', style: `width:${Math.max(1, (g.meanMs / top) * 160)}px` }),
        ]),
        [1, 2, 3, 4, 5],
      ),
    );
  }

  // ── incidents ──
  function incidents() {
    const sec = $('incidents');
    const list = data.incidents || [];
    if (!list.length) return sec.append(el('p', { class: 'empty' }, 'No infrastructure incident in the history.'));
    sec.append(
      table(
        ['run', 'when', 'scope', 'signature', 'tests', 'share', 'confirmed'],
        list.map((i) => [
          el('span', { class: 'key', title: i.summary }, `${i.runId}${i.commit ? ` @ ${commit(i.commit)}` : ''}`),
          day(i.startedAt),
          i.project || 'whole run',
          el('span', { class: 'key' }, i.signature),
          `${num(i.tests)} of ${num(i.ran)} in ${num(i.files)} files`,
          `${Math.round(i.share * 100)}%`,
          i.confirmed ? 'yes' : `not yet (${i.streak} run${i.streak === 1 ? '' : 's'})`,
        ]),
        [4, 5],
      ),
    );
  }

  // ── quarantine ──
  function quarantine() {
    const sec = $('quarantine');
    const list = data.quarantine || [];
    if (!list.length) return sec.append(el('p', { class: 'empty' }, 'No test is quarantined.'));
    const why = new Map(data.tests.map((t) => [t.key, t.why]));
    const box = el('div', { class: 'vlist', style: `height:${Math.min(420, list.length * 30 + 2)}px` });
    const detail = el('div', { class: 'detail muted' }, 'Hover a row for why.');
    sec.append(
      el(
        'p',
        { class: 'muted' },
        `${num(list.length)} tests: reason, score, since, clean runs (released after ${data.options?.quarantineReleaseAfter ?? '–'})`,
      ),
      box,
      detail,
    );
    const reason = (q) => (q.reason === 'listed' ? `listed by ${q.rule}` : why.get(q.key) || `score ${q.score}`);
    virtualList(box, 30, (q) =>
      el(
        'div',
        { class: 'vrow', onmouseenter: () => detail.replaceChildren(el('div', { class: 'key' }, q.key), el('div', {}, reason(q))) },
        el('span', {}, q.reason),
        el('span', { class: 'num' }, q.score.toFixed(2)),
        el('span', { class: 'muted' }, q.since ? `${q.since.runId}` : '–'),
        el('span', { class: 'num' }, `${q.cleanRuns} clean`),
        el('span', { class: 'key', title: q.key }, q.key),
      ),
    ).set(list);
  }

  function notes() {
    if (!data.notes?.length) return;
    const sec = $('notes');
    sec.hidden = false;
    sec.append(
      el(
        'ul',
        { class: 'notes' },
        data.notes.map((n) => el('li', {}, n)),
      ),
    );
  }

  return [trends, slowest, incidents, quarantine, notes];
};
