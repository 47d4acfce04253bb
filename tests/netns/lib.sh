# shellcheck shell=bash
# tests/netns/lib.sh — shared helpers for tests (and scripts) that build throw-away network namespaces.
#
# Source it, then:
#
#   source "${SRC:-$(dirname "$0")/../..}/tests/netns/lib.sh"
#   require_root                    # exit 77 (ctest "skipped") unless root and namespaces work
#   require_cmds tcpdump python3    # exit 77 when a tool is missing
#   netns_init mytest               # unique name prefix + cleanup trap (EXIT, INT, TERM, HUP)
#   ns_add cli; ns_add srv          # namespaces "<prefix>cli", "<prefix>srv", loopback up
#   veth_add cli eth0 srv eth0      # veth pair, one end in each namespace, both ends up
#   addr_add cli eth0 192.0.2.1/24 2001:db8:1::1/64
#   addr_add srv eth0 192.0.2.2/24 2001:db8:1::2/64
#   ns_exec srv python3 -m http.server 8080 --bind 192.0.2.2 &
#   wait_for_port srv tcp 8080 || fail "server did not start"
#   ns_exec cli curl http://192.0.2.2:8080/
#
# Namespace names are "ss-<tag>-<pid>-<random>-<short>", so parallel ctest runs never collide; every helper
# takes the SHORT name. Cleanup kills every process still running inside our namespaces, then deletes
# them; it runs on any exit, including failures under `set -e` and Ctrl-C.
# Only documentation addresses belong here: 192.0.2.0/24, 198.51.100.0/24, 2001:db8::/32 (RFC 5737, 3849).
#
# Executed directly (not sourced) this file runs its own self-test; that is what the ctest "netns.lib"
# (globbed from tests/netns/*.sh by CMakeLists.txt) does.

if [[ -n "${SYNSCOPE_NETNS_LIB_LOADED:-}" ]]; then
  # shellcheck disable=SC2317 # "return" fails when executed rather than sourced
  return 0 2>/dev/null || true
fi
SYNSCOPE_NETNS_LIB_LOADED=1

NETNS_PREFIX="${NETNS_PREFIX:-}"
NETNS_CLEANUP_HOOKS=()
NETNS_VERBOSE="${NETNS_VERBOSE:-0}"
TCPDUMP_PID=""

# --- messages ----------------------------------------------------------------------------------------

_netns_me() { basename -- "${BASH_SOURCE[-1]:-$0}"; }

# log MSG... — progress on stderr (only with NETNS_VERBOSE=1).
log() { [[ "$NETNS_VERBOSE" == 1 ]] && printf '%s: %s\n' "$(_netns_me)" "$*" >&2; return 0; }

# fail MSG... — print and exit 1 (the EXIT trap still cleans up).
fail() { printf '%s: FAIL: %s\n' "$(_netns_me)" "$*" >&2; exit 1; }

# skip MSG... — print and exit 77, which ctest reports as "skipped" (SKIP_RETURN_CODE 77).
skip() { printf '%s: SKIP: %s\n' "$(_netns_me)" "$*" >&2; exit 77; }

# --- preconditions -----------------------------------------------------------------------------------

# require_root — exit 77 unless we are root AND can create a network namespace (a container without
# CAP_SYS_ADMIN is root but cannot).
require_root() {
  if [[ "$(id -u)" -ne 0 ]]; then
    skip "needs root to create network namespaces (ip netns add); run it as root, e.g. sudo $0"
  fi
  command -v ip >/dev/null 2>&1 || skip "needs the 'ip' command (apt-get install -y iproute2)"
  local probe="ss-probe-$$-${RANDOM}"
  if ! ip netns add "$probe" 2>/dev/null; then
    skip "root, but 'ip netns add' failed (no CAP_SYS_ADMIN in this container?)"
  fi
  ip netns del "$probe" 2>/dev/null || true
}

# require_cmds CMD... — exit 77 naming the first missing command.
require_cmds() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || skip "needs '$c' (not found in PATH)"
  done
}

# --- lifecycle ---------------------------------------------------------------------------------------

