'use strict';
// `shardwright merge <files or dirs…>`: one history from the histories of
// several CI shards (downloaded artifacts), no run duplicated.

const fs = require('node:fs');
const path = require('node:path');
const { usageError } = require('../cli.js');
const { History, defaultHistoryPath } = require('../history.js');

const HEAD = '{"format":"shardwright-history"';

/** Whether a file starts like a shardwright history (cheap: 32 bytes). */
function looksLikeHistory(file) {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(HEAD.length);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    return buf.toString('utf8', 0, n) === HEAD;
  } finally {
    fs.closeSync(fd);
  }
}

/** The history files named or found (recursively, `*.json`) in directories. */
function collect(inputs) {
  const files = [];
  const skipped = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile() && entry.name.endsWith('.json')) (looksLikeHistory(p) ? files : skipped).push(p);
    }
  };
  for (const input of inputs) {
    let stat;
    try {
      stat = fs.statSync(input);
    } catch {
      throw usageError(`no such file or directory: ${input}`);
    }
    if (stat.isDirectory()) walk(input);
    else files.push(input);
  }
  return { files, skipped };
}

/**
 * Merges `inputs` (history files or directories holding them) into `out`.
 * Returns what each input added.
 */
function mergeHistories(inputs, out, { reset = false } = {}) {
  const { files, skipped } = collect(inputs);
  const target = History.load(out, { reset });
  const outAbs = path.resolve(out);
  const added = [];
  for (const file of files) {
    if (path.resolve(file) === outAbs) continue;
    const m = target.merge(History.load(file));
    added.push({ file, ...m });
  }
  return { target, added, skipped, files };
}

module.exports = {
  summary: 'merge the histories of several shards into one (no run duplicated)',
  usage: `Usage: shardwright merge <files or dirs…> [--out FILE] [--reset]

Merges history files — named, or found as *.json histories in the given
directories (e.g. downloaded CI artifacts, one per shard) — into one. Runs are
matched by id, so a run present in several inputs is kept once. The output
file, if it exists, is merged into too.

Options:
  --out FILE    the merged history (default: $SHARDWRIGHT_HISTORY or
                .shardwright/history.json)
  --reset       if the output file is unusable, keep it as a backup and
                start afresh
  -h, --help    this help`,
  options: {
    out: { type: 'string' },
    reset: { type: 'boolean' },
  },
  mergeHistories,
  run(values, positionals, io) {
    if (!positionals.length) throw usageError('no history given (usage: shardwright merge <files or dirs…>)');
    if (values.out !== undefined && values.out.trim() === '') throw usageError(`invalid --out: ${JSON.stringify(values.out)} (a file path)`);
    const out = values.out ?? defaultHistoryPath();
    const { target, added, skipped, files } = mergeHistories(positionals, out, { reset: Boolean(values.reset) });
    if (!files.length) throw usageError(`no history files found in ${positionals.join(', ')}`);
    if (target.recovered) io.stderr.write(`shardwright merge: ${out} was unusable (${target.recovered.problem}); kept as ${target.recovered.backup}, starting afresh\n`);
    for (const a of added) {
      io.stdout.write(`merged ${a.file}: ${a.runsAdded} new runs, ${a.runsShared} already present, ${a.attemptsAdded} attempts\n`);
    }
    for (const s of skipped) io.stdout.write(`skipped ${s} (not a shardwright history)\n`);
    const saved = target.save(out);
    io.stdout.write(`saved ${saved.path}: ${saved.runs} runs, ${saved.tests} tests, ${saved.bytes} bytes\n`);
    return 0;
  },
};
