"""A seeded hostile DNS universe on loopback: a root, a TLD, two authoritative servers for
signed zones, and a recursive resolver, all answering from zones signed in memory
(`hostile_zones.py`), and all spoiling answers according to a seeded plan.

The plan decides, for each answer, from the seed and the question alone (so that a run
replays whatever the order of queries): send it as it is, or spoil its wire format (garbage,
bit flips, truncation, wrong ID or question, compression loops, labels over 63 octets,
names over 255, RDLENGTH overruns, two OPT records or an unknown EDNS version, TC then a
giant TCP answer, TCP length lies, a slow drip, silence, two answers, an answer from another
port or another address, BADVERS, records of class ANY), or answer a referral back to the
zone. The zones themselves may carry absurd data and hostile delegations (see
`hostile_zones`). Answers are sized as servers size them: a UDP answer larger than the
query's EDNS buffer goes out truncated (TC), and the TCP retry gets it whole.

Everything it did is counted, per kind, and every unusable answer to a zone's own questions
is listed with the server that sent it, so that a test can hold the product to "every
unusable answer surfaced, naming its server". An answer the universe fails to build is
counted too (`universe_errors`): a gap in the harness, never a silent timeout.

Run as a program it serves until killed, writing its counts to DIR/stats.json:
`python -m tests.hostile_dns --prefix 127.88 --seed 7 --zones 20 --out DIR`.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import ipaddress
import json
import random
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from .hostile_zones import (
    CANARY,
    FORBIDDEN_ADDRESSES,
    TLD,
    Universe,
    build_universe,
)

__all__ = ["FORBIDDEN_ADDRESSES", "Plan", "Stats", "Universe", "build_universe", "serving",
           "write_inputs"]

# Wire faults after which no checker can use the answer: each must surface as a finding.
UNUSABLE = frozenset({"garbage", "wrong-id", "wrong-question", "qr0", "compression-loop",
                      "long-label", "long-name", "rdlength-overrun", "silence", "wrong-source",
                      "wrong-address", "badvers", "two-opt", "tcp-length-lie", "servfail",
                      "formerr", "notimp", "refused", "not-authoritative", "class-any"})
# Faults that may leave a usable answer (a flipped bit in a TTL, a cut in the additional
# section, a duplicate, a slow but timely drip).
MAYBE_USABLE = frozenset({"bitflip", "truncate", "duplicate", "slow-drip", "tc-giant-tcp",
                          "referral", "extra-records", "edns-version"})
# Wire faults aimed at the probe engine's defences (address caps, forbidden targets, class
# contamination): only in campaigns that ask for them (`lead_faults`), with the hostile
# delegations of `hostile_zones`.
LEAD_FAULTS = frozenset({"address-flood", "forbidden-address", "class-any"})
WIRE_FAULTS = sorted(UNUSABLE - LEAD_FAULTS | MAYBE_USABLE)
# Faults of a TCP answer: over UDP they answer TC=1, and the TCP retry gets the fault.
TCP_FAULTS = frozenset({"tc-giant-tcp", "tcp-length-lie", "slow-drip", "address-flood"})
PROBE_LABEL = b"dnssec-conformance-"  # the product's name that cannot exist (collect.py)
ADDRESS_TYPES = (dns.rdatatype.A, dns.rdatatype.AAAA)
MAX_LISTED_ERRORS = 20
_FORBIDDEN = frozenset(ipaddress.ip_address(a) for a in FORBIDDEN_ADDRESSES)


@dataclass
class Plan:
    """What to spoil: the seed, how often, and which kinds."""

    seed: int
    rate: float = 0.3  # share of the zones' own servers' answers spoiled
    wire_faults: tuple[str, ...] = tuple(WIRE_FAULTS)
    lead_faults: bool = False  # the engine's faults, and hostile delegations
    # The root, the TLD and the resolver serve every zone: spoiled as often, one zone's
    # checks would rarely get past discovery.
    shared_rate: float | None = None
    # (role, name, type) -> the fault every answer to that question gets (for tests)
    forced: dict[tuple[str, str, str], str] = field(default_factory=dict)

    def fault(self, role: str, qname: dns.name.Name, rdtype: int, attempt: int) -> str | None:
        forced = self.forced.get((role, qname.to_text().lower(), dns.rdatatype.to_text(rdtype)))
        if forced is not None:
            return forced
        rng = random.Random(f"{self.seed}:{role}:{qname.to_text().lower()}:{rdtype}:{attempt}")
        shared = self.rate / 5 if self.shared_rate is None else self.shared_rate
        if rng.random() >= (self.rate if role in ("ns1", "ns2") else shared):
            return None
        faults = list(self.wire_faults) + (sorted(LEAD_FAULTS) if self.lead_faults else [])
        return rng.choice(faults)


@dataclass
class Stats:
    queries: int = 0  # messages received, UDP and TCP
    answers: int = 0  # queries answered (or deliberately not)
    hostile: int = 0  # answers that carried at least one fault
    by_fault: Counter[str] = field(default_factory=Counter)
    # Unusable answers to a checked zone's own questions: zone, server, question, fault.
    unusable: list[dict[str, str]] = field(default_factory=list)
    universe_errors: Counter[str] = field(default_factory=Counter)
    zone_faults: dict[str, str] = field(default_factory=dict)
    delegation_faults: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def received(self) -> None:
        with self.lock:
            self.queries += 1

    def record(self, answer: Answer, server: str, faults: list[str], role: str = "") -> None:
        with self.lock:
            self.answers += 1
            if not faults:
                return
            self.hostile += 1
            self.by_fault.update(faults)
            fault = faults[0]
            if answer.zone is None or not answer.zone_question or fault not in UNUSABLE:
                return
            if fault == "not-authoritative" and not answer.response.flags & dns.flags.AA:
                return  # a referral is not authoritative anyway: nothing was spoiled
            question = answer.response.question[0]
            self.unusable.append({
                "zone": answer.zone, "server": server, "role": role, "fault": fault,
                "question": f"{question.name} {dns.rdatatype.to_text(question.rdtype)}"})

    def failed(self, why: str) -> None:
        with self.lock:
            self.universe_errors[why[:200]] += 1

    def as_json(self) -> dict[str, object]:
        with self.lock:
            return {"queries": self.queries, "answers": self.answers, "hostile": self.hostile,
                    "by_fault": dict(self.by_fault), "unusable": list(self.unusable),
                    "universe_errors": dict(self.universe_errors.most_common(
                        MAX_LISTED_ERRORS)),
                    "zone_faults": self.zone_faults,
                    "delegation_faults": self.delegation_faults}


# --- answering -----------------------------------------------------------------------------------


@dataclass
class Answer:
    """The universe's own answer to a query, before any wire fault."""

    response: dns.message.Message
    zone: str | None = None  # the checked zone the question concerns
    zone_question: bool = False  # one of the zone's own questions (its apex, its probe)
    carried: str | None = None  # the hostile data it carries (a delegation fault)


