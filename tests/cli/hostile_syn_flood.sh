#!/usr/bin/env bash
# 10^6 distinct SYNs (a scan or a flood): every connection is reported and memory stays bounded.
# With --max-conns N the tracker's memory must not grow with the input (the oldest idle connection is
# evicted and reported early); with the default cap the peak is measured against a per-connection budget.
# Under ASan (memory inflated, 10x slower) the growth check runs on 10^4 vs 10^5 SYNs instead.
source "$SRC/tests/cli/lib.sh"
gen() { python3 "$SRC/tests/support/pcapgen.py" "$@"; }
# peak RSS (KiB) of one synscope run; stdout to $TMP/out, stderr to $TMP/err, exit code in RC.
peak_rss() {
  python3 - "$TMP/out" "$TMP/err" "$SYNSCOPE" "$@" <<'PY'
import resource, subprocess, sys
with open(sys.argv[1], "wb") as out, open(sys.argv[2], "wb") as err:
    rc = subprocess.run(sys.argv[3:], stdout=out, stderr=err).returncode
print(rc, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
PY
}
asan=0
# (ldd's output captured whole: with pipefail, `ldd | grep -q` failed whenever grep quit before ldd had
# written everything and ldd died of SIGPIPE, and the ASan build then ran as if it were a plain one.)
libs=$(ldd "$SYNSCOPE" 2>/dev/null || true)
if [[ $libs == *libasan* || $libs == *libubsan* ]]; then asan=1; fi
small=10000; big=1000000
((asan)) && big=100000
gen syn-flood "$TMP/small.pcap" "$small"
gen syn-flood "$TMP/big.pcap" "$big"
# pcapgen's flood maps i and i+1 to the same 4-tuple when i is a multiple of 65536 (port 0 -> 1).
distinct() { echo $(($1 - ($1 - 1) / 65536 - 1)); }

read -r rc_small rss_small < <(peak_rss read --json --max-conns 1000 "$TMP/small.pcap")
read -r rc_big rss_big < <(peak_rss read --json --max-conns 1000 "$TMP/big.pcap")
expect_eq "capped small exit" "$rc_small" 0
expect_eq "capped big exit" "$rc_big" 0
expect_eq "capped big: no sanitizer report" "$(grep -c 'Sanitizer\|runtime error' "$TMP/err")" 0
expect_eq "capped big: every connection reported" "$(grep -c '"type":"conn"' "$TMP/out")" "$(distinct "$big")"
expect_match "capped big: evictions counted" "$(tail -1 "$TMP/out")" "\"frames\":$big,.*\"evicted\":$(($(distinct "$big") - 1000))"
echo "max-conns 1000: peak RSS ${rss_small} KiB for $small SYNs, ${rss_big} KiB for $big SYNs"
# Bounded: 100x the input may not cost more than 16 MiB (stdio and output buffers, not connections).
checks=$((checks + 1))
if ((rss_big > rss_small + 16384)); then fail "capped memory grows with the input: $rss_small -> $rss_big KiB"; fi

if ((asan == 0)); then
  read -r rc rss < <(peak_rss read --zeek "$TMP/big.pcap")
  expect_eq "default cap exit" "$rc" 0
  expect_eq "default cap: every connection in conn.log" "$(grep -vc '^#' "$TMP/out")" "$(distinct "$big")"
  echo "default cap (1e6 connections tracked): peak RSS $rss KiB for $big SYNs ($((rss * 1024 / big)) bytes per connection)"
  # The budget users can plan with: 1.5 KiB per tracked connection, all in.
  checks=$((checks + 1))
  if ((rss > big * 3 / 2)); then fail "default cap: $rss KiB for $big connections is over 1.5 KiB each"; fi

  # Under an address-space limit (ulimit -v) the connection table takes at most a quarter of it and
  # evicts beyond what fits, as with a smaller --max-conns: every connection is still reported, the text
  # summary says how many were evicted, and the run ends normally. (ASan needs terabytes of address space:
  # not under it.)
  (ulimit -v 200000 && exec "$SYNSCOPE" read --conns-only "$TMP/big.pcap") >"$TMP/out" 2>"$TMP/err"
  expect_eq "ulimit -v 200000: exit" "$?" 0
  expect_eq "ulimit -v 200000: nothing on stderr" "$(wc -c <"$TMP/err")" 0
  expect_match "ulimit -v 200000: every connection reported" "$(grep '^connections:' "$TMP/out")" "^connections: $(distinct "$big") "
  expect_match "ulimit -v 200000: evictions noted" "$(grep '^note: .*(evicted)' "$TMP/out")" "^note: [0-9]+ connections were reported before they ended \(evicted\)"
fi
finish
