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
# Through Vulkan, where cubecl compiles its kernels to SPIR-V, as on NVIDIA, AMD and Intel cards.
# (`NURIE_GPU_API=gl` runs the same tests through OpenGL and cubecl's WGSL compiler, as under DX12 and on
# Macs before macOS 15; CI does not run it yet: lavapipe's compiles make it too long, see issue 22's note.)
step env NURIE_GPU_API=vulkan cargo test --locked --test engine -- wgpu --test-threads=1
