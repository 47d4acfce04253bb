#!/usr/bin/env bash
# Hostile-input cases of issue 7 that tests/cli/read_errors.sh does not cover: libpcap's own reject
# cases, IPv6 extension-header chains, ICMP errors quoting cut headers. Each checks the message, the
# exit code and that everything readable was still reported; none may crash or trip a sanitizer.
source "$SRC/tests/cli/lib.sh"
gen() { python3 "$SRC/tests/support/pcapgen.py" "$@"; }
no_sanitizer_report() { expect_eq "$1: no sanitizer report" "$(grep -c 'Sanitizer\|runtime error' <<<"$ERR")" 0; }

# libpcap's reject cases (captures/libpcap/*.err hold the newest libpcap's message). Debian's libpcap
# 1.10.3 opens linktype-reserved-field-not-zero.pcap (an unknown link type, like tcpdump says); the rest
# must be refused with one line naming the file and libpcap's reason, exit 2, nothing on stdout.
LIBPCAP="$SHARED/libpcap"
if [[ -d "$LIBPCAP" ]]; then
  for f in "$LIBPCAP"/*.pcap "$LIBPCAP"/*.pcapng; do
    name=$(basename "$f")
    run_synscope read --json "$f"
    no_sanitizer_report "$name"
    if [[ $name == linktype-reserved-field-not-zero.pcap ]]; then
      expect_eq "$name exit" "$RC" 0
      expect_match "$name: unknown link type warning" "$ERR" "link type 3145728 .* is not decoded"
      expect_match "$name: summary" "$OUT" '"type":"summary","frames":0'
      continue
    fi
    expect_eq "$name exit" "$RC" 2
    expect_eq "$name: one line" "$(wc -l <<<"$ERR")" 1
    expect_match "$name message" "$ERR" "^synscope: .*$name: not a readable pcap/pcapng file \(.+\)$"
    expect_eq "$name: no stdout" "$OUT" ""
    # The reason is libpcap's: the .err text (newer libpcap) or the archaic/older wording of 1.10.
    reason=$(sed -n 's/^Failed opening: //p' "$f.err" | sed 's/ [0-9].*//; s/(.*//' | cut -c1-20)
    case $name in
      pcap-invalid-version-1.pcap) expect_match "$name reason" "$ERR" "archaic pcap savefile format|$reason" ;;
      shb-option-too-long.pcapng) expect_match "$name reason" "$ERR" "block total length in header" ;;
      *) expect_match "$name reason" "$ERR" "$reason" ;;
    esac
  done
else
  echo "skip: $LIBPCAP not found"
fi

# IPv6 with 50 extension headers (hop-by-hop then destination options): walked to the TCP SYN.
gen ipv6-ext-chain "$TMP/ext50.pcap" 50
run_synscope read --json "$TMP/ext50.pcap"
no_sanitizer_report "ipv6 50 ext"
expect_eq "ipv6 50 ext exit" "$RC" 0
expect_match "ipv6 50 ext: TCP SYN decoded" "$(sed -n 1p <<<"$OUT")" '"proto":6,.*"sport":40000,"dport":80,"flags":"S"'
expect_match "ipv6 50 ext: tracked" "$OUT" '"type":"conn".*"conn_state":"S0"'
# 300 headers: a clear "invalid" verdict instead of an unbounded walk; the frame is still listed.
gen ipv6-ext-chain "$TMP/ext300.pcap" 300
run_synscope read --json "$TMP/ext300.pcap"
no_sanitizer_report "ipv6 300 ext"
expect_eq "ipv6 300 ext exit" "$RC" 0
expect_match "ipv6 300 ext: invalid" "$(sed -n 1p <<<"$OUT")" '"error":"[^"]*extension[^"]*","error_kind":"invalid"'
run_synscope read "$TMP/ext300.pcap"
expect_eq "ipv6 300 ext text exit" "$RC" 0

# ICMP errors quoting an IPv4 header cut at 0, 8, 19, 20, 24 bytes, and one whose IHL runs past the quote:
# every frame listed, the cut ones marked truncated, ports only where 4 bytes of TCP were quoted.
gen icmp-quote-cut "$TMP/qcut.pcap"
run_synscope read --json "$TMP/qcut.pcap"
no_sanitizer_report "icmp quote cut"
expect_eq "icmp quote cut exit" "$RC" 0
expect_eq "icmp quote cut: all frames" "$(grep -c '"type":"packet"' <<<"$OUT")" 11
expect_eq "icmp quote cut: quotes marked truncated" "$(grep -c '"quoted":{[^}]*"truncated":true' <<<"$OUT")" 9
expect_eq "icmp quote cut: ports only from a 24-byte quote" "$(grep -c '"quoted":{[^}]*"sport":80,"dport":40000' <<<"$OUT")" 2
expect_match "icmp quote cut: full IP header quoted" "$(sed -n 7p <<<"$OUT")" '"quoted":\{"src":"198.51.100.2","dst":"192.0.2.1","proto":6'
# A quote shorter than an IP header has no addresses: none are made up (no 0.0.0.0), text or JSON.
expect_eq "icmp quote cut: no addresses under 20 bytes" "$(grep -c '"quoted":{"truncated":true}' <<<"$OUT")" 4
expect_eq "icmp quote cut: no made-up address (json)" "$(grep -c '0\.0\.0\.0' <<<"$OUT")" 0
run_synscope read --no-track "$TMP/qcut.pcap"
expect_eq "icmp quote cut: no made-up address (text)" "$(grep -c '0\.0\.0\.0' <<<"$OUT")" 0
for mode in "" --zeek --explain; do
  # shellcheck disable=SC2086
  run_synscope read $mode "$TMP/qcut.pcap"
  no_sanitizer_report "icmp quote cut ${mode:-text}"
  expect_eq "icmp quote cut ${mode:-text} exit" "$RC" 0
done

finish
