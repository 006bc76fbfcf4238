"""python -m lab up [--prefix 127.77] | down | status"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from pathlib import Path

from lab.configs import Server
from lab.errors import LabError
from lab.lifecycle import RUN_DIR, UpReport, bring_up, status, stop
from lab.processes import NEEDS_ROOT

EXIT_NOT_RUNNING = 3  # as LSB init scripts say it


def _shown(path: Path) -> str:
    """A path relative to the current directory when it is below it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _describe(server: Server, trust_anchor: str) -> str:
    if server.kind == "dnsmasq":
        return f"forwards to {server.upstream}, clears the AD flag"
    if server.kind == "unbound":
        if not server.validating:
            return "recursive, does not validate"
        anchor = " ".join(trust_anchor.split()[4:7])
        return f"recursive, validates from the lab root (DS {anchor})"
    zones = [z.zone for z in server.zones]
    served = ", ".join(zones) if len(zones) <= 2 else f"{len(zones)} zones"
    return f"{served}, signing each answer" if server.kind == "onlinesigner" else served


def _print_up(report: UpReport) -> None:
    info = report.info
    print(
        f"lab up in {report.seconds:.1f} s: prefix {info.prefix}, {len(report.measurements)} "
        f"scenario zones, files in {_shown(info.run_dir)}"
    )
    for server in report.servers:
        detail = _describe(server, report.trust_anchor)
        print(f"  {server.name:<22} {server.address:<13} {detail}")
    counts = Counter(m.verdict for m in report.measurements)
    tally = ", ".join(f"{verdict} {n}" for verdict, n in sorted(counts.items()))
    verdict_note = "as predicted" if not report.surprises else "SEE BELOW"
    print(f"Unbound verdicts: {tally} ({verdict_note})")
    for surprise in report.surprises:
        print(f"  unexpected: {surprise}")
    print(f"domains.yaml: {_shown(info.domains_yaml)}   ground truth: {_shown(info.ground_truth)}")
    print(f"try: dig @{info.validating_resolver} +dnssec good-ecdsa.test A")
    if info.tsig_secret_file is not None:
        print(f"zone transfers (deep-expiry.test): export {info.tsig_secret_env}=$(cat "
              f"{_shown(info.tsig_secret_file)})")


def _print_status() -> int:
    listed, strays = status()
    if not listed and not strays:
        print("lab is down (nothing built yet)")
        return EXIT_NOT_RUNNING
    for server in listed:
        state = f"running, pid {server.pid}" if server.pid else "stopped"
        print(f"  {server.name:<22} {server.address:<13} {state}")
    if strays:
        print(f"  other lab server processes: {', '.join(map(str, strays))}")
    up_count = sum(1 for s in listed if s.pid)
    if up_count == len(listed) and not strays:
        print(f"lab is up: {up_count} servers, files in {_shown(RUN_DIR)}")
        return 0
    if up_count == 0 and not strays:
        print("lab is down")
        return EXIT_NOT_RUNNING
    print(
        f"lab is partly up: {up_count} of {len(listed)} servers run; "
        "`python -m lab up` restarts it, `python -m lab down` stops it"
    )
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lab", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("up", help="rebuild and (re)start the lab")
    start.add_argument(
        "--prefix",
        default=None,
        help="first two octets of every lab address (default: $LAB_PREFIX, else 127.77)",
    )
    start.add_argument(
        "--scale",
        type=int,
        default=0,
        metavar="N",
        help="also build N extra good zones, listed in domains-scale.yaml (benchmarks)",
    )
    commands.add_parser("down", help="stop every lab server")
    commands.add_parser("status", help="say which lab servers run")
    args = parser.parse_args(argv)
    try:
        if args.command == "up":
            _print_up(bring_up(args.prefix, scale=args.scale))
        elif args.command == "down":
            stopped = stop()
            print(f"lab down: stopped {', '.join(stopped)}" if stopped else "lab is down")
        else:
            return _print_status()
    except LabError as exc:
        print(f"lab: {exc}", file=sys.stderr)
        return 1
    except PermissionError as exc:
        hint = NEEDS_ROOT if args.command == "up" else "needs root: run with sudo"
        print(f"lab: {hint} ({exc.strerror}: {exc.filename})", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # the reader went away (`| head`); say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        print(f"lab: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("lab: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
