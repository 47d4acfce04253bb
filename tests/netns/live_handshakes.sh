#!/usr/bin/env bash
# `synscope live` on a real veth in a namespace pair: normal, refused, reset and IPv6 connections are
# labelled and reported; -w writes a complete pcap that synscope and tcpdump both re-read; SIGINT
# mid-capture loses nothing (a connection still open is reported as open), and the exit code is 0.
source "${SRC:?}/tests/netns/lib.sh"
require_root
require_cmds python3 tcpdump
: "${SYNSCOPE:?}"
netns_init live
ns_add cli srv
veth_add cli eth0 srv eth0
addr_add cli eth0 192.0.2.1/24 2001:db8:10::1/64
addr_add srv eth0 192.0.2.2/24 2001:db8:10::2/64
TMP=$(mktemp -d)
netns_on_cleanup "rm -rf '$TMP'"
failures=0
check() { if ! eval "$2"; then echo "FAIL: $1"; failures=$((failures + 1)); fi; }

# Servers: 7001 answers "hello" and closes; 7003 accepts then resets (SO_LINGER 0); 7002 is closed.
cat >"$TMP/server.py" <<'PY'
import socket, struct, threading
def serve(family, addr, port, reset):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port)); s.listen(5)
    while True:
        c, _ = s.accept()
        if reset:
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)); c.close(); continue
        try:
            c.recv(100); c.sendall(b"hello")
            c.recv(100)
        except OSError:
            pass
        c.close()
for args in [(socket.AF_INET, "192.0.2.2", 7001, False), (socket.AF_INET6, "2001:db8:10::2", 7001, False),
             (socket.AF_INET, "192.0.2.2", 7003, True), (socket.AF_INET, "192.0.2.2", 7004, False)]:
    threading.Thread(target=serve, args=args, daemon=True).start()
threading.Event().wait()
PY
ns_exec srv python3 "$TMP/server.py" &
wait_for_port srv tcp 7001 || fail "server did not start"
wait_for_port srv tcp 7003 || fail "server did not start"

# Started with `ip netns exec` directly (not the ns_exec function) so that $! is synscope itself and
# the SIGINT below reaches it (a backgrounded shell function would be a subshell ignoring SIGINT).
ip netns exec "$(ns_name srv)" "$SYNSCOPE" live -i eth0 --json -w "$TMP/live.pcap" -f "tcp" >"$TMP/live.json" 2>"$TMP/live.err" &
live_pid=$!
wait_for_line "$TMP/live.err" "listening on eth0" 5 || { cat "$TMP/live.err"; fail "synscope live did not start"; }
# The same traffic in text mode, with short close/reset delays so that connections end while packets
# still flow: each is one self-describing "conn" line between the packet lines.
ip netns exec "$(ns_name srv)" "$SYNSCOPE" live -i eth0 -f "tcp" --utc --close-timeout 0.1 --reset-timeout 0.1 \
  >"$TMP/live.txt" 2>"$TMP/live-txt.err" &
live_txt_pid=$!
wait_for_line "$TMP/live-txt.err" "listening on eth0" 5 || { cat "$TMP/live-txt.err"; fail "synscope live (text) did not start"; }

cat >"$TMP/client.py" <<'PY'
import socket, sys, time
def talk(family, addr, port):
    c = socket.socket(family, socket.SOCK_STREAM); c.connect((addr, port)); c.sendall(b"hi")
    c.recv(100); c.close(); time.sleep(0.2)
talk(socket.AF_INET, "192.0.2.2", 7001)
talk(socket.AF_INET6, "2001:db8:10::2", 7001)
try:
    socket.create_connection(("192.0.2.2", 7002), timeout=2)
except ConnectionRefusedError:
    pass
try:
    c = socket.create_connection(("192.0.2.2", 7003), timeout=2)
    c.recv(100)
    c.close()
except ConnectionResetError:
    pass
# A connection left open when the capture stops: it must be reported as open (S1).
keep = socket.create_connection(("192.0.2.2", 7004), timeout=2)
keep.sendall(b"x")
time.sleep(2.5)  # the connections above end (close/reset delays) before the next packets
talk(socket.AF_INET, "192.0.2.2", 7001)
print("ready", flush=True)
time.sleep(30)
PY
ns_exec cli python3 "$TMP/client.py" >"$TMP/client.out" &
client_pid=$!
wait_for_line "$TMP/client.out" ready 10 || fail "client did not finish its connections"
sleep 0.3
kill -INT "$live_pid" "$live_txt_pid"
wait "$live_pid"
rc=$?
wait "$live_txt_pid"
rc_txt=$?
kill "$client_pid" 2>/dev/null

