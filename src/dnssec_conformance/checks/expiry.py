"""Signature expiry: expired, about to expire, shorter-lived than the cache, or than the SOA
EXPIRE timer."""

from __future__ import annotations

from collections.abc import Iterator

import dns.rdatatype

from ..analysis import (
    ServedRRset,
    chain_verdicts,
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
from ._common import chain_findings, days, when


def effective_expiration(served: ServedRRset, now: float) -> int | None:
    """When the RRset stops validating: the latest expiration among the signatures that
    verify (a validator uses any one of them); among all of them if none verifies."""
    verified = [c for c in served.checks if c.crypto is Crypto.VALID]
    pool = verified or list(served.checks)
    return max((c.expiration(now) for c in pool), default=None)


def _own_expirations(zone: ZoneData, now: float) -> Iterator[tuple[ServedRRset, int]]:
    for served in served_rrsets(zone):
        expiration = effective_expiration(served, now)
        if expiration is not None:
            yield served, expiration


@register(id="EXPIRY01", name="rrsig-expiry", category=Category.EXPIRED_RRSIG,
          title="No RRSIG has expired or expires within the thresholds",
          severity=Severity.CRITICAL, rfc="RFC 4034 §3.1.5, RFC 4035 §5.3.1", marker="expiry")
def rrsig_expiry(zone: ZoneData, ev: Evaluation) -> Iterator[Finding]:
    """Every RRset of the zone (SOA, DNSKEY, NS, the configured records, the NSEC/NSEC3 records
    of a negative answer) at every authoritative server must carry a signature that is still
    valid, and that stays valid beyond the warning and critical thresholds. An expired
    signature makes the RRset bogus: validating resolvers answer SERVFAIL. The days-left figure
    is the earliest across servers. For data the parent serves (the DS RRset, the ancestors'
    keys) only an expired signature is reported: the parent re-signs on its own schedule.

    Remediation: re-sign the zone (or fix the signer that stopped re-signing: check its logs,
    its key files and its cron/timer) and make sure every secondary transfers the new version.
    """
    now = ev.now
    thresholds = ev.thresholds
    findings: list[Finding] = []
    earliest: tuple[float, ServedRRset] | None = None
    for served, expiration in _own_expirations(zone, now):
        left = days(expiration - now)
        if earliest is None or left < earliest[0]:
            earliest = (left, served)
        evidence = served.exchange.evidence
        if expiration < now:
            findings.append(Finding("EXPIRY01", Severity.CRITICAL,
                                    f"{served.label} RRSIG expired {-left:.1f} days ago "
                                    f"({when(expiration)})", str(served.server), evidence, left))
        elif left <= thresholds.critical_days:
            findings.append(Finding("EXPIRY01", Severity.CRITICAL,
                                    f"{served.label} RRSIG expires in {left:.1f} days "
                                    f"({when(expiration)}), within the critical threshold of "
                                    f"{thresholds.critical_days:g} days",
                                    str(served.server), evidence, left))
        elif left <= thresholds.warning_days:
            findings.append(Finding("EXPIRY01", Severity.WARNING,
                                    f"{served.label} RRSIG expires in {left:.1f} days "
                                    f"({when(expiration)}), within the warning threshold of "
                                    f"{thresholds.warning_days:g} days",
                                    str(served.server), evidence, left))
    for entry in parent_ds(zone, ev):
        if entry.verdict.category is Category.EXPIRED_RRSIG:
            findings.append(Finding("EXPIRY01", Severity.CRITICAL, entry.verdict.message,
                                    str(entry.server), entry.verdict.evidence))
    findings.extend(chain_findings("EXPIRY01", Category.EXPIRED_RRSIG, chain_verdicts(zone, ev)))
    if earliest is not None and not any(f.severity > Severity.INFO for f in findings):
        left, served = earliest
        findings.append(Finding("EXPIRY01", Severity.INFO,
                                f"earliest signature expiry in {left:.1f} days ({served.label})",
                                str(served.server), served.exchange.evidence, left))
    yield from merge_servers(findings)
    yield from unusable_servers(zone, "EXPIRY01")


@register(id="EXPIRY02", name="validity-shorter-than-ttl", category=Category.EXPIRED_RRSIG,
          title="Signatures outlive the TTL of the RRsets they cover",
          severity=Severity.CRITICAL, rfc="RFC 4035 §5.3.3", marker="expiry")
def validity_shorter_than_ttl(zone: ZoneData, ev: Evaluation) -> Iterator[Finding]:
    """A resolver may cache an RRset for its whole TTL. When the remaining validity of its
    signature is shorter than that TTL, an RRset fetched now is still handed out after the
    signature has expired, and validators that re-check (or caches that do not cap the TTL as
    RFC 4035 §5.3.3 asks) fail: the zone's re-signing margin is smaller than its TTLs.

    Remediation: re-sign with a longer signature validity or a larger refresh margin (at least
    the largest TTL plus the time secondaries need), or lower the TTLs.
    """
    findings = []
    for served, expiration in _own_expirations(zone, ev.now):
        remaining = expiration - ev.now
        if 0 <= remaining < served.rrset.ttl:
            findings.append(Finding(
                "EXPIRY02", Severity.CRITICAL,
                f"{served.label} RRSIG expires in {remaining / 3600:.1f} h, sooner than the "
                f"RRset's TTL of {served.rrset.ttl} s ({served.rrset.ttl / 3600:.1f} h)",
                str(served.server), served.exchange.evidence))
    yield from merge_servers(findings)
    yield from unusable_servers(zone, "EXPIRY02")


@register(id="EXPIRY03", name="expires-before-soa-expire", category=Category.EXPIRED_RRSIG,
          title="Signatures outlive the SOA EXPIRE timer", severity=Severity.WARNING,
          rfc="RFC 1035 §3.3.13, RFC 6781 §4.4.2", marker="expiry")
def expires_before_soa_expire(zone: ZoneData, ev: Evaluation) -> Iterator[Finding]:
    """A secondary cut off from its primary keeps serving the zone until the SOA EXPIRE timer
    runs out. If the signatures expire sooner, it serves dead signatures in the meantime.
    Reported as information, or as a warning with `thresholds.warn_before_soa_expire: true`.

    Remediation: make the signature validity (minus the re-signing margin) longer than the SOA
    EXPIRE value, or lower EXPIRE.
    """
    severity = Severity.WARNING if ev.thresholds.warn_before_soa_expire else Severity.INFO
    earliest: dict[str, tuple[int, ServedRRset]] = {}
    soa_expire: dict[str, tuple[int, str]] = {}
    for served, expiration in _own_expirations(zone, ev.now):
        server = str(served.server)
        if server not in earliest or expiration < earliest[server][0]:
            earliest[server] = (expiration, served)
        if served.rrset.rdtype == dns.rdatatype.SOA:
            soa_expire[server] = (served.rrset[0].expire, served.exchange.evidence)
    findings = []
    for server, (expiration, served) in earliest.items():
        if server not in soa_expire:
            continue
        expire, evidence = soa_expire[server]
        remaining = expiration - ev.now
        if 0 <= remaining < expire:
            findings.append(Finding(
                "EXPIRY03", severity,
                f"{served.label} RRSIG expires in {days(remaining):.1f} days, before the SOA "
                f"EXPIRE timer of {days(expire):.1f} days", server, evidence))
    yield from merge_servers(findings)
