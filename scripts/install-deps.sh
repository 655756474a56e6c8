#!/usr/bin/env bash
# Installs the system packages Nurie needs, only those missing (Debian/Ubuntu; elsewhere it prints the list).
#   Vulkan loader + Mesa's software Vulkan (lavapipe): the GPU path runs — and is tested — without a GPU.
#   X11/Wayland client libraries, Xvfb, xwd and xdotool: the window, GUI tests, screenshots and frame
#   timings on a headless machine.
set -euo pipefail

PACKAGES=(
  libvulkan1 mesa-vulkan-drivers vulkan-tools
  xvfb xauth x11-utils x11-apps xdotool xclip imagemagick
  libx11-6 libxcursor1 libxrandr2 libxi6 libxkbcommon-x11-0
  libgl1 libegl1 libgl1-mesa-dri libwayland-client0 libwayland-egl1
  libfontconfig1 fonts-dejavu-core
)

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "install-deps: not a Debian-based system; please install the equivalents of: ${PACKAGES[*]}" >&2
  exit 0
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "install-deps: please install, as root: apt-get install --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
  SUDO=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
