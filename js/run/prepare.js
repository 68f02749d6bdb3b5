'use strict';
// Before a run starts: the wrapper config beside the user's (see
// js/run/wrap-config.js), which writes down the config's web servers and
// reporters as Playwright loads it. In queue mode the suite is listed once
// through it (the user's command + `--list --reporter=json`), keyed,
// grouped and estimated by the engine (one call), with quarantined tests
// left out under quarantineMode 'skip'. A machine alone lists nothing: its
// one batch plans the suite as it loads it (preparePass).

const { execFile } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const native = require('../native.js');
const { codedError } = require('../errors.js');
const { analyzeWith } = require('../api/record.js');
const { formatMs } = require('../api/flaky-format.js');
const { groupPayload } = require('./queue-run.js');
const { plural, shown } = require('./progress.js');
const { launch } = require('./launch.js');

const ADAPT = path.join(__dirname, 'wrap-config.js');

/** `<command> --list --reporter=json`: the report's text. */
function list(command, cwd, env, shownCommand) {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'shardwright-list-')), 'list.json');
  const how = launch(command, cwd);
  const args = [...how.args, '--list', '--reporter=json'];
  return new Promise((resolve, reject) => {
    execFile(
      how.program,
      args,
      {
        cwd,
        env: { ...process.env, ...how.env, ...env, PLAYWRIGHT_JSON_OUTPUT_FILE: out, PLAYWRIGHT_JSON_OUTPUT_NAME: '', FORCE_COLOR: '0' },
        maxBuffer: 64 << 20,
      },
      (error, stdout, stderr) => {
        try {
          if (!fs.existsSync(out)) {
            const why = (stderr || stdout || error?.message || 'no report written').trim();
            reject(codedError('io', `failed to list the suite with \`${shownCommand}\` in ${cwd}: ${why}`, { exitCode: 2, cause: error }));
            return;
          }
          resolve(fs.readFileSync(out, 'utf8'));
        } finally {
          fs.rmSync(path.dirname(out), { recursive: true, force: true });
        }
      },
    );
  });
}

/**
 * This run's share of the wrapper config for its Playwright processes (one
 * file per host, install and config, shared with the other runs of this
 * host in the folder: src/playwright/wrapper.rs), `{ file, configFile,
 * configDir, args, release() }` (args: the command's, its --config left
 * out), or null — no config file, or a folder we cannot write to (then each
 * batch starts the web servers itself, as plain Playwright would).
 */
function leaseWrapper(o, cwd, say) {
  try {
    return native.__leaseRunWrapper(cwd, o.command.slice(1), os.hostname(), ADAPT);
  } catch (err) {
    say(`cannot write the wrapper config beside yours (${err.message}): every batch starts the config's web servers itself`);
    return null;
  }
}

/**
 * Watches for the config as the wrapper writes it down (while Playwright
 * still loads the test files) and hands its servers to `ctx.startServers`
 * at once. Returns `stop()`, which resolves the engine's view of the config
 * (null when it never came).
 */
function watchConfig(ctx, wrapper) {
  const dumpFile = path.join(ctx.privateDir, 'config.json');
  if (wrapper) ctx.prestartServers(wrapper.configFile);
  let runConfig = null;
  const read = () => {
    if (runConfig || !wrapper || !fs.existsSync(dumpFile)) return;
    const dump = JSON.parse(fs.readFileSync(dumpFile, 'utf8'));
    runConfig = native.__runConfig(JSON.stringify({ ...dump, configFile: wrapper.configFile }));
    ctx.runConfig = runConfig;
    ctx.startServers(runConfig);
  };
  // Polled until the first Playwright process has written it (then the
  // servers start), not for the rest of the run.
  const timer = setInterval(() => {
    try {
      read();
      if (runConfig) clearInterval(timer);
    } catch (err) {
      clearInterval(timer);
      ctx.stop(err);
    }
  }, 50);
  return () => {
    clearInterval(timer);
    read();
    return runConfig;
  };
}

/**
 * Lists the suite (through the wrapper when there is one), starting the
 * servers meanwhile. `{ report, command, runConfig, wrapper }`: `command`
 * is what batches run.
 */
