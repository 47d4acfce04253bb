#!/usr/bin/env python3
"""capture-peer.py — the two ends of each conversation recorded by scripts/make-captures.sh.

Run one `server` and one `client` with the same --mode, each inside its own network namespace:

  capture-peer.py server --addr 198.51.100.2 --port 7001 --mode hello
  capture-peer.py client --addr 198.51.100.2 --port 7001 --sport 40001 --mode hello

Modes (what goes on the wire, RFC 9293 vocabulary):
  hello       client sends b"hello", server answers b"hello back", client closes first (FIN), server closes.
  reset       as hello, then the client closes with SO_LINGER {on, 0}: an RST instead of a FIN.
  halfclose   client sends b"hello" and shutdown(SHUT_WR) (FIN); the server keeps sending three chunks
              after that FIN, then closes; the client reads to EOF.
  simclose    as hello, then both ends wait for --trigger FILE to exist and close at once.
  chat        client sends --count lines, server echoes each one; client closes first.
  bulk        as hello with 400-byte messages (for the snaplen capture).
  refused     client connects to a closed port and expects ECONNREFUSED (no server).
  unanswered  client connects to a port whose SYNs are dropped; gives up after --timeout (no server).
  udp         client sends b"ping?" over UDP, the server answers b"pong!".
  udp-closed  client sends one UDP datagram to a closed port and expects ECONNREFUSED (ICMP port
              unreachable) (no server).

The `kick` role serves simclose from the router namespace: it sends one UDP datagram of --size bytes
to each address in --addr (comma-separated; port --port, normally closed) and then creates --trigger,
all within a millisecond, so the token buckets that delay the FINs are emptied just before both
ends close.

Exit status 0 when the conversation went as the mode expects, 1 otherwise (the message says why).
"""

import argparse
import os
import socket
import struct
import sys
import time

HELLO = b"hello"
HELLO_BACK = b"hello back"


def family_of(addr: str) -> int:
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise RuntimeError(f"peer closed after {len(buf)} of {n} bytes")
        buf += chunk
    return buf


def recv_all(sock: socket.socket) -> bytes:
    buf = b""
    while True:
        chunk = sock.recv(4096)
        if not chunk:
            return buf
        buf += chunk


def wait_trigger(path: str, role: str, timeout: float = 10.0) -> None:
    # Tell the script we are ready, then poll every 1 ms so both ends react within a millisecond.
    with open(f"{path}.ready-{role}", "w", encoding="ascii"):
        pass
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise RuntimeError(f"trigger {path} never appeared")
        time.sleep(0.001)


