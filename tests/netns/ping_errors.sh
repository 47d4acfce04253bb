#!/usr/bin/env bash
# ICMP errors matched to our probes through the quoted header and reported with the router's address:
# time exceeded (-t 1) and unreachable routes, IPv4 and IPv6, raw and dgram sockets; counts and exit
# codes equal to iputils'.
set -euo pipefail
# shellcheck source=ping_topology.sh
source "$(dirname "$0")/ping_topology.sh"
ping_setup errors
ping_workdir
# dgram sockets need our group (root: 0) in ping_group_range; the sysctl is per namespace.
ns_sysctl cli net.ipv4.ping_group_range="0 0"

for sock in raw dgram; do
  ns_exec cli "$SYNSCOPE_BIN" ping --socket "$sock" -c 2 -i 0.2 -t 1 "$SRV4" >"$WORK/ttl4.$sock" 2>&1 && fail "ttl4 $sock: exit 0"
  expect_grep "ttl4 $sock" "$WORK/ttl4.$sock" "^From $RTR4 icmp_seq=2 Time to live exceeded$"
  expect_grep "ttl4 $sock" "$WORK/ttl4.$sock" "^2 packets transmitted, 0 received, \+2 errors, 100% packet loss"
  ns_exec cli "$SYNSCOPE_BIN" ping --socket "$sock" -c 2 -i 0.2 -t 1 "$SRV6" >"$WORK/ttl6.$sock" 2>&1 && fail "ttl6 $sock: exit 0"
  expect_grep "ttl6 $sock" "$WORK/ttl6.$sock" "^From $RTR6 icmp_seq=1 Time exceeded: Hop limit$"
  ns_exec cli "$SYNSCOPE_BIN" ping --socket "$sock" -c 2 -i 0.2 "$UNREACH6" >"$WORK/unr6.$sock" 2>&1 && fail "unr6 $sock: exit 0"
  expect_grep "unr6 $sock" "$WORK/unr6.$sock" "^From $RTR6 icmp_seq=2 Destination unreachable: No route$"
  echo "ok errors over $sock sockets"
done

# Same cases next to iputils (which uses its own socket choice; counts must agree).
compare_iputils ttl4 cli -c 3 -i 0.2 -t 1 "$SRV4"
compare_iputils ttl6 cli -c 3 -i 0.2 -t 1 "$SRV6"
compare_iputils ttl4-deadline cli -c 3 -w 3 -i 0.2 -t 1 "$SRV4"
compare_iputils unr6 cli -c 3 -i 0.2 "$UNREACH6"
compare_iputils ttl2-reaches cli -c 2 -i 0.2 -t 2 "$SRV4"
ping_unreachable_pause
ns_exec cli ping -c 2 -i 1.1 "$UNREACH4" >"$WORK/unr4.iputils" 2>&1 || true
ping_unreachable_pause
ns_exec cli "$SYNSCOPE_BIN" ping -c 2 -i 1.1 "$UNREACH4" >"$WORK/unr4.synscope" 2>&1 && fail "unr4: exit 0"
expect_grep unr4 "$WORK/unr4.synscope" "^From $RTR4 icmp_seq=1 Destination Host Unreachable$"
[[ "$(counts "$WORK/unr4.synscope")" == "$(counts "$WORK/unr4.iputils")" ]] ||
  { cat "$WORK"/unr4.* >&2; fail "unr4: counts differ from iputils"; }
echo "ok unr4 (same as iputils: $(counts "$WORK/unr4.synscope"))"
ping_unreachable_pause
ns_exec cli "$SYNSCOPE_BIN" ping --socket dgram -c 1 "$UNREACH4" >"$WORK/unr4.dgram" 2>&1 && fail "unr4 dgram: exit 0"
expect_grep "unr4 dgram" "$WORK/unr4.dgram" "^From $RTR4 icmp_seq=1 Destination Host Unreachable$"

# Several hosts at once: each error line names whose probe it was, each host gets its own block.
ns_exec cli "$SYNSCOPE_BIN" ping -c 2 -i 0.2 -t 1 "$SRV4" "$SRV6" >"$WORK/multi" 2>&1 && fail "multi: exit 0"
expect_grep multi "$WORK/multi" "^From $RTR4 icmp_seq=2 Time to live exceeded \(to $SRV4\)$"
expect_grep multi "$WORK/multi" "^From $RTR6 icmp_seq=2 Time exceeded: Hop limit \(to $SRV6\)$"
[[ $(grep -c '^2 packets transmitted, 0 received, +2 errors' "$WORK/multi") -eq 2 ]] || { cat "$WORK/multi" >&2; fail "multi: blocks"; }
echo "ok multi-host errors"

# JSON error lines carry the ICMP type/code and the router.
ns_exec cli "$SYNSCOPE_BIN" ping --json -c 1 -t 1 "$SRV4" >"$WORK/json" 2>&1 && fail "json: exit 0"
python3 - "$WORK/json" "$RTR4" <<'PY' || fail "json error line"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
err = [l for l in lines if l["type"] == "error"]
assert len(err) == 1, lines
e = err[0]
assert e["icmp_type"] == 11 and e["icmp_code"] == 0 and e["from"] == sys.argv[2] and e["seq"] == 1, e
assert e["reason"] == "Time to live exceeded", e
s = [l for l in lines if l["type"] == "summary"][0]
assert s["errors"] == 1 and s["received"] == 0 and s["exit"] == 1, s
PY
echo "ok json errors"

# --explain on an error-only run still shows the socket; with -t 1 no reply breakdown follows.
ns_exec cli "$SYNSCOPE_BIN" ping --explain -c 1 -t 1 "$SRV4" >"$WORK/explain" 2>&1 || true
expect_grep explain "$WORK/explain" "IP_TTL=1"
echo "ping errors: ok"
