'use strict';
// Loaded by Playwright, through the wrapper config `shardwright run` writes
// beside yours (.shardwright-run-<machine>.config.ts: `export default
// adapt(yourConfig, configDir)`), in every process of its Playwright runs.
//
// - SHARDWRIGHT_RUN_CONFIG_OUT=<file> (the listing): writes down what `run`
//   handles itself — `webServer` and `reporter`, RegExps as
//   `{ $regexp, flags }`, reporter modules resolved from the config's
//   folder — for the engine (src/playwright/webserver.rs) to read.
// - SHARDWRIGHT_RUN_SERVERS (the batches): every web server gets
//   `reuseExistingServer: true`, so Playwright finds the servers `run`
//   started for the machine instead of starting its own on the same port.
//   `wait:<dir>` (a batch that starts while `run` is still starting them):
//   its command becomes js/run/wait-servers.js, which waits for them —
//   Playwright then waits for the URL as it would for its own server.
// - SHARDWRIGHT_RUN_REPORTER=`{ keep, add }` (the batches): the config's
//   reporters at the indexes `keep` (those that write reports, as the engine
//   chooses them: `"auto"`), options and all, then `add` (run's own batch
//   reporter, and blob when batches are merged at the end).
// - SHARDWRIGHT_RUN_OUTPUT=<sub> (the batches): artifacts go to <sub> under
//   the config's outputDir (and each project's), so no two batches or
//   machines write — or, as Playwright empties it first, delete — the same.
//
// - SHARDWRIGHT_BURN_IN=N (`run --burn-in N`): the burn-in projects of the
//   changed spec files (js/playwright/burn-in.js), unless withShardwright
//   added them already.
//
// Anything else of the config is returned as it is.

const fs = require('node:fs');
const path = require('node:path');

function plain(value) {
  return JSON.parse(
    JSON.stringify(value === undefined ? null : value, (_key, v) => {
      if (v instanceof RegExp) return { $regexp: v.source, flags: v.flags };
      if (typeof v === 'function' || typeof v === 'symbol') return undefined;
      return v;
    }),
  );
}

/** Node's resolution of each reporter module, from the config's folder. */
function resolvedReporters(reporter, configDir) {
  const names = typeof reporter === 'string' ? [reporter] : Array.isArray(reporter) ? reporter.map((r) => (Array.isArray(r) ? r[0] : r)) : [];
  const out = {};
  for (const name of names) {
    if (typeof name !== 'string') continue;
    try {
      out[name] = require.resolve(name, { paths: [configDir] });
    } catch {
      // A built-in reporter, or one Playwright resolves itself.
    }
  }
  return out;
}

function writeDown(config, configDir, file) {
  const text = JSON.stringify({
    configDir,
    webServer: plain(config.webServer),
    reporter: plain(config.reporter),
    resolved: resolvedReporters(config.reporter, configDir),
    outputDir: typeof config.outputDir === 'string' ? config.outputDir : null,
    projectOutputDirs: Array.isArray(config.projects) ? config.projects.map((p) => (p && typeof p.outputDir === 'string' ? p.outputDir : null)) : [],
  });
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

const WAITER = path.join(__dirname, 'wait-servers.js');

function reuse(server, i, mode) {
  if (!server || typeof server !== 'object') return server;
  const out = { ...server, reuseExistingServer: true };
  if (mode.startsWith('wait:')) out.command = [process.execPath, WAITER, mode.slice(5), String(i)].map((a) => JSON.stringify(a)).join(' ');
  return out;
}

function reporters(config, configDir, spec) {
  const raw = config.reporter;
  const list = typeof raw === 'string' ? [[raw]] : Array.isArray(raw) ? raw.map((r) => (typeof r === 'string' ? [r] : r)) : [];
  let keep = spec.keep || [];
  if (keep === 'auto') {
    const dump = { configDir, reporter: plain(raw), resolved: resolvedReporters(raw, configDir) };
    keep = require('../native.js').__runConfig(JSON.stringify(dump)).keep;
  }
  return [...keep.map((i) => list[i]).filter(Boolean), ...(spec.add || [])];
}

function adapt(config, configDir) {
  if (config && typeof config.then === 'function') return config.then((c) => adapt(c, configDir));
  if (!config || typeof config !== 'object') return config;
  const out = process.env.SHARDWRIGHT_RUN_CONFIG_OUT;
  if (out) writeDown(config, configDir, out);
  let adapted = config;
  const mode = process.env.SHARDWRIGHT_RUN_SERVERS;
  if (mode && config.webServer) {
    const ws = config.webServer;
    adapted = { ...adapted, webServer: Array.isArray(ws) ? ws.map((s, i) => reuse(s, i, mode)) : reuse(ws, 0, mode) };
  }
  const sub = process.env.SHARDWRIGHT_RUN_OUTPUT;
  if (sub) {
    const under = (dir) => path.join(dir || 'test-results', sub);
    adapted = { ...adapted, outputDir: under(config.outputDir) };
    if (Array.isArray(config.projects)) adapted.projects = config.projects.map((p) => (p?.outputDir ? { ...p, outputDir: under(p.outputDir) } : p));
  }
  if (process.env.SHARDWRIGHT_BURN_IN) {
    const { values } = require('../api/config.js').resolveConfig({});
    adapted = require('../playwright/burn-in.js').applyBurnIn(adapted, values);
  }
  if (process.env.SHARDWRIGHT_RUN_REPORTER) {
    adapted = { ...adapted, reporter: reporters(config, configDir, JSON.parse(process.env.SHARDWRIGHT_RUN_REPORTER)) };
  }
  return adapted;
}

module.exports = adapt;
module.exports.default = adapt;
