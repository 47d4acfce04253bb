#!/usr/bin/env bash
# `synscope live --board` when stdout is not a terminal: one status line per second with the rates, a
# line per refusal/reset, and the totals at the end (a namespace's own loopback, root only).
source "${SRC:?}/tests/netns/lib.sh"
require_root
: "${SYNSCOPE:?}"
netns_init board
ns_add b
TMP=$(mktemp -d)
netns_on_cleanup "rm -rf '$TMP'"
ip netns exec "$(ns_name b)" "$SYNSCOPE" live -i lo --board --duration 2.5 >"$TMP/board.out" 2>"$TMP/board.err" &
pid=$!
wait_for_line "$TMP/board.err" "listening on lo" 5 || fail "live --board did not start"
ns_exec b /usr/bin/python3 -c '
import socket
s = socket.socket(); s.bind(("127.0.0.1", 7070)); s.listen(5)
c = socket.create_connection(("127.0.0.1", 7070)); a, _ = s.accept(); c.close(); a.close()
try:
    socket.create_connection(("127.0.0.1", 7071))
except OSError:
    pass'
wait "$pid"
rc=$?
[[ $rc -eq 0 ]] || fail "exit $rc"
grep -q '^rates/s: syn [0-9]*  established [0-9]*  rst [0-9]*' "$TMP/board.out" || { cat "$TMP/board.out"; fail "no per-second rate line"; }
grep -q '^conn refused  127.0.0.1:[0-9]* > 127.0.0.1:7071  REJ Sr' "$TMP/board.out" || { cat "$TMP/board.out"; fail "refusal line missing"; }
grep -q '^board: 2 SYN, 1 established, 1 RST' "$TMP/board.out" || { cat "$TMP/board.out"; fail "totals missing"; }
echo "live board: ok"
