"""Whole copies of a zone, taken from each server (by zone transfer or NSEC walk): what a
copy holds, a digest of its content, and what differs between two copies.

A copy is held only while it is judged: what stays is its `TransferReport` (counts, digests,
the findings of the checks run on it). To name the records that differ between servers
without keeping two copies, the first copy judged (the newest serial) is reduced to a
`CopyIndex`: one 8-byte digest per RRset, keyed by owner name, packed into bytes (about 100
bytes per name, a few percent of the copy). Each later copy is compared with it while that
copy is in memory.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import dns.name
import dns.node
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.zone

from ..findings import Finding
from .transport import Server

# The DNSSEC records, which signers make and keep: they differ between servers that sign
# separately (online signers, RFC 8901 multi-signer providers, each with its own keys) while
# the zone's data is the same. How the keys differ is CONSIST01's and CONSIST04's to judge.
SIGNER_TYPES = frozenset({dns.rdatatype.RRSIG, dns.rdatatype.NSEC, dns.rdatatype.NSEC3,
                          dns.rdatatype.NSEC3PARAM, dns.rdatatype.DNSKEY, dns.rdatatype.CDS,
                          dns.rdatatype.CDNSKEY})
# At most this many differing RRsets are named in a finding; the rest are counted.
MAX_NAMED = 20
_ENTRY = struct.Struct("!HH8s")  # type, covered type, digest
SERIAL_BITS = 32

Method = Literal["axfr", "walk"]


@dataclass(frozen=True)
class CopyDifferences:
    """How one copy differs from the reference copy (another server's, the newest)."""

    reference: Server
    reference_serial: int | None
    data: tuple[str, ...]  # "www.example. A", "x.example. TXT (only here)": the first ones
    data_count: int  # RRsets whose data differs (or that only one copy holds)
    signatures: tuple[str, ...]  # RRsets whose DNSSEC records alone differ (SIGNER_TYPES)
    signatures_count: int

    @property
    def none(self) -> bool:
        return not self.data_count and not self.signatures_count


@dataclass(frozen=True)
class TransferReport:
    """What one server's whole copy of the zone showed, or why there is none. The copy
    itself is not kept: its counts, digests and the findings of the checks run on it are."""

    server: Server
    method: Method | None  # None: no copy was taken
    # What went wrong taking it (one line): with no copy, why there is none; with a walked
    # copy, why it may be incomplete.
    failure: str | None = None
    axfr_failure: str | None = None  # with method "walk": why the AXFR was not used
    refused: bool = False  # the AXFR was refused (REFUSED, NOTAUTH, NOTIMP), not broken
    tsig_key: str | None = None  # the key the transfer was signed with
    serial: int | None = None
    names: int = 0
    rrsets: int = 0
    records: int = 0
    digest: str = ""  # of the whole content: equal copies have equal digests
    data_digest: str = ""  # of the content without its DNSSEC records (SIGNER_TYPES)
    elapsed_s: float = 0.0
    judged_at: float = 0.0  # the instant the copy was judged at (the run's `now`)
    # The thresholds it was judged with: warning and critical days, the clock skew tolerance.
    judged_with: tuple[float, float, float] = (0.0, 0.0, 0.0)
    findings: dict[str, tuple[Finding, ...]] = field(default_factory=dict)  # check -> on it
    differences: CopyDifferences | None = None  # against the reference copy
    evidence: str = ""  # the exchange as dig shows it (the failure, or the transfer's start)


@dataclass(frozen=True)
class CopyVerdict:
    """What the checks found on one copy, and the instant and thresholds they judged at."""

    findings: dict[str, tuple[Finding, ...]]
    judged_at: float
    judged_with: tuple[float, float, float]


# Judges one server's whole copy: (the zone's live ZoneData, the server, its copy, how it was
# taken, why a walked copy is incomplete or None) -> what the checks found on it.
CopyJudge = Callable[[Any, Server, dns.zone.Zone, Method, "str | None"], CopyVerdict]


@dataclass(frozen=True)
class CopyStats:
    names: int
    rrsets: int
    records: int
    serial: int | None
    digest: str
    data_digest: str


def serial_behind(newer: int, older: int) -> int:
    """How many serial units `older` is behind `newer` (RFC 1982 arithmetic): negative when
    it is ahead."""
    space = 2**SERIAL_BITS
    delta = (newer - older) % space
    return int(delta - space if delta >= space // 2 else delta)


def _rdataset_digest(rdataset: dns.rdataset.Rdataset, origin: dns.name.Name) -> bytes:
    """8 bytes standing for the RRset: its TTL and its records in canonical form and order."""
    h = hashlib.blake2b(struct.pack("!I", rdataset.ttl), digest_size=8)
    for wire in sorted(rd.to_digestable(origin) for rd in rdataset):
        h.update(struct.pack("!H", len(wire)))
        h.update(wire)
    return h.digest()


def _node_entries(name: dns.name.Name, node: dns.node.Node) -> bytes:
    """The packed (type, covered, digest) entries of one name, in type order."""
    entries = sorted((int(r.rdtype), int(r.covers), _rdataset_digest(r, name))
                     for r in node.rdatasets if r.rdclass == dns.rdataclass.IN)
    return b"".join(_ENTRY.pack(*e) for e in entries)


def _signer_made(rdtype: int) -> bool:
    return rdtype in SIGNER_TYPES


def _entries(packed: bytes) -> Iterator[tuple[int, int, bytes]]:
    for offset in range(0, len(packed), _ENTRY.size):
        yield _ENTRY.unpack_from(packed, offset)


def copy_entries(zone: dns.zone.Zone) -> dict[bytes, bytes]:
    """Each name of the copy (in canonical wire form) -> its packed (type, covered, digest)
    entries: computed once per copy, for its digests and for the comparison."""
    return {cast(bytes, name.canonicalize().to_wire()): _node_entries(name, node)
            for name, node in zone.nodes.items()}


def copy_stats(zone: dns.zone.Zone, entries: dict[bytes, bytes] | None = None) -> CopyStats:
    """Counts, serial and digests of a copy: every RRset's digest, combined in the order of
    the names' wire forms, so the digest does not depend on the order records came in."""
    assert zone.origin is not None
    entries = copy_entries(zone) if entries is None else entries
    whole = hashlib.sha256()
    data = hashlib.sha256()
    for key in sorted(entries):
        packed = entries[key]
        whole.update(struct.pack("!H", len(key)) + key + packed)
        data.update(struct.pack("!H", len(key)) + key)
        for rdtype, covers, digest in _entries(packed):
            if not _signer_made(rdtype):
                data.update(_ENTRY.pack(rdtype, covers, digest))
    rrsets = sum(len(packed) // _ENTRY.size for packed in entries.values())
    records = sum(len(r) for node in zone.nodes.values() for r in node.rdatasets)
    return CopyStats(len(zone.nodes), rrsets, records, _serial(zone), whole.hexdigest(),
                     data.hexdigest())


def _serial(zone: dns.zone.Zone) -> int | None:
    assert zone.origin is not None
    soa = zone.get_rdataset(zone.origin, dns.rdatatype.SOA)
    return soa[0].serial if soa else None


class CopyIndex:
    """A copy reduced to its names and one digest per RRset: what another copy is compared
    with once this one is gone."""

    def __init__(self, entries: dict[bytes, bytes], server: Server, serial: int | None):
        self.server = server
        self.serial = serial
        self._names = entries

    @classmethod
    def of(cls, zone: dns.zone.Zone, server: Server) -> CopyIndex:
        return cls(copy_entries(zone), server, _serial(zone))

    def differences(self, entries: dict[bytes, bytes]) -> CopyDifferences:
        """What another copy (its `copy_entries`) holds differently: data first, then the
        DNSSEC records (signatures, denial, keys) that differ; the first MAX_NAMED of each
        named, in canonical name order."""
        data: list[tuple[dns.name.Name, str]] = []
        signatures: list[tuple[dns.name.Name, str]] = []
        for key, theirs in entries.items():
            ours = self._names.get(key, b"")
            if ours != theirs:
                self._compare(key, dict(_by_type(ours)), dict(_by_type(theirs)), data,
                              signatures)
        for key, ours in self._names.items():
            if key not in entries:
                self._compare(key, dict(_by_type(ours)), {}, data, signatures)
        data.sort()
        signatures.sort()
        return CopyDifferences(self.server, self.serial,
                               tuple(text for _, text in data[:MAX_NAMED]), len(data),
                               tuple(text for _, text in signatures[:MAX_NAMED]),
                               len(signatures))

    def _compare(self, key: bytes, ours: dict[tuple[int, int], bytes],
                 theirs: dict[tuple[int, int], bytes],
                 data: list[tuple[dns.name.Name, str]],
                 signatures: list[tuple[dns.name.Name, str]]) -> None:
        name = dns.name.from_wire(key, 0)[0]
        for rdtype, covers in sorted(set(ours) | set(theirs)):
            if ours.get((rdtype, covers)) == theirs.get((rdtype, covers)):
                continue
            label = f"{name} {_type_label(rdtype, covers)}"
            if (rdtype, covers) not in theirs:
                label += f" (only at {self.server})"
            elif (rdtype, covers) not in ours:
                label += " (only here)"
            if _signer_made(rdtype):
                signatures.append((name, label))
            else:
                data.append((name, label))


def _by_type(packed: bytes) -> Iterator[tuple[tuple[int, int], bytes]]:
    for rdtype, covers, digest in _entries(packed):
        yield (rdtype, covers), digest


def _type_label(rdtype: int, covers: int) -> str:
    text = dns.rdatatype.to_text(dns.rdatatype.RdataType.make(rdtype))
    if rdtype == dns.rdatatype.RRSIG:
        return f"RRSIG({dns.rdatatype.to_text(dns.rdatatype.RdataType.make(covers))})"
    return text
