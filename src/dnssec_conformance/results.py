"""reports/results.json: the contract that CI, dashboards and the heartbeat read.

One record per (domain, check). Fields are only ever added, never renamed or removed;
`schema_version` changes only for an incompatible change.
"""

from __future__ import annotations

import datetime
import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .findings import Category, CheckResult, Outcome, Severity

SCHEMA_VERSION = 1
STATUSES = ("healthy", "warning", "critical")


def iso(timestamp: float) -> str:
    moment = datetime.datetime.fromtimestamp(timestamp, datetime.UTC)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def record_of(result: CheckResult, title: str = "") -> dict[str, Any]:
    """A CheckResult as results.json records it."""
    severity = result.severity
    return {
        "domain": result.domain,
        "check": result.check,
        "title": title,
        "category": str(result.category),
        "outcome": str(result.outcome),
        "severity": severity.label if severity is not None else "none",
        "message": result.message,
        "days_left": round(result.days_left, 3) if result.days_left is not None else None,
        # Evidence is what a report shows under a warning or a failure; information (the
        # finding of a passing check) carries none, so it is never rendered.
        "findings": [
            {"severity": f.severity.label, "message": f.message, "server": f.server,
             "evidence": f.evidence if f.severity > Severity.INFO else "", "event": f.event}
            for f in result.findings
        ],
    }


def record_status(record: dict[str, Any]) -> str:
    """What one record means for the overall status: unknown is never healthy."""
    outcome = record["outcome"]
    if outcome in (Outcome.FAILED, Outcome.ERROR):
        return "critical"
    if outcome == Outcome.WARNING:
        return "warning"
    return "healthy"


def overall_status(records: Iterable[dict[str, Any]]) -> str:
    worst = 0
    for record in records:
        worst = max(worst, STATUSES.index(record_status(record)))
    return STATUSES[worst]


def domain_summaries(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_domain: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_domain.setdefault(record["domain"], []).append(record)
    summaries = []
    for domain, group in sorted(by_domain.items()):
        days = [r["days_left"] for r in group if r.get("days_left") is not None]
        summaries.append({
            "domain": domain,
            "status": overall_status(group),
            "days_left": min(days) if days else None,
            "outcomes": dict(Counter(r["outcome"] for r in group)),
        })
    return summaries


def build_document(records: list[dict[str, Any]], *, evaluated_at: float, started_at: float,
                   finished_at: float, domains_file: str | None, exit_status: int,
                   interrupted: bool, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    ordered = sorted(records, key=lambda r: (r["domain"], r["check"]))
    document: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "status": overall_status(ordered),
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


def write_atomically(path: Path, document: dict[str, Any]) -> None:
    """Write then rename: a reader never sees half a file, even if the run is killed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(temporary, 0o666 & ~umask)  # readable like any other report, not mkstemp's 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=2)
            handle.write("\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
