"""Signatures that verify: every RRset of a signed zone carries an RRSIG that checks out."""

from __future__ import annotations

from collections.abc import Iterator

from ..analysis import (
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
from ..collect import ZoneData
from ..context import Evaluation
from ..findings import Category, Finding, Severity
from ..signatures import Crypto
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
