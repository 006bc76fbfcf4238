"""Waivers: `waive:` in domains.yaml (schema, lines in every error), and what a waiver does to
a check's result, active or expired. Whole runs with waivers: tests/test_report_html.py."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from dnssec_conformance import catalog
from dnssec_conformance.config.loading import load_config
from dnssec_conformance.engine.waivers import apply_waiver, waived_reason
from dnssec_conformance.errors import ConfigError
from dnssec_conformance.findings import (
    Category,
    CheckResult,
    Finding,
    Outcome,
    Severity,
    Waiver,
)
from dnssec_conformance.report.results import record_of

from .inmemory import DAY, NOW, build_zone, delegate, evaluation, parent_zone, zone_data

UNTIL = datetime.date(2027, 3, 1)
WAIVER = Waiver("EXPIRY01", "new signer on Monday", UNTIL, "domains.yaml:7")


def expiry_result(days_left: float) -> CheckResult:
    parent = parent_zone()
    child = build_zone("soon.test.", expiration=NOW + days_left * DAY)
    delegate(parent, child)
    return catalog.run("EXPIRY01", zone_data(child, parent), evaluation(parent))


def test_an_active_waiver_accepts_a_failure_and_keeps_its_findings():
    result = apply_waiver(expiry_result(2), [WAIVER], NOW)
    assert result.outcome is Outcome.WAIVED and result.judged_outcome is Outcome.FAILED
    assert result.findings and result.severity is not None
    assert waived_reason(result).startswith("waived until 2027-03-01: new signer on Monday "
                                            "(failed: soon.test. SOA RRSIG expires in 2.0 days")
    record = record_of(result)
    assert record["outcome"] == "waived"
    assert record["waiver"] == {"reason": "new signer on Monday", "until": "2027-03-01",
                                "outcome": "failed"}


def test_a_waiver_also_accepts_a_warning_but_never_a_check_that_could_not_run():
    assert apply_waiver(expiry_result(5), [WAIVER], NOW).outcome is Outcome.WAIVED
    healthy = apply_waiver(expiry_result(30), [WAIVER], NOW)
    assert healthy.outcome is Outcome.PASSED and healthy.waiver is None
    blind = CheckResult("soon.test", "EXPIRY01", Category.EXPIRED_RRSIG,
                        [Finding(Severity.ERROR, "no answer from ns1", check="EXPIRY01")])
    assert apply_waiver(blind, [WAIVER], NOW).outcome is Outcome.ERROR


def test_a_waiver_expires_on_its_day_and_is_then_a_warning():
    last_day = datetime.datetime(2027, 2, 28, 23, 59, tzinfo=datetime.UTC).timestamp()
    assert apply_waiver(expiry_result(2), [WAIVER], last_day).outcome is Outcome.WAIVED
    on_the_day = datetime.datetime(2027, 3, 1, tzinfo=datetime.UTC).timestamp()
    expired = apply_waiver(expiry_result(2), [WAIVER], on_the_day)
    assert expired.outcome is Outcome.FAILED and expired.waiver is None
    assert any("the waiver of EXPIRY01 expired on 2027-03-01 (domains.yaml:7)" in f.message
               for f in expired.findings)
    fixed = apply_waiver(expiry_result(30), [WAIVER], on_the_day)
    assert fixed.outcome is Outcome.WARNING  # the check passes: the stale entry is the news


def test_a_waiver_of_another_check_changes_nothing():
    other = Waiver("KEY01", "r", UNTIL)
    assert apply_waiver(expiry_result(2), [other], NOW).outcome is Outcome.FAILED


# --- domains.yaml -------------------------------------------------------------------------------

GOOD = """\
domains:
  - example.com
  - name: a.example.com
    waive:
      - {check: ALG03, reason: "RSASHA1   until the registrar moves", until: 2027-03-01}
      - check: DENIAL02
        reason: NSEC3 iterations set by the provider
        until: "2026-12-31"
"""


def test_waivers_load_with_where_they_are_written(tmp_path: Path):
    path = tmp_path / "d.yaml"
    path.write_text(GOOD)
    domain = load_config(path).domains[1]
    assert domain.waivers == (
        Waiver("ALG03", "RSASHA1 until the registrar moves", UNTIL, f"{path}:5"),
        Waiver("DENIAL02", "NSEC3 iterations set by the provider", datetime.date(2026, 12, 31),
               f"{path}:6"))
    assert load_config(path).domains[0].waivers == ()


@pytest.mark.parametrize(("entry", "expected"), [
    ("{check: alg03, reason: x, until: 2027-03-01}",
     "d.yaml:4: domains[0].waive[0].check: 'alg03' is not a check ID"),
    ("{check: ALG03, reason: x, until: 2027-02-30}",
     "d.yaml:4: domains[0].waive[0].until: '2027-02-30' is not a day: write YYYY-MM-DD"),
    ("{check: ALG03, reason: x, until: next week}",
     "d.yaml:4: domains[0].waive[0].until: 'next week' is not a day"),
    ("{check: ALG03, reason: x}", "d.yaml:4: domains[0].waive[0]: missing the required key "
                                  "'until'"),
    ("{check: ALG03, reason: '', until: 2027-03-01}",
     "d.yaml:4: domains[0].waive[0].reason: must not be empty"),
    ("{check: ALG03, reason: x, untill: 2027-03-01}",
     "d.yaml:4: domains[0].waive[0].untill: unknown key (did you mean 'until'?)"),
    ("{check: ALG05, reason: y, until: 2027-01-01}",
     "d.yaml:5: domains[0].waive[1].check: duplicate waiver of ALG05 (already waive[0])"),
])
def test_waiver_errors_name_the_line_and_the_key(tmp_path: Path, monkeypatch, entry, expected):
    monkeypatch.chdir(tmp_path)
    Path("d.yaml").write_text("domains:\n  - name: a.example.com\n    waive:\n"
                              f"      - {entry}\n"
                              "      - {check: ALG05, reason: y, until: 2027-01-01}\n")
    with pytest.raises(ConfigError) as caught:
        load_config("d.yaml")
    assert str(caught.value).startswith(expected)
