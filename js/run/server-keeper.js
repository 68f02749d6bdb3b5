#!/usr/bin/env node
'use strict';
// The keeper of a machine's web servers: `node server-keeper.js <dir>`,
// started detached (a session of its own) by js/run/servers.js. It starts
// the servers of <dir>/servers.json one after the other as Playwright would
// (`sh -c <command>` in a process group of its own, `BROWSER=none`, the
// config's env; ready when the URL answers, the port accepts or `wait`
// matches), writes <dir>/keeper.json (`starting` → `ready`, or `failed`
// with the server's output and exit code), and keeps them up while a
// `shardwright run` process registered in <dir>/users/ is alive. With the
// last user gone — finished, SIGTERMed or SIGKILLed — it stops them
// (gracefulShutdown, else SIGKILL to the group, as Playwright does) and
// exits. So the servers of a machine start once, whatever number of run
// processes share them, and outlive none of them.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { available, users, writeState, tryLock, unlock } = require('./server-host.js');

const dir = process.argv[2];
const servers = JSON.parse(fs.readFileSync(path.join(dir, 'servers.json'), 'utf8'));
const started = []; // { child, server }
const env = {}; // named groups of `wait` patterns, for the tests' processes
let stopping = false;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function tailOf(text, lines = 30) {
  return String(text).trimEnd().split('\n').slice(-lines).join('\n');
}

async function start(server, i) {
  if (await available(server.readiness, server.ignoreHttpsErrors)) {
    if (server.reuseExistingServer) return { reused: true };
    const where = server.readiness.url;
    throw Object.assign(
      new Error(`${where} is already used, make sure that nothing is running on the port/url or set reuseExistingServer:true in ${server.field}`),
      { output: '' },
    );
  }
  if (!server.command) throw Object.assign(new Error(`${server.field}.command cannot be empty`), { output: '' });
  const log = fs.openSync(path.join(dir, `server-${i}.log`), 'a');
  const child = spawn('/bin/sh', ['-c', server.command], {
    cwd: server.cwd,
    env: { BROWSER: 'none', FORCE_COLOR: '1', DEBUG_COLORS: '1', ...process.env, ...server.env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push({ child, server });
  let output = '';
  const patterns = {};
  if (server.waitStdout) patterns.stdout = new RegExp(server.waitStdout.source, server.waitStdout.flags);
  if (server.waitStderr) patterns.stderr = new RegExp(server.waitStderr.source, server.waitStderr.flags);
  let matched = !patterns.stdout && !patterns.stderr;
  const seen = { stdout: '', stderr: '' };
  for (const stream of ['stdout', 'stderr']) {
    // A character split across two chunks stays whole (for the log and `wait`).
    child[stream].setEncoding('utf8');
    child[stream].on('data', (d) => {
      const text = d.toString();
      output = (output + text).slice(-64 * 1024);
      fs.writeSync(log, text);
      if (matched || !patterns[stream]) return;
      seen[stream] += text.replace(/\u001b\[[0-9;]*m/g, '');
      patterns[stream].lastIndex = 0;
      const m = patterns[stream].exec(seen[stream]);
      if (m) {
        matched = true;
        for (const [k, v] of Object.entries(m.groups || {})) env[k.toUpperCase()] = v;
      }
    });
  }
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  let exit = null;
  exited.then((e) => {
    exit = e;
  });
  const deadline = Date.now() + server.timeoutMs;
  const delays = [100, 250, 500];
  for (;;) {
    if (exit) {
      const how = exit.code ? `Exit code: ${exit.code}` : exit.signal ? `Killed by ${exit.signal}` : 'Exited early';
      throw Object.assign(new Error(`Process from ${server.field} was not able to start. ${how}`), { output, exitCode: exit.code });
    }
    const up = server.readiness.kind === 'none' || (await available(server.readiness, server.ignoreHttpsErrors));
    if (up && matched) return { reused: false };
    if (Date.now() > deadline) throw Object.assign(new Error(`Timed out waiting ${server.timeoutMs}ms from ${server.field}.`), { output });
    await sleep(delays.shift() || 1000);
  }
}

async function stopAll() {
  if (stopping) return;
  stopping = true;
  await Promise.all(
    started.reverse().map(async ({ child, server }) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      try {
        if (server.gracefulSignal) {
          process.kill(-child.pid, server.gracefulSignal);
          const t = server.gracefulTimeoutMs;
          if ((await Promise.race([gone.then(() => true), t > 0 ? sleep(t).then(() => false) : gone.then(() => true)])) === true) return;
        }
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
      await Promise.race([gone, sleep(2000)]);
    }),
  );
}

async function main() {
  process.on('SIGTERM', () => stopAll().then(() => finish()));
  process.on('SIGINT', () => {});
  writeState(dir, { pid: process.pid, state: 'starting' });
  const reused = [];
  for (const [i, server] of servers.entries()) {
    try {
      if ((await start(server, i)).reused) reused.push(server.shown);
    } catch (err) {
      writeState(dir, {
        pid: process.pid,
        state: 'failed',
        server: server.shown,
        error: err.message,
        output: tailOf(err.output || ''),
        exitCode: err.exitCode ?? null,
      });
      await stopAll();
      process.exit(0);
    }
  }
  writeState(dir, { pid: process.pid, state: 'ready', env, reused });
  // Watch the servers and the users (a run that ends stops the servers
  // itself, js/run/servers.js: this finds a killed one, or a dead server).
  for (;;) {
    await sleep(1000);
    for (const { child, server } of started) {
      if (child.exitCode !== null && !stopping) {
        writeState(dir, { pid: process.pid, state: 'died', server: server.shown, exitCode: child.exitCode });
      }
    }
    if (users(dir).length) continue;
    // Nobody left: stop, under the lock, so that no run process joins meanwhile.
    if (!tryLock(dir)) continue;
    if (users(dir).length) {
      unlock(dir);
      continue;
    }
    await stopAll();
    finish(true);
  }
}

function finish(locked) {
  try {
    fs.rmSync(path.join(dir, 'keeper.json'), { force: true });
  } finally {
    if (locked) unlock(dir);
    process.exit(0);
  }
}

main().catch((err) => {
  writeState(dir, { pid: process.pid, state: 'failed', error: `the web server keeper failed: ${err.message}`, output: '' });
  stopAll().finally(() => process.exit(1));
});
