"""Authenticated denial of existence with NSEC (RFC 4034 §4, RFC 4035 §3.1.3 and §5.4): does a
set of NSEC records prove that a name, or a type at a name, does not exist?

Pure logic over records already received: no network, and no signature verification (the
caller verifies the RRSIGs; a proof made of records that do not verify proves nothing).
Names are compared in canonical DNS order (RFC 4034 §6.1), which is the order of
`dns.name.Name` comparisons: labels compared from the root down, each as a case-folded octet
string where a shorter string sorts first.

`Proof` is shared with `nsec3`: a verdict, and when the proof fails, each reason in words an
operator can act on (which name is not covered, which bitmap has the type).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

import dns.name
import dns.rdatatype
import dns.rrset

WILDCARD_LABEL = b"*"


class ProofStatus(enum.StrEnum):
    PROVEN = "proven"
    OPT_OUT = "opt-out"  # holds only through an NSEC3 opt-out span: validators say insecure
    NOT_PROVEN = "not-proven"  # a validator finds the answer bogus
    UNCHECKED = "unchecked"  # the records cannot be evaluated (unknown hash, absurd iterations)


@dataclass(frozen=True)
class Proof:
    """The verdict on one denial proof, and the reasons behind it."""

    claim: str  # what had to be proven: "a.example. does not exist"
    status: ProofStatus
    problems: tuple[str, ...] = ()  # why it does not hold (or could not be evaluated)
    steps: tuple[str, ...] = ()  # which record proves each part, in the RFC's order
    closest_encloser: dns.name.Name | None = None

    @property
    def proven(self) -> bool:
        return self.status in (ProofStatus.PROVEN, ProofStatus.OPT_OUT)

    @property
    def reason(self) -> str:
        return "; ".join(self.problems)

    def describe(self) -> str:
        if self.proven:
            note = " (only as opt-out: insecure)" if self.status is ProofStatus.OPT_OUT else ""
            return f"proven{note}: {self.claim}"
        word = "could not check" if self.status is ProofStatus.UNCHECKED else "not proven"
        return f"{word}: {self.claim}: {self.reason}"


def settle(claim: str, problems: list[str], steps: list[str], *,
           closest_encloser: dns.name.Name | None = None, opt_out: bool = False,
           unchecked: bool = False) -> Proof:
    """The Proof for a claim once every step has been tried."""
    if unchecked:
        status = ProofStatus.UNCHECKED
    elif problems:
        status = ProofStatus.NOT_PROVEN
    else:
        status = ProofStatus.OPT_OUT if opt_out else ProofStatus.PROVEN
    return Proof(claim, status, tuple(problems), tuple(steps), closest_encloser)


def type_text(rdtype: int) -> str:
    return dns.rdatatype.to_text(dns.rdatatype.RdataType.make(rdtype))


def wildcard_at(name: dns.name.Name) -> dns.name.Name:
    return dns.name.Name((WILDCARD_LABEL,)).concatenate(name)


def common_ancestor(a: dns.name.Name, b: dns.name.Name) -> dns.name.Name:
    """The deepest name that both `a` and `b` are at or below."""
    _, _, shared = a.fullcompare(b)
    return a.split(shared)[1] if shared else dns.name.root


def ancestors(name: dns.name.Name, apex: dns.name.Name) -> list[dns.name.Name]:
    """`name` and each of its ancestors down to `apex`, deepest first."""
    chain = [name]
    while chain[-1] != apex and chain[-1] != dns.name.root:
        chain.append(chain[-1].parent())
    return chain


def wildcard_parent_of(qname: dns.name.Name, rrsig_labels: int) -> dns.name.Name:
    """The name whose wildcard a synthesized answer came from: the last `rrsig_labels`
    labels of `qname` (RFC 4034 §3.1.3; the Labels field counts neither root nor `*`)."""
    depth = min(rrsig_labels + 1, len(qname))  # + 1: dnspython counts the root label
    return qname.split(depth)[1]


def bitmap_text(types: Iterable[int]) -> str:
    names = sorted(types)
    return " ".join(type_text(t) for t in names) if names else "no types"


@dataclass(frozen=True)
class NsecRecord:
    """One NSEC record: the span (owner, next) holds no name, and owner has exactly `types`."""

    owner: dns.name.Name
    next: dns.name.Name
    types: frozenset[int]

    @property
    def label(self) -> str:
        return f"{self.owner} NSEC {self.next} ({bitmap_text(self.types)})"

    def covers(self, name: dns.name.Name) -> bool:
        """Whether `name` falls strictly inside the span. The last NSEC of the zone wraps
        around to the apex: it covers every name after its owner."""
        if self.owner < self.next:
            return bool(self.owner < name < self.next)
        return bool(name > self.owner or name < self.next)

    @property
    def is_delegation(self) -> bool:
        """A parent-side record at a zone cut: the names below it belong to the child zone."""
        return dns.rdatatype.NS in self.types and dns.rdatatype.SOA not in self.types

    def may_deny(self, name: dns.name.Name) -> bool:
        """RFC 6840 §4.1: an NSEC from a delegation point or a DNAME owner cannot deny names
        below its owner; those are not this zone's data."""
        below = name.is_subdomain(self.owner) and name != self.owner
        return not (below and (self.is_delegation or dns.rdatatype.DNAME in self.types))


