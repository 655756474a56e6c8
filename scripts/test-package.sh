#!/usr/bin/env bash
# Installs the .deb from scripts/package.sh the way a user would (apt, which pulls its dependencies),
# checks what it put on the system, starts the installed `nurie` under a virtual X display with a fresh
# home (a first start), checks that the window opens on the welcome screen, takes a screenshot, does the
# same with the AppImage, and uninstalls. Needs root (apt) and Xvfb; installs what it lacks.
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

# A first start of `$@` on an empty home (English, no GPU here: lavapipe or nothing): the window titled
# Nurie must open on the welcome screen and stay up; a screenshot goes to $screenshot_to when set.
display=:$((150 + RANDOM % 50))
Xvfb "$display" -screen 0 1400x900x24 >/dev/null 2>&1 &
xvfb=$!
scratch=$(mktemp -d)
cleanup() { kill "${app:-}" "$xvfb" 2>/dev/null || true; rm -rf "$scratch"; }
trap cleanup EXIT
sleep 1
first_start() {
  local what=$1; shift
  local home=$scratch/$what-home runtime=$scratch/$what-runtime log=$scratch/$what.log window=""
  mkdir -p "$home" "$runtime"; chmod 700 "$runtime"
  env -i PATH=/usr/bin:/bin HOME="$home" DISPLAY="$display" XDG_RUNTIME_DIR="$runtime" LANG=C.UTF-8 "$@" >"$log" 2>&1 &
  app=$!
  for _ in $(seq 90); do
    window=$(DISPLAY=$display xdotool search --name '^Nurie' 2>/dev/null | head -n 1 || true)
    [[ -n $window ]] && break
    kill -0 "$app" 2>/dev/null || { cat "$log" >&2; fail "$what: nurie exited before its window opened"; }
    sleep 1
  done
  [[ -n $window ]] || { cat "$log" >&2; fail "$what: no window titled Nurie after 90 s"; }
  sleep "${NURIE_SCREENSHOT_WAIT:-6}"
  kill -0 "$app" 2>/dev/null || { cat "$log" >&2; fail "$what: nurie exited after opening its window"; }
  grep -q "first start: showing the welcome screen" "$log" || { cat "$log" >&2; fail "$what: the window did not open on the welcome screen"; }
  if [[ -n ${screenshot_to:-} ]]; then
    mkdir -p "$(dirname "$screenshot_to")"
    DISPLAY=$display xwd -root -silent | convert xwd:- "$screenshot_to"
  fi
  say "$what: window '$(DISPLAY=$display xdotool getwindowname "$window")' open on the welcome screen"
  # The app and everything it started (the AppImage runtime runs it as a child).
  pkill -P "$app" 2>/dev/null || true
  kill "$app" 2>/dev/null || true
  wait "$app" 2>/dev/null || true
  sleep 1
}

screenshot_to=$screenshot first_start deb /usr/bin/nurie
say "screenshot: $screenshot"

if [[ -n $appimage ]]; then
  chmod +x "$appimage"
  appimage_version=$(APPIMAGE_EXTRACT_AND_RUN=1 "$appimage" --version 2>/dev/null)
  [[ $appimage_version == "$version" ]] || fail "the AppImage says '$appimage_version'"
  # No FUSE in containers: the AppImage unpacks itself to a temporary folder and runs from there.
  first_start appimage APPIMAGE_EXTRACT_AND_RUN=1 "$PWD/$appimage"
  say "AppImage runs: $appimage_version"
fi

say "uninstalling"
as_root apt-get remove -y -q nurie >/dev/null
[[ ! -e /usr/bin/nurie ]] || fail "/usr/bin/nurie is still there after apt-get remove"
say "ok"
