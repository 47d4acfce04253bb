#!/usr/bin/env bash
# scripts/make-captures.sh — regenerate the project's own captures (captures/*.pcap, *.pcapng).
#
# Builds three throw-away network namespaces joined by veth pairs, makes real traffic with
# scripts/capture-peer.py (python3 sockets) and ping, and records it with tcpdump -w:
#
#   cli  eth0 192.0.2.1/25    2001:db8:1::1/64  ==  a0 192.0.2.126/25   2001:db8:1::fe/64  rtr
#   cli  eth1, VLAN 100: 192.0.2.129/25         ==  a1, VLAN 100: 192.0.2.254/25           rtr
#   rtr  b0 198.51.100.126/25 2001:db8:2::fe/64 ==  eth0 198.51.100.2/25 2001:db8:2::2/64  srv
#
# VLAN 100 is a real 802.1Q sub-interface (eth1.100, a1.100) when the kernel has 8021q; otherwise
# scripts/vlan-tag.bpf.c (tc clsact, needs clang) pushes/pops the tag on eth1 and a1 themselves.
#
# Captures are taken on cli/eth0 unless said otherwise; TX checksum offload is switched off on every
# veth so checksums are correct, except for offload-bad-csum.pcap. Timing and ISNs differ per run; the
# addresses, ports and packet sequences do not. captures/README.md describes each file.
#
# Usage: scripts/make-captures.sh [-o OUTDIR] [-v] [NAME...]
#   -o OUTDIR  where to write (default: captures/ next to this script's parent)
#   -k         keep the scratch directory (raw captures, tcpdump stderr) for debugging
#   -v         show progress
#   NAME...    only these captures (e.g. handshake icmp); default: all
# Needs root, ip, tcpdump, tshark/editcap/capinfos, ethtool, ping, nft, tc, ss, python3.

set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
out_dir="$root/captures"
# The system interpreter: a pyenv shim first in PATH costs about 2 s per start.
if [[ -z "${PYTHON:-}" ]]; then
  PYTHON=python3
  [[ -x /usr/bin/python3 ]] && PYTHON=/usr/bin/python3
fi
peer="$here/capture-peer.py"

keep_work=0
while getopts "o:kvh" opt; do
  case "$opt" in
    o) out_dir="$OPTARG" ;;
    k) keep_work=1 ;;
    v) export NETNS_VERBOSE=1 ;;
    h) sed -n '2,20p' "$0"; exit 0 ;;
    *) exit 2 ;;
  esac
done
shift $((OPTIND - 1))

if [[ "$(id -u)" -ne 0 ]]; then
  echo "make-captures.sh: must run as root (it creates network namespaces and runs tcpdump); try: sudo $0" >&2
  exit 77
fi

# shellcheck source=tests/netns/lib.sh
source "$root/tests/netns/lib.sh"
require_root
require_cmds ip tcpdump tshark editcap capinfos ethtool ping nft tc ss timeout "$PYTHON"

netns_init caps
work="$(mktemp -d)"
if [[ "$keep_work" == 1 ]]; then
  netns_on_cleanup "echo 'make-captures.sh: scratch directory kept: $work' >&2"
else
  netns_on_cleanup "rm -rf '$work'"
fi
mkdir -p "$out_dir"

# --- topology ----------------------------------------------------------------------------------------

CLI4=192.0.2.1 RTR4A=192.0.2.126 RTR4B=198.51.100.126 SRV4=198.51.100.2
CLI6=2001:db8:1::1 RTR6A=2001:db8:1::fe RTR6B=2001:db8:2::fe SRV6=2001:db8:2::2
CLIV=192.0.2.129 RTRV=192.0.2.254

