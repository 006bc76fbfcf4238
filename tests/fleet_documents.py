"""Results documents of shards, built in memory from record dictionaries shaped as the
plugin writes them (for the merge's and the metrics' pure tests)."""

from __future__ import annotations

from typing import Any

from dnssec_conformance.config import shards
from dnssec_conformance.report.results import build_document

NOW = 1_800_000_000.0
CHECKS = ("EXPIRY01", "DS01", "SIG01")


def record(domain: str, check: str, outcome: str = "passed", *, days: float | None = 20.0,
           kind: str = "domain", message: str = "") -> dict[str, Any]:
    severity = {"failed": "critical", "warning": "warning", "error": "error"}.get(outcome,
                                                                                 "none")
    return {"domain": domain, "kind": kind, "check": check, "title": f"{check} title",
            "category": "expired-rrsig" if check.startswith("EXPIRY") else "missing-ds",
            "outcome": outcome, "severity": severity,
            "message": message or f"{check} {outcome} on {domain}",
            "days_left": days if check == "EXPIRY01" else None, "remediation": "fix it",
            "findings": [] if outcome == "passed" else [
                {"severity": severity, "message": message or f"{check} {outcome}",
                 "server": "ns1.test. (127.0.0.1)", "evidence": ";; dig", "event": False}]}


def domain_records(domain: str, failing: dict[str, str] | None = None) -> list[dict[str, Any]]:
    failing = failing or {}
    return [record(domain, c, failing.get(c, "passed")) for c in CHECKS]


def single_run(domains: list[str], failing: dict[str, dict[str, str]] | None = None
               ) -> list[dict[str, Any]]:
    failing = failing or {}
    records = [r for d in domains for r in domain_records(d, failing.get(d))]
    return [*records, record("local-clock", "CLOCK02", kind="run", days=None)]


def shard_document(records: list[dict[str, Any]], domains: list[str], index: int, count: int,
                   *, run_id: str = "job-1", interrupted: bool = False,
                   finished: float = NOW + 60, digest: str = "") -> dict[str, Any]:
    """What shard `index` of `count` writes, given a single run's records."""
    share = [d for d in domains if shards.shard_of(d, count) == index]
    mine = [r for r in records if (r["kind"] == "domain" and r["domain"] in share)
            or (r["kind"] != "domain" and index == 0)]
    document = build_document(mine, evaluated_at=NOW, started_at=NOW, finished_at=finished,
                              domains_file="d.yaml", exit_status=0, interrupted=interrupted)
    document["shard"] = {"index": index, "count": count, "run_id": run_id,
                         "domains_file_sha256": digest, "owns_run_subjects": index == 0,
                         "domains": share}
    document["probe"] = {"zones": len(share), "queries": 10 * len(share)}
    return document
