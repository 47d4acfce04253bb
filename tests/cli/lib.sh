# Shared helpers for the shell-level tests (sourced; not a test itself).
# Env from ctest: SYNSCOPE (binary), SRC (source dir).
set -uo pipefail
: "${SYNSCOPE:?set SYNSCOPE to the synscope binary}"
: "${SRC:?set SRC to the source dir}"
SHARED="$SRC/../shared/captures"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
failures=0
checks=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { checks=$((checks + 1)); }

# expect_eq WHAT GOT WANT
expect_eq() {
  checks=$((checks + 1))
  if [[ "$2" != "$3" ]]; then fail "$1: got [$2], want [$3]"; fi
}
# expect_match WHAT TEXT REGEX
expect_match() {
  checks=$((checks + 1))
  if ! grep -Eq -- "$3" <<<"$2"; then fail "$1: [$2] does not match /$3/"; fi
}
# run_synscope: runs the binary, captures stdout/stderr/exit code into OUT, ERR, RC.
run_synscope() {
  "$SYNSCOPE" "$@" >"$TMP/out" 2>"$TMP/err"
  RC=$?
  OUT=$(cat "$TMP/out")
  ERR=$(cat "$TMP/err")
}
finish() {
  echo "$checks checks, $failures failures"
  ((failures == 0))
  exit $?
}
