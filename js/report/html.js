'use strict';
// The HTML run report: one self-contained file (inline CSS, script and
// data; no request leaves it) that opens from disk or a CI artifact.
//
// The engine computes what the page shows (src/report/: the shard timeline
// of the newest sharded run, the slowest groups, the tests that need
// attention with their per-run strips, trends, incidents, the quarantine)
// and returns it as one JSON blob already escaped for a <script> element;
// this file only puts it into the page (template.html + page.js) and writes
// the file.

const fs = require('node:fs');
const path = require('node:path');
const native = require('../native.js');
const { codedError } = require('../errors.js');
const { writeAtomic } = require('../api/record.js');

const TEMPLATE = path.join(__dirname, 'template.html');
const SCRIPTS = ['page-ui.js', 'page-history.js', 'page.js'].map((f) => path.join(__dirname, f));
const RECORD = /^shard-(\d+)-of-(\d+)\.json$/;

/** Shard record files under `dir` (and its folders, a few levels down: downloaded CI artifacts). */
function recordFiles(dir, depth, out) {
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if (depth > 0 || err.code === 'ENOENT' || err.code === 'ENOTDIR') return out;
    throw codedError('io', `failed to read the shard records in ${dir}: ${err.message}`);
  }
  for (const e of entries) {
    const file = path.join(dir, e.name);
    if (e.isFile() && RECORD.test(e.name)) out.push({ file, mtime: fs.statSync(file).mtimeMs });
    else if (e.isDirectory() && depth < 4 && e.name !== 'node_modules' && e.name !== '.plans') recordFiles(file, depth + 1, out);
  }
  return out;
}

/**
 * `{ texts, names }` of the shard records in `dir` and its folders (a
 * merge job's downloaded artifacts), oldest first; none when the folder is
 * missing.
 */
function readShardRecords(dir) {
  const files = recordFiles(dir, 0, []).sort((a, b) => a.mtime - b.mtime || a.file.localeCompare(b.file));
  return { texts: files.map((f) => fs.readFileSync(f.file, 'utf8')), names: files.map((f) => path.relative(process.cwd(), f.file) || f.file) };
}

/** `'1.2 MiB'`. */
function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 ** 2).toFixed(1)} MiB`;
}

/**
 * The report's HTML text. `history` is a History; `options` the reporter's
 * options (SHARDWRIGHT_* apply on top) and `flags` a command's own, as
 * `shardwright report` judges; `reportDir` the folder of the shard
 * records (the reporter's `reportDir`).
 */
function htmlReport(history, { options, flags, reportDir, now } = {}) {
  const records = reportDir ? readShardRecords(reportDir) : { texts: [], names: [] };
  const data = native.__htmlReportData(history._store, options || {}, flags || {}, records.texts, records.names, now);
  const scripts = SCRIPTS.map((f) => fs.readFileSync(f, 'utf8')).join('\n');
  // Replaced by functions: a `$&` in the data is text, not a pattern.
  return fs
    .readFileSync(TEMPLATE, 'utf8')
    .replace('"SW:DATA"', () => data)
    .replace('/*SW:SCRIPT*/', () => scripts);
}

/**
 * Writes the HTML run report of `history` to `file` (atomically); returns
 * `{ path, bytes, size }` (`size`: the bytes in words, `'1.2 MiB'`).
 * `history` may be a History or the path of a history file.
 */
function writeHtmlReport(file, history, opts = {}) {
  if (typeof file !== 'string' || file.trim() === '') throw codedError('config', `invalid html: ${JSON.stringify(file)} (a file path)`);
  const h = typeof history === 'string' ? require('../api/history.js').History.load(history) : history;
  const html = htmlReport(h, opts);
  const out = path.resolve(file);
  try {
    writeAtomic(out, html);
  } catch (err) {
    throw codedError('io', `failed to write the HTML report ${out}: ${err.code || err.message}`, { cause: err });
  }
  const bytes = Buffer.byteLength(html);
  return { path: out, bytes, size: formatBytes(bytes) };
}

/** The reporter's `html` option after a run: written and said, or a failure said (never fatal to the run). */
function reportAfterRun(file, history, opts, print) {
  if (!file || !history) return;
  try {
    const w = writeHtmlReport(file, history, opts);
    print(`HTML report: ${w.path} (${w.size})`);
  } catch (err) {
    print(`the HTML report was not written: ${err.message}`);
  }
}

module.exports = { htmlReport, writeHtmlReport, reportAfterRun, readShardRecords, formatBytes };
