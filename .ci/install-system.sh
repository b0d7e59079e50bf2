#!/usr/bin/env bash
# Installs the system packages the test suite needs on a fresh Debian bookworm machine:
#  - Mesa >= 24 lavapipe (a CPU Vulkan driver) from bookworm-backports when no WebGPU adapter works,
#  - Debian's Chromium for the Playwright end-to-end tests,
#  - poppler-utils / libreoffice-free tools are NOT needed: document fixtures are committed.
# The backports mirror URI is read from the machine's own apt sources; no host is written here.
set -euo pipefail
SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
need_update=1
apt_update() { if ((need_update)); then $SUDO apt-get update -qq; need_update=0; fi; }

mesa_ok() {
  # Dawn needs Mesa >= 24 for lavapipe; a real GPU driver also satisfies us (checked later by `longread gpu`).
  local v
  v=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
  [[ -n $v ]] && dpkg --compare-versions "$v" ge 24
}

if ! mesa_ok; then
  src=/etc/apt/sources.list.d/debian.sources
  uri=""
  if [[ -f $src ]]; then uri=$(awk '/^URIs:/{print $2; exit}' "$src"); fi
  if [[ -z $uri && -f /etc/apt/sources.list ]]; then uri=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list); fi
  [[ -n $uri ]] || { echo "cannot find the Debian mirror URI in apt sources" >&2; exit 1; }
  if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$uri" \
      | $SUDO tee /etc/apt/sources.list.d/backports.sources >/dev/null
  fi
  apt_update
  $SUDO apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers libvulkan1 >/dev/null
fi

if [[ ! -x /usr/bin/chromium ]]; then
  apt_update
  $SUDO apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
fi
echo "system packages ready: mesa $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers), $(/usr/bin/chromium --version 2>/dev/null || echo 'chromium missing')"
