// The HTML report's browser helpers (inlined into the page, before page.js):
// DOM building (text only, never HTML from the data), number and time
// formats, a tooltip, a virtualised list and SVG bar charts. No network, no
// dependencies.
'use strict';

globalThis.SW = (() => {
  const SVG_NS = 'http://www.w3.org/2000/svg';

  /** An element with attributes (`class`, `data-*`, …) and children (strings become text). */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'text') node.textContent = v;
      else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat()) {
      if (c === undefined || c === null || c === false) continue;
      node.append(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
    }
    return node;
  }

  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) node.setAttribute(k, String(v));
    for (const c of children) node.append(typeof c === 'string' ? document.createTextNode(c) : c);
    return node;
  }

  const num = (n) => (n === null || n === undefined ? '–' : Number(n).toLocaleString('en'));

  /** `850 ms`, `12.3 s`, `3 min 10 s`, `1 h 2 min`. */
  function ms(v) {
    if (v === null || v === undefined || !Number.isFinite(v)) return '–';
    if (v < 1000) return `${Math.round(v)} ms`;
    if (v < 60_000) return `${(v / 1000).toFixed(1)} s`;
    const s = Math.round(v / 1000);
    if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
    if (s >= 360_000) return `${Math.round(s / 3600)} h`;
    return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  }

  const commit = (c) => (c ? c.slice(0, 8) : '');
  const day = (iso) => (iso ? iso.replace('T', ' ').slice(0, 16) : '');

  const tipNode = () => document.getElementById('tip');
  function tip(event, lines) {
    const t = tipNode();
    t.replaceChildren(...lines.flatMap((l, i) => (i ? [el('br'), l] : [l])));
    t.style.display = 'block';
    const x = Math.min(event.clientX + 14, window.innerWidth - t.offsetWidth - 8);
    const y = event.clientY + 16 + t.offsetHeight > window.innerHeight ? event.clientY - t.offsetHeight - 10 : event.clientY + 16;
    t.style.left = `${Math.max(4, x)}px`;
    t.style.top = `${y}px`;
  }
  function untip() {
    tipNode().style.display = 'none';
  }

  /**
   * A list that renders only the rows in view (and a few around): fast at
   * any length. `render(item, index)` returns a row element of `height` px.
   */
  function virtualList(container, height, render) {
    const rows = el('div', { class: 'vrows' });
    const spacer = el('div', { class: 'vspacer' }, rows);
    container.append(spacer);
    let items = [];
    function draw() {
      const top = container.scrollTop;
      const view = container.clientHeight || 420;
      const first = Math.max(0, Math.floor(top / height) - 4);
      const last = Math.min(items.length, Math.ceil((top + view) / height) + 4);
      rows.style.transform = `translateY(${first * height}px)`;
      const frag = document.createDocumentFragment();
      for (let i = first; i < last; i++) frag.append(render(items[i], i));
      rows.replaceChildren(frag);
    }
    container.addEventListener('scroll', draw, { passive: true });
    return {
      set(list) {
        items = list;
        spacer.style.height = `${list.length * height}px`;
        container.scrollTop = 0;
        draw();
      },
      redraw: draw,
      get length() {
        return items.length;
      },
    };
  }

  /**
   * Stacked bars, one per run: `series` = [{ name, color, value(run) }];
   * `title(run)` the tooltip lines. Labels the first and last run.
   */
  function barChart(container, runs, series, title, fmt = num) {
    const W = 600;
    const H = 170;
    const pad = { l: 62, r: 6, t: 8, b: 22 };
    const totals = runs.map((r) => series.reduce((s, x) => s + (x.value(r) || 0), 0));
    const max = Math.max(1, ...totals);
    const bw = (W - pad.l - pad.r) / Math.max(1, runs.length);
    const y = (v) => pad.t + (H - pad.t - pad.b) * (1 - v / max);
    const chart = svg('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none', role: 'img' });
    chart.append(svg('line', { x1: pad.l, x2: W - pad.r, y1: y(0), y2: y(0), stroke: '#c5cad3' }));
    chart.append(svg('text', { x: pad.l - 4, y: y(max) + 8, 'text-anchor': 'end' }, fmt(max)));
    chart.append(svg('text', { x: pad.l - 4, y: y(0), 'text-anchor': 'end' }, '0'));
    runs.forEach((r, i) => {
      const g = svg('g', {}, svg('title', {}, title(r).join('\n')));
      let base = 0;
      for (const s of series) {
        const v = s.value(r) || 0;
        if (v <= 0) continue;
        g.append(svg('rect', { x: pad.l + i * bw + bw * 0.1, width: Math.max(0.5, bw * 0.8), y: y(base + v), height: y(base) - y(base + v), fill: s.color }));
        base += v;
      }
      g.append(svg('rect', { x: pad.l + i * bw, width: bw, y: pad.t, height: H - pad.t - pad.b, fill: 'transparent' }));
      chart.append(g);
    });
    if (runs.length) {
      chart.append(svg('text', { x: pad.l, y: H - 6 }, day(runs[0].startedAt)));
      chart.append(svg('text', { x: W - pad.r, y: H - 6, 'text-anchor': 'end' }, day(runs[runs.length - 1].startedAt)));
    }
    const legend = el(
      'div',
      { class: 'legend' },
      series.map((s) => el('span', {}, el('i', { class: 'sw', style: `background:${s.color}` }), s.name)),
    );
    container.append(legend, chart);
  }

  function table(head, rows, numeric = []) {
    return el(
      'table',
      {},
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          head.map((h, i) => el('th', { class: numeric.includes(i) ? 'num' : null }, h)),
        ),
      ),
      el(
        'tbody',
        {},
        rows.map((r) =>
          el(
            'tr',
            {},
            r.map((c, i) => el('td', { class: numeric.includes(i) ? 'num' : null }, c)),
          ),
        ),
      ),
    );
  }

  return { el, svg, num, ms, commit, day, tip, untip, virtualList, barChart, table };
})();
