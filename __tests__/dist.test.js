'use strict';
// The distribution as a user gets it: `.ci/pack-all.js` (what `npm run
// pack:all` runs, here for this machine's target only) packs the main
// package (no binary in it) and the linux-x64-gnu platform package; both are
// installed into a fresh Playwright project on a PATH with no cargo or rustc,
// and a sharded `npx playwright test` there loads the addon from the platform
// package and writes the history.
const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { ROOT, EXAMPLES, run, tempDir, freePort, reportTests } = require('./helpers.js');

const HOST = 'x86_64-unknown-linux-gnu';
const onHost = process.platform === 'linux' && process.arch === 'x64' && Boolean(process.report.getReport().header.glibcVersionRuntime);
const dir = tempDir('shardwright-dist-');
const out = path.join(dir, 'dist');
const project = path.join(dir, 'project');
const version = require('../package.json').version;
const playwrightVersion = require('../examples/package.json').dependencies['@playwright/test'];

/** PATH without any directory that holds cargo or rustc. */
function pathWithoutRust() {
  return process.env.PATH.split(path.delimiter)
    .filter((d) => d && !['cargo', 'rustc', 'rustup'].some((b) => fs.existsSync(path.join(d, b))))
    .join(path.delimiter);
}

let packed;
before(async () => {
  if (!onHost) return;
  // A release build, as `npm test` has just made (pretest): nothing to compile.
  const r = await run(process.execPath, [path.join(ROOT, '.ci', 'pack-all.js'), '--targets', HOST, '--profile', 'release', '--out', out], {
    timeoutMs: 900_000,
  });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  packed = JSON.parse(fs.readFileSync(path.join(out, 'pack-all.json'), 'utf8'));
});

test('pack:all writes the main tarball without binaries and the platform tarball with one', { skip: !onHost && 'not a linux-x64-gnu machine' }, async () => {
  const files = fs
    .readdirSync(out)
    .filter((f) => f.endsWith('.tgz'))
    .sort();
  assert.deepEqual(files, [`shardwright-${version}.tgz`, `shardwright-linux-x64-gnu-${version}.tgz`]);
  const list = async (tgz) => (await run('tar', ['tzf', path.join(out, tgz)])).stdout.trim().split('\n').sort();
  const main = await list(`shardwright-${version}.tgz`);
  assert.ok(
    main.includes('package/index.js') && main.includes('package/js/index.js') && main.includes('package/schema/flaky-report.schema.json'),
    main.join(', '),
  );
  assert.deepEqual(
    main.filter((f) => /\.(node|wasm)$/.test(f)),
    [],
    'no binary in the main package',
  );
  assert.deepEqual(await list(`shardwright-linux-x64-gnu-${version}.tgz`), [
    'package/README.md',
    'package/package.json',
    'package/shardwright.linux-x64-gnu.node',
  ]);
  const row = packed.rows.find((r) => r.target === HOST);
  assert.equal(row.format, 'ELF x64');
  assert.ok(row.binaryBytes > 1e6, `${row.binaryBytes} bytes`);
  // The main package depends on every platform package at its own version.
  const pkg = JSON.parse((await run('tar', ['xzOf', path.join(out, `shardwright-${version}.tgz`), 'package/package.json'])).stdout);
  assert.equal(pkg.optionalDependencies['shardwright-linux-x64-gnu'], version);
  assert.equal(Object.keys(pkg.optionalDependencies).length, 8);
  assert.ok(Object.values(pkg.optionalDependencies).every((v) => v === version));
});

