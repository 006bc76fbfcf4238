"""up, down and status: the lab as a whole."""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from lab import outputs, processes, tools
from lab.addresses import AddressPlan, prefix_from_env
from lab.build import BuiltLab, build_all
from lab.configs import Kind, ServedZone, Server, write_config
from lab.errors import LabError
from lab.probes import Measurement, measure
from lab.scenarios import (
    CANARIES,
    RESOLVER_SCENARIOS,
    SCENARIOS,
    TSIG_ALGORITHM,
    TSIG_KEY_NAME,
    TSIG_SECRET_ENV,
    by_zone,
)
from lab.zonefiles import root_hints

log = logging.getLogger("lab")

# LAB_RUN_DIR lets two labs (different LAB_PREFIX) run side by side.
RUN_DIR = Path(os.environ.get("LAB_RUN_DIR") or Path(__file__).resolve().parent / "run")
STATE_FILE = "lab.json"
LOCK_FILE = ".lock"
SKEW_MARGIN_S = 1.05  # `now` is whole seconds, so Unbound's clock then reads now+1


@dataclass(frozen=True)
class LabInfo:
    """Where the running lab is: what the test fixtures need."""

    run_dir: Path
    domains_yaml: Path
    trust_anchors: Path
    ground_truth: Path
    validating_resolver: str
    nonvalidating_resolver: str
    servers: dict[str, str] = field(hash=False)  # role -> address
    prefix: str = "127.77"
    delv_anchors: Path | None = None
    # the resolver scenarios: good zones through the resolver that does not validate
    nonvalidating_domains_yaml: Path | None = None
    # ... and through the forwarder (dnsmasq) that clears the AD flag of the validating one
    forwarder_resolver: str | None = None
    forwarder_domains_yaml: Path | None = None
    canaries: tuple[str, ...] = ()  # the names domains.yaml lists under canaries.bogus
    # `up --scale N`: the N extra good zones alone (empty file list without --scale)
    scale_domains_yaml: Path | None = None
    # The TSIG key the NSDs allow transfers for: its secret (base64) is in this file, and
    # domains.yaml reads it from the environment variable `tsig_secret_env`.
    tsig_secret_file: Path | None = None
    tsig_secret_env: str = TSIG_SECRET_ENV


@dataclass(frozen=True)
class UpReport:
    info: LabInfo
    seconds: float
    servers: tuple[Server, ...]
    measurements: tuple[Measurement, ...]
    surprises: tuple[str, ...]  # scenarios whose Unbound verdict differs from the prediction
    trust_anchor: str


@contextlib.contextmanager
def _locked(run_dir: Path) -> Iterator[None]:
    """One up or down at a time; the lock file survives the wipe of the run directory."""
    run_dir.mkdir(parents=True, exist_ok=True)
    with (run_dir / LOCK_FILE).open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _wipe(run_dir: Path) -> None:
    for entry in run_dir.iterdir():
        if entry.name == LOCK_FILE:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def _provide_xfr(zone: str) -> tuple[str, ...]:
    """Who may transfer a scenario zone from the lab's NSDs (nobody unless it says so)."""
    scenario = by_zone().get(zone)
    setup = scenario.transfer if scenario is not None else None
    if setup is None or not setup.allowed:
        return ()
    return (f"127.0.0.0/8 {TSIG_KEY_NAME if setup.tsig else 'NOKEY'}",)


