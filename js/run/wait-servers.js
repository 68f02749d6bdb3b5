#!/usr/bin/env node
'use strict';
// `node wait-servers.js <private dir> <index>`: the command a batch's
// Playwright runs for web server <index> when it starts while `shardwright
// run` is still starting the machine's servers (js/run/wrap-config.js puts
// it in place of yours). It waits for them, then prints server <index>'s
// output (so a `wait` pattern of the config matches, as it would) and stays
// up until Playwright stops it — or dies: Playwright leaves its web server
// processes behind when it is killed, this one leaves with it (or with the
// run process; and the run process kills any left when it ends). Playwright
// meanwhile waits for the URL, as for its own server. A server that could
// not start makes it exit 1 with that server's error and output, which
// Playwright reports.

const fs = require('node:fs');
const path = require('node:path');

const { alive } = require('./server-host.js');

const [dir, index] = process.argv.slice(2);

/** Playwright's runner: the parent of the shell Playwright started this in. */
function runnerPid() {
  try {
    const stat = fs.readFileSync(`/proc/${process.ppid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return process.ppid;
  }
}
const runner = runnerPid();
// The `shardwright run` process whose batch this is: its folder ends in its pid.
const run = Number(/-(\d+)$/.exec(path.basename(dir))?.[1]);
const gone = () => runner <= 1 || !alive(runner) || (run > 0 && !alive(run));
if (gone()) process.exit(0);
// Once a second: it lives as long as the batch, beside the tests' CPU.
setInterval(() => {
  if (gone()) process.exit(0);
}, 1000);
const read = (file) => {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
};

function fail(state) {
  process.stderr.write(`shardwright run: the web server did not start: ${state.error || 'unknown error'}\n${state.output || ''}\n`);
  process.exit(1);
}

const timer = setInterval(() => {
  const link = read(path.join(dir, 'servers.link.json'));
  if (!link) return;
  if (link.failed) fail(link);
  const state = read(path.join(link.dir, 'keeper.json'));
  if (!state || state.state === 'starting') return;
  if (state.state !== 'ready') fail(state);
  clearInterval(timer);
  try {
    process.stdout.write(fs.readFileSync(path.join(link.dir, `server-${index}.log`)));
  } catch {}
  // Up until Playwright stops it with the batch (or dies: the check above).
}, 50);