setup_topology() {
  ns_add cli rtr srv
  veth_add cli eth0 rtr a0
  veth_add rtr b0 srv eth0
  veth_add cli eth1 rtr a1
  # Fixed, locally administered MACs (02:…) so frames are the same on every run: 02:00:00:00:LL:HH,
  # LL = link (0a = cli-rtr, 0b = rtr-srv, 0c = VLAN link), HH = host (01 cli, fe rtr, 02 srv).
  set_mac cli eth0 02:00:00:00:0a:01
  set_mac rtr a0 02:00:00:00:0a:fe
  set_mac rtr b0 02:00:00:00:0b:fe
  set_mac srv eth0 02:00:00:00:0b:02
  set_mac cli eth1 02:00:00:00:0c:01
  set_mac rtr a1 02:00:00:00:0c:fe
  setup_vlan
  addr_add cli eth0 "$CLI4/25" "$CLI6/64"
  addr_add rtr a0 "$RTR4A/25" "$RTR6A/64"
  addr_add rtr b0 "$RTR4B/25" "$RTR6B/64"
  addr_add srv eth0 "$SRV4/25" "$SRV6/64"
  route_add cli default via "$RTR4A"
  route_add cli default via "$RTR6A"
  route_add srv default via "$RTR4B"
  route_add srv default via "$RTR6B"
  ns_router rtr
  # Destinations for ICMP errors (the router has no default route: anything else is "no route").
  route_add rtr unreachable 198.51.100.200/32   # ICMP host unreachable (RFC 792 code 1)
  route_add rtr prohibit 198.51.100.201/32      # ICMP communication administratively prohibited (RFC 1812 code 13)
  route_add rtr unreachable 2001:db8:3::/64     # ICMPv6 no route to destination (RFC 4443 code 0)
  route_add rtr prohibit 2001:db8:4::/64        # ICMPv6 administratively prohibited (RFC 4443 code 1)
  local s
  for s in cli rtr srv; do
    # ICMP error rate limits are per namespace; lift them so every probe gets its error.
    ns_sysctl "$s" net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0
  done
  offload_all off
  # SYNs to port 7009 vanish (unanswered.pcap).
  ns_exec srv nft -f - <<'EOF'
table inet synscope_caps {
  chain input {
    type filter hook input priority 0; policy accept;
    tcp dport 7009 drop
  }
}
EOF
  # Warm the neighbour caches so the first captured packet is not preceded by ARP/NDP (the capture
  # filters would hide it anyway, but the delay would show in the handshake timing).
  ns_exec cli ping -c 1 -W 2 "$SRV4" >/dev/null || fail "IPv4 path cli -> srv does not work"
  ns_exec cli ping -c 1 -W 2 "$SRV6" >/dev/null || fail "IPv6 path cli -> srv does not work"
}

set_mac() { ip -n "$(ns_name "$1")" link set dev "$2" address "$3"; }

offload_all() {
  offload_set cli eth0 "$1"
  offload_set cli eth1 "$1"
  offload_set rtr a0 "$1"
  offload_set rtr a1 "$1"
  offload_set rtr b0 "$1"
  offload_set srv eth0 "$1"
}

VLAN_HOW=""
setup_vlan() {
  ns_sysctl cli net.ipv6.conf.eth1.disable_ipv6=1
  ns_sysctl rtr net.ipv6.conf.a1.disable_ipv6=1
  if ip -n "$(ns_name cli)" link add link eth1 name eth1.100 type vlan id 100 2>/dev/null; then
    VLAN_HOW="802.1Q sub-interfaces eth1.100 / a1.100"
    ip -n "$(ns_name cli)" link set eth1.100 up
    vlan_add rtr a1 100
    ns_sysctl cli net.ipv6.conf.eth1/100.disable_ipv6=1
    ns_sysctl rtr net.ipv6.conf.a1/100.disable_ipv6=1
    addr_add cli eth1.100 "$CLIV/25"
    addr_add rtr a1.100 "$RTRV/25"
  else
    command -v clang >/dev/null 2>&1 ||
      fail "this kernel has no 8021q (VLAN devices) and clang is missing for the tc-BPF fallback"
    clang -O2 -target bpf -c "$here/vlan-tag.bpf.c" -o "$work/vlan-tag.bpf.o" || fail "building vlan-tag.bpf.c"
    local end
    for end in cli:eth1 rtr:a1; do
      ns_exec "${end%%:*}" tc qdisc add dev "${end#*:}" clsact
      ns_exec "${end%%:*}" tc filter add dev "${end#*:}" egress bpf da obj "$work/vlan-tag.bpf.o" sec tc/egress
      ns_exec "${end%%:*}" tc filter add dev "${end#*:}" ingress bpf da obj "$work/vlan-tag.bpf.o" sec tc/ingress
    done
    VLAN_HOW="tc-BPF tagging on eth1 / a1 (kernel without 8021q)"
    addr_add cli eth1 "$CLIV/25"
    addr_add rtr a1 "$RTRV/25"
  fi
  log "VLAN 100: $VLAN_HOW"
}

