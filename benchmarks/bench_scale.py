"""Benchmark: the whole product at scale against pytest's own floor, measured in one run.

    python benchmarks/bench_scale.py                 # N = 100, 1000, 5000 (needs root: the lab)
    python benchmarks/bench_scale.py 100 1000        # other sizes
    python benchmarks/bench_scale.py --max 10000     # also the one-process run of 10,000 zones

Starts the lab with enough extra good zones (`python -m lab up --scale N`, on $LAB_PREFIX or
127.77), then for each N prints, side by side:

- pytest's floor: the same number of trivial parametrized tests (as many per zone as the
  suites collect), plain (`-q`), its wall time and peak memory;
- the product: every suite over the N zones, with the HTML report, JUnit and results.json, its
  wall time, the ratio of the two, peak memory (the pytest process and the engine process
  together), and the queries per zone counted at the client;
- the engine alone (probe + analysis, no pytest): zones per second, in one process and in two
  (each judging half of the zones, as two shards would).

Figures vary with the machine's load: compare the ratios, which are measured in one run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import lab  # noqa: E402
from dnssec_conformance.catalog import all_checks  # noqa: E402
from dnssec_conformance.config.loading import load_config  # noqa: E402
from dnssec_conformance.engine.runner import Run, RunRequest, plan_subjects  # noqa: E402


def tree_rss_kb(pid: int) -> int:
    """The resident memory of a process and all its descendants, from /proc."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += next(int(line.split()[1]) for line in status.splitlines()
                          if line.startswith("VmRSS:"))
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text().split()
                pending += [int(c) for c in children]
        except (OSError, StopIteration, ValueError):
            continue
    return total


def timed(argv: list[str], cwd: Path) -> tuple[float, int, int]:
    """Wall time, peak memory (KB, the process tree) and exit code of a command."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    peak = 0
    while process.poll() is None:
        peak = max(peak, tree_rss_kb(process.pid))
        time.sleep(0.05)
    return time.perf_counter() - started, peak, process.returncode


def write_domains(source: Path, count: int, target: Path) -> None:
    """The first `count` scale zones of the lab's domains-scale.yaml."""
    lines = source.read_text().splitlines()
    head = [line for line in lines if not line.startswith("  ")]
    entries = [line for line in lines if line.startswith("  ")][:2 * count]
    text = "\n".join(head + entries) + "\n"
    text = text.replace("trust_anchors: trust-anchors.txt",
                        f"trust_anchors: {source.parent / 'trust-anchors.txt'}")
    target.write_text(text)


def tests_per_zone(domains: Path, count: int, folder: Path) -> int:
    """How many tests the suites collect per zone (every check, the run-wide ones aside)."""
    listed = subprocess.run(
        [sys.executable, "-m", "pytest", "--co", "-q", "-p", "no:cacheprovider",
         str(ROOT / "suites"), "--domains", str(domains)], cwd=folder, capture_output=True,
        text=True, check=False).stdout
    return sum(1 for line in listed.splitlines() if "::" in line) // count


def floor(count: int, per_zone: int, folder: Path) -> tuple[float, int]:
    names = [f"scale-{i:05d}.test" for i in range(1, count + 1)]
    module = folder / "test_floor.py"
    module.write_text(
        "import pytest\n\nDOMAINS = " + json.dumps(names) + "\n\n" + "".join(
            f"@pytest.mark.parametrize('domain', DOMAINS)\ndef test_check_{i:02d}(domain):\n"
            "    assert domain\n\n" for i in range(per_zone)))
    seconds, peak, _ = timed([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                              "-p", "no:dnssec_conformance", str(module)], folder)
    return seconds, peak


def product(domains: Path, folder: Path) -> tuple[float, int, dict[str, object]]:
    results = folder / "results.json"
    seconds, peak, _ = timed([
        sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(ROOT / "suites"),
        "--domains", str(domains), "--results", str(results),
        "--html", str(folder / "report.html"), "--self-contained-html",
        "--junitxml", str(folder / "junit.xml"), "--state-dir", str(folder / "state")], folder)
    return seconds, peak, json.loads(results.read_text())


def _engine_share(domains: str, share: int, shares: int, done: multiprocessing.Queue) -> None:
    config = load_config(domains)
    subjects = plan_subjects(config, list(all_checks()))
    mine = tuple(s for index, s in enumerate(subjects) if index % shares == share)
    asyncio.run(Run(RunRequest(config, time.time(), mine), lambda s, r: None).run())
    done.put(len(mine))


def engine_alone(domains: Path, processes: int) -> float:
    """Zones per second of probe + analysis, in `processes` processes at once."""
    context = multiprocessing.get_context("spawn")
    done: multiprocessing.Queue = context.Queue()
    workers = [context.Process(target=_engine_share, args=(str(domains), i, processes, done))
               for i in range(processes)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    judged = sum(done.get() for _ in workers)
    seconds = time.perf_counter() - started
    for worker in workers:
        worker.join()
    return judged / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[100, 1000, 5000])
    parser.add_argument("--max", type=int, default=0,
                        help="also run the product alone on this many zones (e.g. 10000)")
    args = parser.parse_args()
    sizes = sorted(args.sizes)
    biggest = max([*sizes, args.max])
    print(f"building the lab with {biggest} extra zones ...", flush=True)
    info = lab.up(scale=biggest)
    assert info.scale_domains_yaml is not None
    print(f"{'zones':>6} {'tests':>6} {'floor s':>8} {'floor MB':>8} {'product s':>9} {'ratio':>6} "
          f"{'peak MB':>8} {'q/zone':>6} {'engine z/s':>10} {'2 procs z/s':>11}", flush=True)
    for count in sizes:
        with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
            folder = Path(tmp)
            domains = folder / "domains.yaml"
            write_domains(info.scale_domains_yaml, count, domains)
            per_zone = tests_per_zone(domains, count, folder)
            floor_s, floor_kb = floor(count, per_zone, folder)
            product_s, product_kb, document = product(domains, folder)
            probe = document.get("probe", {})
            queries = probe.get("queries", 0) / max(1, probe.get("zones", 1))  # type: ignore
            one = engine_alone(domains, 1)
            two = engine_alone(domains, 2)
        print(f"{count:>6} {count * per_zone:>6} {floor_s:>8.1f} {floor_kb / 1024:>8.0f} "
              f"{product_s:>9.1f} {product_s / floor_s:>6.2f} {product_kb / 1024:>8.0f} "
              f"{queries:>6.1f} {one:>10.0f} {two:>11.0f}", flush=True)
    if args.max:
        with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
            folder = Path(tmp)
            domains = folder / "domains.yaml"
            write_domains(info.scale_domains_yaml, args.max, domains)
            product_s, product_kb, document = product(domains, folder)
        print(f"{args.max} zones in one process: {product_s:.1f} s, peak "
              f"{product_kb / 1024:.0f} MB, {len(document['results'])} records")
    lab.down()


if __name__ == "__main__":
    threading.excepthook = lambda hook: None  # quiet daemon threads at exit
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