async function listThrough(o, cwd, wrapper, ctx, say) {
  const shownCommand = [...o.command, '--list', '--reporter=json'].join(' ');
  if (!wrapper) return { report: await list(o.command, cwd, {}, shownCommand), command: o.command, runConfig: null, wrapper: null };
  const command = [o.command[0], ...wrapper.args, '--config', wrapper.file];
  const stop = watchConfig(ctx, wrapper);
  let report;
  try {
    report = await list(command, cwd, { SHARDWRIGHT_RUN_CONFIG_OUT: path.join(ctx.privateDir, 'config.json') }, shownCommand);
  } catch (err) {
    stop();
    // The wrapper is the one thing of ours in the listing: without it, the
    // user's command either lists (then run without it) or fails as itself.
    wrapper.release();
    report = await list(o.command, cwd, {}, shownCommand);
    say(
      `your config could not be loaded through ${path.basename(wrapper.file)} (${err.message.split('\n').slice(-1)[0].slice(0, 200)}): every batch starts the config's web servers itself`,
    );
    return { report, command: o.command, runConfig: null, wrapper: null };
  }
  return { report, command, runConfig: stop(), wrapper };
}

/** Quarantined tests to leave out (quarantineMode 'skip'). */
function quarantinedKeys(history, settings) {
  return history && history.runCount > 0 && settings.quarantineMode === 'skip' ? analyzeWith(history, {}).quarantine.map((q) => q.key) : [];
}

/**
 * A machine alone: no listing. Its one batch plans the suite as Playwright
 * loads it (js/run/batch-reporter.js); this writes what it needs — the
 * history to estimate from, the quarantined tests — and the wrapper.
 */
function preparePass(o, settings, ctx) {
  ctx.wrapper = leaseWrapper(o, ctx.cwd, (line) => ctx.progress.say(line));
  ctx.command = ctx.wrapper ? [o.command[0], ...ctx.wrapper.args, '--config', ctx.wrapper.file] : o.command;
  const history = ctx.history ? path.resolve(settings.history) : null;
  fs.writeFileSync(path.join(ctx.privateDir, 'plan.json'), JSON.stringify({ history, quarantined: quarantinedKeys(ctx.history, settings) }));
  return watchConfig(ctx, ctx.wrapper);
}

/**
 * `{ queued, fingerprint, testCount, byCount, history, outputDir, command,
 * runConfig, wrapper }`, or `{ empty, exitCode }` when the listing found no
 * test (said).
 */
async function prepare(o, settings, ctx) {
  const { cwd } = ctx;
  const say = (line) => ctx.progress.say(line);
  ctx.wrapper = leaseWrapper(o, cwd, say);
  const { report, command, runConfig, wrapper } = await listThrough(o, cwd, ctx.wrapper, ctx, say);
  ctx.wrapper = wrapper;
  const history = ctx.history;
  // quarantineMode 'skip': quarantined tests are left out of the queue.
  const suite = native.__queueSuite(report, history ? history._store : null, o.groupBy, quarantinedKeys(history, settings));
  if (suite.unlistable.length) {
    throw codedError(
      'plan',
      `these tests cannot be written to a --test-list line (a title holds › or leading/trailing spaces):\n  ${suite.unlistable.join('\n  ')}`,
      { exitCode: 2 },
    );
  }
  if (suite.quarantined.length) {
    say(`skipping ${plural(suite.quarantined.length, 'quarantined test')} (quarantineMode: skip):\n${suite.quarantined.map((k) => `  - ${k}`).join('\n')}`);
  }
  if (!suite.groups.length) {
    say(suite.quarantined.length ? 'every test is quarantined: nothing to run' : `no tests found by \`${[...o.command, '--list'].join(' ')}\``);
    return { empty: true, exitCode: suite.quarantined.length ? 0 : 1 };
  }
  // Said once (an unreadable history was already named, with what follows).
  if (suite.byCount && history)
    say(`no history yet for these tests: groups are ordered by test count (${shown(path.resolve(settings.history))} learns their durations from this run)`);
  const queued = suite.groups.map((g) => ({ id: g.id, expectedMs: g.expectedMs, payload: groupPayload(g.tests, g.lines, g.project, g.file) }));
  const expectedMs = queued.reduce((a, g) => a + g.expectedMs, 0);
  return {
    queued,
    fingerprint: suite.fingerprint,
    testCount: suite.tests,
    byCount: suite.byCount,
    history,
    outputDir: suite.outputDir || path.join(cwd, 'test-results'),
    rootDir: suite.rootDir,
    expected: suite.byCount ? '' : `, ${formatMs(expectedMs)} expected in all`,
    command,
    runConfig,
  };
}

module.exports = { prepare, preparePass };
