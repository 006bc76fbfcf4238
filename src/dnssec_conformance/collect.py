"""Everything a zone's checks need, fetched once: `collect_zone` and the data it returns.

For the zone itself every authoritative server is asked (a stale secondary must not hide
behind a good primary); for the DS set every server of the parent. Ancestors above the parent
(the root, the TLD) are fetched once per process and shared by all zones.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal

import dns.flags
import dns.name
import dns.rcode
import dns.rdatatype
import dns.zone

from .config import DomainSpec, QueryPolicy, ResolverAddress
from .discovery import Delegation, Directory, DiscoveryError
from .providers import ProviderView, fetch_view
from .transport import Exchange, Server, ask

APEX_TYPES = (dns.rdatatype.SOA, dns.rdatatype.DNSKEY, dns.rdatatype.NS)
# What the zone asks its parent to publish as its DS set (RFC 7344): the rollover checks.
CHILD_DS_TYPES = (dns.rdatatype.CDS, dns.rdatatype.CDNSKEY)
# A type from the private-use range (RFC 6895 §3.1): no zone has it at its apex, so asking
# for it yields a NODATA answer and its NSEC/NSEC3 proof.
ABSENT_TYPE = dns.rdatatype.RdataType.make(65280)


@dataclass(frozen=True)
class ServerAnswers:
    """What one authoritative server answered, keyed by (owner, type)."""

    server: Server
    exchanges: dict[tuple[dns.name.Name, dns.rdatatype.RdataType], Exchange]
    nonexistent: Exchange | None = None  # the answer for a name that cannot exist (NXDOMAIN)
    nodata: Exchange | None = None  # the answer for a type the apex does not have (NODATA)
    # The apex SOA asked again after every other question: an online signer's signature
    # changes between the two looks (signing_mode.py); and about how long after the first.
    second_look: Exchange | None = None
    second_look_after_s: float | None = None

    def get(self, owner: dns.name.Name, rdtype: dns.rdatatype.RdataType) -> Exchange | None:
        return self.exchanges.get((owner, rdtype))

    @property
    def failure(self) -> str | None:
        """Why this server could not be used at all (every query failed), else None."""
        problems = [authoritative_problem(e) for e in self.exchanges.values()]
        if problems and all(problems):
            return problems[0]
        return None


@dataclass(frozen=True)
class AncestorZone:
    """A zone above the checked one: its keys, and its DS set at its own parent."""

    apex: dns.name.Name
    dnskey: Exchange | None  # None when no server of it answered
    ds: Exchange | None  # None for the root, or when no parent server answered


@dataclass(frozen=True)
class FileProblem:
    """A zone or DS file, or one of its records, that could not be loaded (file mode)."""

    text: str  # FILE:LINE: what is wrong
    fatal: bool  # name servers would not load the zone for it; else the record is left out

    def __str__(self) -> str:
        return self.text


@dataclass
class ZoneData:
    """The collected data of one configured domain. Checks read it; they never query."""

    domain: DomainSpec
    apex: dns.name.Name | None = None
    parent: dns.name.Name | None = None
    servers: tuple[Server, ...] = ()
    unreachable: tuple[Server, ...] = ()
    answers: dict[Server, ServerAnswers] = field(default_factory=dict)
    ds_answers: dict[Server, Exchange] = field(default_factory=dict)
    ancestors: tuple[AncestorZone, ...] = ()  # the root first, the parent last
    discovery_failure: str | None = None
    discovery_evidence: str = ""
    collected_at: float = 0.0
    # "file": read from a zone file (zonefile.py), one pseudo-server, the DS set as given
    # and no ancestors; `file_content` then holds the zone for the checks that walk it whole.
    source: Literal["servers", "file"] = "servers"
    file_content: dns.zone.Zone | None = field(default=None, repr=False, compare=False)
    # What could not be loaded from the file(s): with `discovery_failure` set the zone was
    # not loaded at all; else these records were left out and the rest is checked (SIG02).
    file_problems: tuple[FileProblem, ...] = ()
    # The cloud DNS provider's own view of the zone (`provider:` in domains.yaml), fetched
    # once like the DNS answers; None when the domain names no provider.
    provider: ProviderView | None = None
    # Results of pure computations over this data (signature verification), shared by checks.
    memo: dict[object, object] = field(default_factory=dict, repr=False, compare=False)

    @property
    def name(self) -> dns.name.Name:
        return self.domain.name

    def usable_answers(self) -> list[ServerAnswers]:
        return [a for a in self.answers.values() if a.failure is None]


def zone_questions(domain: DomainSpec, apex: dns.name.Name
                   ) -> list[tuple[dns.name.Name, dns.rdatatype.RdataType]]:
    """What each authoritative server is asked, besides the two negative-answer probes."""
    wanted = [(apex, t) for t in APEX_TYPES]
    # The NSEC3 parameters the server announces (a NODATA answer in an NSEC zone).
    wanted += [(apex, dns.rdatatype.NSEC3PARAM)]
    wanted += [(apex, t) for t in CHILD_DS_TYPES]
    wanted += [(domain.name, dns.rdatatype.from_text(t)) for t in domain.records]
    return list(dict.fromkeys(wanted))


def probe_name(apex: dns.name.Name) -> dns.name.Name:
    """A name under the apex that cannot exist: its answer must be an NXDOMAIN proof."""
    return dns.name.Name((f"dnssec-conformance-{secrets.token_hex(5)}",)).concatenate(apex)


def authoritative_problem(exchange: Exchange) -> str | None:
    """Why an authoritative answer cannot be used, or None if it can."""
    if not exchange.ok:
        return exchange.failure
    assert exchange.response is not None
    rcode = exchange.response.rcode()
    if rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
        return f"answered {dns.rcode.to_text(rcode)}"
    if not exchange.response.flags & dns.flags.AA:
        return "lame: answered without the AA flag (not authoritative for the zone)"
    return None


def with_second_look(answers: ServerAnswers, apex: dns.name.Name,
                     ask: Callable[[Server, dns.name.Name, dns.rdatatype.RdataType], Exchange]
                     ) -> ServerAnswers:
    """The same answers plus the apex SOA asked once more, last: a pre-signed zone returns
    the same RRSIG, an online signer a new one (and, when its window slides, a later
    expiration). The questions asked in between (queries are sequential here) give the time
    between the two looks; no extra wait is added."""
    first = answers.get(apex, dns.rdatatype.SOA)
    if first is None or authoritative_problem(first) is not None:
        return answers
    asked_since = [e for e in answers.exchanges.values() if e is not first]
    asked_since += [e for e in (answers.nonexistent, answers.nodata) if e is not None]
    second = ask(answers.server, apex, dns.rdatatype.SOA)
    gap = first.elapsed / 2 + sum(e.elapsed for e in asked_since) + second.elapsed / 2
    return replace(answers, second_look=second, second_look_after_s=round(gap, 3))


class Collector:
    """Collects zones through one set of resolvers, sharing ancestor data between zones."""

    def __init__(self, resolvers: tuple[ResolverAddress, ...], policy: QueryPolicy):
        self.directory = Directory(resolvers, policy)
        self.policy = policy
        self._ancestors: dict[dns.name.Name, AncestorZone] = {}

    def ask(self, server: Server, qname: dns.name.Name, rdtype: dns.rdatatype.RdataType
            ) -> Exchange:
        return ask(server, qname, rdtype, timeout=self.policy.timeout_s,
                   retries=self.policy.retries)

    def collect(self, domain: DomainSpec, now: float | None = None) -> ZoneData:
        data = ZoneData(domain, collected_at=time.time() if now is None else now)
        data.provider = fetch_view(domain)  # never raises: a failure is part of the view
        try:
            self.directory.require_existing(domain.name)
            apex = self.directory.zone_of(domain.name)
            delegation = self.directory.delegation(apex)
            parent = self.directory.zone_of(apex.parent()) if apex != dns.name.root else None
        except DiscoveryError as exc:
            data.discovery_failure = str(exc)
            data.discovery_evidence = exc.evidence
            return data
        data.apex, data.parent = apex, parent
        data.servers, data.unreachable = delegation.servers, delegation.unreachable
        probe = probe_name(apex)
        for server in delegation.servers:
            data.answers[server] = self._server_answers(server, domain, apex, probe)
        if parent is not None:
            parent_delegation = self._delegation_or_none(parent)
            for server in parent_delegation.servers if parent_delegation else ():
                data.ds_answers[server] = self.ask(server, apex, dns.rdatatype.DS)
            data.ancestors = self._ancestry(parent)
        return data

    def _server_answers(self, server: Server, domain: DomainSpec, apex: dns.name.Name,
                        probe: dns.name.Name) -> ServerAnswers:
        exchanges: dict[tuple[dns.name.Name, dns.rdatatype.RdataType], Exchange] = {}
        for owner, rdtype in zone_questions(domain, apex):
            exchange = self.ask(server, owner, rdtype)
            exchanges[(owner, rdtype)] = exchange
            if rdtype == dns.rdatatype.SOA and not exchange.ok:
                break  # a dead server: do not wait out every other query too
        nonexistent = nodata = None
        if all(e.ok for e in exchanges.values()):
            nonexistent = self.ask(server, probe, dns.rdatatype.A)
            nodata = self.ask(server, apex, ABSENT_TYPE)
        return with_second_look(ServerAnswers(server, exchanges, nonexistent, nodata), apex,
                                self.ask)

    def _delegation_or_none(self, apex: dns.name.Name) -> Delegation | None:
        try:
            return self.directory.delegation(apex)
        except DiscoveryError:
            return None

    def _ancestry(self, parent: dns.name.Name) -> tuple[AncestorZone, ...]:
        chain: list[AncestorZone] = []
        zone: dns.name.Name | None = parent
        while zone is not None:
            chain.append(self._ancestor(zone))
            zone = None if zone == dns.name.root else self.directory.zone_of(zone.parent())
        return tuple(reversed(chain))

    def _ancestor(self, apex: dns.name.Name) -> AncestorZone:
        if apex in self._ancestors:
            return self._ancestors[apex]
        dnskey = self._first_answer(self._delegation_or_none(apex), apex, dns.rdatatype.DNSKEY)
        ds = None
        if apex != dns.name.root:
            try:
                grandparent = self.directory.zone_of(apex.parent())
            except DiscoveryError:
                grandparent = None
            if grandparent is not None:
                ds = self._first_answer(self._delegation_or_none(grandparent), apex,
                                        dns.rdatatype.DS)
        ancestor = AncestorZone(apex, dnskey, ds)
        self._ancestors[apex] = ancestor
        return ancestor

    def _first_answer(self, delegation: Delegation | None, qname: dns.name.Name,
                      rdtype: dns.rdatatype.RdataType) -> Exchange | None:
        last = None
        for server in delegation.servers if delegation else ():
            last = self.ask(server, qname, rdtype)
            if authoritative_problem(last) is None:
                return last
        return last


def collect_zone(domain: DomainSpec, resolvers: tuple[ResolverAddress, ...],
                 policy: QueryPolicy | None = None) -> ZoneData:
    """Collect one zone without sharing anything (a script or a notebook's entry point)."""
    return Collector(resolvers, policy or QueryPolicy()).collect(domain)
