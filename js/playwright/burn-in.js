'use strict';
// Burn-in of new and changed tests (`burnIn: N`, SHARDWRIGHT_BURN_IN,
// `shardwright run --burn-in N`): the spec files changed against a base ref
// run N more times, before they can flake on someone else's branch.
//
// The mechanism is Playwright's own: withShardwright() (and `run`'s config
// wrapper) adds, for every project that is not only a dependency, a copy
// named `<project> burn-in` with `repeatEach: N`, `retries: 0`, and a
// `testIgnore` that ignores every file but the changed ones (the project's
// own testMatch still decides what is a test file, so a changed helper or
// README is not loaded). The copy's `metadata.shardwrightBurnIn` marks it:
// the reporter records its attempts under the original project (repeats of
// one run, so the history learns a flaky-at-birth test is flaky) and fails
// the run naming every test that failed any repeat.

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { codedError, configError } = require('../errors.js');

const MARK = 'shardwrightBurnIn';
// The changed files, computed once by the runner process: its workers (and
// `run`'s batches) inherit them, so every process sees the same projects.
const FILES_ENV = 'SHARDWRIGHT_BURN_IN_FILES';

function git(args, cwd) {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
}

const gitReason = (err) =>
  String(err.stderr || err.message)
    .trim()
    .split('\n')[0];

/** The base ref: `base`, else origin/main, else main. */
function resolveBase(base, cwd) {
  for (const ref of base ? [base] : ['origin/main', 'main']) {
    try {
      git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], cwd);
      return ref;
    } catch {
      // try the next
    }
  }
  if (base)
    throw configError(
      'burnInBase',
      base,
      'a branch, tag or commit of this repository (`git rev-parse` does not know it; fetch it first, e.g. `git fetch origin main`)',
    );
  throw configError('burnInBase', undefined, 'none given, and neither origin/main nor main exists here: set burnInBase or SHARDWRIGHT_BURN_IN_BASE');
}

/**
 * `{ base, files }`: the files changed against `base` — committed since the
 * merge base (`git diff <base>...HEAD`), modified or staged, and untracked
 * (not ignored) — that exist, as absolute paths.
 */
function changedFiles(base, cwd = process.cwd()) {
  let top;
  try {
    top = git(['rev-parse', '--show-toplevel'], cwd).trim();
  } catch (err) {
    throw codedError('config', `burnIn needs a git repository: ${cwd} is not in one (${gitReason(err)})`);
  }
  const ref = resolveBase(base, top);
  const names = (args) => git(args, top).split('\0').filter(Boolean);
  let committed;
  try {
    committed = names(['diff', '--name-only', '-z', `${ref}...HEAD`]);
  } catch (err) {
    throw configError('burnInBase', ref, `a ref with a merge base with HEAD (${gitReason(err)})`);
  }
  let modified = [];
  try {
    modified = names(['diff', '--name-only', '-z', 'HEAD']);
  } catch {
    // No commit yet: nothing is modified against it.
  }
  const untracked = names(['ls-files', '--others', '--exclude-standard', '-z']);
  const files = new Set();
  // Playwright walks testDir as the config names it: when the repository is
  // reached through a symlink, give the path that way too.
  const real = fs.realpathSync(cwd);
  for (const name of new Set([...committed, ...modified, ...untracked])) {
    const file = path.join(top, name);
    if (!fs.existsSync(file)) continue;
    files.add(file);
    if (real !== cwd && file.startsWith(`${real}${path.sep}`)) files.add(path.join(cwd, path.relative(real, file)));
  }
  return { base: ref, files: [...files].sort() };
}

