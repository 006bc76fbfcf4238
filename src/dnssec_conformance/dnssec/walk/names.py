"""Which names of a zone exist, as its denial chain must list them, and what a walk reports.

RFC 4035 §2.3: every owner name with authoritative data, and every delegation point, has an
NSEC record. RFC 5155 §7.1: the same names have an NSEC3 record, and so does every empty
non-terminal; with opt-out, unsigned delegations (and the empty non-terminals derived only
from unsigned delegations the chain leaves out) may be left out. Names below a zone cut
(glue, occluded data) belong to the child zone and are in neither chain.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.zone
from dns.rdtypes.ANY.DNSKEY import DNSKEY

from ...findings import Severity
from ..signatures import Crypto, SignatureCheck, verify_rrset
from ..zonetree import ZoneTree, canonical_order, names_between, origin_of, rrset_of

T = TypeVar("T", bound=Any)

# Types that are not data of the name itself in a denial chain's view.
CHAIN_TYPES = frozenset({dns.rdatatype.RRSIG, dns.rdatatype.NSEC, dns.rdatatype.NSEC3})
# What the parent is authoritative for at a delegation point (RFC 4035 §2.3): anything else
# there (glue at the delegated name itself) is the child's, and must not be in the bitmap.
CUT_TYPES = frozenset({dns.rdatatype.NS, dns.rdatatype.DS})


@dataclass(frozen=True)
class ChainProblem:
    """One hole or mismatch in a denial chain, with the records involved."""

    # CRITICAL: validators are misled; ERROR: could not check; INFO: noted, harmless
    severity: Severity
    message: str
    records: tuple[dns.rrset.RRset, ...] = ()

    @property
    def evidence(self) -> str:
        return "\n".join(rrset.to_text() for rrset in self.records)


@dataclass(frozen=True)
class ZoneNames:
    """The names of a zone that its denial chain must account for."""

    apex: dns.name.Name
    # Names with authoritative data or a delegation point, in canonical order (RFC 4034 §6.1).
    authoritative: tuple[dns.name.Name, ...]
    # The types at each authoritative name, the chain's own types (RRSIG, NSEC, NSEC3) left
    # out; at a delegation point only NS and DS.
    types: dict[dns.name.Name, frozenset[int]]
    cuts: frozenset[dns.name.Name]
    insecure_cuts: frozenset[dns.name.Name]  # delegation points without DS
    empty_non_terminals: frozenset[dns.name.Name]
    # Empty non-terminals that exist only because of unsigned delegations below them, each
    # with those delegations: one may be left out of an opt-out NSEC3 chain only when the
    # chain leaves out every one of its delegations too (RFC 5155 §7.1).
    insecure_only_ents: Mapping[dns.name.Name, frozenset[dns.name.Name]] = field(
        default_factory=dict)
    # The types covered by the RRSIG records at each name (NSEC3 aside).
    signed: Mapping[dns.name.Name, frozenset[int]] = field(default_factory=dict)

    def has_rrsig(self, name: dns.name.Name, *chain_types: int) -> bool:
        """Whether an RRSIG record of the zone's own data is at the name, so that its bitmap
        lists RRSIG: at a delegation point only the DS (and `chain_types`, the NSEC there)
        is the zone's data. A name whose signatures are missing altogether is SIG01's and the
        chain walk's signature finding, not a bitmap error."""
        covered = self.signed.get(name, frozenset())
        if name in self.cuts:
            return bool(covered & {dns.rdatatype.DS, *chain_types})
        return bool(covered)


def zone_names(zone: dns.zone.Zone, tree: ZoneTree | None = None) -> ZoneNames:
    tree = tree or ZoneTree(zone)
    apex = tree.origin
    types: dict[dns.name.Name, frozenset[int]] = {}
    signed: dict[dns.name.Name, frozenset[int]] = {}
    for name in tree.authoritative:
        rdatasets = zone.nodes[name].rdatasets
        signed[name] = frozenset(int(r.covers) for r in rdatasets
                                 if r.rdtype == dns.rdatatype.RRSIG) - {dns.rdatatype.NSEC3}
        data = frozenset(int(r.rdtype) for r in rdatasets) - CHAIN_TYPES
        if name in tree.cuts:
            data &= CUT_TYPES
        if data:  # a name holding only chain records is a leftover
            types[name] = data
    insecure = frozenset(c for c in tree.cuts if dns.rdatatype.DS not in types.get(c, ()))
    # Each empty non-terminal with the nearest names below it that hold data: they make it.
    makers: dict[dns.name.Name, set[dns.name.Name]] = defaultdict(set)
    for name in types:
        for above in names_between(name, apex):
            if above in types:
                break
            makers[above].add(name)
    insecure_only = {ent: frozenset(found) for ent, found in makers.items()
                     if found <= insecure}
    return ZoneNames(apex, tuple(sorted(types, key=canonical_order)), types, tree.cuts, insecure,
                     frozenset(makers), insecure_only, signed)


