#!/usr/bin/env python3
"""Writes small pcap files for CLI tests: valid frames built from fields, and broken files on purpose.

Usage: pcapgen.py KIND OUT   (see KINDS below). Pure standard library."""
import struct
import sys


def csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data)//2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(src, dst, proto, payload, ttl=64, ident=1):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0x4000, ttl, proto, 0,
                      bytes(src), bytes(dst))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload


def tcp(src, dst, sport, dport, seq, ack, flags, payload=b"", win=64240, opts=b""):
    off = (20 + len(opts)) // 4
    seg = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, off << 4, flags, win, 0, 0) + opts + payload
    pseudo = struct.pack("!4s4sBBH", bytes(src), bytes(dst), 0, 6, len(seg))
    c = csum(pseudo + seg)
    return seg[:16] + struct.pack("!H", c) + seg[18:]


def ether(payload, ethertype=0x0800):
    return b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + struct.pack("!H", ethertype) + payload


A = [192, 0, 2, 1]
B = [198, 51, 100, 2]
FIN, SYN, RST, PSH, ACK = 1, 2, 4, 8, 16


def handshake_frames(sport=40000, dport=80):
    c, s = 1000, 5000
    mss = b"\x02\x04\x05\xb4"
    return [
        ether(ipv4(A, B, 6, tcp(A, B, sport, dport, c, 0, SYN, opts=mss))),
        ether(ipv4(B, A, 6, tcp(B, A, dport, sport, s, c + 1, SYN | ACK, opts=mss))),
        ether(ipv4(A, B, 6, tcp(A, B, sport, dport, c + 1, s + 1, ACK))),
        ether(ipv4(A, B, 6, tcp(A, B, sport, dport, c + 1, s + 1, PSH | ACK, b"hello"))),
        ether(ipv4(B, A, 6, tcp(B, A, dport, sport, s + 1, c + 6, ACK))),
        ether(ipv4(A, B, 6, tcp(A, B, sport, dport, c + 6, s + 1, FIN | ACK))),
        ether(ipv4(B, A, 6, tcp(B, A, dport, sport, s + 1, c + 7, FIN | ACK))),
        ether(ipv4(A, B, 6, tcp(A, B, sport, dport, c + 7, s + 2, ACK))),
    ]


