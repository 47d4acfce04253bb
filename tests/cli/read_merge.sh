#!/usr/bin/env bash
# Several files are one stream merged by timestamp: a connection spanning two files is one connection.
source "$SRC/tests/cli/lib.sh"
python3 "$SRC/tests/support/pcapgen.py" rotated-a "$TMP/a.pcap"
python3 "$SRC/tests/support/pcapgen.py" rotated-b "$TMP/b.pcap"
# Given in reverse order on purpose: the merge is by time, not by argument order.
run_synscope read --json "$TMP/b.pcap" "$TMP/a.pcap"
expect_eq "merge exit" "$RC" 0
expect_eq "merged packets" "$(grep -c '"type":"packet"' <<<"$OUT")" 8
expect_eq "one connection" "$(grep -c '"type":"conn"' <<<"$OUT")" 1
expect_match "closed normally" "$(grep '"type":"conn"' <<<"$OUT")" '"conn_state":"SF"'
expect_eq "frames in time order" "$(grep -o '"ts":"[0-9.]*"' <<<"$OUT" | sort -c && echo sorted)" sorted
# Nanosecond pcap keeps nanoseconds end to end.
python3 "$SRC/tests/support/pcapgen.py" handshake-nano "$TMP/n.pcap"
run_synscope read --json -c 2 "$TMP/n.pcap"
expect_match "nano ts" "$(sed -n 2p <<<"$OUT")" '"ts":"1700000000.000001000"'
finish