# netns_init [TAG] — choose a unique prefix and install the cleanup trap. Call once, before ns_add.
netns_init() {
  local tag="${1:-t}"
  NETNS_PREFIX="ss-${tag}-$$-${RANDOM}-"
  trap netns_cleanup EXIT
  # A signal becomes a normal exit so the EXIT trap runs exactly once.
  trap 'exit 130' INT
  trap 'exit 143' TERM
  trap 'exit 129' HUP
}

# netns_on_cleanup CMD — run CMD (a string for eval) during cleanup, before namespaces are deleted.
netns_on_cleanup() { NETNS_CLEANUP_HOOKS+=("$1"); }

# ns_name SHORT — full namespace name for SHORT.
ns_name() {
  [[ -n "$NETNS_PREFIX" ]] || fail "netns_init was not called"
  printf '%s%s\n' "$NETNS_PREFIX" "$1"
}

# netns_list — full names of the namespaces this run created (and still exist).
netns_list() {
  [[ -n "$NETNS_PREFIX" ]] || return 0
  ip netns list 2>/dev/null | awk '{print $1}' | grep -F -- "$NETNS_PREFIX" || true
}

# netns_cleanup — kill what runs in our namespaces, run hooks, delete the namespaces. Idempotent.
netns_cleanup() {
  local rc=$?
  trap - EXIT
  local hook ns pids
  for hook in "${NETNS_CLEANUP_HOOKS[@]}"; do
    eval "$hook" || true
  done
  NETNS_CLEANUP_HOOKS=()
  for ns in $(netns_list); do
    pids="$(ip netns pids "$ns" 2>/dev/null || true)"
    if [[ -n "$pids" ]]; then
      # shellcheck disable=SC2086
      kill -TERM $pids 2>/dev/null || true
    fi
  done
  for ns in $(netns_list); do
    local i
    for i in 1 2 3 4 5 6 7 8 9 10; do
      pids="$(ip netns pids "$ns" 2>/dev/null || true)"
      [[ -z "$pids" ]] && break
      if [[ $i -eq 10 ]]; then
        # shellcheck disable=SC2086
        kill -KILL $pids 2>/dev/null || true
      fi
      sleep 0.1
    done
    ip netns del "$ns" 2>/dev/null || printf '%s: warning: could not delete namespace %s\n' "$(_netns_me)" "$ns" >&2
  done
  return "$rc"
}

# --- building the topology -----------------------------------------------------------------------------

# ns_add SHORT... — create namespaces with the loopback up.
ns_add() {
  local s full
  for s in "$@"; do
    full="$(ns_name "$s")"
    ip netns add "$full" || fail "ip netns add $full"
    ip -n "$full" link set lo up
    log "namespace $full"
  done
}

# ns_exec SHORT CMD... — run CMD inside the namespace. Note: `ns_exec … &` backgrounds a subshell, so
# "$!" is that shell (fine for `wait`, not for signalling CMD); use `ip netns exec "$(ns_name X)" CMD &`
# when you need CMD's own pid. netns_cleanup kills everything inside the namespaces either way.
ns_exec() {
  local full
  full="$(ns_name "$1")"
  shift
  ip netns exec "$full" "$@"
}

# veth_add NS1 IF1 NS2 IF2 — a veth pair from NS1/IF1 to NS2/IF2 (interface names <= 15 chars; they
# only need to be unique inside their namespace), both ends up.
veth_add() {
  local n1 n2
  n1="$(ns_name "$1")"
  n2="$(ns_name "$3")"
  ip link add "$2" netns "$n1" type veth peer name "$4" netns "$n2" || fail "veth $1/$2 <-> $3/$4"
  # NETNS_NO_LINKLOCAL=1: no automatic IPv6 link-local address (quieter captures). Routed IPv6 needs
  # the link-local addresses, so it is off by default.
  if [[ "${NETNS_NO_LINKLOCAL:-0}" == 1 ]]; then
    ip -n "$n1" link set "$2" addrgenmode none 2>/dev/null || true
    ip -n "$n2" link set "$4" addrgenmode none 2>/dev/null || true
  fi
  ip -n "$n1" link set "$2" up
  ip -n "$n2" link set "$4" up
  log "veth $1/$2 <-> $3/$4"
}

