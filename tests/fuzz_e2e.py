"""One end-to-end fuzz case: the seeded hostile universe (tests/hostile_dns.py) serving, the
real product run against it as a subprocess (`pytest suites --domains ...`, whatever
collects the data inside), and the invariants checked on what it left:

- it ends by itself within its bound, with exit code 0 or 1 (never a usage error, an
  internal error or an interruption), no traceback, no INTERNALERROR;
- results.json is written, parses, names every domain, and stays bounded;
- no check crashed (a record of outcome `error` without findings is pytest's record of an
  exception inside a check);
- every zone whose own questions got an unusable answer is not healthy (no silent pass);
- no finding names a server at an address a delegation must never make us use.

`python -m tests.fuzz_e2e --seed 7 --runs 3` runs cases from the command line.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from .hostile_dns import FORBIDDEN_ADDRESSES, Plan, serving, write_inputs

ROOT = Path(__file__).parent.parent
MAX_RESULTS_BYTES = 8 * 2**20


@dataclass
class CaseResult:
    seed: int
    zones: int
    seconds: float
    exit_code: int | None
    answers: int = 0
    hostile: int = 0
    by_fault: dict[str, int] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    lead_violations: list[str] = field(default_factory=list)  # the probe engine's (issue 11)

    def summary(self) -> str:
        return (f"seed {self.seed}: {self.zones} zones, {self.answers} answers, {self.hostile} "
                f"hostile, exit {self.exit_code}, {self.seconds:.1f} s, "
                f"{len(self.violations)} violation(s), {len(self.lead_violations)} for the "
                "probe engine")


def run_case(seed: int, folder: Path, *, zones: int = 12, rate: float = 0.3,
             bound_s: float = 120.0, lead_faults: bool = False,
             prefix: str | None = None) -> CaseResult:
    prefix = prefix or os.environ.get("LAB_PREFIX", "127.85")
    plan = Plan(seed, rate, lead_faults=lead_faults)
    started = time.monotonic()
    with serving(prefix, seed, zones, plan, time.time()) as (universe, stats):
        domains = write_inputs(universe, folder)
        command = [sys.executable, "-m", "pytest", str(ROOT / "suites"), "--domains",
                   str(domains), "--results", str(folder / "results.json"),
                   "--html", str(folder / "report.html"), "--self-contained-html",
                   "--junitxml", str(folder / "junit.xml"), "--state-dir",
                   str(folder / "state"), "-p", "no:cacheprovider", "-q", "--tb=native",
                   "-o", "console_output_style=classic"]
        try:
            done = subprocess.run(command, cwd=folder, capture_output=True, text=True,
                                  timeout=bound_s, env={**os.environ, "PYTHONHASHSEED": "0"})
            exit_code: int | None = done.returncode
            output = done.stdout + done.stderr
        except subprocess.TimeoutExpired as expired:
            exit_code = None
            output = str(expired.stdout or "") + str(expired.stderr or "")
        counts = stats.as_json()
    result = CaseResult(seed, zones, time.monotonic() - started, exit_code,
                        int(counts["answers"]), int(counts["hostile"]),
                        dict(counts["by_fault"]))  # type: ignore[arg-type]
    (folder / "output.txt").write_text(output)
    (folder / "stats.json").write_text(json.dumps(counts, indent=1))
    _judge(result, folder, output, counts, lead_faults)
    return result


def _judge(result: CaseResult, folder: Path, output: str, counts: dict[str, object],
           lead_faults: bool) -> None:
    problems = result.violations
    if result.exit_code is None:
        (result.lead_violations if lead_faults else problems).append(
            f"hang: still running after its bound ({result.seconds:.0f} s)")
        return
    if result.exit_code not in (0, 1):
        problems.append(f"exit code {result.exit_code}")
    for marker in ("Traceback (most recent call last)", "INTERNALERROR"):
        if marker in output:
            line = next(x for x in output.splitlines() if marker in x or "Error" in x)
            problems.append(f"{marker} in the output: {line[:200]}")
    path = folder / "results.json"
    if not path.exists():
        problems.append("no results.json")
        return
    size = path.stat().st_size
    if size > MAX_RESULTS_BYTES:
        problems.append(f"results.json is {size} bytes")
    try:
        document = json.loads(path.read_text())
    except ValueError as exc:
        problems.append(f"results.json does not parse: {exc}")
        return
    records = document["results"]
    by_domain: dict[str, list[dict[str, object]]] = {}
    for record in records:
        by_domain.setdefault(str(record["domain"]), []).append(record)
    zone_faults: dict[str, str] = counts["zone_faults"]  # type: ignore[assignment]
    for zone in zone_faults:
        if zone.rstrip(".") not in by_domain:
            problems.append(f"{zone}: no record in results.json")
    for record in records:
        if record["outcome"] == "error" and not record["findings"]:
            problems.append(f"internal error recorded as an outcome: {record['domain']} "
                            f"{record['check']}: {str(record['message'])[:200]}")
        for finding in record["findings"]:
            server = str(finding.get("server") or "")
            if any(f"({address})" in server or f"[{address}]" in server
                   for address in FORBIDDEN_ADDRESSES):
                result.lead_violations.append(
                    f"{record['domain']} {record['check']}: a server at a forbidden address: "
                    f"{server[:120]}")
    unusable: dict[str, list[str]] = counts["unusable_by_zone"]  # type: ignore[assignment]
    for zone, faults in unusable.items():
        group = by_domain.get(zone.rstrip("."), [])
        if group and all(r["outcome"] in ("passed", "skipped") for r in group):
            problems.append(f"silent pass: {zone} got unusable answers ({', '.join(faults)}) "
                            "and every check passed")


def main() -> None:
    parser = argparse.ArgumentParser(description="end-to-end fuzz cases against the product")
    parser.add_argument("--seed", type=int, default=int(time.time()) % 100000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--zones", type=int, default=12)
    parser.add_argument("--rate", type=float, default=0.3)
    parser.add_argument("--lead-faults", action="store_true")
    parser.add_argument("--out", type=Path, default=Path("reports/fuzz"))
    arguments = parser.parse_args()
    for offset in range(arguments.runs):
        seed = arguments.seed + offset
        result = run_case(seed, arguments.out / f"seed-{seed}", zones=arguments.zones,
                          rate=arguments.rate, lead_faults=arguments.lead_faults)
        print(result.summary(), flush=True)
        for violation in result.violations + result.lead_violations:
            print(f"  {violation}", flush=True)


if __name__ == "__main__":
    main()