def nsec_records(rrsets: Iterable[dns.rrset.RRset]) -> list[NsecRecord]:
    records = []
    for rrset in rrsets:
        if rrset.rdtype != dns.rdatatype.NSEC:
            continue
        for rdata in rrset:
            types = frozenset(int(t) for t in bitmap_types(rdata.windows))
            records.append(NsecRecord(rrset.name, rdata.next, types))
    return records


def bitmap_types(windows: Iterable[tuple[int, bytes]]) -> list[int]:
    types = []
    for window, bitmap in windows:
        for index, octet in enumerate(bitmap):
            for bit in range(8):
                if octet & (0x80 >> bit):
                    types.append(window * 256 + index * 8 + bit)
    return types


class _Answer:
    """The NSEC records of one answer, the zone's ones, and lookups over them."""

    def __init__(self, apex: dns.name.Name, rrsets: Iterable[dns.rrset.RRset]):
        self.apex = apex
        everything = nsec_records(rrsets)
        self.records = [r for r in everything if r.owner.is_subdomain(apex)]
        self.foreign = [r for r in everything if not r.owner.is_subdomain(apex)]

    def matching(self, name: dns.name.Name) -> NsecRecord | None:
        return next((r for r in self.records if r.owner == name), None)

    def covering(self, name: dns.name.Name) -> NsecRecord | None:
        return next((r for r in self.records if r.covers(name) and r.may_deny(name)), None)

    def misses(self, name: dns.name.Name, what: str) -> str:
        """Why no record covers `name`, with the nearest record for the operator to look at."""
        if not self.records:
            return f"no NSEC record in the answer to cover {what} {name}"
        blocked = next((r for r in self.records if r.covers(name)), None)
        if blocked is not None:
            kind = "a DNAME" if dns.rdatatype.DNAME in blocked.types else "a delegation point"
            return (f"the NSEC covering {what} {name}, {blocked.label}, is {kind}: it cannot "
                    "deny names below its owner (RFC 6840 §4.1)")
        before = [r for r in self.records if r.owner < name]
        nearest = max(before, key=lambda r: r.owner) if before else None
        hint = f" (the nearest, {nearest.label}, ends before it)" if nearest else ""
        return f"no NSEC record covers {what} {name}{hint}"

    def closest_encloser(self, name: dns.name.Name, cover: NsecRecord) -> dns.name.Name:
        """The deepest existing ancestor of a name the record covers: the longer of what the
        name shares with the owner and with the next name (both exist)."""
        shared = [common_ancestor(name, cover.owner)]
        if cover.next.is_subdomain(self.apex):
            shared.append(common_ancestor(name, cover.next))
        deepest = max(shared, key=lambda n: len(n.labels))
        return deepest if deepest.is_subdomain(self.apex) else self.apex


