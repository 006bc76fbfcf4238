"""A seeded hostile DNS universe on loopback: a root, a TLD, two authoritative servers for
signed zones, and a recursive resolver, all answering from zones signed in memory, and all
spoiling answers according to a seeded plan.

The plan decides, for each answer, from the seed and the question alone (so that a run
replays whatever the order of queries): send it as it is, or spoil its wire format (garbage,
bit flips, truncation, wrong ID or question, compression loops, labels over 63 octets,
RDLENGTH overruns, TC then a giant TCP answer, TCP length lies, a slow drip, silence, two
answers, an answer from another port, BADVERS), or answer a referral back to the zone. Each
zone may also carry absurd data, signed into it (RRSIG dates and fields, empty, huge or
unknown DNSKEYs, NSEC3 with huge iterations and salts, a DS with a wrong key tag, CNAME and
DNAME games). Everything it did is counted, per zone and per kind, so that a test can hold
the product to "every unusable answer surfaced".

Run as a program it serves until killed, and writes its counts to the file named by
--stats on SIGTERM: `python -m tests.hostile_dns --prefix 127.85 --seed 7 --zones 20 --out
DIR`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import dns.dnssec
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.rrset
import dns.zone
from cryptography.hazmat.primitives.asymmetric import ec

from dnssec_conformance.authoritative import respond

TLD = dns.name.from_text("fuzz.")
DAY = 86400
# Wire faults after which no checker can use the answer: each must surface as a finding.
UNUSABLE = frozenset({"garbage", "wrong-id", "wrong-question", "qr0", "compression-loop",
                      "long-label", "rdlength-overrun", "silence", "wrong-source", "badvers",
                      "tcp-length-lie", "servfail", "formerr", "notimp", "refused",
                      "not-authoritative"})
# Faults that may leave a usable answer (a flipped bit in a TTL, a cut in the additional
# section, a duplicate, a slow but timely drip).
MAYBE_USABLE = frozenset({"bitflip", "truncate", "duplicate", "slow-drip", "tc-giant-tcp",
                          "referral", "extra-records"})
# Faults whose handling is the probe engine's (issue 11): address caps, forbidden targets,
# class contamination. Only in campaigns that ask for them (`lead_faults`).
LEAD_FAULTS = frozenset({"address-flood", "forbidden-address", "class-any"})
WIRE_FAULTS = sorted(UNUSABLE | MAYBE_USABLE)
# Faults of a TCP answer: over UDP they answer TC=1, and the TCP retry gets the fault.
TCP_FAULTS = frozenset({"tc-giant-tcp", "tcp-length-lie", "slow-drip", "address-flood"})
ZONE_FAULTS = ("none", "rrsig-dates", "rrsig-fields", "dnskey-empty", "dnskey-huge",
               "dnskey-unknown-algorithm", "nsec3-huge", "ds-wrong-tag", "cname-games",
               "dname-apex", "nsec-loop")
FORBIDDEN_ADDRESSES = ("255.255.255.255", "169.254.169.254", "224.0.0.1", "0.0.0.0",
                       "fe80::1", "ff02::1", "::")


@dataclass
class Plan:
    """What to spoil: the seed, how often, and which kinds."""

    seed: int
    rate: float = 0.3  # share of the zones' own servers' answers spoiled
    wire_faults: tuple[str, ...] = tuple(WIRE_FAULTS)
    lead_faults: bool = False
    # The root, the TLD and the resolver serve every zone: spoiled as often, one zone's
    # checks would rarely get past discovery.
    shared_rate: float | None = None

    def fault(self, role: str, qname: dns.name.Name, rdtype: int, attempt: int) -> str | None:
        rng = random.Random(f"{self.seed}:{role}:{qname.to_text().lower()}:{rdtype}:{attempt}")
        shared = self.rate / 5 if self.shared_rate is None else self.shared_rate
        if rng.random() >= (self.rate if role in ("ns1", "ns2") else shared):
            return None
        faults = list(self.wire_faults) + (sorted(LEAD_FAULTS) if self.lead_faults else [])
        return rng.choice(faults)


@dataclass
class Stats:
    answers: int = 0
    hostile: Counter[str] = field(default_factory=Counter)
    # zone -> the unusable faults its own questions got (authoritative and resolver answers)
    unusable_by_zone: dict[str, list[str]] = field(default_factory=dict)
    zone_faults: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, zone: str | None, fault: str | None) -> None:
        with self.lock:
            self.answers += 1
            if fault is None:
                return
            self.hostile[fault] += 1
            if zone is not None and fault in UNUSABLE:
                self.unusable_by_zone.setdefault(zone, []).append(fault)

    def as_json(self) -> dict[str, object]:
        with self.lock:
            return {"answers": self.answers, "hostile": sum(self.hostile.values()),
                    "by_fault": dict(self.hostile), "unusable_by_zone": self.unusable_by_zone,
                    "zone_faults": self.zone_faults}


# --- the universe's zones ----------------------------------------------------------------------


@dataclass
class Keys:
    ksk: tuple[object, object]
    zsk: tuple[object, object]


def _keys() -> Keys:
    pairs = []
    for flags in (257, 256):
        private = ec.generate_private_key(ec.SECP256R1())
        pairs.append((private, dns.dnssec.make_dnskey(private.public_key(), 13, flags=flags)))
    return Keys(pairs[0], pairs[1])


def _sign(zone: dns.zone.Zone, keys: Keys, now: float, nsec3: str | None = None) -> None:
    if nsec3 is not None:
        from .inmemory import Key, sign_nsec3

        sign_nsec3(zone, [Key(*keys.ksk), Key(*keys.zsk)], nsec3, inception=now - DAY,
                   expiration=now + 30 * DAY, dnskey_ttl=300)
        return
    dns.dnssec.sign_zone(zone, keys=[keys.ksk, keys.zsk], inception=now - DAY,
                         expiration=now + 30 * DAY, dnskey_ttl=300,
                         policy=dns.dnssec.allow_all_policy)


@dataclass
class Universe:
    """The zones and who serves them: root (".") at the root address, "fuzz." at the TLD
    address, every zN.fuzz. at ns1 and ns2; the resolver answers from all of them."""

    prefix: str
    zones: dict[dns.name.Name, dns.zone.Zone]
    root_key: object
    addresses: dict[str, str]

    @property
    def children(self) -> list[dns.name.Name]:
        return sorted(n for n in self.zones if len(n) == 3)

    def zone_for(self, qname: dns.name.Name, served: set[dns.name.Name] | None = None
                 ) -> dns.zone.Zone | None:
        best = None
        for origin in self.zones:
            if (served is None or origin in served) and qname.is_subdomain(origin) and (
                    best is None or len(origin) > len(best)):
                best = origin
        return self.zones[best] if best is not None else None


def build_universe(prefix: str, count: int, seed: int, now: float,
                   stats: Stats | None = None) -> Universe:
    rng = random.Random(f"{seed}:zones")
    # The universe's /24 under the lab prefix; FUZZ_BLOCK moves it, so that two campaigns
    # of one engineer can run side by side.
    block = f"{prefix}.{os.environ.get('FUZZ_BLOCK', '250')}"
    addresses = {"root": f"{block}.1", "tld": f"{block}.2", "ns1": f"{block}.11",
                 "ns2": f"{block}.12", "resolver": f"{block}.53"}
    zones: dict[dns.name.Name, dns.zone.Zone] = {}
    tld_keys, root_keys = _keys(), _keys()
    tld_body = ("@ 300 IN SOA b.nic hostmaster 1 7200 3600 1209600 300\n@ 300 IN NS b.nic\n"
                f"b.nic 300 IN A {addresses['tld']}\na.nic 300 IN A {addresses['root']}\n"
                f"ns1.nic 300 IN A {addresses['ns1']}\nns2.nic 300 IN A {addresses['ns2']}\n")
    for index in range(count):
        fault = rng.choice(ZONE_FAULTS) if index else "none"  # z0: a clean control zone
        origin = dns.name.from_text(f"z{index}.fuzz.")
        keys = _keys()
        zone = _child_zone(origin, fault, keys, now, rng)
        zones[origin] = zone
        if stats is not None:
            stats.zone_faults[origin.to_text()] = fault
        tld_body += f"z{index} 300 IN NS ns1.nic\nz{index} 300 IN NS ns2.nic\n"
        ds = dns.dnssec.make_ds(origin, keys.ksk[1], 2)
        if fault == "ds-wrong-tag":
            ds = ds.replace(key_tag=(ds.key_tag + 1) % 65536)
        tld_body += f"z{index} 300 IN DS {ds.to_text()}\n"
    tld = dns.zone.from_text(tld_body, origin=TLD, relativize=False)
    _sign(tld, tld_keys, now)
    zones[TLD] = tld
    tld_ds = dns.dnssec.make_ds(TLD, tld_keys.ksk[1], 2)
    root = dns.zone.from_text(
        "@ 300 IN SOA a.nic.fuzz. hostmaster.fuzz. 1 7200 3600 1209600 300\n"
        "@ 300 IN NS a.nic.fuzz.\n"
        f"fuzz. 300 IN NS b.nic.fuzz.\nfuzz. 300 IN DS {tld_ds.to_text()}\n"
        f"b.nic.fuzz. 300 IN A {addresses['tld']}\na.nic.fuzz. 300 IN A {addresses['root']}\n",
        origin=dns.name.root, relativize=False)
    _sign(root, root_keys, now)
    zones[dns.name.root] = root
    return Universe(prefix, zones, root_keys.ksk[1], addresses)


def _child_zone(origin: dns.name.Name, fault: str, keys: Keys, now: float,
                rng: random.Random) -> dns.zone.Zone:
    body = ("@ 300 IN SOA ns1.nic.fuzz. hostmaster.fuzz. 1 7200 3600 1209600 300\n"
            "@ 300 IN NS ns1.nic.fuzz.\n@ 300 IN NS ns2.nic.fuzz.\n@ 300 IN A 192.0.2.10\n"
            "@ 300 IN MX 10 mail\nmail 300 IN A 192.0.2.25\n@ 300 IN TXT \"v=spf1 -all\"\n")
    if fault == "cname-games":
        body += "loop1 300 IN CNAME loop2\nloop2 300 IN CNAME loop1\nwww 300 IN CNAME loop1\n"
    if fault == "dname-apex":
        body += "sub 300 IN DNAME z0.fuzz.\n"
    zone = dns.zone.from_text(body, origin=origin, relativize=False)
    nsec3 = "1 0 65535 " + "ab" * 255 if fault == "nsec3-huge" else (
        "1 0 0 -" if rng.random() < 0.4 else None)
    if fault == "dnskey-empty":
        _add_key(zone, 256, 13, b"")
    elif fault == "dnskey-huge":
        _add_key(zone, 256, 8, bytes(rng.getrandbits(8) for _ in range(2048)))
    elif fault == "dnskey-unknown-algorithm":
        _add_key(zone, 257, 200, bytes(rng.getrandbits(8) for _ in range(64)))
    _sign(zone, keys, now, nsec3)
    if fault in ("rrsig-dates", "rrsig-fields"):
        _spoil_signatures(zone, fault, rng)
    if fault == "nsec-loop" and nsec3 is None:
        for name, node in zone.nodes.items():
            for rdataset in node.rdatasets:
                if rdataset.rdtype == dns.rdatatype.NSEC:
                    rdataset.update(dns.rdataset.from_rdata(
                        rdataset.ttl, *[r.replace(next=name) for r in rdataset]))
    return zone


def _add_key(zone: dns.zone.Zone, flags: int, algorithm: int, key: bytes) -> None:
    from dns.rdtypes.ANY.DNSKEY import DNSKEY

    rdata = DNSKEY(dns.rdataclass.IN, dns.rdatatype.DNSKEY, flags, 3, algorithm, key)
    with zone.writer() as txn:
        txn.add(zone.origin, 300, rdata)


def _spoil_signatures(zone: dns.zone.Zone, fault: str, rng: random.Random) -> None:
    for node in zone.nodes.values():
        for rdataset in list(node.rdatasets):
            if rdataset.rdtype != dns.rdatatype.RRSIG or rng.random() < 0.5:
                continue
            spoiled = []
            for sig in rdataset:
                if fault == "rrsig-dates":
                    sig = sig.replace(**rng.choice([
                        {"expiration": sig.inception - 1},
                        {"expiration": 2**32 - 1, "inception": 0},
                        {"inception": sig.expiration + 86400},
                        {"expiration": rng.getrandbits(32)}]))
                else:
                    sig = sig.replace(**rng.choice([
                        {"labels": rng.choice([0, 7, 255])},
                        {"original_ttl": rng.choice([0, 2**31, 2**32 - 1])},
                        {"algorithm": rng.choice([0, 8, 200, 255])},
                        {"key_tag": rng.getrandbits(16)},
                        {"signer": dns.name.from_text("elsewhere.fuzz.")},
                        {"signature": b""}]))
                spoiled.append(sig)
            node.replace_rdataset(dns.rdataset.from_rdata_list(rdataset.ttl, spoiled))


# --- answering -----------------------------------------------------------------------------------


def answer_of(universe: Universe, role: str, query: dns.message.Message) -> tuple[
        dns.message.Message, str | None]:
    """The honest answer of `role` to `query`, and the zone it concerns (for the counts)."""
    question = query.question[0]
    served = {"root": {dns.name.root}, "tld": {TLD},
              "ns1": set(universe.children), "ns2": set(universe.children),
              "resolver": None}[role]
    zone = universe.zone_for(question.name, served)
    if zone is None:
        response = dns.message.make_response(query)
        response.set_rcode(dns.rcode.REFUSED)
        return response, None
    response = respond(zone, question.name, question.rdtype)
    response.id = query.id
    response.flags = (response.flags & ~dns.flags.RD) | (query.flags & dns.flags.RD)
    response.flags |= query.flags & dns.flags.CD
    if role == "resolver":
        response.flags = (response.flags & ~dns.flags.AA) | dns.flags.RA
    response.use_edns(0, dns.flags.DO if query.ednsflags & dns.flags.DO else 0, 1232)
    name = zone.origin.to_text() if zone.origin is not None and len(zone.origin) == 3 else None
    if name is None and question.name.is_subdomain(TLD) and len(question.name) >= 3:
        name = question.name.split(3)[1].to_text()
    return response, name


def spoil(fault: str, query: dns.message.Message, good: dns.message.Message, tcp: bool,
          rng: random.Random, universe: Universe) -> list[bytes | None] | bytes | None:
    """The wire(s) to send for `fault`; None: nothing; a list: several datagrams."""
    wire = good.to_wire()
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
            return good.to_wire()
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
            return good.to_wire()
        case "tc-giant-tcp":
            for index in range(600):
                good.additional.append(dns.rrset.from_text(
                    f"pad{index}.fuzz.", 300, "IN", "TXT", "\"" + "p" * 90 + "\""))
            return good.to_wire(max_size=65535) if len(good.to_wire()) <= 65535 else wire
        case "address-flood":
            flood = dns.message.make_response(query)
            question = query.question[0]
            if question.rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA) and tcp:
                rrset = dns.rrset.RRset(question.name, dns.rdataclass.IN, question.rdtype)
                for index in range(3750):
                    text = (f"{universe.prefix}.{240 + index // 65536 % 10}."
                            f"{index // 256 % 256}.{index % 256}"
                            if question.rdtype == dns.rdatatype.A else f"fd00::{index:x}")
                    rrset.add(dns.rdata.from_text("IN", question.rdtype, text), 300)
                flood.answer.append(rrset)
                flood.flags |= dns.flags.RA
                return flood.to_wire(max_size=65535)
            return wire
        case "forbidden-address":
            question = query.question[0]
            if question.rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
                want = [a for a in FORBIDDEN_ADDRESSES if (":" in a) == (
                    question.rdtype == dns.rdatatype.AAAA)]
                good.answer = [dns.rrset.from_text(question.name, 300, "IN", question.rdtype,
                                                   rng.choice(want))]
            return good.to_wire()
        case "class-any":
            for rrset in good.answer:
                rrset.rdclass = dns.rdataclass.ANY
            return good.to_wire()
        case "slow-drip" | "tcp-length-lie":
            return wire  # the TCP handler drips or lies; over UDP: as it is
        case "wrong-source":
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

    def start(self) -> None:
        for role, address in self.universe.addresses.items():
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            udp.bind((address, self.port))
            tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            tcp.bind((address, self.port))
            tcp.listen(64)
            udp.settimeout(0.1)
            tcp.settimeout(0.1)
            self._sockets += [udp, tcp]
            for target, sock in ((self._serve_udp, udp), (self._serve_tcp, tcp)):
                thread = threading.Thread(target=target, args=(role, sock), daemon=True)
                thread.start()
                self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=2)  # each notices within its socket timeout
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.close()

    def _decide(self, role: str, wire: bytes, tcp: bool
                ) -> tuple[dns.message.Message | None, list[bytes | None] | bytes | None,
                           str | None]:
        try:
            query = dns.message.from_wire(wire)
            question = query.question[0]
        except (dns.exception.DNSException, IndexError):
            return None, None, None
        key = (role, question.name.to_text().lower(), int(question.rdtype))
        good, zone = answer_of(self.universe, role, query)
        with self._lock:
            pending = self._tcp_pending.pop(key, None) if tcp else None
            attempt = self._attempts[key]
            if pending is None:
                self._attempts[key] += 1
        rng = random.Random(f"{self.plan.seed}:{key}:{attempt}:wire:{tcp}")
        if pending is not None:  # the TCP half of a fault counted over UDP
            return query, spoil(pending, query, good, tcp, rng, self.universe), pending
        fault = self.plan.fault(role, question.name, int(question.rdtype), attempt)
        self.stats.record(zone, fault)
        if fault is None:
            return query, good.to_wire(), None
        if fault in TCP_FAULTS and not tcp:
            with self._lock:
                self._tcp_pending[key] = fault
            truncated = dns.message.make_response(query)
            truncated.flags |= dns.flags.TC
            return query, truncated.to_wire(), fault
        return query, spoil(fault, query, good, tcp, rng, self.universe), fault

    def _serve_udp(self, role: str, sock: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                wire, client = sock.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                _, reply, fault = self._decide(role, wire, tcp=False)
            except Exception:  # the hostile server must never die of its own mischief
                continue
            datagrams = reply if isinstance(reply, list) else [reply]
            for datagram in datagrams:
                if datagram is None:
                    continue
                if fault == "wrong-source":
                    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as other:
                        other.bind((self.universe.addresses[role], 0))
                        other.sendto(datagram[:65507], client)
                    continue
                with contextlib.suppress(OSError):
                    sock.sendto(datagram[:65507], client)

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
                _, reply, fault = self._decide(role, wire, tcp=True)
                replies = reply if isinstance(reply, list) else [reply]
                for data in replies:
                    if data is None:
                        continue
                    data = data[:65535]
                    if fault == "tcp-length-lie":
                        connection.sendall(struct.pack("!H", min(65535, len(data) + 999))
                                           + data)
                    elif fault == "slow-drip":
                        framed = struct.pack("!H", len(data)) + data
                        step = max(1, len(framed) // 20)
                        for start in range(0, len(framed), step):
                            connection.sendall(framed[start:start + step])
                            time.sleep(0.01)
                    else:
                        connection.sendall(struct.pack("!H", len(data)) + data)
            except (OSError, ValueError, struct.error):
                return
            except Exception:
                return


def _read_exactly(connection: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = connection.recv(count - len(data))
        if not chunk:
            raise OSError("closed")
        data += chunk
    return data


def write_inputs(universe: Universe, folder: Path, *, timeout_s: float = 0.3,
                 retries: int = 0, records: tuple[str, ...] = ("A", "MX", "TXT")) -> Path:
    """domains.yaml and the trust anchor for a run of the product against the universe."""
    folder.mkdir(parents=True, exist_ok=True)
    anchor = dns.rrset.from_rdata(dns.name.root, 300, universe.root_key)
    (folder / "anchors.txt").write_text(anchor.to_text() + "\n")
    domains = "".join(f"  - {{name: {z.to_text(omit_final_dot=True)}, "
                      f"records: [{', '.join(records)}]}}\n" for z in universe.children)
    path = folder / "domains.yaml"
    path.write_text(f"resolvers: ['{universe.addresses['resolver']}']\n"
                    f"root_hints: ['{universe.addresses['root']}']\n"
                    "trust_anchors: anchors.txt\n"
                    f"query: {{timeout_s: {timeout_s}, retries: {retries}}}\n"
                    f"domains:\n{domains}")
    return path


@contextlib.contextmanager
def serving(prefix: str, seed: int, zones: int, plan: Plan, now: float
            ) -> Iterator[tuple[Universe, Stats]]:
    stats = Stats()
    universe = build_universe(prefix, zones, seed, now, stats)
    server = HostileServer(universe, plan, stats)
    server.start()
    try:
        yield universe, stats
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prefix", default="127.85")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--zones", type=int, default=20)
    parser.add_argument("--rate", type=float, default=0.3)
    parser.add_argument("--lead-faults", action="store_true")
    parser.add_argument("--out", type=Path, required=True)
    arguments = parser.parse_args()
    plan = Plan(arguments.seed, arguments.rate, lead_faults=arguments.lead_faults)
    stats = Stats()
    universe = build_universe(arguments.prefix, arguments.zones, arguments.seed, time.time(),
                              stats)
    write_inputs(universe, arguments.out)
    HostileServer(universe, plan, stats).start()
    print(f"serving seed {arguments.seed} on {arguments.prefix}.250.0/24", flush=True)
    try:
        while True:
            time.sleep(1)
            (arguments.out / "stats.json").write_text(json.dumps(stats.as_json()))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
