"""Signing a zone file with a standard signer: dnssec-signzone or ldns-signzone."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from lab.keys import Key
from lab.scenarios import Nsec3, Signer, Window
from lab.tools import CommandLog


def stamp(moment: datetime) -> str:
    """The YYYYMMDDHHMMSS (UTC) form both signers accept for absolute times."""
    return moment.strftime("%Y%m%d%H%M%S")


def sign(
    log: CommandLog,
    zone: str,
    unsigned: Path,
    signed: Path,
    *,
    keys: list[Key],
    now: datetime,
    window: Window,
    signer: Signer = "dnssec-signzone",
    nsec3: Nsec3 | None = None,
) -> None:
    """Sign `unsigned` into `signed` (paths relative to the run directory).

    The keys must share a directory; their DNSKEYs must already be in the zone for
    dnssec-signzone, while ldns-signzone adds them itself.
    """
    inception, expiration = stamp(now + window.inception), stamp(now + window.expiration)
    what = f"signing {zone}"
    if signer == "ldns-signzone":
        argv = ["ldns-signzone", "-i", inception, "-e", expiration, "-o", zone, "-f", str(signed)]
        if nsec3 is not None:
            argv += ["-n", "-t", str(nsec3.iterations)]
            if nsec3.salt:
                argv += ["-s", nsec3.salt]
            if nsec3.opt_out:
                argv.append("-p")
        argv += [str(unsigned), *(str(k.directory / k.basename) for k in keys)]
        log.run(argv, what=what)
        return

    argv = ["dnssec-signzone", "-x", "-K", str(keys[0].directory), "-d", str(signed.parent)]
    argv += ["-o", zone, "-s", inception, "-e", expiration, "-f", str(signed)]
    if nsec3 is not None:
        argv += ["-3", nsec3.salt or "-", "-H", str(nsec3.iterations)]
        if nsec3.opt_out:
            argv.append("-A")
    if not window.inception.total_seconds() <= 0 < window.expiration.total_seconds():
        # Its own post-signing verification rejects signatures that are not valid now.
        argv.append("-P")
    argv += [str(unsigned), *(k.basename for k in keys)]
    log.run(argv, what=what)