def _no_records(claim: str) -> Proof:
    return settle(claim, ["no NSEC record in the answer"], [])


def _deny_name(answer: _Answer, name: dns.name.Name, what: str, problems: list[str],
               steps: list[str]) -> NsecRecord | None:
    """Prove that `name` does not exist at all; the covering record, or None (with the
    reason appended to `problems`)."""
    match = answer.matching(name)
    if match is not None:
        problems.append(f"{match.label} proves that {what} {name} exists")
        return None
    cover = answer.covering(name)
    if cover is None:
        problems.append(answer.misses(name, what))
        return None
    if cover.next != name and cover.next.is_subdomain(name):
        problems.append(f"{cover.label} says {cover.next} exists, below {name}: {what} {name} "
                        "is then an empty non-terminal, which exists")
        return None
    steps.append(f"{cover.label} covers {what} {name}")
    return cover


def prove_nxdomain(qname: dns.name.Name, apex: dns.name.Name,
                   rrsets: Iterable[dns.rrset.RRset]) -> Proof:
    """RFC 4035 §3.1.3.2, §5.4: an NSEC covers the name, and an NSEC covers the wildcard at
    its closest encloser (so no wildcard could have answered instead)."""
    claim = f"{qname} does not exist"
    answer = _Answer(apex, rrsets)
    if not answer.records:
        return _no_records(claim)
    problems: list[str] = []
    steps: list[str] = []
    cover = _deny_name(answer, qname, "the name", problems, steps)
    if cover is None:
        return settle(claim, problems, steps)
    encloser = answer.closest_encloser(qname, cover)
    steps.append(f"closest encloser: {encloser}")
    _deny_wildcard(answer, encloser, problems, steps)
    return settle(claim, problems, steps, closest_encloser=encloser)


def _deny_wildcard(answer: _Answer, encloser: dns.name.Name, problems: list[str],
                   steps: list[str]) -> None:
    wildcard = wildcard_at(encloser)
    match = answer.matching(wildcard)
    if match is not None:
        problems.append(f"{match.label} proves that the wildcard {wildcard} exists: the "
                        "answer should have been synthesized from it")
        return
    cover = answer.covering(wildcard)
    if cover is None:
        problems.append(answer.misses(wildcard, "the wildcard"))
        return
    steps.append(f"{cover.label} covers the wildcard {wildcard}")


def _type_absent(record: NsecRecord, qtype: int, problems: list[str]) -> None:
    if qtype in record.types:
        problems.append(f"the type bitmap of {record.label} has {type_text(qtype)}: it says "
                        f"{record.owner} has {type_text(qtype)} records")
    if dns.rdatatype.CNAME in record.types and qtype != dns.rdatatype.CNAME:
        problems.append(f"the type bitmap of {record.label} has CNAME: {record.owner} is an "
                        "alias, the answer should have followed it")


def prove_nodata(qname: dns.name.Name, qtype: int, apex: dns.name.Name,
                 rrsets: Iterable[dns.rrset.RRset]) -> Proof:
    """RFC 4035 §3.1.3.1, §5.4: the NSEC at the name has neither the type nor CNAME in its
    bitmap; or the name is an empty non-terminal (an NSEC covers it and its next name is
    below it). For DS the NSEC must be the parent's, at the delegation (RFC 6840 §4.4)."""
    claim = f"{qname} has no {type_text(qtype)} records"
    answer = _Answer(apex, rrsets)
    if not answer.records:
        return _no_records(claim)
    problems: list[str] = []
    steps: list[str] = []
    match = answer.matching(qname)
    if match is not None:
        _type_absent(match, qtype, problems)
        if qtype == dns.rdatatype.DS and dns.rdatatype.SOA in match.types:
            problems.append(f"{match.label} is the child zone's apex record (SOA in its "
                            "bitmap): only the parent's NSEC at the delegation denies a DS")
        elif qtype != dns.rdatatype.DS and match.is_delegation and qname != apex:
            problems.append(f"{match.label} is a delegation point (NS without SOA): the "
                            "answer should have been a referral")
        if not problems:
            steps.append(f"{match.label} matches {qname} without {type_text(qtype)} or CNAME")
        return settle(claim, problems, steps)
    cover = answer.covering(qname)
    if cover is not None and cover.next != qname and cover.next.is_subdomain(qname):
        steps.append(f"{cover.label} covers {qname} and its next name is below it: "
                     f"{qname} is an empty non-terminal")
        return settle(claim, problems, steps)
    if cover is not None:
        problems.append(f"no NSEC record matches {qname}; {cover.label} covers it, which "
                        "says the name does not exist at all (that is NXDOMAIN, not NODATA)")
    else:
        problems.append(f"no NSEC record matches {qname}")
    return settle(claim, problems, steps)


