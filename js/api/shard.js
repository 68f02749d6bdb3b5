'use strict';
// Sharding API: plan groups over shards, select one shard's tests, render
// the preview, check a sharded run's coverage. The engine is Rust
// (src/shard); groups cross the napi boundary once, as columns (`packGroups`:
// every string in one, numbers in typed arrays), which for 100,000 tests is
// several times faster than napi-rs reading each object field by field or
// JSON of them (see bench/shard.js).

const native = require('../native.js');
const { codedError, configError, show } = require('../errors.js');
const { bounded, isArray, reading } = require('./boundary.js');

const GROUP_FIELDS = ['id', 'project', 'file', 'tests', 'tags', 'durationMs', 'failedLastRun', 'skipped'];
const KNOWN = new Set(GROUP_FIELDS);
/** testCount of a group of one test keyed by its id. */
const SHORTHAND = 0xffffffff;

function planError(message) {
  return codedError('plan', `failed to plan shards: ${message}`);
}

function invalidGroup(i, group, field, value, expected) {
  const name = typeof group.id === 'string' ? `groups[${i}] (\`${group.id}\`)` : `groups[${i}]`;
  return planError(`invalid ${name}${field ? `.${field}` : ''}: ${show(value)} (${expected})`);
}

function stringList(i, group, field, list) {
  if (!Array.isArray(list)) throw invalidGroup(i, group, field, list, 'an array of strings');
  for (let k = 0; k < list.length; k++) {
    if (typeof list[k] !== 'string') throw invalidGroup(i, group, `${field}[${k}]`, list[k], 'a string');
  }
  return list;
}

/** The groups array (or its JSON text) after the type checks. */
function groupsArray(groups) {
  if (typeof groups === 'string') {
    try {
      groups = JSON.parse(groups);
    } catch (err) {
      throw planError(`groups are not valid JSON (${err.message})`);
    }
  }
  if (!Array.isArray(bounded('groups', groups))) throw configError('groups', groups, 'an array of groups, or their JSON text');
  return groups;
}

/**
 * The strings of `lists`, in order, as UTF-8, each ended by a NUL: each
 * written straight into one buffer (a UTF-16 code unit takes at most 3
 * bytes), where joining them made one more copy of every key and the
 * engine a conversion from UTF-16. A lone surrogate becomes U+FFFD.
 */
function utf8Text(lists) {
  let units = 0;
  for (const list of lists) for (let i = 0; i < list.length; i++) units += list[i].length + 1;
  const buf = Buffer.allocUnsafe(units * 3);
  let at = 0;
  for (const list of lists) {
    for (let i = 0; i < list.length; i++) {
      at += buf.write(list[i], at);
      buf[at++] = 0;
    }
  }
  return buf.subarray(0, at);
}

/**
 * The groups as columns for the engine (see `PackedGroups` in
 * src/napi/shard.rs for why): every string in one UTF-8 buffer, each ended
 * by a NUL (ids, then test keys — left out for a single-test group keyed by
 * its id — then interned projects, files and tags), numbers in typed
 * arrays. Checks each field's type on the way and names the group in
 * its errors; the engine judges the values (duplicates, negative or NaN
 * durations).
 */
