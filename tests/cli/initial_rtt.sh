#!/usr/bin/env bash
# handshake_rtt against tshark tcp.analysis.initial_rtt (see initial_rtt.py).
exec python3 "$SRC/tests/cli/initial_rtt.py"
