#!/usr/bin/env bash
# Opens Nurie's window under a virtual X display with the fixture models and saves a screenshot.
#   scripts/screenshot.sh [OUT.png] [NURIE_BINARY]
# Defaults: assets/screenshots/workspace.png and target/debug/nurie (build it first: cargo build).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-assets/screenshots/workspace.png}
binary=${2:-target/debug/nurie}
command -v Xvfb >/dev/null || { echo "screenshot.sh: Xvfb missing; run scripts/install-deps.sh" >&2; exit 1; }
[[ -x "$binary" ]] || { echo "screenshot.sh: $binary not built; run cargo build" >&2; exit 1; }

home=$(mktemp -d)
runtime=$(mktemp -d); chmod 700 "$runtime"
fixtures="$PWD/tests/fixtures"
cat > "$home/settings.json" <<JSON
{
  "language": "english",
  "checkpoint": "$fixtures/parity/sd15-dev-fp16.safetensors",
  "recent": {"checkpoints": ["$fixtures/parity/sd15-dev-fp16.safetensors"],
             "controlnets": ["$fixtures/parity/controlnet-lineart-dev-fp16.safetensors"]},
  "device": "cpu",
  "form": {"prompt": "1girl, flat color, 線画に色を塗る", "steps": 4, "width": 512, "height": 512,
           "units": [{"line_art": "$fixtures/control/lineart_input.png",
                      "controlnet": "$fixtures/parity/controlnet-lineart-dev-fp16.safetensors"}]}
}
JSON
display=:$((90 + RANDOM % 100))
Xvfb "$display" -screen 0 1400x900x24 >/dev/null 2>&1 &
xvfb=$!
trap 'kill $app $xvfb 2>/dev/null || true; rm -rf "$home" "$runtime"' EXIT
sleep 1
DISPLAY=$display NURIE_HOME=$home XDG_RUNTIME_DIR=$runtime WAYLAND_DISPLAY= "$binary" &
app=$!
sleep "${NURIE_SCREENSHOT_WAIT:-8}"
kill -0 "$app" || { echo "screenshot.sh: nurie exited early" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
xwd -root -display "$display" -silent | convert xwd:- "$out"
echo "$out"
