#!/usr/bin/env bash
# One command for the performance table of issue 6:
#   bench/run.sh            builds (Release, -DSYNSCOPE_BENCH=ON) if needed, generates the 100k, 1M and 10M
#                           packet captures in a temporary directory under /tmp, drops each from the page
#                           cache and reads it back, times the floors, synscope and its peers, and prints
#                           packets/s, ratios and peak RSS, and last each target of issue 6 with its value
#                           and met / NOT met on this machine.
# Environment: BUILD (build dir, default <src>/build-perf), KEEP=1 keeps the generated files,
# SIZES="100000 1000000 10000000" the files to time, REPEAT=3 runs of each fast command (the best one counts),
# PEERS=0 skips tcpdump/tshark/tcptrace, FLOOD=5000000 SYNs for the memory run (0 skips it).
# Timings are wall-clock seconds of the whole process; "cpu" is user+sys (a steadier figure on a busy machine).
# Time per packet 10M vs 1M is also measured with the two files' runs alternating (the host drifts over
# the minutes between the size blocks).
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$SRC/build-perf}
SIZES=${SIZES:-"100000 1000000 10000000"}
REPEAT=${REPEAT:-3}
PEERS=${PEERS:-1}
FLOOD=${FLOOD:-5000000}
TIME=/usr/bin/time

[[ -x $TIME ]] || { echo "run.sh: needs GNU time (apt-get install -y time)" >&2; exit 2; }

if [[ ! -x $BUILD/synscope || ! -x $BUILD/bench/synscope_gen || ! -x $BUILD/bench/floor_read ]]; then
  cmake -S "$SRC" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSYNSCOPE_BENCH=ON >/dev/null
fi
cmake --build "$BUILD" -j2 --target synscope synscope_gen floor_read floor_pcap_open floor_pcap_fopen >/dev/null

SYN=$BUILD/synscope
B=$BUILD/bench
WORK=$(mktemp -d /tmp/synscope-bench.XXXXXX)
cleanup() { [[ ${KEEP:-0} == 1 ]] && echo "kept $WORK" >&2 || rm -rf "$WORK"; }
trap cleanup EXIT

have() { command -v "$1" >/dev/null 2>&1; }

# measure LABEL PACKETS REPEAT -- command...   (stdout of the command goes to /dev/null)
# Appends "label packets wall cpu rss_kb" (best wall of REPEAT runs) to $WORK/results.
measure() {
  local label=$1 packets=$2 repeat=$3
  shift 4
  local best_wall="" best_line=""
  for ((i = 0; i < repeat; i++)); do
    # Wall time from the clock in nanoseconds (GNU time's %e has 10 ms steps: useless at 100k packets);
    # GNU time still gives the cpu time (10 ms steps) and the peak RSS.
    local t0 t1
    t0=$(date +%s%N)
    if ! $TIME -f "%e %U %S %M" -o "$WORK/t" "$@" >/dev/null 2>"$WORK/err"; then
      # synscope exits 1 for data problems; anything else is a failure worth showing.
      if ! grep -q '^Command exited with non-zero status 1$' "$WORK/t"; then
        echo "run.sh: '$*' failed:" >&2
        cat "$WORK/err" "$WORK/t" >&2
        return 1
      fi
    fi
    t1=$(date +%s%N)
    local line
    line=$(tail -n 1 "$WORK/t")
    local wall
    wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.4f", (b - a) / 1e9}')
    line="$wall ${line#* }"
    if [[ -z $best_wall ]] || awk -v a="$wall" -v b="$best_wall" 'BEGIN{exit !(a < b)}'; then
      best_wall=$wall
      best_line=$line
    fi
  done
  read -r wall user sys rss <<<"$best_line"
  local cpu
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN{printf "%.2f", u + s}')
  echo "$label $packets $wall $cpu $rss" >>"$WORK/results"
  awk -v l="$label" -v p="$packets" -v w="$wall" -v c="$cpu" -v r="$rss" 'BEGIN{
    printf "  %-44s %7.3f s  cpu %6.2f s  %7.3f Mpkt/s (cpu %7.3f)  rss %6.1f MiB\n",
      l, w, c, p / (w > 0 ? w : 0.01) / 1e6, p / (c > 0 ? c : 0.01) / 1e6, r / 1024 }'
}

