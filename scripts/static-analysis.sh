#!/usr/bin/env bash
# Static analysis with zero unknown findings: clang-tidy (checks in .clang-tidy, every file in src/, via the
# compile commands of a clang configuration) and cppcheck (warning, performance, portability; inline
# suppressions allowed). Findings listed in scripts/static-analysis.known (reported, awaiting their
# owner's fix) are printed but do not fail; anything else does. Prints the counts.
#   STATIC_BUILD   directory for the clang configuration (default build-tidy)
set -uo pipefail
cd "$(dirname "$0")/.."
SYNSCOPE_EXTRA_PACKAGES="clang clang-tidy cppcheck ${SYNSCOPE_EXTRA_PACKAGES:-}" bash scripts/install-deps.sh || exit 2
build=${STATIC_BUILD:-build-tidy}
jobs=$(nproc)
# Configure only: clang-tidy needs the compile commands, not objects.
CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug >/dev/null || exit 2
mapfile -t sources < <(find src -name '*.cpp' | sort)
known=scripts/static-analysis.known

# Splits "file:line:col: severity: message [check,...]" lines into known and new; prints both; sets NEW.
classify() {
  local tool=$1 log=$2
  NEW=0
  local n_known=0 line file checks c listed
  while IFS= read -r line; do
    file=${line%%:*}; file=${file#"$PWD"/}
    checks=$(sed -n 's/.*\[\([^]]*\)\]$/\1/p' <<<"$line" | tr ',' ' ')
    listed=0
    for c in $checks; do
      [[ $c == -warnings-as-errors ]] && continue
      if grep -qE "^$file[[:space:]]+$c([[:space:]]|$)" "$known"; then listed=1; fi
    done
    if ((listed)); then
      n_known=$((n_known + 1)); echo "  known: ${line#"$PWD"/}"
    else
      NEW=$((NEW + 1)); echo "  NEW:   ${line#"$PWD"/}"
    fi
  done < <(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^[^ ].*:[0-9]+:[0-9]+: (warning|error|performance|portability|style):')
  echo "$tool: $NEW new findings, $n_known known (scripts/static-analysis.known)"
}

echo "== clang-tidy $(clang-tidy --version | sed -n 's/.*version //p' | head -1) on ${#sources[@]} files, $jobs at a time"
tidy_log=$build/clang-tidy.log
printf '%s\n' "${sources[@]}" | xargs -P "$jobs" -n 1 clang-tidy -p "$build" --quiet >"$tidy_log" 2>"$build/clang-tidy.err"
tidy_rc=$?
classify clang-tidy "$tidy_log"
tidy_new=$NEW
# clang-tidy exits non-zero on findings (WarningsAsErrors) but also when it cannot parse a file.
if ((tidy_rc != 0)) && grep -qE 'error: .*(file not found|unknown argument)|Segmentation|Bus error|Error while processing' \
    "$tidy_log" "$build/clang-tidy.err"; then
  echo "clang-tidy failed to analyse a file:"; grep -E 'file not found|unknown argument|Segmentation|Bus error|Error while' \
    "$tidy_log" "$build/clang-tidy.err" | head; tidy_new=$((tidy_new + 1))
fi

echo "== $(cppcheck --version) on src/"
cpp_log=$build/cppcheck.log
# System headers are not analysed (missingIncludeSystem), so <cinttypes>' format macros are defined here.
cppcheck --std=c++20 --language=c++ --enable=warning,performance,portability --inline-suppr \
  --suppress=missingIncludeSystem --suppress=unmatchedSuppression -j "$jobs" -I include \
  -DPRId64='"ld"' -DPRIu64='"lu"' -DPRIx64='"lx"' -DPRIu32='"u"' -DPRId32='"d"' \
  --template='{file}:{line}:{column}: {severity}: {message} [{id}]' --quiet src >"$cpp_log" 2>&1
classify cppcheck "$cpp_log"
cpp_new=$NEW

# A known finding that no longer occurs should be deleted from the list.
while read -r file check _; do
  [[ -z "$file" || "$file" == \#* ]] && continue
  cat "$tidy_log" "$cpp_log" | sed 's/\x1b\[[0-9;]*m//g' | grep -q "$file:.*$check" || echo "  stale: $file $check no longer occurs; delete it from $known"
done <"$known"

((tidy_new == 0 && cpp_new == 0))
