"""A real UDP+TCP server on loopback that misbehaves on purpose, the way broken or hostile
authoritative servers do."""

from __future__ import annotations

import socket
import socketserver
import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset

BEHAVIOURS = ("silent", "refused", "servfail", "formerr", "lame", "garbage", "garbage-with-id",
              "short", "truncated-everywhere", "wrong-id", "wrong-question", "not-a-response",
              "wrong-class")
# A resolver that answers every A question with an address and the AD flag: it claims to
# have validated whatever it is asked, bogus names included.
LYING_RESOLVER = "ad-always"


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
    elif behaviour == LYING_RESOLVER:
        response.flags |= dns.flags.AD | dns.flags.RA
        question = query.question[0]
        if question.rdtype == dns.rdatatype.A:
            response.answer.append(dns.rrset.from_text(question.name, 300, "IN", "A",
                                                       "192.0.2.66"))
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


# Faults a zone-backed server applies to the answers of chosen question types, as seen in
# the field: the question's answer unusable while the rest of the zone is served fine.
ANSWER_FAULTS = ("garbage", "qr0", "wrong-id", "wrong-question", "bad-counts", "long-label",
                 "two-opt", "silent", "servfail", "notimp", "truncated-tcp-broken")


def faulty_answer(fault: str, query: dns.message.Message, good: dns.message.Message,
                  tcp: bool) -> bytes | None:
    """`good` (the right answer to `query`) spoiled by `fault`; None: say nothing."""

    wire = good.to_wire()
    if fault == "silent" or (fault == "truncated-tcp-broken" and tcp):
        return None
    if fault == "garbage":
        return bytes((7 * i + 13) % 256 for i in range(60))
    if fault == "qr0":
        return wire[:2] + bytes([wire[2] & 0x7F]) + wire[3:]
    if fault == "wrong-id":
        return struct.pack("!H", (query.id + 1) % 65536) + wire[2:]
    if fault == "wrong-question":
        other = dns.message.make_response(dns.message.make_query("elsewhere.invalid.", "A"))
        other.id = query.id
        return other.to_wire()
    if fault == "bad-counts":
        (ancount,) = struct.unpack("!H", wire[6:8])
        return wire[:6] + struct.pack("!H", ancount + 3) + wire[8:]
    if fault == "long-label":
        name = query.question[0].name.to_wire()
        start = 12 + len(name) + 4  # the question, then the answer's owner name
        return wire[:12] + name + wire[12 + len(name):start] + bytes([64]) + b"x" * 64 \
            + wire[start:]
    if fault == "two-opt":
        header = bytearray(wire[:12])
        (arcount,) = struct.unpack("!H", header[10:12])
        header[10:12] = struct.pack("!H", arcount + 1)
        return bytes(header) + wire[12:] + b"\x00" + struct.pack("!HHIH", 41, 1232, 0x8000, 0)
    bad = dns.message.make_response(query)
    if fault == "servfail":
        bad.set_rcode(dns.rcode.SERVFAIL)
    elif fault == "notimp":
        bad.set_rcode(dns.rcode.NOTIMP)
    elif fault == "truncated-tcp-broken":
        bad.flags |= dns.flags.TC
    return bad.to_wire()


@contextmanager
def zone_server(answer: Callable[[dns.message.Message], dns.message.Message],
                faults: dict[int, str]) -> Iterator[tuple[str, int]]:
    """Serve `answer(query)` on 127.0.0.1 (UDP and TCP), spoiled by `faults[qtype]` for the
    question types it names."""

    def respond(wire: bytes, tcp: bool) -> bytes | None:
        query = dns.message.from_wire(wire)
        good = answer(query)
        good.id = query.id
        fault = faults.get(int(query.question[0].rdtype))
        return good.to_wire() if fault is None else faulty_answer(fault, query, good, tcp)

    class Udp(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            data, sock = self.request
            reply_wire = respond(data, tcp=False)
            if reply_wire is not None:
                sock.sendto(reply_wire, self.client_address)

    class Tcp(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            length = struct.unpack("!H", self.request.recv(2))[0]
            reply_wire = respond(self.request.recv(length), tcp=True)
            if reply_wire is not None:
                self.request.sendall(struct.pack("!H", len(reply_wire)) + reply_wire)

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