def answer_of(universe: Universe, role: str, query: dns.message.Message) -> Answer:
    """What `role` answers to `query` from the universe's data, hostile data included."""
    question = query.question[0]
    qname, rdtype = question.name, question.rdtype
    zone = _concerned(universe, qname)
    answer = Answer(_response(universe, role, query), zone.to_text() if zone else None)
    answer.zone_question = zone is not None and (qname == zone or (
        qname.parent() == zone and qname.labels[0].startswith(PROBE_LABEL)))
    response = answer.response
    response.id = query.id
    response.flags = (response.flags & ~dns.flags.RD) | (query.flags & dns.flags.RD)
    response.flags |= query.flags & dns.flags.CD
    if role == "resolver":  # a resolver that claims to have validated whatever it answers
        response.flags = (response.flags & ~dns.flags.AA) | dns.flags.RA
        if query.ednsflags & dns.flags.DO and not query.flags & dns.flags.CD \
                and response.rcode() in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
            response.flags |= dns.flags.AD
    response.use_edns(0, dns.flags.DO if query.ednsflags & dns.flags.DO else 0, 1232)
    answer.carried = _carried(universe, role, qname, rdtype, response)
    return answer


def _concerned(universe: Universe, qname: dns.name.Name) -> dns.name.Name | None:
    if not qname.is_subdomain(TLD) or len(qname) < 3:
        return None
    zone = qname.split(3)[1]
    return zone if zone in universe.zone_faults else None


