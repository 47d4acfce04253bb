#!/usr/bin/env bash
# synscope ping against iputils ping on replies: IPv4 and IPv6 raw sockets, counts, exit codes, the
# reply/statistics text, -q, -D, -s, several hosts at once, --json lines, --explain, Ctrl-C.
set -euo pipefail
# shellcheck source=ping_topology.sh
source "$(dirname "$0")/ping_topology.sh"
ping_setup replies
ping_workdir

compare_iputils v4 cli -c 3 -i 0.2 "$SRV4"
expect_grep v4 "$WORK/v4.synscope" "^PING $SRV4 \($SRV4\) 56\(84\) bytes of data\.$"
expect_grep v4 "$WORK/v4.synscope" "^64 bytes from $SRV4: icmp_seq=3 ttl=63 time=[0-9]+\.[0-9]+ ms$"
expect_grep v4 "$WORK/v4.synscope" "^--- $SRV4 ping statistics ---$"
expect_grep v4 "$WORK/v4.synscope" "^3 packets transmitted, 3 received, 0% packet loss, time [0-9]+ms$"
expect_grep v4 "$WORK/v4.synscope" "^rtt min/avg/max/mdev = [0-9]+\.[0-9]{3}/[0-9]+\.[0-9]{3}/[0-9]+\.[0-9]{3}/[0-9]+\.[0-9]{3} ms$"
# The line layout must be iputils' apart from the numbers.
diff <(sed -E 's/[0-9]+\.[0-9]+/N/g; s/time [0-9]+ms/time Tms/' "$WORK/v4.iputils") \
  <(sed -E 's/[0-9]+\.[0-9]+/N/g; s/time [0-9]+ms/time Tms/' "$WORK/v4.synscope") >&2 ||
  fail "v4: text layout differs from iputils"

compare_iputils v6 cli -c 3 -i 0.2 "$SRV6"
expect_grep v6 "$WORK/v6.synscope" "^PING $SRV6\($SRV6\) 56 data bytes$"
expect_grep v6 "$WORK/v6.synscope" "^64 bytes from $SRV6: icmp_seq=2 ttl=63 time="

compare_iputils small cli -c 2 -i 0.2 -s 8 "$SRV4"
expect_grep small "$WORK/small.synscope" "^16 bytes from $SRV4: icmp_seq=1 ttl=63$"
compare_iputils big cli -c 2 -i 0.2 -s 1400 "$SRV4"
expect_grep big "$WORK/big.synscope" "^1408 bytes from $SRV4: icmp_seq=1 ttl=63 time="
compare_iputils quiet cli -c 2 -i 0.2 -q "$SRV6"
if grep -q "bytes from" "$WORK/quiet.synscope"; then fail "quiet: reply lines printed with -q"; fi
compare_iputils deadline cli -c 3 -w 5 -i 0.2 "$SRV4"
compare_iputils family4 cli -4 -c 1 "$SRV4"
compare_iputils loopback cli -c 2 -i 0.2 127.0.0.1

ns_exec cli "$SYNSCOPE_BIN" ping -c 1 -D "$SRV4" >"$WORK/d" 2>&1
expect_grep D "$WORK/d" "^\[[0-9]{10}\.[0-9]{6}\] 64 bytes from $SRV4: icmp_seq=1"

# Several hosts at once (fping style): one statistics block each, replies interleaved; the run takes
# about as long as one host alone.
start=$(date +%s%N)
ns_exec cli "$SYNSCOPE_BIN" ping -c 3 -i 0.2 "$SRV4" "$SRV6" "$RTR4" >"$WORK/multi" 2>&1 || fail "multi: exit $?"
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
[[ $(grep -c 'ping statistics' "$WORK/multi") -eq 3 ]] || { cat "$WORK/multi" >&2; fail "multi: expected 3 summaries"; }
[[ $(grep -c '^3 packets transmitted, 3 received' "$WORK/multi") -eq 3 ]] || { cat "$WORK/multi" >&2; fail "multi: counts"; }
(( elapsed_ms < 1500 )) || fail "multi: took ${elapsed_ms} ms, hosts were not pinged concurrently"
echo "ok multi-host: 3 hosts in ${elapsed_ms} ms"

# JSON lines: every line parses, the documented keys are there with the right values.
ns_exec cli "$SYNSCOPE_BIN" ping --json -c 2 -i 0.2 "$SRV4" >"$WORK/json" 2>&1 || fail "json: exit $?"
python3 - "$WORK/json" "$SRV4" <<'PY' || fail "json: bad lines"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
host = sys.argv[2]
replies = [l for l in lines if l["type"] == "reply"]
summary = [l for l in lines if l["type"] == "summary"]
assert len(replies) == 2, lines
for i, r in enumerate(replies, 1):
    assert list(r)[:6] == ["type", "host", "seq", "ttl", "bytes", "rtt_ms"], r
    assert r["host"] == host and r["seq"] == i and r["ttl"] == 63 and r["bytes"] == 64, r
    assert isinstance(r["rtt_ms"], float) and 0 < r["rtt_ms"] < 1000, r
