#!/usr/bin/env bash
# Every doctest case must be runnable by ctest: doctest_discover_tests turns the names into a CMake list,
# so a ';' in a name splits it into names that match no test case and "pass" without running anything.
source "$SRC/tests/cli/lib.sh"
tests_bin="$(dirname "$SYNSCOPE")/synscope_tests"
if [[ ! -x $tests_bin ]]; then
  echo "skip: $tests_bin not built"
  exit 77
fi
names=$("$tests_bin" --list-test-cases --no-version 2>/dev/null | grep -v '^\[doctest\]' | grep -v '^=*$')
expect_eq "test case names listed" "$([[ $(wc -l <<<"$names") -gt 50 ]] && echo yes)" yes
expect_eq "test case names with ';'" "$(grep -c ';' <<<"$names")" 0
# And each name ctest knows runs at least one test case.
while IFS= read -r name; do
  [[ -z $name ]] && continue
  escaped=${name//,/\\,}
  ran=$("$tests_bin" "--test-case=$escaped" 2>&1 | grep -Eo 'test cases: +[0-9]+' | grep -Eo '[0-9]+$')
  expect_eq "ctest name runs a test case: $name" "${ran:-0}" 1
done < <(grep -v '^$' <<<"$names" | head -n 400 | grep -Ev '^(decode|conformance|update_batch gives|Pipeline with a tracking thread \(jobs)' )
finish