# --- conversation helpers ----------------------------------------------------------------------------

# server NS MODE ADDR PORT [ARGS...] — start a capture-peer server in the background, wait until it
# listens.
server() {
  local ns="$1" mode="$2" addr="$3" port="$4" proto=tcp
  shift 4
  [[ "$mode" == udp ]] && proto=udp
  ns_exec "$ns" timeout 20 "$PYTHON" "$peer" server --mode "$mode" --addr "$addr" --port "$port" "$@" &
  SERVER_PID=$!
  wait_for_port "$ns" "$proto" "$port" 10 || fail "$mode server on $ns $addr:$port did not start"
}

# client MODE ADDR PORT [ARGS...] — run a capture-peer client in cli; the client port is 40000+(PORT-7000).
client() {
  local mode="$1" addr="$2" port="$3"
  shift 3
  ns_exec cli timeout 20 "$PYTHON" "$peer" client --mode "$mode" --addr "$addr" --port "$port" \
    --sport $((40000 + port - 7000)) "$@" || fail "$mode client to $addr:$port failed"
}

server_wait() {
  wait "$SERVER_PID" || fail "server (pid $SERVER_PID) failed"
}

# finish NAME — let the last ACK land, stop tcpdump, check something was written.
finish() {
  sleep 0.3
  tcpdump_stop "$TCPDUMP_PID"
  [[ -s "$work/$1" ]] || fail "$1 was not written"
  log "$1: $(tcpdump -n -r "$work/$1" 2>/dev/null | wc -l) packets"
}

# tcp_capture NAME MODE ADDR PORT [TCPDUMP-ARGS...] — one server+client conversation captured on cli/eth0.
tcp_capture() {
  local name="$1" mode="$2" addr="$3" port="$4"
  shift 4
  server srv "$mode" "$addr" "$port"
  tcpdump_start cli eth0 "$work/$name" "$@" tcp port "$port"
  client "$mode" "$addr" "$port"
  server_wait
  finish "$name"
}

# --- the captures --------------------------------------------------------------------------------------

cap_handshake() { tcp_capture handshake.pcap hello "$SRV4" 7001; }

cap_refused() {
  tcpdump_start cli eth0 "$work/refused.pcap" tcp port 7002
  client refused "$SRV4" 7002
  finish refused.pcap
}

cap_ipv6() { tcp_capture ipv6.pcap hello "$SRV6" 7003; }

cap_vlan() {
  # Captured on the parent (eth1), so the 802.1Q tags are in the frames. The first contact on VLAN 100
  # is in the capture, so the tagged ARP exchange is too. IPv6 is off on this link (no NDP/MLD noise).
  server rtr hello "$RTRV" 7004
  tcpdump_start cli eth1 "$work/vlan.pcap" vlan 100 and \( arp or ip \)
  ns_exec cli ping -c 1 -W 2 "$RTRV" >/dev/null || fail "ping over VLAN 100"
  ns_exec cli timeout 20 "$PYTHON" "$peer" client --mode hello --addr "$RTRV" --port 7004 \
    --bind "$CLIV" --sport 40004 || fail "hello over VLAN 100"
  server_wait
  finish vlan.pcap
}