# vlan_add NS PARENT VID [NAME] — 802.1Q sub-interface NAME (default PARENT.VID) on PARENT, up.
vlan_add() {
  local full name="${4:-$2.$3}"
  full="$(ns_name "$1")"
  ip -n "$full" link add link "$2" name "$name" type vlan id "$3" || fail "vlan $name on $1/$2"
  ip -n "$full" link set "$name" up
}

# addr_add NS IF CIDR... — add addresses; IPv6 ones with nodad so they are usable at once.
addr_add() {
  local full ifc a
  full="$(ns_name "$1")"
  ifc="$2"
  shift 2
  for a in "$@"; do
    if [[ "$a" == *:* ]]; then
      ip -n "$full" -6 addr add "$a" dev "$ifc" nodad || fail "addr $a on $ifc"
    else
      ip -n "$full" addr add "$a" dev "$ifc" || fail "addr $a on $ifc"
    fi
  done
}

# route_add NS ROUTE-ARGS... — `ip route add` (or `ip -6 route add` if an argument looks like IPv6).
route_add() {
  local full a fam=""
  full="$(ns_name "$1")"
  shift
  for a in "$@"; do [[ "$a" == *:* ]] && fam="-6"; done
  # shellcheck disable=SC2086
  ip -n "$full" $fam route add "$@" || fail "route add $* in $full"
}

# ns_sysctl NS KEY=VALUE... — set sysctls inside the namespace (net.* ones are per namespace).
ns_sysctl() {
  local s="$1" kv
  shift
  for kv in "$@"; do
    ns_exec "$s" sysctl -q -w "$kv" >/dev/null || fail "sysctl $kv in $s"
  done
}

# ns_router NS — enable IPv4 and IPv6 forwarding in NS.
ns_router() { ns_sysctl "$1" net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1; }

# offload_set NS IF on|off — TX checksum offload. With it on (the veth default), packets captured on
# veth carry a partial checksum (only the pseudo-header sum) and look "bad" to tcpdump/tshark.
offload_set() {
  command -v ethtool >/dev/null 2>&1 || fail "offload_set needs ethtool (apt-get install -y ethtool)"
  ns_exec "$1" ethtool -K "$2" tx "$3" >/dev/null 2>&1 || fail "ethtool -K $2 tx $3 in $1"
}

# --- waiting -----------------------------------------------------------------------------------------

