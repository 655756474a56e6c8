#!/usr/bin/env bash
# Installs the .deb from scripts/package.sh the way a user would (apt, which pulls its dependencies),
# checks what it put on the system, starts the installed `nurie` under a virtual X display with a fresh
# home (a first start), checks that the window opens on the welcome screen, takes a screenshot, runs
# the AppImage, and uninstalls. Needs root (apt) and Xvfb; installs what it lacks.
#   (apt runs as root, or through sudo.)
#   scripts/test-package.sh [SCREENSHOT.png]     default: target/packages/first-run.png
set -euo pipefail
cd "$(dirname "$0")/.."
screenshot=${1:-$PWD/target/packages/first-run.png}

say() { echo "test-package.sh: $*" >&2; }
fail() { say "FAILED: $*"; exit 1; }

# apt needs root: as root directly, else through sudo.
if [[ $(id -u) == 0 ]]; then as_root() { "$@"; }
elif command -v sudo >/dev/null; then as_root() { sudo "$@"; }
else fail "run as root or with sudo available (it installs the package with apt)"; fi
deb=$(ls -t target/packages/*.deb 2>/dev/null | head -n 1)
appimage=$(ls -t target/packages/*.AppImage 2>/dev/null | head -n 1)
[[ -n $deb ]] || fail "no .deb in target/packages; run scripts/package.sh first"

missing=()
for tool in Xvfb:xvfb xwd:x11-apps convert:imagemagick xdotool:xdotool desktop-file-validate:desktop-file-utils; do
  command -v "${tool%%:*}" >/dev/null || missing+=("${tool#*:}")
done
if (( ${#missing[@]} )); then
  as_root apt-get install -y -q "${missing[@]}" >/dev/null || { as_root apt-get update -q >/dev/null && as_root apt-get install -y -q "${missing[@]}" >/dev/null; }
fi

say "installing $deb"
as_root apt-get install -y -q "./$deb" >/dev/null || { as_root apt-get update -q >/dev/null && as_root apt-get install -y -q "./$deb" >/dev/null; }
dpkg -s nurie | grep -q '^Status: install ok installed' || fail "dpkg does not list nurie as installed"
[[ -x /usr/bin/nurie ]] || fail "/usr/bin/nurie missing"
desktop=/usr/share/applications/nurie.desktop
[[ -f $desktop ]] || desktop=$(dpkg -L nurie | grep '\.desktop$' | head -n 1)
[[ -f $desktop ]] || fail "no .desktop entry installed"
desktop-file-validate "$desktop" || fail "$desktop is not a valid desktop entry"
for size in 16 32 48 128 256 512; do
  dpkg -L nurie | grep -q "icons/hicolor/${size}x${size}/apps/nurie.png" || fail "no ${size}x${size} icon installed"
done
version=$(/usr/bin/nurie --version)
[[ $version == "nurie $(grep -m1 '^version' Cargo.toml | cut -d'"' -f2)" ]] || fail "nurie --version says '$version'"
say "installed: $version, $desktop, icons 16–512"

# A first start: empty home and data folders, English, no GPU here (lavapipe or nothing).
home=$(mktemp -d)
runtime=$(mktemp -d); chmod 700 "$runtime"
display=:$((150 + RANDOM % 50))
Xvfb "$display" -screen 0 1400x900x24 >/dev/null 2>&1 &
xvfb=$!
log=$(mktemp)
cleanup() { kill "${app:-}" "$xvfb" 2>/dev/null || true; rm -rf "$home" "$runtime" "$log"; }
trap cleanup EXIT
sleep 1
env -i PATH=/usr/bin:/bin HOME="$home" DISPLAY="$display" XDG_RUNTIME_DIR="$runtime" LANG=C.UTF-8 \
  /usr/bin/nurie >"$log" 2>&1 &
app=$!
window=""
for _ in $(seq 60); do
  window=$(DISPLAY=$display xdotool search --name '^Nurie' 2>/dev/null | head -n 1 || true)
  [[ -n $window ]] && break
  kill -0 "$app" 2>/dev/null || { cat "$log" >&2; fail "nurie exited before its window opened"; }
  sleep 1
done
[[ -n $window ]] || { cat "$log" >&2; fail "no window titled Nurie after 60 s"; }
sleep "${NURIE_SCREENSHOT_WAIT:-6}"
kill -0 "$app" 2>/dev/null || { cat "$log" >&2; fail "nurie exited after opening its window"; }
grep -q "first start: showing the welcome screen" "$log" || { cat "$log" >&2; fail "the window did not open on the welcome screen"; }
mkdir -p "$(dirname "$screenshot")"
DISPLAY=$display xwd -root -silent | convert xwd:- "$screenshot"
say "window '$(DISPLAY=$display xdotool getwindowname "$window")' open on the welcome screen; screenshot: $screenshot"
kill "$app"; wait "$app" 2>/dev/null || true

if [[ -n $appimage ]]; then
  chmod +x "$appimage"
  appimage_version=$(APPIMAGE_EXTRACT_AND_RUN=1 "$appimage" --version)
  [[ $appimage_version == "$version" ]] || fail "the AppImage says '$appimage_version'"
  say "AppImage runs: $appimage_version"
fi

say "uninstalling"
as_root apt-get remove -y -q nurie >/dev/null
[[ ! -e /usr/bin/nurie ]] || fail "/usr/bin/nurie is still there after apt-get remove"
say "ok"
