#!/usr/bin/env bash
# Socket choice: raw first, the ping socket (SOCK_DGRAM) when CAP_NET_RAW is missing, a one-line reason
# and exit 2 when neither is allowed; --socket raw|dgram forces one. Run as root with CAP_NET_RAW taken
# away by setpriv, and net.ipv4.ping_group_range set per namespace.
set -euo pipefail
# shellcheck source=ping_topology.sh
source "$(dirname "$0")/ping_topology.sh"
require_cmds setpriv
ping_setup sockets
ping_workdir

# Root without CAP_NET_RAW (bounding and inheritable sets, so exec cannot get it back). iputils' ping
# carries file capabilities, which the kernel refuses to exec without them: use a plain copy.
IPUTILS_PING="$WORK/ping"
cp "$(command -v ping)" "$IPUTILS_PING"
noraw() { ns_exec cli setpriv --inh-caps=-net_raw --bounding-set=-net_raw "$@"; }

# 1. Neither socket allowed: exit 2, one line naming both reasons.
ns_sysctl cli net.ipv4.ping_group_range="1 0"
rc=0
noraw "$SYNSCOPE_BIN" ping -c 1 "$SRV4" >"$WORK/none.out" 2>"$WORK/none.err" || rc=$?
[[ $rc -eq 2 ]] || { cat "$WORK"/none.* >&2; fail "no socket: exit $rc, expected 2"; }
[[ $(wc -l <"$WORK/none.err") -eq 1 ]] || { cat "$WORK/none.err" >&2; fail "no socket: expected one line"; }
expect_grep none "$WORK/none.err" "CAP_NET_RAW"
expect_grep none "$WORK/none.err" 'net.ipv4.ping_group_range is "1 0"'
# iputils fails the same way (exit 2).
rc=0
noraw "$IPUTILS_PING" -c 1 "$SRV4" >/dev/null 2>&1 || rc=$?
[[ $rc -eq 2 ]] || fail "iputils without any socket: exit $rc (expected 2, as synscope)"
echo "ok no socket: $(cat "$WORK/none.err")"

# --socket raw without CAP_NET_RAW, and --socket dgram outside the group range: exit 2 with the reason.
rc=0
noraw "$SYNSCOPE_BIN" ping --socket raw -c 1 "$SRV4" 2>"$WORK/raw.err" >/dev/null || rc=$?
[[ $rc -eq 2 ]] && grep -q "needs CAP_NET_RAW" "$WORK/raw.err" || { cat "$WORK/raw.err" >&2; fail "--socket raw without CAP_NET_RAW"; }
rc=0
ns_exec cli "$SYNSCOPE_BIN" ping --socket dgram -c 1 "$SRV4" 2>"$WORK/dgram.err" >/dev/null || rc=$?
[[ $rc -eq 2 ]] && grep -q 'ping_group_range is "1 0"' "$WORK/dgram.err" || { cat "$WORK/dgram.err" >&2; fail "--socket dgram outside the range"; }
echo "ok forced sockets refused with reasons"

# 2. The ping socket allowed: without CAP_NET_RAW synscope falls back to it and says so in --explain.
ns_sysctl cli net.ipv4.ping_group_range="0 0"
noraw "$SYNSCOPE_BIN" ping --explain -c 2 -i 0.2 "$SRV4" >"$WORK/fallback" 2>&1 || { cat "$WORK/fallback" >&2; fail "fallback: exit $?"; }
expect_grep fallback "$WORK/fallback" "socket\(AF_INET, SOCK_DGRAM, IPPROTO_ICMP\)"
expect_grep fallback "$WORK/fallback" "raw socket was refused .*fell back to the ping socket"
expect_grep fallback "$WORK/fallback" "TTL 63 came in an IP_TTL control message"
expect_grep fallback "$WORK/fallback" "^64 bytes from $SRV4: icmp_seq=2 ttl=63 time="
echo "ok fallback to the ping socket"

# iputils without CAP_NET_RAW also uses the ping socket: same counts, replies and errors.
cmp_noraw() {
  local name="$1" rc_i=0 rc_s=0
  shift
  noraw "$IPUTILS_PING" "$@" >"$WORK/$name.iputils" 2>&1 || rc_i=$?
  noraw "$SYNSCOPE_BIN" ping "$@" >"$WORK/$name.synscope" 2>&1 || rc_s=$?
  if [[ "$(counts "$WORK/$name.iputils")" != "$(counts "$WORK/$name.synscope")" || $rc_i -ne $rc_s ]]; then
    cat "$WORK/$name.iputils" "$WORK/$name.synscope" >&2
    fail "$name: differs from iputils"
  fi
  printf 'ok %-28s rc=%d  tx rx dup err = %s  (same as iputils, ping socket)\n' "$name" "$rc_s" "$(counts "$WORK/$name.synscope")"
}
cmp_noraw dgram-v4 -c 3 -i 0.2 "$SRV4"
cmp_noraw dgram-v6 -c 3 -i 0.2 "$SRV6"
cmp_noraw dgram-ttl4 -c 2 -i 0.2 -t 1 "$SRV4"
cmp_noraw dgram-ttl6 -c 2 -i 0.2 -t 1 "$SRV6"
expect_grep dgram-ttl6 "$WORK/dgram-ttl6.synscope" "^From $RTR6 icmp_seq=1 Time exceeded: Hop limit$"

# 3. Forcing dgram as root works too (IPv6), and --json says which socket was used.
ns_exec cli "$SYNSCOPE_BIN" ping --socket dgram --json -c 1 "$SRV6" >"$WORK/json" 2>&1 || fail "dgram json: exit $?"
expect_grep json "$WORK/json" '"socket":"dgram"'
expect_grep json "$WORK/json" '"type":"reply".*"ttl":63'
echo "ping sockets: ok"