def _response(universe: Universe, role: str, query: dns.message.Message
              ) -> dns.message.Message:
    question = query.question[0]
    qname, rdtype = question.name, question.rdtype
    if role == "resolver" and qname in universe.resolver_addresses and rdtype in ADDRESS_TYPES:
        addresses = universe.flood(rdtype, universe.flood_names[qname]) \
            if qname in universe.flood_names else universe.resolver_addresses[qname]
        return _addresses(query, addresses, authoritative=False)
    if role in ("ns1", "ns2") and qname in universe.flood_names and rdtype in ADDRESS_TYPES:
        return _addresses(query, universe.flood(rdtype, universe.flood_names[qname]),
                          authoritative=True)
    served = {"root": {dns.name.root}, "tld": {TLD}, "resolver": None}.get(
        role, set(universe.zones) - {dns.name.root, TLD})
    zone = universe.zone_for(qname, served)
    if zone is None:
        response = dns.message.make_response(query)
        response.set_rcode(dns.rcode.REFUSED)
        return response
    if role in ("ns1", "ns2") and zone.origin in universe.loop_zones and qname != zone.origin \
            and not qname.labels[0].startswith(PROBE_LABEL):
        return _loop_referral(query, zone.origin, universe)
    return universe.responder(zone).respond(qname, rdtype)


def _addresses(query: dns.message.Message, addresses: list[str] | tuple[str, ...], *,
               authoritative: bool) -> dns.message.Message:
    question = query.question[0]
    response = dns.message.make_response(query)
    if authoritative:
        response.flags |= dns.flags.AA
    family = tuple(a for a in addresses if (":" in a) == (question.rdtype == dns.rdatatype.AAAA))
    if family:  # a copy: a fault may change the RRset's class
        response.answer.append(_address_rrset(question.name, question.rdtype, family).copy())
    return response


@functools.lru_cache(maxsize=64)
def _address_rrset(owner: dns.name.Name, rdtype: int, addresses: tuple[str, ...]
                   ) -> dns.rrset.RRset:
    """Built once: thousands of records take longer to build than a client waits."""
    return dns.rrset.from_text_list(owner, 300, dns.rdataclass.IN, rdtype, list(addresses))


def _loop_referral(query: dns.message.Message, apex: dns.name.Name, universe: Universe
                   ) -> dns.message.Message:
    """A question below the apex of a looping zone: a referral to the next label down,
    served by the same servers; or back up to the TLD."""
    qname = query.question[0].name
    response = dns.message.make_response(query)
    if random.Random(qname.to_text()).random() < 0.5:
        owner, targets = TLD, {"b.nic.fuzz.": universe.addresses["tld"]}
    else:
        owner = dns.name.Name(qname.labels[-(len(apex.labels) + 1):])
        targets = {"ns1.nic.fuzz.": universe.addresses["ns1"],
                   "ns2.nic.fuzz.": universe.addresses["ns2"]}
    response.authority.append(dns.rrset.from_text_list(owner, 300, "IN", "NS", list(targets)))
    for target, address in targets.items():
        response.additional.append(dns.rrset.from_text(target, 300, "IN", "A", address))
    return response


def _carried(universe: Universe, role: str, qname: dns.name.Name, rdtype: int,
             response: dns.message.Message) -> str | None:
    """The hostile delegation data `response` carries, if any (for the counts)."""
    if rdtype in ADDRESS_TYPES and qname in universe.flood_names and response.answer:
        return "address-flood"
    for section in (response.answer, response.additional):
        for rrset in section:
            if rrset.rdtype in ADDRESS_TYPES and any(
                    ipaddress.ip_address(r.address) in _FORBIDDEN for r in rrset):
                return "forbidden-address"
    referred = {r.name for r in response.authority if r.rdtype == dns.rdatatype.NS}
    if role in ("ns1", "ns2") and referred and _concerned(universe, qname) in universe.loop_zones:
        return "referral-loop"
    if role == "tld" and referred & universe.cycle_zones:
        return "glueless-cycle"
    return None