def _server_list(plan: AddressPlan, built: BuiltLab, run_dir: Path, tsig_secret: str
                 ) -> list[Server]:
    served = built.zones_by_role()
    result = []
    for role in ("root", "tld", "ns1", "ns2", "online1", "online2"):
        if role not in served:
            continue
        zones = tuple(
            ServedZone(zone=zone, file=run_dir / path, serial=serial,
                       provide_xfr=_provide_xfr(zone))
            for zone, path, serial in served[role]
        )
        address = plan.by_role()[role]
        kind: Kind = "onlinesigner" if role.startswith("online") else "nsd"
        key = (TSIG_KEY_NAME, TSIG_ALGORITHM, tsig_secret) if kind == "nsd" else None
        result.append(Server(f"{kind}-{role}", role, kind, address, run_dir, zones=zones,
                             tsig_key=key))
    for role, validating in (("validating", True), ("nonvalidating", False)):
        result.append(
            Server(
                name=f"unbound-{role}",
                role=role,
                kind="unbound",
                address=plan.by_role()[role],
                run_dir=run_dir,
                validating=validating,
                trust_anchor_file=run_dir / outputs.TRUST_ANCHORS,
                root_hints_file=run_dir / outputs.ROOT_HINTS,
            )
        )
    result.append(Server("dnsmasq-forwarder", "forwarder", "dnsmasq", plan.forwarder, run_dir,
                         upstream=plan.validating))
    return result


def _write_state(run_dir: Path, plan: AddressPlan, now: datetime, lab: list[Server]) -> None:
    state = {
        "prefix": plan.prefix,
        "built_at": now.isoformat(),
        "servers": [
            {"name": s.name, "role": s.role, "kind": s.kind, "address": s.address} for s in lab
        ],
    }
    (run_dir / STATE_FILE).write_text(json.dumps(state, indent=2) + "\n")


def _info(run_dir: Path, plan: AddressPlan) -> LabInfo:
    return LabInfo(
        run_dir=run_dir,
        domains_yaml=run_dir / outputs.DOMAINS_YAML,
        trust_anchors=run_dir / outputs.TRUST_ANCHORS,
        ground_truth=run_dir / outputs.GROUND_TRUTH,
        validating_resolver=plan.validating,
        nonvalidating_resolver=plan.nonvalidating,
        servers=plan.by_role(),
        prefix=plan.prefix,
        delv_anchors=run_dir / outputs.DELV_ANCHORS,
        nonvalidating_domains_yaml=run_dir / outputs.NONVALIDATING_DOMAINS_YAML,
        forwarder_resolver=plan.forwarder,
        forwarder_domains_yaml=run_dir / outputs.FORWARDER_DOMAINS_YAML,
        canaries=outputs.BOGUS_CANARIES,
        scale_domains_yaml=run_dir / outputs.SCALE_DOMAINS_YAML,
        tsig_secret_file=run_dir / outputs.TSIG_SECRET,
    )


def bring_up(prefix: str | None = None, run_dir: Path = RUN_DIR, scale: int = 0) -> UpReport:
    """Tear down, rebuild everything in run_dir, start the servers, measure Unbound; with
    `scale`, that many extra good zones too (listed in domains-scale.yaml)."""
    started = time.monotonic()
    plan = AddressPlan(prefix_from_env(prefix))
    tools.require_all()
    processes.check_privilege(plan.root)
    with _locked(run_dir):
        _stop(run_dir, wait_reaped=False)  # a dead server holds no port, reaped or not
        _wipe(run_dir)
        for address in plan.by_role().values():
            processes.check_port_free(address)
        now = datetime.now(UTC).replace(microsecond=0)
        built = build_all(run_dir, plan, now, scale)
        outputs.write_trust_anchors(run_dir, built.trust_anchor_lines)
        outputs.write_delv_anchors(run_dir, built.trust_anchor_lines)
        (run_dir / outputs.ROOT_HINTS).write_text(root_hints(plan))
        tsig_secret = outputs.write_tsig_secret(run_dir)
        lab = _server_list(plan, built, run_dir, tsig_secret)
        _write_state(run_dir, plan, now, lab)
        try:
            for server in lab:
                write_config(server)
                processes.start(server)
            processes.wait_ready(lab)
            # expired.test's signatures ended exactly 1 day before `now`, which is Unbound's
            # largest clock-skew allowance: they are bogus from the next second on
            _sleep_until(now.timestamp() + SKEW_MARGIN_S)
            validating = measure(plan.validating, [s.zone for s in (*SCENARIOS, *CANARIES)])
            plain = [m for r in RESOLVER_SCENARIOS
                     for m in measure(plan.by_role()[r.resolver_role], [r.zone])]
        except BaseException:
            _stop(run_dir)
            raise
        entries = outputs.ground_truth_entries(plan, built, validating, plain)
        outputs.write_ground_truth(run_dir, entries)
        outputs.write_domains_yaml(run_dir, plan)
        outputs.write_resolver_domains_yaml(run_dir, plan)
        outputs.write_scale_domains_yaml(run_dir, plan, scale)
    surprises = _surprises(plan, validating, plain)
    return UpReport(
        info=_info(run_dir, plan),
        seconds=time.monotonic() - started,
        servers=tuple(lab),
        measurements=tuple(m for m in validating if m.zone in {s.zone for s in SCENARIOS}),
        surprises=surprises,
        trust_anchor=built.trust_anchor_lines[0],
    )


