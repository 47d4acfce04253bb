#!/usr/bin/env bash
# The classic-pcap fast path (read() blocks, records walked in place) must give exactly what libpcap
# gives. Reading from stdin always goes through libpcap, so each file is read both ways and the outputs,
# messages and exit codes compared: byte orders, µs/ns magic, records cut by the snap length, huge
# caplen, truncation at (nearly) every offset, BPF filters, and the shared captures when present.
source "$SRC/tests/cli/lib.sh"
gen() { python3 "$SRC/tests/support/pcapgen.py" "$@"; }

# same_both_ways LABEL FILE [ARGS...]: fast path (by name) vs libpcap (stdin).
same_both_ways() {
  local label=$1 f=$2
  shift 2
  "$SYNSCOPE" read --json "$@" "$f" >"$TMP/fast.out" 2>"$TMP/fast.err"
  local rc_fast=$?
  "$SYNSCOPE" read --json "$@" - <"$f" >"$TMP/pcap.out" 2>"$TMP/pcap.err"
  local rc_pcap=$?
  # The input's name appears in messages: "-" for stdin.
  sed -i "s#$f#-#g" "$TMP/fast.out" "$TMP/fast.err"
  checks=$((checks + 1))
  if [[ $rc_fast != "$rc_pcap" ]] || ! cmp -s "$TMP/fast.out" "$TMP/pcap.out" || ! cmp -s "$TMP/fast.err" "$TMP/pcap.err"; then
    fail "$label: fast path and libpcap differ (exit $rc_fast vs $rc_pcap)"
    diff "$TMP/fast.out" "$TMP/pcap.out" | head -5
    diff "$TMP/fast.err" "$TMP/pcap.err" | head -5
  fi
}

gen handshake "$TMP/hs.pcap"
gen handshake-nano "$TMP/hsn.pcap"
gen huge-caplen "$TMP/huge.pcap"
gen caplen-gt-len "$TMP/cgl.pcap"
gen truncated-header "$TMP/trh.pcap"
python3 - "$TMP" <<'PY'
import struct, sys
d = sys.argv[1]
src = open(f"{d}/hs.pcap", "rb").read()
hdr, body = src[:24], src[24:]
magic, major, minor, zone, sig, snap, link = struct.unpack("<IHHiIII", hdr)
recs, p = [], 0
while p < len(body):
    caplen = struct.unpack("<I", body[p + 8:p + 12])[0]
    recs.append(body[p:p + 16 + caplen])
    p += 16 + caplen
# Big-endian (byte-swapped) file: header and record headers swapped, frames unchanged.
be = struct.pack(">IHHiIII", magic, major, minor, zone, sig, snap, link)
for r in recs:
    be += struct.pack(">IIII", *struct.unpack("<IIII", r[:16])) + r[16:]
open(f"{d}/swapped.pcap", "wb").write(be)
# Snap length 60 in the header while records are longer: libpcap cuts them to 60.
open(f"{d}/snap60.pcap", "wb").write(struct.pack("<IHHiIII", magic, major, minor, zone, sig, 60, link) + body)
# Snap length 60, then the file cut inside an over-long record.
open(f"{d}/snap60-cut.pcap", "wb").write((struct.pack("<IHHiIII", magic, major, minor, zone, sig, 60, link) + body)[:-40])
# LINKTYPE_RAW (101): frames without the Ethernet header.
raw = struct.pack("<IHHiIII", magic, major, minor, zone, sig, snap, 101)
for r in recs:
    ts, frac, caplen, length = struct.unpack("<IIII", r[:16])
    raw += struct.pack("<IIII", ts, frac, caplen - 14, length - 14) + r[30:]
open(f"{d}/raw.pcap", "wb").write(raw)
# Truncated at every offset through the first two records (file header, record header, data), then at
# every 7th byte (each record header and data length is still met several times).
for i in list(range(24, 200)) + list(range(200, len(src), 7)):
    open(f"{d}/cut-{i}.pcap", "wb").write(src[:i])
PY

for f in hs hsn huge cgl trh swapped snap60 snap60-cut raw; do
  same_both_ways "$f" "$TMP/$f.pcap"
done
same_both_ways "filter on a byte-swapped file" "$TMP/swapped.pcap" -f "tcp[tcpflags] & tcp-fin != 0"
same_both_ways "filter on a raw-IP file" "$TMP/raw.pcap" -f "tcp port 80 and tcp[tcpflags] & tcp-syn != 0"
for f in "$TMP"/cut-*.pcap; do
  same_both_ways "$(basename "$f")" "$f"
done

# The shared corpus, when present: every classic pcap file.
if [[ -d $SHARED ]]; then
  while IFS= read -r f; do
    same_both_ways "shared $(basename "$f")" "$f"
  done < <(find "$SHARED" -name '*.pcap' -size -2M | sort | head -40)
fi

finish
