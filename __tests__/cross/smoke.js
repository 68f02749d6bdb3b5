#!/usr/bin/env node
'use strict';
// The smoke test of one build of the addon, run by .ci/test-cross.sh where
// the build can run: an aarch64 or musl Node under qemu-user, or this
// machine's Node with the WebAssembly (WASI) build.
//
//   node smoke.js <package dir or name> <expected binding: native|wasm32-wasi> [expected arch]
//
// It loads shardwright as a user does (`require()` of the installed package,
// whose generated loader picks the binary), plans shards, runs WorkerManager
// tasks, retries with backoff, saves and loads a history file; and checks
// that what the WASI build lacks fails with ERR_SHARDWRIGHT_UNSUPPORTED.
// Plain node (no node:test) so it runs the same under qemu; it ends with
// "smoke: N passed, N failed".

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const [target = 'shardwright', expected = 'native', expectedArch] = process.argv.slice(2);
const pkgDir = fs.existsSync(target) ? path.resolve(target) : path.dirname(require.resolve(`${target}/package.json`));
const results = [];

async function check(name, fn) {
  const started = Date.now();
  try {
    await fn();
    results.push([name, true]);
    console.log(`ok - ${name} (${Date.now() - started} ms)`);
  } catch (e) {
    results.push([name, false]);
    console.log(
      `not ok - ${name}\n  ${String(e?.stack ? e.stack : e)
        .split('\n')
        .join('\n  ')}`,
    );
  }
}

