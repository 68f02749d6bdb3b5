'use strict';
// What the `shardwright run` processes of one machine and the keeper of
// their web servers (js/run/server-keeper.js) share: a folder per set of
// servers under the machine's temp dir — a lock (an atomic mkdir naming its
// holder), the keeper's state (keeper.json), one file per run process using
// the servers (users/<pid>) — and how a server is known to be up.

const fs = require('node:fs');
const http = require('node:http');
const https = require('node:https');
const net = require('node:net');
const path = require('node:path');

function alive(pid) {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return err.code === 'EPERM';
  }
  try {
    // A zombie (exited, not reaped) is gone for our purposes.
    return !/^\d+ \(.*\) Z /s.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

function writeState(dir, state) {
  const file = path.join(dir, 'keeper.json');
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(state));
  fs.renameSync(tmp, file);
}

const readState = (dir) => readJson(path.join(dir, 'keeper.json'));

/** The live users' pids; files of dead ones are removed. */
function users(dir) {
  const udir = path.join(dir, 'users');
  let names = [];
  try {
    names = fs.readdirSync(udir);
  } catch {
    return [];
  }
  return names.map(Number).filter((pid) => {
    if (alive(pid)) return true;
    fs.rmSync(path.join(udir, String(pid)), { force: true });
    return false;
  });
}

function addUser(dir, pid = process.pid) {
  fs.mkdirSync(path.join(dir, 'users'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'users', String(pid)), '');
}

function removeUser(dir, pid = process.pid) {
  fs.rmSync(path.join(dir, 'users', String(pid)), { force: true });
}

/** Takes the lock if it is free (or its holder is dead). */
function tryLock(dir) {
  const lock = path.join(dir, 'lock');
  try {
    fs.mkdirSync(lock);
  } catch (err) {
    if (err.code !== 'EEXIST') throw err;
    const holder = Number(readJson(path.join(lock, 'holder.json'))?.pid);
    // A holder that died, or one that has not written its name yet (give it a moment).
    const stat = fs.statSync(lock, { throwIfNoEntry: false });
    const young = stat && Date.now() - stat.mtimeMs < 2000;
    if (holder ? alive(holder) : young) return false;
    fs.rmSync(lock, { recursive: true, force: true });
    return tryLock(dir);
  }
  fs.writeFileSync(path.join(lock, 'holder.json'), JSON.stringify({ pid: process.pid }));
  return true;
}

function unlock(dir) {
  fs.rmSync(path.join(dir, 'lock'), { recursive: true, force: true });
}

async function lock(dir, timeoutMs) {
  const until = Date.now() + timeoutMs;
  while (!tryLock(dir)) {
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

function httpStatus(url, ignoreHttpsErrors) {
  return new Promise((resolve) => {
    let u;
    try {
      u = new URL(url);
    } catch {
      return resolve(0);
    }
    const lib = u.protocol === 'https:' ? https : http;
    const req = lib.get(u, { headers: { Accept: '*/*' }, rejectUnauthorized: !ignoreHttpsErrors, timeout: 3000 }, (res) => {
      res.resume();
      resolve(res.statusCode || 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

function portUsed(port, host) {
  return new Promise((resolve) => {
    const s = net.connect(port, host);
    s.setTimeout(2000, () => {
      s.destroy();
      resolve(false);
    });
    s.on('connect', () => {
      s.end();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

/** Whether a server answers, as Playwright checks it. */
async function available(readiness, ignoreHttpsErrors) {
  if (readiness.kind === 'port') {
    const [v4, v6] = await Promise.all([portUsed(readiness.port, '127.0.0.1'), portUsed(readiness.port, '::1')]);
    return v4 || v6;
  }
  if (readiness.kind !== 'url') return false;
  let status = await httpStatus(readiness.url, ignoreHttpsErrors);
  const u = new URL(readiness.url);
  if (status === 404 && u.pathname === '/') {
    u.pathname = '/index.html';
    status = await httpStatus(u.toString(), ignoreHttpsErrors);
  }
  return status >= 200 && status < 404;
}

/** Live processes whose command line holds every one of `parts` (Linux: /proc). */
function processesWith(parts) {
  let entries = [];
  try {
    entries = fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
  const out = [];
  for (const e of entries) {
    const pid = Number(e);
    if (pid === process.pid) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${e}/cmdline`, 'utf8');
      if (parts.every((p) => cmdline.includes(p)) && alive(pid)) out.push(pid);
    } catch {}
  }
  return out;
}

/**
 * SIGKILLs the processes whose command line holds every one of `parts` (and
 * the process groups they lead), and waits up to `timeoutMs` for them to be
 * gone. Resolves the pids still alive (none, normally).
 */
async function reap(parts, timeoutMs = 3000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const pids = processesWith(parts);
    if (!pids.length || Date.now() > until) return pids;
    for (const pid of pids) {
      for (const target of [-pid, pid]) {
        try {
          process.kill(target, 'SIGKILL');
        } catch {}
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

module.exports = { alive, processesWith, reap, readJson, writeState, readState, users, addUser, removeUser, tryLock, unlock, lock, available };
