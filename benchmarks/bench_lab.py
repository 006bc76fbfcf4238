"""Benchmark: how long collection and the checks take on the lab, and what parallelism buys.

    python benchmarks/bench_lab.py            # starts the lab if needed (root), prints figures

Prints the per-zone collection time (queries to every authoritative server, ancestors shared),
the time to run every zone check over the collected data, the number of queries sent, and the
wall time of the whole suite through pytest serially and with `-n 2`.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import lab  # noqa: E402
from dnssec_conformance import transport  # noqa: E402
from dnssec_conformance.anchors import load_anchors  # noqa: E402
from dnssec_conformance.catalog import run_check, zone_checks  # noqa: E402
from dnssec_conformance.collect import Collector  # noqa: E402
from dnssec_conformance.config import load_config, resolver_addresses  # noqa: E402
from dnssec_conformance.context import Evaluation  # noqa: E402


def count_queries() -> list[int]:
    counter = [0]
    original = transport._ask_once

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        counter[0] += 1
        return original(*args, **kwargs)

    transport._ask_once = counting  # type: ignore[assignment]
    return counter


def suite_wall_time(domains: Path, *extra: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pytest", "--domains", str(domains), "suites", "-q",
                    "-p", "no:cacheprovider", "--results", "/tmp/bench-results.json", *extra],
                   cwd=ROOT, capture_output=True, check=False)
    return time.perf_counter() - started


def main() -> None:
    info = lab.up()
    config = load_config(info.domains_yaml)
    anchors = load_anchors(config.trust_anchors)
    queries = count_queries()
    collector = Collector(resolver_addresses(config), config.query)
    collect_times, check_times = [], []
    for domain in config.domains:
        started = time.perf_counter()
        zone = collector.collect(domain)
        collect_times.append(time.perf_counter() - started)
        evaluation = Evaluation(time.time(), anchors, domain.thresholds, config.clock)
        started = time.perf_counter()
        for check in zone_checks():
            run_check(check, zone, evaluation)
        check_times.append(time.perf_counter() - started)
    zones = len(config.domains)
    print(f"zones: {zones}, zone checks: {len(zone_checks())}")
    print(f"queries sent: {queries[0]} ({queries[0] / zones:.1f} per zone, ancestors shared)")
    print(f"collection per zone: median {statistics.median(collect_times) * 1000:.1f} ms, "
          f"max {max(collect_times) * 1000:.1f} ms, total {sum(collect_times):.2f} s")
    print(f"all checks per zone: median {statistics.median(check_times) * 1000:.1f} ms, "
          f"max {max(check_times) * 1000:.1f} ms, total {sum(check_times):.2f} s")
    print(f"pytest suites, serial: {suite_wall_time(info.domains_yaml):.2f} s")
    print(f"pytest suites, -n 2:   {suite_wall_time(info.domains_yaml, '-n', '2'):.2f} s")


if __name__ == "__main__":
    main()
