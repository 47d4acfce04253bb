#!/usr/bin/env bash
# Installs what synscope needs to build and test, from Debian/Ubuntu packages. Idempotent: only
# missing packages are installed. Needs root (or sudo).
set -euo pipefail
packages=(build-essential cmake ninja-build pkg-config libpcap-dev libcli11-dev doctest-dev
          tcpdump tshark iproute2 iputils-ping nftables python3 ethtool)
if [[ "${SYNSCOPE_EXTRA_PACKAGES:-}" != "" ]]; then
  # shellcheck disable=SC2206
  packages+=(${SYNSCOPE_EXTRA_PACKAGES})
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi
SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 2; }
  SUDO=sudo
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
