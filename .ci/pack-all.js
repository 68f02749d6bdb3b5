#!/usr/bin/env node
'use strict';
// `npm run pack:all`: builds the addon for every target of package.json's
// `napi.targets` that this machine can build, puts each binary into its
// platform package (npm/<platform>), checks it (format, architecture, the
// exported Node-API entry point), and writes to dist/ one tarball per built
// platform package plus the main package's tarball (without any binary: the
// platform packages are its optionalDependencies).
//
//   node .ci/pack-all.js [--targets t1,t2] [--profile dist|release] [--out dir] [--no-build]
//
// --no-build packs binaries already in npm/<platform>/ (the release workflow
// puts each runner's build there), checking every one, Windows' PE included.
//
// On Linux: the host target with cargo, the other Linux targets with
// cargo-zigbuild (zig from PyPI's `ziglang`), the WASI target with napi-rs's
// emnapi toolchain. macOS needs Apple's SDK to link (its frameworks are not
// in zig): without SDKROOT it is only compiled (`cargo-zigbuild check`).
// Windows (MSVC) cannot be linked here either: it is type-checked (`cargo
// check`, zig as the C compiler of ring). Both are built by
// .github/workflows/release.yml on their own runners. Prints a table of sizes and build times and
// writes it to dist/pack-all.json.

const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { check } = require('./check-binary.js');

const ROOT = path.resolve(__dirname, '..');
let DIST = path.join(ROOT, 'dist');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const NAME = pkg.napi.binaryName;

// napi-rs's names for each target: the platform package directory, the
// binary's file name and what `check-binary` expects.
const TARGETS = {
  'x86_64-unknown-linux-gnu': { abi: 'linux-x64-gnu', arch: 'x64' },
  'x86_64-unknown-linux-musl': { abi: 'linux-x64-musl', arch: 'x64' },
  'aarch64-unknown-linux-gnu': { abi: 'linux-arm64-gnu', arch: 'arm64' },
  'aarch64-unknown-linux-musl': { abi: 'linux-arm64-musl', arch: 'arm64' },
  'x86_64-apple-darwin': { abi: 'darwin-x64', arch: 'x64' },
  'aarch64-apple-darwin': { abi: 'darwin-arm64', arch: 'arm64' },
  'x86_64-pc-windows-msvc': { abi: 'win32-x64-msvc', arch: 'x64' },
  'wasm32-wasip1-threads': { abi: 'wasm32-wasi', arch: 'wasm32' },
};
// What napi build writes beside the .wasm and the WASI package ships.
const WASI_FILES = [`${NAME}.wasi.cjs`, `${NAME}.wasi.d.cts`, `${NAME}.wasi-browser.js`, 'wasi-worker.mjs', 'wasi-worker-browser.mjs'];

function parseArgs(argv) {
  const o = { targets: pkg.napi.targets, profile: 'dist', build: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--targets') o.targets = argv[++i].split(',').filter(Boolean);
    else if (a === '--profile') o.profile = argv[++i];
    else if (a === '--no-build') o.build = false;
    else if (a === '--out') DIST = path.resolve(argv[++i]);
    else throw new Error(`unknown argument ${a} (see the comment at the top of .ci/pack-all.js)`);
  }
  for (const t of o.targets) {
    if (!TARGETS[t]) throw new Error(`unknown target ${t}: expected one of ${Object.keys(TARGETS).join(', ')}`);
  }
  return o;
}

function host() {
  return execFileSync('rustc', ['-vV'], { encoding: 'utf8' }).match(/^host: (.+)$/m)[1];
}

function run(cmd, args, env = {}) {
  console.log(`$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed with ${r.status ?? r.signal}`);
}

/** A C compiler and archiver for `cargo check` of the MSVC target: zig, with
 * the target spelled as zig knows it. Only for type checking (nothing links). */
function zigWindowsTools() {
  const dir = path.join(ROOT, 'target', 'zig-windows-tools');
  fs.mkdirSync(dir, { recursive: true });
  const cc = path.join(dir, 'cc');
  const ar = path.join(dir, 'lib');
  fs.writeFileSync(
    cc,
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a bash script, "${args[@]}" is bash's
    '#!/bin/bash\nargs=()\nfor a in "$@"; do case "$a" in --target=*) ;; *) args+=("$a");; esac; done\nexec python3 -m ziglang cc -target x86_64-windows-gnu "${args[@]}"\n',
    { mode: 0o755 },
  );
  fs.writeFileSync(ar, '#!/bin/sh\nexec python3 -m ziglang lib "$@"\n', { mode: 0o755 });
  return { CC_x86_64_pc_windows_msvc: cc, AR_x86_64_pc_windows_msvc: ar };
}

function build(target, profile, hostTarget) {
  const { abi } = TARGETS[target];
  const args = ['napi', 'build', '--platform', '--profile', profile, '--target', target];
  const cross = target !== hostTarget && !target.startsWith('wasm32');
  if (cross) args.push('--cross-compile');
  const started = Date.now();
  run('npx', args);
  const seconds = (Date.now() - started) / 1000;
  const dir = path.join(ROOT, 'npm', abi);
  if (target.startsWith('wasm32')) {
    for (const f of [`${NAME}.${abi}.wasm`, ...WASI_FILES]) fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
  } else {
    fs.copyFileSync(path.join(ROOT, `${NAME}.${abi}.node`), path.join(dir, `${NAME}.${abi}.node`));
  }
  return {
    seconds,
    how: cross ? 'cargo-zigbuild (napi build --cross-compile)' : target.startsWith('wasm32') ? 'napi build (emnapi, wasm-ld)' : 'cargo (napi build)',
  };
}

