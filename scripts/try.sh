#!/usr/bin/env bash
# One command for a fresh machine: install dependencies, build, and read a bundled capture.
#   bash scripts/try.sh [CAPTURE] [synscope read options...]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DSYNSCOPE_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
capture=${1:-captures/handshake.pcap}
shift || true
./build/synscope read "$capture" "$@"