def pcap(frames, linktype=1, snaplen=65535, t0=1_700_000_000, step_us=1000, nano=False):
    magic = 0xA1B23C4D if nano else 0xA1B2C3D4
    out = struct.pack("<IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype)
    for i, f in enumerate(frames):
        frac = i * step_us * (1000 if nano else 1)
        cap = f[:snaplen]
        out += struct.pack("<IIII", t0, frac, len(cap), len(f)) + cap
    return out


def main():
    kind, path = sys.argv[1], sys.argv[2]
    frames = handshake_frames()
    if kind == "handshake":
        data = pcap(frames)
    elif kind == "handshake-nano":
        data = pcap(frames, nano=True, step_us=1)
    elif kind == "header-only":
        data = pcap([])
    elif kind == "truncated-record":  # last record cut in the middle of its data
        data = pcap(frames)[:-30]
    elif kind == "truncated-header":  # last record cut in the middle of its 16-byte record header
        data = pcap(frames[:3]) + b"\x01\x02\x03\x04\x05"
    elif kind == "garbage":
        data = bytes((i * 37 + 11) & 0xFF for i in range(4096))
    elif kind == "caplen-gt-len":  # a record header claiming caplen > len
        data = pcap(frames[:1])
        rec = bytearray(data)
        struct.pack_into("<I", rec, 24 + 12, 10)  # len = 10 < caplen
        data = bytes(rec)
    elif kind == "huge-caplen":  # caplen larger than the snaplen and absurd
        data = bytearray(pcap(frames[:2]))
        struct.pack_into("<I", data, 24 + 16 + len(frames[0]) + 8, 0x7FFFFFF0)  # the second record
        data = bytes(data)
    elif kind == "unknown-linktype":
        data = pcap(frames[:2], linktype=147)  # DLT_USER0
    elif kind == "bad-tcp-offset":  # data offset 3 (< 5) and one beyond the packet
        f = bytearray(frames[0])
        f[14 + 20 + 12] = 0x30
        g = bytearray(frames[2])
        g[14 + 20 + 12] = 0xF0
        data = pcap([bytes(f), bytes(g)])
    elif kind == "rotated-a":
        data = pcap(frames[:4])
    elif kind == "rotated-b":
        # times follow rotated-a: frames 4.. at 4 ms, 5 ms, …
        data = _shifted(frames[4:], 4)
    elif kind == "fuzz-input":  # pcapgen.py fuzz-input OUT TARGET INPUT: a fuzz input as a capture
        data = _fuzz_input_pcap(sys.argv[3], sys.argv[4])
    elif kind == "ipv6-ext-chain":  # IPv6, then N (default 50) hop-by-hop/destination options headers, then TCP SYN
        count = int(sys.argv[3]) if len(sys.argv) > 3 else 50
        data = pcap([ether(_ipv6_ext_chain(count), 0x86DD)])
    elif kind == "icmp-quote-cut":  # ICMP errors quoting an IPv4 header cut at 0, 8, 19, 20, 24 bytes and a TCP one cut at 4
        data = pcap(_icmp_quote_cut_frames())
    elif kind == "syn-flood":
        count = int(sys.argv[3]) if len(sys.argv) > 3 else 100000
        with open(path, "wb") as fh:
            fh.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
            base = ether(ipv4(A, B, 6, tcp(A, B, 1, 80, 1, 0, SYN)))
            for i in range(count):
                f = bytearray(base)
                # vary the source address and port: 2^16 ports x 256 hosts
                f[14 + 12 + 3] = (i >> 16) & 0xFF
                struct.pack_into("!H", f, 34, (i & 0xFFFF) or 1)
                fh.write(struct.pack("<IIII", 1_700_000_000 + i // 1_000_000, i % 1_000_000, len(f), len(f)) + f)
        return
    else:
        sys.exit(f"unknown kind {kind}")
    with open(path, "wb") as fh:
        fh.write(data)


# fuzz/common.hpp kFuzzDlts: the link type a fuzz input's selector byte picks.
FUZZ_DLTS = [0, 1, 9, 12, 14, 101, 108, 113, 228, 229, 276, 147]


def _fuzz_input_pcap(target, path):
    """decode_frame inputs: [selector][options][frame]; icmp_reply inputs of kind 0 (raw IPv4 with its
    header) become a LINKTYPE_IPV4 record. Other inputs give a header-only capture."""
    with open(path, "rb") as fh:
        blob = fh.read()
    if target == "decode_frame" and len(blob) >= 2:
        return pcap([blob[2:]], linktype=FUZZ_DLTS[blob[0] % len(FUZZ_DLTS)], snaplen=262144)
    if target == "icmp_reply" and len(blob) >= 1 and blob[0] % 3 == 0:
        return pcap([blob[1:]], linktype=228, snaplen=262144)
    return pcap([])


def _ipv6_ext_chain(count):
    """IPv6 with `count` extension headers (alternating hop-by-hop 0 and destination options 60, each 8
    bytes of PadN) in front of a TCP SYN. RFC 8200 §4.1 allows hop-by-hop only first; decoders must cope."""
    src = bytes([0x20, 0x01, 0x0d, 0xb8] + [0] * 11 + [1])
    dst = bytes([0x20, 0x01, 0x0d, 0xb8] + [0] * 11 + [2])
    seg = struct.pack("!HHIIBBHHH", 40000, 80, 1, 0, 5 << 4, SYN, 64240, 0, 0)
    pseudo = src + dst + struct.pack("!IxxxB", len(seg), 6)  # RFC 8200 §8.1
    seg = seg[:16] + struct.pack("!H", csum(pseudo + seg)) + seg[18:]
    body = seg
    nxt = 6
    for i in reversed(range(count)):
        hdr_type = 0 if i == 0 else 60
        body = struct.pack("!BB", nxt, 0) + b"\x01\x04\0\0\0\0" + body
        nxt = hdr_type
    return struct.pack("!IHBB", 6 << 28, len(body), nxt, 64) + src + dst + body


def _icmp_quote_cut_frames():
    """ICMP errors (type 3 code 3 and type 11) whose quote of the offending datagram is cut short."""
    quoted = ipv4(B, A, 6, tcp(B, A, 80, 40000, 1, 0, SYN))
    frames = []
    for cut in (0, 8, 19, 20, 24):
        for typ, code in ((3, 3), (11, 0)):
            msg = struct.pack("!BBHI", typ, code, 0, 0) + quoted[:cut]
            msg = msg[:2] + struct.pack("!H", csum(msg)) + msg[4:]
            frames.append(ether(ipv4(A, B, 1, msg)))
    # A quote whose IHL claims 60 bytes but only 24 are there.
    bad = bytearray(quoted[:24])
    bad[0] = 0x4F
    msg = struct.pack("!BBHI", 3, 1, 0, 0) + bytes(bad)
    frames.append(ether(ipv4(A, B, 1, msg[:2] + struct.pack("!H", csum(msg)) + msg[4:])))
    return frames


def _shifted(frames, first_index):
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    for i, f in enumerate(frames, start=first_index):
        out += struct.pack("<IIII", 1_700_000_000, i * 1000, len(f), len(f)) + f
    return out


if __name__ == "__main__":
    main()