function binaryOf(target) {
  const { abi } = TARGETS[target];
  return path.join(ROOT, 'npm', abi, target.startsWith('wasm32') ? `${NAME}.${abi}.wasm` : `${NAME}.${abi}.node`);
}

function npmPack(dir) {
  const out = execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', DIST], { cwd: dir, encoding: 'utf8' });
  const [info] = JSON.parse(out);
  return { file: path.join(DIST, info.filename), size: info.size, files: info.files.map((f) => f.path) };
}

/** The main package as published: what `files` lists, without binaries. */
function packMain() {
  const listed = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' }))[0].files.map(
    (f) => f.path,
  );
  const stage = path.join(ROOT, 'target', 'pack-main');
  fs.rmSync(stage, { recursive: true, force: true });
  for (const f of listed.filter((f) => !f.endsWith('.node') && !f.endsWith('.wasm'))) {
    fs.mkdirSync(path.dirname(path.join(stage, f)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, f), path.join(stage, f));
  }
  return npmPack(stage);
}

function main() {
  const o = parseArgs(process.argv.slice(2));
  const hostTarget = host();
  fs.mkdirSync(DIST, { recursive: true });
  // A run for some targets keeps what an earlier run of the same profile
  // wrote for the others (their tarballs and rows).
  const summary = path.join(DIST, 'pack-all.json');
  const earlier = fs.existsSync(summary) ? JSON.parse(fs.readFileSync(summary, 'utf8')) : null;
  const kept = earlier && earlier.profile === o.profile ? earlier.rows.filter((r) => !o.targets.includes(r.target) && r.target !== '(main package)') : [];
  for (const f of fs.readdirSync(DIST)) {
    if (f.endsWith('.tgz') && !kept.some((r) => r.tarball === f)) fs.rmSync(path.join(DIST, f));
  }
  const rows = kept;
  const failed = [];
  const record = () => fs.writeFileSync(summary, `${JSON.stringify({ profile: o.profile, rows, failed }, null, 2)}\n`);
  for (const target of o.targets) {
    const { abi, arch } = TARGETS[target];
    try {
      if (o.build && target.endsWith('windows-msvc') && process.platform !== 'win32') {
        const started = Date.now();
        run('cargo', ['check', '--profile', o.profile, '--target', target], zigWindowsTools());
        rows.push({
          target,
          package: `${NAME}-${abi}`,
          how: 'not built here (no MSVC linker): cargo check only; built by the release workflow',
          seconds: (Date.now() - started) / 1000,
        });
        continue;
      }
      // zig links Mach-O but has no Apple frameworks (Security,
      // CoreFoundation, IOKit: rustls' native roots, sysinfo); with a macOS
      // SDK in SDKROOT the build goes on, otherwise the release workflow
      // builds macOS on macOS and this checks that it compiles.
      if (o.build && target.endsWith('apple-darwin') && process.platform !== 'darwin' && !process.env.SDKROOT) {
        const started = Date.now();
        run('cargo-zigbuild', ['check', '--profile', o.profile, '--target', target]);
        rows.push({
          target,
          package: `${NAME}-${abi}`,
          how: 'not linked here (no macOS SDK; set SDKROOT to link): cargo-zigbuild check; built by the release workflow',
          seconds: (Date.now() - started) / 1000,
        });
        continue;
      }
      const built = o.build ? build(target, o.profile, hostTarget) : { seconds: null, how: 'not rebuilt (--no-build)' };
      if (!o.build && target.startsWith('wasm32')) {
        // The WASI loaders are committed at the root (napi build writes them).
        for (const f of WASI_FILES) fs.copyFileSync(path.join(ROOT, f), path.join(ROOT, 'npm', abi, f));
      }
      const bin = binaryOf(target);
      if (!fs.existsSync(bin)) throw new Error(`${path.relative(ROOT, bin)} is missing (build it, or drop --no-build)`);
      const c = check(bin, arch);
      if (c.problems.length) throw new Error(`${path.relative(ROOT, bin)}: ${c.problems.join('; ')}`);
      const tgz = npmPack(path.join(ROOT, 'npm', abi));
      rows.push({
        target,
        package: `${NAME}-${abi}`,
        how: built.how,
        seconds: built.seconds,
        format: `${c.format} ${c.arch}`,
        binaryBytes: c.size,
        tarball: path.relative(DIST, tgz.file),
        tarballBytes: tgz.size,
      });
    } catch (e) {
      // Go on with the other targets; the run fails at the end.
      console.error(`pack:all: ${target}: ${e.message}`);
      failed.push({ target, error: e.message });
    } finally {
      record();
    }
  }
  const main = packMain();
  rows.push({ target: '(main package)', package: NAME, tarball: path.relative(DIST, main.file), tarballBytes: main.size, files: main.files.length });
  record();
  const dist = path.relative(ROOT, DIST) || '.';
  const mb = (b) => (b == null ? '' : `${(b / 1024 / 1024).toFixed(2)} MiB`);
  console.log(`\npack:all (profile ${o.profile}) → ${dist}/`);
  for (const r of rows) {
    console.log(
      `${r.target.padEnd(28)} ${mb(r.binaryBytes).padStart(9)} ${mb(r.tarballBytes).padStart(9)} ${r.seconds == null ? '' : `${Math.round(r.seconds)} s`.padStart(6)}  ${r.tarball || r.how}`,
    );
  }
  if (failed.length) throw new Error(`failed: ${failed.map((f) => f.target).join(', ')}`);
}

try {
  main();
} catch (e) {
  console.error(`pack:all: ${e.message}`);
  process.exit(1);
}
