#!/usr/bin/env bash
# One short check of Nurie on a GPU machine (no internet needed): the adapters and the shader compiler
# Nurie gets, the networks' times and GPU memory at one size with and without a ControlNet on a
# full-size random checkpoint written here, the wgpu parity tests when they can run, and diffusers'
# fp16 times on the same card when a CUDA PyTorch with diffusers is importable (for the ratio).
#
#   scripts/gpu-check.sh [--nurie BINARY] [--out DIR] [--size PX] [--dtype f16|f32] [--repeats N]
#                        [--tests release|dev] [--no-parity]
#
# BINARY defaults to target/release/nurie, else target/gpu-check/nurie.zst (unpacked here: a GPU run
# may carry only a small file, and the stripped release binary compresses to about 28 MB with
# `zstd -19`). Every step runs even when an earlier one fails; the summary at the end says which
# failed, and the exit status is 1 when any did. Results (text and JSON) are written to DIR
# (default: $OUT when set, else gpu-check-out). The parity tests are the release build's (`--tests dev`:
# the debug build's, as scripts/test.sh builds them).
set -uo pipefail
cd "$(dirname "$0")/.."

nurie=""
out="${OUT:-gpu-check-out}"
size=512
dtype=f16
repeats=3
parity=yes
tests_profile=release
while [[ $# -gt 0 ]]; do
  case "$1" in
    --nurie) nurie="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --size) size="$2"; shift 2 ;;
    --dtype) dtype="$2"; shift 2 ;;
    --repeats) repeats="$2"; shift 2 ;;
    --tests) tests_profile="$2"; shift 2 ;;
    --no-parity) parity=no; shift ;;
    *) echo "gpu-check.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"
out=$(cd "$out" && pwd)

failed=()
started=$SECONDS
# Runs one named step, its output shown and kept in $out/NAME.txt, and its time said.
step() {
  local name=$1; shift
  local at=$SECONDS
  echo "== $name: $*"
  if "$@" 2>&1 | tee "$out/$name.txt"; then
    echo "== $name: ok ($((SECONDS - at)) s)"
  else
    echo "== $name: FAILED ($((SECONDS - at)) s)"
    failed+=("$name")
  fi
}

find_nurie() {
  if [[ -n "$nurie" ]]; then return; fi
  if [[ -x target/release/nurie ]]; then nurie=target/release/nurie; return; fi
  if [[ -f target/gpu-check/nurie.zst ]]; then
    if command -v zstd >/dev/null; then
      zstd -d -q -f target/gpu-check/nurie.zst -o "$out/nurie"
    else
      python3 -c 'import sys, zstandard; zstandard.ZstdDecompressor().copy_stream(open(sys.argv[1], "rb"), open(sys.argv[2], "wb"))' \
        target/gpu-check/nurie.zst "$out/nurie"
    fi
    chmod +x "$out/nurie"
    nurie="$out/nurie"
    return
  fi
  echo "gpu-check.sh: no nurie binary: build it with cargo build --release, or give --nurie" >&2
  exit 2
}

# lavapipe and some drivers want a private runtime dir.
if [[ -z "${XDG_RUNTIME_DIR:-}" || ! -d "${XDG_RUNTIME_DIR}" ]]; then
  XDG_RUNTIME_DIR=$(mktemp -d); chmod 700 "$XDG_RUNTIME_DIR"; export XDG_RUNTIME_DIR
fi
export NURIE_HOME="$out/home"
find_nurie
echo "gpu-check: $("$nurie" --version 2>/dev/null || echo nurie), size ${size}², $dtype, out $out"

if command -v nvidia-smi >/dev/null; then
  step driver nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
fi
step devices "$nurie" devices

models="$out/models"
step random-model "$nurie" bench random-model --out "$models" --controlnet
checkpoint="$models/sd15-random-fp16.safetensors"
controlnet="$models/controlnet-lineart-random-fp16.safetensors"

# The driver's view of the memory while a bench runs: the most `nvidia-smi` saw, sampled every 200 ms.
watch_memory() {
  command -v nvidia-smi >/dev/null || return 0
  nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 200 >"$out/$1-driver-memory.txt" 2>/dev/null &
  echo $!
}
report_memory() {
  [[ -n "$2" ]] || return 0
  kill "$2" 2>/dev/null; wait "$2" 2>/dev/null
  echo "$1: the driver saw at most $(sort -n "$out/$1-driver-memory.txt" | tail -1) MiB in use"
}

bench() {
  local name=$1; shift
  local watcher
  watcher=$(watch_memory "$name")
  # Text on the terminal and the same as one JSON object in a file, for scripts/bench_torch.py --nurie.
  step "$name" "$nurie" bench --checkpoint "$checkpoint" "$@" --device gpu --dtype "$dtype" \
    --width "$size" --height "$size" --repeats "$repeats" --warmup 1 --json-file "$out/$name.json"
  report_memory "$name" "$watcher"
}
bench bench-unet
bench bench-controlnet --controlnet "$controlnet"

cargo_profile=(--release)
if [[ $tests_profile == dev ]]; then
  cargo_profile=()
  # The build scripts/test.sh makes: clippy-driver compiles Nurie's crate there (same code, no rebuild).
  RUSTC_WORKSPACE_WRAPPER="$(dirname "$(rustup which cargo 2>/dev/null || command -v cargo)")/clippy-driver"
  export RUSTC_WORKSPACE_WRAPPER CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
fi
# The parity tests need cargo and the crates offline (the test binaries know the fixtures' path only
# where they were built).
if [[ $parity == no ]]; then
  echo "== parity: skipped (--no-parity)"
elif command -v cargo >/dev/null && cargo test --offline "${cargo_profile[@]}" --test engine --no-run >/dev/null 2>&1; then
  step parity cargo test --offline "${cargo_profile[@]}" --test engine -- wgpu --test-threads=1
else
  echo "== parity: skipped (cargo cannot build the engine tests offline here)"
fi

if python3 -c 'import torch, diffusers; assert torch.cuda.is_available()' 2>/dev/null; then
  step torch python3 scripts/bench_torch.py --device cuda --dtype "$dtype" --width "$size" --height "$size" \
    --controlnet --repeats "$repeats" --nurie "$out/bench-controlnet.json"
else
  echo "== torch: skipped (no CUDA PyTorch with diffusers importable)"
fi

rm -rf "$models"
echo "gpu-check: $((SECONDS - started)) s in all"
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "gpu-check: failed: ${failed[*]}"
  exit 1
fi
echo "gpu-check: every step passed or was skipped"
