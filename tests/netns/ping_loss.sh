#!/usr/bin/env bash
# Loss: the server drops echo requests with nftables. A deterministic rule (every second request) lets
# synscope and iputils be compared count for count; a random rule (numgen random mod 2) checks that the
# statistics stay consistent; dropping everything checks the -W linger time and exit code 1.
set -euo pipefail
# shellcheck source=ping_topology.sh
source "$(dirname "$0")/ping_topology.sh"
ping_setup loss
ping_workdir

nft_rule() {
  ns_exec srv nft -f - <<EOF2
flush ruleset
table inet synscope_loss {
  chain input {
    type filter hook input priority 0; policy accept;
    $1
  }
}
EOF2
}

# Every second echo request from the client is dropped; each run sends an even number so the next run
# starts at the same phase.
nft_rule "ip saddr $CLI4 icmp type echo-request numgen inc mod 2 == 0 drop
    ip6 saddr $CLI6 icmpv6 type echo-request numgen inc mod 2 == 0 drop"
compare_iputils half4 cli -c 4 -i 0.2 -W 1 "$SRV4"
expect_grep half4 "$WORK/half4.synscope" "^4 packets transmitted, 2 received, 50% packet loss"
compare_iputils half6 cli -c 4 -i 0.2 -W 1 "$SRV6"
compare_iputils half4-quiet cli -q -c 6 -i 0.2 -W 1 "$SRV4"

# -O: an unanswered probe is reported when the next one goes out.
ns_exec cli "$SYNSCOPE_BIN" ping -O -c 4 -i 0.2 -W 1 "$SRV4" >"$WORK/outstanding" 2>&1 || fail "-O: exit $?"
expect_grep outstanding "$WORK/outstanding" "^no answer yet for icmp_seq=[0-9]+$"

# Random loss: consistent statistics (received + lost = transmitted, the loss figure matches).
nft_rule "ip saddr $CLI4 icmp type echo-request numgen random mod 2 == 0 drop"
ns_exec cli "$SYNSCOPE_BIN" ping --json -c 20 -i 0.2 -W 1 "$SRV4" >"$WORK/random" 2>&1 || true
python3 - "$WORK/random" <<'PY' || fail "random loss: inconsistent statistics"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
replies = [l for l in lines if l["type"] == "reply"]
s = [l for l in lines if l["type"] == "summary"][0]
assert s["transmitted"] == 20, s
assert s["received"] == len(replies), (s, len(replies))
assert 0 < s["received"] < 20, s  # P(all or none) = 2 * 2^-20
assert abs(s["loss_pct"] - 100.0 * (20 - s["received"]) / 20) < 1e-6, s
assert s["exit"] == 0
print(f"ok random loss: {s['received']}/20 received, {s['loss_pct']}% loss")
PY

# Everything dropped: nothing received, exit 1, and the wait after the last probe is -W.
nft_rule "ip saddr $CLI4 icmp type echo-request drop"
start=$(date +%s%N)
compare_iputils all-lost cli -c 2 -i 0.2 -W 1 "$SRV4"
expect_grep all-lost "$WORK/all-lost.synscope" "^2 packets transmitted, 0 received, 100% packet loss, time 2[0-9]{2}ms$"
start=$(date +%s%N)
ns_exec cli "$SYNSCOPE_BIN" ping -q -c 2 -i 0.2 -W 1 "$SRV4" >/dev/null 2>&1 && fail "all lost: exit 0"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
(( ms >= 1100 && ms < 2500 )) || fail "all lost: took ${ms} ms, expected 0.2 s + -W 1 s"
echo "ok linger: ${ms} ms"
# -w deadline with nothing coming back: exit 1 at the deadline, whatever -c says.
compare_iputils deadline-lost cli -c 1 -w 1 -i 0.4 "$SRV4"
echo "ping loss: ok"
