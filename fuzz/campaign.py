"""The release fuzz campaign: the CI fuzz tests' generators run long, with figures.

    LAB_PREFIX=127.88 .venv/bin/python fuzz/campaign.py --responses 10000 --files 2000

- end-to-end cases of the real product against the seeded hostile universe
  (tests/fuzz_e2e.py) until at least --responses hostile answers were sent: every wire
  fault, the probe engine's faults (hostile delegations: address floods answered TC then over
  TCP, forbidden addresses as glue, from the hosts zone, the zone's own NS set and the
  resolver; glueless cycles, referral loops; class-ANY answers) unless --no-lead-faults;
  every --interrupt-every'th case is sent SIGTERM or SIGINT (alternately) mid-run; others run
  with `--engine process` or `-n 2`, and every fourth with a zone budget of 2 s (zones given
  up on); each run is traced with strace (unless --no-strace) so that the kernel confirms no
  packet went to a forbidden address;
- --files domains.yaml files from the Hypothesis mutator through the loader, and every
  --cli-every'th of them through the real command (`--collect-only`: one line, exit code 4,
  or a collection; never a traceback, never a packet sent).

Prints every violation with its seed (`python -m tests.fuzz_e2e --seed N --lead-faults`
replays one case) and the figures, writes them to OUT/campaign.json; exits 1 if any
violation was found. Needs root (port 53 on loopback).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hypothesis import HealthCheck, given, seed, settings

from dnssec_conformance.config.anchors import load_anchors
from dnssec_conformance.config.loading import load_config
from dnssec_conformance.errors import ConformanceError
from tests.fuzz_e2e import GUARD, CaseResult, run_case
from tests.fuzz_inputs import config_files

USAGE_ERROR = 4


MODES = {"": (), "xdist": ("-n", "2"), "engine-process": ("--engine", "process")}


def case_mode(case: int, interrupt_every: int) -> tuple[signal.Signals | None, tuple[str, ...],
                                                        str]:
    """How the case-th run goes: interrupted (by which signal), and with which options: in
    pytest's process (the engine in a thread), under xdist, or the engine in a process."""
    if interrupt_every and case % interrupt_every == interrupt_every - 1:
        nth = case // interrupt_every
        sent = signal.SIGTERM if nth % 2 == 0 else signal.SIGINT
        mode = list(MODES)[nth // 2 % len(MODES)]
        return sent, MODES[mode], f"{sent.name} {mode}".strip()
    mode = {3: "xdist", 5: "engine-process"}.get(case % 7, "")
    return None, MODES[mode], mode


def dns_campaign(arguments: argparse.Namespace) -> tuple[dict[str, object], list[str]]:
    totals: Counter[str] = Counter()
    faults: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    violations: list[str] = []
    durations: list[float] = []
    interrupts: list[float] = []
    peak = 0
    case = 0
    while totals["hostile"] < arguments.responses:
        seed = arguments.seed + case
        interrupt, extra, mode = case_mode(case, arguments.interrupt_every)
        # Every fourth run gives each zone 2 s: zones given up on while others go on.
        budget = 2.0 if case % 4 == 1 else 20.0
        mode = f"{mode} budget-2s".strip() if budget == 2.0 else mode
        result: CaseResult = run_case(
            seed, arguments.out / f"seed-{seed}", zones=arguments.zones, rate=arguments.rate,
            bound_s=arguments.bound, lead_faults=arguments.lead_faults, interrupt=interrupt,
            strace=arguments.strace, extra_args=extra, zone_budget_s=budget)
        result.mode = mode
        case += 1
        totals.update(runs=1, zones=result.zones, queries=result.queries,
                      answers=result.answers, hostile=result.hostile,
                      product_sends=result.sends, syscall_sends=result.syscall_sends or 0)
        if result.interrupt:
            totals[f"interrupted_{result.interrupt}"] += 1
            interrupts.append(result.interrupted_after_s or 0.0)
        faults.update(result.by_fault)
        durations.append(result.seconds)
        peak = max(peak, result.peak_rss_kb)
        for violation in result.violations:
            kinds[violation.split(":")[0]] += 1
            violations.append(f"seed {result.seed} ({mode or 'plain'}): {violation}")
        print(result.summary(), flush=True)
    durations.sort()
    figures = {**totals, "violations": len(violations), "violations_by_kind": dict(kinds),
               "median_run_s": round(durations[len(durations) // 2], 1),
               "longest_run_s": round(durations[-1], 1),
               "longest_interrupt_to_exit_s": round(max(interrupts, default=0.0), 1),
               "peak_rss_mb": round(peak / 1024), "by_fault": dict(faults.most_common())}
    return figures, violations


def file_campaign(files: int, cli_every: int, campaign_seed: int
                  ) -> tuple[dict[str, object], list[str]]:
    outcomes: Counter[str] = Counter()
    problems: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="fuzz-config-"))
    (folder / "anchors.bin").write_bytes(bytes(range(256)) * 4)
    (folder / "anchors.empty").write_bytes(b"")
    (folder / "anchors.a").write_text("example. 300 IN A 192.0.2.1\n")
    path = folder / "domains.yaml"
    seen = 0

    @seed(campaign_seed)
    @settings(max_examples=files, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(data=config_files())
    def one(data: bytes) -> None:
        nonlocal seen
        seen += 1
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
            problems.append(f"traceback: {exc.__class__.__name__}: {exc} for {data[:120]!r}")
        if time.monotonic() - started > 2:
            problems.append(f"slow: {time.monotonic() - started:.1f} s for {data[:120]!r}")
        if cli_every and seen % cli_every == 0:
            outcomes["through_the_command"] += 1
            problems.extend(_through_the_command(path, data))

    one()
    shutil.rmtree(folder, ignore_errors=True)
    return {"files": outcomes["accepted"] + outcomes["refused"] + outcomes["crashed"],
            **outcomes}, problems


def _through_the_command(path: Path, data: bytes) -> list[str]:
    """The file through `dnssec-conformance --collect-only`: a collection or one line with
    exit code 4; no traceback; nothing sent anywhere."""
    sends = path.with_suffix(".sends")
    sends.unlink(missing_ok=True)
    env = {**os.environ, "FUZZ_SEND_LOG": str(sends), "PYTHONPATH": str(GUARD)}
    done = subprocess.run([sys.executable, "-m", "dnssec_conformance", "--domains", str(path),
                           "--collect-only", "-q", "-p", "no:cacheprovider"],
                          cwd=path.parent, capture_output=True, text=True, timeout=60, env=env)
    problems = []
    output = done.stdout + done.stderr
    if "Traceback" in output or "INTERNALERROR" in output:
        problems.append(f"traceback (command): {output.strip().splitlines()[-1][:200]} for "
                        f"{data[:120]!r}")
    if done.returncode == USAGE_ERROR:
        errors = [line for line in output.splitlines() if line.startswith("ERROR:")]
        if len(errors) != 1:
            problems.append(f"usage error in {len(errors)} lines for {data[:120]!r}")
    elif done.returncode not in (0, 5):
        problems.append(f"exit code {done.returncode} (command) for {data[:120]!r}")
    log = sends.read_text() if sends.exists() else ""
    if any(line.startswith("FORBIDDEN") for line in log.splitlines()):
        problems.append(f"forbidden send (command): {log.splitlines()[0]}")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=int(time.time()) % 100_000)
    parser.add_argument("--responses", type=int, default=10_000)
    parser.add_argument("--files", type=int, default=2_000)
    parser.add_argument("--cli-every", type=int, default=40,
                        help="run every Nth file through the real command (0: none)")
    parser.add_argument("--zones", type=int, default=40)
    parser.add_argument("--rate", type=float, default=0.3)
    parser.add_argument("--bound", type=float, default=120.0,
                        help="seconds after which a run counts as a hang")
    parser.add_argument("--interrupt-every", type=int, default=5)
    parser.add_argument("--no-lead-faults", dest="lead_faults", action="store_false")
    parser.add_argument("--no-strace", dest="strace", action="store_false")
    parser.add_argument("--out", type=Path, default=Path("reports/fuzz"))
    arguments = parser.parse_args()
    if arguments.strace and shutil.which("strace") is None:
        sys.exit("strace is not installed (apt-get install strace), or pass --no-strace")
    started = time.monotonic()
    print(f"campaign seed {arguments.seed} (LAB_PREFIX={os.environ.get('LAB_PREFIX', '')})",
          flush=True)
    files, file_problems = file_campaign(arguments.files, arguments.cli_every,
                                         arguments.seed) if arguments.files else ({}, [])
    print(f"domains.yaml: {json.dumps(files)}", flush=True)
    dns_figures, dns_problems = dns_campaign(arguments) if arguments.responses else ({}, [])
    wall = round(time.monotonic() - started)
    print(f"dns: {json.dumps(dns_figures)}", flush=True)
    print(f"wall time {wall} s", flush=True)
    for problem in file_problems + dns_problems:
        print(f"VIOLATION {problem}", flush=True)
    summary = {"seed": arguments.seed, "wall_s": wall, "files": files, "dns": dns_figures,
               "violations": file_problems + dns_problems}
    arguments.out.mkdir(parents=True, exist_ok=True)
    (arguments.out / "campaign.json").write_text(json.dumps(summary, indent=1))
    sys.exit(1 if file_problems or dns_problems else 0)


if __name__ == "__main__":
    main()
