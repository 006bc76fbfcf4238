"""The whole denial chain of a zone file (file mode only): every name, every link, every
bitmap and every signature of the NSEC or NSEC3 chain, where a live check can only sample."""

from __future__ import annotations

from collections.abc import Iterator

from ..analysis.evaluation import Evaluation
from ..analysis.zone import DENIAL_TYPES, served_rrsets
from ..catalog import register
from ..dnssec.authoritative import file_responder
from ..dnssec.walk import ChainWalk, walk_denial_chains
from ..errors import NotApplicable
from ..findings import Category, Finding, Severity
from ..probe.data import ZoneData, memoized

# A broken signer can break every link: the first problems say what happened.
MAX_REPORTED = 25


@register(id="DENIAL10", name="denial-chain-complete", category=Category.DENIAL,
          title="The zone file's whole NSEC/NSEC3 chain is complete, closed and true to its "
                "names", severity=Severity.CRITICAL,
          rfc="RFC 4035 §2.3, RFC 4034 §4.1, RFC 5155 §7.1, §8", marker="denial")
def denial_chain_complete(zone: ZoneData, ev: Evaluation) -> Iterator[Finding]:
    """A zone file (`zone_file:` in domains.yaml) is walked end to end, as `ldns-verify-zone`
    and `dnssec-verify` do. NSEC (RFC 4035 §2.3): every name with authoritative data and
    every delegation point has one NSEC record, each points to the next name in canonical
    order and the last back to the apex, names below a zone cut have none, and each bitmap
    lists exactly the types at its name plus NSEC and RRSIG. NSEC3 (RFC 5155 §7.1): every
    such name and every empty non-terminal, hashed with the chain's parameters, has its
    NSEC3 record, except unsigned delegations (and the empty non-terminals only they make)
    inside an opt-out span; the records link in hash order and close the loop, and each
    bitmap lists the types at its name. Every chain record carries an RRSIG that verifies
    with the zone's keys (validity dates are EXPIRY01's). A name the chain skips is a name
    validators would accept a denial of; a bitmap that lacks a type lets an attacker deny
    records that exist. The live negative-answer checks (DENIAL01-09) see only the records
    their probes get back, so a hole elsewhere shows only here. Live zones: skipped.

    Remediation: re-sign the zone from its unsigned source with a full (not incremental)
    signing run, and do not edit the signed file afterwards; check the signer's output with
    `ldns-verify-zone` or `dnssec-verify` before publishing it.
    """
    if zone.source != "file" or zone.file_content is None:
        raise NotApplicable("for zone files only (zone_file: in domains.yaml): a live zone's "
                            "chain can only be sampled (DENIAL03-05)")
    walk: ChainWalk = memoized(zone, "denial_chain_walk", lambda: _walk(zone))
    server = str(zone.servers[0]) if zone.servers else None
    if not walk.signed:
        yield Finding("DENIAL10", Severity.INFO, "the zone file is unsigned: no denial chain "
                      "to walk", server)
        return
    for problem in walk.problems[:MAX_REPORTED]:
        yield Finding("DENIAL10", problem.severity, problem.message, server, problem.evidence)
    hidden = walk.problems[MAX_REPORTED:]
    if hidden:
        worst = max(p.severity for p in hidden)
        yield Finding("DENIAL10", worst, f"{len(hidden)} more problems in the denial chain "
                      "(the first ones are listed)", server)
    if all(p.severity is Severity.INFO for p in walk.problems):
        yield Finding("DENIAL10", Severity.INFO, f"{', '.join(walk.walked)} chain complete: "
                      f"{walk.names} names walked", server)


def _walk(zone: ZoneData) -> ChainWalk:
    """The walk, on the responder's view of the zone, reusing the signatures the whole-file
    checks verified."""
    assert zone.file_content is not None
    verified = {(s.rrset.name, int(s.rrset.rdtype)): s.checks for s in served_rrsets(zone)
                if s.rrset.rdtype in DENIAL_TYPES and s.server in zone.servers}
    return walk_denial_chains(zone.file_content, file_responder(zone).tree, verified)
