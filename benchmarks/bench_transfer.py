"""Benchmark: a large zone taken whole from two servers (AXFR) and judged by the transfer
checks, beside ldns-verify-zone and dnssec-verify on the same zone file, in the same run.

    python benchmarks/bench_transfer.py [NAMES]     # default 100,000 names (needs root: NSD)

Builds a zone of NAMES names (an A record each, and the MX and TXT of a few), signs it with
dnssec-signzone (ECDSAP256SHA256, NSEC), serves it from two NSDs on $LAB_PREFIX.8.1 and
.8.2 (127.77 by default), and times, each in a process of its own (so its peak memory is its
own):

- `dig AXFR` of one copy: the transfer alone, the floor;
- the product: the probe engine's transfer step (AXFR, then the XFR02-XFR04 rules, the
  digests and, with two servers, the comparison of the copies), from one server and then
  from both: names/s and peak RSS; one copy in memory at a time, so the second server adds
  time, not memory;
- ldns-verify-zone and dnssec-verify on the file: what the zone checkers take for the same
  names (one copy each, from the file).

Figures vary with the machine's load: compare the ratios, which are measured in one run.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def build_zone(folder: Path, names: int) -> tuple[Path, str]:
    zone = "bench-transfer.test."
    for flags in (["-f", "KSK"], []):
        subprocess.run(["dnssec-keygen", "-q", "-K", str(folder), "-a", "ECDSAP256SHA256",
                        *flags, zone], check=True, capture_output=True)
    lines = ["$TTL 3600", f"{zone} SOA ns1.{zone} hostmaster.{zone} 1 7200 3600 1209600 3600",
             f"{zone} NS ns1.{zone}", f"{zone} NS ns2.{zone}", f"ns1.{zone} A 192.0.2.1",
             f"ns2.{zone} A 192.0.2.2"]
    for i in range(names):
        lines.append(f"h{i}.{zone} A 192.0.2.{i % 250 + 1}")
        if i % 100 == 0:
            lines.append(f"h{i}.{zone} MX 10 mail.example.net.")
            lines.append(f'_dmarc.h{i}.{zone} TXT "v=DMARC1; p=none"')
    for key in sorted(folder.glob("K*.key")):
        lines.append(key.read_text().strip().splitlines()[-1])
    unsigned = folder / "zone.unsigned"
    unsigned.write_text("\n".join(lines) + "\n")
    signed = folder / "zone.signed"
    subprocess.run(["dnssec-signzone", "-q", "-x", "-K", str(folder), "-o", zone, "-f",
                    str(signed), str(unsigned)], check=True, capture_output=True, cwd=folder)
    return signed, zone


def start_nsd(folder: Path, address: str, zone: str, signed: Path) -> Path:
    state = folder / address
    state.mkdir()
    conf = state / "nsd.conf"
    conf.write_text("\n".join([
        "server:", f"    ip-address: {address}", "    port: 53", "    do-ip6: no",
        '    username: ""', '    chroot: ""', '    database: ""',
        f'    zonelistfile: "{state}/zone.list"', f'    xfrdfile: "{state}/xfrd.state"',
        f'    xfrdir: "{state}"', f'    pidfile: "{state}/nsd.pid"',
        f'    logfile: "{state}/nsd.log"', "    server-count: 1",
        "remote-control:", "    control-enable: no",
        "zone:", f'    name: "{zone}"', f'    zonefile: "{signed}"',
        "    provide-xfr: 127.0.0.0/8 NOKEY", ""]))
    subprocess.run(["nsd", "-c", str(conf)], check=True)
    for _ in range(600):  # a large zone takes NSD a while to load
        done = subprocess.run(["dig", f"@{address}", "+norec", "+short", zone, "SOA"],
                              capture_output=True, text=True)
        if done.stdout.strip():
            return state / "nsd.pid"
        time.sleep(0.2)
    raise SystemExit(f"NSD on {address} did not serve {zone}")


def measured(argv: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MiB) and output of `argv` run in a process of its own."""
    probe = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
             "d = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
             "w = time.perf_counter() - t; "
             "print(w, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
             "print((d.stdout + d.stderr)[-400:])")
    done = subprocess.run([sys.executable, "-c", probe, *argv], capture_output=True,
                          text=True, check=True)
    first, _, rest = done.stdout.partition("\n")
    wall, rss = first.split()
    return float(wall), int(rss) / 1024, rest.strip()


