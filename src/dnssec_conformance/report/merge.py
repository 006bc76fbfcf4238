"""The merge of a fleet's shards: N shard results.json files into the document one process
over all domains would have written.

Records are keyed by (subject, check): the union of the shards' records is the single run's,
because each domain belongs to exactly one shard (and the canaries, CoreDNS and the local
clock to shard 0). What a shard should have checked and did not is never silently absent:

- a **missing** shard (no results.json for its index in this run, or one written for another
  run, another shard count or another domains file) and a **partial** one (a results.json
  without records for some of the domains of its share: an interrupted pod, a bad file)
  make every absent (domain, check) an `error` record ("not checked: shard 2 of 4 wrote no
  results"), the merged status `critical` (`unknown` when no shard reported at all), the
  priority P1, `incomplete: true`, and `shards` names each such shard and why;
- what the shards did measure is kept, whatever happened to the others.

Pure functions of the shards' documents; `load_shards` reads a directory.
"""

from __future__ import annotations

import calendar
import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..catalog import all_checks
from ..config import shards
from ..errors import ConformanceError
from .results import DOMAIN, UNKNOWN, build_document, kind_of

RESULTS_NAME = "results.json"
MERGED = "merged"
NAMES_IN_REASON = 3


@dataclass
class ShardFile:
    """One shard's results.json as found in the directory."""

    path: Path
    document: dict[str, Any]

    @property
    def block(self) -> dict[str, Any]:
        return self.document.get("shard") or {}

    @property
    def index(self) -> int:
        return int(self.block.get("index", -1))

    @property
    def count(self) -> int:
        return int(self.block.get("count", 0))

    @property
    def run_id(self) -> str | None:
        return self.block.get("run_id")

    @property
    def finished_at(self) -> str:
        return str(self.document.get("finished_at") or "")


@dataclass
class ShardState:
    """What the merge made of one index."""

    index: int
    status: str  # merged, missing, partial, interrupted
    reason: str = ""
    source: ShardFile | None = None
    expected: list[str] = field(default_factory=list)  # its domains
    unchecked: list[str] = field(default_factory=list)  # of those, the ones with no record

    def as_record(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "index": self.index, "status": self.status, "reason": self.reason,
            "results": str(self.source.path) if self.source else None,
            "domains": len(self.expected), "unchecked_domains": len(self.unchecked),
        }
        if self.source is not None:
            entry["evaluated_at"] = self.source.document.get("evaluated_at")
            entry["finished_at"] = self.source.document.get("finished_at")
            entry["exit_status"] = self.source.document.get("exit_status")
        return entry


class MergeError(ConformanceError, ValueError):
    """Nothing to merge can even be looked for (a directory that does not exist); one line."""


def find_results(directory: Path) -> list[Path]:
    """Every results.json under `directory` (shard-0/results.json, ...), sorted."""
    if not directory.is_dir():
        raise MergeError(f"{directory}: no such directory")
    return sorted(p for p in directory.rglob(RESULTS_NAME) if p.is_file())


def read_shard_files(paths: Iterable[Path]) -> tuple[list[ShardFile], list[str]]:
    """The files that are a shard's results, and a line for each file that could not be
    read (it is then missing for its shard)."""
    found, problems = [], []
    for path in paths:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            problems.append(f"{path}: could not be read ({type(exc).__name__})")
            continue
        if not isinstance(document, dict) or not isinstance(document.get("shard"), dict):
            continue  # a merged results.json, or a run that was not a shard: not an input
        if not isinstance(document.get("results"), list):
            problems.append(f"{path}: not a results.json (no results)")
            continue
        found.append(ShardFile(path, document))
    return found, problems


def _chosen_run(files: Sequence[ShardFile], run_id: str | None) -> str | None:
    """The run to merge: the one asked for, else the one whose shard finished last."""
    if run_id is not None or not files:
        return run_id
    return max(files, key=lambda f: f.finished_at).run_id