def strictly_between(ordered: Sequence[T], start: T, end: T) -> list[T]:
    """The items of a sorted sequence strictly after `start` and before `end`; when `end`
    is not after `start` the span goes round, as the last span of a chain does."""
    low, high = bisect.bisect_right(ordered, start), bisect.bisect_left(ordered, end)
    if start < end:
        return list(ordered[low:high])
    return [*ordered[low:], *ordered[:high]]


def rrset_at(zone: dns.zone.Zone, name: dns.name.Name, rdtype: dns.rdatatype.RdataType,
             covers: dns.rdatatype.RdataType = dns.rdatatype.NONE) -> dns.rrset.RRset | None:
    rdataset = zone.get_rdataset(name, rdtype, covers)
    return rrset_of(name, rdataset) if rdataset is not None else None


def zone_keys(zone: dns.zone.Zone) -> list[DNSKEY]:
    return list(zone.get_rdataset(origin_of(zone), dns.rdatatype.DNSKEY) or ())


# Signatures already verified elsewhere (the whole-file checks), by owner and type.
Verified = Mapping[tuple[dns.name.Name, int], Sequence[SignatureCheck]]


def signature_problems(zone: dns.zone.Zone, rrset: dns.rrset.RRset, keys: Iterable[DNSKEY],
                       verified: Verified | None = None) -> list[ChainProblem]:
    """A chain record without an RRSIG that verifies with a key of the zone: validators find
    any proof made with it bogus. Validity dates are the expiry checks' business."""
    kind = dns.rdatatype.to_text(rrset.rdtype)
    rrsigs = rrset_at(zone, rrset.name, dns.rdatatype.RRSIG, rrset.rdtype)
    evidence = (rrset, rrsigs) if rrsigs is not None else (rrset,)
    known = verified.get((rrset.name, rrset.rdtype)) if verified is not None else None
    checks = known if known is not None else verify_rrset(rrset, rrsigs, keys,
                                                          origin_of(zone))
    if not checks:
        return [ChainProblem(Severity.CRITICAL, f"the {kind} record at {rrset.name} has no "
                                                "RRSIG by the zone", evidence)]
    if any(c.crypto is Crypto.VALID for c in checks):
        return []
    reasons = ", ".join(sorted({f"{c.rrsig.key_tag}: {c.crypto}" for c in checks}))
    return [ChainProblem(Severity.CRITICAL, f"no RRSIG over the {kind} record at {rrset.name} "
                                            f"verifies (key tag {reasons})", evidence)]


def types_text(types: Iterable[int]) -> str:
    names = sorted(dns.rdatatype.to_text(dns.rdatatype.RdataType.make(t)) for t in types)
    return " ".join(names) if names else "no types"


def bitmap_problem(kind: str, owner_text: str, listed: frozenset[int],
                   expected: frozenset[int], records: tuple[dns.rrset.RRset, ...], *,
                   at_cut: bool = False) -> ChainProblem | None:
    """A bitmap that does not list exactly the types at its name: a NODATA proof for a type
    the name has, or a type the bitmap claims, whose NODATA answers validators reject. At a
    delegation point, child data listed beside NS and DS (glue at the delegated name) misleads
    no validator, since those queries are referred: a warning."""
    if listed == expected:
        return None
    missing, extra = expected - listed, listed - expected
    parts = []
    if missing:
        parts.append(f"lacks {types_text(missing)} (a NODATA proof would deny records that "
                     "exist)")
    if extra and at_cut:
        parts.append(f"lists {types_text(extra)}, for which the parent is not authoritative "
                     "at a delegation point (RFC 4035 §2.3)")
    elif extra:
        parts.append(f"lists {types_text(extra)}, which the name does not have (its NODATA "
                     "answers would fail)")
    harmless = at_cut and not missing and not extra & CUT_TYPES
    return ChainProblem(Severity.WARNING if harmless else Severity.CRITICAL,
                        f"the {kind} type bitmap of {owner_text} {' and '.join(parts)}", records)
