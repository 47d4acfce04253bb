#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, -fsanitize=fuzzer,address,undefined), seeds their corpora from
# the captures, and runs each for a bounded time. Prints executions and corpus size per target; fails on
# any crash, leak, timeout, out-of-memory or slow unit that is still slow when replayed, copying the input
# to fuzz/regressions/<target>/ (commit it with the fix: ctest replays it from then on).
#   FUZZ_SECONDS   per target (default 45)     FUZZ_BUILD   build directory (default build-fuzz)
#   FUZZ_TARGETS   subset, space separated (default: all four)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-45}
build=${FUZZ_BUILD:-build-fuzz}
targets=(${FUZZ_TARGETS:-decode_frame tracker file_reader icmp_reply})
SYNSCOPE_EXTRA_PACKAGES="clang libclang-rt-14-dev ${SYNSCOPE_EXTRA_PACKAGES:-}" bash scripts/install-deps.sh
echo "== fuzz: building ${targets[*]} in $build"
CXX=${FUZZ_CXX:-clang++} cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSYNSCOPE_FUZZ=ON \
    -DSYNSCOPE_TESTS=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target "${targets[@]/#/fuzz_}"
corpus=$build/corpus
bash fuzz/make-corpus.sh "$corpus"
failed=0
total_execs=0
total_inputs=0
for t in "${targets[@]}"; do
  artifacts=$build/artifacts/$t
  rm -rf "$artifacts"; mkdir -p "$artifacts" "$corpus/$t"
  log=$build/fuzz-$t.log
  set +e
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    "$build/fuzz/fuzz_$t" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus/$t" >"$log" 2>&1
  rc=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  inputs=$(find "$corpus/$t" -type f | wc -l)
  total_execs=$((total_execs + ${execs:-0}))
  total_inputs=$((total_inputs + inputs))
  # A slow unit (libFuzzer: > 10 s by its wall clock) without a timeout is replayed: one that runs fast
  # again was a host stall or a clock step during the run (a unit really that slow also trips -timeout).
  for f in "$artifacts"/slow-unit-*; do
    [[ -f "$f" ]] || continue
    start=$(date +%s%N)
    if timeout 60 "$build/fuzz/fuzz_$t" -runs=3 -timeout=10 "$f" >/dev/null 2>&1; then
      ms=$((($(date +%s%N) - start) / 1000000))
      if ((ms < 2000)); then
        echo "fuzz: $(basename "$f") replayed 3 times in $ms ms: a host stall or clock step during the run, not counted"
        rm -f "$f"
      fi
    fi
  done
  crashes=$(find "$artifacts" -type f | wc -l)
  printf 'fuzz %-13s %4ss  %10s executions  %6s corpus inputs  exit %s  %s crash inputs\n' \
    "$t" "$seconds" "${execs:-?}" "$inputs" "$rc" "$crashes"
  if ((rc != 0 || crashes > 0)); then
    failed=$((failed + 1))
    grep -E -A30 "ERROR: |runtime error|fuzz invariant broken" "$log" | head -60 || tail -40 "$log"
    mkdir -p "fuzz/regressions/$t"
    for f in "$artifacts"/*; do
      [[ -f "$f" ]] || continue
      cp "$f" "fuzz/regressions/$t/"
      echo "fuzz: kept $f as fuzz/regressions/$t/$(basename "$f") (reproduce: $build/fuzz/fuzz_$t $f)"
    done
  fi
done
echo "fuzz: ${#targets[@]} targets, $total_execs executions, $total_inputs corpus inputs, $failed failed"
((failed == 0))
