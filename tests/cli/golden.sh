#!/usr/bin/env bash
# Golden tests: tests/golden/TESTLIST lists capture + options; the output must equal tests/golden/<name>.out.
# UPDATE=1 rewrites the expected files (review the diff before committing).
source "$SRC/tests/cli/lib.sh"
cd "$SRC" || exit 1
while read -r name caps opts; do
  [[ -z "$name" || "$name" == \#* ]] && continue
  IFS=, read -r -a files <<<"$caps"
  args=()
  [[ "$opts" != "-" ]] && read -r -a args <<<"$opts"
  "$SYNSCOPE" read --utc --color never "${args[@]}" "${files[@]}" 2>&1 | grep -v '^#open\|^#close' >"$TMP/$name.out"
  if [[ "${UPDATE:-0}" == 1 ]]; then
    cp "$TMP/$name.out" "tests/golden/$name.out"
    pass
  elif ! diff -u "tests/golden/$name.out" "$TMP/$name.out" >"$TMP/$name.diff"; then
    fail "golden $name differs:"; head -40 "$TMP/$name.diff"
  else
    pass
  fi
done <tests/golden/TESTLIST
finish
