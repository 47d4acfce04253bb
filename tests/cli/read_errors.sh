#!/usr/bin/env bash
# Hostile-input matrix for `synscope read`: each case checks the message, the exit code and that every
# readable record was still produced.
source "$SRC/tests/cli/lib.sh"
gen() { python3 "$SRC/tests/support/pcapgen.py" "$@"; }

# Missing file: one line naming the file and the reason, exit 2.
run_synscope read "$TMP/nope.pcap"
expect_eq "missing file exit" "$RC" 2
expect_match "missing file message" "$ERR" "cannot open .*nope.pcap: No such file or directory"
expect_eq "missing file: one line" "$(wc -l <<<"$ERR")" 1

# A directory.
run_synscope read "$TMP"
expect_eq "directory exit" "$RC" 2
expect_match "directory message" "$ERR" "is a directory"

# Empty file, 24-byte header only, garbage.
: >"$TMP/empty.pcap"
run_synscope read "$TMP/empty.pcap"
expect_eq "empty exit" "$RC" 2
expect_match "empty message" "$ERR" "empty.pcap: not a readable pcap/pcapng file \(empty file\)"
gen header-only "$TMP/hdr.pcap"
run_synscope read --json "$TMP/hdr.pcap"
expect_eq "header-only exit" "$RC" 0
expect_match "header-only summary" "$OUT" '"type":"summary","frames":0'
gen garbage "$TMP/garbage.pcap"
run_synscope read "$TMP/garbage.pcap"
expect_eq "garbage exit" "$RC" 2
expect_match "garbage message" "$ERR" "not a readable pcap/pcapng file"

# A record cut off in the middle: all complete records printed, a warning, exit 1.
gen truncated-record "$TMP/trunc.pcap"
run_synscope read --json "$TMP/trunc.pcap"
expect_eq "truncated exit" "$RC" 1
expect_eq "truncated: complete records kept" "$(grep -c '"type":"packet"' <<<"$OUT")" 7
expect_match "truncated: warning" "$ERR" "warning: .*trunc.pcap: truncated dump file"
expect_match "truncated: connection still reported" "$OUT" '"type":"conn"'
gen truncated-header "$TMP/trunch.pcap"
run_synscope read --json "$TMP/trunch.pcap"
expect_eq "truncated record header exit" "$RC" 1
expect_eq "truncated record header: records kept" "$(grep -c '"type":"packet"' <<<"$OUT")" 3

# caplen > len and an absurd caplen: libpcap's verdict, cleanly reported.
gen caplen-gt-len "$TMP/cgl.pcap"
run_synscope read --json "$TMP/cgl.pcap"
expect_match "caplen>len exit is 0 or 1" "$RC" '^[01]$'
gen huge-caplen "$TMP/huge.pcap"
run_synscope read --json "$TMP/huge.pcap"
expect_eq "huge caplen exit" "$RC" 1
expect_eq "huge caplen: first record kept" "$(grep -c '"type":"packet"' <<<"$OUT")" 1
expect_match "huge caplen: warning" "$ERR" "warning: .*huge.pcap"

# Unknown link type: one warning line, frames counted, no crash.
gen unknown-linktype "$TMP/ul.pcap"
run_synscope read --json "$TMP/ul.pcap"
expect_eq "unknown linktype exit" "$RC" 0
expect_match "unknown linktype warning" "$ERR" "link type 147 .* is not decoded"
expect_eq "unknown linktype: frames still listed" "$(grep -c '"type":"packet"' <<<"$OUT")" 2

# TCP data offset < 5 and beyond the packet: invalid vs truncated.
gen bad-tcp-offset "$TMP/off.pcap"
run_synscope read --json "$TMP/off.pcap"
expect_eq "bad offset exit" "$RC" 0
expect_match "offset < 5 is invalid" "$(sed -n 1p <<<"$OUT")" '"error_kind":"invalid"'
expect_match "offset beyond packet is truncated or invalid" "$(sed -n 2p <<<"$OUT")" '"error_kind":"(truncated|invalid)"'

# Bad BPF filter: libpcap's message, exit 2.
gen handshake "$TMP/hs.pcap"
run_synscope read -f "tcp port banana" "$TMP/hs.pcap"
expect_eq "bad filter exit" "$RC" 2
expect_match "bad filter message" "$ERR" "bad filter expression 'tcp port banana'"

# Unknown option and absurd values: one clear line, exit 2.
run_synscope read --frobnicate "$TMP/hs.pcap"
expect_eq "unknown option exit" "$RC" 2
expect_match "unknown option message" "$ERR" "frobnicate"
run_synscope read -c 0 "$TMP/hs.pcap"
expect_eq "-c 0 exit" "$RC" 2
run_synscope read -c -5 "$TMP/hs.pcap"
expect_eq "-c -5 exit" "$RC" 2
run_synscope read --max-conns 0 "$TMP/hs.pcap"
expect_eq "--max-conns 0 exit" "$RC" 2
run_synscope read --color purple "$TMP/hs.pcap"
expect_eq "--color purple exit" "$RC" 2
run_synscope read --inactivity-timeout -1 "$TMP/hs.pcap"
expect_eq "negative timeout exit" "$RC" 2
run_synscope read
expect_eq "no file exit" "$RC" 2
expect_match "no file message" "$ERR" "FILE is required"
run_synscope bogus
expect_eq "unknown subcommand exit" "$RC" 2
expect_match "unknown subcommand message" "$ERR" "unknown subcommand 'bogus'"

# A FIFO is read as a stream (like tcpdump -r -), and so is stdin.
mkfifo "$TMP/fifo"
cat "$TMP/hs.pcap" >"$TMP/fifo" &
run_synscope read --json "$TMP/fifo"
wait
expect_eq "fifo exit" "$RC" 0
expect_eq "fifo packets" "$(grep -c '"type":"packet"' <<<"$OUT")" 8
"$SYNSCOPE" read --json - <"$TMP/hs.pcap" >"$TMP/stdin.out" 2>&1
expect_eq "stdin packets" "$(grep -c '"type":"packet"' "$TMP/stdin.out")" 8

# No permission (only meaningful when not root: root reads anything).
if [[ $(id -u) -ne 0 ]]; then
  cp "$TMP/hs.pcap" "$TMP/noperm.pcap"; chmod 000 "$TMP/noperm.pcap"
  run_synscope read "$TMP/noperm.pcap"
  expect_eq "no permission exit" "$RC" 2
  expect_match "no permission message" "$ERR" "Permission denied"
fi

# -c stops after N packets, and the filter keeps frame numbers of the whole file.
run_synscope read --json -c 2 "$TMP/hs.pcap"
expect_eq "-c 2" "$(grep -c '"type":"packet"' <<<"$OUT")" 2
run_synscope read --json -f "tcp[tcpflags] & tcp-fin != 0" "$TMP/hs.pcap"
expect_eq "filter frames" "$(grep -o '"frame":[0-9]*' <<<"$OUT" | tr '\n' ' ')" '"frame":6 "frame":7 '

finish
