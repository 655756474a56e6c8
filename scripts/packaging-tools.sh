#!/usr/bin/env bash
# Installs the tools scripts/package.sh runs, once per machine (outside the clone, by version):
# cargo-packager, pinned, unless the right version is on PATH, and for AppImages the linuxdeploy tools
# (scripts/appimage-tools.sh). Prints the cargo-packager to run on its last line.
#   scripts/packaging-tools.sh [FORMATS]      default: deb,appimage
# CI starts it in the background at the beginning (.ci/run): it compiles while the test build leaves a
# core idle, instead of after the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

formats=${1:-deb,appimage}
packager_version=0.11.8
tools=${NURIE_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/nurie-tools}/cargo-packager-$packager_version

say() { echo "packaging-tools.sh: $*" >&2; }

# An unoptimized build: it only copies files and runs linuxdeploy, and compiles in a third of the time.
packager=cargo-packager
if ! cargo-packager --version 2>/dev/null | grep -q " $packager_version"; then
  packager=$tools/bin/cargo-packager
  if ! "$packager" --version 2>/dev/null | grep -q " $packager_version"; then
    say "installing cargo-packager $packager_version into $tools (once per machine)"
    cargo install --quiet --locked --debug --root "$tools" cargo-packager --version "$packager_version"
  fi
fi

# The AppImage step runs linuxdeploy, which cargo-packager downloads from GitHub into its cache when it
# is missing. Where GitHub cannot be reached, scripts/appimage-tools.sh puts the same tools there from
# a pinned package on PyPI.
if [[ ",$formats," == *",appimage,"* ]]; then
  scripts/appimage-tools.sh
fi
echo "$packager"