assert len(summary) == 1
s = summary[0]
assert s["transmitted"] == 2 and s["received"] == 2 and s["errors"] == 0 and s["loss_pct"] == 0, s
assert s["rtt_min_ms"] <= s["rtt_avg_ms"] <= s["rtt_max_ms"], s
PY
echo "ok json"

# --explain: the socket call and a byte-level view of the first reply.
ns_exec cli "$SYNSCOPE_BIN" ping --explain -c 1 "$SRV4" >"$WORK/explain" 2>&1 || fail "explain: exit $?"
expect_grep explain "$WORK/explain" "socket\(AF_INET, SOCK_RAW, IPPROTO_ICMP\)"
expect_grep explain "$WORK/explain" "8 +3f +TTL 63"
expect_grep explain "$WORK/explain" "9 +01 +protocol 1 \(ICMP\)"
expect_grep explain "$WORK/explain" "12-15 +c6 33 64 02 +source $SRV4"
expect_grep explain "$WORK/explain" "20 +00 +type 0 \(echo reply\)"
expect_grep explain "$WORK/explain" "checksum 0x[0-9a-f]{4} \(good\)"
echo "ok explain"

# Ctrl-C: statistics are printed and the exit code follows iputils (0: replies came).
# Not through ns_exec: a backgrounded shell function would make $! the subshell, not synscope.
# (No `timeout` wrapper either: it re-signals its process group and may report 130 itself.)
ip netns exec "$(ns_name cli)" "$SYNSCOPE_BIN" ping -i 0.2 "$SRV4" >"$WORK/int" 2>&1 &
pid=$!
(sleep 20; kill -KILL "$pid") >/dev/null 2>&1 &
watchdog=$!
sleep 1.1
kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
kill "$watchdog" 2>/dev/null || true
[[ $rc -eq 0 ]] || { cat "$WORK/int" >&2; fail "SIGINT: exit $rc, expected 0"; }
expect_grep sigint "$WORK/int" "^--- $SRV4 ping statistics ---$"
expect_grep sigint "$WORK/int" "^[56] packets transmitted, [56] received"
echo "ok SIGINT"
# Duplicates: the router copies every echo reply (nftables dup). iputils stops at the -c-th reply, so
# the copy of the last one is not counted: 3 received, +2 duplicates.
ns_exec rtr nft -f - <<EOF2
table ip synscope_dup {
  chain forward_dup {
    type filter hook forward priority 0; policy accept;
    ip daddr $CLI4 icmp type echo-reply dup to $CLI4 device a0
  }
}
EOF2
compare_iputils dup cli -c 3 -i 0.2 "$SRV4"
expect_grep dup "$WORK/dup.synscope" "^64 bytes from $SRV4: icmp_seq=2 ttl=63 time=[0-9.]+ ms \(DUP!\)$"
expect_grep dup "$WORK/dup.synscope" "^3 packets transmitted, 3 received, \+2 duplicates, 0% packet loss"
# Wrong data: the router rewrites data bytes 16 and 18 of each echo reply (0x10, 0x12 -> 0x20, 0x02: the
# same one's-complement sum, so the ICMP checksum stays valid). Both pings report the first wrong byte.
ns_exec rtr nft -f - <<EOF2
table ip synscope_mangle {
  chain forward_mangle {
    type filter hook forward priority 10; policy accept;
    ip daddr $CLI4 icmp type echo-reply @th,192,8 set 0x20 @th,208,8 set 0x02
  }
}
EOF2
ns_exec rtr nft delete table ip synscope_dup
compare_iputils wrong-data cli -c 2 -i 0.2 "$SRV4"
expect_grep wrong-data "$WORK/wrong-data.synscope" "^wrong data byte #16 should be 0x10 but was 0x20$"
expect_grep wrong-data "$WORK/wrong-data.synscope" "^#16	20 11 2 13 14 "
if grep -q "BAD CHECKSUM" "$WORK/wrong-data.synscope"; then fail "wrong-data: checksum should still be valid"; fi

# A single rewritten byte breaks the checksum: counted as corrupted, not received (newer iputils does the
# same; iputils 20221126 passes 0 instead of its checksum verdict to gather_statistics and counts it).
ns_exec rtr nft flush chain ip synscope_mangle forward_mangle
ns_exec rtr nft add rule ip synscope_mangle forward_mangle ip daddr "$CLI4" icmp type echo-reply @th,192,8 set 0xaa
rc=0
ns_exec cli "$SYNSCOPE_BIN" ping -c 2 -i 0.2 -W 1 "$SRV4" >"$WORK/corrupt" 2>&1 || rc=$?
[[ $rc -eq 1 ]] || { cat "$WORK/corrupt" >&2; fail "corrupted: exit $rc, expected 1"; }
expect_grep corrupted "$WORK/corrupt" "icmp_seq=1 ttl=63 time=[0-9.]+ ms \(BAD CHECKSUM!\)$"
expect_grep corrupted "$WORK/corrupt" "^2 packets transmitted, 0 received, \+2 corrupted, 100% packet loss"
echo "ok wrong data and bad checksums"
echo "ping replies: ok"