def render(message: dns.message.Message, query: dns.message.Message, tcp: bool) -> bytes:
    """The message as a server sends it: over UDP within the query's buffer (512 octets
    without EDNS), else truncated with TC=1; over TCP within 64 KiB, dropping additional
    records that do not fit."""
    limit = 65535 if tcp else max(512, query.payload) if query.edns >= 0 else 512
    while True:
        try:
            return message.to_wire(max_size=limit)
        except dns.exception.TooBig:
            if tcp and message.additional:
                del message.additional[len(message.additional) // 2:]
                continue
            truncated = dns.message.make_response(query)
            truncated.id = message.id
            truncated.flags = message.flags | dns.flags.TC
            truncated.set_rcode(message.rcode())
            if message.edns >= 0:
                truncated.use_edns(0, message.ednsflags, message.payload)
            return truncated.to_wire()


def spoil(fault: str, query: dns.message.Message, good: dns.message.Message, tcp: bool,
          rng: random.Random, universe: Universe) -> list[bytes | None] | bytes | None:
    """The wire(s) to send for `fault`; None: nothing; a list: several datagrams."""
    wire = render(good, query, tcp)
    match fault:
        case "garbage":
            return bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 600)))
        case "bitflip":
            data = bytearray(wire)
            for _ in range(rng.randint(1, 8)):
                data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
            return bytes(data)
        case "truncate":
            return wire[:rng.randrange(len(wire))]
        case "wrong-id":
            return struct.pack("!H", (query.id + 1 + rng.randrange(65535)) % 65536) + wire[2:]
        case "wrong-question":
            other = dns.message.make_query(f"other{rng.randrange(99)}.fuzz.", "A")
            response = dns.message.make_response(other)
            response.id = query.id
            return response.to_wire()
        case "qr0":
            return wire[:2] + bytes([wire[2] & 0x7F]) + wire[3:]
        case "compression-loop":
            return _compression_loop(wire)
        case "long-label":
            label = bytes([rng.choice([64, 100, 255])]) + b"x" * 63
            return wire[:12] + label + wire[12:]
        case "long-name":  # an answer whose owner name is 320 octets (at most 255)
            owner = b"".join(bytes([63]) + b"n" * 63 for _ in range(5)) + b"\x00"
            question = query.question[0]
            return (wire[:2] + struct.pack("!HHHHH", 0x8400, 1, 1, 0, 0)
                    + question.name.to_wire() + struct.pack("!HH", question.rdtype, 1)
                    + owner + struct.pack("!HHIH", question.rdtype, 1, 300, 4)
                    + bytes([192, 0, 2, 1]))
        case "two-opt":
            header = bytearray(wire[:12])
            header[10:12] = struct.pack("!H", struct.unpack("!H", header[10:12])[0] + 1)
            return bytes(header) + wire[12:] + b"\x00" + struct.pack("!HHIH", 41, 1232,
                                                                      0x8000, 0)
        case "edns-version":  # an EDNS version nobody speaks, in an answer
            good.use_edns(rng.choice([1, 255]), good.ednsflags, 1232)
            return render(good, query, tcp)
        case "rdlength-overrun":
            return _rdlength_overrun(wire, rng)
        case "silence":
            return None
        case "duplicate":
            second = dns.message.make_response(query)
            second.set_rcode(dns.rcode.NXDOMAIN)
            return [wire, second.to_wire()]
        case "badvers":
            bad = dns.message.make_response(query)
            bad.use_edns(0, 0, 1232)
            bad.set_rcode(dns.rcode.BADVERS)
            return bad.to_wire()
        case "servfail" | "formerr" | "notimp" | "refused":
            bad = dns.message.make_response(query)
            bad.set_rcode(dns.rcode.from_text(fault.upper()))
            return bad.to_wire()
        case "not-authoritative":
            good.flags &= ~dns.flags.AA
            return render(good, query, tcp)
        case "referral":
            referral = dns.message.make_response(query)
            referral.flags &= ~dns.flags.AA
            zone = query.question[0].name
            referral.authority.append(dns.rrset.from_text(zone, 300, "IN", "NS",
                                                          "ns1.nic.fuzz."))
            return referral.to_wire()
        case "extra-records":
            for index in range(rng.randint(1, 40)):
                good.additional.append(dns.rrset.from_text(
                    f"x{index}.fuzz.", 300, "IN", "TXT", "\"" + "y" * rng.randint(0, 200) + "\""))
            return render(good, query, tcp)
        case "tc-giant-tcp":
            room = (64_000 - len(render(good, query, tcp=True))) // 110
            for index in range(max(0, min(600, room))):
                good.additional.append(dns.rrset.from_text(
                    f"pad{index}.fuzz.", 300, "IN", "TXT", "\"" + "p" * 90 + "\""))
            return render(good, query, tcp)
        case "address-flood":
            question = query.question[0]
            if question.rdtype not in ADDRESS_TYPES:
                return wire
            flood = _addresses(query, universe.flood(question.rdtype), authoritative=True)
            flood.flags |= good.flags & (dns.flags.AA | dns.flags.RA)
            return render(flood, query, tcp)
        case "forbidden-address":
            question = query.question[0]
            if question.rdtype in ADDRESS_TYPES:
                want = [a for a in FORBIDDEN_ADDRESSES if (":" in a) == (
                    question.rdtype == dns.rdatatype.AAAA)]
                good.answer = [dns.rrset.from_text(question.name, 300, "IN", question.rdtype,
                                                   rng.choice(want))]
            return render(good, query, tcp)
        case "class-any":
            sections = [s for s in (good.answer, good.authority, good.additional) if s]
            for rrset in rng.choice(sections) if sections else []:
                rrset.rdclass = dns.rdataclass.ANY
            return render(good, query, tcp)
        case "slow-drip" | "tcp-length-lie":
            return wire  # the TCP handler drips or lies; over UDP: as it is
        case "wrong-source" | "wrong-address":
            return wire  # sent from another socket by the UDP handler
    raise ValueError(f"unknown fault {fault}")


