#!/usr/bin/env bash
# Every saved fuzz crash input (fuzz/regressions/<target>/) through the normal synscope binary: whole
# files for file_reader; decode_frame inputs and raw-IPv4 icmp_reply inputs wrapped into a one-record
# capture of the link type they chose (tests/support/pcapgen.py fuzz-input). Each output mode must
# finish with exit 0, 1 (data problem) or 2 (not a capture) and no sanitizer report. The target
# functions themselves replay in tests/unit/fuzz_regressions_test.cpp (synscope_tests).
source "$SRC/tests/cli/lib.sh"
regress="$SRC/fuzz/regressions"
count=0
for dir in "$regress"/*/; do
  target=$(basename "$dir")
  for input in "$dir"*; do
    [[ -f "$input" ]] || continue
    name="$target/$(basename "$input")"
    case $target in
      file_reader) capture=$input ;;
      decode_frame | icmp_reply)
        capture="$TMP/$target-$(basename "$input").pcap"
        python3 "$SRC/tests/support/pcapgen.py" fuzz-input "$capture" "$target" "$input" ;;
      *) continue ;;  # tracker inputs are packet-sequence scripts: replayed by the unit test only
    esac
    count=$((count + 1))
    for mode in --json "" --zeek --explain --no-track; do
      # shellcheck disable=SC2086
      run_synscope read $mode "$capture"
      expect_match "$name ${mode:-text}: exit 0, 1 or 2" "$RC" '^[012]$'
      expect_eq "$name ${mode:-text}: no sanitizer report" "$(grep -c 'Sanitizer\|runtime error' <<<"$ERR")" 0
    done
    if [[ $target != file_reader ]]; then
      run_synscope read --json "$capture"
      expect_eq "$name: the frame is listed" "$(grep -c '"type":"packet"' <<<"$OUT")" 1
    fi
  done
done
echo "$count regression inputs read"
finish