function packGroups(groups) {
  const n = groups.length;
  const ids = new Array(n);
  const testParts = [];
  const testCount = new Uint32Array(n);
  const project = new Uint32Array(n);
  const file = new Uint32Array(n);
  const duration = new Float64Array(n);
  const known = new Uint8Array(n);
  const failed = new Uint8Array(n);
  const skipped = new Uint32Array(n);
  const tagCount = new Uint32Array(n);
  const tags = [];
  const strings = [''];
  const interned = new Map([['', 0]]);
  const intern = (text) => {
    let at = interned.get(text);
    if (at === undefined) {
      at = strings.length;
      strings.push(text);
      interned.set(text, at);
    }
    return at;
  };
  for (let i = 0; i < n; i++) {
    const g = groups[i];
    if (g === null || typeof g !== 'object' || Array.isArray(g)) throw planError(`invalid groups[${i}]: ${show(g)} (an object)`);
    for (const key in g) {
      if (!KNOWN.has(key)) throw invalidGroup(i, g, key, g[key], `not a group field (one of ${GROUP_FIELDS.join(', ')})`);
    }
    const id = g.id;
    if (typeof id !== 'string') throw invalidGroup(i, g, 'id', id, 'a string');
    ids[i] = id;
    const p = g.project;
    if (p === undefined || p === null) project[i] = 0;
    else if (typeof p === 'string') project[i] = intern(p);
    else throw invalidGroup(i, g, 'project', p, 'a string');
    const f = g.file;
    if (f === undefined || f === null) file[i] = 0;
    else if (typeof f === 'string') file[i] = intern(f);
    else throw invalidGroup(i, g, 'file', f, 'a string');
    if (g.tests === undefined || g.tests === null) testCount[i] = SHORTHAND;
    else {
      const list = stringList(i, g, 'tests', g.tests);
      if (!list.length) throw invalidGroup(i, g, 'tests', list, 'at least one test key; leave tests out for one test keyed by the id');
      testCount[i] = list.length;
      for (const t of list) testParts.push(t);
    }
    if (g.tags !== undefined && g.tags !== null) {
      const list = stringList(i, g, 'tags', g.tags);
      tagCount[i] = list.length;
      for (const t of list) tags.push(intern(t));
    }
    const d = g.durationMs;
    if (typeof d === 'number') {
      duration[i] = d;
      known[i] = 1;
    } else if (d !== undefined && d !== null) throw invalidGroup(i, g, 'durationMs', d, 'a number ≥ 0, or undefined when unknown');
    const failedLastRun = g.failedLastRun;
    if (failedLastRun === true) failed[i] = 1;
    else if (failedLastRun !== undefined && failedLastRun !== null && failedLastRun !== false) {
      throw invalidGroup(i, g, 'failedLastRun', failedLastRun, 'true or false');
    }
    const k = g.skipped;
    if (Number.isInteger(k) && k >= 0 && k <= 0xffffffff) skipped[i] = k;
    else if (k !== undefined && k !== null) throw invalidGroup(i, g, 'skipped', k, 'a whole number ≥ 0');
  }
  return {
    text: utf8Text([ids, testParts, strings]),
    stringCount: strings.length,
    testCount,
    project,
    file,
    duration,
    known,
    failed,
    skipped,
    tagCount,
    tags: Uint32Array.from(tags),
  };
}

/**
 * A NUL ends each string of the packed text: a string holding one makes the
 * engine find more strings than counted (an internal error). Names the
 * group instead, when that is why.
 */
function nulError(groups) {
  const bad = (v) => typeof v === 'string' && v.includes('\0');
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i];
    for (const field of ['id', 'project', 'file']) if (bad(g[field])) throw invalidGroup(i, g, field, g[field], 'a string without NUL characters');
    for (const field of ['tests', 'tags']) {
      const list = g[field] || [];
      for (let k = 0; k < list.length; k++) if (bad(list[k])) throw invalidGroup(i, g, `${field}[${k}]`, list[k], 'a string without NUL characters');
    }
  }
  return null;
}

function optionsObject(options) {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object' || Array.isArray(options)) throw configError('options', options, 'an object');
  // As for durations: NaN and Infinity would not survive the crossing as
  // numbers; their text does, and the engine names them.
  if (Array.isArray(bounded('weights', options.weights, 10_000)) && options.weights.some((w) => typeof w === 'number' && !Number.isFinite(w))) {
    return { ...options, weights: options.weights.map((w) => (typeof w === 'number' && !Number.isFinite(w) ? String(w) : w)) };
  }
  return options;
}

/** The plain plan object: shard group ids from the caller's own array (of groups or ids). */
function toPlan(native, groups) {
  native.shards = native.shards.map(({ index, groupIndexes, ...rest }) => {
    const ids = new Array(groupIndexes.length);
    for (let k = 0; k < ids.length; k++) {
      const g = groups[groupIndexes[k]];
      ids[k] = typeof g === 'string' ? g : g.id;
    }
    const shard = { index, groups: ids, ...rest };
    // Positions in the planned array, for callers that hold richer group
    // objects (the reporter); not part of the JSON form.
    Object.defineProperty(shard, 'groupIndexes', { value: groupIndexes, enumerable: false });
    return shard;
  });
  return native;
}