async function main() {
  console.log(`smoke: node ${process.version} ${process.platform}-${process.arch}, package ${pkgDir}, expecting ${expected}`);
  let sw;
  let binding;
  await check('loads through the generated loader', () => {
    sw = require(pkgDir);
    // The generated loader at the package root says which artifact it loaded.
    binding = require(path.join(pkgDir, 'index.js'));
    assert.equal(binding.__napiBindingTarget, expected);
    if (expectedArch) assert.equal(process.arch, expectedArch);
    assert.equal(typeof sw.retry, 'function');
  });
  if (!sw) return;

  await check('planShards balances 5 groups over 2 shards by duration', () => {
    const g = (id, durationMs) => ({ id, tests: [`${id} #1`, `${id} #2`], durationMs });
    const plan = sw.planShards([g('a', 3), g('b', 3), g('c', 2), g('d', 2), g('e', 2)], { shards: 2 });
    assert.equal(plan.makespan, 6);
    assert.equal(plan.lowerBound, 6);
    assert.deepEqual(
      plan.shards.map((s) => s.groups.slice().sort()),
      [
        ['c', 'd', 'e'],
        ['a', 'b'],
      ],
    );
    assert.match(plan.fingerprint, /^[0-9a-f]{32}$/);
  });

  await check('WorkerManager runs JS tasks in dependency order with a retry', async () => {
    const m = new sw.WorkerManager({ maxWorkers: 2, minAvailableMemoryMb: 0, retry: { initialDelayMs: 10, jitter: 'none' } });
    const order = [];
    let tries = 0;
    const a = m.submit({
      id: 'a',
      fn: async () => {
        order.push('a');
        return 1;
      },
    });
    const b = m.submit({
      id: 'b',
      dependsOn: ['a'],
      retries: 1,
      fn: async () => {
        tries += 1;
        if (tries === 1) throw new Error('socket hang up');
        order.push('b');
        return 2;
      },
    });
    const [ra, rb] = await Promise.all([a, b]);
    assert.deepEqual([ra.outcome, ra.value, rb.outcome, rb.value, rb.attempts], ['passed', 1, 'passed', 2, 2]);
    assert.deepEqual(order, ['a', 'b']);
    await m.shutdown();
  });

  await check(expected === 'native' ? 'WorkerManager runs a process task' : 'a process task is refused: ERR_SHARDWRIGHT_UNSUPPORTED', async () => {
    const m = new sw.WorkerManager({ maxWorkers: 1, minAvailableMemoryMb: 0 });
    try {
      // /bin/sh where there is one: under qemu-user a child of the emulated
      // Node must be a program of this machine's own architecture.
      const task =
        process.platform === 'win32'
          ? { id: 'sh', command: process.execPath, args: ['-e', 'console.log("from-child"); process.exit(3)'] }
          : { id: 'sh', command: '/bin/sh', args: ['-c', 'echo from-child; exit 3'] };
      if (expected === 'native') {
        const r = await m.submit(task);
        assert.equal(r.outcome, 'failed');
        assert.equal(r.exitCode, 3);
        assert.match(r.stdout, /from-child/);
      } else {
        await assert.rejects(
          async () => m.submit(task),
          (e) => {
            assert.equal(e.code, 'ERR_SHARDWRIGHT_UNSUPPORTED');
            assert.match(
              e.message,
              /^process tasks of the worker manager \(`command: ".+"`\) is not available on the WebAssembly build of shardwright \(wasm32-wasip1-threads/,
            );
            return true;
          },
        );
      }
    } finally {
      await m.shutdown();
    }
  });

  await check('retry() waits the backoff and resolves on the third attempt', async () => {
    const calls = [];
    const value = await sw.retry(
      async (attempt) => {
        calls.push([attempt, performance.now()]);
        if (attempt < 3) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
        return 'done';
      },
      { initialDelayMs: 20, multiplier: 2, maxRetries: 4, jitter: 'none' },
    );
    assert.equal(value, 'done');
    assert.deepEqual(
      calls.map((c) => c[0]),
      [1, 2, 3],
    );
    assert.ok(calls[1][1] - calls[0][1] >= 19, 'first wait ≥ 20 ms');
    assert.ok(calls[2][1] - calls[1][1] >= 39, 'second wait ≥ 40 ms');
  });

  await check('a history is saved atomically and loaded back', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shardwright-smoke-'));
    try {
      const file = path.join(dir, 'history.json');
      const h = sw.History.empty();
      const at = (status, retry) => ({ project: 'p', file: 'a.spec.ts', titlePath: ['t'], durationMs: 100, status, retry });
      h.addRun({ id: 'run-1', startedAt: Date.UTC(2026, 0, 1), commit: 'abc', attempts: [at('failed', 0), at('passed', 1)] });
      const saved = h.save(file);
      assert.equal(saved.runs, 1);
      const back = sw.History.load(file);
      assert.deepEqual([back.runCount, back.testCount, back.attemptCount], [1, 1, 2]);
      assert.deepEqual(back.lastOutcomes(['p › a.spec.ts › t']), ['flaky']);
      assert.deepEqual(
        fs.readdirSync(dir).filter((f) => f.includes('.tmp-')),
        [],
        'no temp file left',
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  await check('recommendWorkers answers a whole number ≥ 1', () => {
    const n = sw.recommendWorkers({ maxWorkers: 4 });
    assert.ok(Number.isInteger(n) && n >= 1 && n <= 4, String(n));
  });

  if (expected !== 'native') {
    await check('queue mode on Redis is refused: ERR_SHARDWRIGHT_UNSUPPORTED', async () => {
      await assert.rejects(
        async () => binding.WorkQueue.connect('redis://127.0.0.1:6379/0', 'run-1'),
        (e) => {
          assert.equal(e.code, 'ERR_SHARDWRIGHT_UNSUPPORTED');
          assert.match(e.message, /^queue mode on Redis .* is not available on the WebAssembly build of shardwright/);
          return true;
        },
      );
    });
    await check('resourceSnapshot is refused: ERR_SHARDWRIGHT_UNSUPPORTED', async () => {
      await assert.rejects(
        async () => sw.resourceSnapshot(),
        (e) => {
          assert.equal(e.code, 'ERR_SHARDWRIGHT_UNSUPPORTED');
          assert.match(e.message, /resource snapshots \(`resourceSnapshot`\) is not available/);
          return true;
        },
      );
    });
  }
}

main().then(
  () => {
    const failed = results.filter((r) => !r[1]).length;
    console.log(`smoke: ${results.length - failed} passed, ${failed} failed`);
    process.exitCode = failed ? 1 : 0;
  },
  (e) => {
    console.error(e);
    process.exitCode = 1;
  },
);
