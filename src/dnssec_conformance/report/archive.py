"""Keeping past reports (`--archive-dir`): a pod's files die with it, and the person paged at
7 a.m. needs the report of the run that paged them.

Keeping every run of a 5-minute job would fill any volume (about 2.5 MB a run for 36
domains), so a run is kept when it says something new: the first run of each UTC day, and
every run whose findings differ from the last kept one (something broke, something changed,
it recovered). Each kept run is a folder `DAY/HHMMSSZ-STATUS-FINGERPRINT/` holding its
results.json, report.html and junit.xml; day folders older than `--archive-days` are deleted.
Nothing here may cost the run its verdict: a failure is reported, never raised.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_KEEP_DAYS = 7
DAY_FOLDER = re.compile(r"\d{4}-\d{2}-\d{2}")
RUN_FOLDER = re.compile(r"(\d{6})Z-([a-z]+)-([0-9a-f]{8})")
UNCHANGED_OUTCOMES = ("passed", "skipped")


def fingerprint(document: Mapping[str, Any]) -> str:
    """What the run found, in 8 hex digits: its status and every check that did not pass."""
    problems = sorted((str(r["domain"]), str(r["check"]), str(r["outcome"]))
                      for r in document["results"] if r["outcome"] not in UNCHANGED_OUTCOMES)
    text = json.dumps([document["status"], problems])
    return hashlib.sha256(text.encode()).hexdigest()[:8]


@dataclass
class ArchiveOutcome:
    kept: Path | None = None
    reason: str = ""
    removed: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = f"archive: kept in {self.kept}" if self.kept else "archive: not kept"
        text += f" ({self.reason})" if self.reason else ""
        if self.removed:
            text += f"; removed {len(self.removed)} day(s) older than the archive keeps"
        return text


def _last_kept(archive: Path) -> tuple[str, str] | None:
    """(day, fingerprint) of the newest kept run."""
    days = sorted((d for d in archive.iterdir() if d.is_dir() and DAY_FOLDER.fullmatch(d.name)),
                  reverse=True)
    for day in days:
        runs = sorted((r.name for r in day.iterdir() if RUN_FOLDER.fullmatch(r.name)),
                      reverse=True)
        if runs:
            found = RUN_FOLDER.fullmatch(runs[0])
            assert found is not None
            return day.name, found.group(3)
    return None


def _prune(archive: Path, today: datetime.date, keep_days: int) -> list[str]:
    oldest = today - datetime.timedelta(days=keep_days - 1)
    removed = []
    for day in archive.iterdir():
        if not (day.is_dir() and DAY_FOLDER.fullmatch(day.name)):
            continue
        try:
            old = datetime.date.fromisoformat(day.name) < oldest
        except ValueError:
            continue
        if old:
            shutil.rmtree(day)
            removed.append(day.name)
    return sorted(removed)


def archive_run(files: Sequence[Path], document: Mapping[str, Any], archive: Path, *,
                now: float, keep_days: int = DEFAULT_KEEP_DAYS) -> ArchiveOutcome:
    """Keep a copy of the run's `files` when its findings are new (see the module's doc),
    then delete what is older than `keep_days` days. `now` is the wall clock, not --at."""
    moment = datetime.datetime.fromtimestamp(now, datetime.UTC)
    day = moment.date().isoformat()
    mark = fingerprint(document)
    try:
        archive.mkdir(parents=True, exist_ok=True)
        last = _last_kept(archive)
        outcome = ArchiveOutcome()
        if last == (day, mark):
            outcome.reason = "the same findings as the last kept run"
        else:
            target = archive / day / f"{moment:%H%M%S}Z-{document['status']}-{mark}"
            target.mkdir(parents=True, exist_ok=True)
            for path in files:
                if path.is_file():
                    shutil.copy2(path, target / path.name)
            outcome.kept = target
            outcome.reason = ("first run of the day" if last is None or last[0] != day
                              else "the findings changed")
        outcome.removed = _prune(archive, moment.date(), keep_days)
        return outcome
    except OSError as exc:
        return ArchiveOutcome(None, f"cannot write the archive: {exc.strerror or exc}")
