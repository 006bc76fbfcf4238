"""Helpers shared by the check modules."""

from __future__ import annotations

import dns.name

from ..analysis.evaluation import Evaluation
from ..analysis.zone import chain_verdicts, parent_ds
from ..dnssec.chain import Verdict
from ..dnssec.signatures import SECONDS_PER_DAY
from ..findings import Category, Finding, Security, Severity
from ..probe.data import ZoneData
from ..times import utc_text

when = utc_text


def days(seconds: float) -> float:
    return seconds / SECONDS_PER_DAY


def chain_findings(category: Category,
                   verdicts: list[tuple[dns.name.Name, Verdict]]) -> list[Finding]:
    """Failures above the zone (an ancestor or the parent's DS) in this check's category."""
    findings = []
    for apex, verdict in verdicts:
        if verdict.security is Security.BOGUS and verdict.category is category:
            findings.append(Finding(Severity.CRITICAL,
                                    f"the chain of trust breaks above the zone, at {apex}: "
                                    f"{verdict.message}", evidence=verdict.evidence,
                                    code="broken-above"))
            break  # below the first break everything is bogus for the same reason
    return findings


def trust_chain_findings(category: Category, zone: ZoneData,
                         ev: Evaluation) -> list[Finding]:
    """What the parent's DS (at each parent server) and the chain above it break in this
    check's category: each is critical, since validators fail the zone from there down."""
    findings = [Finding(Severity.CRITICAL, entry.verdict.message, str(entry.server),
                        entry.verdict.evidence, code="parent-ds-broken")
                for entry in parent_ds(zone, ev) if entry.verdict.category is category]
    return findings + chain_findings(category, chain_verdicts(zone, ev))
