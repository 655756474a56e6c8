#!/usr/bin/env bash
# Measures how smooth the window stays while a model loads and a picture is generated: runs Nurie under
# a virtual X display with NURIE_FRAME_STATS=1, presses Ctrl+Enter, keeps moving the mouse over the window
# (so frames keep coming, as when a user works), and prints the frame-time summary the app writes when the
# job ends (longest UI work per frame, longest time between two frames).
#   scripts/frame-times.sh [CHECKPOINT [CONTROLNET [NURIE_BINARY]]]
# Defaults: the fixture models and target/debug/nurie (build it first). Environment: WIDTH, HEIGHT,
# STEPS (defaults 512, 512, 4), DEVICE (cpu), TIMEOUT in seconds (1800).
# Needs Xvfb and xdotool (scripts/install-deps.sh installs both).
set -euo pipefail
cd "$(dirname "$0")/.."
fixtures="$PWD/tests/fixtures"
checkpoint=$(realpath "${1:-$fixtures/parity/sd15-dev-fp16.safetensors}")
controlnet=$(realpath "${2:-$fixtures/parity/controlnet-lineart-dev-fp16.safetensors}")
binary=${3:-target/debug/nurie}
for tool in Xvfb xdotool; do
    command -v "$tool" >/dev/null || { echo "frame-times.sh: $tool missing; run scripts/install-deps.sh" >&2; exit 1; }
done
[[ -x "$binary" ]] || { echo "frame-times.sh: $binary not built; run cargo build" >&2; exit 1; }

home=$(mktemp -d)
runtime=$(mktemp -d); chmod 700 "$runtime"
log="$home/nurie.log"
cat > "$home/settings.json" <<JSON
{
  "language": "english",
  "checkpoint": "$checkpoint",
  "recent": {"checkpoints": ["$checkpoint"], "controlnets": ["$controlnet"]},
  "device": "${DEVICE:-cpu}",
  "output_folder": "$home/outputs",
  "form": {"prompt": "1girl, flat color, 線画に色を塗る", "steps": ${STEPS:-4},
           "width": ${WIDTH:-512}, "height": ${HEIGHT:-512}, "seed": 1,
           "units": [{"line_art": "$fixtures/control/lineart_input.png", "controlnet": "$controlnet"}]}
}
JSON
display=:$((90 + RANDOM % 100))
Xvfb "$display" -screen 0 1400x900x24 >/dev/null 2>&1 &
xvfb=$!
app=
mover=
trap 'kill $mover $app $xvfb 2>/dev/null || true; rm -rf "$home" "$runtime"' EXIT
sleep 1
DISPLAY=$display NURIE_HOME=$home XDG_RUNTIME_DIR=$runtime WAYLAND_DISPLAY= NURIE_FRAME_STATS=1 "$binary" 2>"$log" &
app=$!
# The window is up and the checkpoint is loading; queue the generation as a user would.
for _ in $(seq 60); do
    window=$(DISPLAY=$display xdotool search --name '^Nurie' 2>/dev/null | head -n1) && [[ -n $window ]] && break
    sleep 1
done
[[ -n ${window:-} ]] || { echo "frame-times.sh: the window did not appear" >&2; cat "$log" >&2; exit 1; }
sleep 2
DISPLAY=$display xdotool windowfocus --sync "$window" key --window "$window" ctrl+Return
started=$(date +%s)
# A user moving the mouse over the result: each move asks the window for a frame, 20 times a second.
(
    while :; do
        DISPLAY=$display xdotool mousemove --window "$window" 1000 400 && sleep 0.025
        DISPLAY=$display xdotool mousemove --window "$window" 1040 440 && sleep 0.025
    done
) >/dev/null 2>&1 &
mover=$!
until grep -q '^frame stats' "$log"; do
    kill -0 "$app" 2>/dev/null || { echo "frame-times.sh: nurie exited" >&2; cat "$log" >&2; exit 1; }
    (( $(date +%s) - started < ${TIMEOUT:-1800} )) || { echo "frame-times.sh: no result in time" >&2; exit 1; }
    sleep 2
done
echo "generation took about $(( $(date +%s) - started )) s; pictures written: $(ls "$home/outputs" 2>/dev/null | wc -l)"
grep '^frame stats' "$log"
