"""The release fuzz campaign: the CI fuzz tests' generators run long, with figures.

    LAB_PREFIX=127.85 .venv/bin/python fuzz/campaign.py --responses 10000 --files 2000

- end-to-end cases of the real product against the seeded hostile universe until at least
  --responses hostile answers were sent (add --lead-faults for the faults the probe engine
  handles: address floods, forbidden addresses, class ANY);
- --files domains.yaml files from the Hypothesis mutator through the loader.

Prints every violation with its seed (`python -m tests.fuzz_e2e --seed N` replays one case)
and a summary; exits 1 if any violation was found. Needs root (port 53 on loopback).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hypothesis import HealthCheck, given, settings

from dnssec_conformance.anchors import load_anchors
from dnssec_conformance.config import load_config
from dnssec_conformance.errors import ConformanceError
from tests.fuzz_e2e import run_case
from tests.fuzz_inputs import config_files


def dns_campaign(seed: int, responses: int, zones: int, rate: float, lead_faults: bool,
                 out: Path) -> tuple[dict[str, object], list[str]]:
    totals: Counter[str] = Counter()
    faults: Counter[str] = Counter()
    violations, lead, durations = [], [], []
    case = 0
    while totals["hostile"] < responses:
        result = run_case(seed + case, out / f"seed-{seed + case}", zones=zones, rate=rate,
                          bound_s=300, lead_faults=lead_faults)
        case += 1
        totals.update(runs=1, zones=result.zones, answers=result.answers,
                      hostile=result.hostile)
        faults.update(result.by_fault)
        durations.append(result.seconds)
        violations += [f"seed {result.seed}: {v}" for v in result.violations]
        lead += [f"seed {result.seed}: {v}" for v in result.lead_violations]
        print(result.summary(), flush=True)
    durations.sort()
    figures = {**totals, "violations": len(violations), "probe_engine_violations": len(lead),
               "median_run_s": round(durations[len(durations) // 2], 1),
               "longest_run_s": round(durations[-1], 1), "by_fault": dict(faults)}
    return figures, violations + [f"[probe engine] {v}" for v in lead]


def file_campaign(files: int) -> tuple[dict[str, object], list[str]]:
    outcomes: Counter[str] = Counter()
    problems: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="fuzz-config-"))
    (folder / "anchors.bin").write_bytes(bytes(range(256)) * 4)
    (folder / "anchors.empty").write_bytes(b"")
    (folder / "anchors.a").write_text("example. 300 IN A 192.0.2.1\n")
    path = folder / "domains.yaml"

    @settings(max_examples=files, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(data=config_files())
    def one(data: bytes) -> None:
        path.write_bytes(data)
        started = time.monotonic()
        try:
            config = load_config(path)
            load_anchors(config.trust_anchors)
            outcomes["accepted"] += 1
        except ConformanceError as error:
            outcomes["refused"] += 1
            if len(str(error).splitlines()) != 1:
                problems.append(f"multi-line error: {str(error)[:200]!r}")
        except Exception as exc:  # a traceback in the product
            outcomes["crashed"] += 1
            problems.append(f"{exc.__class__.__name__}: {exc} for {data[:120]!r}")
        if time.monotonic() - started > 2:
            problems.append(f"slow: {time.monotonic() - started:.1f} s for {data[:120]!r}")

    one()
    return {"files": sum(outcomes.values()), **outcomes}, problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=int(time.time()) % 100_000)
    parser.add_argument("--responses", type=int, default=10_000)
    parser.add_argument("--files", type=int, default=2_000)
    parser.add_argument("--zones", type=int, default=40)
    parser.add_argument("--rate", type=float, default=0.3)
    parser.add_argument("--lead-faults", action="store_true")
    parser.add_argument("--out", type=Path, default=Path("reports/fuzz"))
    arguments = parser.parse_args()
    os.environ.setdefault("LAB_PREFIX", "127.85")
    print(f"campaign seed {arguments.seed}", flush=True)
    files, file_problems = file_campaign(arguments.files) if arguments.files else ({}, [])
    print(f"domains.yaml: {json.dumps(files)}", flush=True)
    dns_figures, dns_problems = dns_campaign(arguments.seed, arguments.responses,
                                             arguments.zones, arguments.rate,
                                             arguments.lead_faults, arguments.out)
    print(f"dns: {json.dumps(dns_figures)}", flush=True)
    for problem in file_problems + dns_problems:
        print(f"VIOLATION {problem}", flush=True)
    summary = {"seed": arguments.seed, "files": files, "dns": dns_figures,
               "violations": file_problems + dns_problems}
    arguments.out.mkdir(parents=True, exist_ok=True)
    (arguments.out / "campaign.json").write_text(json.dumps(summary, indent=1))
    sys.exit(1 if file_problems or dns_problems else 0)


if __name__ == "__main__":
    main()
