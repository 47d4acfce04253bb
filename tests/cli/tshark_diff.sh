#!/usr/bin/env bash
# Differential test against tshark (see tshark_diff.py).
exec python3 "$SRC/tests/cli/tshark_diff.py"