# alternate ROUNDS A B: runs the commands A and B (function names) in turn, ROUNDS times each, and sets
# best_a and best_b to the best wall time of each in microseconds. Runs that alternate share the host's
# drift, so the ratio of the two is safe from it.
alternate() {
  local rounds=$1 a=$2 b=$3 i which t0 t1 w
  best_a="" best_b=""
  for ((i = 0; i < rounds; i++)); do
    for which in a b; do
      t0=$(date +%s%N)
      if [[ $which == a ]]; then "$a" >/dev/null 2>&1 || true; else "$b" >/dev/null 2>&1 || true; fi
      t1=$(date +%s%N)
      w=$(((t1 - t0) / 1000))
      if [[ $which == a ]]; then
        [[ -z $best_a || $w -lt $best_a ]] && best_a=$w
      else
        [[ -z $best_b || $w -lt $best_b ]] && best_b=$w
      fi
    done
  done
  return 0  # (the last test above may be false: not a failure under set -e)
}

echo "synscope benchmark — $(nproc) cores, $(. /etc/os-release && echo "$PRETTY_NAME"), $(uname -r)"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "work dir: $WORK"
: >"$WORK/results"

for n in $SIZES; do
  f=$WORK/mixed-$n.pcap
  start=$(date +%s.%N)
  "$B/synscope_gen" --packets "$n" --seed 1 -o "$f"
  end=$(date +%s.%N)
  size=$(stat -c %s "$f")
  awk -v n="$n" -v s="$size" -v a="$start" -v b="$end" 'BEGIN{
    printf "\n== %d packets (%.0f MiB, %.0f bytes/record), generated in %.1f s ==\n", n, s / 1048576, s / n, b - a }'
  # Into the page cache as a capture read from disk would be: dropped, then read back. How the cache holds
  # a file moves the floors: the read() walk over one 3M file took 16 to 28 ns per packet here depending
  # on how it had got there (written, read back, partly evicted), buffered pcap_next_ex 48 to 58 ns.
  dd if="$f" iflag=nocache count=0 status=none
  cat "$f" >/dev/null
  reps=$REPEAT
  if ((n >= 10000000 && reps > 2)); then reps=2; fi  # keeps the whole run near 10 minutes
  if ((n >= 1000000)); then tag=$((n / 1000000))M; else tag=$((n / 1000))k; fi
  measure "floor: read() 1 MiB walk [$tag]" "$n" "$reps" -- "$B/floor_read" "$f"
  measure "floor: pcap_next_ex, fopen+1MiB [$tag]" "$n" "$reps" -- "$B/floor_pcap_fopen" "$f"
  measure "floor: pcap_next_ex, open_offline [$tag]" "$n" 1 -- "$B/floor_pcap_open" "$f"
  measure "synscope read --conns-only [$tag]" "$n" "$reps" -- "$SYN" read --conns-only "$f"
  measure "synscope read --conns-only -j 2 [$tag]" "$n" "$reps" -- "$SYN" read --conns-only -j 2 "$f"
  measure "synscope read --json [$tag]" "$n" "$reps" -- "$SYN" read --json "$f"
  measure "synscope read (text) [$tag]" "$n" "$reps" -- "$SYN" read "$f"
  # Printing on a second thread (read -j 2: tracking on one, decoding and printing on the other).
  measure "synscope read --json -j 2 [$tag]" "$n" "$reps" -- "$SYN" read --json -j 2 "$f"
  measure "synscope read (text) -j 2 [$tag]" "$n" "$reps" -- "$SYN" read -j 2 "$f"
  # Without the tracker: reading + decoding + the sink alone (where the time goes).
  measure "synscope read --conns-only --no-track [$tag]" "$n" "$reps" -- "$SYN" read --conns-only --no-track "$f"
  # The issue's headline ratio from runs that alternate (floor, synscope, floor, …; the best of each
  # counts), so that the host's drift between the blocks above cannot pass for a change of either.
  run_floor() { "$B/floor_pcap_fopen" "$f"; }
  run_conns() { "$SYN" read --conns-only "$f"; }
  alternate "$((reps < 3 ? 3 : reps))" run_floor run_conns
  alt_floor=$best_a alt_syn=$best_b
  echo "$tag $alt_floor $alt_syn" >>"$WORK/alternating"
  awk -v t="$tag" -v a="$alt_floor" -v b="$alt_syn" 'BEGIN{
    printf "  %-44s floor %.3f s  synscope %.3f s  %.1f%% of the floor\n", "--conns-only vs fopen floor, alternating [" t "]", a / 1e6, b / 1e6, 100 * a / b }'
  # Time per packet, 10M against 1M: the two files' runs alternate (three of each per mode, the best
  # counts), so the host's drift over the minutes between the two size blocks cannot pass for a change.
  # Before the peers: tcptrace's 4.8 GiB on the 10M file leaves the next minute of runs slower.
  if ((n == 10000000)) && [[ -f $WORK/mixed-1000000.pcap ]]; then
    echo "  -- time per packet, 1M and 10M runs alternating (best of 3 each) --"
    small=$WORK/mixed-1000000.pcap
    cat "$small" >/dev/null
    for mode in "--conns-only" "--json" "(text)"; do
      args=(read)
      [[ $mode != "(text)" ]] && args+=("$mode")
      run_small() { "$SYN" "${args[@]}" "$small"; }
      run_big() { "$SYN" "${args[@]}" "$f"; }
      alternate 3 run_small run_big
      best1=$best_a best10=$best_b
      echo "linear $mode $best1 $best10" >>"$WORK/linear"
      awk -v m="$mode" -v a="$best1" -v b="$best10" 'BEGIN{
        printf "  %-44s 1M %.3f s  10M %.3f s  time/packet 10M vs 1M %.1f%%\n", "synscope read " m, a / 1e6, b / 1e6, 100 * (b / 10) / a }'
    done
  fi
  if [[ $PEERS == 1 ]]; then
    if have tcptrace; then measure "tcptrace -n [$tag]" "$n" 1 -- tcptrace -n "$f"; fi
    # tcpdump caches the text of the addresses it prints in a fixed-size table: with this generator's 384
    # IPv4 clients its time per packet is flat (~3 µs), with random 10.0.0.0/8 clients (sessions before 6)
    # it grew to ~70 µs over 1M packets. Best of up to 3 runs, like synscope's best of REPEAT, so that the
    # text ratio compares best with best.
    if [[ $n -le 1000000 ]]; then  # these need minutes on the 10M file
      if have tcpdump; then measure "tcpdump -n -r [$tag]" "$n" "$((reps < 3 ? reps : 3))" -- tcpdump -n -r "$f"; fi
      if have tshark; then
        measure "tshark -T fields tcp.stream,tcp.flags [$tag]" "$n" 1 -- \
          tshark -n -r "$f" -T fields -e tcp.stream -e tcp.flags
        measure "tshark -q -z conv,tcp [$tag]" "$n" 1 -- tshark -n -q -r "$f" -z conv,tcp
      fi
    fi
  fi
  if [[ ${KEEP:-0} != 1 ]]; then
    # The 1M file stays for the alternating runs of the 10M block.
    if [[ $n != 1000000 || " $SIZES " != *" 10000000 "* ]]; then rm -f "$f"; fi
  fi