/**
 * Plans `groups` over `options.shards` shards. `groups` is an array of
 * `{ id, tests?, project?, file?, tags?, durationMs?, failedLastRun?,
 * skipped? }` (or its JSON text). Throws ERR_SHARDWRIGHT_CONFIG for bad
 * options, ERR_SHARDWRIGHT_PLAN for groups no plan can come from.
 */
function planShards(groups, options) {
  const list = reading('groups', () => groupsArray(groups));
  const opts = reading('options', () => optionsObject(options));
  const packed = reading('groups', () => packGroups(list));
  let plan;
  try {
    plan = native.__planShards(packed, opts);
  } catch (err) {
    throw (err.code === 'ERR_SHARDWRIGHT_INTERNAL' && nulError(list)) || err;
  }
  return toPlan(plan, list);
}

/** The test keys of a group (`tests`, or its id for a single-test group). */
function groupTests(group) {
  return group.tests === undefined || group.tests === null ? [group.id] : group.tests;
}

/**
 * Plans, then returns shard `options.index`'s share:
 * `{ index, tests: string[] (run order), groups: string[], plan }`.
 */
function selectShard(groups, options) {
  const opts = reading('options', () => optionsObject(options));
  const index = native.__shardIndex(opts);
  const list = reading('groups', () => groupsArray(groups));
  const plan = planShards(list, opts);
  const shard = plan.shards[index - 1];
  const tests = [];
  for (const i of shard.groupIndexes) for (const t of groupTests(list[i])) tests.push(t);
  return { index, tests, groups: shard.groups, plan };
}

/** The plan as a readable table: per shard groups, tests, expected time, share; then the summary. */
function formatShardPlan(plan) {
  if (plan === null || typeof plan !== 'object' || !isArray(reading('plan', () => plan.shards))) {
    throw configError('plan', plan, 'a plan from planShards()');
  }
  // Only the numbers cross, not every group id.
  const light = reading('plan', () => ({
    ...plan,
    shards: bounded('plan.shards', plan.shards, 10_000).map(({ groups, ...rest }) => ({ ...rest, groupCount: Array.isArray(groups) ? groups.length : 0 })),
  }));
  return native.__formatShardPlan(light);
}

function checkShardCoverage(expected, records, shards) {
  return reading('records', () => checkedCoverage(expected, records, shards));
}

function checkedCoverage(expected, records, shards) {
  if (!Array.isArray(bounded('expected', expected))) throw configError('expected', expected, 'an array of test keys');
  expected.forEach((t, i) => {
    if (typeof t !== 'string') throw configError(`expected[${i}]`, t, 'a test key (string)');
  });
  if (!Array.isArray(bounded('records', records))) throw configError('records', records, 'an array of { index, fingerprint, tests }');
  records.forEach((r, i) => {
    if (r === null || typeof r !== 'object') throw configError(`records[${i}]`, r, 'an object { index, fingerprint, tests }');
    if (!Number.isInteger(r.index) || r.index < 1) throw configError(`records[${i}].index`, r.index, 'a whole number ≥ 1');
    if (typeof r.fingerprint !== 'string') throw configError(`records[${i}].fingerprint`, r.fingerprint, 'a string');
    if (!Array.isArray(bounded(`records[${i}].tests`, r.tests)) || r.tests.some((t) => typeof t !== 'string')) {
      throw configError(`records[${i}].tests`, r.tests, 'an array of test keys');
    }
  });
  return native.checkShardCoverage(expected, records, shards);
}

/** The strategy names, in the order the docs list them. */
const SHARD_STRATEGIES = Object.freeze(native.__shardStrategies());

module.exports = {
  planShards,
  selectShard,
  formatShardPlan,
  groupTests,
  checkShardCoverage,
  SHARD_STRATEGIES,
  packGroups,
  toPlan,
};
