'use strict';
// What the reporter hands shardwright/test's retry decisions, and what it
// takes back from them:
// - the flaky keys: the tests with flaky history as judged when the run
//   begins, in a temporary file the workers find through
//   SHARDWRIGHT_FLAKY_KEYS (Playwright starts them after onBegin, so they
//   inherit it). Without a history there is nothing to judge by: every
//   retry runs;
// - the user's `retryable` / `permanent` patterns (the projects' `use`),
//   so that the history classifies the run's errors as the workers did.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

/** Writes the flaky keys of `history`; returns a function that removes them (or null). */
function writeFlakyKeys(history, settings, print) {
  if (!history) return null;
  let dir;
  try {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shardwright-retry-'));
    const file = path.join(dir, 'flaky-keys.json');
    history._store.writeFlakyKeysSettings(file, settings);
    const previous = process.env.SHARDWRIGHT_FLAKY_KEYS;
    process.env.SHARDWRIGHT_FLAKY_KEYS = file;
    return () => {
      if (previous === undefined) delete process.env.SHARDWRIGHT_FLAKY_KEYS;
      else process.env.SHARDWRIGHT_FLAKY_KEYS = previous;
      fs.rmSync(dir, { recursive: true, force: true });
    };
  } catch (err) {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    print(`cannot write the flaky keys for retry decisions (${err.message}): every retry runs`);
    return null;
  }
}

/** `{ retryable, permanent }` from the config's projects' `use` (undefined when none). */
function classifyOptions(config) {
  const out = { retryable: [], permanent: [] };
  for (const project of config?.projects || []) {
    for (const kind of ['retryable', 'permanent']) {
      const list = project?.use?.[kind];
      if (Array.isArray(list)) for (const p of list) if (!out[kind].some((q) => String(q) === String(p))) out[kind].push(p);
    }
  }
  return out.retryable.length || out.permanent.length ? out : undefined;
}

module.exports = { writeFlakyKeys, classifyOptions };
