'use strict';
// Timing helpers for the benchmarks: warm-up, median of several runs.

async function time(fn, { runs = 5, warmup = 1 } = {}) {
  for (let i = 0; i < warmup; i++) await fn();
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

function table(title, header, rows) {
  console.log(`\n### ${title}\n`);
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map(() => '---').join('|')}|`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
}

/**
 * The CPU time of a process tree while it runs, by part: `treeCpu(pid,
 * partOf)` samples /proc every `everyMs`; `stop()` resolves `{ total,
 * parts: { name: seconds } }` (`partOf(cmdline)` names a process's part).
 * A process belongs to the tree when `pid` is among its ancestors when first
 * seen (a detached child still has its parent then). Its last reading
 * counts: one that lives less than a sampling interval is missed, as is the
 * CPU a process uses after the last sample before it exits — small beside
 * the long-lived processes of a Playwright run, and the same for both sides
 * of a comparison. Linux only (elsewhere: null).
 */
function treeCpu(pid, partOf, everyMs = 250) {
  const fs = require('node:fs');
  if (!fs.existsSync('/proc/self/stat')) return { stop: async () => null };
  const HZ = 100; // USER_HZ: 100 on every Linux Node runs on
  const seen = new Map(); // "pid:start" → { part, cpu }
  const parent = new Map(); // pid → ppid, of the last sample
  const inTree = new Set([pid]);
  const read = () => {
    let names;
    try {
      names = fs.readdirSync('/proc');
    } catch {
      return;
    }
    const rows = [];
    for (const name of names) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        rows.push([Number(name), Number(f[1]), f[19], (Number(f[11]) + Number(f[12])) / HZ, stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))]);
      } catch {}
    }
    for (const [p, pp] of rows) parent.set(p, pp);
    const part = (p) => {
      try {
        return partOf(fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' '));
      } catch {
        return partOf('');
      }
    };
    for (const [p, , start, cpu, comm] of rows) {
      const key = `${p}:${start}`;
      const known = seen.get(key);
      if (known) {
        known.cpu = cpu;
        // First seen between its fork and its exec (node starting node
        // keeps its name): named again by what it runs one sample later.
        if (known.comm !== comm || !known.again) Object.assign(known, { comm, again: true, part: part(p) });
        continue;
      }
      let a = p;
      for (let i = 0; i < 64 && a > 1 && !inTree.has(a); i++) a = parent.get(a) ?? 0;
      if (!inTree.has(a)) continue;
      inTree.add(p);
      seen.set(key, { part: part(p), cpu, comm });
    }
  };
  read();
  const timer = setInterval(read, everyMs);
  return {
    async stop() {
      clearInterval(timer);
      read();
      const parts = {};
      let total = 0;
      for (const { part, cpu } of seen.values()) {
        parts[part] = (parts[part] || 0) + cpu;
        total += cpu;
      }
      return { total, parts };
    },
  };
}

module.exports = { time, table, treeCpu };
