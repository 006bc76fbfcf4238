"""Benchmark: the HTML report at scale, its size and its rendering in headless Chromium,
against an empty pytest-html report, measured in one run.

    python benchmarks/bench_report.py            # 1000 scale zones + the lab's scenarios
    python benchmarks/bench_report.py 5000

Starts the lab with N extra good zones (on $LAB_PREFIX or 127.77) and checks them together
with the lab's scenario zones (the broken ones give the report its problems). For the report
as it is written at that size (only the checks that did not pass) and for the full table
(`--report-rows all`, every check, as before), it prints the run's wall time and peak memory,
the report's size and the time headless Chromium takes to load and render it (`--dump-dom`:
the page's scripts have run, pytest-html's table is drawn), the median of three, beside an
empty pytest-html report (one trivial test) and a blank page (Chromium's own start-up: the
last column is the time beyond it), all in the same run. Figures vary with the machine's
load: compare the ratios.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_scale import timed  # noqa: E402

import lab  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
RENDERS = 3


def render_s(url: str, profile: Path) -> float:
    """Median seconds for headless Chromium to load `url`, run its scripts and dump the DOM."""
    times = []
    for _ in range(RENDERS):
        started = time.perf_counter()
        subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                        "--disable-background-networking", "--disable-component-update",
                        "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
                        "--dump-dom", url], capture_output=True, timeout=600, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def domains_file(info: lab.LabInfo, target: Path) -> int:
    scenarios = yaml.safe_load(info.domains_yaml.read_text())
    scale = yaml.safe_load(info.scale_domains_yaml.read_text())  # type: ignore[union-attr]
    scenarios["trust_anchors"] = str(info.domains_yaml.parent / scenarios["trust_anchors"])
    scenarios["domains"] = scenarios["domains"] + scale["domains"]
    target.write_text(yaml.safe_dump(scenarios))
    return len(scenarios["domains"])


def product(domains: Path, folder: Path, rows: str) -> tuple[float, int, Path]:
    html = folder / f"report-{rows}.html"
    seconds, peak, _ = timed([
        sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(ROOT / "suites"),
        "--domains", str(domains), "--results", str(folder / f"results-{rows}.json"),
        "--html", str(html), "--self-contained-html", "--report-rows", rows,
        "--junitxml", str(folder / f"junit-{rows}.xml"),
        "--state-dir", str(folder / f"state-{rows}")], folder)
    return seconds, peak, html


def empty_report(folder: Path) -> Path:
    (folder / "test_one.py").write_text("def test_one():\n    assert True\n")
    html = folder / "empty.html"
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                    "-p", "no:dnssec_conformance", str(folder / "test_one.py"),
                    "--html", str(html), "--self-contained-html"], cwd=folder,
                   capture_output=True, check=True)
    return html


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("zones", nargs="?", type=int, default=1000)
    args = parser.parse_args()
    print(f"building the lab with {args.zones} extra zones ...", flush=True)
    info = lab.up(scale=args.zones)
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        folder = Path(tmp)
        domains = folder / "domains.yaml"
        count = domains_file(info, domains)
        blank = render_s("about:blank", folder / "profile")
        empty = empty_report(folder)
        empty_s = render_s(empty.as_uri(), folder / "profile")
        print(f"{count} domains ({args.zones} scale zones + the lab's scenarios)")
        print(f"blank page: {blank:.2f} s to render; empty pytest-html report: "
              f"{empty.stat().st_size / 1e3:.0f} kB, {empty_s:.2f} s")
        print(f"{'table':<9} {'run s':>6} {'peak MB':>8} {'report MB':>9} {'render s':>8} "
              f"{'x empty':>7} {'beyond a blank page s':>21}")
        for rows in ("auto", "all"):
            seconds, peak, html = product(domains, folder, rows)
            shown = render_s(html.as_uri(), folder / "profile")
            label = "problems" if rows == "auto" else "every row"
            print(f"{label:<9} {seconds:>6.1f} {peak / 1024:>8.0f} "
                  f"{html.stat().st_size / 1e6:>9.2f} {shown:>8.2f} {shown / empty_s:>7.2f} "
                  f"{shown - blank:>21.2f}", flush=True)
    lab.down()


if __name__ == "__main__":
    main()
