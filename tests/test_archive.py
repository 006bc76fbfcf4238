"""--archive-dir: the runs worth keeping (first of the day, new findings), rotation by date,
and a failure that never costs the run its verdict."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

from dnssec_conformance.report.archive import archive_run, fingerprint

from .test_overview import document_of, record

DAY = 86400
MORNING = datetime.datetime(2027, 1, 15, 7, 0, tzinfo=datetime.UTC).timestamp()


def run_files(folder: Path, document: dict[str, Any]) -> list[Path]:
    folder.mkdir(exist_ok=True)
    (folder / "results.json").write_text(json.dumps(document))
    (folder / "report.html").write_text("<html></html>")
    (folder / "junit.xml").write_text("<testsuites/>")
    return [folder / "results.json", folder / "report.html", folder / "junit.xml"]


HEALTHY = document_of([record("a.example", "EXPIRY01", "passed")])
BROKEN = document_of([record("a.example", "EXPIRY01", "failed")])
WORSE = document_of([record("a.example", "EXPIRY01", "failed"),
                     record("a.example", "KEY01", "failed")])


def test_first_run_of_the_day_and_every_change_are_kept(tmp_path):
    archive = tmp_path / "archive"
    kept = []
    for minute, document in enumerate([HEALTHY, HEALTHY, BROKEN, BROKEN, WORSE, HEALTHY]):
        outcome = archive_run(run_files(tmp_path / "run", document), document, archive,
                              now=MORNING + minute * 300)
        kept.append(outcome.kept.name if outcome.kept else outcome.reason)
    assert kept == [f"070000Z-healthy-{fingerprint(HEALTHY)}",
                    "the same findings as the last kept run",
                    f"071000Z-critical-{fingerprint(BROKEN)}",
                    "the same findings as the last kept run",
                    f"072000Z-critical-{fingerprint(WORSE)}",  # one more failure: new findings
                    f"072500Z-healthy-{fingerprint(HEALTHY)}"]
    folder = archive / "2027-01-15" / kept[2]
    assert sorted(p.name for p in folder.iterdir()) == ["junit.xml", "report.html",
                                                        "results.json"]
    next_day = archive_run(run_files(tmp_path / "run", HEALTHY), HEALTHY, archive,
                           now=MORNING + DAY)
    assert next_day.kept is not None and next_day.reason == "first run of the day"


def test_days_older_than_the_archive_keeps_are_deleted(tmp_path):
    archive = tmp_path / "archive"
    for day in range(10):
        archive_run(run_files(tmp_path / "run", HEALTHY), HEALTHY, archive,
                    now=MORNING + day * DAY, keep_days=7)
    assert sorted(p.name for p in archive.iterdir()) == [
        f"2027-01-{d:02}" for d in range(18, 25)]
    (archive / "notes.txt").write_text("not ours")  # left alone
    outcome = archive_run(run_files(tmp_path / "run", BROKEN), BROKEN, archive,
                          now=MORNING + 10 * DAY, keep_days=7)
    assert outcome.removed == ["2027-01-18"] and (archive / "notes.txt").exists()
    assert "removed 1 day(s)" in outcome.summary()


def test_an_archive_that_cannot_be_written_is_reported_not_raised(tmp_path):
    blocker = tmp_path / "archive"
    blocker.write_text("a file where the folder should be")
    outcome = archive_run(run_files(tmp_path / "run", BROKEN), BROKEN, blocker, now=MORNING)
    assert outcome.kept is None and outcome.reason.startswith("cannot write the archive")
