#!/usr/bin/env bash
# `read --jobs N` (decoding on one thread, tracking on N-1 threads with the flows sharded between them;
# printing packets, reading and tracking on one thread and decoding and printing on a second) must print
# exactly what `--jobs 1` prints, with the same messages and exit code: --conns-only, text and --json
# over every project capture and the shared ones when present (fuzz crashers and malformed files
# included), --zeek and --explain over the project's, a file cut at many offsets, several files merged,
# a BPF filter, -c, and --max-conns small enough to evict in the middle of the stream (one tracking
# thread: the cap is split between shards, so with more the evicted connections differ; checked apart).
# Also a capture long enough to fill the ring of blocks between the threads many times.
source "$SRC/tests/cli/lib.sh"

# same LABEL ARGS...: -j 1 vs each of $JOBS.
JOBS="2 3"
same() {
  local label=$1
  shift
  "$SYNSCOPE" read -j 1 "$@" >"$TMP/one.out" 2>"$TMP/one.err" </dev/null
  local rc1=$?
  for j in $JOBS; do
    "$SYNSCOPE" read -j "$j" "$@" >"$TMP/two.out" 2>"$TMP/two.err" </dev/null
    local rc2=$?
    sed -i -E '/^#(open|close)\t/d' "$TMP/one.out" "$TMP/two.out"  # Zeek's wall-clock stamps
    checks=$((checks + 1))
    if [[ $rc1 != "$rc2" ]] || ! cmp -s "$TMP/one.out" "$TMP/two.out" || ! cmp -s "$TMP/one.err" "$TMP/two.err"; then
      fail "$label: -j 1 and -j $j differ (exit $rc1 vs $rc2)"
      diff "$TMP/one.out" "$TMP/two.out" | head -5
      diff "$TMP/one.err" "$TMP/two.err" | head -5
    fi
  done
}

files=("$SRC"/captures/*.pcap "$SRC"/captures/*.pcapng)
# READ_JOBS_SHARED=0 (scripts/tsan.sh): the project's captures only. The plain run compares the shared
# ones; under ThreadSanitizer they would add two minutes and no other thread interleaving.
if [[ ${READ_JOBS_SHARED:-1} == 0 ]]; then
  echo "note: READ_JOBS_SHARED=0; the project's captures only"
elif [[ -d $SHARED ]]; then
  while IFS= read -r -d '' f; do files+=("$f"); done < <(find "$SHARED" -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) -print0 | sort -z)
else
  echo "note: $SHARED absent; the project's captures only"
fi
for f in "${files[@]}"; do
  same "$f --conns-only" --conns-only "$f"
  JOBS=2 same "$f text" "$f"
  JOBS=2 same "$f --json" --json "$f"
done
for f in "$SRC"/captures/*.pcap*; do
  same "$f --zeek" --zeek "$f"
  JOBS=2 same "$f --explain" --explain "$f"
done
same "merged files" --conns-only "$SRC/captures/rotated-1.pcap" "$SRC/captures/rotated-2.pcap"
same "merged files, text" "$SRC/captures/rotated-1.pcap" "$SRC/captures/rotated-2.pcap"
same "filter" --conns-only -f "tcp" "$SRC/captures/icmp.pcap" "$SRC/captures/handshake.pcap"
same "filter, --json" --json -f "tcp" "$SRC/captures/icmp.pcap" "$SRC/captures/handshake.pcap"
same "-c 3" --conns-only -c 3 "$SRC/captures/icmp.pcap"
same "-c 3, text" -c 3 "$SRC/captures/icmp.pcap"
JOBS=2 same "--max-conns 1" --conns-only --max-conns 1 "$SRC/captures/icmp.pcap"
same "--max-conns 1, --json" --json --max-conns 1 "$SRC/captures/icmp.pcap"
same "--no-track, text" --no-track "$SRC/captures/offload-bad-csum.pcap"
# Bad checksums (sender-side offload): the printing thread counts them; with --zeek-checksums the
# tracking side verifies them too, because the tracker then skips those packets.
same "bad checksums, --json" --json "$SRC/captures/offload-bad-csum.pcap"
same "--zeek-checksums, --json" --json --zeek-checksums "$SRC/captures/offload-bad-csum.pcap"
same "--zeek-checksums, text" --zeek-checksums "$SRC/captures/offload-bad-csum.pcap"

# The worker threads exist (they are named): read from a FIFO kept open, so that synscope waits for
# more input while its threads are listed (for up to 3 s, until the one looked for shows up).
thread_named_while_waiting() {
  local name=$1 pid found="" i
  shift
  rm -f "$TMP/fifo"
  mkfifo "$TMP/fifo"
  "$SYNSCOPE" read "$@" "$TMP/fifo" >/dev/null 2>&1 &
  pid=$!
  exec 7>"$TMP/fifo"
  head -c 200 "$SRC/captures/handshake.pcap" >&7  # the file header and a first record or two
  for ((i = 0; i < 60; i++)); do
    if grep -qx "$name" /proc/"$pid"/task/*/comm 2>/dev/null; then
      found=yes
      break
    fi
    sleep 0.05
  done
  exec 7>&-
  wait "$pid"
  echo "${found:-no}"
}
expect_eq "read -j 2 (text): a printing thread" "$(thread_named_while_waiting synscope-print -j 2)" yes
expect_eq "read -j 2 --json: a printing thread" "$(thread_named_while_waiting synscope-print -j 2 --json)" yes
expect_eq "read -j 3 --conns-only: a tracking thread" "$(thread_named_while_waiting synscope-track -j 3 --conns-only)" yes
expect_eq "read -j 1: no printing thread" "$(thread_named_while_waiting synscope-print -j 1)" no

