#!/usr/bin/env node
'use strict';
// Installs shardwright into examples/ exactly as a user would: `npm pack` of
// the package, then `npm install` of the tarball. Run by `npm test` (pretest)
// after the addon is built.

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const packDir = path.join(root, '.pack');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

fs.rmSync(packDir, { recursive: true, force: true });
fs.mkdirSync(packDir, { recursive: true });
// --ignore-scripts: the addon was just built by `npm run build`; packing must
// not rebuild it.
const out = execFileSync(npm, ['pack', '--json', '--ignore-scripts', '--pack-destination', packDir], {
  cwd: root,
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'inherit'],
});
const [{ filename, files }] = JSON.parse(out);
fs.renameSync(path.join(packDir, filename), path.join(packDir, 'shardwright.tgz'));
if (!files.some((f) => f.path.endsWith('.node'))) {
  throw new Error('the packed tarball has no native addon: run `npm run build` first');
}
// A same-version tarball would be taken as already installed: remove it first.
fs.rmSync(path.join(__dirname, 'node_modules', 'shardwright'), { recursive: true, force: true });
execFileSync(npm, ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: __dirname, stdio: 'inherit' });
console.log(`examples: installed shardwright from ${path.relative(root, packDir)}/shardwright.tgz (${files.length} files)`);
