#!/usr/bin/env python3
"""handshake_rtt (first SYN to the completing ACK) must equal tshark's tcp.analysis.initial_rtt within
1 µs for every connection of the project's captures and of the shared corpus (when present).
tshark is run now; skipped (77) when tshark is missing.

Two definitions differ on purpose, and such connections are counted apart, not compared:
- a retransmitted SYN: tshark times from the most recent SYN, synscope from the first one (the user's
  wait) and reports syn_retransmits;
- no completed handshake (REJ, RSTOS0, …): tshark times the first non-SYN ACK, which may be an RST;
  synscope reports no handshake_rtt for a handshake that never completed.
Connections inside tunnels and files libpcap refuses (tests/golden/tshark-differences.tsv, frame '*')
are not seen by synscope at all."""
import json
import os
import subprocess
import sys


def tshark_rtts(path):
    cmd = ["tshark", "-n", "-r", path, "-Y", "tcp.analysis.initial_rtt", "-T", "fields", "-E", "separator=/t",
           "-e", "ip.src", "-e", "ipv6.src", "-e", "tcp.srcport", "-e", "ip.dst", "-e", "ipv6.dst", "-e", "tcp.dstport",
           "-e", "tcp.analysis.initial_rtt", "-e", "tcp.stream"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
    rtts = {}
    for line in out.splitlines():
        f = line.split("\t")
        if len(f) < 8 or not f[6]:
            continue
        src, dst = (f[0] or f[1]).split(",")[0], (f[3] or f[4]).split(",")[0]
        key = frozenset([(src, int(f[2].split(",")[0])), (dst, int(f[5].split(",")[0]))])
        rtts.setdefault((key, f[7]), float(f[6]))
    # several streams on one 4-tuple (port reuse): keep them in stream order
    by_tuple = {}
    for (key, stream), v in sorted(rtts.items(), key=lambda kv: int(kv[0][1])):
        by_tuple.setdefault(key, []).append(v)
    return by_tuple


def our_rtts(binary, path):
    out = subprocess.run([binary, "read", "--json", path], capture_output=True, text=True, check=False).stdout
    conns = []
    for line in out.splitlines():
        o = json.loads(line)
        if o.get("type") == "conn" and o.get("proto") == "tcp":
            key = frozenset([(o["id.orig_h"], o["id.orig_p"]), (o["id.resp_h"], o["id.resp_p"])])
            conns.append((o["ts"], key, o))
    by_tuple = {}
    for _, key, o in sorted(conns, key=lambda c: c[0]):
        # only connections that began with a SYN can carry an initial RTT in tshark's sense
        if o.get("history", "").lstrip("^").startswith("S") or "handshake_rtt" in o:
            by_tuple.setdefault(key, []).append(o)
    return by_tuple


def unreadable_captures(src):
    out = set()
    path = os.path.join(src, "tests/golden/tshark-differences.tsv")
    if os.path.exists(path):
        for line in open(path):
            f = line.rstrip("\n").split("\t")
            if len(f) >= 4 and f[1] == "*" and (f[2] == "frame" or "tunnel" in f[3].lower()):
                out.add(f[0])
    return out


def main():
    binary, src = os.environ["SYNSCOPE"], os.environ["SRC"]
    if subprocess.run(["sh", "-c", "command -v tshark"], capture_output=True).returncode != 0:
        print("SKIP: tshark not installed")
        return 77
    files = [os.path.join(src, "captures", f) for f in sorted(os.listdir(os.path.join(src, "captures")))
             if f.endswith((".pcap", ".pcapng"))]
    shared = os.path.join(src, "..", "shared", "captures")
    if os.path.isdir(shared):
        # only the captures whose tshark oracle has TCP streams (MANIFEST column tshark_streams)
        import csv
        with open(os.path.join(shared, "MANIFEST.tsv")) as fh:
            seen = set()
            for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
                if row.get("tshark_streams", "-") not in ("", "-") and row["path"] not in seen:
                    seen.add(row["path"])
                    files.append(os.path.join(shared, row["path"]))
    skip_files = unreadable_captures(src)
    compared = bad = 0
    apart = {"retransmitted SYN": 0, "no completed handshake": 0, "tunnel or unreadable file": 0}
    for path in files:
        rel = os.path.relpath(path, os.path.join(src, "..", "shared", "captures"))
        theirs, ours = tshark_rtts(path), our_rtts(binary, path)
        for key, values in theirs.items():
            mine = ours.get(key, [])
            for i, v in enumerate(values):
                if rel in skip_files:
                    apart["tunnel or unreadable file"] += 1
                    continue
                if i >= len(mine):
                    print(f"MISSING\t{rel}\t{sorted(key)}\ttshark initial_rtt {v:.9f}")
                    bad += 1
                    continue
                o = mine[i]
                if o.get("syn_retransmits", 0) > 0:
                    apart["retransmitted SYN"] += 1
                    continue
                if "handshake_rtt" not in o:
                    apart["no completed handshake"] += 1
                    continue
                compared += 1
                if abs(o["handshake_rtt"] - v) > 1e-6:
                    print(f"DIFF\t{rel}\t{sorted(key)}\tsynscope {o['handshake_rtt']:.9f} tshark {v:.9f}")
                    bad += 1
    print(f"initial RTT: {len(files)} captures, {compared} handshakes compared with tshark, {bad} differ; "
          + ", ".join(f"{n} {k}" for k, n in apart.items()) + " (different definitions, not compared)")
    if compared == 0:
        print("SKIP: no handshake to compare")
        return 77
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
