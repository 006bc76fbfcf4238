"""Benchmark: what telling online signers apart costs, on the lab.

    python benchmarks/bench_second_look.py     # starts the lab if needed (root), prints figures

Probes every lab zone with and without the second look at the SOA (alternating, in the same
run, so the noisy shared machine weighs on both alike) and prints the probing time per zone
(the run's wall time shared out: zones are probed concurrently) and the ratio; then the time
of the signing-mode analysis and of EXPIRY05 against the time of all zone checks over the same
data.
"""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import lab  # noqa: E402
from dnssec_conformance import catalog  # noqa: E402
from dnssec_conformance.analysis.evaluation import Evaluation  # noqa: E402
from dnssec_conformance.analysis.signing_mode import signing_modes  # noqa: E402
from dnssec_conformance.catalog import zone_checks  # noqa: E402
from dnssec_conformance.config.anchors import load_anchors  # noqa: E402
from dnssec_conformance.config.loading import load_config  # noqa: E402
from dnssec_conformance.engine.runner import probe_zones  # noqa: E402
from dnssec_conformance.probe.data import EVERYTHING  # noqa: E402

ROUNDS = 6


def collect_all(config, second_look: bool) -> tuple[list[float], list]:
    """Every zone probed, with or without the second look; the run's wall time shared out per
    zone (they are probed concurrently)."""
    plan = replace(EVERYTHING, signing=second_look)
    started = time.perf_counter()
    zones = list(probe_zones(config, plan=plan).values())
    per_zone = (time.perf_counter() - started) / max(1, len(zones))
    return [per_zone] * len(zones), zones


def main() -> None:
    info = lab.up()
    config = load_config(info.domains_yaml)
    anchors = load_anchors(config.trust_anchors)
    with_look, without = [], []
    zones: list = []
    collect_all(config, second_look=True)  # warm up: the ancestors, the resolvers' caches
    for round_ in range(ROUNDS):
        for second_look in (round_ % 2 == 0, round_ % 2 == 1):  # alternate which goes first
            times, collected = collect_all(config, second_look=second_look)
            (with_look if second_look else without).extend(times)
            zones = collected if second_look else zones
    base, looked = statistics.median(without), statistics.median(with_look)
    print(f"collection per zone, median of {len(with_look)}: without the second look "
          f"{base * 1000:.1f} ms, with it {looked * 1000:.1f} ms (ratio {looked / base:.2f})")
    modes_s = checks_s = expiry05_s = 0.0
    for zone in zones:
        ev = Evaluation(time.time(), anchors, zone.domain.thresholds, config.clock)
        started = time.perf_counter()
        signing_modes(zone)
        modes_s += time.perf_counter() - started
        started = time.perf_counter()
        for check in zone_checks():
            catalog.run(check, zone, ev)
        checks_s += time.perf_counter() - started
        zone.memo.clear()
        started = time.perf_counter()
        catalog.run("EXPIRY05", zone, ev)
        expiry05_s += time.perf_counter() - started
    print(f"over {len(zones)} zones: signing-mode analysis {modes_s * 1000:.1f} ms, EXPIRY05 "
          f"from scratch {expiry05_s * 1000:.1f} ms, all zone checks {checks_s * 1000:.1f} ms "
          f"(analysis / all checks: {modes_s / checks_s:.3f})")
    online = sum(any(m.online for m in signing_modes(z).values()) for z in zones)
    print(f"zones with an online-signing server: {online} of {len(zones)}")
    lab.down()


if __name__ == "__main__":
    main()
