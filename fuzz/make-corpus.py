#!/usr/bin/env python3
"""Writes seed corpora for the fuzz targets from capture files (see fuzz/README.md).

Usage: make-corpus.py OUTDIR CAPTURE...
  OUTDIR/decode_frame/  every distinct frame: [link-type selector][options 0][frame bytes]
  OUTDIR/file_reader/   each capture, cut after MAX_FILE bytes at a record/block boundary
  OUTDIR/icmp_reply/    the ICMP messages in the captures, as each socket kind would deliver them
  OUTDIR/tracker/       hand-written packet sequences (handshakes, teardowns, resets, ICMP, UDP)
Pure standard library; reads pcap (µs and ns) and pcapng (SHB/IDB/EPB/SPB/OPB, both byte orders)."""
import hashlib
import os
import struct
import sys

# Must match fuzz/common.hpp kFuzzDlts.
FUZZ_DLTS = [0, 1, 9, 12, 14, 101, 108, 113, 228, 229, 276, 147]
MAX_FILE = 32 * 1024
MAX_FRAMES_PER_CAPTURE = 400


def read_pcap(data):
    """Yields (dlt, frame, end_offset) for a classic pcap; stops quietly on damage."""
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        return
    if len(data) < 24:
        return
    dlt = struct.unpack(e + "I", data[20:24])[0] & 0x03FFFFFF
    off = 24
    while off + 16 <= len(data):
        _, _, caplen, _ = struct.unpack(e + "IIII", data[off:off + 16])
        if off + 16 + caplen > len(data) or caplen > 262144:
            return
        yield dlt, data[off + 16:off + 16 + caplen], off + 16 + caplen
        off += 16 + caplen


def read_pcapng(data):
    """Yields (dlt, frame, end_offset) for a pcapng file; stops quietly on damage."""
    off = 0
    e = "<"
    dlts = []
    while off + 12 <= len(data):
        btype = struct.unpack(e + "I", data[off:off + 4])[0]
        if btype == 0x0A0D0D0A:
            bom = data[off + 8:off + 12]
            e = "<" if bom == b"\x4d\x3c\x2b\x1a" else ">"
            dlts = []
        blen = struct.unpack(e + "I", data[off + 4:off + 8])[0]
        if blen < 12 or off + blen > len(data):
            return
        body = data[off + 8:off + blen - 4]
        if btype == 1 and len(body) >= 2:
            dlts.append(struct.unpack(e + "H", body[:2])[0])
        elif btype in (6, 2) and len(body) >= 20:  # EPB, obsolete PB
            if btype == 6:
                ifid, _, _, caplen, _ = struct.unpack(e + "IIIII", body[:20])
            else:
                ifid, _, _, _, caplen, _ = struct.unpack(e + "HHIIII", body[:20])
            if ifid < len(dlts) and 20 + caplen <= len(body):
                yield dlts[ifid], body[20:20 + caplen], off + blen
        elif btype == 3 and len(body) >= 4 and dlts:  # SPB: interface 0
            wire = struct.unpack(e + "I", body[:4])[0]
            yield dlts[0], body[4:4 + min(wire, len(body) - 4)], off + blen
        off += blen


def frames_of(data):
    if data[:4] == b"\x0a\x0d\x0d\x0a":
        return read_pcapng(data)
    return read_pcap(data)


def ip_offset(dlt, f):
    """Offset of the IP header for the common link types, or None."""
    if dlt == 1:
        off, et = 14, f[12:14]
        while et in (b"\x81\x00", b"\x88\xa8") and len(f) >= off + 4:
            et, off = f[off + 2:off + 4], off + 4
        return off if et in (b"\x08\x00", b"\x86\xdd") else None
    if dlt == 113:
        return 16 if f[14:16] in (b"\x08\x00", b"\x86\xdd") else None
    if dlt == 276:
        return 20 if f[0:2] in (b"\x08\x00", b"\x86\xdd") else None
    if dlt in (12, 14, 101, 228, 229):
        return 0
    if dlt in (0, 108):
        return 4
    return None


