#!/usr/bin/env bash
# System packages the test suite needs on a fresh Debian bookworm machine.
#   .ci/install-system.sh chromium   Debian's Chromium (the browser end-to-end tests)
#   .ci/install-system.sh mesa       Mesa >= 24 lavapipe from bookworm-backports (a CPU Vulkan
#                                    driver for Dawn; bookworm's own Mesa 22 is too old)
# The backports mirror URI is read from the machine's own apt sources: no host is written here.
set -euo pipefail
SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
updated=0
apt_update() { if ((updated == 0)); then $SUDO apt-get update -qq; updated=1; fi; }

install_mesa() {
  local src=/etc/apt/sources.list.d/debian.sources uri=""
  if [[ -f $src ]]; then uri=$(awk '/^URIs:/{print $2; exit}' "$src"); fi
  if [[ -z $uri && -f /etc/apt/sources.list ]]; then uri=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list); fi
  [[ -n $uri ]] || { echo "cannot find the Debian mirror URI in the apt sources" >&2; exit 1; }
  if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$uri" \
      | $SUDO tee /etc/apt/sources.list.d/longread-backports.sources >/dev/null
  fi
  apt_update
  $SUDO apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers libvulkan1 >/dev/null
  echo "installed: mesa-vulkan-drivers $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers)"
}

install_chromium() {
  if [[ -x /usr/bin/chromium ]]; then return; fi
  apt_update
  $SUDO apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
  echo "installed: $(/usr/bin/chromium --version 2>/dev/null)"
}

for what in "$@"; do
  case $what in
    mesa) install_mesa ;;
    chromium) install_chromium ;;
    *) echo "unknown: $what" >&2; exit 2 ;;
  esac
done