def _surprises(
    plan: AddressPlan, validating: list[Measurement], plain: list[Measurement]
) -> tuple[str, ...]:
    """Measured verdicts that differ from what lab/scenarios.py predicts."""
    found = []
    measured = {(m.resolver, m.zone): m.verdict for m in (*validating, *plain)}
    for s in (*SCENARIOS, *CANARIES):
        verdict = measured[(plan.validating, s.zone)]
        if verdict != s.unbound:
            found.append(f"{s.zone} Unbound says {verdict}, lab/scenarios.py predicts {s.unbound}")
    for r in RESOLVER_SCENARIOS:
        resolver = plan.by_role()[r.resolver_role]
        verdict = measured[(resolver, r.zone)]
        if verdict != r.unbound:
            found.append(
                f"{r.zone} via {resolver}: {verdict}, lab/scenarios.py predicts {r.unbound}"
            )
    return tuple(found)


def _sleep_until(moment: float) -> None:
    delay = moment - time.time()
    if delay > 0:
        time.sleep(delay)


def _stop(run_dir: Path, *, wait_reaped: bool = True) -> list[str]:
    try:
        return processes.stop_all(run_dir, wait_reaped=wait_reaped)
    except PermissionError as exc:
        raise LabError("needs root to stop the lab's servers: run with sudo") from exc


def up(prefix: str | None = None, scale: int = 0) -> LabInfo:
    """Build and start the lab; the prefix defaults to $LAB_PREFIX, else 127.77. The lab's
    TSIG secret is put in this process's environment (`LAB_TSIG_SECRET`), where the lab's
    domains.yaml reads it, for this process and those it starts."""
    report = bring_up(prefix, scale=scale)
    for surprise in report.surprises:
        log.warning("lab: unexpected Unbound verdict: %s", surprise)
    export_tsig_secret(report.info)
    return report.info


def export_tsig_secret(info: LabInfo) -> None:
    """The lab's TSIG secret in the environment variable its domains.yaml names."""
    if info.tsig_secret_file is not None and info.tsig_secret_file.exists():
        os.environ[info.tsig_secret_env] = info.tsig_secret_file.read_text().strip()


def stop(run_dir: Path = RUN_DIR) -> list[str]:
    """Stop every lab server (harmless when none runs); return the names stopped."""
    if not run_dir.exists():
        return []
    with _locked(run_dir):
        return _stop(run_dir)


def down() -> None:
    """Stop every lab server; harmless when the lab is already down."""
    stop()


@dataclass(frozen=True)
class ServerStatus:
    name: str
    address: str
    pid: int | None


def status(run_dir: Path = RUN_DIR) -> tuple[list[ServerStatus], list[int]]:
    """Every server of the last build with its pid (None: not running), and the pids of any
    lab server process that the last build does not account for."""
    try:
        state = json.loads((run_dir / STATE_FILE).read_text())
    except (OSError, ValueError):
        state = {"servers": []}
    names = [entry["name"] for entry in state["servers"]]
    pids = processes.running(names, run_dir)
    listed = [ServerStatus(e["name"], e["address"], pids[e["name"]]) for e in state["servers"]]
    # NSD's children carry their parent's config path; only processes of servers without
    # a live pid file are strays
    live = {s.name for s in listed if s.pid is not None}
    strays = sorted(
        pid for pid, conf in processes.lab_processes(run_dir).items() if Path(conf).stem not in live
    )
    return listed, strays
