"""A scripted KSK rollover in the lab (publish, DS swap, removal), replayed through the
plugin with --at and a state directory: every premature step is "not safe" (its check
fails), and the same steps pass once the timing allows.

rollover.test. has a DNSKEY TTL and a DS TTL of 3600 s; the margin is the default 3600 s.
So the new KSK is ready 2 h after the run that first saw it, and the old one may go 2 h after
the run that found its DS gone. Each step is applied to the running lab (lab/rollover.py)
before the run that judges it; the runs' instants are simulated with --at.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from dnssec_conformance.report.results import iso
from lab.rollover import Step, apply_step

SUITES = Path(__file__).parent.parent / "suites"
ZONE = "rollover.test"
MINUTE, HOUR = 60, 3600
ROLLOVER_CHECKS = {"ROLLOVER01", "ROLLOVER02", "ROLLOVER03", "ROLLOVER04", "ROLLOVER05"}


class Replay:
    """One rollover timeline: the lab moved through steps, a plugin run after each."""

    def __init__(self, pytester: pytest.Pytester, lab: Any, name: str):
        self.pytester, self.lab = pytester, lab
        self.state_dir = pytester.path / f"state-{name}"
        self.domains = pytester.path / "domains.yaml"
        if not self.domains.exists():
            self.domains.write_text(
                f"resolvers: [{lab.validating_resolver}]\n"
                f"root_hints: [{lab.servers['root']}]\n"
                f"trust_anchors: {lab.trust_anchors}\n"
                f"domains:\n  - name: {ZONE}\n    records: [A]\n")
            shutil.copytree(SUITES, pytester.path / "suites",
                            ignore=shutil.ignore_patterns("__pycache__"))
        self.runs = 0

    def step(self, step: Step) -> None:
        apply_step(self.lab.run_dir, self.lab.servers, step)

    def run(self, at: float) -> dict[str, dict[str, Any]]:
        """The rollover checks as of `at`; the run's exit status must agree with them."""
        self.runs += 1
        results = self.pytester.path / f"results-{self.state_dir.name}-{self.runs}.json"
        outcome = self.pytester.runpytest_subprocess(
            "--domains", str(self.domains), "suites", "-m", "rollover", "--at", iso(at),
            "--state-dir", str(self.state_dir), "--results", str(results),
            "-p", "no:cacheprovider", "-p", "no:randomly")
        records = {r["check"]: r for r in json.loads(results.read_text())["results"]}
        assert set(records) == ROLLOVER_CHECKS, outcome.stdout.str()[-2000:]
        failed = any(r["outcome"] == "failed" for r in records.values())
        assert outcome.ret == (1 if failed else 0), outcome.stdout.str()[-2000:]
        return records


def failed(records: dict[str, dict[str, Any]]) -> set[str]:
    return {c for c, r in records.items() if r["outcome"] == "failed"}


def messages(record: dict[str, Any]) -> list[str]:
    return [f["message"] for f in record["findings"]]


@pytest.fixture
def replay(pytester, lab):
    """Replays start from the lab as built, and leave it so."""
    apply_step(lab.run_dir, lab.servers, Step.BEFORE)
    yield lambda name: Replay(pytester, lab, name)
    apply_step(lab.run_dir, lab.servers, Step.BEFORE)


def start() -> float:
    """A whole minute within the signatures' validity (the lab signs from now-1h to now+30d)."""
    return float(int(time.time()) // MINUTE * MINUTE)


def test_hasty_rollover_is_not_safe_at_each_premature_step(replay):
    timeline, t = replay("hasty"), start()
    baseline = timeline.run(t)
    assert failed(baseline) == set()
    assert "baseline" in baseline["ROLLOVER01"]["message"]

    timeline.step(Step.PUBLISHED)
    published = timeline.run(t + HOUR)
    assert failed(published) == set()
    assert any(m.startswith("key added: KSK") for m in messages(published["ROLLOVER01"]))
    assert any(f"not ready before {iso(t + 3 * HOUR)}" in m
               for m in messages(published["ROLLOVER02"]))

    timeline.step(Step.SWAPPED)  # 10 minutes after the publication: too early
    swapped = timeline.run(t + HOUR + 10 * MINUTE)
    assert failed(swapped) == {"ROLLOVER03"}
    assert f"not ready before {iso(t + 3 * HOUR)}" in swapped["ROLLOVER03"]["message"]

    timeline.step(Step.REMOVED)  # the old KSK while its DS may still be cached
    removed = timeline.run(t + HOUR + 20 * MINUTE)
    assert failed(removed) == {"ROLLOVER03", "ROLLOVER04"}
    assert (f"validators holding that DS set fail until {iso(t + 3 * HOUR + 10 * MINUTE)}"
            in removed["ROLLOVER04"]["message"])

    later = timeline.run(t + 3 * HOUR + 15 * MINUTE)  # the same zone, the caches expired
    assert failed(later) == set()


def test_patient_rollover_is_safe_at_each_step(replay):
    timeline, t = replay("patient"), start()
    timeline.run(t)
    timeline.step(Step.PUBLISHED)
    timeline.run(t + HOUR)

    before_swap = timeline.run(t + 3 * HOUR + 5 * MINUTE)
    assert failed(before_swap) == set()
    assert any("is ready for use" in m for m in messages(before_swap["ROLLOVER02"]))

    timeline.step(Step.SWAPPED)
    swapped = timeline.run(t + 3 * HOUR + 10 * MINUTE)
    assert failed(swapped) == set()
    assert any(m.startswith("DS added at the parent") for m in messages(swapped["ROLLOVER01"]))
    assert any(f"removing it is safe from {iso(t + 5 * HOUR + 10 * MINUTE)}" in m
               for m in messages(swapped["ROLLOVER04"]))

    timeline.step(Step.REMOVED)  # an hour too soon for the old DS's TTL plus the margin
    early = timeline.run(t + 4 * HOUR)
    assert failed(early) == {"ROLLOVER04"}

    done = timeline.run(t + 5 * HOUR + 15 * MINUTE)
    assert failed(done) == set()
    assert any(m.startswith("key removed: KSK") for m in messages(early["ROLLOVER01"]))


def test_a_time_travel_run_without_state_dir_reads_the_history_without_writing(
        pytester, lab, replay):
    """--at without --state-dir must not rewrite the history the regular runs rely on."""
    timeline, t = replay("default"), start()
    default_dir = pytester.path / "reports" / "state"
    outcome = pytester.runpytest_subprocess(
        "--domains", str(timeline.domains), "suites", "-m", "rollover", "-p", "no:cacheprovider")
    assert outcome.ret == 0
    state_file = default_dir / f"{ZONE}.json"
    written = state_file.read_bytes()
    outcome = pytester.runpytest_subprocess(
        "--domains", str(timeline.domains), "suites", "-m", "rollover", "--at", iso(t + 86400),
        "-p", "no:cacheprovider")
    assert outcome.ret == 0
    assert state_file.read_bytes() == written
    document = json.loads((pytester.path / "reports" / "results.json").read_text())
    rotation = next(r for r in document["results"] if r["check"] == "ROLLOVER01")
    assert "read-only run" in json.dumps(rotation["findings"])
