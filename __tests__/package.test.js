'use strict';
// The package as a user installs it: the tarball's contents, and the entry
// points resolved from examples/ (where it is installed from that tarball).
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { run, ROOT, EXAMPLES } = require('./helpers.js');

test('npm pack ships the loader, the types, the addon and js/', async () => {
  const { code, stdout, stderr } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT });
  assert.equal(code, 0, stderr);
  const files = JSON.parse(stdout)[0]
    .files.map((f) => f.path)
    .sort();
  for (const f of [
    'index.js',
    'index.d.ts',
    'shardwright.linux-x64-gnu.node',
    'js/index.js',
    'js/index.mjs',
    'js/index.d.ts',
    'js/playwright/test.js',
    'js/playwright/test.mjs',
    'js/playwright/test.d.ts',
    'js/playwright/reporter.js',
    'js/playwright/reporter.mjs',
    'js/playwright/reporter.d.ts',
    'js/cli/main.js',
    'schema/flaky-report.schema.json',
    'package.json',
    'README.md',
  ]) {
    assert.ok(files.includes(f), `${f} is in the tarball: ${files.join(', ')}`);
  }
  assert.ok(!files.some((f) => f.startsWith('src/') || f.startsWith('target/') || f.startsWith('__tests__/')), files.join(', '));
});

test('the installed package loads with require and import, root and subpaths', async () => {
  const cjs = `
    const sw = require('shardwright');
    const t = require('shardwright/test');
    const Reporter = require('shardwright/reporter');
    console.log(typeof sw.retry, typeof sw.BackoffPolicy, typeof t.test, typeof t.expect, typeof t.test.extend);
    console.log(require.resolve('shardwright').includes('node_modules/shardwright/'), typeof Reporter, Reporter.default === Reporter);
  `;
  let r = await run(process.execPath, ['-e', cjs], { cwd: EXAMPLES });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), ['function function function function function', 'true function true']);
  // The bin is installed and runs.
  r = await run('npx', ['shardwright', '--help'], { cwd: EXAMPLES });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Usage: shardwright <command> \[options\]/);

  const esm = `
    import { retry, BackoffPolicy } from 'shardwright';
    import { test, expect } from 'shardwright/test';
    import Reporter from 'shardwright/reporter';
    console.log(await retry(async () => new BackoffPolicy({ jitter: 'none' }).delay(2)), typeof test, typeof expect, typeof Reporter);
  `;
  r = await run(process.execPath, ['--input-type=module', '-e', esm], { cwd: EXAMPLES });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), '2000 function function function');
});

test('ESM entry points export every name the CommonJS ones do', async () => {
  for (const entry of ['shardwright', 'shardwright/test']) {
    const script = `
      import * as esm from '${entry}';
      import { createRequire } from 'node:module';
      const cjs = createRequire(process.cwd() + '/')('${entry}');
      const missing = Object.keys(cjs).filter((k) => !(k in esm));
      console.log(JSON.stringify(missing));
    `;
    const r = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: EXAMPLES });
    assert.equal(r.code, 0, r.stderr);
    const missing = JSON.parse(r.stdout).filter((k) => k !== 'default' && !(entry === 'shardwright/test' && k !== 'test' && k !== 'expect'));
    assert.deepEqual(missing, [], `${entry}: names missing from the ESM entry`);
  }
});