cap_sll2() {
  # -i any in the client namespace: each packet once (eth0 is the only non-loopback interface), with
  # the LINUX_SLL2 pseudo-header (interface index, packet type, ARPHRD) instead of Ethernet.
  server srv hello "$SRV4" 7005
  tcpdump_start cli any "$work/sll2-any.pcap" tcp port 7005
  client hello "$SRV4" 7005
  server_wait
  finish sll2-any.pcap
}

cap_icmp() {
  # Echo v4/v6, then errors: port unreachable (UDP to closed ports), time exceeded (TTL/hop limit 1
  # expires at the router), host/net unreachable and administratively prohibited from router routes.
  # NDP (ICMPv6 types 133-137) is left out by the filter; ping exits 1 on errors, which is expected.
  # Order matters: the router's "unreachable" errors share a per-destination token bucket (1 s per
  # error, burst 5; the global net.ipv4.route.error_cost) with time-exceeded, so they go first.
  tcpdump_start cli eth0 "$work/icmp.pcap" 'icmp or (icmp6 and ip6[40] < 133) or udp port 7099'
  ns_exec cli ping -c 1 -W 2 "$SRV4" >/dev/null || fail "ping $SRV4"
  ns_exec cli ping -c 1 -W 2 "$SRV6" >/dev/null || fail "ping $SRV6"
  ns_exec cli timeout 10 "$PYTHON" "$peer" client --mode udp-closed --addr "$SRV4" --port 7099 --sport 40099 --timeout 2 ||
    fail "no port unreachable from $SRV4"
  ns_exec cli timeout 10 "$PYTHON" "$peer" client --mode udp-closed --addr "$SRV6" --port 7099 --sport 40099 --timeout 2 ||
    fail "no port unreachable from $SRV6"
  local dst
  for dst in 198.51.100.200 198.51.100.201 198.51.100.250 2001:db8:3::1 2001:db8:4::1 "-t 1 $SRV4" "-t 1 $SRV6"; do
    # shellcheck disable=SC2086
    ! ns_exec cli ping -c 1 -W 2 $dst >/dev/null || fail "ping $dst should have failed"
  done
  finish icmp.pcap
}

cap_snaplen() { tcp_capture snaplen.pcap bulk "$SRV4" 7006 -s 60; }
# 96 bytes keep every header (14 + 20 + 32 = 66, 74 for the SYNs) and cut only the payload.
cap_snaplen_96() { tcp_capture snaplen-96.pcap bulk "$SRV4" 7015 -s 96; }
cap_reset() { tcp_capture reset.pcap reset "$SRV4" 7007; }
cap_half_close() { tcp_capture half-close.pcap halfclose "$SRV4" 7008; }

cap_unanswered() {
  # The first SYN and its retransmission after the initial RTO of 1 s (RFC 6298 §2.1); the client
  # gives up at 1.5 s, before the second retransmission.
  tcpdump_start cli eth0 "$work/unanswered.pcap" tcp port 7009
  client unanswered "$SRV4" 7009 --timeout 1.5
  finish unanswered.pcap
}

cap_udp() {
  server srv udp "$SRV4" 7010
  tcpdump_start cli eth0 "$work/udp.pcap" udp port 7010
  client udp "$SRV4" 7010
  server_wait
  finish udp.pcap
}

cap_nano() { tcp_capture handshake-nano.pcap hello "$SRV4" 7011 --time-stamp-precision nano; }

cap_offload() {
  offload_all on
  tcp_capture offload-bad-csum.pcap hello "$SRV4" 7012
  offload_all off
}