done
[[ ${KEEP:-0} == 1 ]] || rm -f "$WORK/mixed-1000000.pcap"

if [[ $FLOOD -gt 0 ]]; then
  f=$WORK/synflood.pcap
  "$B/synscope_gen" --syn-flood "$FLOOD" --seed 1 -o "$f"
  cat "$f" >/dev/null
  echo
  echo "== SYN flood: $FLOOD distinct SYNs, default --max-conns =="
  measure "synscope read --conns-only [flood]" "$FLOOD" 1 -- "$SYN" read --conns-only "$f"
  rm -f "$f"
fi

# ---- ratios, then issue 6's targets, each with its measured value and a verdict ---------------------
# One pass over the three result files: "label packets wall cpu rss_kb" per timed command, the alternating
# floor/--conns-only bests per size, and the alternating 1M/10M bests per mode (the last two may be absent).
# The verdicts are of this machine: the floors and the peers move with the host (the same synscope build ran
# at 43 % of the floor and 13× tcpdump on one VM host, 43 % and 7.7× on another; bench/README.md).
echo
echo "== ratios (wall / cpu) =="
touch "$WORK/alternating" "$WORK/linear"
awk '
  FILENAME ~ /results$/ {
    key = $1; for (i = 2; i < NF - 3; i++) key = key " " $i
    wall[key] = $(NF-2); cpu[key] = $(NF-1); pk[key] = $(NF-3); rss[key] = $NF; next
  }
  FILENAME ~ /alternating$/ { nalt++; alt_tag[nalt] = $1; alt[$1] = 100 * $2 / $3; next }
  FILENAME ~ /linear$/ {
    mode = $2; for (i = 3; i < NF - 1; i++) mode = mode " " $i
    nlin++; lin_mode[nlin] = mode; lin[mode] = 100 * ($NF / 10) / $(NF-1); next
  }
  function ratio(what, a, b,   s) {
    if (!(a in wall) || !(b in wall)) return
    printf "  %-62s %7.2fx  %7.2fx\n", what, wall[b] / wall[a], cpu[b] / (cpu[a] > 0 ? cpu[a] : 0.01)
  }
  function share(what, a, b) {
    if (!(a in wall) || !(b in wall)) return
    printf "  %-62s %6.1f%%  %6.1f%%\n", what, 100 * wall[b] / wall[a], 100 * cpu[b] / (cpu[a] > 0 ? cpu[a] : 0.01)
  }
  function verdict(ok) { return ok ? "met" : "NOT met" }
  function times(what, tag, mine, peer, want,   a, b) {
    a = mine " [" tag "]"; b = peer " [" tag "]"
    if ((a in wall) && (b in wall))
      printf "  %-58s %7.1fx  (target %dx: %s)\n", what " [" tag "]", wall[b] / wall[a], want, verdict(wall[b] / wall[a] >= want)
  }
  END {
    n = split("100k 1M 10M", tags, " ")
    for (t = 1; t <= n; t++) {
      g = "[" tags[t] "]"
      share("--conns-only speed as % of buffered pcap_next_ex " g, "synscope read --conns-only " g, "floor: pcap_next_ex, fopen+1MiB " g)
      share("--conns-only -j 2 speed as % of buffered pcap_next_ex " g, "synscope read --conns-only -j 2 " g, "floor: pcap_next_ex, fopen+1MiB " g)
      share("--conns-only speed as % of the read() walk " g, "synscope read --conns-only " g, "floor: read() 1 MiB walk " g)
      share("--conns-only --no-track as % of buffered pcap_next_ex " g, "synscope read --conns-only --no-track " g, "floor: pcap_next_ex, fopen+1MiB " g)
      ratio("--json vs tshark -T fields (times faster) " g, "synscope read --json " g, "tshark -T fields tcp.stream,tcp.flags " g)
      ratio("--conns-only vs tshark -z conv,tcp " g, "synscope read --conns-only " g, "tshark -q -z conv,tcp " g)
      ratio("text vs tcpdump -n -r " g, "synscope read (text) " g, "tcpdump -n -r " g)
      ratio("--json -j 2 vs tshark -T fields " g, "synscope read --json -j 2 " g, "tshark -T fields tcp.stream,tcp.flags " g)
      ratio("text -j 2 vs tcpdump -n -r " g, "synscope read (text) -j 2 " g, "tcpdump -n -r " g)
      ratio("--conns-only vs tcptrace -n " g, "synscope read --conns-only " g, "tcptrace -n " g)
    }
    split("synscope read --conns-only|synscope read --json|synscope read (text)", cmds, "|")
    for (c = 1; c <= 3; c++) {
      a = cmds[c] " [1M]"; b = cmds[c] " [10M]"
      if ((a in wall) && (b in wall))
        printf "  %-62s %6.1f%%  %6.1f%%\n", "time/packet 10M vs 1M (size blocks), " cmds[c],
          100 * (wall[b] / pk[b]) / (wall[a] / pk[a]), 100 * (cpu[b] / pk[b]) / ((cpu[a] > 0 ? cpu[a] : 0.01) / pk[a])
    }
    for (i = 1; i <= nalt; i++)
      printf "  %-62s %6.1f%%\n", "--conns-only speed as % of buffered pcap_next_ex, alternating runs [" alt_tag[i] "]", alt[alt_tag[i]]
    for (i = 1; i <= nlin; i++)
      printf "  %-62s %6.1f%%\n", "time/packet 10M vs 1M (alternating runs), synscope read " lin_mode[i], lin[lin_mode[i]]

    print "\n== targets of issue 6 on this machine =="
    for (t = 1; t <= n; t++)
      if (tags[t] in alt)
        printf "  %-58s %7.1f%%  (target 50%%: %s)\n", "--conns-only, one job, % of buffered pcap_next_ex [" tags[t] "]",
          alt[tags[t]], verdict(alt[tags[t]] >= 50)
    for (t = 1; t <= n; t++) times("--json vs tshark -T fields", tags[t], "synscope read --json", "tshark -T fields tcp.stream,tcp.flags", 25)
    for (t = 1; t <= n; t++) times("text vs tcpdump -n -r", tags[t], "synscope read (text)", "tcpdump -n -r", 10)
    split("--conns-only|--json|(text)", modes, "|")
    for (i = 1; i <= 3; i++)
      if (modes[i] in lin)
        printf "  %-58s %7.1f%%  (target at most 110%%: %s)\n", "time/packet 10M vs 1M, synscope read " modes[i], lin[modes[i]],
          verdict(lin[modes[i]] <= 110)
    for (c = 1; c <= 3; c++)
      for (t = 2; t <= n; t++) {
        k = cmds[c] " [" tags[t] "]"
        if (k in rss) printf "  %-58s %6.1f MiB  (target 32 MiB: %s)\n", "peak RSS, " k, rss[k] / 1024, verdict(rss[k] <= 32 * 1024)
      }
  }' "$WORK/results" "$WORK/alternating" "$WORK/linear"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
