'use strict';
// The one place the native addon is loaded (through napi-rs's generated
// loader, ../index.js, which picks this platform's package or the WASI
// build). When nothing loads, its error is replaced by one that names the
// platform, the package that was expected and the ways out; the loader's own
// errors stay as `cause`.

// The platforms with a prebuilt binary (package.json's napi.targets, as
// napi-rs names their packages).
const PREBUILT = ['linux-x64-gnu', 'linux-x64-musl', 'linux-arm64-gnu', 'linux-arm64-musl', 'darwin-x64', 'darwin-arm64', 'win32-x64-msvc'];

function libc() {
  if (process.platform !== 'linux') return '';
  try {
    const report = process.report?.getReport();
    return report?.header?.glibcVersionRuntime ? '-gnu' : '-musl';
  } catch {
    return '-gnu';
  }
}

function loadError(cause) {
  const { name, version } = require('../package.json');
  const platform = `${process.platform}-${process.arch}${process.platform === 'win32' ? '-msvc' : libc()}`;
  const expected = `${name}-${platform}`;
  const fromSource =
    'or build it from source: with Rust ≥ 1.85 (https://rustup.rs), `npm install` in a clone of the shardwright repository builds the addon (`npm run build`), then `npm install <path to the clone>`';
  const why = PREBUILT.includes(platform)
    ? `its package \`${expected}@${version}\` did not load: it is an optional dependency, which npm skips with --omit=optional (or --no-optional), or after an interrupted install (npm bug https://github.com/npm/cli/issues/4828). Reinstall with optional dependencies (remove node_modules and package-lock.json first if it persists), ${fromSource}.`
    : `there is no prebuilt package \`${expected}\`: prebuilt binaries exist for ${PREBUILT.join(', ')}. Install the WebAssembly build, which lacks child processes, queue mode on Redis and resource snapshots (\`npm install --cpu=wasm32 ${name}-wasm32-wasi@${version}\`), ${fromSource}.`;
  const seen = [];
  for (let e = cause?.cause; e && seen.length < 4; e = e.cause) seen.push(String(e.message).split('\n')[0]);
  const tried = seen.length ? ` What the loader tried: ${seen.join('; ')}.` : '';
  const err = new Error(`shardwright's native addon could not be loaded on ${platform} (Node.js ${process.version}): ${why}${tried}`);
  err.code = 'ERR_SHARDWRIGHT_NATIVE_BINDING';
  err.platform = platform;
  err.expectedPackage = expected;
  err.cause = cause;
  return err;
}

let binding;
try {
  binding = require('../index.js');
} catch (e) {
  throw loadError(e);
}
module.exports = binding;
