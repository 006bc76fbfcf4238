"""Walking a zone's whole denial chain (file mode): what ldns-verify-zone and dnssec-verify
check, where a live check can only sample the records its probes get back.

Servers answer from the NSEC chain and from the NSEC3 chain the NSEC3PARAM names (RFC 5155
§4): those are walked. NSEC3 records of other parameters (left over from a parameter change)
are never served: they are noted, not walked.
"""

from __future__ import annotations

from dataclasses import dataclass

import dns.rdatatype
import dns.zone

from ...findings import Severity
from ..authoritative import announced_nsec3_params
from ..nsec3 import Nsec3Params
from ..zonetree import ZoneTree, origin_of
from .names import ChainProblem, Verified, zone_names
from .nsec3_chain import Chain, chains, walk_nsec3
from .nsec_chain import has_nsec_chain, walk_nsec


@dataclass(frozen=True)
class ChainWalk:
    """What walking a zone's denial chains found."""

    signed: bool
    names: int  # the names the chains must account for
    walked: tuple[str, ...]  # "NSEC", "NSEC3 1 0 -": the chains walked
    problems: tuple[ChainProblem, ...]  # INFO ones are notes (a stray chain), not problems


def walk_denial_chains(zone: dns.zone.Zone, tree: ZoneTree | None = None,
                       verified: Verified | None = None) -> ChainWalk:
    """Every problem of the zone's NSEC chain and served NSEC3 chain(s); none for sound
    chains. An unsigned zone has nothing to walk. `tree` and `verified` (signatures already
    checked) save computing them again."""
    if zone.get_rdataset(origin_of(zone), dns.rdatatype.DNSKEY) is None:
        return ChainWalk(False, 0, (), ())
    tree = tree or ZoneTree(zone)
    names = zone_names(zone, tree)
    problems: list[ChainProblem] = []
    walked: list[str] = []
    nsec = has_nsec_chain(zone)
    if nsec:
        walked.append("NSEC")
        problems += walk_nsec(zone, names, verified)
    found = chains(zone)
    served, notes = _served_chains(zone, found, nsec)
    problems += notes
    for params in served:
        walked.append(f"NSEC3 {params.text}")
        problems += walk_nsec3(zone, names, params, found[params], verified)
    if not walked:
        problems.append(ChainProblem(Severity.CRITICAL, "the zone is signed but has neither "
                                     "NSEC nor NSEC3 records: it cannot deny any name or type"))
    count = len(names.authoritative) + len(names.empty_non_terminals)
    return ChainWalk(True, count, tuple(walked), tuple(problems))


def _served_chains(zone: dns.zone.Zone, found: dict[Nsec3Params, Chain], nsec: bool
                   ) -> tuple[list[Nsec3Params], list[ChainProblem]]:
    """The NSEC3 chains to walk, and what to say about the NSEC3PARAM and the others."""
    notes: list[ChainProblem] = []
    param = zone.get_rdataset(origin_of(zone), dns.rdatatype.NSEC3PARAM) or ()
    for record in param:
        if record.flags != 0:
            notes.append(ChainProblem(Severity.WARNING, f"the NSEC3PARAM {record.to_text()} "
                                      f"has flags {record.flags}: servers ignore it (RFC 5155 "
                                      "§4.2)"))
    announced = list(dict.fromkeys(announced_nsec3_params(zone)))
    served = [p for p in announced if p in found]
    for params in announced:
        if params not in found:
            notes.append(ChainProblem(
                Severity.WARNING if served else Severity.CRITICAL,
                f"the NSEC3PARAM names the NSEC3 chain {params.text}, but the zone has no "
                "NSEC3 record with these parameters: a server using it has nothing to deny "
                "names with"))
    if not served and found and not nsec:
        notes.append(ChainProblem(
            Severity.CRITICAL, "the zone has NSEC3 records but no NSEC3PARAM naming their "
            "chain: servers choose the chain they answer from by the NSEC3PARAM (RFC 5155 "
            "§4), so they have no denial to give; every chain is walked all the same"))
        return sorted(found), notes
    for params in sorted(set(found) - set(served)):
        notes.append(ChainProblem(
            Severity.INFO, f"{len(found[params])} NSEC3 record(s) with parameters "
            f"{params.text}, which no NSEC3PARAM names: no server answers with them (a "
            "chain left over from a parameter change?); not walked"))
    return served, notes


__all__ = ["ChainProblem", "ChainWalk", "walk_denial_chains"]