# A file cut at every 23rd byte: truncated records, the message and exit code 1 alike.
src="$SRC/captures/icmp.pcap"
size=$(stat -c %s "$src")
for ((n = 0; n < size; n += 23)); do
  head -c "$n" "$src" >"$TMP/cut.pcap"
  same "icmp.pcap cut at $n" --conns-only "$TMP/cut.pcap"
  JOBS=2 same "icmp.pcap cut at $n, --json" --json "$TMP/cut.pcap"
done

# 200,000 packets of 40,000 connections: the ring between the threads fills and wraps many times, and
# records come out of expiry and eviction while the stream goes on.
python3 - "$TMP/many.pcap" <<'PY'
import struct, sys
out = open(sys.argv[1], "wb")
out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF
def frame(src, dst, sp, dp, flags, seq, ack):
    tcp = struct.pack("!HHIIBBHHH", sp, dp, seq, ack, 0x50, flags, 65535, 0, 0)
    ph = struct.pack("!4s4sBBH", src, dst, 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(ph + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return b"\0" * 12 + b"\x08\x00" + ip + tcp
t = 1_700_000_000 * 1_000_000
for c in range(40_000):
    cli = bytes([192, 0, 2, c % 250]); srv = bytes([198, 51, 100, c % 7]); sp = 10_000 + c % 50_000
    pk = [frame(cli, srv, sp, 80, 0x02, 1000, 0), frame(srv, cli, 80, sp, 0x12, 5000, 1001),
          frame(cli, srv, sp, 80, 0x10, 1001, 5001)]
    pk.append(frame(cli, srv, sp, 80, (0x04, 0x11, 0x10, 0x10)[c % 4], 1001, 5001))
    if c % 4 == 1: pk.append(frame(srv, cli, 80, sp, 0x11, 5001, 1002))
    for p in pk:
        out.write(struct.pack("<IIII", t // 1_000_000, t % 1_000_000, len(p), len(p)) + p)
        t += 40
PY
JOBS="2 3 5 16"
same "200,000 packets" --conns-only "$TMP/many.pcap"
same "200,000 packets --zeek" --zeek "$TMP/many.pcap"
JOBS="2 3" same "200,000 packets, text" "$TMP/many.pcap"
JOBS=2 same "200,000 packets, --no-track" --no-track "$TMP/many.pcap"
JOBS=2 same "200,000 packets, --json" --json "$TMP/many.pcap"
JOBS=2 same "200,000 packets, --json --max-conns 50" --json --max-conns 50 "$TMP/many.pcap"
JOBS=2 same "200,000 packets --max-conns 50" --conns-only --max-conns 50 "$TMP/many.pcap"
lines=$("$SYNSCOPE" read -j 2 --zeek "$TMP/many.pcap" | grep -vc '^#')
expect_eq "200,000 packets: one Zeek line per connection" "$lines" 40000
# Sharded with a cap: every connection is still reported once, some of them evicted.
"$SYNSCOPE" read -j 4 --json --conns-only --max-conns 48 "$TMP/many.pcap" >"$TMP/cap.json"
expect_eq "-j 4 --max-conns 48: exit 0" "$?" 0
expect_eq "-j 4 --max-conns 48: one record per connection" "$(grep -c '"type":"conn"' "$TMP/cap.json")" 40000
evicted=$(grep -c '"end":"evicted"' "$TMP/cap.json")
checks=$((checks + 1))
((evicted > 0)) || fail "-j 4 --max-conns 48: no connection evicted"
finish
