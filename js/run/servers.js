'use strict';
// The web servers of a `shardwright run` machine: started once, before the
// first batch, by a keeper process (js/run/server-keeper.js) that every run
// process of this machine with the same servers shares — several machine
// processes on one host (queue mode, CI runners sharing a workspace) find
// one server on a fixed port instead of each starting its own. The batches
// run with `reuseExistingServer` on (js/run/wrap-config.js). A server that
// cannot start stops the run before any test, with its output and exit
// code; the last run process to leave (or die) takes the servers down.

const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { codedError } = require('../errors.js');
const host = require('./server-host.js');

const KEEPER = path.join(__dirname, 'server-keeper.js');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function hostDir(configDir, servers) {
  const key = crypto
    .createHash('sha1')
    .update(JSON.stringify([configDir, servers]))
    .digest('hex')
    .slice(0, 16);
  const uid = typeof process.getuid === 'function' ? process.getuid() : 'user';
  return path.join(os.tmpdir(), `shardwright-servers-${uid}`, key);
}

async function waitForKeeper(dir, pid, timeoutMs) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const s = host.readState(dir);
    if (s && s.pid === pid && s.state !== 'starting') return s;
    if (!host.alive(pid)) return s && s.pid === pid ? s : { state: 'failed', error: 'the web server keeper exited before the servers were up', output: '' };
    if (Date.now() > until) return { state: 'failed', error: `no answer from the web server keeper in ${Math.round(timeoutMs / 1000)} s`, output: '' };
    await sleep(100);
  }
}

function failure(state) {
  const out = state.output
    ? `\n  its output:\n    ${state.output
        .replace(/\u001b\[[0-9;]*m/g, '')
        .split('\n')
        .join('\n    ')}`
    : '';
  const code = state.exitCode !== null && state.exitCode !== undefined ? ` (exit code ${state.exitCode})` : '';
  return codedError('io', `the web server ${state.server ? `\`${state.server}\` ` : ''}did not start${code}: ${state.error}${out}\n  no test was run`, {
    exitCode: 2,
  });
}

/**
 * Starts `servers` (the engine's model of the config's webServer) or joins
 * the keeper that runs them for this machine. Resolves `{ dir, env, shared,
 * reused, release(), problem() }`: `dir` is the keeper's folder, `env`
 * holds what `wait` patterns captured, for the batches; `problem()` says
 * whether a server died.
 */
async function startServers(servers, configDir) {
  if (!servers.length) return { dir: null, env: {}, shared: false, reused: [], release: async () => {}, problem: () => null };
  const dir = hostDir(configDir, servers);
  fs.mkdirSync(dir, { recursive: true });
  const startMs = servers.reduce((a, s) => a + s.timeoutMs, 0) + 15_000;
  if (!(await host.lock(dir, startMs))) {
    throw codedError(
      'io',
      `another shardwright run process of this machine kept the web servers' lock (${dir}) for ${Math.round(startMs / 1000)} s\n  no test was run`,
      {
        exitCode: 2,
      },
    );
  }
  let state;
  let shared = false;
  try {
    host.addUser(dir);
    state = host.readState(dir);
    if (state && host.alive(state.pid) && state.state === 'ready') {
      shared = true;
    } else {
      fs.writeFileSync(path.join(dir, 'servers.json'), JSON.stringify(servers));
      const keeper = spawn(process.execPath, [KEEPER, dir], { detached: true, stdio: 'ignore' });
      keeper.unref();
      state = await waitForKeeper(dir, keeper.pid, startMs);
    }
  } finally {
    host.unlock(dir);
  }
  if (state.state !== 'ready') {
    host.removeUser(dir);
    throw failure(state);
  }
  let released = false;
  return {
    dir,
    env: state.env || {},
    shared,
    reused: state.reused || [],
    problem() {
      const s = host.readState(dir);
      return s && s.state === 'died' ? `the web server \`${s.server}\` exited mid-run (exit code ${s.exitCode})` : null;
    },
    /** Leaves; the last run process stops the servers and waits for them to be gone. */
    async release() {
      if (released) return;
      released = true;
      const locked = await host.lock(dir, 5000);
      try {
        host.removeUser(dir);
        if (host.users(dir).length) return;
        const s = host.readState(dir);
        if (!s || !host.alive(s.pid)) return;
        try {
          process.kill(s.pid, 'SIGTERM');
        } catch {}
        const until = Date.now() + 8000;
        while (host.alive(s.pid) && Date.now() < until) await sleep(50);
      } finally {
        if (locked) host.unlock(dir);
      }
    },
  };
}

/**
 * The servers of one run process, as the config's model of them becomes
 * known: `want(runConfig)` starts them (or, when the model changed, the new
 * ones instead), `settle()` resolves the latest start (`{ error }` when a
 * server did not start), `release()` leaves. A batch that started before
 * them learns where they are, or why they failed, from
 * <private dir>/servers.link.json (js/run/wait-servers.js). The model of the
 * last run is cached per config, so the servers start while Playwright is
 * still starting.
 */
class MachineServers {
  constructor(ctx) {
    this.ctx = ctx;
    this.key = null;
    this.current = null; // promise of { servers } | { error }
    this.all = [];
  }

  static cacheFile(ctx, configFile) {
    const key = crypto.createHash('sha1').update(configFile).digest('hex').slice(0, 16);
    return path.join(path.resolve(ctx.settings.reportDir), 'run-servers', `${key}.json`);
  }

  /** Starts from the model the last run of this config wrote down, if any. */
  prestart(configFile) {
    try {
      const cached = JSON.parse(fs.readFileSync(MachineServers.cacheFile(this.ctx, configFile), 'utf8'));
      this.want(cached, { cached: true });
    } catch {}
  }

  want(runConfig, { cached = false } = {}) {
    const { ctx } = this;
    if (!cached && runConfig.configFile) {
      try {
        const file = MachineServers.cacheFile(ctx, runConfig.configFile);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        // Shared by the run processes of this folder: never read half-written.
        const tmp = `${file}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, JSON.stringify(runConfig));
        fs.renameSync(tmp, file);
      } catch {}
    }
    const key = JSON.stringify([runConfig.configDir, runConfig.servers]);
    if (key === this.key) return;
    this.key = key;
    const previous = this.current;
    const link = (v) => fs.writeFileSync(path.join(ctx.privateDir, 'servers.link.json'), JSON.stringify(v));
    this.current = (async () => {
      const before = previous && (await previous);
      if (before?.servers) await before.servers.release();
      if (!runConfig.servers.length) return {};
      try {
        const servers = await startServers(runConfig.servers, runConfig.configDir);
        this.all.push(servers);
        if (this.key !== key) return { servers };
        ctx.serverEnv = { ...servers.env, SHARDWRIGHT_RUN_SERVERS: 'reuse' };
        link({ dir: servers.dir });
        if (servers.shared)
          ctx.progress.say(
            `using the web servers another shardwright run process of this machine started (${runConfig.servers.map((x) => x.shown).join(', ')})`,
          );
        return { servers };
      } catch (error) {
        if (this.key !== key) return {};
        // A guess from the last run's config: the real one decides.
        if (cached) {
          this.key = null;
          return {};
        }
        link({ failed: true, error: error.message });
        ctx.stop(error);
        return { error };
      }
    })();
  }

  async settle() {
    for (;;) {
      const c = this.current;
      const r = c ? await c : {};
      if (c === this.current) return r;
    }
  }

  async release() {
    await this.settle().catch(() => {});
    for (const s of this.all) await s.release();
  }
}

module.exports = { startServers, hostDir, MachineServers };
