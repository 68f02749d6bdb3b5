'use strict';
// No output of any command shows the Redis password, in whatever URL form it
// was typed: encoded or not (a `/`, `@` or `:` in it), `user:password@`, a
// mistyped scheme (`redis:/:pw@host`, `redis//…`), `?password=`, a wrong
// password, an unreachable server, TLS against a plain server, `--queue`
// given twice, `--queue=URL`. A real redis-server with that password; every
// stdout and stderr (with SHARDWRIGHT_LOG=1, so stacks too) and every file
// written is grepped for the password and its parts.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { WorkQueue, redactQueueUrl } = require('../../js/native.js');
const { ROOT, EXAMPLES, freePort, tempDir, run } = require('../helpers.js');
const { startRedis } = require('../redis-helpers.js');

const CLI = path.join(ROOT, 'js', 'cli', 'main.js');
const PW = 'tr0ub@dor/3:staple';
const ENC = encodeURIComponent(PW);
/** What must never show: the password, encoded or not, and its distinctive parts. */
const LEAKS = [PW, ENC, 'tr0ub', 'dor/3', 'staple', 'dor%2F3'];

let redis;
before(async () => {
  redis = await startRedis({ password: PW });
});
after(async () => {
  await redis.stop();
});

function forms(port, down) {
  const host = `127.0.0.1:${port}`;
  return {
    encoded: `redis://:${ENC}@${host}/0`,
    'user and password': `redis://default:${ENC}@${host}/0`,
    'unencoded / @ and :': `redis://:${PW}@${host}/0`,
    'user, unencoded': `redis://default:${PW}@${host}/0`,
    'scheme with one slash': `redis:/:${PW}@${host}/0`,
    'scheme without colon': `redis//:${ENC}@${host}/0`,
    'scheme without slashes': `redis::${ENC}@${host}/0`,
    '?password=': `redis://${host}/0?password=${ENC}`,
    '?password= unencoded': `redis://${host}/0?password=${PW}`,
    '#fragment': `redis://${host}/0#${ENC}`,
    'wrong password': `redis://:${ENC}x@${host}/0`,
    'no host': `redis://:${ENC}@/0`,
    'TLS on a plain server': `rediss://:${ENC}@${host}/0`,
    unreachable: `redis://:${ENC}@127.0.0.1:${down}/0`,
    'not a URL': `:${PW}@${host}`,
  };
}

const outputs = [];
function check(what, text) {
  outputs.push(what);
  for (const leak of LEAKS) assert.ok(!text.includes(leak), `${what} shows ${JSON.stringify(leak)}:\n${text}`);
}

async function cli(what, args, { cwd = ROOT, env = {}, dir } = {}) {
  const r = await run(process.execPath, [CLI, ...args], {
    cwd,
    env: { SHARDWRIGHT_LOG: '1', FORCE_COLOR: '0', CI: '1', ...env },
    timeoutMs: 120_000,
  });
  check(`${what}: stdout`, r.stdout);
  check(`${what}: stderr`, r.stderr);
  if (dir) {
    for (const file of fs.readdirSync(dir, { recursive: true })) {
      const full = path.join(dir, file);
      if (fs.statSync(full).isFile()) check(`${what}: ${file}`, fs.readFileSync(full, 'utf8'));
    }
  }
  return r;
}

test('redactQueueUrl and WorkQueue.connect errors: no form shows the password', async () => {
  for (const [name, url] of Object.entries(forms(redis.port, await freePort()))) {
    check(`redactQueueUrl(${name})`, redactQueueUrl(url));
    try {
      const q = await WorkQueue.connect(url, 'secrets', { reconnectRetries: 0, connectTimeoutMs: 2000 });
      check(`connect(${name}).target`, q.target);
      check(`connect(${name}).status()`, JSON.stringify(await q.status()));
    } catch (err) {
      assert.equal(err.code, 'ERR_SHARDWRIGHT_QUEUE', `${name}: ${err.message}`);
      check(`connect(${name}) error`, `${err.message}\n${err.stack}`);
    }
  }
});

test('status, merge and run: no output nor file shows the password, in any URL form', async () => {
  const down = await freePort();
  const runId = `secrets-${process.pid}`;
  for (const [name, url] of Object.entries(forms(redis.port, down))) {
    for (const args of [
      ['status', '--queue', url, '--run-id', runId],
      ['status', `--queue=${url}`, '--run-id', runId, '--json'],
      ['merge', '--queue', url, '--run-id', runId],
      ['status', '--queue', url, '--queue', url, '--run-id', runId],
    ]) {
      const r = await cli(`${args.join(' ')} (${name})`, args);
      assert.notEqual(r.code, null, `${name}: ${args[0]} ended by a signal`);
    }
    // `run` refuses or fails to connect before listing anything, except with
    // the working forms (one real run below).
    if (name === 'encoded' || name === 'user and password') continue;
    const dir = tempDir('shardwright-secrets-');
    const r = await cli(`run (${name})`, ['run', '--queue', url, '--run-id', runId, '--workers', '1', '--', 'npx', 'playwright', 'test', 'cart.spec.ts'], {
      cwd: EXAMPLES,
      dir,
      env: {
        EXAMPLES_PORT: String(await freePort()),
        EXAMPLES_OUTPUT_DIR: path.join(dir, 'test-results'),
        SHARDWRIGHT_HISTORY: path.join(dir, 'history.json'),
        SHARDWRIGHT_REPORT_DIR: path.join(dir, 'report'),
      },
    });
    assert.equal(r.code, 2, `run (${name}): ${r.stdout}${r.stderr}`);
  }

  // A whole run with the password, then its merge: what they print names
  // the server, never the password.
  const url = forms(redis.port, down)['user and password'];
  const dir = tempDir('shardwright-secrets-');
  const env = {
    EXAMPLES_PORT: String(await freePort()),
    EXAMPLES_OUTPUT_DIR: path.join(dir, 'test-results'),
    SHARDWRIGHT_HISTORY: path.join(dir, 'history.json'),
    SHARDWRIGHT_REPORT_DIR: path.join(dir, 'report'),
  };
  const ran = await cli('run (working)', ['run', '--queue', url, '--run-id', runId, '--workers', '1', '--', 'npx', 'playwright', 'test', 'cart.spec.ts'], {
    cwd: EXAMPLES,
    dir,
    env,
  });
  assert.equal(ran.code, 0, ran.stdout + ran.stderr);
  assert.match(ran.stdout, new RegExp(`seeded run ${runId} on redis://default:\\*\\*\\*@127\\.0\\.0\\.1:${redis.port}/0`));
  const out = path.join(dir, 'merged', 'history.json');
  const merged = await cli('merge (working)', ['merge', '--queue', url, '--run-id', runId, '--out', out], {
    dir,
    env: { SHARDWRIGHT_REPORT_DIR: path.dirname(out) },
  });
  assert.equal(merged.code, 0, merged.stderr);
  assert.match(merged.stdout, new RegExp(`^run ${runId} on redis://default:\\*\\*\\*@127\\.0\\.0\\.1:${redis.port}/0: `));
  const status = await cli('status (working)', ['status', '--queue', url, '--run-id', runId]);
  assert.equal(status.code, 0, status.stderr);
  assert.ok(outputs.length > 200, `${outputs.length} outputs checked`);
});