test('installed from the tarballs without Rust, a sharded playwright run loads the platform package and writes the history', {
  skip: !onHost && 'not a linux-x64-gnu machine',
  timeout: 900_000,
}, async () => {
  const env = { PATH: pathWithoutRust(), CARGO_HOME: path.join(dir, 'no-cargo'), RUSTUP_HOME: path.join(dir, 'no-rustup') };
  assert.notEqual((await run('sh', ['-c', 'command -v cargo || command -v rustc'], { env })).code, 0, 'cargo and rustc are off the PATH');

  // A fresh Playwright project: examples/'s config, specs, site and server.
  fs.mkdirSync(project, { recursive: true });
  for (const f of ['playwright.config.ts', 'server.js', 'tests', 'site']) fs.cpSync(path.join(EXAMPLES, f), path.join(project, f), { recursive: true });
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'dist-e2e', private: true }, null, 2));
  const install = await run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      `@playwright/test@${playwrightVersion}`,
      path.join(out, `shardwright-${version}.tgz`),
      path.join(out, `shardwright-linux-x64-gnu-${version}.tgz`),
    ],
    { cwd: project, env, timeoutMs: 600_000 },
  );
  assert.equal(install.code, 0, install.stdout + install.stderr);
  const mod = (...p) => path.join(project, 'node_modules', ...p);
  assert.deepEqual(
    fs.readdirSync(mod('shardwright')).filter((f) => /\.(node|wasm)$/.test(f)),
    [],
    'the main package has no binary',
  );
  assert.ok(fs.existsSync(mod('shardwright-linux-x64-gnu', 'shardwright.linux-x64-gnu.node')));
  assert.ok(!fs.existsSync(path.join(project, 'node_modules', '.bin', 'cargo')));

  // The loader picks the platform package.
  const probe = await run(
    process.execPath,
    [
      '-e',
      `
    const sw = require('shardwright');
    const loaded = Object.keys(require.cache).filter((f) => f.endsWith('.node')).map((f) => require('path').relative(process.cwd(), f));
    const loader = require(require('path').join(require('path').dirname(require.resolve('shardwright/package.json')), 'index.js'));
    console.log(JSON.stringify({ loaded, target: loader.__napiBindingTarget, plan: sw.planShards([{ id: 'a', tests: ['a'], durationMs: 2 }, { id: 'b', tests: ['b'], durationMs: 1 }], { shards: 2 }).makespan }));
  `,
    ],
    { cwd: project, env },
  );
  assert.equal(probe.code, 0, probe.stderr);
  assert.deepEqual(JSON.parse(probe.stdout), { loaded: ['node_modules/shardwright-linux-x64-gnu/shardwright.linux-x64-gnu.node'], target: 'native', plan: 2 });

  // Two shards at once, as two CI machines, sharing one history file.
  const history = path.join(dir, 'history.json');
  const shard = async (i) => {
    const results = path.join(dir, `results-${i}`);
    const report = path.join(results, 'report.json');
    const r = await run('npx', ['playwright', 'test', `--shard=${i}/2`], {
      cwd: project,
      timeoutMs: 600_000,
      env: {
        ...env,
        CI: '1',
        FORCE_COLOR: '0',
        EXAMPLES_PORT: String(await freePort()),
        EXAMPLES_JSON_REPORT: report,
        EXAMPLES_OUTPUT_DIR: path.join(results, 'test-results'),
        SHARDWRIGHT_HISTORY: history,
        SHARDWRIGHT_REPORT_DIR: path.join(dir, 'shardwright'),
      },
    });
    return { ...r, report: fs.existsSync(report) ? JSON.parse(fs.readFileSync(report, 'utf8')) : null };
  };
  const [a, b] = await Promise.all([shard(1), shard(2)]);
  for (const r of [a, b]) {
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      /shardwright: shard \d\/2: \d+ of 14 tests, (no usable history: )?split by test count as Playwright's own --shard does; plan [0-9a-f]{12}/,
    );
  }
  const ran = [a, b].flatMap((r) =>
    reportTests(r.report)
      .filter((t) => t.status !== 'skipped')
      .map((t) => `${t.file} › ${t.titlePath.join(' › ')}`),
  );
  assert.equal(ran.length, 14, ran.join('\n'));
  assert.equal(new Set(ran).size, 14, 'every test ran exactly once');

  // The history both shards saved, read back through the installed package.
  const read = await run(
    process.execPath,
    [
      '-e',
      `const { History } = require('shardwright'); const h = History.load(${JSON.stringify(history)}); console.log(JSON.stringify([h.runCount, h.testCount]))`,
    ],
    { cwd: project, env },
  );
  assert.equal(read.code, 0, read.stderr);
  const [runs, tests] = JSON.parse(read.stdout);
  // The shards of one run are one run; both saved their part of it.
  assert.equal(runs, 1, 'the shards of one run are one run');
  assert.equal(tests, 14, `${tests} tests in the history`);
});
