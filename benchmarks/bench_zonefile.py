"""Benchmark: a root zone (22k records) in file mode, beside ldns-verify-zone, dnssec-verify and
kzonecheck on the same file in the same run.

    python benchmarks/bench_zonefile.py [ZONE [DS]]   # default: the 2017 root zone of
                                                       # ../shared/realworld-zones

Prints, for this suite: the load (parse, index, the answers to the live questions), every
check's time, the total, in wall-clock and CPU seconds, the slowest check, and the ratio of
our total to each tool's time. Judged inside the zone's signature window (`--at`), as the
tools are. Targets (issue 12): total at most 5 s, no check over 1 s. The machine is shared:
read the CPU column, and the ratios, which are timed in the same run.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

import dns.name  # noqa: E402
import othertools  # noqa: E402

from dnssec_conformance import catalog  # noqa: E402
from dnssec_conformance.analysis.evaluation import Evaluation  # noqa: E402
from dnssec_conformance.catalog import zone_checks  # noqa: E402
from dnssec_conformance.config.anchors import TrustAnchors  # noqa: E402
from dnssec_conformance.config.model import DomainSpec  # noqa: E402
from dnssec_conformance.dnssec.zonefile import collect_zone_file  # noqa: E402
from tests.realworld import corpus_dir, iso, judging_instant, soa_owner  # noqa: E402

TARGET_TOTAL_S = 5.0
TARGET_CHECK_S = 1.0


def timed(work):  # type: ignore[no-untyped-def]
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    corpus = corpus_dir()
    if len(sys.argv) > 1:
        zone_path = Path(sys.argv[1])
        ds_path = Path(sys.argv[2]) if len(sys.argv) > 2 else None
    elif corpus is not None:
        zone_path = corpus / "root" / "root-2017082100.zone"
        ds_path = corpus / "root" / "ds-root-19036"
    else:
        raise SystemExit("give a zone file, or put the corpus at ../shared/realworld-zones")
    origin = soa_owner(zone_path)
    instant = judging_instant(zone_path, origin)
    records = sum(1 for line in zone_path.read_text().splitlines()
                  if line.strip() and not line.lstrip().startswith(";"))
    print(f"zone: {zone_path} ({origin}, ~{records} records), judged at {iso(instant)}")

    data, load_wall, load_cpu = timed(lambda: collect_zone_file(
        DomainSpec(origin, ()), zone_path, ds_path, instant,
        dns.name.from_text("dnssec-conformance-bench", origin)))
    evaluation = Evaluation(instant, TrustAnchors("none", {}, {}))
    checks = []
    for check in zone_checks():
        result, wall, cpu = timed(lambda c=check: catalog.run(c, data, evaluation))
        checks.append((check, wall, cpu, result.outcome))
    total_wall = load_wall + sum(c[1] for c in checks)
    total_cpu = load_cpu + sum(c[2] for c in checks)
    print(f"\n{'step':<12}{'wall s':>9}{'cpu s':>9}  outcome")
    print(f"{'load':<12}{load_wall:>9.2f}{load_cpu:>9.2f}")
    for check, wall, cpu, outcome in checks:
        if wall >= 0.05:
            print(f"{check:<12}{wall:>9.2f}{cpu:>9.2f}  {outcome}")
    rest = [c for c in checks if c[1] < 0.05]
    print(f"{f'{len(rest)} others':<12}{sum(c[1] for c in rest):>9.2f}"
          f"{sum(c[2] for c in rest):>9.2f}  (each under 0.05 s)")
    print(f"{'total':<12}{total_wall:>9.2f}{total_cpu:>9.2f}")
    slowest = max(checks, key=lambda c: c[1])
    print(f"\nslowest check: {slowest[0]} {slowest[1]:.2f} s wall, {slowest[2]:.2f} s cpu "
          f"(target: each under {TARGET_CHECK_S:.0f} s)")
    print(f"total: {total_wall:.2f} s wall, {total_cpu:.2f} s cpu "
          f"(target: at most {TARGET_TOTAL_S:.0f} s)")

    folder, shim = othertools.shim_in_tempdir()
    with folder:
        runs = othertools.run_all(zone_path, origin.to_text(), instant, shim)
    print(f"\n{'tool':<18}{'wall s':>9}  {'ours / tool':>11}  says")
    for run in runs:
        print(f"{run.tool:<18}{run.seconds:>9.2f}  {total_wall / run.seconds:>10.1f}x  "
              f"{run.says[:60]}")


if __name__ == "__main__":
    main()
