#!/usr/bin/env bash
# Runs `synscope read --json` over every capture in captures/ and ../shared/captures (malformed ones
# included) with a sanitizer build; any sanitizer report or crash fails. Prints the counts.
set -uo pipefail
bin=${1:?usage: sanitize-captures.sh PATH/TO/synscope}
cd "$(dirname "$0")/.."
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
files=()
while IFS= read -r -d '' f; do files+=("$f"); done < <(find captures ../shared/captures -type f \
    \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) -print0 2>/dev/null | sort -z)
ok=0; failed=0
for f in "${files[@]}"; do
  for mode in --json "" --zeek; do
    # shellcheck disable=SC2086
    "$bin" read $mode "$f" >/dev/null 2>/tmp/sanitize-captures.err
    rc=$?
    if ((rc > 2 && rc != 130)) || grep -q "Sanitizer\|runtime error" /tmp/sanitize-captures.err; then
      echo "FAIL ($rc): $bin read $mode $f"; head -20 /tmp/sanitize-captures.err; failed=$((failed + 1))
    else
      ok=$((ok + 1))
    fi
  done
done
echo "sanitize-captures: ${#files[@]} captures, $ok runs clean, $failed failed"
((failed == 0))