def _chosen_count(files: Sequence[ShardFile], count: int | None) -> int:
    if count is not None:
        return count
    if not files:
        return 0
    newest = max(files, key=lambda f: f.finished_at)
    return newest.count


def expected_domains(domains: Sequence[str] | None, index: int, count: int,
                     source: ShardFile | None) -> list[str]:
    """A shard's share: from the domains file when the merge has it, else as the shard
    itself recorded it."""
    if domains is not None:
        return [d for d in domains if shards.shard_of(d, count) == index]
    if source is not None:
        return [str(d) for d in source.block.get("domains", [])]
    return []


def classify(files: Sequence[ShardFile], *, count: int | None = None,
             run_id: str | None = None, domains: Sequence[str] | None = None,
             domains_digest: str | None = None) -> tuple[int, str | None, list[ShardState]]:
    """Which file stands for which shard, and what each shard is: merged, partial,
    interrupted or missing (with the reason)."""
    run = _chosen_run(files, run_id)
    total = _chosen_count([f for f in files if f.run_id == run], count)
    by_index: dict[int, ShardFile] = {}
    rejected: dict[int, str] = {}
    for shard_file in sorted(files, key=lambda f: f.finished_at):
        index = shard_file.index
        if shard_file.run_id != run:
            rejected.setdefault(index, f"{shard_file.path} is of another run "
                                       f"({shard_file.run_id or 'no run ID'})")
        elif shard_file.count != total:
            rejected.setdefault(index, f"{shard_file.path} was written for "
                                       f"{shard_file.count} shards, not {total}")
        elif domains_digest and shard_file.block.get("domains_file_sha256") not in (
                None, "", domains_digest):
            rejected.setdefault(index, f"{shard_file.path} checked another domains file")
        else:
            by_index[index] = shard_file  # the newest of duplicates wins
    states = []
    for index in range(total):
        source = by_index.get(index)
        expected = expected_domains(domains, index, total, source)
        if source is None:
            reason = rejected.get(index, "wrote no results.json (its pod did not finish, or "
                                         "did not start)")
            states.append(ShardState(index, "missing", reason, None, expected, expected))
            continue
        checked = {str(r["domain"]) for r in source.document["results"]
                   if kind_of(r) == DOMAIN}
        unchecked = [d for d in expected if d not in checked]
        if source.document.get("interrupted"):
            states.append(ShardState(index, "interrupted", "was interrupted (SIGTERM or "
                                     "SIGINT): what it did not check is unknown", source,
                                     expected, unchecked))
        elif unchecked:
            names = ", ".join(unchecked[:NAMES_IN_REASON])
            more = f" +{len(unchecked) - NAMES_IN_REASON} more" if \
                len(unchecked) > NAMES_IN_REASON else ""
            states.append(ShardState(index, "partial", f"has no records for "
                                     f"{len(unchecked)} of its {len(expected)} domains "
                                     f"({names}{more})", source, expected, unchecked))
        else:
            states.append(ShardState(index, MERGED, "", source, expected, []))
    return total, run, states


def _not_checked(domain: str, check: str, state: ShardState, count: int) -> dict[str, Any]:
    spec = all_checks().get(check)
    message = f"not checked: shard {state.index} of {count} {state.reason}"
    return {"domain": domain, "kind": DOMAIN, "check": check,
            "title": spec.title if spec else "", "category": str(spec.category) if spec else "",
            "outcome": "error", "severity": "error", "message": message, "days_left": None,
            "remediation": "find out why the shard did not finish (`kubectl logs` of its pod, "
                           "its Job's events: a deadline, an eviction, out of memory) and "
                           "run it again; the other shards' verdicts stand",
            "findings": [{"severity": "error", "message": message, "server": None,
                          "evidence": "", "event": False}]}


def _domain_checks(files: Iterable[ShardFile]) -> list[str]:
    """The checks the shards ran per domain (they all ran the same selection)."""
    checks: dict[str, None] = {}
    for shard_file in files:
        for record in shard_file.document["results"]:
            if kind_of(record) == DOMAIN:
                checks.setdefault(str(record["check"]), None)
    return sorted(checks)


