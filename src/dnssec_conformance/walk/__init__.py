"""Walking a zone's whole denial chain (file mode): what ldns-verify-zone and dnssec-verify
check, where a live check can only sample the records its probes get back."""

from __future__ import annotations

from dataclasses import dataclass

import dns.rdatatype
import dns.zone

from ..authoritative import origin_of
from ..findings import Severity
from .names import ChainProblem, zone_names
from .nsec3_chain import chains, walk_nsec3
from .nsec_chain import has_nsec_chain, walk_nsec


@dataclass(frozen=True)
class ChainWalk:
    """What walking a zone's denial chains found."""

    signed: bool
    names: int  # the names the chains must account for
    walked: tuple[str, ...]  # "NSEC", "NSEC3 1 0 -": the chains walked
    problems: tuple[ChainProblem, ...]


def walk_denial_chains(zone: dns.zone.Zone) -> ChainWalk:
    """Every problem of the zone's NSEC chain and NSEC3 chain(s); none for sound chains. An
    unsigned zone has nothing to walk."""
    if zone.get_rdataset(origin_of(zone), dns.rdatatype.DNSKEY) is None:
        return ChainWalk(False, 0, (), ())
    names = zone_names(zone)
    problems: list[ChainProblem] = []
    walked: list[str] = []
    if has_nsec_chain(zone):
        walked.append("NSEC")
        problems += walk_nsec(zone, names)
    for params, records in sorted(chains(zone).items()):
        walked.append(f"NSEC3 {params.text}")
        problems += walk_nsec3(zone, names, params, records)
    if not walked:
        problems.append(ChainProblem(Severity.CRITICAL, "the zone is signed but has neither "
                                     "NSEC nor NSEC3 records: it cannot deny any name or type"))
    count = len(names.authoritative) + len(names.empty_non_terminals)
    return ChainWalk(True, count, tuple(walked), tuple(problems))


__all__ = ["ChainProblem", "ChainWalk", "walk_denial_chains"]
