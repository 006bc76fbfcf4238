"""Signature expiry: expired, about to expire, shorter-lived than the cache, or than the SOA
EXPIRE timer; for servers that sign online, whether fresh signatures keep coming."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import dns.rdatatype

from ..analysis.evaluation import Evaluation
from ..analysis.signing_mode import ServerSigning, Window, signing_modes
from ..analysis.zone import (
    EVERY_QUESTION,
    SERVERS_ONLY,
    ServedRRset,
    served_rrsets,
)
from ..catalog import register
from ..dnssec.signatures import Crypto, SignatureCheck
from ..findings import Category, Finding, Severity
from ..probe.data import ZoneData
from ._common import days, trust_chain_findings, when


def effective_expiration(served: ServedRRset, now: float) -> int | None:
    """When the RRset stops validating: the latest expiration among the signatures that
    verify (a validator uses any one of them); among all of them if none verifies."""
    verified = [c for c in served.checks if c.crypto is Crypto.VALID]
    pool = verified or list(served.checks)
    return max((c.expiration(now) for c in pool), default=None)


def _carrying_signature(served: ServedRRset, now: float) -> SignatureCheck | None:
    """The signature that gives the RRset its effective expiration."""
    verified = [c for c in served.checks if c.crypto is Crypto.VALID]
    return max(verified or served.checks, key=lambda c: c.expiration(now), default=None)


def _own_expirations(zone: ZoneData, now: float) -> Iterator[tuple[ServedRRset, int]]:
    for served in served_rrsets(zone):
        expiration = effective_expiration(served, now)
        if expiration is not None:
            yield served, expiration


def renewing_signer(zone: ZoneData, served: ServedRRset, now: float) -> ServerSigning | None:
    """The server's signing mode when it signs online and renews this RRset's signature on
    its own (signing_mode.py), else None: then the signature counts down like a pre-signed
    one."""
    mode = signing_modes(zone).get(served.server)
    check = _carrying_signature(served, now)
    if mode is None or check is None or not mode.renews(served, check):
        return None
    return mode


def _unrenewed_note(zone: ZoneData, served: ServedRRset, now: float) -> str:
    """For a signature an online signer serves without renewing it: say so."""
    mode = signing_modes(zone).get(served.server)
    check = _carrying_signature(served, now)
    if mode is None or not mode.online or check is None:
        return ""
    window = Window(check.label, check.inception(now), check.expiration(now))
    return ("; the server signs online (EXPIRY05 says how it shows) but did not renew this "
            f"signature: {window.describe(mode.served_at)} when served")


@register(id="EXPIRY01", name="rrsig-expiry", category=Category.EXPIRED_RRSIG,
          title="No RRSIG has expired or expires within the thresholds",
          severity=Severity.CRITICAL, rfc="RFC 4034 §3.1.5, RFC 4035 §5.3.1", marker="expiry",
          codes=("earliest-expiry", "expired", "expired-and-served", "expires-critical",
                 "expires-soon", "renewed-online"), merge=True, unusable=EVERY_QUESTION)
def rrsig_expiry(zone: ZoneData, ev: Evaluation) -> list[Finding]:
    """Every RRset of the zone (SOA, DNSKEY, NS, the configured records, the NSEC/NSEC3 records
    of a negative answer) at every authoritative server must carry a signature that is still
    valid, and that stays valid beyond the warning and critical thresholds. An expired
    signature makes the RRset bogus: validating resolvers answer SERVFAIL. The days-left figure
    is the earliest across servers. For data the parent serves (the DS RRset, the ancestors'
    keys) only an expired signature is reported: the parent re-signs on its own schedule.

    A server that signs online (each answer signed when it is sent: told from its answers,
    or `signing: online`) renews its signatures itself: a signature it serves in the first
    half of its window is not counted down (its signer is judged by EXPIRY05), only one
    served already expired is reported. A signature it serves past the middle of its window
    without renewing it (a stuck signature cache, a window that stopped sliding) counts
    down like a pre-signed one.

    Remediation: re-sign the zone (or fix the signer that stopped re-signing: check its logs,
    its key files and its cron/timer) and make sure every secondary transfers the new version.
    For an online signer whose signatures are not renewed, restart or fix it (its clock, its
    signature cache, its access to the keys) or ask its provider.
    """
    now = ev.now
    thresholds = ev.thresholds
    findings: list[Finding] = []
    earliest: tuple[float, ServedRRset] | None = None
    renewing: dict[str, ServerSigning] = {}
    for served, expiration in _own_expirations(zone, now):
        evidence = served.exchange.evidence
        signer = renewing_signer(zone, served, now)
        if signer is not None:
            # judged as served: later, the signer will have made new signatures
            served_at = min(now, signer.served_at)
            if expiration < served_at:
                late = days(served_at - expiration)
                findings.append(Finding(Severity.CRITICAL,
                                        f"{served.label} RRSIG expired {late:.1f} days ago "
                                        f"({when(expiration)}) and was served so by an online "
                                        "signer", str(served.server), evidence, -late,
                                        code="expired-and-served"))
            else:
                renewing[str(served.server)] = signer
            continue
        left = days(expiration - now)
        if earliest is None or left < earliest[0]:
            earliest = (left, served)
        if expiration < now:
            findings.append(Finding(Severity.CRITICAL,
                                    f"{served.label} RRSIG expired {-left:.1f} days ago "
                                    f"({when(expiration)})", str(served.server), evidence, left,
                                    code="expired"))
        elif left <= thresholds.critical_days:
            findings.append(Finding(Severity.CRITICAL,
                                    f"{served.label} RRSIG expires in {left:.1f} days "
                                    f"({when(expiration)}), within the critical threshold of "
                                    f"{thresholds.critical_days:g} days"
                                    + _unrenewed_note(zone, served, now),
                                    str(served.server), evidence, left, code="expires-critical"))
        elif left <= thresholds.warning_days:
            findings.append(Finding(Severity.WARNING,
                                    f"{served.label} RRSIG expires in {left:.1f} days "
                                    f"({when(expiration)}), within the warning threshold of "
                                    f"{thresholds.warning_days:g} days"
                                    + _unrenewed_note(zone, served, now),
                                    str(served.server), evidence, left, code="expires-soon"))
    for server, signer in renewing.items():
        findings.append(Finding(Severity.INFO,
                                f"{signer.how}: its signatures are renewed as answers are "
                                "sent, so days left are not counted down (EXPIRY05 judges "
                                "the signer)", server, signer.dig, code="renewed-online"))
    findings.extend(trust_chain_findings(Category.EXPIRED_RRSIG, zone, ev))
    if earliest is not None and not any(f.severity > Severity.INFO for f in findings):
        left, served = earliest
        findings.append(Finding(Severity.INFO,
                                f"earliest signature expiry in {left:.1f} days ({served.label})",
                                str(served.server), served.exchange.evidence, left,
                                code="earliest-expiry"))
    return findings


@register(id="EXPIRY02", name="validity-shorter-than-ttl", category=Category.EXPIRED_RRSIG,
          title="Signatures outlive the TTL of the RRsets they cover",
          severity=Severity.CRITICAL, rfc="RFC 4035 §5.3.3", marker="expiry",
          codes=("shorter-than-ttl",), merge=True, unusable=EVERY_QUESTION)
def validity_shorter_than_ttl(zone: ZoneData, ev: Evaluation) -> list[Finding]:
    """A resolver may cache an RRset for its whole TTL. When the remaining validity of its
    signature is shorter than that TTL, an RRset fetched now is still handed out after the
    signature has expired, and validators that re-check (or caches that do not cap the TTL as
    RFC 4035 §5.3.3 asks) fail: the zone's re-signing margin is smaller than its TTLs.

    Remediation: re-sign with a longer signature validity or a larger refresh margin (at least
    the largest TTL plus the time secondaries need), or lower the TTLs.
    """
    findings = []
    for served, expiration in _own_expirations(zone, ev.now):
        signer = renewing_signer(zone, served, ev.now)
        # an online signer's signature is judged as served: by then it has made new ones
        moment = ev.now if signer is None else min(ev.now, signer.served_at)
        remaining = expiration - moment
        if 0 <= remaining < served.rrset.ttl:
            findings.append(Finding(
                Severity.CRITICAL,
                f"{served.label} RRSIG expires in {remaining / 3600:.1f} h, sooner than the "
                f"RRset's TTL of {served.rrset.ttl} s ({served.rrset.ttl / 3600:.1f} h)",
                str(served.server), served.exchange.evidence, code="shorter-than-ttl"))
    return findings


@register(id="EXPIRY03", name="expires-before-soa-expire", category=Category.EXPIRED_RRSIG,
          title="Signatures outlive the SOA EXPIRE timer", severity=Severity.WARNING,
          rfc="RFC 1035 §3.3.13, RFC 6781 §4.4.2", marker="expiry",
          codes=("before-soa-expire",), merge=True)
def expires_before_soa_expire(zone: ZoneData, ev: Evaluation) -> list[Finding]:
    """A secondary cut off from its primary keeps serving the zone until the SOA EXPIRE timer
    runs out. If the signatures expire sooner, it serves dead signatures in the meantime.
    Reported as information, or as a warning with `thresholds.warn_before_soa_expire: true`.
    Signatures an online signer renews are left out: it signs when it answers, and no copy
    of the zone outlives it with old signatures.

    Remediation: make the signature validity (minus the re-signing margin) longer than the SOA
    EXPIRE value, or lower EXPIRE.
    """
    severity = Severity.WARNING if ev.thresholds.warn_before_soa_expire else Severity.INFO
    earliest: dict[str, tuple[int, ServedRRset]] = {}
    soa_expire: dict[str, tuple[int, Callable[[], str]]] = {}
    for served, expiration in _own_expirations(zone, ev.now):
        server = str(served.server)
        if renewing_signer(zone, served, ev.now) is not None:
            continue
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
                severity,
                f"{served.label} RRSIG expires in {days(remaining):.1f} days, before the SOA "
                f"EXPIRE timer of {days(expire):.1f} days", server, evidence,
                                    code="before-soa-expire"))
    return findings


def _largest_ttl(zone: ZoneData, server: str) -> int:
    return max((s.rrset.ttl for s in served_rrsets(zone) if str(s.server) == server),
               default=0)


@register(id="EXPIRY05", name="online-signer-renews", category=Category.EXPIRED_RRSIG,
          title="An online signer keeps making signatures that outlive what resolvers cache",
          severity=Severity.CRITICAL, rfc="RFC 4035 §5.3.1, §5.3.3; RFC 6781 §4.4.2",
          marker="expiry",
          codes=("no-signature-seen", "signer-stopped", "signing-mode", "window-outlives-ttl",
                 "window-shorter-than-ttl"), merge=True, unusable=SERVERS_ONLY)
def online_signer_renews(zone: ZoneData, ev: Evaluation) -> list[Finding]:
    """A server that signs each answer when it sends it (told per server from its answers: a
    denial made for the suite's random name, a SOA signature that changes when asked again;
    or `signing: online`) has short signature windows that move with the clock, so days left
    say nothing. What matters is that fresh signatures keep coming: the ones made for the
    suite's own queries must expire later than the largest TTL of the zone's RRsets (or a
    resolver caches an answer longer than its signature lives: critical), and their window
    must track the clock: seen sliding between two looks, or with more of it ahead than
    behind. A window that stopped sliding (a frozen clock, a signer stuck on an old window)
    counts down from then on: within the critical threshold it is critical, within the
    warning threshold a warning. Each server's mode and what showed it is listed as
    information; pre-signed servers are EXPIRY01's.

    Remediation: restart or fix the online signer (its clock and NTP, its key store, its
    signature cache); with a provider, open a ticket with the evidence. If the server is in
    fact pre-signed, say `signing: presigned` for the domain.
    """
    findings = []
    for server, mode in signing_modes(zone).items():
        label = str(server)
        if not mode.online:
            if mode.declared is not None or mode.evidence:
                findings.append(Finding(Severity.INFO, mode.how, label, mode.dig,
                                        code="signing-mode"))
            continue
        findings += _fresh_window_findings(zone, ev, mode, label)
    return findings


def _fresh_window_findings(zone: ZoneData, ev: Evaluation, mode: ServerSigning, label: str
                           ) -> list[Finding]:
    at = mode.served_at
    windows = list(mode.fresh) or _served_soa_windows(zone, mode)
    if not windows:
        return [Finding(Severity.INFO,
                        f"{mode.how}; no signature seen to judge its window by", label,
                        mode.dig, code="no-signature-seen")]
    fresh = max(windows, key=lambda w: w.expiration)
    ttl = _largest_ttl(zone, label)
    what = "signatures made for this query" if mode.fresh else "its current signatures"
    described = f"{what}: {fresh.describe(at)} ({fresh.label})"
    if fresh.remaining(at) < ttl:
        return [Finding(Severity.CRITICAL,
                        f"the online signer's {described}: sooner than the largest TTL "
                        f"({ttl} s), so resolvers keep answers longer than their signatures "
                        "live", label, mode.dig, days_left=days(fresh.remaining(at)),
                        code="window-shorter-than-ttl")]
    if mode.slides or fresh.in_first_half(at):
        return [Finding(Severity.INFO,
                        f"{mode.how}; {described}: fresh signatures outlive the TTL "
                        f"({ttl} s)", label, mode.dig, code="window-outlives-ttl")]
    left = days(fresh.expiration - ev.now)
    stopped = (f"the online signer's window is not moving with the clock: {described}, "
               f"past the middle of its window and not seen sliding ({mode.how})")
    if left <= ev.thresholds.critical_days:
        severity, why = Severity.CRITICAL, f"within the critical threshold of " \
            f"{ev.thresholds.critical_days:g} days"
    elif left <= ev.thresholds.warning_days:
        severity, why = Severity.WARNING, f"within the warning threshold of " \
            f"{ev.thresholds.warning_days:g} days"
    else:
        severity, why = Severity.INFO, "(weekly windows?)"
    return [Finding(severity, f"{stopped}; {left:.1f} days left, {why}", label,
                    mode.dig, days_left=left, code="signer-stopped")]


def _served_soa_windows(zone: ZoneData, mode: ServerSigning) -> list[Window]:
    """Without a signature proven fresh (a server declared online that showed nothing): the
    apex SOA's signatures as it served them."""
    windows = []
    for served in served_rrsets(zone):
        if served.server == mode.server and served.rrset.rdtype == dns.rdatatype.SOA:
            windows += [Window(c.label, c.inception(mode.served_at),
                               c.expiration(mode.served_at)) for c in served.checks]
    return windows