def _sum_probe(files: Iterable[ShardFile]) -> dict[str, int]:
    total: dict[str, int] = {}
    for shard_file in files:
        for key, value in (shard_file.document.get("probe") or {}).items():
            if isinstance(value, int | float):
                total[key] = total.get(key, 0) + int(value)
    return total


def _epoch(value: Any, default: float) -> float:
    try:
        return float(calendar.timegm(time.strptime(str(value), "%Y-%m-%dT%H:%M:%SZ")))
    except (TypeError, ValueError):
        return default


def merge_documents(states: Sequence[ShardState], count: int, *, run_id: str | None,
                    domains_file: str | None = None, now: float | None = None
                    ) -> dict[str, Any]:
    """One results document from the shards' states (see `classify`)."""
    now = time.time() if now is None else now
    present = [s.source for s in states if s.source is not None]
    records: dict[tuple[str, str], dict[str, Any]] = {}
    for source in present:
        for record in source.document["results"]:
            records[(str(record["domain"]), str(record["check"]))] = record
    checks = _domain_checks(present)
    for state in states:
        for domain in state.unchecked:
            for check in checks:
                records.setdefault((domain, check), _not_checked(domain, check, state, count))
    docs = [s.document for s in present]
    evaluated = min((_epoch(d.get("evaluated_at"), now) for d in docs), default=now)
    started = min((_epoch(d.get("started_at"), now) for d in docs), default=now)
    finished = max((_epoch(d.get("finished_at"), now) for d in docs), default=now)
    # an interrupted shard makes the merge incomplete; the merge itself was not interrupted
    # (its heartbeat is not hurried as an interrupted run's is)
    incomplete = any(s.status != MERGED for s in states) or count == 0
    ordered = list(records.values())
    exit_status = 0 if all(r["outcome"] not in ("failed", "error") for r in ordered) else 1
    document = build_document(
        ordered, evaluated_at=evaluated, started_at=started, finished_at=finished,
        domains_file=domains_file or next((d.get("domains_file") for d in docs), None),
        exit_status=exit_status, interrupted=False)
    probe = _sum_probe(present)
    if probe:
        document["probe"] = probe
    if incomplete:
        document["incomplete"] = True
        if document["status"] != UNKNOWN:
            document["status"], document["priority"] = "critical", "P1"
        document["exit_status"] = 1
    document["shards"] = {"count": count, "run_id": run_id,
                          "by_index": [s.as_record() for s in states]}
    return document


def domain_names(config: Any) -> list[str]:
    return [d.display for d in config.domains]


def snapshot_parts(states: Sequence[ShardState]) -> list[Path]:
    """The snapshots the merged shards wrote (recorded in their results.json)."""
    parts = []
    for state in states:
        source = state.source
        written = source.block.get("snapshot") if source is not None else None
        if not written or source is None:
            continue
        # where the shard wrote it, else beside its results.json (the directory was moved)
        for path in (Path(written), source.path.parent / Path(written).name):
            if path.is_file():
                parts.append(path)
                break
    return parts


def merge_snapshot_files(parts: Sequence[Path], target: Path) -> None:
    """The shards' snapshots as one (the same merge as xdist workers' parts)."""
    from ..probe.snapshot import merge_snapshot_documents

    documents = [json.loads(part.read_text(encoding="utf-8")) for part in parts]
    merge_snapshot_documents(documents, target)


def describe(states: Sequence[ShardState], count: int) -> list[str]:
    """One line per shard that did not simply merge."""
    return [f"shard {s.index} of {count} {s.status}: {s.reason}" for s in states
            if s.status != MERGED]


def shard_counts(states: Sequence[ShardState]) -> Mapping[str, int]:
    counts: dict[str, int] = {}
    for state in states:
        counts[state.status] = counts.get(state.status, 0) + 1
    return counts
