"""A check's record stays bounded whatever a hostile zone sends: the most severe findings
kept, every cut saying what it left out."""

from __future__ import annotations

import json

from dnssec_conformance import catalog
from dnssec_conformance.findings import (
    MAX_EVIDENCE_CHARS,
    MAX_FINDINGS,
    MAX_RESULT_EVIDENCE_CHARS,
    Finding,
    Severity,
    bounded,
    cut,
)
from dnssec_conformance.report.results import record_of

from .inmemory import build_zone, delegate, evaluation, parent_zone, zone_data


def test_huge_evidence_is_cut_at_a_line_and_says_how_much():
    evidence = "\n".join(f";; line {i} " + "x" * 70 for i in range(2000))
    (finding,) = bounded([Finding(Severity.CRITICAL, "bad", "ns1", evidence, check="SIG01")])
    assert len(finding.evidence) < MAX_EVIDENCE_CHARS + 100
    last = finding.evidence.splitlines()[-1]
    assert last.startswith(";; [evidence cut: ") and f"of {len(evidence)} characters" in last
    assert finding.evidence.splitlines()[-2].startswith(";; line ")  # whole lines kept


def test_a_thousand_findings_keep_the_most_severe_and_count_the_rest():
    findings = [Finding(Severity.ERROR, f"server {i}", evidence="e" * 5000, check="CONSIST05")
                for i in range(1000)]
    findings.insert(700, Finding(Severity.CRITICAL, "the bad one", check="CONSIST05"))
    kept = bounded(findings)
    assert len(kept) == MAX_FINDINGS + 1
    assert any(f.message == "the bad one" for f in kept)
    assert kept[-1].severity is Severity.INFO
    assert kept[-1].message.startswith("901 more finding(s) left out")
    assert "the worst left out: error" in kept[-1].message
    # past the budget each finding keeps only the note of what was cut
    assert sum(len(f.evidence) for f in kept) <= MAX_RESULT_EVIDENCE_CHARS + MAX_FINDINGS * 80


def test_a_long_message_stays_one_line_and_says_it_was_cut():
    assert cut("a" * 5000, 2000, "message", one_line=True) == (
        "a" * 2000 + "… [message cut: 3000 characters left out]")


def test_a_zone_with_a_huge_rrset_gives_a_bounded_record():
    """3,000 A records at the apex, each signature check's evidence printing them all."""
    body = "".join(f"big 300 IN A 10.{i // 250}.{i % 250}.1\n" for i in range(3000))
    parent = parent_zone()
    child = build_zone("child.test.", body, keys=[])
    delegate(parent, child)
    data = zone_data(child, parent, records=("A",))
    result = catalog.run("DS01", data, evaluation(parent))
    record = json.dumps(record_of(result))
    assert len(record) < MAX_RESULT_EVIDENCE_CHARS + 10_000
