#!/usr/bin/env bash
# --tcp PORT: connect() timing to an open port (a python3 listener in the server namespace), refused
# attempts (RST from a closed port), timed-out attempts (SYNs dropped by nftables), IPv4 and IPv6, and
# the usual statistics block and exit codes. Needs no privileges, so it is also run as nobody.
set -euo pipefail
# shellcheck source=ping_topology.sh
source "$(dirname "$0")/ping_topology.sh"
ping_setup tcp
ping_workdir

# A listener that accepts and closes (dual-stack); lighter to start than http.server on a busy machine.
ns_exec srv python3 -c '
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", 8080))
s.listen(64)
while True:
    s.accept()[0].close()
' >/dev/null 2>&1 &
wait_for_port srv tcp 8080 20 || fail "listener on port 8080 did not start"
ns_exec srv nft -f - <<'EOF2'
table inet synscope_tcp {
  chain input {
    type filter hook input priority 0; policy accept;
    tcp dport 8082 drop
  }
}
EOF2

ns_exec cli "$SYNSCOPE_BIN" ping --tcp 8080 -c 3 -i 0.2 "$SRV4" >"$WORK/open4" 2>&1 || { cat "$WORK/open4" >&2; fail "open v4: exit $?"; }
expect_grep open4 "$WORK/open4" "^TCP PING $SRV4 \($SRV4\) port 8080"
expect_grep open4 "$WORK/open4" "^connected to $SRV4 port 8080: seq=3 time=[0-9.]+ ms$"
expect_grep open4 "$WORK/open4" "^3 packets transmitted, 3 received, 0% packet loss, time [0-9]+ms$"
expect_grep open4 "$WORK/open4" "^rtt min/avg/max/mdev = "
echo "ok tcp open v4"

ns_exec cli setpriv --reuid=65534 --regid=65534 --clear-groups "$SYNSCOPE_BIN" ping --tcp 8080 -c 2 -i 0.2 "$SRV6" \
  >"$WORK/open6" 2>&1 || { cat "$WORK/open6" >&2; fail "open v6 as nobody: exit $?"; }
expect_grep open6 "$WORK/open6" "^2 packets transmitted, 2 received, 0% packet loss"
echo "ok tcp open v6 (unprivileged)"

rc=0
ns_exec cli "$SYNSCOPE_BIN" ping --tcp 8081 -c 2 -i 0.2 "$SRV4" >"$WORK/closed" 2>&1 || rc=$?
[[ $rc -eq 1 ]] || { cat "$WORK/closed" >&2; fail "closed port: exit $rc, expected 1"; }
expect_grep closed "$WORK/closed" "^From $SRV4 port 8081: seq=1 Connection refused \(RST\) time="
expect_grep closed "$WORK/closed" "^2 packets transmitted, 0 received, \+2 errors, 100% packet loss"
echo "ok tcp closed (refused)"

rc=0
start=$(date +%s%N)
ns_exec cli "$SYNSCOPE_BIN" ping --tcp 8082 -c 2 -i 0.2 -W 0.5 "$SRV4" >"$WORK/dropped" 2>&1 || rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[[ $rc -eq 1 ]] || { cat "$WORK/dropped" >&2; fail "dropped SYNs: exit $rc, expected 1"; }
expect_grep dropped "$WORK/dropped" "^no answer from $SRV4 port 8082: seq=2 timeout after 500 ms$"
expect_grep dropped "$WORK/dropped" "^2 packets transmitted, 0 received, 100% packet loss"
(( ms < 3000 )) || fail "dropped SYNs: took $ms ms with -W 0.5"
echo "ok tcp timeout ($ms ms)"

ns_exec cli "$SYNSCOPE_BIN" ping --tcp 8080 --json -c 2 -i 0.2 "$SRV4" >"$WORK/json" 2>&1 || fail "json: exit $?"
python3 - "$WORK/json" <<'PY' || fail "tcp json"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
r = [l for l in lines if l["type"] == "reply"]
s = [l for l in lines if l["type"] == "summary"][0]
assert len(r) == 2 and all(x["rtt_ms"] > 0 for x in r), lines
assert s["mode"] == "tcp" and s["received"] == 2 and s["exit"] == 0, s
PY
echo "ping tcp: ok"
