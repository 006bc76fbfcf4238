"""The state directory: one file per zone, read, advanced and written under a lock (safe
between the processes of one run); a file that cannot be used is moved aside, never
overwritten."""

from __future__ import annotations

import datetime
import fcntl
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import dns.dnssec
import dns.exception
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype

from ..errors import StateError
from ..files import write_atomically
from .codec import from_document, stamp, to_document
from .history import advance
from .model import LOCK_NAME, History, KeyObservation, ZoneState


def state_file_name(zone: dns.name.Name) -> str:
    """`example.com.json`; `root.json` for the root. Characters outside [a-z0-9._-] are
    escaped, so that no zone name can leave the state directory."""
    labels = zone.relativize(dns.name.root).labels
    if not labels:
        return "root.json"
    escaped = [re.sub(rb"[^a-z0-9_-]", lambda m: b"%%%02x" % m.group()[0], label.lower())
               for label in labels]
    return b".".join(escaped).decode("ascii") + ".json"


@dataclass(frozen=True)
class StateDirectory:
    """Where the zones' state files live, and whether this run may write them."""

    path: Path
    writable: bool = True

    def record_run(self, zone: dns.name.Name, seen: KeyObservation | None,
                   now: float) -> History:
        """Fold what this run saw of `zone`'s keys (`analysis.keys_seen.observe`; None: the
        zone could not be found) into its state file (when writable) and return the history
        the checks judge with. Safe between processes: the read, the update and the write
        happen under a lock, and a second process of the same run (same instant) finds the
        run already recorded."""
        moment = int(now)
        file = self.path / state_file_name(zone)
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            return _in_memory(zone, seen, moment, file,
                              f"cannot create the state directory {self.path}: {exc}")
        with _locked(self.path / LOCK_NAME):
            state, problem, may_write = read_state(file, zone.to_text())
            if seen is None:
                return History(state, file, problem, "the zone could not be found: no key "
                               "history recorded by this run", observed=False)
            if state is not None and state.last_run > moment:
                return History(state, file, problem,
                               f"the key history was last updated at {stamp(state.last_run)}, "
                               "after the evaluated instant: this run does not change it",
                               observed=False)
            if state is not None and state.last_run == moment:
                return History(state, file, problem)  # another process of this run wrote it
            updated = advance(state, seen, moment, zone.to_text())
            note = None
            if not self.writable:
                note = (f"read-only run (--at without --state-dir): {file} was read, "
                        "not written")
            elif may_write:
                try:
                    write_atomically(file, to_document(updated))
                except OSError as exc:
                    problem = f"could not write the key history {file}: {exc}"
            return History(updated, file, problem, note)


def _in_memory(zone: dns.name.Name, seen: KeyObservation | None, moment: int, file: Path,
               problem: str) -> History:
    if seen is None:
        return History(None, file, problem, observed=False)
    return History(advance(None, seen, moment, zone.to_text()), file, problem)


def read_state(file: Path, zone: str) -> tuple[ZoneState | None, str | None, bool]:
    """(state or None, the problem to report, whether the file may be written). A file that
    cannot be used is moved aside, so that writing a new one loses nothing."""
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, None, True
    except (OSError, UnicodeDecodeError) as exc:
        why = f"unreadable: {exc}"
    else:
        try:
            return from_document(json.loads(text), zone), None, True
        except json.JSONDecodeError as exc:
            why = f"not JSON: {exc}"
        except StateError as exc:
            why = str(exc)
    aside = _aside_name(file)
    try:
        file.rename(aside)
    except OSError as exc:
        return None, (f"the key history {file} cannot be used ({why}) and could not be moved "
                      f"aside ({exc}): it is left untouched and this run keeps no history"), False
    return None, (f"the key history {file} could not be used ({why}); it was moved aside to "
                  f"{aside.name} and this run starts a new baseline"), True


def _aside_name(file: Path) -> Path:
    now = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    candidate = file.with_name(f"{file.name}.corrupt-{now}")
    counter = 1
    while candidate.exists():
        candidate = file.with_name(f"{file.name}.corrupt-{now}-{counter}")
        counter += 1
    return candidate


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
