"""Clock skew: signatures from the future mean the signer's clock runs ahead."""

from __future__ import annotations

from collections.abc import Iterator

from ..analysis.evaluation import Evaluation
from ..analysis.zone import EVERY_QUESTION, served_rrsets
from ..catalog import RunData, register
from ..dnssec.signatures import Crypto
from ..errors import NotApplicable
from ..findings import Category, Finding, Severity
from ..probe.data import ZoneData
from ._common import trust_chain_findings, when

CLOCK_SUBJECT = "local-clock"  # the `domain` of CLOCK02's record in results.json


@register(id="CLOCK01", name="rrsig-inception-future", category=Category.CLOCK_SKEW,
          title="No RRSIG has an inception time in the future",
          severity=Severity.CRITICAL, rfc="RFC 4035 §5.3.1, RFC 6781 §4.4.2.2", marker="clock",
          codes=("inception-in-future",), merge=True, unusable=EVERY_QUESTION)
def rrsig_inception_future(zone: ZoneData, ev: Evaluation) -> list[Finding]:
    """A signature is not valid before its inception time. Inception ahead of now means the
    signer's clock runs ahead (or ours runs behind: see the NTP check): validators with an
    accurate clock reject the RRset until then. Beyond the tolerance
    (`clock.skew_tolerance_s`, default 1 h) it is critical unless another signature of the
    RRset is valid now; within it a warning, since validators allow some skew.

    Remediation: fix the signer host's time synchronisation (NTP), and have the signer
    backdate inception (e.g. BIND's `sig-validity-interval`, OpenDNSSEC's `<InceptionOffset>`).
    """
    now = ev.now
    tolerance = ev.clock.skew_tolerance_s
    findings = []
    for served in served_rrsets(zone):
        usable_now = any(c.crypto is Crypto.VALID and c.current(now) for c in served.checks)
        for check in served.checks:
            ahead = check.inception(now) - now
            if ahead <= 0:
                continue
            if ahead > tolerance and not usable_now:
                severity = Severity.CRITICAL
            else:
                severity = Severity.WARNING
            findings.append(Finding(
                severity,
                f"{check.label} has its inception {ahead / 60:.0f} min in the future "
                f"({when(check.inception(now))}); tolerance {tolerance / 60:.0f} min",
                str(served.server), served.exchange.evidence(), code="inception-in-future"))
    findings.extend(trust_chain_findings(Category.CLOCK_SKEW, zone, ev))
    return findings


@register(id="CLOCK02", name="local-clock-offset", category=Category.CLOCK_SKEW,
          title="This host's clock agrees with the NTP reference",
          severity=Severity.CRITICAL, rfc="RFC 5905, RFC 4035 §5.3.1", marker="clock",
          scope="run", subject=CLOCK_SUBJECT,
          codes=("clock-in-sync", "clock-offset", "ntp-unusable"))
def local_clock_offset(run: RunData, ev: Evaluation) -> Iterator[Finding]:
    """Every time-based verdict of the run (expired, expiring, not yet valid) is taken
    against this host's clock. It is compared with the NTP server of `clock.ntp`: an offset
    beyond `clock.max_offset_s` (default 60 s) makes those verdicts unreliable and is
    critical. An NTP server that cannot be reached is a warning: the run goes on, trusting
    the local clock. Without `clock.ntp` the check is skipped.

    Remediation: fix the time synchronisation of the host (or of the Kubernetes node) that
    runs the suite (chrony/systemd-timesyncd), or point `clock.ntp` at a reachable server.
    """
    reading = run.clock
    if reading is None:
        raise NotApplicable("no NTP server configured (clock.ntp): the local clock is unchecked")
    if reading.offset_s is None:
        yield Finding(Severity.WARNING,
                      f"NTP server {reading.server} could not be used: {reading.failure}; "
                      "the local clock is trusted unchecked", reading.server, reading.evidence(),
                      code="ntp-unusable")
        return
    offset, limit = reading.offset_s, ev.clock.max_offset_s
    if abs(offset) > limit:
        direction = "behind" if offset > 0 else "ahead of"
        yield Finding(Severity.CRITICAL,
                      f"the local clock is {abs(offset):.1f} s {direction} {reading.server} "
                      f"(limit {limit:g} s): every expiry and inception verdict is off by "
                      "as much", reading.server, reading.evidence(), code="clock-offset")
    else:
        yield Finding(Severity.INFO,
                      f"the local clock is within {abs(offset):.3f} s of {reading.server}",
                      reading.server, reading.evidence(), code="clock-in-sync")
