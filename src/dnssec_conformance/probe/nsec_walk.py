"""The NSEC walk: a zone's names and types read from its own NSEC chain, where its servers
will not transfer it (`transfer: {walk: true}`).

The chain is followed once, from the apex, at one server: each name's NSEC record (asked
with type NSEC; at a delegation point the referral carries it) gives the next name and the
types at the name. Then every RRset the chain lists is asked of every server, and each
server's answers make its copy of the zone, judged like a transferred one. Every query goes
through the run's querier, within its per-server and global bounds.

What cannot be walked is said so: an NSEC3 zone (hashed names), NSEC records made per query
(white lies, RFC 4470; compact denial, RFC 9824), a chain that breaks, loops or leaves the
zone, more names than `transfer.walk_max_names`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import dns.flags
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset
import dns.zone

from .data import authoritative_problem
from .querier import Querier
from .transport import Exchange, Server

SKIPPED_TYPES = frozenset({dns.rdatatype.RRSIG})
NUL_LABEL = dns.name.Name((b"\x00",))


@dataclass
class Chain:
    """The names and types of a zone's NSEC chain, as one server's records list them."""

    server: Server
    names: list[tuple[dns.name.Name, tuple[dns.rdatatype.RdataType, ...]]] = \
        field(default_factory=list)
    failure: str | None = None  # why the chain was not followed to its end
    evidence: str = ""

    @property
    def complete(self) -> bool:
        return self.failure is None


@dataclass
class WalkedCopy:
    """One server's answers to every RRset the chain lists, as a zone."""

    zone: dns.zone.Zone
    asked: int
    unusable: list[str]  # "name TYPE: why", for the questions it gave no usable answer to


def _nsec_of(exchange: Exchange, name: dns.name.Name) -> dns.rrset.RRset | None:
    """The NSEC record at `name`: in the answer, or in a referral's authority section (a
    delegation point's NSEC belongs to the parent, and comes with the referral)."""
    response = exchange.response
    if response is None:
        return None
    for section in (response.answer, response.authority):
        for rrset in section:
            if rrset.name == name and rrset.rdtype == dns.rdatatype.NSEC:
                return rrset
    return None


def _uses_nsec3(exchange: Exchange) -> bool:
    response = exchange.response
    return response is not None and any(r.rdtype == dns.rdatatype.NSEC3
                                        for r in response.authority)


async def follow_chain(querier: Querier, server: Server, apex: dns.name.Name,
                       max_names: int) -> Chain:
    """The chain from the apex back to it, one NSEC query at a time."""
    chain = Chain(server)
    seen: set[dns.name.Name] = set()
    name = apex
    while True:
        exchange = await querier.ask(server, name, dns.rdatatype.NSEC, kind="walk")
        nsec = _nsec_of(exchange, name) if exchange.ok else None
        if nsec is None:
            chain.evidence = exchange.evidence()
            if name == apex and exchange.ok and _uses_nsec3(exchange):
                chain.failure = ("the zone uses NSEC3 (hashed names): its chain cannot be "
                                 "walked")
            else:
                problem = exchange.failure or authoritative_problem(exchange) or \
                    f"answered {dns.rcode.Rcode.to_text(exchange.rcode or 0)} without it"
                chain.failure = f"no NSEC record at {name} ({problem}): the walk stops there"
            return chain
        seen.add(name)
        record = nsec[0]
        types = tuple(t for t in _bitmap_types(record) if t not in SKIPPED_TYPES
                      and not dns.rdatatype.is_metatype(t))
        chain.names.append((name, types))
        following = record.next
        broken_link = _bad_link(name, following, apex, seen)
        if broken_link is not None:
            chain.failure, chain.evidence = broken_link, exchange.evidence()
            return chain
        if following == apex:
            return chain
        if len(chain.names) >= max_names:
            chain.failure = (f"stopped after {max_names} names (transfer.walk_max_names): the "
                             "chain goes on")
            return chain
        name = following


def _bitmap_types(record: object) -> list[dns.rdatatype.RdataType]:
    types = []
    for window, bitmap in record.windows:  # type: ignore[attr-defined]
        for index, octet in enumerate(bitmap):
            for bit in range(8):
                if octet & (0x80 >> bit):
                    types.append(dns.rdatatype.RdataType.make(window * 256 + index * 8 + bit))
    return types


def _bad_link(name: dns.name.Name, following: dns.name.Name, apex: dns.name.Name,
              seen: set[dns.name.Name]) -> str | None:
    if following == NUL_LABEL.concatenate(name):
        return (f"the NSEC record at {name} points to {following}, the name right after it: "
                "the servers make their NSEC records per query (white lies, RFC 4470, or "
                "compact denial, RFC 9824), so the zone cannot be walked")
    if not following.is_subdomain(apex):
        return f"the NSEC record at {name} points outside the zone, to {following}"
    if following != apex and (following <= name or following in seen):
        return (f"the NSEC chain goes back at {name} (next: {following}): it loops, so "
                "the walk stops there")
    return None


async def ask_every_rrset(querier: Querier, server: Server, apex: dns.name.Name,
                          chain: Chain) -> WalkedCopy:
    """Every RRset the chain lists, asked of `server`: its copy of the zone."""
    questions = [(name, rdtype) for name, types in chain.names for rdtype in types]
    exchanges = await asyncio.gather(*(querier.ask(server, name, rdtype, kind="walk")
                                       for name, rdtype in questions))
    zone = dns.zone.Zone(apex, relativize=False)
    unusable = []
    for (name, rdtype), exchange in zip(questions, exchanges, strict=True):
        found, problem = _answer_of(exchange, name, rdtype, apex)
        if problem is not None:
            unusable.append(f"{name} {dns.rdatatype.to_text(rdtype)}: {problem}")
        for rrset in found:
            node = zone.find_node(rrset.name, create=True)
            node.replace_rdataset(rrset.to_rdataset())
    return WalkedCopy(zone, len(questions), unusable)


def _answer_of(exchange: Exchange, name: dns.name.Name, rdtype: dns.rdatatype.RdataType,
               apex: dns.name.Name) -> tuple[list[dns.rrset.RRset], str | None]:
    """The RRset and its RRSIGs as the server answers them, or why the answer is unusable.
    A delegation's NS and NSEC come in the referral's authority section (unsigned NS, the
    parent's signed NSEC). A NODATA answer gives nothing and is no problem here: the server
    lacks a type the chain lists, which the copy's denial-chain check reports."""
    if not exchange.ok or exchange.response is None:
        return [], exchange.failure or "no answer"
    response = exchange.response
    if response.rcode() not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
        return [], f"answered {dns.rcode.to_text(response.rcode())}"
    section = response.answer
    if not response.flags & dns.flags.AA:
        if name == apex or rdtype not in (dns.rdatatype.NS, dns.rdatatype.NSEC):
            return [], "lame: answered without the AA flag"
        section = response.authority
    found = [r for r in section if r.name == name and (
        r.rdtype == rdtype or (r.rdtype == dns.rdatatype.RRSIG and r.covers == rdtype))]
    return (found if any(r.rdtype == rdtype for r in found) else []), None
