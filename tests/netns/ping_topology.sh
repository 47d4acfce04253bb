# shellcheck shell=bash
# tests/netns/ping_topology.sh — the three-namespace network the ping tests share, plus helpers that
# compare `synscope ping` with iputils ping. Source it from a ping_*.sh test; executed directly it builds
# the network once and checks every path with iputils ping (ctest netns.ping_topology).
#
#   cli  eth0 192.0.2.2/24   2001:db8:1::2/64 == a0 192.0.2.1/24   2001:db8:1::1/64  rtr (forwarding)
#   rtr  b0 198.51.100.1/24  2001:db8:2::1/64 == eth0 198.51.100.2/24 2001:db8:2::2/64 srv
#   rtr: unreachable routes 198.51.100.200/32 and 2001:db8:3::/64 (ICMP host / no-route unreachable)

_ping_here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$_ping_here/lib.sh"

CLI4=192.0.2.2 RTR4=192.0.2.1 SRV4=198.51.100.2 UNREACH4=198.51.100.200
CLI6=2001:db8:1::2 RTR6=2001:db8:1::1 SRV6=2001:db8:2::2 UNREACH6=2001:db8:3::1

# ping_setup TAG — root check, synscope binary check, topology. Sets SYNSCOPE_BIN.
ping_setup() {
  require_root
  require_cmds ping nft python3 ss
  SYNSCOPE_BIN="${SYNSCOPE:-}"
  [[ -n "$SYNSCOPE_BIN" && -x "$SYNSCOPE_BIN" ]] || skip "set SYNSCOPE to the synscope binary (ctest does)"
  netns_init "$1"
  ns_add cli rtr srv
  veth_add cli eth0 rtr a0
  veth_add rtr b0 srv eth0
  addr_add cli eth0 "$CLI4/24" "$CLI6/64"
  addr_add rtr a0 "$RTR4/24" "$RTR6/64"
  addr_add rtr b0 198.51.100.1/24 2001:db8:2::1/64
  addr_add srv eth0 "$SRV4/24" "$SRV6/64"
  route_add cli default via "$RTR4"
  route_add cli default via "$RTR6"
  route_add srv default via 198.51.100.1
  route_add srv default via 2001:db8:2::1
  ns_router rtr
  route_add rtr unreachable "$UNREACH4/32"
  route_add rtr unreachable 2001:db8:3::/64
  # Unreachable routes answer through ip_error(), which allows one ICMP error per second per source
  # (net.ipv4.route.error_cost, not per namespace) and shares its token bucket with the ICMP rate limit:
  # IPv4 unreachable tests use ping_unreachable_pause and -i 1.1. IPv6 has no such limit.
  local s
  for s in cli rtr srv; do
    # ICMP error rate limits are per namespace: lift them so every probe gets its error.
    ns_sysctl "$s" net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0
  done
  # Warm the neighbour caches so the first probe is not delayed by ARP/NDP.
  wait_until 5 ns_exec cli ping -c 1 -W 1 "$SRV4" >/dev/null || fail "IPv4 path cli -> srv does not work"
  wait_until 5 ns_exec cli ping -c 1 -W 1 "$SRV6" >/dev/null || fail "IPv6 path cli -> srv does not work"
}

# counts FILE — "tx rx dup err" from a "--- … ping statistics ---" block (iputils or synscope text).
counts() {
  local line tx rx dup err
  line="$(grep -E '^[0-9]+ packets transmitted' "$1" | head -n 1)"
  [[ -n "$line" ]] || { echo "none"; return 0; }
  tx="$(sed -E 's/^([0-9]+) packets transmitted.*/\1/' <<<"$line")"
  rx="$(sed -E 's/.* ([0-9]+) received.*/\1/' <<<"$line")"
  dup=0 err=0
  [[ "$line" == *duplicates* ]] && dup="$(sed -E 's/.*\+([0-9]+) duplicates.*/\1/' <<<"$line")"
  [[ "$line" == *errors* ]] && err="$(sed -E 's/.*\+([0-9]+) errors.*/\1/' <<<"$line")"
  echo "$tx $rx $dup $err"
}

# compare_iputils NAME NS ARGS... — run iputils ping and synscope ping with the same ARGS in NS; the
# transmitted/received/duplicates/errors counts and the exit codes must be equal. Leaves the outputs in
# $WORK/NAME.{iputils,synscope}.
compare_iputils() {
  local name="$1" ns="$2"
  shift 2
  local rc_i=0 rc_s=0
  ns_exec "$ns" ping "$@" >"$WORK/$name.iputils" 2>&1 || rc_i=$?
  ns_exec "$ns" "$SYNSCOPE_BIN" ping "$@" >"$WORK/$name.synscope" 2>&1 || rc_s=$?
  local c_i c_s
  c_i="$(counts "$WORK/$name.iputils")"
  c_s="$(counts "$WORK/$name.synscope")"
  log "$name: iputils rc=$rc_i counts=$c_i; synscope rc=$rc_s counts=$c_s"
  if [[ "$c_i" != "$c_s" || $rc_i -ne $rc_s ]]; then
    echo "--- iputils ping $* (rc $rc_i)" >&2
    cat "$WORK/$name.iputils" >&2
    echo "--- synscope ping $* (rc $rc_s)" >&2
    cat "$WORK/$name.synscope" >&2
    fail "$name: synscope (rc $rc_s, tx rx dup err = $c_s) differs from iputils (rc $rc_i, $c_i)"
  fi
  printf 'ok %-28s rc=%d  tx rx dup err = %s  (same as iputils)\n' "$name" "$rc_s" "$c_s"
}

# ping_unreachable_pause — let the router's per-source ICMP error budget refill (see ping_setup).
ping_unreachable_pause() { sleep 1.2; }

# expect_grep NAME FILE REGEX — FILE must contain a line matching REGEX.
expect_grep() {
  grep -Eq -- "$3" "$2" || { cat "$2" >&2; fail "$1: no line matching /$3/"; }
}

ping_workdir() {
  WORK="$(mktemp -d)"
  netns_on_cleanup "rm -rf '$WORK'"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  ping_setup topo
  ping_workdir
  ns_exec cli ping -c 1 -W 2 "$UNREACH4" >"$WORK/unr" 2>&1 && fail "$UNREACH4 should be unreachable"
  expect_grep unreachable "$WORK/unr" "From $RTR4 icmp_seq=1 Destination Host Unreachable"
  ns_exec cli ping -c 1 -W 2 -t 1 "$SRV4" >"$WORK/ttl" 2>&1 && fail "TTL 1 should not reach the server"
  expect_grep ttl "$WORK/ttl" "From $RTR4 icmp_seq=1 Time to live exceeded"
  echo "ping topology: ok"
fi
