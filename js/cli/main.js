#!/usr/bin/env node
'use strict';
// `npx shardwright <command> [options]`. Each command is a file of js/cli/
// (`run`'s loop lives in js/run/) exporting { summary, usage, options, run },
// where `options` is a node:util parseArgs spec and `run(values,
// positionals, io)` returns the exit code (or a promise of it).
//
// Exit codes: 0 success, 1 the command ran and found a failure (failed tests,
// a coverage gap), 2 bad usage or an error before anything ran.

const { parseArgs } = require('node:util');
const native = require('../native.js');
const { usageError } = require('./flags.js');

const COMMANDS = {
  config: './config.js',
  failed: './failed.js',
  import: './import.js',
  merge: './merge.js',
  plan: './plan.js',
  report: './report.js',
  run: './run.js',
  shard: './shard.js',
  status: './status.js',
  triage: './triage.js',
};

function commands() {
  return Object.keys(COMMANDS);
}

function load(name) {
  return require(COMMANDS[name]);
}

function help(io) {
  const lines = ['Usage: shardwright <command> [options]', '', 'Commands:'];
  for (const name of commands()) lines.push(`  ${name.padEnd(8)} ${load(name).summary}`);
  lines.push('', 'Run `shardwright <command> --help` for its options.');
  io.stdout.write(`${lines.join('\n')}\n`);
}

/**
 * Turns parseArgs' own errors into ours (the flag and the value named), and
 * refuses a flag given twice that takes one value: parseArgs would keep the
 * last silently.
 */
function parse(command, argv) {
  const options = { help: { type: 'boolean', short: 'h' }, ...command.options };
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true, tokens: true });
  } catch (err) {
    throw usageError(err.message.replace(/^Unknown option '(.+?)'.*$/s, 'unknown option $1').replace(/\. To specify a positional.*$/s, ''));
  }
  const seen = new Map();
  for (const t of parsed.tokens) {
    if (t.kind !== 'option' || options[t.name]?.multiple) continue;
    const value = t.name === 'queue' && t.value !== undefined ? native.redactQueueUrl(t.value) : t.value;
    const shown = value === undefined ? t.rawName : `${t.rawName} ${JSON.stringify(value)}`;
    const first = seen.get(t.name);
    if (first !== undefined) throw usageError(`--${t.name} given twice (${first}, then ${shown}): give it once`);
    seen.set(t.name, shown);
  }
  return { values: parsed.values, positionals: parsed.positionals };
}

/** Every value given to `--queue` (`--queue URL` or `--queue=URL`), however malformed. */
function queueUrls(argv) {
  const urls = [];
  for (let i = 0; i < argv.length; i++) {
    const a = String(argv[i]);
    if (a === '--') break;
    if (a === '--queue' && i + 1 < argv.length) urls.push(String(argv[i + 1]));
    else if (a.startsWith('--queue=')) urls.push(a.slice('--queue='.length));
  }
  return urls.filter((u) => u !== '');
}

/**
 * `io` whose writes lose every credential of the given Redis URLs (the
 * password in any URL form, typed or percent-decoded): whatever a message
 * quotes, no command prints a password.
 */
function scrubbing(io, urls) {
  if (urls.length === 0) return io;
  const clean = (text) => urls.reduce((t, url) => native.__scrubQueueSecrets(t, url), text);
  const stream = (s) =>
    new Proxy(s, {
      get(target, prop) {
        if (prop === 'write') return (chunk, ...rest) => target.write(typeof chunk === 'string' ? clean(chunk) : chunk, ...rest);
        const v = Reflect.get(target, prop);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  return { ...io, stdout: stream(io.stdout), stderr: stream(io.stderr) };
}

async function main(argv = process.argv.slice(2), io = { stdout: process.stdout, stderr: process.stderr }) {
  const [name, ...rest] = argv;
  io = scrubbing(io, queueUrls(rest));
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    help(io);
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-v') {
    io.stdout.write(`${require('../../package.json').version}\n`);
    return 0;
  }
  if (!commands().includes(name)) {
    io.stderr.write(`shardwright: unknown command ${JSON.stringify(name)} (one of ${commands().join(', ')})\n`);
    return 2;
  }
  const command = load(name);
  try {
    const { values, positionals } = parse(command, rest);
    if (values.help) {
      io.stdout.write(`${command.usage}\n`);
      return 0;
    }
    return (await command.run(values, positionals, io)) ?? 0;
  } catch (err) {
    const code = err?.code ? ` [${err.code}]` : '';
    io.stderr.write(`shardwright ${name}: ${err?.message ? err.message : err}${code}\n`);
    if (process.env.SHARDWRIGHT_LOG && err?.stack) io.stderr.write(`${err.stack}\n`);
    return err && err.exitCode !== undefined ? err.exitCode : 2;
  }
}

module.exports = { main };

if (require.main === module) {
  main().then((code) => {
    process.exitCode = code;
  });
}
