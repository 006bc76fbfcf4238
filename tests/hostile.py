"""A real UDP+TCP server on loopback that misbehaves on purpose, the way broken or hostile
authoritative servers do."""

from __future__ import annotations

import socket
import socketserver
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rrset

BEHAVIOURS = ("silent", "refused", "servfail", "formerr", "lame", "garbage", "garbage-with-id",
              "short", "truncated-everywhere", "wrong-id", "wrong-question", "not-a-response",
              "wrong-class")


def reply(behaviour: str, wire: bytes, tcp: bool) -> bytes | None:
    """What the server sends back for one query, or None to stay silent."""
    if behaviour == "silent":
        return None
    if behaviour == "garbage":
        return b"\xde\xad\xbe\xef" * 20
    if behaviour == "garbage-with-id":
        return wire[:2] + b"\xde\xad\xbe\xef" * 20
    if behaviour == "short":
        return wire[:5]
    query = dns.message.from_wire(wire)
    response = dns.message.make_response(query)
    if behaviour == "wrong-question":
        response.question[0].name = dns.name.from_text("elsewhere.example.")
    elif behaviour == "not-a-response":
        response.flags &= ~dns.flags.QR
    elif behaviour == "wrong-class":
        response.flags |= dns.flags.AA
        response.answer.append(dns.rrset.from_text(query.question[0].name, 60, "CH", "TXT",
                                                   '"chaos"'))
    if behaviour == "refused":
        response.set_rcode(dns.rcode.REFUSED)
    elif behaviour == "servfail":
        response.set_rcode(dns.rcode.SERVFAIL)
    elif behaviour == "formerr":
        response.set_rcode(dns.rcode.FORMERR)
    elif behaviour == "lame":
        response.flags &= ~dns.flags.AA
    elif behaviour == "truncated-everywhere":
        response.flags |= dns.flags.TC
    elif behaviour == "wrong-id":
        response.id = (query.id + 1) % 65536
    return response.to_wire()


@contextmanager
def hostile_server(behaviour: str) -> Iterator[tuple[str, int]]:
    """Serve `behaviour` on 127.0.0.1 (UDP and TCP, one port) until the block ends."""

    class Udp(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            data, sock = self.request
            answer = reply(behaviour, data, tcp=False)
            if answer is not None:
                sock.sendto(answer, self.client_address)

    class Tcp(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            length = struct.unpack("!H", self.request.recv(2))[0]
            answer = reply(behaviour, self.request.recv(length), tcp=True)
            if answer is not None:
                self.request.sendall(struct.pack("!H", len(answer)) + answer)

    tcp = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Tcp)
    port = tcp.server_address[1]
    udp = socketserver.ThreadingUDPServer(("127.0.0.1", port), Udp)
    for server in (tcp, udp):
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield "127.0.0.1", port
    finally:
        for server in (tcp, udp):
            server.shutdown()
            server.server_close()


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