cap_simultaneous_close() {
  # Both ends must send their FIN before the other's arrives. This kernel may lack netem, so a token
  # bucket (tbf, 16 kbit/s, 1000-byte bucket) sits on the router's two egress interfaces; a helper in
  # the router namespace empties both buckets with one 990-byte frame each and, in the same
  # millisecond, tells both ends to close. Each FIN then waits ~30 ms at the router, well under the
  # 200 ms minimum RTO, so both are in flight at once (RFC 9293 §3.6 case 3: FIN-WAIT-1 -> CLOSING on
  # both sides) and nothing is retransmitted.
  local trig="$work/simclose.trigger"
  rm -f "$trig" "$trig".ready-*
  server srv simclose "$SRV4" 7013 --trigger "$trig"
  tcpdump_start cli eth0 "$work/simultaneous-close.pcap" tcp port 7013
  ns_exec cli timeout 20 "$PYTHON" "$peer" client --mode simclose --addr "$SRV4" --port 7013 \
    --sport 40013 --trigger "$trig" &
  local cpid=$!
  wait_until 10 test -e "$trig.ready-client" -a -e "$trig.ready-server" || fail "simclose peers not ready"
  sleep 0.2 # the last ACK of the data exchange
  ns_exec rtr tc qdisc add dev a0 root tbf rate 16kbit burst 1000 limit 10000
  ns_exec rtr tc qdisc add dev b0 root tbf rate 16kbit burst 1000 limit 10000
  # 14 (Ethernet) + 20 (IPv4) + 8 (UDP) + 948 = 990 bytes; port 9 (discard) is closed on both ends.
  ns_exec rtr "$PYTHON" "$peer" kick --mode simclose --addr "$CLI4,$SRV4" --port 9 --size 948 \
    --trigger "$trig" || fail "kick"
  wait "$cpid" || fail "simclose client failed"
  server_wait
  finish simultaneous-close.pcap
  ns_exec rtr tc qdisc del dev a0 root
  ns_exec rtr tc qdisc del dev b0 root
}

