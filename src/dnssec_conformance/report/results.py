"""reports/results.json: the contract that CI, dashboards and the heartbeat read.

One record per (subject, check): a subject is a domain, or one of the other things a run
checks (a bogus canary, CoreDNS, this host's clock), told apart by the record's `kind`.
Fields are only ever added, never renamed or removed; `schema_version` changes only for an
incompatible change.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from ..findings import Category, CheckResult, Outcome, Severity
from ..times import iso_utc

SCHEMA_VERSION = 1
STATUSES = ("healthy", "warning", "critical")  # from best to worst
UNKNOWN = "unknown"  # nothing was judged: never healthy
# What a record's `kind` says its subject is. A domain unless said otherwise.
DOMAIN = "domain"
KINDS = (DOMAIN, "canary", "coredns", "run")
JUDGED = frozenset({Outcome.PASSED, Outcome.WARNING, Outcome.FAILED, Outcome.ERROR,
                    Outcome.WAIVED})
EXPIRY_CATEGORY = str(Category.EXPIRED_RRSIG)
# Records only keep the days left of a whole check: these finding codes say that a signature
# no longer validates (EXPIRY01's, and XFR02's for a whole copy), as do EXPIRY01's chain
# breaks above the zone, which it reports only for expired signatures.
EXPIRED_CODES = frozenset({"expired", "expired-and-served"})
EXPIRED_CHAIN_CODES = frozenset({"EXPIRY01/broken-above", "EXPIRY01/parent-ds-broken"})


iso = iso_utc


def record_of(result: CheckResult, title: str = "", *, remediation: str = "",
              kind: str = DOMAIN) -> dict[str, Any]:
    """A CheckResult as results.json records it."""
    severity = result.severity
    record: dict[str, Any] = {
        "domain": result.domain,
        "kind": kind,
        "check": result.check,
        "title": title,
        "category": str(result.category),
        "outcome": str(result.outcome),
        "severity": severity.label if severity is not None else "none",
        "message": result.message,
        "days_left": round(result.days_left, 3) if result.days_left is not None else None,
        "remediation": remediation,
        # Evidence is what a report shows under a warning or a failure; information (the
        # finding of a passing check) carries none, so it is never rendered.
        "findings": [
            {"severity": f.severity.label, "message": f.message, "server": f.server,
             "evidence": f.evidence if f.severity > Severity.INFO else "", "event": f.event,
             "code": f"{f.check}/{f.code}" if f.code else None}
            for f in result.findings
        ],
    }
    for key, value in result.details.items():
        record.setdefault(key, value)
    if result.outcome is Outcome.WAIVED and result.waiver is not None:
        record["waiver"] = {"reason": result.waiver.reason,
                            "until": result.waiver.until.isoformat(),
                            "outcome": str(result.judged_outcome)}
    return record


def kind_of(entry: Mapping[str, Any]) -> str:
    """A record's or a domain summary's kind; files written before `kind` existed: domain."""
    return str(entry.get("kind") or DOMAIN)


def record_status(record: Mapping[str, Any]) -> str:
    """What one record means for the overall status: unknown is never healthy."""
    outcome = record["outcome"]
    if outcome in (Outcome.FAILED, Outcome.ERROR):
        return "critical"
    if outcome == Outcome.WARNING:
        return "warning"
    return "healthy"


def overall_status(records: Iterable[Mapping[str, Any]]) -> str:
    """The worst record decides; when no record was judged (nothing checked, everything
    skipped) the status is `unknown`."""
    worst = None
    for record in records:
        if record["outcome"] in JUDGED:
            rank = STATUSES.index(record_status(record))
            worst = rank if worst is None else max(worst, rank)
    return UNKNOWN if worst is None else STATUSES[worst]


def _shows_expired_signature(record: Mapping[str, Any]) -> bool:
    days_left = record.get("days_left")
    if days_left is not None and days_left < 0:
        return True
    return any(f.get("severity") == "critical" and _is_expired_code(f.get("code") or "")
               for f in record.get("findings", []))


def _is_expired_code(code: str) -> bool:
    return code.partition("/")[2] in EXPIRED_CODES or code in EXPIRED_CHAIN_CODES


def priority_of(records: Iterable[Mapping[str, Any]]) -> str:
    """The guide's alert priority for a run.

    P1: validation fails now or cannot be checked: a failed check outside the expiry
        category, an expired signature, a check that could not run, or nothing judged at all.
    P2: the only failures are signatures that still validate but expire within the critical
        threshold (or sooner than their TTL).
    P3: no failure, at least one warning (e.g. a signature within the warning threshold).
    P4: information only: a healthy run, key rotation events and waived checks included.
    """
    priority = "P4"
    judged = False
    for record in records:
        outcome = record["outcome"]
        judged = judged or outcome in JUDGED
        if outcome == "error":
            return "P1"
        if outcome == "failed":
            if record["category"] != EXPIRY_CATEGORY or _shows_expired_signature(record):
                return "P1"
            priority = "P2"
        elif outcome == "warning" and priority == "P4":
            priority = "P3"
    return priority if judged else "P1"


def run_status(records: Iterable[dict[str, Any]], *, interrupted: bool) -> str:
    """The overall status. An interrupted run left checks undone, and what was not checked is
    unknown, which is never healthy: critical, as for a check that could not run."""
    return "critical" if interrupted else overall_status(records)


def domain_summaries(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_domain: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_domain.setdefault(record["domain"], []).append(record)
    summaries = []
    for domain, group in sorted(by_domain.items()):
        days = [r["days_left"] for r in group if r.get("days_left") is not None]
        summary = {
            "domain": domain,
            "kind": kind_of(group[0]),
            "status": overall_status(group),
            "days_left": min(days) if days else None,
            "outcomes": dict(Counter(r["outcome"] for r in group)),
        }
        # The provider's view next to the DNS's, as the provider checks recorded it.
        provider = next((r["provider"] for r in group if r.get("provider")), None)
        if provider is not None:
            summary["provider"] = provider
        summaries.append(summary)
    return summaries


def build_document(records: list[dict[str, Any]], *, evaluated_at: float, started_at: float,
                   finished_at: float, domains_file: str | None, exit_status: int,
                   interrupted: bool, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    ordered = sorted(records, key=lambda r: (r["domain"], r["check"]))
    document: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "status": run_status(ordered, interrupted=interrupted),
        "priority": "P1" if interrupted else priority_of(ordered),
        "evaluated_at": iso(evaluated_at),
        "started_at": iso(started_at),
        "finished_at": iso(finished_at),
        "domains_file": domains_file,
        "exit_status": exit_status,
        "interrupted": interrupted,
        "categories": [str(c) for c in Category],
        "severities": [s.label for s in Severity],
        "counts": dict(Counter(r["outcome"] for r in ordered)),
        "domains": domain_summaries(ordered),
        "results": ordered,
    }
    document.update(extra or {})
    return document
