"""Helpers shared by the check modules."""

from __future__ import annotations

import datetime

import dns.name

from ..dnssec.chain import Verdict
from ..dnssec.signatures import SECONDS_PER_DAY
from ..findings import Category, Finding, Security, Severity


def when(timestamp: float) -> str:
    moment = datetime.datetime.fromtimestamp(timestamp, datetime.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%SZ")


def days(seconds: float) -> float:
    return seconds / SECONDS_PER_DAY


def chain_findings(check: str, category: Category,
                   verdicts: list[tuple[dns.name.Name, Verdict]]) -> list[Finding]:
    """Failures above the zone (an ancestor or the parent's DS) in this check's category."""
    findings = []
    for apex, verdict in verdicts:
        if verdict.security is Security.BOGUS and verdict.category is category:
            findings.append(Finding(check, Severity.CRITICAL,
                                    f"the chain of trust breaks above the zone, at {apex}: "
                                    f"{verdict.message}", evidence=verdict.evidence))
            break  # below the first break everything is bogus for the same reason
    return findings
