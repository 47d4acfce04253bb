#!/usr/bin/env python3
"""Differential test: synscope's per-packet JSON against tshark, field by field, for every frame.

For the project's own captures/ tshark runs now (same field list as the shared oracle); for
../shared/captures the stored oracle tables (tshark 4.0.17) are used. Deliberate differences are listed,
with their reason, in tests/golden/tshark-differences.tsv (capture, frame, tshark field, reason;
frame/field may be '*'), the same file the decoder's unit-level oracle test reads. Exit 0 when every other field agrees."""
import csv
import json
import os
import subprocess
import sys

FIELDS = ("frame.number frame.time_epoch ip.src ip.dst ipv6.src ipv6.dst ip.proto ipv6.nxt tcp.srcport "
          "tcp.dstport tcp.flags tcp.seq_raw tcp.ack_raw tcp.len tcp.window_size_value tcp.options.mss_val "
          "tcp.options.wscale.shift tcp.stream tcp.completeness icmp.type icmp.code icmpv6.type icmpv6.code").split()


def first(v):
    return v.split(",")[0] if v else ""


def load_allowed(src):
    allowed = set()
    path = os.path.join(src, "tests/golden/tshark-differences.tsv")
    if os.path.exists(path):
        with open(path) as fh:
            for row in csv.reader(fh, delimiter="\t"):
                if not row or row[0].startswith("#") or row[0] == "capture":
                    continue
                allowed.add((row[0], row[1], row[2]))
    return allowed


def is_allowed(allowed, cap, frame, field):
    return any(k in allowed for k in ((cap, str(frame), field), (cap, "*", field), (cap, str(frame), "*"), (cap, "*", "*")))


def tshark_rows(path):
    cmd = ["tshark", "-n", "-r", path, "-T", "fields", "-E", "header=y", "-E", "separator=/t"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
    return list(csv.DictReader(out.splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE))


def oracle_rows(path):
    with open(path) as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


def synscope_frames(binary, path):
    p = subprocess.run([binary, "read", "--json", "--no-track", path], capture_output=True, text=True, check=False)
    frames = {}
    for line in p.stdout.splitlines():
        obj = json.loads(line)
        if obj.get("type") == "packet":
            frames[obj["frame"]] = obj
    return frames, p.returncode


def compare(cap, rows, frames, allowed, report):
    checked = mismatched = 0
    for row in rows:
        n = int(row["frame.number"])
        ours = frames.get(n)
        if ours is None:
            if not is_allowed(allowed, cap, n, "frame"):
                report.append(f"{cap}\t{n}\tframe\tmissing in synscope output")
                mismatched += 1
            continue
        pairs = []
        v = ours.get("ip_version")
        if v == 4 and row["ip.src"]:
            pairs += [("ip.src", ours.get("src"), first(row["ip.src"])), ("ip.dst", ours.get("dst"), first(row["ip.dst"])),
                      ("ip.proto", ours.get("proto"), int(first(row["ip.proto"])) if row["ip.proto"] else None)]
        elif v == 6 and row["ipv6.src"]:
            pairs += [("ipv6.src", ours.get("src"), first(row["ipv6.src"])), ("ipv6.dst", ours.get("dst"), first(row["ipv6.dst"]))]
        proto = ours.get("proto")
        if proto == 6 and row["tcp.srcport"] and "sport" in ours:
            pairs += [("tcp.srcport", ours.get("sport"), int(first(row["tcp.srcport"]))),
                      ("tcp.dstport", ours.get("dport"), int(first(row["tcp.dstport"])))]
            if row["tcp.flags"] and "tcp_flags" in ours:
                pairs += [("tcp.flags", ours.get("tcp_flags"), int(first(row["tcp.flags"]), 16))]
            if row["tcp.seq_raw"] and "seq" in ours:
                pairs += [("tcp.seq_raw", ours.get("seq"), int(first(row["tcp.seq_raw"])))]
            if row["tcp.ack_raw"] and "ack" in ours:
                pairs += [("tcp.ack_raw", ours.get("ack"), int(first(row["tcp.ack_raw"])))]
            if row["tcp.len"] and "payload_len" in ours:
                pairs += [("tcp.len", ours.get("payload_len"), int(first(row["tcp.len"])))]
        if proto == 1 and row["icmp.type"]:
            pairs += [("icmp.type", ours.get("icmp_type"), int(first(row["icmp.type"]))),
                      ("icmp.code", ours.get("icmp_code"), int(first(row["icmp.code"])))]
        if proto == 58 and row["icmpv6.type"]:
            pairs += [("icmpv6.type", ours.get("icmp_type"), int(first(row["icmpv6.type"]))),
                      ("icmpv6.code", ours.get("icmp_code"), int(first(row["icmpv6.code"])))]
        for field, got, want in pairs:
            checked += 1
            if got != want and not is_allowed(allowed, cap, n, field):
                mismatched += 1
                report.append(f"{cap}\t{n}\t{field}\tsynscope={got} tshark={want}")
    return checked, mismatched


def main():
    binary, src = os.environ["SYNSCOPE"], os.environ["SRC"]
    allowed = load_allowed(src)
    report = []
    total_checked = total_bad = files = 0
    have_tshark = subprocess.run(["sh", "-c", "command -v tshark"], capture_output=True).returncode == 0
    caps_dir = os.path.join(src, "captures")
    own = sorted(f for f in os.listdir(caps_dir) if f.endswith((".pcap", ".pcapng"))) if os.path.isdir(caps_dir) else []
    if own and not have_tshark:
        print("tshark not installed: skipping the project's own captures (install tshark)")
    for name in own if have_tshark else []:
        path = os.path.join(caps_dir, name)
        frames, _ = synscope_frames(binary, path)
        c, b = compare("captures/" + name, tshark_rows(path), frames, allowed, report)
        total_checked += c
        total_bad += b
        files += 1
    shared = os.path.join(src, "..", "shared", "captures")
    if os.path.isdir(shared):
        with open(os.path.join(shared, "MANIFEST.tsv")) as fh:
            seen = set()
            for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
                oracle = row.get("tshark_oracle", "-")
                if oracle in ("", "-") or row["path"] in seen:
                    continue
                seen.add(row["path"])
                frames, _ = synscope_frames(binary, os.path.join(shared, row["path"]))
                c, b = compare(row["path"], oracle_rows(os.path.join(shared, oracle)), frames, allowed, report)
                total_checked += c
                total_bad += b
                files += 1
    else:
        print("../shared/captures not present: only the project's captures were compared")
    for line in report[:200]:
        print("MISMATCH\t" + line)
    if len(report) > 200:
        print(f"... {len(report) - 200} more")
    print(f"tshark differential: {files} captures, {total_checked} fields compared, {total_bad} unexplained differences")
    if files == 0:
        print("nothing to compare: skipped")
        return 77
    return 0 if total_bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
