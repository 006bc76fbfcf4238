"""What a person paged at 7 a.m. reads first: subjects worst first, healthy domains counted,
the other subjects apart from the domains, one line for an outage seen by every check; in
the terminal summary, the one-screen summary and the Nagios output alike."""

from __future__ import annotations

from typing import Any

import pytest

from dnssec_conformance.config.model import Thresholds
from dnssec_conformance.plugin.reporter import summary_lines
from dnssec_conformance.report import nagios, overview, summary
from dnssec_conformance.report.results import build_document

from .inmemory import NOW
from .test_heartbeat import records_for, unreachable_records

CHECKS = ("EXPIRY01", "KEY01", "SIG01", "DENIAL01")


def record(domain: str, check: str, outcome: str, *, kind: str = "domain",
           message: str = "", days_left: float | None = None) -> dict[str, Any]:
    severity = {"failed": "critical", "error": "error", "warning": "warning"}.get(outcome, "none")
    return {"domain": domain, "kind": kind, "check": check, "title": "", "category": "denial",
            "outcome": outcome, "severity": severity, "message": message or f"{check} says so",
            "days_left": days_left, "remediation": "", "findings": []}


def document_of(records: list[dict[str, Any]]) -> dict[str, Any]:
    return build_document(records, evaluated_at=NOW, started_at=NOW, finished_at=NOW + 5,
                          domains_file="domains.yaml", exit_status=1, interrupted=False)


def dead_resolver_run(domains: int) -> dict[str, Any]:
    """A resolver that is down: every check of every domain could not run, same reason."""
    records = [record(f"zone{i:02}.example", check, "error",
                      message=f"no resolver answered the SOA query for zone{i:02}.example.: "
                              "timeout after 3 s")
               for i in range(domains) for check in CHECKS]
    records += [record("good.example", check, "passed", days_left=20.0) for check in CHECKS]
    return document_of(records)


@pytest.fixture(scope="module")
def mixed() -> dict[str, Any]:
    records = [
        *[record(f"fine{i:02}.example", c, "passed", days_left=20.0 + i)
          for i in range(12) for c in CHECKS],
        record("dark.example", "KEY01", "error", message="ns1 did not answer"),
        record("soon.example", "EXPIRY01", "warning", days_left=5.0),
        record("broken.example", "SIG01", "failed", days_left=9.0),
        record("also-broken.example", "KEY01", "failed", days_left=2.0),
        record("bogus-canary.test", "RESOLVER02", "passed", kind="canary"),
        record("coredns", "RESOLVER03", "skipped", kind="coredns"),
        record("local-clock", "CLOCK02", "passed", kind="run"),
    ]
    return document_of(records)


def test_subjects_sort_worst_first(mixed):
    ordered = [s["domain"] for s in overview.worst_first(mixed["domains"])][:6]
    assert ordered == ["also-broken.example", "broken.example", "soon.example",
                       "dark.example", "coredns", "fine00.example"]


def test_domains_are_counted_apart_from_the_other_subjects(mixed):
    assert overview.counts_line(mixed["domains"]) == (
        "16 domains: 2 critical, 1 warning, 1 could not check, 12 healthy; "
        "also checked: 1 canary, CoreDNS, local clock")


def test_many_healthy_domains_fold_into_a_count(mixed):
    domains, _others = overview.domains_and_others(mixed["domains"])
    listing = overview.fold_healthy(domains)
    assert [s["domain"] for s in listing.shown] == ["also-broken.example", "broken.example",
                                                    "soon.example", "dark.example"]
    assert len(listing.folded_healthy) == 12
    few = overview.fold_healthy(domains[:5])
    assert few.folded_healthy == [] and len(few.shown) == 5


def test_one_summary_screen(mixed):
    lines = summary.summarize(mixed)
    assert lines[0] == "DNSSEC conformance: CRITICAL, priority P1 (as of 2027-01-15T08:00:00Z)"
    assert lines[1].startswith("16 domains: 2 critical")
    body = [line.split()[1] for line in lines[3:7]]
    assert body == ["also-broken.example", "broken.example", "soon.example", "dark.example"]
    assert "  OK   12 healthy domains, all checks passed (fine00.example, fine01.example, " \
           "fine02.example, …)" in lines
    others = lines[lines.index("  other subjects:") + 1:]
    assert [line.split()[1] for line in others[:3]] == ["coredns", "bogus-canary.test",
                                                        "local-clock"]