const escapeRegExp = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** The config with a burn-in copy of each project (none when no file changed). */
function withBurnIn(config, repeats, files) {
  const projects = Array.isArray(config.projects) && config.projects.length ? config.projects : [{}];
  if (projects.some((p) => p?.metadata?.[MARK]) || files.length === 0) return config;
  const onlyFor = new Set(projects.flatMap((p) => [...(p.dependencies || []), ...(p.teardown ? [p.teardown] : [])]));
  const others = new RegExp(`^(?!(?:${files.map(escapeRegExp).join('|')})$)`);
  const burnIn = projects
    .filter((p) => !onlyFor.has(p.name))
    .map((p) => {
      const ignore = p.testIgnore ?? config.testIgnore;
      const copy = {
        ...p,
        name: p.name ? `${p.name} burn-in` : 'burn-in',
        repeatEach: repeats,
        retries: 0,
        testIgnore: [...(ignore === undefined ? [] : Array.isArray(ignore) ? ignore : [ignore]), others],
        metadata: { ...(p.metadata || {}), [MARK]: { project: p.name || '', repeats } },
      };
      delete copy.teardown;
      return copy;
    });
  return { ...config, projects: [...projects, ...burnIn] };
}

/**
 * withShardwright()'s part: the burn-in projects when `values.burnIn` > 0.
 * Says what it does once, in the runner process (not in its workers).
 */
function applyBurnIn(config, values, env = process.env) {
  const repeats = values.burnIn;
  if (!repeats) return config;
  let found;
  if (env[FILES_ENV]) found = JSON.parse(env[FILES_ENV]);
  else {
    found = changedFiles(values.burnInBase ?? undefined);
    env[FILES_ENV] = JSON.stringify(found);
    const what = found.files.length
      ? `${found.files.length} changed file(s): ${found.files.map((f) => path.relative(process.cwd(), f)).join(', ')}`
      : 'no changed file';
    // stderr: stdout may be a reporter's output (`--reporter=json`).
    process.stderr.write(`shardwright: burn-in ×${repeats} against ${found.base}: ${what}\n`);
  }
  return withBurnIn(config, repeats, found.files);
}

/** The reporter's tally of burn-in repeats: a failure in any is flaky-at-birth. */
class BurnInTally {
  constructor() {
    this.tests = new Map();
    this.missing = null;
  }

  /**
   * `burnIn` > 0 with no burn-in projects: the config was not wrapped
   * (withShardwright, or `shardwright run`'s wrapper, which compute the
   * changed files in this process), so no test can be repeated. Never a
   * silent pass: said at the start, and the run fails at its end.
   */
  expect(repeats, print, env = process.env) {
    if (!repeats || env[FILES_ENV] !== undefined) return;
    this.missing = `burnIn is ${repeats} but no test is repeated: the Playwright config is not wrapped with withShardwright() (from 'shardwright'), which adds the burn-in projects — wrap it, or run \`npx shardwright run --burn-in ${repeats}\`; this run fails`;
    print(this.missing);
  }

  /** The original project's name when `project` is a burn-in copy, else undefined. */
  static projectOf(project) {
    const mark = project?.metadata?.[MARK];
    return mark ? mark.project : undefined;
  }

  add(key, result, expectedStatus) {
    const t = this.tests.get(key) || { runs: 0, failed: 0, error: null };
    if (result.status === 'skipped') return;
    t.runs++;
    if (result.status !== expectedStatus) {
      t.failed++;
      t.error ??= (result.error?.message || '').split('\n').find((l) => l.trim()) || result.status;
    }
    this.tests.set(key, t);
  }

  /** `{ failed, lines }`: lines to print at the end of the run. */
  summary() {
    if (this.missing) return { failed: 1, lines: [this.missing] };
    const bad = [...this.tests].filter(([, t]) => t.failed > 0);
    if (this.tests.size === 0) return { failed: 0, lines: [] };
    if (!bad.length) return { failed: 0, lines: [`burn-in: ${this.tests.size} new or changed test(s) passed every repeat`] };
    const lines = [`burn-in: ${bad.length} of ${this.tests.size} new or changed test(s) failed a repeat — flaky at birth:`];
    for (const [key, t] of bad) {
      const what = t.failed === t.runs ? `failed all ${t.runs} repeats (broken, not flaky)` : `failed ${t.failed} of ${t.runs} repeats`;
      lines.push(`  - ${key}: ${what}: ${t.error}`);
    }
    return { failed: bad.length, lines };
  }
}

module.exports = { changedFiles, withBurnIn, applyBurnIn, BurnInTally, MARK, FILES_ENV };