def prove_wildcard_nodata(qname: dns.name.Name, qtype: int, apex: dns.name.Name,
                          rrsets: Iterable[dns.rrset.RRset]) -> Proof:
    """RFC 4035 §3.1.3.4 (Appendix B.7): an NSEC covers the name, and the NSEC of the wildcard
    at its closest encloser has neither the type nor CNAME."""
    claim = f"{qname} has no {type_text(qtype)} records, not even from a wildcard"
    answer = _Answer(apex, rrsets)
    if not answer.records:
        return _no_records(claim)
    problems: list[str] = []
    steps: list[str] = []
    cover = _deny_name(answer, qname, "the name", problems, steps)
    if cover is None:
        return settle(claim, problems, steps)
    encloser = answer.closest_encloser(qname, cover)
    wildcard = wildcard_at(encloser)
    match = answer.matching(wildcard)
    if match is None:
        problems.append(f"no NSEC record matches the wildcard {wildcard} at the closest "
                        f"encloser {encloser}")
    else:
        before = len(problems)
        _type_absent(match, qtype, problems)
        if len(problems) == before:
            steps.append(f"{match.label} matches the wildcard {wildcard} without "
                         f"{type_text(qtype)} or CNAME")
    return settle(claim, problems, steps, closest_encloser=encloser)


def prove_wildcard_answer(qname: dns.name.Name, rrsig_labels: int, apex: dns.name.Name,
                          rrsets: Iterable[dns.rrset.RRset]) -> Proof:
    """RFC 4035 §5.3.4 (Appendix B.6): an answer synthesized from a wildcard (its RRSIG's
    Labels field is shorter than the name) needs an NSEC proving that no name closer to the
    query exists: one covering the name whose closest encloser is the wildcard's parent."""
    wildcard_parent = wildcard_parent_of(qname, rrsig_labels)
    wildcard = wildcard_at(wildcard_parent)
    claim = f"no name closer to {qname} than the wildcard {wildcard} exists"
    answer = _Answer(apex, rrsets)
    if not answer.records:
        return _no_records(claim)
    problems: list[str] = []
    steps: list[str] = []
    cover = _deny_name(answer, qname, "the name", problems, steps)
    if cover is None:
        return settle(claim, problems, steps)
    encloser = answer.closest_encloser(qname, cover)
    if encloser != wildcard_parent:
        problems.append(f"{cover.label} makes {encloser} the closest encloser of {qname}, "
                        f"not the wildcard's parent {wildcard_parent}: a closer name exists "
                        "and the wildcard should not have answered")
    return settle(claim, problems, steps, closest_encloser=encloser)


def claimed_wildcard(qname: dns.name.Name, apex: dns.name.Name,
                     rrsets: Iterable[dns.rrset.RRset]) -> dns.name.Name | None:
    """A wildcard that could answer for `qname` and that the answer says exists (an NSEC
    owned by it), or None."""
    answer = _Answer(apex, rrsets)
    for name in ancestors(qname, apex)[1:]:
        if answer.matching(wildcard_at(name)) is not None:
            return wildcard_at(name)
    return None
