#!/usr/bin/env bash
# Latency of `synscope live`: time from a SYN on the wire (the kernel's capture timestamp on the veth) to
# its JSON line arriving on synscope's stdout (read through a pipe), over N connection attempts between
# two network namespaces. Prints median, p90, p99 and max. Root only.
#   bash bench/live_latency.sh [PATH/TO/synscope] [N=200]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
SYNSCOPE="${1:-$here/build/synscope}"
N="${2:-200}"
SRC="$here"
source "$here/tests/netns/lib.sh"
require_root
netns_init lat
ns_add cli srv
veth_add cli eth0 srv eth0
addr_add cli eth0 192.0.2.1/24
addr_add srv eth0 192.0.2.2/24
export SYNSCOPE N CLI_NS="$(ns_name cli)" SRV_NS="$(ns_name srv)"
/usr/bin/python3 - <<'PY'
import json, os, statistics, subprocess, time
syn = os.environ["SYNSCOPE"]; n = int(os.environ["N"])
live = subprocess.Popen(["ip", "netns", "exec", os.environ["SRV_NS"], syn, "live", "-i", "eth0", "--json", "--no-track",
                         "-f", "tcp[tcpflags] & tcp-syn != 0 and tcp[tcpflags] & tcp-ack == 0 and dst port 9"],
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0)
# wait until it listens
while b"listening on" not in live.stderr.readline():
    pass
# one connect attempt per 5 ms to a closed port: each is a SYN answered by an RST
connector = subprocess.Popen(["ip", "netns", "exec", os.environ["CLI_NS"], "/usr/bin/python3", "-c",
    "import socket,time\n"
    f"for i in range({n}):\n"
    "    s=socket.socket(); s.settimeout(1)\n"
    "    try: s.connect(('192.0.2.2', 9))\n"
    "    except OSError: pass\n"
    "    s.close(); time.sleep(0.005)\n"])
lat = []
buf = b""
while len(lat) < n:
    chunk = os.read(live.stdout.fileno(), 65536)
    now = time.time_ns()
    if not chunk:
        break
    buf += chunk
    *lines, buf = buf.split(b"\n")
    for line in lines:
        o = json.loads(line)
        if o.get("type") != "packet":
            continue
        sec, frac = o["ts"].split(".")
        lat.append((now - (int(sec) * 10**9 + int(frac))) / 1e6)
connector.wait()
live.send_signal(2)
live.wait()
lat.sort()
q = lambda p: lat[min(len(lat) - 1, int(p * (len(lat) - 1) + 0.5))]
print(f"live latency, SYN on the wire -> line on stdout, {len(lat)} SYNs: "
      f"median {statistics.median(lat):.3f} ms, p90 {q(0.9):.3f} ms, p99 {q(0.99):.3f} ms, max {lat[-1]:.3f} ms")
PY
