'use strict';
// Shared by the history commands: numeric flags checked in JS so the error
// names the flag as typed (`--window`), and usage errors with exit code 2.

const { usageError } = require('./cli.js');

/** A number flag: undefined when absent; a usage error naming `--name` when bad. */
function numberFlag(values, name, { min = -Infinity, max = Infinity, integer = false } = {}) {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  const whole = integer ? 'a whole number' : 'a number';
  const range = Number.isFinite(max) ? ` from ${min} to ${max}` : Number.isFinite(min) ? ` ≥ ${min}` : '';
  if (raw.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
    throw usageError(`invalid --${name}: ${JSON.stringify(raw)} (${whole}${range})`);
  }
  return n;
}

function noPositionals(positionals, command) {
  if (positionals.length) throw usageError(`unexpected argument ${JSON.stringify(positionals[0])} (see \`shardwright ${command} --help\`)`);
}

module.exports = { numberFlag, noPositionals };
