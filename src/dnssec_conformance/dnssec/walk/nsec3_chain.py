"""The whole NSEC3 chain of a zone, walked end to end (RFC 5155 §7.1, §8): every name of the
zone hashed with the chain's parameters has its NSEC3 record (opt-out spans may leave out
only unsigned delegations), the records link in hash order and close the loop, each bitmap
lists exactly the types at its name, each record is signed.

Hashing is bounded as in `nsec3.py`: parameters beyond RFC 5155 §10.3's maximum are reported,
never hashed.
"""

from __future__ import annotations

import bisect
from collections import defaultdict

import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.zone

from ...findings import Severity
from ..nsec3 import (
    HASH_LENGTHS,
    KNOWN_FLAGS,
    Nsec3Params,
    Nsec3Record,
    hash_refusal,
    hash_text,
    nsec3_hash,
    nsec3_records,
)
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

Chain = list[tuple[Nsec3Record, dns.rrset.RRset]]


def chains(zone: dns.zone.Zone) -> dict[Nsec3Params, Chain]:
    """The zone's NSEC3 records grouped by hash parameters: one chain per parameter set."""
    found: dict[Nsec3Params, Chain] = defaultdict(list)
    for name, node in zone.nodes.items():
        if node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.NSEC3) is None:
            continue
        rrset = rrset_at(zone, name, dns.rdatatype.NSEC3)
        assert rrset is not None
        for record in nsec3_records([rrset]):
            found[record.params].append((record, rrset))
    return dict(found)


def walk_nsec3(zone: dns.zone.Zone, names: ZoneNames, params: Nsec3Params, chain: Chain,
               verified: Verified | None = None) -> list[ChainProblem]:
    refusal = hash_refusal(params)
    if refusal is not None:
        unknown = params.algorithm not in HASH_LENGTHS
        return [ChainProblem(Severity.CRITICAL if unknown else Severity.ERROR,
                             f"the NSEC3 chain {params.text} is not walked: {refusal}")]
    problems: list[ChainProblem] = []
    by_hash: dict[bytes, tuple[Nsec3Record, dns.rrset.RRset]] = {}
    for record, rrset in chain:
        flaw = _malformed(record, names.apex, HASH_LENGTHS[params.algorithm])
        if flaw is not None:
            problems.append(ChainProblem(Severity.CRITICAL, flaw, (rrset,)))
            continue
        assert record.owner_hash is not None  # _malformed checked it
        by_hash[record.owner_hash] = (record, rrset)
    hashed = {nsec3_hash(name, params): name
              for name in (*names.authoritative, *sorted(names.empty_non_terminals))}
    ordered = sorted(by_hash)
    keys = zone_keys(zone)
    for index, digest in enumerate(ordered):
        record, rrset = by_hash[digest]
        if len(rrset) > 1:
            problems.append(ChainProblem(Severity.CRITICAL, f"{rrset.name} has {len(rrset)} "
                                         "NSEC3 records: the chain forks there", (rrset,)))
        following = ordered[(index + 1) % len(ordered)]
        if record.next_hash != following:
            problems.append(_broken_link(record, following, by_hash, ordered, hashed, rrset))
        name = hashed.get(digest)
        if name is None:
            problems.append(ChainProblem(Severity.CRITICAL,
                                         f"the NSEC3 record {rrset.name} matches the hash of no "
                                         "name of the zone (left over, or hashed wrongly): it "
                                         "says a name exists that does not", (rrset,)))
        else:
            bitmap = bitmap_problem("NSEC3", f"{rrset.name} ({name})", record.types,
                                    _expected_types(zone, names, name), (rrset,),
                                    at_cut=name in names.cuts)
            if bitmap is not None:
                problems.append(bitmap)
        problems += signature_problems(zone, rrset, keys, verified)
    problems += _missing_names(names, hashed, by_hash, ordered)
    return problems


