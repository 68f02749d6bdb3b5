// The HTML report's page (inlined after page-ui.js and page-history.js): reads the engine's data
// blob (#sw-data, src/report/) and draws each section. Sets
// `document.body.dataset.ready` (ms since navigation) when done.
'use strict';

(() => {
  const { el, num, ms, commit, day, tip, untip, virtualList } = globalThis.SW;
  const data = JSON.parse(document.getElementById('sw-data').textContent);
  const $ = (id) => document.getElementById(id);
  const C = {
    pass: '#3fb27f',
    flaky: '#f0a020',
    fail: '#e0454f',
    infra: '#7b61d1',
    skip: '#c5cad3',
    plan: ['#9db7e8', '#bcd0f2'],
    took: ['#3867c7', '#5b86dc'],
  };
  const OUTCOME = { P: 'passed', R: 'flaky (passed on a retry)', F: 'failed', X: 'failed with an infrastructure incident', S: 'skipped', '.': 'did not run' };

  // ── header ──
  const h = data.history || {};
  $('head').textContent =
    `${num(h.runs)} runs · ${num(h.tests)} tests · ${num(h.attempts)} attempts · ${num(h.commits)} commits · ${day(h.firstRunAt)} – ${day(h.lastRunAt)} · generated ${day(data.generatedAt)}`;
  const s = data.summary || {};
  for (const [k, label] of [
    ['flaky', 'flaky'],
    ['broken', 'broken'],
    ['failing', 'failing'],
    ['fixed', 'fixed'],
    ['quarantined', 'quarantined'],
    ['incidents', 'incidents'],
    ['stable', 'stable'],
  ])
    $('chips').append(el('span', { class: 'chip' }, el('b', {}, num(s[k])), ` ${label}`));

  // ── shard timeline ──
  function timeline() {
    const sec = $('timeline');
    const t = data.timeline;
    if (!t) {
      sec.append(el('p', { class: 'empty' }, 'No shard records of a sharded run (the reporter writes them to reportDir at the end of each --shard).'));
      return;
    }
    const lb = t.lowerBoundMs;
    sec.append(
      el(
        'p',
        { class: 'muted' },
        `run ${t.runId}${t.commit ? ` @ ${commit(t.commit)}` : ''}${t.startedAt ? `, ${day(t.startedAt)}` : ''} · ${t.total} shards${t.strategy ? ` by ${t.strategy}` : ''} · `,
        `longest shard: planned ${ms(t.plannedMakespanMs)}, took ${ms(t.takenMakespanMs)} · lower bound ${ms(lb)}`,
        lb ? ` (planned ÷ bound ${(t.plannedMakespanMs / lb).toFixed(3)})` : '',
        t.missing.length ? ` · no record of shard ${t.missing.join(', ')}` : '',
      ),
      el(
        'div',
        { class: 'legend' },
        el('span', {}, el('i', { class: 'sw', style: `background:${C.plan[0]}` }), 'planned (expected time of each group)'),
        el('span', {}, el('i', { class: 'sw', style: `background:${C.took[0]}` }), 'took (its tests, retries included)'),
        el('span', {}, el('i', { class: 'sw', style: 'background:#d02670' }), 'lower bound: max(total ÷ shards, longest group)'),
        el('span', {}, el('i', { class: 'sw', style: 'background:#3867c7' }), 'dashed: the same of the time taken'),
        el('span', {}, 'summed test time per shard; wall times beside each row'),
      ),
    );
    const max = Math.max(1, t.takenLowerBoundMs, lb || 0, ...t.shards.map((r) => Math.max(r.plannedMs || 0, r.takenMs))) * 1.02;
    const box = el('div', { class: 'tl' });
    sec.append(box);
    const draws = [];
    for (const r of t.shards) {
      const canvas = el('canvas', { 'data-shard': r.index });
      const lanes = el('div', { class: 'tl-lanes' }, canvas);
      if (lb) lanes.append(el('div', { class: 'tl-bound', style: `left:${(lb / max) * 100}%`, title: `lower bound ${ms(lb)}` }));
      lanes.append(el('div', { class: 'tl-bound took', style: `left:${(t.takenLowerBoundMs / max) * 100}%` }));
      const wall = r.wallMs ? `took ${ms(r.wallMs)}` : '';
      const pred = r.predictedMs ? `predicted ${ms(r.predictedMs)}${r.workers ? ` on ${r.workers} worker${r.workers === 1 ? '' : 's'}` : ''}, ` : '';
      box.append(
        el(
          'div',
          { class: 'tl-row' },
          el(
            'div',
            { class: 'tl-label' },
            el('b', {}, `shard ${r.index}/${t.total}`),
            ` · ${num(r.tests)} tests, ${num(r.groups)} groups`,
            el('br'),
            `load ${ms(r.plannedMs)} → ${ms(r.takenMs)}`,
            el('br'),
            `${pred}${wall}`,
          ),
          lanes,
        ),
      );
      draws.push(() => drawRow(canvas, r, max));
    }
    const ticks = el(
      'div',
      { class: 'tl-row' },
      el('div'),
      el(
        'div',
        { class: 'muted', style: 'display:flex;justify-content:space-between;font-size:11px' },
        [0, 0.25, 0.5, 0.75, 1].map((f) => el('span', {}, ms(f * max))),
      ),
    );
    box.append(ticks);
    const all = () => {
      for (const d of draws) d();
    };
    all();
    window.addEventListener('resize', all);
  }

  function drawRow(canvas, r, max) {
    const dpr = window.devicePixelRatio || 1;
    const w = canvas.clientWidth || 800;
    const hgt = 34;
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(hgt * dpr);
    const g = canvas.getContext('2d');
    g.scale(dpr, dpr);
    const lanes = [
      { y: 2, h: 14, at: 1, colors: C.plan },
      { y: 18, h: 14, at: 2, colors: C.took },
    ];
    const hits = [];
    for (const lane of lanes) {
      let x = 0;
      r.segments.forEach((seg, i) => {
        const v = seg[lane.at] || 0;
        const width = (v / max) * w;
        g.fillStyle = lane.colors[i % 2];
        g.fillRect(x, lane.y, Math.max(width, 0), lane.h);
        hits.push({ x0: x, x1: x + width, y0: lane.y, y1: lane.y + lane.h, seg, lane: lane.at === 1 ? 'planned' : 'took' });
        x += width;
      });
    }
    canvas.onmousemove = (e) => {
      const b = canvas.getBoundingClientRect();
      const x = e.clientX - b.left;
      const y = e.clientY - b.top;
      const hit = hits.find((k) => x >= k.x0 && x < k.x1 && y >= k.y0 && y < k.y1);
      if (!hit) return untip();
      const [label, planned, took, tests] = hit.seg;
      tip(e, [label, `${num(tests)} tests · planned ${ms(planned)} · took ${ms(took)}`]);
    };
    canvas.onmouseleave = untip;
  }

  // ── tests that need attention ──
  function tests() {
    const sec = $('tests');
    const runs = data.runs.slice(data.runs.length - data.columns);
    const all = data.tests;
    const filters = [
      ['all', () => true],
      ...['flaky', 'broken', 'failing', 'fixed'].map((v) => [v, (t) => t.verdict === v]),
      ['quarantined', (t) => t.quarantined],
    ];
    let filter = filters[0];
    let query = '';
    const count = el('span', { class: 'muted', id: 'tests-count' });
    const buttons = filters.map((f) =>
      el('button', {
        text: `${f[0]} (${num(all.filter(f[1]).length)})`,
        'data-filter': f[0],
        class: f === filter ? 'on' : null,
        onclick: () => {
          filter = f;
          for (const b of buttons) b.classList.toggle('on', b.dataset.filter === f[0]);
          apply();
        },
      }),
    );
    const search = el('input', {
      type: 'search',
      placeholder: 'filter by test key…',
      oninput: (e) => {
        query = e.target.value.toLowerCase();
        apply();
      },
    });
    const box = el('div', { class: 'vlist', id: 'tests-list' });
    const detail = el(
      'div',
      { class: 'detail muted', id: 'tests-detail' },
      'Select a test for its verdict in words and its error. Strip: one cell per run, oldest → newest.',
    );
    sec.append(
      el('div', { class: 'controls' }, buttons, search, count),
      el(
        'div',
        { class: 'legend' },
        Object.entries({ P: C.pass, R: C.flaky, F: C.fail, X: C.infra, S: C.skip }).map(([k, c]) =>
          el('span', {}, el('i', { class: 'sw', style: `background:${c}` }), OUTCOME[k]),
        ),
        el('span', {}, `strip: the last ${runs.length} runs`),
      ),
      commitHeader(runs),
      box,
      detail,
    );
    let selected = null;
    const list = virtualList(box, 30, (t) =>
      el(
        'div',
        { class: `vrow${t === selected ? ' sel' : ''}`, 'data-key': t.key, onclick: () => select(t) },
        el('span', { class: `verdict v-${t.verdict}` }, t.verdict),
        el('span', { class: 'num' }, t.score.toFixed(2)),
        el(
          'span',
          { class: 'strip' },
          [...t.strip].map((c, i) => el('i', { class: c === '.' ? null : c, 'data-i': i })),
        ),
        el('span', { class: 'key', title: t.key }, t.quarantined ? el('span', { class: 'qb', title: 'quarantined' }, 'Q') : '', t.key),
      ),
    );
    box.addEventListener('mouseover', (e) => {
      const i = e.target.dataset?.i;
      if (i === undefined) return untip();
      const r = runs[Number(i)];
      const c = e.target.closest('.strip').children;
      const letter = e.target.className || '.';
      tip(e, [`run ${r.id}${r.commit ? ` @ ${commit(r.commit)}` : ''}`, day(r.startedAt), OUTCOME[letter] || letter, `${Number(i) + 1} of ${c.length}`]);
    });
    box.addEventListener('mouseleave', untip);
    function select(t) {
      selected = t;
      list.redraw();
      detail.classList.remove('muted');
      detail.replaceChildren(
        el('div', { class: 'key' }, t.key),
        el(
          'div',
          {},
          `${t.verdict}, score ${t.score.toFixed(2)}${t.quarantined ? ', quarantined' : ''} · ${t.runs} runs, ${t.failed} failed, ${t.flaky} flaky, ${t.flips} flips · last ${t.lastOutcome || '–'}`,
        ),
        el('div', {}, t.why),
        t.error ? el('pre', {}, `${t.errorClass ? `[${t.errorClass}] ` : ''}${t.error}`) : null,
      );
    }
    function apply() {
      const shown = all.filter((t) => filter[1](t) && (!query || t.key.toLowerCase().includes(query)));
      count.textContent = `${num(shown.length)} of ${num(all.length)} tests`;
      list.set(shown);
    }
    apply();
  }

  /** Above the strips: one cell per run, its shade changing with the commit (runs of one commit side by side). */
  function commitHeader(runs) {
    let shade = 0;
    const cells = runs.map((r, i) => {
      if (i > 0 && r.commit !== runs[i - 1].commit) shade ^= 1;
      return el('i', { class: `c${shade}`, title: `run ${r.id}${r.commit ? ` @ ${commit(r.commit)}` : ''}, ${day(r.startedAt)}` });
    });
    const commits = new Set(runs.map((r) => r.commit).filter(Boolean)).size;
    return el(
      'div',
      { class: 'vrow head' },
      el('span'),
      el('span'),
      el('span', { class: 'strip commits' }, cells),
      el('span', { class: 'muted' }, `${commits} commits (a shade per commit)`),
    );
  }

  for (const section of [timeline, tests, ...globalThis.SW.historySections(data, C)]) section();
  document.body.dataset.ready = String(Math.round(performance.now()));
})();
