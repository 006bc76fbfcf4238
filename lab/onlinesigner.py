"""The lab's online signer: `python -m lab.onlinesigner -c CONFIG` serves, on UDP and TCP
port 53 of one loopback address, the zones its JSON config lists, signing every answer when
it is sent (lab/online_responder.py).

It behaves like the lab's other servers for lab/processes.py: it binds its sockets (so a
taken port fails the start with a message), forks into the background, writes its pid file,
and only then lets the starting command exit 0; SIGTERM stops it.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import socketserver
import struct
import sys
import threading
import time
from pathlib import Path
from typing import Any

from lab.online_responder import OnlineZone, load_zones, respond

MAX_TCP_MESSAGE = 65535


class _Udp(socketserver.BaseRequestHandler):
    server: _UdpServer

    def handle(self) -> None:
        data, sock = self.request
        reply = respond(self.server.zones, data, udp=True)
        if reply is not None:
            sock.sendto(reply, self.client_address)


class _Tcp(socketserver.BaseRequestHandler):
    server: _TcpServer

    def handle(self) -> None:
        conn: socket.socket = self.request
        conn.settimeout(5.0)
        try:
            while True:
                header = _read_exactly(conn, 2)
                if header is None:
                    return
                data = _read_exactly(conn, struct.unpack("!H", header)[0])
                if data is None:
                    return
                reply = respond(self.server.zones, data, udp=False)
                if reply is None:
                    return
                conn.sendall(struct.pack("!H", len(reply)) + reply)
        except OSError:
            return


def _read_exactly(conn: socket.socket, size: int) -> bytes | None:
    chunks = b""
    while len(chunks) < size:
        chunk = conn.recv(size - len(chunks))
        if not chunk:
            return None
        chunks += chunk
    return chunks


class _UdpServer(socketserver.ThreadingUDPServer):
    daemon_threads = True
    allow_reuse_address = True
    zones: list[OnlineZone]


class _TcpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    zones: list[OnlineZone]


def _log(path: Path, text: str) -> None:
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    with path.open("a") as log:
        log.write(f"[{stamp}] onlinesigner: {text}\n")


def _daemonize(pid_file: Path, ready: Any) -> None:
    """Fork twice; the original process exits once the grandchild has written its pid
    file and signalled on `ready` (a pipe)."""
    read_end, write_end = ready
    if os.fork() > 0:
        os.close(write_end)
        ok = os.read(read_end, 1) == b"1"
        os._exit(0 if ok else 1)
    os.close(read_end)
    os.setsid()
    if os.fork() > 0:
        os._exit(0)
    pid_file.write_text(f"{os.getpid()}\n")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lab.onlinesigner")
    parser.add_argument("-c", "--config", required=True, type=Path)
    args = parser.parse_args(argv)
    config = json.loads(args.config.read_text())
    log_file, pid_file = Path(config["logfile"]), Path(config["pidfile"])
    address, port = config["address"], int(config["port"])
    try:
        zones = load_zones(args.config)
        udp = _UdpServer((address, port), _Udp)
        tcp = _TcpServer((address, port), _Tcp)
    except (OSError, ValueError, KeyError) as exc:
        _log(log_file, f"error: cannot start on {address}:{port}: {exc}")
        print(f"onlinesigner: error: cannot start on {address}:{port}: {exc}", file=sys.stderr)
        return 1
    udp.zones = tcp.zones = zones
    ready = os.pipe()
    _daemonize(pid_file, ready)
    for server in (udp, tcp):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    names = ", ".join(str(z.origin) for z in zones)
    _log(log_file, f"serving {names} on {address}:{port}, signing every answer")
    os.write(ready[1], b"1")
    os.close(ready[1])
    threading.Event().wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