def _compression_loop(wire: bytes) -> bytes:
    """The first answer record's owner becomes a pointer to itself."""
    if len(wire) < 14 or struct.unpack("!H", wire[6:8])[0] == 0:
        return wire[:12] + b"\xc0\x0c" + wire[14:]
    offset = 12
    while offset < len(wire) and wire[offset] != 0 and wire[offset] < 0xC0:
        offset += wire[offset] + 1
    offset += 1 + 4  # root label, qtype, qclass
    return wire[:offset] + struct.pack("!H", 0xC000 | offset) + wire[offset + 2:]


def _rdlength_overrun(wire: bytes, rng: random.Random) -> bytes:
    try:
        message = dns.message.from_wire(wire)
    except dns.exception.DNSException:
        return wire
    if not message.answer:
        return wire[:-2] + b"\xff\xff" if len(wire) > 14 else wire
    # The last two octets before the first answer rdata: find by re-encoding the header part.
    offset = 12
    while wire[offset] != 0:
        offset += wire[offset] + 1
    offset += 5
    offset += 2 if wire[offset] >= 0xC0 else 0  # a compressed owner name
    length_at = offset + 8
    if length_at + 2 > len(wire):
        return wire
    (length,) = struct.unpack("!H", wire[length_at:length_at + 2])
    bigger = min(65535, length + rng.randint(1, 5000))
    return wire[:length_at] + struct.pack("!H", bigger) + wire[length_at + 2:]