# wait_until TIMEOUT_S CMD... — poll CMD every 50 ms until it succeeds; 1 on timeout.
wait_until() {
  local timeout="$1"
  shift
  local deadline
  deadline=$(( $(date +%s%N) + ${timeout%.*} * 1000000000 ))
  if [[ "$timeout" == *.* ]]; then
    local frac="${timeout#*.}000000000"
    deadline=$(( deadline + 10#${frac:0:9} ))
  fi
  while ! "$@" 2>/dev/null; do
    (( $(date +%s%N) >= deadline )) && return 1
    sleep 0.05
  done
  return 0
}

_port_listening() {
  local ns="$1" proto="$2" port="$3" opt="-Hltn"
  [[ "$proto" == udp ]] && opt="-Hlun"
  ns_exec "$ns" ss "$opt" "sport = :$port" | grep -q .
}

# wait_for_port NS tcp|udp PORT [TIMEOUT_S=5] — wait until something listens on PORT inside NS.
wait_for_port() {
  wait_until "${4:-5}" _port_listening "$1" "$2" "$3"
}

_file_has() { [[ -f "$1" ]] && grep -q -- "$2" "$1"; }

# wait_for_line FILE REGEX [TIMEOUT_S=5] — wait until FILE contains a line matching REGEX.
wait_for_line() { wait_until "${3:-5}" _file_has "$1" "$2"; }

# --- capturing ---------------------------------------------------------------------------------------

# tcpdump_start NS IF FILE [TCPDUMP-ARGS...] — capture on IF inside NS into FILE; returns once tcpdump
# says "listening on". Sets TCPDUMP_PID (do not call in a $(…) subshell). --immediate-mode matters:
# with libpcap's default TPACKET_V3 ring, packets still in a not-yet-retired block (up to 1 s) are
# lost when tcpdump is stopped. -U writes each packet at once; -Z root keeps tcpdump from dropping to
# a user that cannot write FILE.
tcpdump_start() {
  local ns="$1" ifc="$2" file="$3"
  shift 3
  local err="${file}.stderr"
  rm -f "$err"
  # Not through ns_exec: a backgrounded function runs in a subshell and "$!" would be that shell.
  ip netns exec "$(ns_name "$ns")" tcpdump -n -U --immediate-mode -Z root -i "$ifc" -w "$file" "$@" 2>"$err" &
  TCPDUMP_PID=$!
  if ! wait_for_line "$err" 'listening on' 5; then
    cat "$err" >&2
    fail "tcpdump did not start on $ns/$ifc"
  fi
}

# tcpdump_stop [PID] — stop a capture started by tcpdump_start. SIGTERM, not SIGINT: background jobs
# of a non-interactive shell start with SIGINT ignored; tcpdump flushes and closes the file on either.
tcpdump_stop() {
  local pid="${1:-$TCPDUMP_PID}"
  [[ -n "$pid" ]] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  [[ "$pid" == "$TCPDUMP_PID" ]] && TCPDUMP_PID=""
  return 0
}

# --- self-test (executed directly: ctest netns.lib) ------------------------------------------------------

_netns_lib_self_test() {
  set -euo pipefail
  local here
  here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

  # require_root must skip (77) for an unprivileged user, with a message.
  if command -v setpriv >/dev/null 2>&1 && [[ "$(id -u)" -eq 0 ]]; then
    local rc=0 msg
    msg="$(setpriv --reuid=65534 --regid=65534 --clear-groups bash -c "source '$here/lib.sh'; require_root; echo not-skipped" 2>&1)" || rc=$?
    [[ $rc -eq 77 ]] || { echo "require_root as nobody: rc=$rc ($msg)" >&2; exit 1; }
    [[ "$msg" == *"needs root"* ]] || { echo "require_root message: $msg" >&2; exit 1; }
  fi

  require_root
  require_cmds ss ping
  local py=python3
  [[ -x /usr/bin/python3 ]] && py=/usr/bin/python3 # a pyenv shim costs ~2 s per start

  # The cleanup trap removes every namespace and process, even when the test fails half-way.
  local out prefix
  out="$(bash -c "
    source '$here/lib.sh'
    netns_init selftest
    ns_add a b
    veth_add a v0 b v0
    addr_add a v0 192.0.2.1/24 2001:db8:5e1f::1/64
    addr_add b v0 192.0.2.2/24 2001:db8:5e1f::2/64
    echo \"prefix=\$NETNS_PREFIX\"
    ns_exec b $py -c 'import socket,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((\"192.0.2.2\", 7777)); s.listen(); time.sleep(60)' &
    wait_for_port b tcp 7777 5 || fail 'listener not seen'
    if wait_for_port b tcp 7778 0.3; then fail 'wait_for_port found a port nobody listens on'; fi
    ns_exec a $py -c 'import socket; socket.create_connection((\"192.0.2.2\", 7777), timeout=2).close()' || fail 'v4 connect'
    ns_exec a ping -c 1 -W 2 2001:db8:5e1f::2 >/dev/null || fail 'v6 ping'
    [[ \$(netns_list | wc -l) -eq 2 ]] || fail 'expected 2 namespaces'
    false  # fail on purpose: cleanup must still happen
  " 2>&1)" && { echo "inner script should have failed" >&2; exit 1; }
  prefix="$(sed -n 's/^prefix=//p' <<<"$out")"
  [[ -n "$prefix" ]] || { echo "no prefix printed: $out" >&2; exit 1; }
  if ip netns list | grep -qF -- "$prefix"; then
    echo "namespaces left behind: $(ip netns list | grep -F -- "$prefix")" >&2
    exit 1
  fi
  if grep -q FAIL <<<"$out"; then
    echo "inner failure: $out" >&2
    exit 1
  fi
  if pgrep -f 'bind\(\("192.0.2.2", 7777\)' >/dev/null; then
    echo "listener process survived cleanup" >&2
    exit 1
  fi
  echo "netns lib self-test: ok"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  _netns_lib_self_test
fi
