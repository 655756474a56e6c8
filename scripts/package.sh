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

say() { echo "package.sh: $*" >&2; }

# cargo-packager and the AppImage tools, installed once per machine.
packager=$(scripts/packaging-tools.sh "$formats" | tail -n 1)

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
