"""One end-to-end fuzz case: the seeded hostile universe (tests/hostile_dns.py) serving, the
real product run against it as a subprocess (`pytest suites --domains ...`, with a heartbeat
URL on a loopback HTTP server), and the invariants checked on what it left:

- it ends by itself within its bound (else: a hang), with exit code 0 or 1 (never a usage
  error, an internal error or an interruption), no traceback, no INTERNALERROR;
- results.json is written, parses, names every domain, and stays bounded; no record says
  "internal error" or that the engine failed; the heartbeat was sent once;
- nothing was sent to an address off loopback or that no delegation may use (broadcast,
  multicast, link-local, unspecified, reserved): seen at the socket layer by an audit hook in
  every Python process of the run (`tests/sendguard`), and, with `strace=True`, by the kernel's
  own record of every connect/sendto/sendmsg/sendmmsg system call;
- every unusable answer to a zone's own questions surfaced: some record of the zone that did
  not pass names the server that sent it; a zone behind a hostile delegation never passes
  silently; the universe itself failed to answer nothing;
- a run interrupted by SIGTERM or SIGINT (`interrupt=`) ends within 10 s with pytest's
  "interrupted" exit code, results.json marked interrupted with a status that is not healthy,
  the report and JUnit written, the heartbeat sent marked incomplete;
- the heartbeat URL's secret appears in no output.

`python -m tests.fuzz_e2e --seed 7 --runs 3` runs cases from the command line.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO

from lab.addresses import prefix_from_env

from .hostile_dns import Plan, Stats, serving, write_inputs
from .sendguard.sitecustomize import why_forbidden

ROOT = Path(__file__).parent.parent
GUARD = Path(__file__).parent / "sendguard"
MAX_RESULTS_BYTES = 8 * 2**20
SECRET = "fuzz-heartbeat-secret-0451"
INTERRUPT_GRACE_S = 10.0
CRASH_MARKERS = ("internal error", "the engine failed", "the engine ended without judging")
# Delegation faults after which the zone cannot be healthy: some of its servers could not
# be queried (over the bounds, forbidden, no address found, a circular delegation).
NEVER_HEALTHY = frozenset({"address-flood", "address-flood-resolver", "forbidden-glue",
                           "forbidden-glueless", "forbidden-child-ns", "forbidden-resolver",
                           "glueless-cycle", "referral-loop"})
STRACE_ADDRESS = re.compile(r'inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)"')


@dataclass
class CaseResult:
    seed: int
    zones: int
    seconds: float
    exit_code: int | None
    queries: int = 0
    answers: int = 0
    hostile: int = 0
    by_fault: dict[str, int] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    interrupt: str | None = None  # the signal sent mid-run, if one was
    interrupted_after_s: float | None = None  # from the signal to the end of the run
    sends: int = 0  # sendto/sendmsg/connect calls the audit hook saw
    syscall_sends: int | None = None  # system calls strace saw (None: not traced)
    peak_rss_kb: int = 0  # the largest process of the run (VmHWM)
    mode: str = ""

    def summary(self) -> str:
        what = f", {self.interrupt} after {self.interrupted_after_s:.1f} s" if (
            self.interrupt and self.interrupted_after_s is not None) else ""
        return (f"seed {self.seed}{' ' + self.mode if self.mode else ''}: {self.zones} zones, "
                f"{self.queries} queries, {self.hostile} hostile, exit {self.exit_code}, "
                f"{self.seconds:.1f} s{what}, {self.peak_rss_kb // 1024} MB, "
                f"{len(self.violations)} violation(s)")


@dataclass
class Heartbeats:
    bodies: list[dict[str, object]] = field(default_factory=list)
    url: str = ""


@contextlib.contextmanager
def heartbeat_receiver(secret: str = SECRET) -> Iterator[Heartbeats]:
    """A loopback HTTP server that keeps every heartbeat posted to it."""
    received = Heartbeats()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            with contextlib.suppress(ValueError):
                received.bodies.append(json.loads(self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    received.url = f"http://127.0.0.1:{server.server_address[1]}/heartbeat/{secret}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield received
    finally:
        server.shutdown()
        server.server_close()


def run_case(seed: int, folder: Path, *, zones: int = 12, rate: float = 0.3,
             bound_s: float = 120.0, lead_faults: bool = False,
             prefix: str | None = None, interrupt: signal.Signals | None = None,
             strace: bool = False, extra_args: tuple[str, ...] = (),
             zone_budget_s: float = 20) -> CaseResult:
    """One run of the product against the universe of `seed`; `interrupt` sends that signal
    mid-run (once the universe got a seeded share of the run's queries, or after a seeded
    while), as Kubernetes would."""
    prefix = prefix or prefix_from_env()
    plan = Plan(seed, rate, lead_faults=lead_faults)
    folder.mkdir(parents=True, exist_ok=True)
    for stale in ("results.json", "sends.log", "strace.txt", "output.txt"):
        (folder / stale).unlink(missing_ok=True)
    started = time.monotonic()
    with serving(prefix, seed, zones, plan, time.time()) as (universe, stats), \
            heartbeat_receiver() as heartbeats:
        domains = write_inputs(universe, folder, zone_budget_s=zone_budget_s)
        command = [sys.executable, "-m", "pytest", str(ROOT / "suites"), "--domains",
                   str(domains), "--results", str(folder / "results.json"),
                   "--html", str(folder / "report.html"), "--self-contained-html",
                   "--junitxml", str(folder / "junit.xml"), "--state-dir",
                   str(folder / "state"), "--heartbeat-url", heartbeats.url,
                   "-p", "no:cacheprovider", "-q", "--tb=native",
                   "-o", "console_output_style=classic",
                   # Hypothesis is a test dependency, not the product's: its plugin's import at
                   # the session's end costs each xdist worker seconds users never pay.
                   "-p", "no:hypothesispytest", *extra_args]
        if strace:
            command = ["strace", "-f", "-qq", "--seccomp-bpf", "-e", "signal=none", "-e",
                       "trace=connect,sendto,sendmsg,sendmmsg", "-o",
                       str(folder / "strace.txt"), *command]
        env = {**os.environ, "PYTHONHASHSEED": "0", "FUZZ_SEND_LOG": str(folder / "sends.log"),
               "PYTHONPATH": os.pathsep.join(filter(None, [str(GUARD),
                                                           os.environ.get("PYTHONPATH")]))}
        # Mid-run: once a seeded share of a run's usual queries (about 20 per zone) came in,
        # or a seeded while after the start (a run whose root failed asks little).
        share = (seed * 7919) % 100 / 100
        threshold, after_s = int(zones * 20 * (0.1 + 0.5 * share)), 1 + 4 * share
        with open(folder / "output.txt", "w") as output_file:
            exit_code, after = _supervise(command, folder, output_file, env, bound_s, stats,
                                          interrupt, (threshold, after_s), strace)
        counts = stats.as_json()
        bodies = list(heartbeats.bodies)
    result = CaseResult(seed, zones, time.monotonic() - started, exit_code,
                        int(counts["queries"]), int(counts["answers"]),  # type: ignore[call-overload]
                        int(counts["hostile"]), dict(counts["by_fault"]),  # type: ignore[call-overload]
                        interrupt=interrupt.name if interrupt and after is not None else None,
                        interrupted_after_s=after)
    (folder / "stats.json").write_text(json.dumps(counts, indent=1))
    output = (folder / "output.txt").read_text(errors="replace")
    _judge(result, folder, output, counts, bodies, bound_s)
    return result


def _supervise(command: list[str], folder: Path, output_file: IO[str], env: dict[str, str],
               bound_s: float, stats: Stats, interrupt: signal.Signals | None,
               when: tuple[int, float], traced: bool) -> tuple[int | None, float | None]:
    """Run `command` to its end or its bound, sending `interrupt` once the universe got
    `when[0]` queries or `when[1]` seconds passed; returns its exit code (None: killed at
    the bound) and the seconds from the interrupt to its end."""
    # SIGINT as a terminal's foreground job gets it: a harness started in the background of
    # a non-interactive shell inherits it ignored, and Python keeps an ignored SIGINT ignored.
    process = subprocess.Popen(command, cwd=folder, stdout=output_file,
                               stderr=subprocess.STDOUT, env=env, start_new_session=True,
                               preexec_fn=_default_sigint)
    started = time.monotonic()
    deadline = started + bound_s
    signalled: float | None = None
    try:
        while (code := process.poll()) is None:
            now = time.monotonic()
            if interrupt is not None and signalled is None and (
                    stats.queries >= when[0] or now - started >= when[1]):
                os.kill(_product_pid(process.pid, traced), interrupt)
                signalled = now
            if now > deadline:
                return None, None
            time.sleep(0.02)
        return code, time.monotonic() - signalled if signalled is not None else None
    finally:  # past its bound, or the harness itself interrupted: nothing left behind
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _product_pid(pid: int, traced: bool) -> int:
    """The product's own process: strace's child when traced (a signal to strace would not
    reach the product the way Kubernetes' does)."""
    if not traced:
        return pid
    for _ in range(100):
        with contextlib.suppress(OSError, ValueError):
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            if children:
                return int(children[0])
        time.sleep(0.02)
    return pid


def _judge(result: CaseResult, folder: Path, output: str, counts: dict[str, object],
           heartbeats: list[dict[str, object]], bound_s: float) -> None:
    problems = result.violations
    for error, times in dict(counts["universe_errors"]).items():  # type: ignore[call-overload]
        problems.append(f"harness: the universe failed to answer ({times}x): {error}")
    _judge_sends(result, folder)
    if result.exit_code is None:
        problems.append(f"hang: still running after its bound ({bound_s:.0f} s), killed")
        return
    interrupted = result.interrupt is not None
    expected = (2,) if interrupted else (0, 1)
    if result.exit_code not in expected:
        problems.append(f"exit code {result.exit_code} (expected {expected})")
    for marker in ("Traceback (most recent call last)", "INTERNALERROR"):
        if marker in output:
            line = next(x for x in output.splitlines() if marker in x)
            problems.append(f"traceback: {marker} in the output: {line[:200]}")
    for marker in CRASH_MARKERS:
        if marker in output:
            line = next(x for x in output.splitlines() if marker in x)
            problems.append(f"crash: {line.strip()[:300]}")
    for name in ("results.json", "report.html", "junit.xml", "output.txt"):
        path = folder / name
        if path.exists() and SECRET in path.read_text(errors="replace"):
            problems.append(f"secret: the heartbeat URL's secret is in {name}")
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
    if interrupted:
        _judge_interrupted(result, folder, document, heartbeats)
    elif len(heartbeats) != 1:
        problems.append(f"heartbeat: {len(heartbeats)} sent (expected one)")
    elif heartbeats[0].get("status") != document.get("status"):
        problems.append(f"heartbeat: status {heartbeats[0].get('status')} but results.json "
                        f"says {document.get('status')}")
    records = document["results"]
    by_domain: dict[str, list[dict[str, object]]] = {}
    for record in records:
        by_domain.setdefault(str(record["domain"]), []).append(record)
    for record in records:
        texts = [str(record.get("message"))] + [str(f["message"]) for f in record["findings"]]
        for marker in CRASH_MARKERS:
            if any(marker in text for text in texts):
                problems.append(f"crash: {record['domain']} {record['check']}: "
                                f"{next(t for t in texts if marker in t)[:300]}")
    if interrupted:
        return  # what was not judged before the signal is not there, by design
    zone_faults: dict[str, str] = counts["zone_faults"]  # type: ignore[assignment]
    for zone in zone_faults:
        if zone.rstrip(".") not in by_domain:
            problems.append(f"{zone}: no record in results.json")
    _judge_surfacing(result, by_domain, counts)
    canary = [r for r in records if r.get("kind") == "canary"]
    if [r["outcome"] for r in canary] != ["failed"] and not any(
            r["outcome"] == "error" for r in canary):
        problems.append(f"false healthy: the resolver claims to validate the bogus canary, and "
                        f"RESOLVER02 says {[r['outcome'] for r in canary]}")


def _judge_sends(result: CaseResult, folder: Path) -> None:
    log = folder / "sends.log"
    lines = log.read_text().splitlines() if log.exists() else []
    result.sends = sum(int(line.split()[2]) for line in lines if line.startswith("SENDS "))
    result.peak_rss_kb = max((int(line.split()[2]) for line in lines
                              if line.startswith("PEAK ")), default=0)
    for line in sorted({x for x in lines if x.startswith("FORBIDDEN ")})[:20]:
        result.violations.append(f"forbidden send (audit hook): {line[len('FORBIDDEN '):]}")
    trace = folder / "strace.txt"
    if not trace.exists():
        return
    result.syscall_sends = 0
    forbidden: set[str] = set()
    with trace.open(errors="replace") as lines_of_trace:
        for line in lines_of_trace:
            for match in STRACE_ADDRESS.finditer(line):
                host = match.group(1) or match.group(2)
                result.syscall_sends += 1
                why = why_forbidden(host)
                if why is not None:
                    forbidden.add(f"{host} ({why}): {line.strip()[:160]}")
    for entry in sorted(forbidden)[:20]:
        result.violations.append(f"forbidden send (strace): {entry}")
    trace.unlink()  # large, and summed up above


def _judge_interrupted(result: CaseResult, folder: Path, document: dict[str, object],
                       heartbeats: list[dict[str, object]]) -> None:
    problems = result.violations
    if result.interrupted_after_s is not None and \
            result.interrupted_after_s > INTERRUPT_GRACE_S:
        problems.append(f"interrupt: {result.interrupted_after_s:.1f} s from the signal to "
                        "the end of the run")
    if document.get("interrupted") is not True:
        problems.append("interrupt: results.json is not marked interrupted")
    if document.get("status") == "healthy":
        problems.append("interrupt: results.json says healthy")
    for name in ("report.html", "junit.xml"):
        if not (folder / name).exists() or (folder / name).stat().st_size == 0:
            problems.append(f"interrupt: no {name}")
    if len(heartbeats) != 1:
        problems.append(f"interrupt: {len(heartbeats)} heartbeats sent (expected one)")
    elif heartbeats[0].get("incomplete") is not True or heartbeats[0].get("status") == "healthy":
        problems.append(f"interrupt: the heartbeat says incomplete="
                        f"{heartbeats[0].get('incomplete')}, status "
                        f"{heartbeats[0].get('status')}")


def _a_validators_verdict(entry: dict[str, str], group: list[dict[str, object]]) -> bool:
    """A resolver's SERVFAIL is a validating resolver's verdict (bogus), which the resolver
    checks judge against the zone's own checks: not an unusable answer once they report it
    (a spoiled SERVFAIL for a zone the universe also made bogus is the right answer)."""
    return entry["fault"] == "servfail" and entry.get("role") == "resolver" and any(
        str(record["check"]).startswith("RESOLVER") and "SERVFAIL" in str(record["message"])
        for record in group)


def _judge_surfacing(result: CaseResult, by_domain: dict[str, list[dict[str, object]]],
                     counts: dict[str, object]) -> None:
    """Every unusable answer to a zone's questions named with its server, in a record of
    the zone that did not pass; a hostile delegation never a silent pass."""
    unsurfaced: dict[tuple[str, str], list[str]] = {}
    for entry in counts["unusable"]:  # type: ignore[attr-defined]
        zone, server = entry["zone"].rstrip("."), entry["server"]
        group = by_domain.get(zone, [])
        if _a_validators_verdict(entry, group):
            continue
        if not any(_names(record, server) for record in group
                   if record["outcome"] not in ("passed", "skipped")):
            unsurfaced.setdefault((zone, server), []).append(
                f"{entry['question']}: {entry['fault']}")
    for (zone, server), faults in sorted(unsurfaced.items()):
        result.violations.append(f"not surfaced: {zone} got unusable answers from {server} "
                                 f"({'; '.join(faults[:4])}) and no record names it")
    delegations: dict[str, str] = counts["delegation_faults"]  # type: ignore[assignment]
    for zone, fault in delegations.items():
        group = by_domain.get(zone.rstrip("."), [])
        if fault in NEVER_HEALTHY and group and all(
                r["outcome"] in ("passed", "skipped") for r in group):
            result.violations.append(f"silent pass: {zone} has a hostile delegation "
                                     f"({fault}) and every check passed")


def _names(record: dict[str, object], address: str) -> bool:
    texts = [str(record.get("message"))]
    for finding in record["findings"]:  # type: ignore[attr-defined]
        texts += [str(finding.get("server") or ""), str(finding.get("message") or "")]
    named = re.compile(rf"(?<![\d.]){re.escape(address)}(?!\d)")  # .1 is not .11
    return any(named.search(text) for text in texts)


def main() -> None:
    parser = argparse.ArgumentParser(description="end-to-end fuzz cases against the product")
    parser.add_argument("--seed", type=int, default=int(time.time()) % 100000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--zones", type=int, default=12)
    parser.add_argument("--rate", type=float, default=0.3)
    parser.add_argument("--lead-faults", action="store_true")
    parser.add_argument("--interrupt", choices=("SIGTERM", "SIGINT"))
    parser.add_argument("--strace", action="store_true")
    parser.add_argument("--out", type=Path, default=Path("reports/fuzz"))
    arguments = parser.parse_args()
    for offset in range(arguments.runs):
        seed = arguments.seed + offset
        result = run_case(seed, arguments.out / f"seed-{seed}", zones=arguments.zones,
                          rate=arguments.rate, lead_faults=arguments.lead_faults,
                          interrupt=signal.Signals[arguments.interrupt]
                          if arguments.interrupt else None, strace=arguments.strace)
        print(result.summary(), flush=True)
        for violation in result.violations:
            print(f"  {violation}", flush=True)


if __name__ == "__main__":
    main()
