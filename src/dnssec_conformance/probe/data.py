"""What a zone's checks read: the data the probe stage (`probe/`) collects once per zone.

For the zone itself every authoritative server is asked (a stale secondary must not hide
behind a good primary); for the DS set every server of the parent. Ancestors above the parent
(the root, the TLD) are fetched once per run and shared by all zones. Checks read `ZoneData`;
they never query.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, TypeVar

import dns.flags
import dns.name
import dns.rcode
import dns.rdatatype
import dns.zone

from ..config.model import DomainSpec
from .copies import TransferReport
from .providers import ProviderView
from .transport import Exchange, Server

APEX_TYPES = (dns.rdatatype.SOA, dns.rdatatype.DNSKEY, dns.rdatatype.NS)
# What the zone asks its parent to publish as its DS set (RFC 7344): the rollover checks.
CHILD_DS_TYPES = (dns.rdatatype.CDS, dns.rdatatype.CDNSKEY)
# A type from the private-use range (RFC 6895 §3.1): no zone has it at its apex, so asking
# for it yields a NODATA answer and its NSEC/NSEC3 proof.
ABSENT_TYPE = dns.rdatatype.RdataType.make(65280)

T = TypeVar("T")


@dataclass(frozen=True)
class ProbePlan:
    """Which questions the selected checks read, beyond the apex SOA, DNSKEY and NS (always
    asked: the chain of trust needs them) and the parent's DS."""

    records: bool = True  # the domain's configured records
    denial: bool = True  # NSEC3PARAM and the two negative-answer probes
    cds: bool = True  # CDS and CDNSKEY (RFC 7344)
    signing: bool = True  # a second look at the SOA, last: does the server sign online?
    provider: bool = True  # the cloud DNS provider's own view (`provider:` in domains.yaml)
    transfer: bool = True  # each server's whole copy (`transfer:` in domains.yaml)

    @classmethod
    def needing(cls, needs: set[str] | frozenset[str]) -> ProbePlan:
        return cls(*(name in needs for name in cls.__dataclass_fields__))


EVERYTHING = ProbePlan()


@dataclass(frozen=True)
class SkippedServer:
    """A name-server address that was not queried, and why: `kind` is "no-route" (this host
    has none), "forbidden" (an address no delegation may use: broadcast, multicast,
    link-local, unspecified), "bound" (over the bounds on addresses per name or per zone;
    one entry counts them) or "no-address" (a name server name without any)."""

    server: Server
    why: str
    kind: str = "no-route"


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
        if "_failure" not in self.__dict__:
            problems = [authoritative_problem(e) for e in self.exchanges.values()]
            object.__setattr__(self, "_failure",
                               problems[0] if problems and all(problems) else None)
        return self.__dict__["_failure"]  # type: ignore[no-any-return]


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
    nonexistent: bool = False  # the failure: the name does not exist (NXDOMAIN), a defect
    collected_at: float = 0.0
    # The delegation as the parent serves it (learnt from its referral): the NS names and
    # the referral itself; empty when the parent's servers also serve the zone (no referral).
    parent_ns: tuple[dns.name.Name, ...] = ()
    referral: Exchange | None = None
    # Addresses of the zone's name servers that were not queried, with why (over the bounds,
    # an address no delegation may use, a name without address); `unreachable` keeps the
    # addresses this host has no route to.
    not_queried: tuple[SkippedServer, ...] = ()
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
    # Each server's whole copy of the zone (AXFR or NSEC walk, `transfer:` in domains.yaml),
    # judged as it was taken and dropped: what it showed. None: no transfer was attempted.
    transfers: tuple[TransferReport, ...] | None = None
    # The resolvers' unusable answers when the walk to the zone had to fall back on them (the
    # servers above gave no usable answer) and still found the zone.
    walk_fallback: tuple[Exchange, ...] = ()
    # Results of pure computations over this data (signature verification), shared by checks.
    memo: dict[object, object] = field(default_factory=dict, repr=False, compare=False)

    @property
    def name(self) -> dns.name.Name:
        return self.domain.name

    def usable_answers(self) -> list[ServerAnswers]:
        return [a for a in self.answers.values() if a.failure is None]


def zone_questions(domain: DomainSpec, apex: dns.name.Name, plan: ProbePlan = EVERYTHING
                   ) -> list[tuple[dns.name.Name, dns.rdatatype.RdataType]]:
    """What each authoritative server is asked, besides the two negative-answer probes."""
    wanted = [(apex, t) for t in APEX_TYPES]
    if plan.denial:
        # The NSEC3 parameters the server announces (a NODATA answer in an NSEC zone).
        wanted += [(apex, dns.rdatatype.NSEC3PARAM)]
    if plan.cds:
        wanted += [(apex, t) for t in CHILD_DS_TYPES]
    if plan.records:
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
    rcode = exchange.rcode
    assert rcode is not None
    if rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
        return f"answered {dns.rcode.to_text(rcode)}"
    if not exchange.response.flags & dns.flags.AA:
        return "lame: answered without the AA flag (not authoritative for the zone)"
    return None


def memoized(zone: ZoneData, key: object, compute: Callable[[], T]) -> T:
    """`compute()`, once per zone and key: what several checks read is derived once."""
    if key not in zone.memo:
        zone.memo[key] = compute()
    return zone.memo[key]  # type: ignore[return-value]