def engine(zone: str, addresses: list[str]) -> None:
    """The product's transfer step (run as `bench_transfer.py --engine ZONE ADDR...`)."""
    import dns.name
    import dns.rdatatype

    from dnssec_conformance.analysis.evaluation import Evaluation
    from dnssec_conformance.checks.transfer import copy_judge
    from dnssec_conformance.config.anchors import TrustAnchors
    from dnssec_conformance.config.model import DomainSpec, QueryPolicy, TransferSpec
    from dnssec_conformance.probe.data import ServerAnswers, ZoneData
    from dnssec_conformance.probe.delegation import Delegations
    from dnssec_conformance.probe.querier import Querier
    from dnssec_conformance.probe.transport import Server
    from dnssec_conformance.probe.zones import ZoneProber

    apex = dns.name.from_text(zone)
    spec = TransferSpec(timeout_s=3600)
    domain = DomainSpec(apex, transfer=spec)
    now = time.time()
    judge = copy_judge(Evaluation(now, TrustAnchors("none", {}, {})),
                       ("XFR01", "XFR02", "XFR03", "XFR04", "XFR05"))

    async def take() -> tuple[float, ZoneData]:
        policy = QueryPolicy(timeout_s=30)
        querier = Querier(policy)
        prober = ZoneProber(querier, Delegations(querier, ()), policy)
        servers = [Server(a, 53, dns.name.from_text(f"ns{i + 1}.{zone}"))
                   for i, a in enumerate(addresses)]
        data = ZoneData(domain, apex=apex, servers=tuple(servers), collected_at=now)
        for server in servers:
            soa = await querier.ask(server, apex, dns.rdatatype.SOA)
            data.answers[server] = ServerAnswers(server, {(apex, dns.rdatatype.SOA): soa})
        started = time.perf_counter()
        data.transfers = await prober.take_copies(data, spec, judge)
        await querier.close()
        return time.perf_counter() - started, data

    seconds, data = asyncio.run(take())
    reports = [{"server": str(r.server), "names": r.names, "records": r.records,
                "failure": r.failure,
                "findings": {c: len(f) for c, f in r.findings.items()}} for r in data.transfers]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mib": peak, "reports": reports}))


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--engine":
        engine(sys.argv[2], sys.argv[3:])
        return
    names = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    prefix = os.environ.get("LAB_PREFIX", "127.77")
    addresses = [f"{prefix}.8.1", f"{prefix}.8.2"]
    folder = Path(tempfile.mkdtemp(prefix="bench-transfer-"))
    pids: list[Path] = []
    try:
        started = time.perf_counter()
        signed, zone = build_zone(folder, names)
        print(f"zone: {zone} {names} names signed in {time.perf_counter() - started:.0f} s "
              f"({signed.stat().st_size / 2**20:.0f} MiB of zone file)")
        pids = [start_nsd(folder, a, zone, signed) for a in addresses]
        dig = measured(["dig", f"@{addresses[0]}", zone, "AXFR", "+noall", "+stats"])
        one = measured([sys.executable, __file__, "--engine", zone, addresses[0]])
        two = measured([sys.executable, __file__, "--engine", zone, *addresses])
        ldns = measured(["ldns-verify-zone", str(signed)])
        bind = measured(["dnssec-verify", "-o", zone, str(signed)])
        result = json.loads(two[2].splitlines()[-1])
        print(f"\n{'what':<46}{'wall s':>8}{'names/s':>10}{'peak MiB':>10}{'ratio':>9}")
        rows = [("dig AXFR, one copy (the transfer alone)", dig, 1),
                ("ours: 1 server, AXFR, judged", one, 1),
                ("ours: 2 servers, AXFR, judged, compared", two, 2),
                ("ldns-verify-zone, the file", ldns, 1), ("dnssec-verify, the file", bind, 1)]
        for label, (wall, peak, _out), copies in rows:
            print(f"{label:<46}{wall:>8.1f}{names * copies / wall:>10.0f}{peak:>10.0f}"
                  f"{one[0] / wall:>8.1f}x")
        print("ratio: our time with one server over the row's time (the same run, the same "
              "zone)")
        print(f"\nthe second copy adds {two[1] - one[1]:.0f} MiB to the peak ({one[1]:.0f} MiB "
              "for one copy): one copy in memory at a time")
        for report in result["reports"]:
            print(f"  {report['server']}: {report['names']} names, {report['records']} records, "
                  f"findings {report['findings']}, failure {report['failure']}")
        print(f"ldns-verify-zone says: {ldns[2].splitlines()[-1] if ldns[2] else '?'}")
    finally:
        for pid in pids:
            if pid.exists():
                subprocess.run(["kill", pid.read_text().strip()], check=False)
        time.sleep(0.5)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
