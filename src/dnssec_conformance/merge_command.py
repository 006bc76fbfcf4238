"""`dnssec-conformance merge DIR --results FILE [--html FILE] [--junitxml FILE] ...`

Merges the results a fleet's shards wrote under DIR into one results.json, one HTML report,
one JUnit file, one heartbeat and one set of metrics, as a single run over every domain
would have made them. A missing or partial shard is named, never merged into a `healthy`.
Exit status: 0 healthy or warning, 1 critical or unknown (a check failed or could not
check, a shard is missing), 4 bad options or domains file.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from pathlib import Path
from typing import Any, NoReturn

from .config import shards
from .config.loading import load_config
from .config.model import Config, Thresholds
from .errors import ConformanceError, one_line
from .files import write_atomically
from .report import merge, metrics
from .report import page as report_page
from .report import scale as report_scale
from .report.heartbeat import configured_url
from .report.publish import Destinations, publish

USAGE_ERROR = 4
POLL_S = 2.0
MAX_WAIT_S = 24 * 3600.0


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"ERROR: dnssec-conformance merge: {one_line(message)}\n")
        raise SystemExit(USAGE_ERROR)


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="dnssec-conformance merge",
                description="Merge the results.json files that the shards of a fleet run "
                            "(--shard I/N) wrote under DIR into one run's outputs.")
    p.add_argument("directory", metavar="DIR", type=Path,
                   help="where the shards wrote (searched for */results.json)")
    p.add_argument("--results", metavar="FILE", type=Path, required=True,
                   help="the merged results.json")
    p.add_argument("--html", metavar="FILE", type=Path, default=None,
                   help="the merged HTML report (self-contained)")
    p.add_argument("--junitxml", metavar="FILE", type=Path, default=None,
                   help="the merged JUnit XML")
    p.add_argument("--domains", metavar="FILE", default=None,
                   help="the domains.yaml the shards checked: names the domains of a "
                        "missing shard, and refuses shards that read another file")
    p.add_argument("--shards", metavar="N", type=int, default=None,
                   help=f"how many shards the run has (default: ${shards.COUNT_ENV}, else "
                        "what the newest shard says)")
    p.add_argument("--run-id", metavar="ID", default=None,
                   help=f"merge only the shards of this run (default: ${shards.RUN_ID_ENV}, "
                        "else the run of the newest shard)")
    p.add_argument("--wait", metavar="SECONDS", type=float, default=0.0,
                   help="wait up to SECONDS for every shard to report, then merge what is "
                        "there (default: merge at once)")
    p.add_argument("--snapshot", metavar="FILE", type=Path, default=None,
                   help="also merge the shards' snapshots (--save-snapshot) into FILE")
    p.add_argument("--report-rows", choices=("auto", "all", "problems"), default="auto",
                   help="the HTML table: every check, or only those that did not pass "
                        "(auto: only those from "
                        f"{report_scale.PROBLEMS_ONLY_FROM_DOMAINS} domains on)")
    p.add_argument("--heartbeat-url", metavar="URL", default=None,
                   help="OneUptime incoming-request URL (default: $ONEUPTIME_HEARTBEAT_URL)")
    p.add_argument("--metrics-file", metavar="FILE", type=Path, default=None,
                   help="Prometheus text for node_exporter's textfile collector (atomic)")
    p.add_argument("--pushgateway", metavar="URL", default=None,
                   help="push the metrics to a Prometheus Pushgateway")
    p.add_argument("--otlp-endpoint", metavar="URL", default=None,
                   help="OTLP/HTTP metrics endpoint (default: "
                        f"${metrics.OTLP_ENDPOINT_ENV}; token: ${metrics.OTLP_TOKEN_ENV})")
    return p


def _usage(message: str) -> int:
    sys.stderr.write(f"ERROR: {one_line(message)}\n")
    return USAGE_ERROR


def gather(directory: Path, *, count: int | None, run_id: str | None,
           names: list[str] | None, digest: str | None, wait_s: float
           ) -> tuple[int, str | None, list[merge.ShardState], list[str]]:
    """The shards' states, waiting up to `wait_s` for all of them to be complete."""
    deadline = time.monotonic() + min(max(wait_s, 0.0), MAX_WAIT_S)
    while True:
        # the merging pod may start before any shard has written: wait for the directory too
        found = merge.find_results(directory) if directory.is_dir() or wait_s <= 0 else []
        files, problems = merge.read_shard_files(found)
        total, run, states = merge.classify(files, count=count, run_id=run_id,
                                            domains=names, domains_digest=digest)
        complete = total > 0 and all(s.status == merge.MERGED for s in states)
        if complete or time.monotonic() >= deadline:
            return total, run, states, problems
        time.sleep(min(POLL_S, max(0.0, deadline - time.monotonic())))