cap_rotated() {
  # One connection, captured once, split in two files at the middle packet (editcap -c).
  server srv chat "$SRV4" 7014
  tcpdump_start cli eth0 "$work/rotated-all.pcap" tcp port 7014
  client chat "$SRV4" 7014 --count 5
  server_wait
  finish rotated-all.pcap
  local n
  n="$(capinfos -M -c -T "$work/rotated-all.pcap" | awk -F'\t' 'NR==2{print $2}')"
  mkdir -p "$work/split"
  # -F pcap: editcap writes pcapng by default; -s 262144 keeps tcpdump's snaplen in the headers.
  editcap -F pcap -s 262144 -c $(( (n + 1) / 2 )) "$work/rotated-all.pcap" "$work/split/rotated.pcap"
  local parts=("$work"/split/rotated_*)
  [[ ${#parts[@]} -eq 2 ]] || fail "editcap made ${#parts[@]} files, expected 2"
  mv "${parts[0]}" "$work/rotated-1.pcap"
  mv "${parts[1]}" "$work/rotated-2.pcap"
  rm -rf "$work/split" "$work/rotated-all.pcap"
}

cap_pcapng() {
  [[ -s "$work/handshake.pcap" ]] || cap_handshake
  editcap -F pcapng "$work/handshake.pcap" "$work/handshake.pcapng"
}

ALL=(handshake refused ipv6 vlan sll2 icmp snaplen snaplen_96 reset half_close simultaneous_close unanswered udp
  rotated nano pcapng offload)

# --- checks: each capture must show what the README says it shows ---------------------------------

# expect FILE DISPLAY-FILTER COUNT — tshark must find exactly COUNT packets matching the filter.
expect() {
  local file="$1" filter="$2" want="$3" got
  got="$(tshark -n -r "$work/$file" -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE \
    -o ip.check_checksum:TRUE -Y "$filter" 2>/dev/null | wc -l)"
  [[ "$got" -eq "$want" ]] || fail "$file: '$filter' matched $got packets, expected $want"
}

# expect_first FILE FIELD VALUE [FIELD VALUE...] COUNT — exactly COUNT packets whose FIRST occurrence
# of each FIELD equals VALUE.
expect_first() {
  local file="$1"
  shift
  local want="${*: -1}"
  set -- "${@:1:$#-1}"
  local fields=() values=() got desc="$*"
  while (($#)); do
    fields+=(-e "$1")
    values+=("$2")
    shift 2
  done
  got="$(tshark -n -r "$work/$file" -T fields -E occurrence=f "${fields[@]}" 2>/dev/null |
    grep -cxF "$(IFS=$'\t'; echo "${values[*]}")" || true)"
  [[ "$got" -eq "$want" ]] || fail "$file: first $desc matched $got packets, expected $want"
}

# simultaneous_fins FILE — two FINs, and neither acknowledges the other's FIN (each was sent before
# the other arrived).
simultaneous_fins() {
  local lines
  mapfile -t lines < <(tshark -n -r "$work/$1" -Y 'tcp.flags.fin == 1' -T fields \
    -e tcp.srcport -e tcp.seq_raw -e tcp.ack_raw 2>/dev/null)
  [[ ${#lines[@]} -eq 2 ]] || fail "$1: ${#lines[@]} FINs, expected 2 (a retransmission?)"
  local a b
  read -r -a a <<<"${lines[0]}"
  read -r -a b <<<"${lines[1]}"
  [[ "${a[0]}" != "${b[0]}" ]] || fail "$1: both FINs from port ${a[0]}"
  [[ "${b[2]}" == "${a[1]}" ]] || fail "$1: second FIN acks ${b[2]}, not the first FIN's seq ${a[1]}: not simultaneous"
  [[ "${a[2]}" == "${b[1]}" ]] || fail "$1: first FIN acks ${a[2]}, not the second FIN's seq ${b[1]}"
}

check_all() {
  local f
  for f in "$work"/*.pcap "$work"/*.pcapng; do
    [[ -e "$f" ]] || continue
    local b
    b="$(basename "$f")"
    local type
    type="$(capinfos -T -t "$f" | awk -F'\t' 'NR==2{print $2}')"
    case "$b:$type" in
      handshake-nano.pcap:nsecpcap | *.pcapng:pcapng | *.pcap:pcap) ;;
      *) fail "$b is a '$type' file" ;;
    esac
    [[ "$b" == offload-bad-csum.pcap ]] && continue
    expect "$b" 'tcp.checksum.status == 0 || udp.checksum.status == 0 || ip.checksum.status == 0' 0
  done
  check_one() { [[ -s "$work/$1" ]]; }
  if check_one handshake.pcap; then
    expect handshake.pcap 'tcp.flags.syn == 1 && tcp.flags.ack == 0' 1
    expect handshake.pcap 'tcp.flags.syn == 1 && tcp.flags.ack == 1' 1
    expect handshake.pcap 'tcp.flags.fin == 1' 2
    expect handshake.pcap 'tcp.payload == "hello"' 1
    expect handshake.pcap 'tcp.payload == "hello back"' 1
    expect handshake.pcap 'tcp.flags.reset == 1' 0
  fi
  if check_one refused.pcap; then
    expect refused.pcap 'tcp.flags.syn == 1' 1
    expect refused.pcap 'tcp.flags.reset == 1 && tcp.flags.ack == 1' 1
  fi
  if check_one ipv6.pcap; then
    expect ipv6.pcap 'ipv6 && tcp.flags.fin == 1' 2
    expect ipv6.pcap 'tcp.payload == "hello back"' 1
  fi
  if check_one vlan.pcap; then
    expect vlan.pcap '!(vlan.id == 100)' 0
    expect vlan.pcap 'arp' 2
    expect vlan.pcap 'icmp' 2
    expect vlan.pcap 'tcp.flags.fin == 1' 2
  fi
  if check_one sll2-any.pcap; then
    expect sll2-any.pcap '!sll' 0
    expect sll2-any.pcap 'tcp.flags.fin == 1' 2
  fi
  if check_one icmp.pcap; then
    # outer ICMP header only (an error quotes the probe, whose ICMP header tshark also dissects)
    expect_first icmp.pcap icmp.type 8 5      # echo, 3 probes of unreachable routes, TTL 1
    expect_first icmp.pcap icmp.type 0 1
    expect_first icmp.pcap icmpv6.type 128 4  # echo, 2 probes of unreachable routes, hop limit 1
    expect_first icmp.pcap icmpv6.type 129 1
    expect_first icmp.pcap icmp.type 3 icmp.code 3 1
    expect_first icmp.pcap icmpv6.type 1 icmpv6.code 4 1
    expect_first icmp.pcap icmp.type 11 icmp.code 0 1
    expect_first icmp.pcap icmpv6.type 3 icmpv6.code 0 1
    expect_first icmp.pcap icmp.type 3 icmp.code 0 1
    expect_first icmp.pcap icmp.type 3 icmp.code 1 1
    expect_first icmp.pcap icmp.type 3 icmp.code 13 1
    expect_first icmp.pcap icmpv6.type 1 icmpv6.code 0 1
    expect_first icmp.pcap icmpv6.type 1 icmpv6.code 1 1
    expect icmp.pcap 'udp.dstport == 7099 && !icmp && !icmpv6' 2
  fi
  if check_one snaplen.pcap; then
    expect snaplen.pcap 'frame.cap_len > 60' 0
    expect snaplen.pcap 'frame.len > 60' "$(tshark -r "$work/snaplen.pcap" 2>/dev/null | wc -l)"
  fi
  if check_one snaplen-96.pcap; then
    expect snaplen-96.pcap 'frame.cap_len > 96' 0
    expect snaplen-96.pcap 'tcp.len == 400' 2
    expect snaplen-96.pcap '_ws.expert.message contains "truncated" || tcp.analysis.flags' 0
  fi
  if check_one reset.pcap; then
    expect reset.pcap 'tcp.flags.reset == 1 && tcp.srcport == 40007' 1
    expect reset.pcap 'tcp.flags.fin == 1' 0
  fi
  if check_one half-close.pcap; then
    expect half-close.pcap 'tcp.flags.fin == 1' 2
    # data from the server after the client's FIN
    expect half-close.pcap 'tcp.srcport == 7008 && tcp.len > 0' 3
  fi
  if check_one simultaneous-close.pcap; then
    simultaneous_fins simultaneous-close.pcap
    expect simultaneous-close.pcap 'tcp.analysis.retransmission' 0
  fi
  if check_one unanswered.pcap; then
    expect unanswered.pcap 'tcp.flags.syn == 1' 2
    expect unanswered.pcap 'tcp.srcport == 7009' 0
  fi
  if check_one udp.pcap; then
    expect udp.pcap 'udp' 2
  fi
  if check_one rotated-1.pcap; then
    expect rotated-1.pcap 'tcp.flags.syn == 1' 2
    expect rotated-2.pcap 'tcp.flags.fin == 1' 2
  fi
  if check_one handshake-nano.pcap; then
    [[ "$(od -An -tx1 -N4 "$work/handshake-nano.pcap" | tr -d ' ')" == 4d3cb2a1 ]] ||
      fail "handshake-nano.pcap is not a nanosecond pcap"
  fi
  if check_one offload-bad-csum.pcap; then
    expect offload-bad-csum.pcap 'tcp.checksum.status == 0' \
      "$(tshark -r "$work/offload-bad-csum.pcap" 2>/dev/null | wc -l)"
  fi
}

# --- main --------------------------------------------------------------------------------------------

wanted=("$@")
[[ ${#wanted[@]} -gt 0 ]] || wanted=("${ALL[@]}")
setup_topology
for w in "${wanted[@]}"; do
  w="${w//-/_}"
  declare -F "cap_$w" >/dev/null || fail "unknown capture '$w' (known: ${ALL[*]})"
  log "capture $w"
  "cap_$w"
done
rm -f "$work"/*.stderr "$work"/simclose.trigger*
check_all
for f in "$work"/*.pcap "$work"/*.pcapng; do
  [[ -e "$f" ]] || continue
  mv -f "$f" "$out_dir/"
  printf '%-26s %4s packets  %s\n' "$(basename "$f")" \
    "$(capinfos -M -c -T "$out_dir/$(basename "$f")" | awk -F'\t' 'NR==2{print $2}')" \
    "$(capinfos -E -T "$out_dir/$(basename "$f")" | awk -F'\t' 'NR==2{print $2}')"
done
