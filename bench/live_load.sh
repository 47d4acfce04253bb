#!/usr/bin/env bash
# Load test of live capture: tcpreplay pushes a synthetic capture through a veth pair at full speed while
# (a) `synscope live --conns-only` and (b) `tcpdump -w /dev/null` capture the other end, one after the
# other, on the same traffic. Prints packets/s offered and, for each capturer, packets seen and kernel
# drops. Root only; needs tcpreplay and the generator (bench/, -DSYNSCOPE_BENCH=ON).
#   bash bench/live_load.sh [BUILD_DIR=build-bench] [PACKETS=300000]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${1:-$here/build-bench}"
PACKETS="${2:-300000}"
SRC="$here"
source "$here/tests/netns/lib.sh"
require_root
require_cmds tcpreplay tcpdump
[[ -x "$BUILD/synscope" && -x "$BUILD/bench/synscope_gen" ]] || {
  cmake -S "$here" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSYNSCOPE_BENCH=ON -DSYNSCOPE_TESTS=OFF >/dev/null
  cmake --build "$BUILD" -j"$(nproc)" >/dev/null
}
TMP=$(mktemp -d)
netns_init load
netns_on_cleanup "rm -rf '$TMP'"
"$BUILD/bench/synscope_gen" --packets "$PACKETS" --seed 7 -o "$TMP/load.pcap" >/dev/null
ns_add tx rx
veth_add tx eth0 rx eth0

run_one() {  # NAME CMD... : capture in rx while tcpreplay sends from tx
  local label="$1"; shift
  local name="${label%% *}"
  ip netns exec "$(ns_name rx)" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
  local pid=$!
  sleep 1
  local t0 t1
  t0=$(date +%s.%N)
  ns_exec tx tcpreplay -q --topspeed -i eth0 "$TMP/load.pcap" >"$TMP/$name.replay" 2>&1
  t1=$(date +%s.%N)
  sleep 1
  kill -INT "$pid"; wait "$pid" || true
  local rate
  rate=$(awk -v n="$PACKETS" -v a="$t0" -v b="$t1" 'BEGIN{printf "%.0f", n/(b-a)}')
  printf '%-28s offered %9s pkt/s  ' "$label" "$rate"
  case "$name" in
    synscope*) grep -E "packets (shown|dropped by kernel)" "$TMP/$name.err" | awk '{printf "%s %s %s %s  ", $1, $2, $3, $4}' ;;
    tcpdump*)  grep -E "packets (captured|dropped by kernel)" "$TMP/$name.err" | awk '{printf "%s %s %s %s  ", $1, $2, $3, $4}' ;;
  esac
  echo
}
echo "live load: $PACKETS packets replayed at top speed over veth (2 cores; the sender shares them)"
run_one "synscope live --conns-only" "$BUILD/synscope" live -i eth0 --conns-only --user root ${SYNSCOPE_LIVE_ARGS:-}
run_one "tcpdump -w /dev/null" tcpdump -n -i eth0 -w /dev/null ${TCPDUMP_ARGS:-}