def serve_tcp(args: argparse.Namespace) -> None:
    lsock = socket.socket(family_of(args.addr), socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind((args.addr, args.port))
    lsock.listen(1)
    conn, _ = lsock.accept()
    lsock.close()
    with conn:
        if args.mode == "hello":
            recv_exact(conn, len(HELLO))
            conn.sendall(HELLO_BACK)
            if recv_all(conn):  # the client's FIN
                raise RuntimeError("unexpected data after hello")
        elif args.mode == "bulk":
            recv_exact(conn, 400)
            conn.sendall(bytes(range(200)) * 2)
            recv_all(conn)
        elif args.mode == "reset":
            recv_exact(conn, len(HELLO))
            conn.sendall(HELLO_BACK)
            try:
                data = conn.recv(100)
                raise RuntimeError(f"expected a reset, got {data!r}")
            except ConnectionResetError:
                pass
        elif args.mode == "halfclose":
            got = recv_all(conn)  # returns at the client's FIN
            if got != HELLO:
                raise RuntimeError(f"halfclose: got {got!r}")
            # RFC 9293 §3.6: after the peer's FIN we are in CLOSE-WAIT and may still send.
            for i in range(1, 4):
                conn.sendall(b"part %d after your FIN\n" % i)
                time.sleep(0.05)
        elif args.mode == "simclose":
            recv_exact(conn, len(HELLO))
            conn.sendall(HELLO_BACK)
            wait_trigger(args.trigger, "server")
            conn.shutdown(socket.SHUT_WR)
            recv_all(conn)
        elif args.mode == "chat":
            f = conn.makefile("rb")
            for line in f:
                conn.sendall(b"echo " + line)
        else:
            raise RuntimeError(f"no server for mode {args.mode}")


def serve_udp(args: argparse.Namespace) -> None:
    sock = socket.socket(family_of(args.addr), socket.SOCK_DGRAM)
    sock.bind((args.addr, args.port))
    data, peer = sock.recvfrom(2048)
    if data != b"ping?":
        raise RuntimeError(f"udp: got {data!r}")
    sock.sendto(b"pong!", peer)
    sock.close()


def tcp_client(args: argparse.Namespace) -> socket.socket:
    sock = socket.socket(family_of(args.addr), socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if args.sport:
        sock.bind((args.bind or "", args.sport))
    sock.settimeout(args.timeout)
    sock.connect((args.addr, args.port))
    sock.settimeout(10.0)
    return sock


def client(args: argparse.Namespace) -> None:
    mode = args.mode
    if mode == "refused":
        try:
            tcp_client(args).close()
        except ConnectionRefusedError:
            return
        raise RuntimeError("connect succeeded, expected ECONNREFUSED")
    if mode == "unanswered":
        try:
            tcp_client(args).close()
        except (socket.timeout, TimeoutError):
            return
        raise RuntimeError("connect succeeded, expected a timeout")
    if mode in ("udp", "udp-closed"):
        sock = socket.socket(family_of(args.addr), socket.SOCK_DGRAM)
        if args.sport:
            sock.bind((args.bind or "", args.sport))
        sock.settimeout(args.timeout)
        sock.connect((args.addr, args.port))  # a connected UDP socket reports ICMP errors
        sock.send(b"ping?")
        try:
            reply = sock.recv(2048)
        except ConnectionRefusedError:
            if mode == "udp-closed":
                return
            raise
        if mode == "udp-closed" or reply != b"pong!":
            raise RuntimeError(f"udp: unexpected reply {reply!r}")
        return

    sock = tcp_client(args)
    if mode == "hello":
        sock.sendall(HELLO)
        recv_exact(sock, len(HELLO_BACK))
        sock.close()  # the client closes first
    elif mode == "bulk":
        sock.sendall(bytes(range(200)) * 2)
        recv_exact(sock, 400)
        sock.close()
    elif mode == "reset":
        sock.sendall(HELLO)
        recv_exact(sock, len(HELLO_BACK))
        # SO_LINGER with a zero timeout makes close() an ABORT (RFC 9293 §3.10.5): an RST, no FIN.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    elif mode == "halfclose":
        sock.sendall(HELLO)
        sock.shutdown(socket.SHUT_WR)
        got = recv_all(sock)
        if got.count(b"after your FIN") != 3:
            raise RuntimeError(f"halfclose: got {got!r}")
        sock.close()
    elif mode == "simclose":
        sock.sendall(HELLO)
        recv_exact(sock, len(HELLO_BACK))
        wait_trigger(args.trigger, "client")
        sock.shutdown(socket.SHUT_WR)
        recv_all(sock)
        sock.close()
    elif mode == "chat":
        for i in range(args.count):
            line = b"line %d\n" % i
            sock.sendall(line)
            if recv_exact(sock, len(line) + 5) != b"echo " + line:
                raise RuntimeError("chat: bad echo")
            time.sleep(args.gap)
        sock.close()
    else:
        raise RuntimeError(f"no client for mode {mode}")


def kick(args: argparse.Namespace) -> None:
    payload = b"\0" * args.size
    socks = []
    for addr in args.addr.split(","):
        sock = socket.socket(family_of(addr), socket.SOCK_DGRAM)
        socks.append(sock)
        sock.sendto(payload, (addr, args.port))
    with open(args.trigger, "w", encoding="ascii"):
        pass
    for sock in socks:
        sock.close()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("role", choices=["server", "client", "kick"])
    p.add_argument("--mode", required=True)
    p.add_argument("--addr", required=True, help="server address (the server binds it, the client connects)")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--bind", default="", help="client source address")
    p.add_argument("--sport", type=int, default=0, help="client source port (0: kernel's choice)")
    p.add_argument("--timeout", type=float, default=5.0, help="client connect/receive timeout, seconds")
    p.add_argument("--trigger", default="", help="simclose: file whose appearance means 'close now'")
    p.add_argument("--count", type=int, default=10, help="chat: lines to exchange")
    p.add_argument("--gap", type=float, default=0.02, help="chat: pause between lines, seconds")
    p.add_argument("--size", type=int, default=0, help="kick: UDP payload bytes per datagram")
    args = p.parse_args()
    try:
        if args.role == "kick":
            kick(args)
        elif args.role == "server":
            if args.mode == "udp":
                serve_udp(args)
            else:
                serve_tcp(args)
        else:
            client(args)
    except (OSError, RuntimeError) as e:
        print(f"capture-peer {args.role} {args.mode}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
