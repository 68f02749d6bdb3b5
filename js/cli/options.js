'use strict';
// The options the CLI works with are the reporter's: the options given to
// `shardwright/reporter` (or withShardwright) in the Playwright config,
// then SHARDWRIGHT_* on top, then the command's own flags — so `report`,
// `config`, `plan`, `shard` and `merge` judge, plan and write as the end of
// a run does. The config is loaded with Playwright's own loader (it
// transpiles TypeScript), from the project's own Playwright.

const fs = require('node:fs');
const path = require('node:path');
const { codedError } = require('../errors.js');
const { resolveConfig, splitOptions } = require('../api/config.js');

const CONFIG_NAMES = [
  'playwright.config.ts',
  'playwright.config.js',
  'playwright.config.mts',
  'playwright.config.mjs',
  'playwright.config.cts',
  'playwright.config.cjs',
];
const OURS = path.resolve(__dirname, '..', 'playwright', 'reporter.js');

/** The Playwright config file: `--config`, else the default names in `cwd`; null when none. */
function findConfig(configFlag, cwd = process.cwd()) {
  if (configFlag !== undefined) {
    const file = path.resolve(cwd, configFlag);
    if (!fs.existsSync(file)) throw codedError('config', `invalid --config: ${JSON.stringify(configFlag)} (no such file)`);
    return fs.statSync(file).isDirectory() ? findConfig(undefined, file) : file;
  }
  const found = CONFIG_NAMES.map((n) => path.join(cwd, n)).find((f) => fs.existsSync(f));
  return found ?? null;
}

function isOurs(name) {
  if (typeof name !== 'string') return false;
  if (name === 'shardwright/reporter') return true;
  const norm = name.replace(/\\/g, '/');
  return path.resolve(name) === OURS || /(^|\/)shardwright\/js\/playwright\/reporter\.js$/.test(norm);
}

/**
 * `{ options, source, rootDir }`: the shardwright reporter's options from
 * the Playwright config (callbacks and Playwright's own keys left out),
 * where they came from (for the output), and the config's rootDir (what
 * test keys' files are relative to) when it was read. `{}` options when
 * there is no config or it has no shardwright reporter.
 */
async function reporterOptions(configFlag, cwd = process.cwd()) {
  const file = findConfig(configFlag, cwd);
  if (!file) return { options: {}, source: null };
  let common;
  try {
    common = require(require.resolve('playwright/lib/common', { paths: [path.dirname(file)] }));
  } catch {
    return { options: {}, source: `${path.basename(file)} not read (no @playwright/test installed beside it)` };
  }
  let full;
  try {
    full = await common.configLoader.loadConfigFromFile(file);
  } catch (err) {
    throw codedError('config', `failed to load ${file}: ${err.message}`);
  }
  const rootDir = full.config.rootDir;
  const entry = (full.config.reporter || []).find(([name]) => isOurs(name));
  if (!entry) return { options: {}, source: `${path.basename(file)} (no shardwright reporter in it)`, rootDir };
  const { configDir, ...given } = entry[1] || {};
  return { options: splitOptions(given).settings, source: `the shardwright reporter in ${path.relative(cwd, file) || file}`, rootDir };
}

/**
 * The effective settings for a command: the config's reporter options,
 * SHARDWRIGHT_* on top, then `flags` (the command's own, by option name).
 * `{ values, options, flags, source, rootDir }`: `options` and `flags` are
 * what the engine's settings-based calls take (`analyzeWith`).
 */
async function effectiveSettings(configFlag, flags = {}, cwd = process.cwd()) {
  const { options, source, rootDir } = await reporterOptions(configFlag, cwd);
  const given = Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined));
  const values = { ...resolveConfig(options).values, ...given };
  // Checks the flags' values as settings (the engine names the flag's setting).
  resolveConfig({ ...options, ...given });
  return { values, options, flags: given, source, rootDir };
}

module.exports = { findConfig, reporterOptions, effectiveSettings };