def icmp_seeds(dlt, f):
    off = ip_offset(dlt, f)
    if off is None or len(f) < off + 28:
        return []
    ip = f[off:]
    v = ip[0] >> 4
    if v == 4 and ip[9] == 1:
        ihl = (ip[0] & 15) * 4
        return [b"\x00" + ip, b"\x01" + ip[ihl:]]
    if v == 6 and len(ip) >= 48 and ip[6] == 58:
        return [b"\x02" + ip[40:]]
    return []


def cut(data):
    """The capture cut at the last record/block boundary before MAX_FILE bytes."""
    if len(data) <= MAX_FILE:
        return data
    end = 24 if data[:4] != b"\x0a\x0d\x0d\x0a" else 0
    for _, _, e in frames_of(data):
        if e > MAX_FILE:
            break
        end = e
    return data[:max(end, min(len(data), 512))]


def tracker_seeds():
    """Compact records for fuzz_tracker (format in fuzz/fuzz_tracker.cpp)."""
    def rec(op, flags, seq, ack, plen=0, dt=1):
        return bytes([op, flags]) + struct.pack("!HHBB", seq, ack, plen, dt)
    S, SA, A, PA, FA, R, RA = 0x02, 0x12, 0x10, 0x18, 0x11, 0x04, 0x14
    cfg = bytes([0x83, 0x11, 0x11, 0x11])
    hs = rec(0, S, 0, 0) + rec(4, SA, 0, 1) + rec(0, A, 1, 1)
    data = rec(0, PA, 1, 1, 5) + rec(4, A, 1, 6) + rec(4, PA, 1, 6, 10) + rec(0, A, 6, 11)
    fin3 = rec(0, FA, 6, 11) + rec(4, FA, 11, 7) + rec(0, A, 7, 12)
    return {
        "sf": cfg + hs + data + fin3,
        "rej": cfg + rec(0, S, 0, 0) + rec(4, RA, 0, 1),
        "rsto": cfg + hs + data + rec(0, R, 6, 11),
        "s0-retrans": cfg + rec(0, S, 0, 0) + rec(0, S, 0, 0, 0, 200) + rec(0, S, 0, 0, 0, 203),
        "v6-sf": cfg + bytes(b | 8 if i % 8 == 0 else b for i, b in enumerate(hs + data + fin3)),
        "icmp-echo": cfg + rec(0x30, 8, 1, 0x1234, 16) + rec(0x34, 0, 1, 0x1234, 16),
        "udp": cfg + rec(0x20, 0, 0, 0, 12) + rec(0x24, 0, 0, 0, 40),
        "evict": bytes([0x00, 0, 0, 0]) + rec(0, S, 0, 0) + rec(1, S, 0, 0) + rec(2, S, 0, 0) + rec(3, S, 0, 0),
        "expire": cfg + hs + bytes([0xFE]) + rec(0, PA, 1, 1, 5, 255) + bytes([0xFD, 0, 100]) + rec(4, A, 1, 6),
        "raw": cfg + bytes([0xFF, 5, 20]) + bytes.fromhex("4500001400010000400100000a0000010a000002"),
    }


def main():
    out = sys.argv[1]
    for t in ("decode_frame", "file_reader", "icmp_reply", "tracker"):
        os.makedirs(os.path.join(out, t), exist_ok=True)
    seen = set()
    counts = dict.fromkeys(("decode_frame", "file_reader", "icmp_reply", "tracker"), 0)

    def put(target, blob):
        h = hashlib.sha1(blob).hexdigest()
        if (target, h) in seen:
            return
        seen.add((target, h))
        with open(os.path.join(out, target, h), "wb") as fh:
            fh.write(blob)
        counts[target] += 1

    for path in sys.argv[2:]:
        with open(path, "rb") as fh:
            data = fh.read()
        put("file_reader", cut(data))
        try:
            for i, (dlt, frame, _) in enumerate(frames_of(data)):
                if i >= MAX_FRAMES_PER_CAPTURE:
                    break
                if dlt in FUZZ_DLTS:
                    put("decode_frame", bytes([FUZZ_DLTS.index(dlt), 0]) + frame)
                for seed in icmp_seeds(dlt, frame):
                    put("icmp_reply", seed)
        except (struct.error, IndexError):
            pass  # a damaged capture still gave its whole-file seed
    for name, blob in tracker_seeds().items():
        put("tracker", blob)
    print(" ".join(f"{t}={n}" for t, n in counts.items()))


if __name__ == "__main__":
    main()
