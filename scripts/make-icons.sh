#!/usr/bin/env bash
# Renders the app icon (assets/icon/nurie.svg) into every size the installers and the window need:
# packaging/icons/NxN.png (Linux hicolor sizes; cargo-packager picks them up), nurie.ico (Windows) and
# nurie.icns (macOS). The outputs are committed; run this again after changing the SVG.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v rsvg-convert >/dev/null || ! command -v png2icns >/dev/null || ! command -v convert >/dev/null; then
  [[ $(id -u) == 0 ]] || { echo "make-icons.sh: needs librsvg2-bin, icnsutils and imagemagick (apt-get install as root)" >&2; exit 1; }
  apt-get install -y -q librsvg2-bin icnsutils imagemagick >/dev/null
fi
svg=assets/icon/nurie.svg
out=packaging/icons
mkdir -p "$out"
for size in 16 24 32 48 64 128 256 512; do
  rsvg-convert -w "$size" -h "$size" "$svg" -o "$out/${size}x${size}.png"
done
convert "$out"/{16x16,24x24,32x32,48x48,64x64,128x128,256x256}.png "$out/nurie.ico"
png2icns "$out/nurie.icns" "$out"/{16x16,32x32,48x48,128x128,256x256,512x512}.png >/dev/null
cp "$out/256x256.png" assets/icon/nurie-256.png
ls -la "$out"
