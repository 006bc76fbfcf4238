"""`dnssec-conformance fleet --dir DIR --domains FILE [merge options] [run options]`

The one command of every pod of the fleet's Kubernetes Indexed Job (k8s-fleet.yaml): a Job
of N+1 completions, N = $DNSSEC_SHARD_COUNT. The pod of index I < N runs shard I of N (the
default run, with `--shard I/N`, its results.json and snapshot in DIR/shard-I/); the pod of
index N waits for the N shards (up to `--wait` seconds) and merges them (`merge`): one
results.json, report, JUnit, heartbeat and metrics for the run, naming any shard that did
not report.

Options of the merge (`--results`, `--html`, `--junitxml`, `--metrics-file`,
`--pushgateway`, `--otlp-endpoint`, `--heartbeat-url`, `--report-rows`, `--wait`) go to the
merging pod; `--domains` to every pod; everything else (`-m`, `-k`, `--state-dir`, ...) to
the shards.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

from .config import shards
from .errors import one_line

USAGE_ERROR = 4
DEFAULT_KEEP_RUNS = 3
MERGE_OPTIONS = ("--results", "--html", "--junitxml", "--metrics-file", "--pushgateway",
                 "--otlp-endpoint", "--heartbeat-url", "--report-rows", "--wait")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dnssec-conformance fleet", add_help=True,
                                allow_abbrev=False)
    p.add_argument("--dir", required=True, type=Path,
                   help="the run's shared directory (one per run: the Job's name)")
    p.add_argument("--domains", required=True)
    p.add_argument("--keep-runs", type=int, default=DEFAULT_KEEP_RUNS,
                   help="after merging, delete all but the newest N run directories beside "
                        f"--dir (default: {DEFAULT_KEEP_RUNS})")
    for option in MERGE_OPTIONS:
        p.add_argument(option, default=None)
    return p


def commands(args: list[str], environ: Mapping[str, str]) -> tuple[str, list[str], int]:
    """("run" or "merge", its arguments, runs to keep) for this pod of the Indexed Job."""
    known, rest = _parser().parse_known_args(args)
    count_text = environ.get(shards.COUNT_ENV, "").strip()
    if not count_text.isdigit() or int(count_text) < 1:
        raise shards.ShardError(f"fleet: ${shards.COUNT_ENV} must be the number of shards "
                                f"(the Job has one completion more: the merge), not "
                                f"{count_text!r}")
    count = int(count_text)
    index_text = environ.get(shards.INDEX_ENV, "").strip()
    if not index_text.isdigit() or int(index_text) > count:
        raise shards.ShardError(f"fleet: ${shards.INDEX_ENV} must be 0..{count} (an Indexed "
                                f"Job of {count + 1} completions), not {index_text!r}")
    index = int(index_text)
    directory = known.dir
    if index < count:
        shard_dir = directory / f"shard-{index}"
        return "run", [*rest, "--domains", known.domains, "--shard", f"{index}/{count}",
                       "--results", str(shard_dir / "results.json"),
                       "--save-snapshot", str(shard_dir / "snapshot.json")], 0
    merge_args = [str(directory), "--domains", known.domains, "--shards", str(count),
                  "--snapshot", str(directory / "snapshot.json")]
    for option in MERGE_OPTIONS:
        value = getattr(known, option.lstrip("-").replace("-", "_"))
        if value is not None:
            merge_args += [option, value]
    if known.results is None:
        merge_args += ["--results", str(directory / "results.json")]
    return "merge", merge_args, max(1, known.keep_runs)


def prune_runs(directory: Path, keep: int) -> list[Path]:
    """Delete the oldest run directories beside `directory` (those holding shard-*/
    folders), keeping the newest `keep`, this one always; what was deleted."""
    parent = directory.resolve().parent
    try:
        runs = [p for p in parent.iterdir()
                if p.is_dir() and not p.is_symlink() and any(p.glob("shard-*"))]
    except OSError:
        return []
    runs.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    removed = []
    for old in runs[keep:]:
        if old == directory.resolve():
            continue
        shutil.rmtree(old, ignore_errors=True)
        removed.append(old)
    return removed


def main(args: list[str]) -> int:
    try:
        mode, arguments, keep = commands(args, os.environ)
    except shards.ShardError as exc:
        sys.stderr.write(f"ERROR: {one_line(str(exc))}\n")
        return USAGE_ERROR
    from . import cli

    code = cli.SUBCOMMANDS[mode](arguments)
    if mode == "merge":
        for removed in prune_runs(Path(arguments[0]), keep):
            print(f"removed the old run directory {removed}")
    return code