def test_an_outage_seen_by_every_check_is_one_line_everywhere():
    document = dead_resolver_run(36)
    groups, singles = overview.unchecked_groups(document["results"])
    assert singles == [] and len(groups) == 1
    (group,) = groups
    assert group.message == "no resolver answered the SOA query for <domain>: timeout after 3 s"
    assert len(group.subjects) == 36 and len(group.records) == 144
    assert group.describe().startswith("36 domains × 4 checks (144 records): no resolver "
                                       "answered the SOA query for <domain>")
    terminal = summary_lines(document)
    assert len(terminal) == 3, terminal  # status, counts, the outage: not 144 lines
    assert terminal[1] == "37 domains: 36 could not check, 1 healthy"
    screen = summary.summarize(document)
    assert sum("no resolver answered" in line for line in screen) == 1
    assert all(len(line) < 200 for line in screen)
    plugin = nagios.render(document).text.splitlines()
    assert sum("no resolver answered" in line for line in plugin) == 1


def test_different_reasons_stay_apart():
    records = [record("a.example", "KEY01", "error", message="ns1.a.example. (192.0.2.1) refused"),
               record("b.example", "KEY01", "error", message="ns1.b.example. (192.0.2.7) refused"),
               record("c.example", "KEY01", "error", message="timeout at ns9.example.net.")]
    groups, singles = overview.unchecked_groups(records)
    assert groups == [] and len(singles) == 3  # other addresses: not the same outage


def test_real_records_from_the_checks():
    """The grouping on what the checks write for an unreachable server."""
    document = document_of([*unreachable_records("dark1.test."),
                            *unreachable_records("dark2.test."), *records_for("good.test.")])
    groups, _singles = overview.unchecked_groups(document["results"])
    assert groups and all(len(g.subjects) == 2 for g in groups)
    assert overview.counts_line(document["domains"]) == (
        "3 domains: 2 could not check, 1 healthy")


def test_nagios_states_and_perfdata(mixed):
    output = nagios.render(mixed, thresholds={"soon.example": Thresholds(7, 3),
                                              "broken.example": Thresholds(14, 3)})
    assert output.state == nagios.CRITICAL
    first, *rest = output.text.splitlines()
    status, _, perf = first.partition(" | ")
    assert status.startswith("DNSSEC CRITICAL - 16 domains: 2 critical, 1 warning")
    assert "worst: also-broken.example KEY01; broken.example SIG01; soon.example EXPIRY01" \
        in status
    items = perf.split()
    assert "'soon.example'=5.00;@~:7;@~:3;;" in items
    assert "'broken.example'=9.00;@~:14;@~:3;;" in items
    assert "'also-broken.example'=2.00;;;;" in items  # thresholds unknown: none given
    assert "domains_critical=2;;;0;16" in items and "domains_healthy=12;;;0;16" in items
    assert rest[0].startswith("FAILED: also-broken.example KEY01")
    assert "UNCHECKED: dark.example KEY01: ns1 did not answer" in rest


@pytest.mark.parametrize(("status", "state"), [("healthy", 0), ("warning", 1),
                                               ("critical", 2)])
def test_nagios_exit_codes_follow_the_status(status, state):
    outcome = {"healthy": "passed", "warning": "warning", "critical": "failed"}[status]
    document = document_of([record("a.example", "EXPIRY01", outcome, days_left=4.0)])
    assert document["status"] == status
    output = nagios.render(document)
    assert output.state == state
    assert output.text.startswith(f"DNSSEC {nagios.STATE_NAMES[state]} - 1 domain")


def test_nagios_unknown_when_nothing_was_judged():
    assert nagios.render(None, problem="d.yaml:3: domains: the list is empty").text == (
        "DNSSEC UNKNOWN - d.yaml:3: domains: the list is empty\n")
    skipped = document_of([record("a.example", "DS02", "skipped")])
    assert skipped["status"] == "unknown"
    assert nagios.render(skipped).state == nagios.UNKNOWN
    interrupted = dict(document_of([record("a.example", "DS02", "passed")]), interrupted=True)
    assert nagios.render(interrupted).text == "DNSSEC UNKNOWN - the run was interrupted\n"


def test_nagios_perfdata_of_many_domains_goes_after_the_long_output():
    records = [record(f"z{i:04}.example", "EXPIRY01", "passed", days_left=float(i % 30))
               for i in range(200)]
    text = nagios.render(document_of(records)).text
    first, *rest = text.splitlines()
    assert len(first) < 400 and first.count("=") == 1
    assert sum(line.count("'z") for line in rest) == 199
