#!/usr/bin/env bash
# A scripted check of the system clipboard under a virtual X display: text copied with xclip (as a
# prompt copied from a browser would be) is pasted with Ctrl+V into the prompt box of the real window,
# and the saved settings then hold it.
#   scripts/check-paste.sh [NURIE_BINARY]     default: target/debug/nurie
# Needs Xvfb, xclip and xdotool (scripts/install-deps.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
binary=$(realpath "${1:-target/debug/nurie}")
text='1girl, 桜の木の下で, (watercolor:1.2), flat color'

say() { echo "check-paste.sh: $*" >&2; }
fail() { say "FAILED: $*"; exit 1; }
[[ -x $binary ]] || fail "no $binary; build it first (cargo build)"
for tool in Xvfb xclip xdotool python3; do
  command -v "$tool" >/dev/null || fail "$tool is missing (scripts/install-deps.sh installs it)"
done

display=:$((200 + RANDOM % 50))
scratch=$(mktemp -d)
home=$scratch/home runtime=$scratch/runtime log=$scratch/nurie.log
mkdir -p "$home" "$runtime"; chmod 700 "$runtime"
# A returning user's window in English (the welcome screen has no prompt box), on the CPU (so no notice
# about a missing GPU moves the prompt box down).
printf '{"welcome_done": true, "language": "english", "device": "cpu", "form": {"prompt": ""}}' >"$home/settings.json"
Xvfb "$display" -screen 0 1400x900x24 >/dev/null 2>&1 &
xvfb=$!
cleanup() { kill "${app:-}" "${xvfb}" 2>/dev/null || true; rm -rf "$scratch"; }
trap cleanup EXIT
sleep 1
export DISPLAY=$display XDG_RUNTIME_DIR=$runtime NURIE_HOME=$home

"$binary" >"$log" 2>&1 &
app=$!
window=""
for _ in $(seq 90); do
  window=$(xdotool search --name '^Nurie' 2>/dev/null | head -n 1 || true)
  [[ -n $window ]] && break
  kill -0 "$app" 2>/dev/null || { cat "$log" >&2; fail "nurie exited before its window opened"; }
  sleep 1
done
[[ -n $window ]] || { cat "$log" >&2; fail "no window titled Nurie after 90 s"; }
sleep 3

printf '%s' "$text" | xclip -selection clipboard 2>/dev/null
# The prompt box: the left panel's first text field, under the model bar and the "Prompt" heading. The
# window sits at the screen's corner; with no window manager to give it the keyboard, xdotool does. The
# keys then go through XTEST, as typed ones.
xdotool windowfocus --sync "$window"
xdotool mousemove 160 120 click 1
sleep 1
xdotool key ctrl+v
# The window saves changed settings every 2 s.
prompt=""
for _ in $(seq 10); do
  sleep 1
  prompt=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["form"]["prompt"], end="")' "$home/settings.json" 2>/dev/null || true)
  [[ $prompt == "$text" ]] && break
done
if [[ $prompt != "$text" ]]; then
  shot=$PWD/target/check-paste.png
  mkdir -p target && xwd -root -silent | convert xwd:- "$shot" 2>/dev/null || true
  cat "$log" >&2
  fail "the prompt box holds '$prompt', not the pasted '$text' (screenshot: $shot)"
fi
say "ok: the text copied with xclip was pasted into the prompt box"
