"""The whole NSEC chain of a zone, walked end to end (RFC 4035 §2.3, RFC 4034 §4.1): one NSEC
per authoritative name, each pointing to the next name in canonical order, the last back to
the apex, each bitmap listing exactly the types at its name plus NSEC and RRSIG, each signed.

A live check sees only the records its probes get back; a hole elsewhere (a name the chain
skips, so that validators would accept a denial of it) shows only here.
"""

from __future__ import annotations

import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.zone

from ...findings import Severity
from ..nsec import NsecRecord, nsec_records
from ..zonetree import canonical_order
from .names import (
    ChainProblem,
    Verified,
    ZoneNames,
    bitmap_problem,
    rrset_at,
    signature_problems,
    strictly_between,
    zone_keys,
)


def has_nsec_chain(zone: dns.zone.Zone) -> bool:
    return any(node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.NSEC) is not None
               for node in zone.nodes.values())


def walk_nsec(zone: dns.zone.Zone, names: ZoneNames, verified: Verified | None = None
              ) -> list[ChainProblem]:
    owners = names.authoritative
    expected = set(owners)
    problems: list[ChainProblem] = []
    for name in sorted(zone.nodes, key=canonical_order):
        node = zone.nodes[name]
        if name not in expected and node.get_rdataset(dns.rdataclass.IN,
                                                      dns.rdatatype.NSEC) is not None:
            problems.append(_stray(zone, names, name))
    records = {}
    for name in owners:
        rrset = rrset_at(zone, name, dns.rdatatype.NSEC)
        if rrset is not None:
            records[name] = rrset
    skipped: set[dns.name.Name] = set()
    pointed_from: dict[dns.name.Name, dns.name.Name] = {}  # next name -> the owner naming it
    keys = zone_keys(zone)
    for index, name in enumerate(owners):
        rrset = records.get(name)
        if rrset is None:
            continue
        if len(rrset) > 1:
            problems.append(ChainProblem(Severity.CRITICAL, f"{name} has {len(rrset)} NSEC "
                                         "records: the chain forks there", (rrset,)))
        record = nsec_records([rrset])[0]
        pointed_from[record.next] = name
        following = owners[(index + 1) % len(owners)]
        if record.next != following:
            problem, holes = _broken_link(record, following, owners, names.apex)
            skipped.update(holes)
            problems.append(ChainProblem(Severity.CRITICAL, problem, (rrset,)))
        expected_types = names.types[name] | {dns.rdatatype.NSEC}
        if names.has_rrsig(name, dns.rdatatype.NSEC):
            expected_types |= {dns.rdatatype.RRSIG}
        bitmap = bitmap_problem("NSEC", str(name), record.types, expected_types, (rrset,),
                                at_cut=name in names.cuts)
        if bitmap is not None:
            problems.append(bitmap)
        problems += signature_problems(zone, rrset, keys, verified)
    for index, name in enumerate(owners):
        if name in records or name in skipped:
            continue
        following = owners[(index + 1) % len(owners)]
        if name in pointed_from:
            why = (f"the chain stops there (the NSEC at {pointed_from[name]} points to it): no "
                   f"record denies the names between {name} and {following}")
        else:
            why = "no record of the chain leads to it or past it"
        problems.append(ChainProblem(Severity.CRITICAL, f"{name} has no NSEC record: {why}"))
    return problems


def _stray(zone: dns.zone.Zone, names: ZoneNames, name: dns.name.Name) -> ChainProblem:
    rrset = rrset_at(zone, name, dns.rdatatype.NSEC)
    records = (rrset,) if rrset is not None else ()
    cut = next((c for c in names.cuts if name != c and name.is_subdomain(c)), None)
    if cut is not None:
        return ChainProblem(Severity.CRITICAL, f"an NSEC record at {name}, below the delegation "
                            f"point {cut}: names there are the child zone's", records)
    return ChainProblem(Severity.CRITICAL, f"an NSEC record at {name}, which holds no other "
                        "data (left over from a deleted name?): it says the name exists",
                        records)


def _broken_link(record: NsecRecord, following: dns.name.Name,
                 owners: tuple[dns.name.Name, ...], apex: dns.name.Name
                 ) -> tuple[str, list[dns.name.Name]]:
    """Why an NSEC does not point to the next name, and the names its span hides."""
    head = f"the NSEC at {record.owner} points to {record.next}"
    if not record.next.is_subdomain(apex):
        return f"{head}, outside the zone (the next name is {following})", []
    hidden = strictly_between(owners, record.owner, record.next)
    if hidden:
        shown = ", ".join(str(n) for n in hidden[:5])
        more = f" and {len(hidden) - 5} more" if len(hidden) > 5 else ""
        return (f"{head}, skipping {shown}{more}: a hole in the chain, validators would accept "
                "a denial of names that exist"), hidden
    return (f"{head}, which is not an authoritative name of the zone (the next one is "
            f"{following})"), []