def main(args: list[str]) -> int:
    options = parser().parse_args(args)
    count = options.shards
    if count is None and os.environ.get(shards.COUNT_ENV, "").strip().isdigit():
        count = int(os.environ[shards.COUNT_ENV])
    if count is not None and not 1 <= count <= shards.MAX_SHARDS:
        return _usage(f"--shards {count}: the number of shards must be 1 to "
                      f"{shards.MAX_SHARDS}")
    config: Config | None = None
    digest = None
    if options.domains:
        try:
            config = load_config(options.domains)
        except ConformanceError as exc:
            return _usage(str(exc))
        digest = hashlib.sha256(Path(options.domains).read_bytes()).hexdigest()
    try:
        total, run, states, problems = gather(
            options.directory, count=count, run_id=options.run_id or shards.run_id(),
            names=merge.domain_names(config) if config else None, digest=digest,
            wait_s=options.wait)
    except merge.MergeError as exc:
        return _usage(str(exc))
    document = merge.merge_documents(states, total, run_id=run,
                                     domains_file=options.domains)
    return write_outputs(options, document, states, config, problems)


def write_outputs(options: argparse.Namespace, document: dict[str, Any],
                  states: list[merge.ShardState], config: Config | None,
                  problems: list[str]) -> int:
    thresholds = config.thresholds if config else Thresholds()
    domain_thresholds = {d.display: d.thresholds for d in config.domains} if config else {}
    write_atomically(options.results, document)
    written = [f"results: {options.results}"]
    if options.html:
        page = report_page.merged_report_html(
            document, thresholds=thresholds, domain_thresholds=domain_thresholds,
            rows=options.report_rows, source=str(options.directory))
        _write_text(options.html, page)
        written.append(f"report: {options.html}")
    if options.junitxml:
        from .report.junit import junit_xml

        _write_bytes(options.junitxml, junit_xml(document["results"],
                                                 timestamp=document["finished_at"]))
        written.append(f"junit: {options.junitxml}")
    if options.snapshot:
        parts = merge.snapshot_parts(states)
        if parts:
            merge.merge_snapshot_files(parts, options.snapshot)
            written.append(f"snapshot: {options.snapshot} ({len(parts)} shards)")
        else:
            written.append(f"snapshot: not written: no shard wrote one ({options.snapshot})")
    destinations = Destinations(
        heartbeat_url=configured_url(options.heartbeat_url),
        metrics_file=options.metrics_file, pushgateway=options.pushgateway,
        otlp_endpoint=metrics.configured_otlp_endpoint(options.otlp_endpoint),
        otlp_token=metrics.otlp_token())
    published = publish(destinations, document, warning_days=thresholds.warning_days,
                        critical_days=thresholds.critical_days)
    write_atomically(options.results, document)
    from .plugin.reporter import summary_lines

    total = (document.get("shards") or {}).get("count", 0)
    print(f"merged {sum(1 for s in states if s.status == merge.MERGED)} of {total} shards "
          f"from {options.directory}")
    for line in [*problems, *merge.describe(states, total)]:
        print(f"  {line}")
    for line in summary_lines(document) if document["results"] else [
            f"status: {document['status']}: no shard reported"]:
        print(line[:200])
    for line in [*written, *published.lines()]:
        print(line)
    return 0 if document["status"] in ("healthy", "warning") else 1


def _write_text(path: Path, text: str) -> None:
    _write_bytes(path, text.encode("utf-8"))


def _write_bytes(path: Path, data: bytes) -> None:
    """Written then renamed, like results.json: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    temporary.replace(path)
