#!/usr/bin/env bash
# The whole test suite: the house style (rustfmt) and lints (clippy), unit tests, parity tests on the CPU
# backend and on wgpu (Mesa lavapipe when no GPU is present), CLI tests. Installs missing system packages
# first.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

if ! command -v cargo >/dev/null 2>&1; then
  echo "test.sh: no Rust toolchain found. Install it with rustup (https://rustup.rs), then run this again." >&2
  exit 1
fi

scripts/install-deps.sh

# lavapipe wants a private runtime dir; without one it warns on every start.
if [[ -z "${XDG_RUNTIME_DIR:-}" || ! -d "${XDG_RUNTIME_DIR}" ]]; then
  XDG_RUNTIME_DIR=$(mktemp -d)
  chmod 700 "$XDG_RUNTIME_DIR"
  export XDG_RUNTIME_DIR
  trap 'rm -rf "$XDG_RUNTIME_DIR"' EXIT
fi

echo "test.sh: Vulkan adapters: $(vulkaninfo --summary 2>/dev/null | grep -E 'deviceName' | sed 's/.*= //' | paste -sd, || echo none)"
# The lints (clippy, every warning an error) run inside the test build itself: clippy-driver compiles our
# crate as rustc does and lints it on the way, so the dependencies are built once, not also checked for
# `cargo clippy` (minutes of a cold CI run). Lints then fail the build as `cargo clippy
# --all-targets -- -D warnings` would (tests, the binary and the library: there are no examples or
# benches). A plain `cargo test` afterwards recompiles Nurie's own crate once, without the wrapper.
export RUSTC_WORKSPACE_WRAPPER
RUSTC_WORKSPACE_WRAPPER="$(dirname "$(rustup which cargo 2>/dev/null || command -v cargo)")/clippy-driver"
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
if [[ ! -x $RUSTC_WORKSPACE_WRAPPER ]]; then
  echo "test.sh: clippy is not installed (no $RUSTC_WORKSPACE_WRAPPER); add it with: rustup component add clippy" >&2
  exit 1
fi
if [[ $# -gt 0 ]]; then
  exec cargo test --locked "$@"
fi
# Each step says how long it took (CI's time is limited).
step() {
  local started=$SECONDS
  "$@"
  echo "test.sh: $* took $((SECONDS - started)) s" >&2
}
# The house style first: it fails fast; then the build, linted.
step cargo fmt --check
step cargo test --locked ${NURIE_CARGO_TIMINGS:+--timings} --no-run
# Tests that use the wgpu device run one at a time, after the others: the app drives the device from one
# worker thread, and wgpu tests running next to each other on the shared device have twice given f16
# results outside the parity tolerances (never when run alone).
step cargo test --locked -- --skip wgpu
# The wgpu tests through Vulkan, where cubecl compiles its kernels to SPIR-V as on NVIDIA, AMD and Intel
# cards, in two processes side by side: the whole-generation CLI test (`nurie generate` on the device,
# a process of its own anyway) and the rest. Most of their time is lavapipe compiling kernels on little
# more than one core, so the two share CI's two cores. Each keeps its own cubecl store, so they never
# write one file at once, and runs its tests one at a time, as above.
# When the CLI test is done, the f32 tests (not the CLI one) run again through OpenGL, where cubecl
# compiles WGSL, as it does for DX12 and OpenGL adapters, so both compilers stay correct; llvmpipe's
# OpenGL has no f16. That pass tunes at cubecl's `minimal` autotune level: at the default level, cubecl's
# fused matrix-product autotune stalls on llvmpipe's OpenGL (issue 22's note).
wgpu_passes() {
  local engine logs status=0
  engine=$(cargo test --locked --test engine --no-run 2>&1 | sed -n 's|.*Executable tests/engine.rs (\(.*\))|\1|p')
  logs=$(mktemp -d)
  wgpu_pass in-process vulkan "$engine" wgpu --skip cli::generate_on_wgpu >"$logs/in-process" 2>&1 &
  local in_process=$!
  cli_then_wgsl "$engine" "$logs" &
  local then_wgsl=$!
  wait "$in_process" || status=1
  wait "$then_wgsl" || status=1
  for pass in in-process cli wgsl; do
    echo "test.sh: the wgpu tests, $pass:"
    cat "$logs/$pass"
  done
  rm -rf "$logs"
  return "$status"
}
# cli_then_wgsl ENGINE_TESTS LOGS: the CLI test through Vulkan, then the f32 tests through OpenGL.
cli_then_wgsl() {
  local engine=$1 logs=$2 status=0
  wgpu_pass cli vulkan "$engine" cli::generate_on_wgpu >"$logs/cli" 2>&1 || status=1
  wgpu_pass wgsl gl "$engine" wgpu_f32 --skip cli::generate_on_wgpu >"$logs/wgsl" 2>&1 || status=1
  return "$status"
}
# wgpu_pass NAME API ENGINE_TESTS FILTER...: the engine tests FILTER selects, through graphics API API
# (`vulkan` or `gl`; see above for why `gl` tunes at the minimal level).
wgpu_pass() {
  local name=$1 api=$2 engine=$3 started=$SECONDS status=0 level=
  shift 3
  [[ $api == gl ]] && level=minimal
  env NURIE_GPU_API="$api" CUBECL_ENVIRONMENT="wgpu-tests-$name" ${level:+CUBECL_AUTOTUNE_LEVEL=$level} \
    "$engine" "$@" --test-threads=1 || status=$?
  echo "test.sh: the wgpu tests, $name, took $((SECONDS - started)) s"
  return "$status"
}
step wgpu_passes
