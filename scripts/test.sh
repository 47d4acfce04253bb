#!/usr/bin/env bash
# One command for a fresh machine: install dependencies, build with warnings as errors, run the whole
# test suite (unit, golden/CLI, differential against tshark/tcpdump/Zeek baselines, network-namespace
# tests when root). With SYNSCOPE_SANITIZE=1 it builds and tests with ASan+UBSan instead.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
build=build-test
flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DSYNSCOPE_WERROR=ON)
if [[ "${SYNSCOPE_SANITIZE:-0}" == 1 ]]; then
  build=build-asan
  flags=(-DCMAKE_BUILD_TYPE=Debug -DSYNSCOPE_WERROR=ON -DSYNSCOPE_SANITIZE=ON)
fi
cmake -S . -B "$build" -G Ninja "${flags[@]}" >/dev/null
cmake --build "$build" -j"$(nproc)"
cd "$build"
ctest --output-on-failure -j"$(nproc)" --timeout 600
