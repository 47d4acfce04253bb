#!/usr/bin/env bash
# A/B timing of two synscope binaries on one capture, runs interleaved (A B A B …) so that the host's
# drift hits both alike: prints best and median wall and cpu (user+sys) time of each and B/A.
#   bench/ab.sh A_BINARY B_BINARY CAPTURE [RUNS] [synscope read options...]
#   e.g. bench/ab.sh /tmp/synscope-before build-perf/synscope /tmp/1m.pcap 15 --conns-only
# On this shared 2-core VM single runs vary by ±15 %; a difference below ~5 % in the medians of 15
# interleaved runs is noise (bench/README.md). Needs GNU time (apt-get install -y time).
set -euo pipefail
[[ $# -ge 3 ]] || { sed -n 2,6p "$0" >&2; exit 2; }
a=$1 b=$2 capture=$3 runs=${4:-15}
shift $(($# >= 4 ? 4 : 3))
[[ -x /usr/bin/time ]] || { echo "ab.sh: needs GNU time (apt-get install -y time)" >&2; exit 2; }
for bin in "$a" "$b"; do [[ -x $bin ]] || { echo "ab.sh: $bin is not an executable" >&2; exit 2; }; done
[[ -r $capture ]] || { echo "ab.sh: cannot read $capture" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat "$capture" >/dev/null  # into the page cache
for ((i = 0; i < runs; i++)); do
  for side in A B; do
    bin=$a
    [[ $side == B ]] && bin=$b
    t0=$(date +%s%N)
    /usr/bin/time -o "$tmp/t" -f "%U %S" "$bin" read "$@" "$capture" >/dev/null 2>"$tmp/err" || {
      grep -q '^Command exited with non-zero status 1$' "$tmp/t" || { cat "$tmp/err" >&2; exit 1; }
    }
    t1=$(date +%s%N)
    echo "$side $(((t1 - t0) / 1000)) $(tail -n 1 "$tmp/t")" >>"$tmp/runs"
  done
done
awk '
  { wall[$1] = wall[$1] " " $2 / 1e6; cpu[$1] = cpu[$1] " " ($3 + $4) }
  function sorted(s, v,   n, i, j, x) {
    n = split(s, v, " ")
    for (i = 2; i <= n; i++) { x = v[i]; for (j = i - 1; j >= 1 && v[j] > x; j--) v[j + 1] = v[j]; v[j + 1] = x }
    return n
  }
  END {
    for (k = 0; k < 2; k++) {
      side = k == 0 ? "A" : "B"
      n = sorted(wall[side], w); sorted(cpu[side], c)
      best_w[side] = w[1]; med_w[side] = w[int((n + 1) / 2)]; best_c[side] = c[1]; med_c[side] = c[int((n + 1) / 2)]
      printf "%s  wall best %.3f s  median %.3f s   cpu best %.2f s  median %.2f s   (%d runs)\n", side,
        best_w[side], med_w[side], best_c[side], med_c[side], n
    }
    printf "B/A  wall best %.3f  median %.3f   cpu best %.3f  median %.3f\n", best_w["B"] / best_w["A"],
      med_w["B"] / med_w["A"], best_c["B"] / (best_c["A"] > 0 ? best_c["A"] : 0.01),
      med_c["B"] / (med_c["A"] > 0 ? med_c["A"] : 0.01)
  }' "$tmp/runs"