def _malformed(record: Nsec3Record, apex: dns.name.Name, length: int) -> str | None:
    """Why validators ignore this record (RFC 5155 §8.1, §8.2), or None."""
    if record.owner == dns.name.root or record.owner.parent() != apex:
        return f"the NSEC3 record {record.owner} is not directly below the apex {apex}"
    if record.flags & ~KNOWN_FLAGS:
        return f"the NSEC3 record {record.owner} has unknown flags {record.flags}"
    if record.owner_hash is None or len(record.owner_hash) != length:
        return f"the NSEC3 record {record.owner}: its first label is not a {length}-octet hash"
    if len(record.next_hash) != length:
        return f"the NSEC3 record {record.owner}: its next hashed owner is not {length} octets"
    return None


def _expected_types(zone: dns.zone.Zone, names: ZoneNames, name: dns.name.Name
                    ) -> frozenset[int]:
    types = set(names.types.get(name, frozenset()))
    if zone.get_rdataset(name, dns.rdatatype.NSEC) is not None:
        types.add(dns.rdatatype.NSEC)  # a zone midway between NSEC and NSEC3
    if names.has_rrsig(name):
        types.add(dns.rdatatype.RRSIG)
    return frozenset(types)


def _broken_link(record: Nsec3Record, following: bytes,
                 by_hash: dict[bytes, tuple[Nsec3Record, dns.rrset.RRset]],
                 ordered: list[bytes], hashed: dict[bytes, dns.name.Name],
                 rrset: dns.rrset.RRset) -> ChainProblem:
    head = f"the NSEC3 record {rrset.name} points to {hash_text(record.next_hash)}"
    following_name = by_hash[following][1].name
    if record.next_hash not in by_hash:
        return ChainProblem(Severity.CRITICAL, f"{head}, which no NSEC3 record owns (the next "
                            f"record is {following_name}): the chain is broken there", (rrset,))
    assert record.owner_hash is not None
    skipped = strictly_between(ordered, record.owner_hash, record.next_hash)
    shown = ", ".join(f"{by_hash[d][1].name} ({hashed[d]})" if d in hashed
                      else str(by_hash[d][1].name) for d in skipped[:5])
    more = f" and {len(skipped) - 5} more" if len(skipped) > 5 else ""
    return ChainProblem(Severity.CRITICAL, f"{head}, skipping the record(s) {shown}{more}: "
                        "its span denies their names", (rrset,))


def _missing_names(names: ZoneNames, hashed: dict[bytes, dns.name.Name],
                   by_hash: dict[bytes, tuple[Nsec3Record, dns.rrset.RRset]],
                   ordered: list[bytes]) -> list[ChainProblem]:
    """Names without their NSEC3 record: a hole, unless an opt-out span leaves out an
    unsigned delegation, or an empty non-terminal derived only from unsigned delegations the
    chain leaves out as well (RFC 5155 §7.1)."""
    problems = []
    hash_of = {name: digest for digest, name in hashed.items()}
    for digest, name in sorted(hashed.items(), key=lambda item: item[1]):
        if digest in by_hash:
            continue
        # The record before the hash in the circle of hashes is the only one that may cover it.
        before = by_hash[ordered[bisect.bisect_left(ordered, digest) - 1]] if ordered else None
        cover = before if before is not None and before[0].covers(digest) else None
        what = f"{name} (hash {hash_text(digest)}) has no NSEC3 record"
        if cover is None:
            problems.append(ChainProblem(Severity.CRITICAL, f"{what}, and no record covers its "
                                         "hash"))
            continue
        record, rrset = cover
        if record.opt_out and name in names.insecure_cuts:
            continue
        chained = sorted(d for d in names.insecure_only_ents.get(name, ())
                         if hash_of[d] in by_hash)
        if record.opt_out and name in names.insecure_only_ents and not chained:
            continue
        if not record.opt_out:
            why = "the span has no opt-out flag"
        elif chained:
            why = (f"an opt-out span may leave out an empty non-terminal only when it leaves "
                   f"out the delegations below it too, and {chained[0]} has its NSEC3 record")
        else:
            why = "an opt-out span may leave out only unsigned delegations"
        problems.append(ChainProblem(Severity.CRITICAL,
                                     f"{what}: the span of {rrset.name} covers it "
                                     f"({why}), so validators would accept a denial of a name "
                                     "that exists", (rrset,)))
    return problems
