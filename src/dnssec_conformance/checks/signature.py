"""Signatures that verify: every RRset of a signed zone carries an RRSIG that checks out."""

from __future__ import annotations

from collections.abc import Iterator

import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from ..analysis.evaluation import Evaluation
from ..analysis.zone import (
    DENIAL_TYPES,
    EVERY_QUESTION,
    chain_verdicts,
    is_signed,
    merge_servers,
    parent_ds,
    served_rrsets,
    unusable_servers,
)
from ..catalog import register
from ..dnssec.signatures import Crypto
from ..dnssec.zonetree import rrset_of
from ..findings import Category, Evidence, Finding, Severity
from ..probe.data import ZoneData
from ._common import chain_findings


@register(id="SIG01", name="rrsig-verifies", category=Category.BAD_SIGNATURE,
          title="Every RRset carries an RRSIG that verifies with a published key",
          severity=Severity.CRITICAL, rfc="RFC 4035 §5.3, RFC 4034 §3.1", marker="chain")
def rrsig_verifies(zone: ZoneData, ev: Evaluation) -> Iterator[Finding]:
    """Each RRset of a signed zone (NSEC and NSEC3 records aside: DENIAL05 checks those)
    must carry at least one RRSIG that verifies
    cryptographically with a key of the zone's DNSKEY RRset, whatever its validity dates
    (those are the expiry checks' business). An RRset with no RRSIG, signed only by a key that
    is not published, or whose only signatures do not verify (a corrupted signature, data
    changed after signing, a signer bug) is bogus. A failing signature beside one that
    verifies is a warning: validators try the next one.

    Remediation: re-sign the zone from its unsigned source with the published keys; look for
    whatever edits the signed zone after signing (a post-processing script, a broken transfer).
    """
    findings: list[Finding] = []
    if is_signed(zone):
        for served in served_rrsets(zone):
            if served.rrset.rdtype in DENIAL_TYPES:
                continue  # a bad signature on a denial record is the denial checks' (DENIAL05)
            verified = [c for c in served.checks if c.crypto is Crypto.VALID]
            if not served.checks:
                findings.append(Finding("SIG01", Severity.CRITICAL,
                                        f"{served.label} has no RRSIG in a signed zone",
                                        str(served.server), served.exchange.evidence()))
                continue
            severity = Severity.WARNING if verified else Severity.CRITICAL
            for check in served.checks:
                if check.crypto is Crypto.INVALID:
                    findings.append(Finding("SIG01", severity,
                                            f"{check.label} does not verify",
                                            str(served.server), served.exchange.evidence()))
                elif check.crypto is Crypto.NO_KEY:
                    findings.append(Finding(
                        "SIG01", Severity.INFO if verified else Severity.CRITICAL,
                        f"{check.label}: no DNSKEY with key tag {check.rrsig.key_tag} is "
                        "published", str(served.server), served.exchange.evidence()))
    for entry in parent_ds(zone, ev):
        if entry.verdict.category is Category.BAD_SIGNATURE:
            findings.append(Finding("SIG01", Severity.CRITICAL, entry.verdict.message,
                                    str(entry.server), entry.verdict.evidence))
    findings.extend(chain_findings("SIG01", Category.BAD_SIGNATURE, chain_verdicts(zone, ev)))
    yield from merge_servers(findings)
    yield from unusable_servers(zone, "SIG01", EVERY_QUESTION)


@register(id="SIG03", name="rrsig-fits-rrset", category=Category.BAD_SIGNATURE,
          title="No RRSIG signs an RRSIG, and no RRset's TTL exceeds its RRSIG's original TTL",
          severity=Severity.WARNING, rfc="RFC 4035 §2.2, RFC 4034 §3.1.4, RFC 4035 §5.3.3",
          marker="chain")
def rrsig_fits_rrset(zone: ZoneData, ev: Evaluation) -> Iterator[Finding]:
    """An RRSIG states the TTL the RRset had when it was signed (its Original TTL, RFC 4034
    §3.1.4). An RRset served with a longer TTL, the zone's own or the DS at the parent, was
    changed after signing: validators cache it no longer than the original TTL (RFC 4035
    §5.3.3), so the TTL the operator set is not the one in force. And RRSIG records are
    never signed themselves (RFC 4035 §2.2): an RRSIG covering type RRSIG is a signer bug
    that validators ignore. Both are warnings; a signature that does not verify is SIG01's.

    Remediation: set TTLs in the unsigned zone and re-sign, rather than editing the signed
    file (or the parent's DS TTL without re-signing); find the step that signs RRSIG records
    and remove it.
    """
    assert zone.apex is not None
    findings = []
    for served in served_rrsets(zone):
        finding = _ttl_above_original(served.rrset, served.rrsigs, served.label,
                                      str(served.server), served.exchange.evidence)
        if finding is not None:
            findings.append(finding)
    for entry in parent_ds(zone, ev):
        rrsigs = entry.exchange.signatures(dns.rdatatype.DS, zone.apex)
        if entry.rrset is not None:
            finding = _ttl_above_original(entry.rrset, rrsigs, f"{zone.apex} DS",
                                          str(entry.server), entry.exchange.evidence)
            if finding is not None:
                findings.append(finding)
    for owner, server, evidence in _signed_rrsigs(zone):
        findings.append(Finding("SIG03", Severity.WARNING,
                                f"an RRSIG at {owner} covers type RRSIG: RRSIG records are "
                                "never signed (RFC 4035 §2.2), validators ignore it", server,
                                evidence))
    yield from merge_servers(findings)
    yield from unusable_servers(zone, "SIG03")


def _ttl_above_original(rrset: dns.rrset.RRset, rrsigs: dns.rrset.RRset | None, label: str,
                        server: str, evidence: Evidence) -> Finding | None:
    # `evidence` may be the exchange's renderer: rendered only for an RRset that is reported
    originals = sorted({r.original_ttl for r in rrsigs or () if r.original_ttl < rrset.ttl})
    if not originals:
        return None
    stated = ", ".join(str(t) for t in originals)
    return Finding("SIG03", Severity.WARNING,
                   f"{label} has TTL {rrset.ttl}, above the original TTL {stated} its RRSIG "
                   f"states: validators cache it for {originals[0]} s at most (changed "
                   "after signing?)", server, evidence)


def _signed_rrsigs(zone: ZoneData) -> list[tuple[dns.name.Name, str, str]]:
    """Where an RRSIG covers type RRSIG: in the answers, and anywhere in a zone file."""
    found: dict[dns.name.Name, tuple[dns.name.Name, str, str]] = {}
    for answers in zone.usable_answers():
        for exchange in (*answers.exchanges.values(), answers.nonexistent, answers.nodata):
            response = exchange.response if exchange is not None else None
            for rrset in (*response.answer, *response.authority) if response else ():
                if rrset.rdtype == dns.rdatatype.RRSIG and rrset.covers == dns.rdatatype.RRSIG:
                    assert exchange is not None
                    found.setdefault(rrset.name, (rrset.name, str(answers.server),
                                                  exchange.evidence()))
    if zone.file_content is not None and zone.servers:
        for owner, node in zone.file_content.nodes.items():
            rdataset = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.RRSIG,
                                         dns.rdatatype.RRSIG)
            if rdataset is not None:
                found.setdefault(owner, (owner, str(zone.servers[0]),
                                         f"{rrset_of(owner, rdataset).to_text()}"))
    return list(found.values())
