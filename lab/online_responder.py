"""What the lab's online signer answers: authoritative answers for zones held unsigned, each
RRset signed when it is sent (dnspython), and negative answers synthesized for the question:
compact denial (RFC 9824), minimally covering NSEC "white lies" (RFC 4470) or NSEC3 white
lies (RFC 7129 appendix B, as PowerDNS's narrow mode answers). Pure: a zone spec and a
query in, a response out; `lab/onlinesigner.py` is the process around it.

A zone spec (JSON, written by lab/online_zones.py) names the unsigned zone file, this
provider's keys, the keys it publishes without using (another provider's ZSK), the denial
style, the signature window and the deliberate fault, if any.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dns.dnssec
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.rrset
import dns.zone
from dns.rdtypes.ANY.DNSKEY import DNSKEY

from dnssec_conformance.dnssec.authoritative import names_between
from lab.tamper import PrivateKey, load_private_key, parse_dnskey

IN = dns.rdataclass.IN
NXNAME = 128  # RFC 9824's meta type: "this name does not exist"
HASH_SPACE = 2**160  # NSEC3 SHA-1 hashes
MAX_LABEL = 63
EDNS_PAYLOAD = 1232
NOT_SERVED = frozenset({dns.rdatatype.ANY, dns.rdatatype.AXFR, dns.rdatatype.IXFR})

# Zone spec values (lab/online_zones.py writes them)
COMPACT, NSEC_WHITE_LIES, NSEC3_WHITE_LIES = "compact", "nsec-white-lies", "nsec3-white-lies"
SLIDING, FROZEN = "sliding", "frozen"
FAULT_BITMAP_LISTS_QTYPE = "bitmap-lists-qtype"
FAULT_NEXT_BELOW = "next-below"  # white lies ending at \000.<name>, RFC 4470 §4's successor


@dataclass(frozen=True)
class SigningKey:
    private: PrivateKey
    dnskey: DNSKEY
    ksk: bool


@dataclass(frozen=True)
class Window:
    """How the signer dates its signatures: relative to the moment it signs (sliding), or a
    fixed period (a signer whose window stopped moving)."""

    kind: str
    inception_offset: int = -3600
    lifetime: int = 50 * 3600
    inception: int = 0  # frozen only
    expiration: int = 0

    def at(self, now: float) -> tuple[int, int]:
        if self.kind == FROZEN:
            return self.inception, self.expiration
        start = int(now) + self.inception_offset
        return start, start + self.lifetime


@dataclass
class OnlineZone:
    """One zone as the online signer holds it: unsigned data plus keys, signed on demand."""

    origin: dns.name.Name
    rrsets: dict[tuple[dns.name.Name, int], dns.rrset.RRset]
    keys: list[SigningKey]
    denial: str
    window: Window
    nsec3param: Any = None  # the NSEC3PARAM rdata (NSEC3 white lies only)
    # Positive RRsets answered from a signature cache made once with this window (a signer
    # whose cache is never refreshed); None: every RRset is signed when it is sent.
    cached_window: Window | None = None
    fault: str | None = None
    randomized: bool = True  # ECDSA with a fresh nonce per signature, like most signers
    _cache: dict[tuple[dns.name.Name, int], dns.rrset.RRset] = field(default_factory=dict)

    @property
    def names(self) -> set[dns.name.Name]:
        return {name for name, _ in self.rrsets}

    def types_at(self, name: dns.name.Name) -> list[int]:
        return sorted(t for n, t in self.rrsets if n == name)

    def exists(self, name: dns.name.Name) -> bool:
        """A name with data, or an empty non-terminal above one."""
        return any(n == name or n.is_subdomain(name) for n in self.names)

    @property
    def minimum_ttl(self) -> int:
        soa = self.rrsets[(self.origin, dns.rdatatype.SOA)]
        return min(soa.ttl, soa[0].minimum)

    # --- signing ---------------------------------------------------------------------------

    def sign(self, rrset: dns.rrset.RRset, now: float, *, cached: bool = False
             ) -> dns.rrset.RRset:
        key_of = (rrset.name, rrset.rdtype)
        if cached and self.cached_window is not None:
            if key_of not in self._cache:  # deterministic: two threads make the same bytes
                self._cache[key_of] = self._signed(rrset, self.cached_window.at(now),
                                                   deterministic=True)
            return self._cache[key_of]
        return self._signed(rrset, self.window.at(now), deterministic=not self.randomized)

    def _signed(self, rrset: dns.rrset.RRset, window: tuple[int, int], *,
                deterministic: bool) -> dns.rrset.RRset:
        ksk = rrset.rdtype == dns.rdatatype.DNSKEY
        signers = [k for k in self.keys if k.ksk == ksk] or self.keys
        sigs = dns.rrset.RRset(rrset.name, IN, dns.rdatatype.RRSIG, rrset.rdtype)
        for key in signers:
            sigs.add(dns.dnssec.sign(rrset, key.private, self.origin, key.dnskey,
                                     inception=window[0], expiration=window[1],
                                     deterministic=deterministic), rrset.ttl)
        return sigs

    # --- answering -------------------------------------------------------------------------

    def answer(self, query: dns.message.Message, response: dns.message.Message,
               now: float) -> None:
        question = query.question[0]
        qname, qtype = question.name, question.rdtype
        dnssec = bool(query.ednsflags & dns.flags.DO)
        response.flags |= dns.flags.AA
        rrset = self.rrsets.get((qname, qtype))
        if rrset is not None:
            response.answer.append(rrset)
            if dnssec:
                response.answer.append(self.sign(rrset, now, cached=True))
            return
        if self.exists(qname):
            self._negative(response, now, dnssec, self._nodata(qname, now))
            return
        restored = bool(query.ednsflags & dns.flags.CO)
        if self.denial == COMPACT and dnssec and not restored:
            # RFC 9824: the name "exists" with nothing but NSEC, RRSIG and NXNAME
            self._negative(response, now, dnssec, self._compact_nxname(qname, qtype, now))
            return
        response.set_rcode(dns.rcode.NXDOMAIN)
        self._negative(response, now, dnssec, self._nxdomain(qname, qtype, now))

    def _negative(self, response: dns.message.Message, now: float, dnssec: bool,
                  denial: list[dns.rrset.RRset]) -> None:
        soa_rrset = self.rrsets[(self.origin, dns.rdatatype.SOA)]
        soa = dns.rrset.from_rdata(self.origin, self.minimum_ttl, *soa_rrset)
        response.authority.append(soa)
        if dnssec:
            response.authority.append(self.sign(soa, now, cached=True))
            response.authority.extend(denial)

    def _with_signature(self, rrset: dns.rrset.RRset, now: float) -> list[dns.rrset.RRset]:
        return [rrset, self.sign(rrset, now)]

    def _nodata(self, qname: dns.name.Name, now: float) -> list[dns.rrset.RRset]:
        types = self.types_at(qname)
        if self.denial == NSEC3_WHITE_LIES:
            return self._with_signature(self._nsec3_matching(qname, types), now)
        return self._with_signature(self._nsec(qname, successor_below(qname),
                                               [*types, dns.rdatatype.NSEC,
                                                dns.rdatatype.RRSIG]), now)

    def _compact_nxname(self, qname: dns.name.Name, qtype: int, now: float
                        ) -> list[dns.rrset.RRset]:
        types = [dns.rdatatype.NSEC, dns.rdatatype.RRSIG, NXNAME]
        if self.fault == FAULT_BITMAP_LISTS_QTYPE:
            types.append(qtype)
        return self._with_signature(self._nsec(qname, successor_below(qname), types), now)

    def _nxdomain(self, qname: dns.name.Name, qtype: int, now: float
                  ) -> list[dns.rrset.RRset]:
        encloser = self.closest_encloser(qname)
        next_closer = qname.split(len(encloser) + 1)[1]
        wildcard = dns.name.Name((b"*",)).concatenate(encloser)
        if self.denial == NSEC3_WHITE_LIES:
            records = [self._nsec3_matching(encloser, self.types_at(encloser)),
                       self._nsec3_covering(next_closer), self._nsec3_covering(wildcard)]
        elif self.denial == COMPACT:  # a query without DO, or one that asked for NXDOMAIN
            records = self._compact_nxname(qname, qtype, now)[:1]
        else:
            records = [self._nsec_covering(next_closer), self._nsec_covering(wildcard)]
        unique = {(r.name, r.rdtype): r for r in records}
        return [s for r in unique.values() for s in self._with_signature(r, now)]

    def closest_encloser(self, qname: dns.name.Name) -> dns.name.Name:
        name = qname
        while name != self.origin and not self.exists(name):
            name = name.parent()
        return name

    # --- NSEC ------------------------------------------------------------------------------

    def _nsec(self, owner: dns.name.Name, following: dns.name.Name, types: list[int]
              ) -> dns.rrset.RRset:
        rdata = dns.rdata.from_text(IN, dns.rdatatype.NSEC, f"{following} {_bitmap(types)}")
        return dns.rrset.from_rdata(owner, self.minimum_ttl, rdata)

    def _nsec_covering(self, name: dns.name.Name) -> dns.rrset.RRset:
        """RFC 4470 §3: an NSEC from just before `name` to just after it and its subtree,
        never covering a name that exists."""
        existing = sorted(self.names | {e for n in self.names
                                         for e in names_between(n, self.origin)})
        before = max((n for n in existing if n < name), default=self.origin)
        after = min((n for n in existing if n > name and not n.is_subdomain(name)),
                    default=None)
        owner = max(predecessor(name), before)
        following = successor_below(name) if self.fault == FAULT_NEXT_BELOW \
            else successor_beside(name)
        if after is not None:
            following = min(following, after)
        types = [dns.rdatatype.NSEC, dns.rdatatype.RRSIG]
        if owner == before and before in self.names:
            types += self.types_at(before)
        return self._nsec(owner, following, types)

    # --- NSEC3 -----------------------------------------------------------------------------

    def _hash(self, name: dns.name.Name) -> int:
        param = self.nsec3param
        digest = dns.dnssec.nsec3_hash(name, param.salt, param.iterations, param.algorithm)
        return int.from_bytes(base32hex_decode(digest), "big")

    def _nsec3(self, owner_hash: int, next_hash: int, types: list[int]) -> dns.rrset.RRset:
        param = self.nsec3param
        salt = param.salt.hex() or "-"
        rdata = dns.rdata.from_text(
            IN, dns.rdatatype.NSEC3,
            f"{param.algorithm} 0 {param.iterations} {salt} {hash_text(next_hash)} "
            f"{_bitmap(types)}")
        owner = dns.name.Name((hash_text(owner_hash).encode(),)).concatenate(self.origin)
        return dns.rrset.from_rdata(owner, self.minimum_ttl, rdata)

    def _nsec3_matching(self, name: dns.name.Name, types: list[int]) -> dns.rrset.RRset:
        """The record of a name that exists, reaching only one hash past its own."""
        own = self._hash(name)
        signed = [*types, dns.rdatatype.RRSIG] if types else []
        return self._nsec3(own, (own + 1) % HASH_SPACE, signed)

    def _nsec3_covering(self, name: dns.name.Name) -> dns.rrset.RRset:
        """A record whose span is the hash of `name` and nothing else: hash - 1 .. hash + 1."""
        target = self._hash(name)
        return self._nsec3((target - 1) % HASH_SPACE, (target + 1) % HASH_SPACE, [])


def _bitmap(types: list[int]) -> str:
    return " ".join(dns.rdatatype.to_text(dns.rdatatype.RdataType.make(t))
                    for t in sorted(set(types)))


# --- names next to names (RFC 4470 §4, RFC 4471) -------------------------------------------


def predecessor(name: dns.name.Name) -> dns.name.Name:
    """A name just before `name` in canonical order, beside it: the last octet of its first
    label decremented (skipping the upper-case letters, which sort as lower case), filled up
    with 0xFF octets."""
    label = name.labels[0].lower()
    if label and label[-1] > 0:
        last = label[-1] - 1
        if ord("A") <= last <= ord("Z"):
            last = ord("A") - 1
        label = label[:-1] + bytes([last])
        room = min(MAX_LABEL, 254 - len(name.to_wire()) + len(name.labels[0])) - len(label)
        label += b"\xff" * max(room, 0)
    else:
        label = label[:-1]
    return dns.name.Name((label, *name.labels[1:]))


def successor_beside(name: dns.name.Name) -> dns.name.Name:
    """The first name after `name` and all names below it: its first label with a zero
    octet appended (a sibling, so that `name` is not claimed as an empty non-terminal)."""
    label = name.labels[0].lower()
    if len(label) < MAX_LABEL:
        return dns.name.Name((label + b"\x00", *name.labels[1:]))
    return dns.name.Name((label[:-1] + bytes([min(label[-1] + 1, 0xFF)]), *name.labels[1:]))


def successor_below(name: dns.name.Name) -> dns.name.Name:
    """The immediate successor of `name`: `\\000.name` (RFC 4470 §4, RFC 9824)."""
    return dns.name.Name((b"\x00",)).concatenate(name)


_B32HEX = "0123456789ABCDEFGHIJKLMNOPQRSTUV"


def base32hex_decode(text: str) -> bytes:
    bits = "".join(f"{_B32HEX.index(c):05b}" for c in text.upper())
    return int(bits[:160], 2).to_bytes(20, "big")


def hash_text(value: int) -> str:
    bits = f"{value:0160b}"
    return "".join(_B32HEX[int(bits[i:i + 5], 2)] for i in range(0, 160, 5))


# --- loading -------------------------------------------------------------------------------


def online_zone(zone: dns.zone.Zone, keys: list[SigningKey], published: list[DNSKEY], *,
                denial: str, window: Window, cached_window: Window | None = None,
                fault: str | None = None, randomized: bool = True,
                nsec3param: str = "1 0 0 -") -> OnlineZone:
    """An OnlineZone from unsigned zone data: the signing keys' DNSKEYs and the `published`
    ones (another provider's ZSK) make the DNSKEY RRset; NSEC3 white lies add NSEC3PARAM."""
    origin = zone.origin
    assert origin is not None
    rrsets: dict[tuple[dns.name.Name, int], dns.rrset.RRset] = {}
    for name, node in zone.nodes.items():
        for rdataset in node.rdatasets:
            rrsets[(name, rdataset.rdtype)] = dns.rrset.from_rdata(name, rdataset.ttl,
                                                                   *rdataset)
    ttl = rrsets[(origin, dns.rdatatype.SOA)].ttl
    dnskeys = dns.rrset.RRset(origin, IN, dns.rdatatype.DNSKEY)
    for dnskey in [k.dnskey for k in keys] + published:
        dnskeys.add(dnskey, ttl)
    rrsets[(origin, dns.rdatatype.DNSKEY)] = dnskeys
    param = None
    if denial == NSEC3_WHITE_LIES:
        param = dns.rdata.from_text(IN, dns.rdatatype.NSEC3PARAM, nsec3param)
        rrsets[(origin, dns.rdatatype.NSEC3PARAM)] = dns.rrset.from_rdata(origin, ttl, param)
    return OnlineZone(origin, rrsets, keys, denial, window, nsec3param=param,
                      cached_window=cached_window, fault=fault, randomized=randomized)


def _window(spec: dict[str, Any]) -> Window:
    return Window(kind=spec["kind"], inception_offset=spec.get("inception_offset", -3600),
                  lifetime=spec.get("lifetime", 50 * 3600), inception=spec.get("inception", 0),
                  expiration=spec.get("expiration", 0))


def load_zone(spec: dict[str, Any]) -> OnlineZone:
    """An OnlineZone from its spec (paths absolute)."""
    origin = dns.name.from_text(spec["zone"])
    zone = dns.zone.from_file(spec["zone_file"], origin=origin, relativize=False)
    keys = [SigningKey(load_private_key(Path(k["private"])), parse_dnskey(k["dnskey"]),
                       bool(k["ksk"])) for k in spec["keys"]]
    cached = spec.get("cached_window")
    return online_zone(zone, keys, [parse_dnskey(line) for line in spec.get("published", ())],
                       denial=spec["denial"], window=_window(spec["window"]),
                       cached_window=_window(cached) if cached else None,
                       fault=spec.get("fault"), randomized=spec.get("randomized", True))


def load_zones(config_path: Path) -> list[OnlineZone]:
    config = json.loads(config_path.read_text())
    return [load_zone(spec) for spec in config["zones"]]


def respond(zones: list[OnlineZone], wire: bytes, *, udp: bool, now: float | None = None
            ) -> bytes | None:
    """The response to one query in wire format (truncated, TC set, when it does not fit the
    client's UDP buffer); None for a packet that is not a DNS query at all."""
    try:
        query = dns.message.from_wire(wire)
    except dns.exception.DNSException:
        return None
    if query.flags & dns.flags.QR:
        return None
    response = dns.message.make_response(query)
    if query.edns >= 0:
        response.use_edns(0, query.ednsflags & dns.flags.DO, EDNS_PAYLOAD)
    if query.opcode() != dns.opcode.QUERY or len(query.question) != 1:
        response.set_rcode(dns.rcode.NOTIMP)
        return response.to_wire()
    question = query.question[0]
    zone = max((z for z in zones if question.name.is_subdomain(z.origin)),
               key=lambda z: len(z.origin), default=None)
    if zone is None or question.rdclass != IN:
        response.set_rcode(dns.rcode.REFUSED)
    elif question.rdtype in NOT_SERVED:
        response.set_rcode(dns.rcode.NOTIMP)
    else:
        zone.answer(query, response, time.time() if now is None else now)
    limit = 65535
    if udp:
        limit = max(512, min(query.payload, EDNS_PAYLOAD)) if query.edns >= 0 else 512
    return response.to_wire(max_size=limit, prefer_truncation=True)
