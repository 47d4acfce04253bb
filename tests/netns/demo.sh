#!/usr/bin/env bash
# `synscope demo` in a fresh network namespace (its own loopback): the handshake, data, teardown and the
# UDP exchange are captured and narrated; without capture rights it says why and replays captures/.
source "${SRC:?}/tests/netns/lib.sh"
require_root
: "${SYNSCOPE:?}"
netns_init demo
ns_add d
TMP=$(mktemp -d)
netns_on_cleanup "rm -rf '$TMP'"
failures=0
check() { if ! eval "$2"; then echo "FAIL: $1"; failures=$((failures + 1)); fi; }

ns_exec d "$SYNSCOPE" demo --color never >"$TMP/demo.out" 2>&1
rc=$?
check "demo exit 0 (got $rc)" "[[ $rc -eq 0 ]]"
for s in "handshake 1/3" "handshake 2/3" "handshake 3/3" "teardown 1/4" "teardown 4/4" "listen(fd, 5)"; do
  check "demo shows '$s'" "grep -qF '$s' '$TMP/demo.out'"
done
check "two 5-byte data segments" "[[ \$(grep -c ' DATA ' '$TMP/demo.out') -eq 2 ]]"
check "narration present" "grep -q 'the connection is established' '$TMP/demo.out'"
check "UDP exchange, no handshake" "[[ \$(grep -c ' UDP' '$TMP/demo.out') -ge 2 ]]"
check "connection closed normally (SF)" "grep -q ' SF ' '$TMP/demo.out'"

if command -v setpriv >/dev/null; then
  setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$SYNSCOPE" demo --color never \
    --captures "$SRC/captures" >"$TMP/replay.out" 2>&1
  rc=$?
  check "replay exit 0 (got $rc)" "[[ $rc -eq 0 ]]"
  check "replay says why" "grep -q 'cannot capture here' '$TMP/replay.out'"
  check "replay narrates the handshake" "grep -q 'handshake 3/3' '$TMP/replay.out'"
fi
if ((failures > 0)); then cat "$TMP/demo.out"; echo "$failures failures"; exit 1; fi
echo "demo: all checks passed"
