"""The scripted KSK rollover of rollover.test.: the steps of a double-KSK rollover (RFC 6781
§4.1.2), and `apply_step`, which makes the running lab serve one of them.

The lab builds every step's signed zone file (lab/keychanges.py). Applying a step copies that
file over the one ns1 serves and, when the step changes the DS, re-signs test. with the
step's DS; then it reloads NSD (SIGHUP) and waits until both servers answer with the step.
"""

from __future__ import annotations

import enum
import os
import shutil
import signal
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import dns.exception
import dns.message
import dns.query
import dns.rdata
import dns.rdatatype
import dns.zone

from lab.errors import LabError
from lab.keys import Key
from lab.scenarios import Window
from lab.signing import sign
from lab.tools import CommandLog

ZONE = "rollover.test."
TLD = "test."
RELOAD_TIMEOUT_S = 10.0


class Step(enum.StrEnum):
    BEFORE = "before"  # the old KSK, its DS
    PUBLISHED = "published"  # the next KSK published beside it, both sign the DNSKEY RRset
    SWAPPED = "swapped"  # the DS at test. names the next KSK only
    REMOVED = "removed"  # the old KSK is gone from the zone


# The KSKs in the zone at each step (the ZSK is always there), and the KSK the DS names.
STEP_KSKS = {Step.BEFORE: ("old",), Step.PUBLISHED: ("old", "next"),
             Step.SWAPPED: ("old", "next"), Step.REMOVED: ("next",)}
STEP_DS = {Step.BEFORE: "old", Step.PUBLISHED: "old", Step.SWAPPED: "next",
           Step.REMOVED: "next"}


def step_file(zone_dir: Path, step: Step) -> Path:
    return zone_dir / f"step-{step}.signed"


def ds_file(zone_dir: Path, ksk: str) -> Path:
    return zone_dir / f"ds-{ksk}.txt"


def apply_step(run_dir: Path, servers: dict[str, str], step: Step) -> None:
    """Make the running lab serve `step` of the rollover: ns1 its zone, test. its DS.
    `servers` is LabInfo.servers (role -> address)."""
    zone_dir = Path("zones") / ZONE.rstrip(".")
    source = run_dir / step_file(zone_dir, step)
    served = run_dir / zone_dir / "zone.signed"
    if source.read_bytes() != served.read_bytes():
        shutil.copy(source, served)
        _reload(run_dir, "nsd-ns1", served)
    ds_line = (run_dir / ds_file(zone_dir, STEP_DS[step])).read_text().strip()
    if _served_ds(servers["tld"]) != _ds_rdata(ds_line):
        _resign_tld(run_dir, ds_line)
        _reload(run_dir, "nsd-tld", run_dir / "zones" / "test" / "zone.signed")
    serial = _serial_of(source)
    _wait(lambda: _served_serial(servers["ns1"]) == serial, f"ns1 to serve {step}")
    _wait(lambda: _served_ds(servers["tld"]) == _ds_rdata(ds_line), f"test. to serve {step}")


def _resign_tld(run_dir: Path, ds_line: str) -> None:
    """test. as built, with rollover.test.'s DS line replaced, signed with test.'s keys."""
    tld_dir = Path("zones") / "test"
    lines = (run_dir / tld_dir / "zone.unsigned").read_text().splitlines()
    kept = [line for line in lines if not _is_ds_of_zone(line)]
    (run_dir / tld_dir / "rollover.unsigned").write_text("\n".join([*kept, ds_line]) + "\n")
    key_dir = Path("keys") / "test"
    keys = []
    for public in sorted((run_dir / key_dir).glob("K*.key")):
        text = public.read_text()
        line = next(x for x in text.splitlines() if x and not x.startswith(";"))
        keys.append(Key(key_dir, public.stem, line))
    sign(CommandLog(run_dir), TLD, tld_dir / "rollover.unsigned", tld_dir / "zone.signed",
         keys=keys, now=datetime.now(UTC).replace(microsecond=0), window=Window())


def _is_ds_of_zone(line: str) -> bool:
    fields = line.split()
    return len(fields) > 3 and fields[0].lower() == ZONE and "DS" in fields[1:4]


def _reload(run_dir: Path, server: str, changed: Path) -> None:
    # NSD rereads a zone file on SIGHUP only when its mtime changed: make sure it did, even
    # within one second of the previous write.
    stat = changed.stat()
    moment = max(time.time_ns(), stat.st_mtime_ns + 1_000_000_000)
    os.utime(changed, ns=(moment, moment))
    try:
        pid = int((run_dir / f"{server}.pid").read_text().split()[0])
        os.kill(pid, signal.SIGHUP)
    except (OSError, ValueError) as exc:
        raise LabError(f"cannot reload {server}: {exc} (is the lab up?)") from exc


def _ask(address: str, rdtype: dns.rdatatype.RdataType) -> dns.message.Message | None:
    query = dns.message.make_query(ZONE, rdtype)
    query.flags = 0  # RD=0: ask the authoritative server itself
    try:
        return dns.query.udp(query, address, timeout=1.0)
    except (OSError, dns.exception.DNSException):
        return None


def _served_serial(address: str) -> int | None:
    response = _ask(address, dns.rdatatype.SOA)
    if response is None or not response.answer:
        return None
    return response.answer[0][0].serial


def _served_ds(address: str) -> set[str]:
    response = _ask(address, dns.rdatatype.DS)
    if response is None:
        return set()
    return {r.to_text() for rrset in response.answer if rrset.rdtype == dns.rdatatype.DS
            for r in rrset}


def _ds_rdata(line: str) -> set[str]:
    owner, _ttl, _class, _type, *rdata = line.split()
    assert owner.lower() == ZONE
    rdrecord = dns.rdata.from_text("IN", "DS", " ".join(rdata))
    return {rdrecord.to_text()}


def _serial_of(signed: Path) -> int:
    zone = dns.zone.from_file(str(signed), origin=ZONE, relativize=False)
    return zone.get_soa().serial


def _wait(ready: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + RELOAD_TIMEOUT_S
    while time.monotonic() < deadline:
        if ready():
            return
        time.sleep(0.05)
    raise LabError(f"timed out waiting for {what} after a reload")
