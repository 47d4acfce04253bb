#!/usr/bin/env bash
# Seed corpora for the fuzz targets from captures/ and ../shared/captures/ (plus the pcapgen.py kinds):
#   bash fuzz/make-corpus.sh OUTDIR      -> OUTDIR/{decode_frame,tracker,file_reader,icmp_reply}/
# Generated, never committed (see fuzz/README.md).
set -euo pipefail
out=${1:?usage: make-corpus.sh OUTDIR}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
gen=$(mktemp -d)
trap 'rm -rf "$gen"' EXIT
for kind in handshake handshake-nano header-only truncated-record truncated-header caplen-gt-len huge-caplen \
            unknown-linktype bad-tcp-offset; do
  python3 "$root/tests/support/pcapgen.py" "$kind" "$gen/$kind.pcap" 2>/dev/null || true
done
files=()
while IFS= read -r -d '' f; do files+=("$f"); done < <(find "$root/captures" "$root/../shared/captures" "$gen" \
    -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) -print0 2>/dev/null | sort -z)
echo "make-corpus: ${#files[@]} captures -> $out"
python3 "$root/fuzz/make-corpus.py" "$out" "${files[@]}"