class HostileServer:
    """Every role of the universe on its address, port 53, UDP and TCP."""

    def __init__(self, universe: Universe, plan: Plan, stats: Stats, port: int = 53):
        self.universe, self.plan, self.stats, self.port = universe, plan, stats, port
        self._attempts: Counter[tuple[str, str, int]] = Counter()
        self._tcp_pending: dict[tuple[str, str, int], str] = {}
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()
        self._elsewhere: socket.socket | None = None
        self._pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="hostile")

    def start(self) -> None:
        for zone in self.universe.zones.values():  # indexed before the first query
            self.universe.responder(zone)
        for name, which in self.universe.flood_names.items():  # and the floods built
            for rdtype in ADDRESS_TYPES:
                _addresses(dns.message.make_query(name, rdtype),
                           self.universe.flood(rdtype, which), authoritative=True)
        for role, address in self.universe.addresses.items():
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            udp.bind((address, self.port))
            self._sockets.append(udp)
            if role == "elsewhere":  # where answers "from another address" come from
                self._elsewhere = udp
                continue
            tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            tcp.bind((address, self.port))
            tcp.listen(64)
            udp.settimeout(0.1)
            tcp.settimeout(0.1)
            self._sockets.append(tcp)
            for target, sock in ((self._serve_udp, udp), (self._serve_tcp, tcp)):
                thread = threading.Thread(target=target, args=(role, sock), daemon=True)
                thread.start()
                self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=2)  # each notices within its socket timeout
        self._pool.shutdown(wait=True, cancel_futures=True)
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.close()

    def _decide(self, role: str, wire: bytes, tcp: bool
                ) -> tuple[list[bytes | None] | bytes | None, str | None]:
        """What to send back to `wire`, and the wire fault applied (None: none)."""
        self.stats.received()
        try:
            query = dns.message.from_wire(wire)
            question = query.question[0]
        except (dns.exception.DNSException, IndexError):
            return None, None  # not a query of the product's: nothing to spoil
        try:
            return self._answer(role, query, question, tcp)
        except Exception as exc:  # counted: a gap in the universe, never a silent timeout
            self.stats.failed(f"{role} {question.name} {dns.rdatatype.to_text(question.rdtype)}"
                              f" over {'TCP' if tcp else 'UDP'}: {exc.__class__.__name__}: "
                              f"{exc}")
            return None, None

    def _answer(self, role: str, query: dns.message.Message, question: dns.rrset.RRset,
                tcp: bool) -> tuple[list[bytes | None] | bytes | None, str | None]:
        key = (role, question.name.to_text().lower(), int(question.rdtype))
        answer = answer_of(self.universe, role, query)
        with self._lock:
            pending = self._tcp_pending.pop(key, None) if tcp else None
            attempt = self._attempts[key]
            if pending is None:
                self._attempts[key] += 1
        rng = random.Random(f"{self.plan.seed}:{key}:{attempt}:wire:{tcp}")
        if pending is not None:  # the TCP half of a fault counted over UDP
            return spoil(pending, query, answer.response, tcp, rng, self.universe), pending
        fault = self.plan.fault(role, question.name, int(question.rdtype), attempt)
        server = self.universe.addresses[role]
        self.stats.record(answer, server, [f for f in (fault, answer.carried) if f], role)
        if fault is None:
            return render(answer.response, query, tcp), None
        if fault in TCP_FAULTS and not tcp:
            with self._lock:
                self._tcp_pending[key] = fault
            truncated = dns.message.make_response(query)
            truncated.flags |= dns.flags.TC | (answer.response.flags & dns.flags.AA)
            return truncated.to_wire(), fault
        return spoil(fault, query, answer.response, tcp, rng, self.universe), fault

    def _serve_udp(self, role: str, sock: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                wire, client = sock.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            # Answered in a pool: one slow answer (a flood rendered, NSEC3 hashed 65,535
            # times) must not hold up the server's other answers past the client's timeout.
            self._pool.submit(self._reply_udp, role, sock, wire, client)

    def _reply_udp(self, role: str, sock: socket.socket, wire: bytes,
                   client: tuple[str, int]) -> None:
        reply, fault = self._decide(role, wire, tcp=False)
        datagrams = reply if isinstance(reply, list) else [reply]
        for datagram in datagrams:
            if datagram is None:
                continue
            try:
                self._send(role, sock, datagram[:65507], client, fault)
            except OSError as exc:
                self.stats.failed(f"{role}: sending over UDP failed: {exc}")

    def _send(self, role: str, sock: socket.socket, datagram: bytes,
              client: tuple[str, int], fault: str | None) -> None:
        if fault == "wrong-source":  # the right address, another port
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as other:
                other.bind((self.universe.addresses[role], 0))
                other.sendto(datagram, client)
        elif fault == "wrong-address" and self._elsewhere is not None:
            self._elsewhere.sendto(datagram, client)
        else:
            sock.sendto(datagram, client)

    def _serve_tcp(self, role: str, listener: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._tcp_client, args=(role, connection),
                             daemon=True).start()

    def _tcp_client(self, role: str, connection: socket.socket) -> None:
        with connection:
            connection.settimeout(5)
            try:
                header = _read_exactly(connection, 2)
                wire = _read_exactly(connection, struct.unpack("!H", header)[0])
            except (OSError, struct.error):
                return  # the client went away: nothing to answer
            reply, fault = self._decide(role, wire, tcp=True)
            if fault == "silence":  # hold the connection open, say nothing
                with contextlib.suppress(OSError):
                    connection.recv(1)
                return
            replies = reply if isinstance(reply, list) else [reply]
            rng = random.Random(f"{self.plan.seed}:{wire.hex()}:tcp")
            try:
                for data in replies:
                    if data is not None:
                        _send_tcp(connection, data[:65535], fault, rng)
            except OSError:
                return  # the client gave up (its timeout) while we dripped


def _send_tcp(connection: socket.socket, data: bytes, fault: str | None,
              rng: random.Random) -> None:
    if fault == "tcp-length-lie":  # announce more than follows, or less
        lie = min(65535, len(data) + 999) if rng.random() < 0.5 else len(data) // 2
        connection.sendall(struct.pack("!H", lie) + data)
    elif fault == "slow-drip":  # 20 pieces, 0.1 to 1.2 s in all: in time, or not
        framed = struct.pack("!H", len(data)) + data
        step, pause = max(1, len(framed) // 20), rng.uniform(0.005, 0.06)
        for start in range(0, len(framed), step):
            connection.sendall(framed[start:start + step])
            time.sleep(pause)
    else:
        connection.sendall(struct.pack("!H", len(data)) + data)


def _read_exactly(connection: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = connection.recv(count - len(data))
        if not chunk:
            raise OSError("closed")
        data += chunk
    return data


def write_inputs(universe: Universe, folder: Path, *, timeout_s: float = 0.3,
                 retries: int = 0, zone_budget_s: float = 20,
                 records: tuple[str, ...] = ("A", "MX", "TXT")) -> Path:
    """domains.yaml and the trust anchor for a run of the product against the universe: the
    walk starts at the universe's root (`root_hints`), never at the IANA roots."""
    folder.mkdir(parents=True, exist_ok=True)
    anchor = dns.rrset.from_rdata(dns.name.root, 300, universe.root_key)
    (folder / "anchors.txt").write_text(anchor.to_text() + "\n")
    domains = "".join(f"  - {{name: {z.to_text(omit_final_dot=True)}, "
                      f"records: [{', '.join(records)}]}}\n" for z in universe.children)
    path = folder / "domains.yaml"
    path.write_text(f"resolvers: ['{universe.addresses['resolver']}']\n"
                    f"root_hints: ['{universe.addresses['root']}']\n"
                    "trust_anchors: anchors.txt\n"
                    f"canaries: {{bogus: [{CANARY.to_text(omit_final_dot=True)}]}}\n"
                    f"query: {{timeout_s: {timeout_s}, retries: {retries}, "
                    f"zone_budget_s: {zone_budget_s}}}\n"
                    f"domains:\n{domains}")
    return path


@contextlib.contextmanager
def serving(prefix: str, seed: int, zones: int, plan: Plan, now: float, *,
            delegations: dict[int, str] | None = None) -> Iterator[tuple[Universe, Stats]]:
    stats = Stats()
    universe = build_universe(prefix, zones, seed, now, delegation_faults=plan.lead_faults,
                              delegations=delegations)
    stats.zone_faults = {z.to_text(): f for z, f in universe.zone_faults.items()}
    stats.delegation_faults = {z.to_text(): f for z, f in universe.delegation_faults.items()}
    server = HostileServer(universe, plan, stats)
    server.start()
    try:
        yield universe, stats
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prefix", default="127.88")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--zones", type=int, default=20)
    parser.add_argument("--rate", type=float, default=0.3)
    parser.add_argument("--lead-faults", action="store_true")
    parser.add_argument("--out", type=Path, required=True)
    arguments = parser.parse_args()
    plan = Plan(arguments.seed, arguments.rate, lead_faults=arguments.lead_faults)
    with serving(arguments.prefix, arguments.seed, arguments.zones, plan, time.time()
                 ) as (universe, stats):
        write_inputs(universe, arguments.out)
        print(f"serving seed {arguments.seed} at {universe.addresses['root']} (root)",
              flush=True)
        try:
            while True:
                time.sleep(1)
                (arguments.out / "stats.json").write_text(json.dumps(stats.as_json()))
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