check "exit code 0 after SIGINT (got $rc)" "[[ $rc -eq 0 ]]"
check "statistics printed" "grep -q 'packets dropped by kernel' '$TMP/live.err'"
conns() { grep '"type":"conn"' "$TMP/live.json"; }
state_of() { conns | grep "\"id.resp_h\":\"$1\",\"id.resp_p\":$2," | grep -o '"conn_state":"[A-Z0-9]*"' | head -1; }
check "IPv4 7001 is SF" "[[ '$(state_of 192.0.2.2 7001)' == '\"conn_state\":\"SF\"' ]]"
check "IPv6 7001 is SF" "[[ '$(state_of 2001:db8:10::2 7001)' == '\"conn_state\":\"SF\"' ]]"
check "7002 refused (REJ)" "[[ '$(state_of 192.0.2.2 7002)' == '\"conn_state\":\"REJ\"' ]]"
check "7003 reset by responder" "[[ '$(state_of 192.0.2.2 7003)' =~ RSTR ]]"
check "7004 still open at stop (S1)" "[[ '$(state_of 192.0.2.2 7004)' == '\"conn_state\":\"S1\"' ]]"
check "open connection's teardown is open" "conns | grep '\"id.resp_p\":7004,' | grep -q '\"teardown\":\"open\"'"
check "handshake RTT present" "conns | grep '\"id.resp_p\":7001,' | grep -q '\"handshake_rtt\":0\\.'"
for s in "handshake 1/3" "handshake 2/3" "handshake 3/3" "teardown 1/4" "teardown 4/4"; do
  check "a packet labelled $s" "grep -q '\"step\":\"$s\"' '$TMP/live.json'"
done
npk=$(grep -c '"type":"packet"' "$TMP/live.json")
check "packets shown ($npk)" "[[ $npk -ge 25 ]]"
# The -w file is complete: the same packets through synscope read and tcpdump.
nread=$("$SYNSCOPE" read --json "$TMP/live.pcap" | grep -c '"type":"packet"')
check "-w file re-read by synscope: $nread == $npk" "[[ $nread -eq $npk ]]"
ntcpdump=$(tcpdump -n -r "$TMP/live.pcap" 2>/dev/null | wc -l)
check "-w file re-read by tcpdump: $ntcpdump == $npk" "[[ $ntcpdump -eq $npk ]]"
# Same records from the file as live (by state).
check "file gives the same states" "[[ \"$("$SYNSCOPE" read --json "$TMP/live.pcap" | grep -o '\"conn_state\":\"[A-Z0-9]*\"' | sort | tr '\n' ' ')\" == \"$(conns | grep -o '\"conn_state\":\"[A-Z0-9]*\"' | sort | tr '\n' ' ')\" ]]"

# Text mode: connections ended mid-capture are "conn" lines among the packet lines, no table header.
check "text mode exit 0 (got $rc_txt)" "[[ $rc_txt -eq 0 ]]"
check "text: no connection table header" "! grep -q '^ orig ' '$TMP/live.txt'"
check "text: conn line for the IPv4 handshake" "grep -Eq '^ conn  [0-9:.]+  192\.0\.2\.1:[0-9]+ > 192\.0\.2\.2:7001  tcp SF [A-Za-z^]+  handshake [0-9.]+ (µs|ms|s|ns) \\(syn>synack ' '$TMP/live.txt'"
check "text: conn line for the refused one" "grep -Eq '^ conn  .* > 192\.0\.2\.2:7002  tcp REJ .*rejected' '$TMP/live.txt'"
check "text: conn line for the open one at stop" "grep -Eq '^ conn  .* > 192\.0\.2\.2:7004  tcp S1 .*open \\(end-of-input\\)' '$TMP/live.txt'"
first_conn=$(grep -n '^ conn ' "$TMP/live.txt" | head -1 | cut -d: -f1)
last_packet=$(grep -nE '^ +[0-9]+  [0-9]' "$TMP/live.txt" | tail -1 | cut -d: -f1)
check "text: a connection reported before the last packet line ($first_conn < $last_packet)" \
  "[[ -n '$first_conn' && -n '$last_packet' && $first_conn -lt $last_packet ]]"

# -c and --duration end normally (exit 0), and a bad interface is one clear line with exit 2.
ns_exec srv "$SYNSCOPE" live -i eth0 --duration 0.5 --conns-only >/dev/null 2>"$TMP/d.err"
check "--duration exit 0" "[[ $? -eq 0 ]]"
ns_exec srv "$SYNSCOPE" live -i nosuch0 >/dev/null 2>"$TMP/bad.err"
rc=$?
check "bad interface exit 2 (got $rc)" "[[ $rc -eq 2 ]]"
check "bad interface message" "grep -q 'no such interface' '$TMP/bad.err' || grep -q \"nosuch0\" '$TMP/bad.err'"
# Without capture rights: says what is missing and how to grant it.
if command -v setpriv >/dev/null; then
  ns_exec srv setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$SYNSCOPE" live -i eth0 --duration 0.2 >/dev/null 2>"$TMP/perm.err"
  rc=$?
  check "unprivileged exit 2 (got $rc)" "[[ $rc -eq 2 ]]"
  check "unprivileged message names setcap" "grep -q 'setcap cap_net_raw,cap_net_admin=eip' '$TMP/perm.err'"
fi

if ((failures > 0)); then
  echo "--- live.err"; cat "$TMP/live.err"; echo "--- conns"; conns; echo "--- live.txt"; cat "$TMP/live.txt"
  echo "$failures failures"; exit 1
fi
echo "live handshakes: all checks passed ($npk packets)"
