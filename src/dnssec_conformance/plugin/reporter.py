"""The results reporter: collects one record per (subject, check) from the test reports (on
the controlling process: xdist workers forward theirs) and, at the session's end, writes
results.json, sends the heartbeat and the metrics, archives, and prints the summary."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from ..config import shards
from ..config.model import Thresholds
from ..files import write_atomically
from ..report import archive, heartbeat, metrics, overview
from ..report.publish import Destinations, Published, publish
from ..report.results import DOMAIN, build_document
from .session import CONFORMANCE, PROBE_STATS, Conformance, shard_domains

DEFAULT_RESULTS = "reports/results.json"


DEFAULT_SHARD_RESULTS = "reports/shard-{shard}/results.json"


# The controller's reporter, for whoever reads the run's records (the command's summary).
REPORTER = pytest.StashKey["ResultsReporter"]()


class ResultsReporter:
    """Collects one record per (domain, check) and writes results.json at session end.

    Registered on the controlling process only: xdist workers forward their reports here.
    """

    def __init__(self, path: Path, evaluated_at: float, domains_file: str | None, *,
                 shard: shards.Shard | None = None):
        self.path = path
        self.evaluated_at = evaluated_at
        self.domains_file = domains_file
        self.shard = shard
        self.started_at = time.time()
        self.records: dict[tuple[str, str], dict[str, Any]] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        meta = getattr(report, "dnssec", None)
        if not meta:
            return
        key = (meta["domain"], meta["check"])
        if meta.get("record") is not None:
            self.records[key] = meta["record"]
        elif report.failed and key not in self.records:
            self.records[key] = self._synthetic(meta, "error", _first_line(report))
        elif report.skipped and key not in self.records:
            self.records[key] = self._synthetic(meta, "skipped", _first_line(report))

    @staticmethod
    def _synthetic(meta: dict[str, Any], outcome: str, message: str) -> dict[str, Any]:
        return {"domain": meta["domain"], "kind": meta.get("kind", DOMAIN),
                "check": meta["check"], "title": meta["title"],
                "category": meta["category"], "outcome": outcome,
                "severity": "error" if outcome == "error" else "none",
                "message": message, "days_left": None,
                "remediation": meta.get("remediation", ""), "findings": []}

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self.failed_on_warnings = (
            session.config.getoption("fail_on") == "warning" and exitstatus == 0
            and any(r["outcome"] == "warning" for r in self.records.values()))
        if self.failed_on_warnings:
            session.exitstatus = exitstatus = pytest.ExitCode.TESTS_FAILED
        document = build_document(
            list(self.records.values()), evaluated_at=self.evaluated_at,
            started_at=self.started_at, finished_at=time.time(),
            domains_file=self.domains_file, exit_status=int(exitstatus),
            interrupted=int(exitstatus) == int(pytest.ExitCode.INTERRUPTED))
        probe = session.config.stash.get(PROBE_STATS, None)
        if probe:
            document["probe"] = probe
        conformance = session.config.stash.get(CONFORMANCE, None)
        if self.shard is not None and conformance is not None:
            document["shard"] = shard_block(conformance, self.shard)
        write_atomically(self.path, document)
        self.document = document
        # results.json is written before the heartbeat (up to 30 s): a killed job keeps it.
        thresholds = conformance.config.thresholds if conformance else Thresholds()
        self.published = publish(destinations(session.config, self.shard), document,
                                 warning_days=thresholds.warning_days,
                                 critical_days=thresholds.critical_days)
        self.heartbeat_outcome = self.published.heartbeat
        write_atomically(self.path, document)

    def keep_in_archive(self, config: pytest.Config) -> archive.ArchiveOutcome | None:
        """Once the report and JUnit are written (after every pytest_sessionfinish)."""
        directory = config.getoption("archive_dir")
        document = getattr(self, "document", None)
        if not directory or document is None or getattr(self, "archived", None):
            return getattr(self, "archived", None)
        outputs = [self.path, *(Path(p) for p in (config.getoption("htmlpath", None),
                                                   config.getoption("xmlpath", None)) if p)]
        self.archived = archive.archive_run(outputs, document, Path(directory),
                                            now=time.time(),
                                            keep_days=max(1, config.getoption("archive_days")))
        return self.archived

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        self.keep_in_archive(config)  # a run without a terminal summary (-p no:terminal)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        archived = self.keep_in_archive(terminalreporter.config)
        document = getattr(self, "document", None)
        beat: heartbeat.HeartbeatOutcome | None = getattr(self, "heartbeat_outcome", None)
        if document is None or not document["results"]:
            if beat is not None and beat.url:  # a URL was given, yet nothing to send
                terminalreporter.write_line(beat.summary())
            return
        tr = terminalreporter
        tr.section("DNSSEC conformance")
        for line in summary_lines(document):
            tr.write_line(line[:MAX_SUMMARY_LINE])
        tr.write_line(f"results: {self.path}")
        if archived is not None:
            tr.write_line(archived.summary())
        if beat is not None:
            tr.write_line(beat.summary())
        published: Published | None = getattr(self, "published", None)
        for outcome in published.metrics if published is not None else []:
            tr.write_line(outcome.summary())
        if getattr(self, "failed_on_warnings", False):
            tr.write_line("exit status 1: warnings fail this run (--fail-on warning)")


def shard_block(conformance: Conformance, shard: shards.Shard) -> dict[str, Any]:
    """results.json's `shard`: which share of which file this run checked, so that a merge
    can tell a complete shard from a partial one."""
    block = {"index": shard.index, "count": shard.count, "run_id": shards.run_id(),
             "domains_file_sha256": conformance.config_digest(),
             "owns_run_subjects": shard.owns_run_subjects,
             "domains": [d.display for d in shard_domains(conformance)]}
    if conformance.snapshot_out:
        block["snapshot"] = str(Path(conformance.snapshot_out).resolve())
    return block


def destinations(config: pytest.Config, shard: shards.Shard | None) -> Destinations:
    """Where the run's outcome goes. A what-if run (--at) judges another instant than now:
    its verdict must not page anyone, so only a --heartbeat-url given on its command line
    sends it. A shard's outcome is the merge's: the same rule."""
    option = config.getoption("heartbeat_url")
    url = heartbeat.configured_url(option)
    reason = ""
    if url and not option and config.getoption("at"):
        reason = ("a what-if run (--at) sends no heartbeat unless --heartbeat-url is given on "
                  "its command line")
    elif url and not option and shard is not None:
        reason = (f"a shard sends no heartbeat ({shard.label}): `dnssec-conformance merge` "
                  "sends the run's, unless --heartbeat-url is given on its command line")
    otlp_option = config.getoption("otlp_endpoint")
    endpoint = metrics.configured_otlp_endpoint(otlp_option)
    if endpoint and not otlp_option and (shard is not None or config.getoption("at")):
        endpoint = None  # the same rule for the metrics: only when asked on the command line
    metrics_file = config.getoption("metrics_file")
    if metrics_file and shard is not None:
        metrics_file = shards.place(metrics_file, shard)
    return Destinations(heartbeat_url=url, heartbeat_reason=reason,
                        metrics_file=Path(metrics_file) if metrics_file else None,
                        pushgateway=config.getoption("pushgateway"),
                        otlp_endpoint=endpoint, otlp_token=metrics.otlp_token())


SUMMARY_ORDER = {"failed": 0, "warning": 1, "error": 2, "waived": 3}


MAX_SUMMARY_LINE = 200


def summary_lines(document: dict[str, Any]) -> list[str]:
    """The terminal's summary: every check that did not pass, subjects worst first, the
    could-not-check records that say the same thing as one line, healthy domains counted."""
    lines = [f"status: {document['status']}, priority {document['priority']} "
             f"(as of {document['evaluated_at']})", overview.counts_line(document["domains"])]
    ranks = {s["domain"]: overview.rank_of(s) for s in document["domains"]}
    groups, _singles = overview.unchecked_groups(document["results"])
    grouped = {id(record) for group in groups for record in group.records}
    shown = sorted((r for r in document["results"]
                    if r["outcome"] in SUMMARY_ORDER and id(r) not in grouped),
                   key=lambda r: (ranks[r["domain"]], SUMMARY_ORDER[r["outcome"]],
                                  r["domain"], r["check"]))
    for record in shown:
        outcome = "unchecked" if record["outcome"] == "error" else record["outcome"]
        message = record["message"]
        if record["outcome"] == "waived" and record.get("waiver"):
            waiver = record["waiver"]
            message = f"until {waiver['until']}: {waiver['reason']} ({waiver['outcome']})"
        lines.append(f"  {outcome:<9} {record['domain']:<32} {record['check']:<10} {message}")
    lines += [f"  unchecked {group.describe()}" for group in groups]
    return lines


def _first_line(report: pytest.TestReport) -> str:
    text = report.longreprtext.strip().splitlines()
    return text[-1][:300] if text else report.outcome
