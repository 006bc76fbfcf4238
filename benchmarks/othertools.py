"""Running the zone checkers we compare with, on one zone file at one instant: kzonecheck
(Knot DNS), dnssec-verify (BIND) and ldns-verify-zone (ldns). Each result is the tool's
verdict in one short line, its exit status and how long it took.

dnssec-verify has no option to judge at another time: it runs under `clockshift.c`, an
LD_PRELOAD shim that moves its wall clock (needs a C compiler). dnssec-verify runs with
`-z` (records signed by a key with the SEP flag count too): which key signs what is a
signing policy of BIND's, not a validation rule.
"""

from __future__ import annotations

import datetime
import re
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
TIMEOUT_S = 120


@dataclass(frozen=True)
class ToolRun:
    tool: str
    says: str  # "ok", or what it reports (shortened)
    status: int
    seconds: float


def _stamp(instant: int) -> str:
    return datetime.datetime.fromtimestamp(instant, datetime.UTC).strftime("%Y%m%d%H%M%S")


def _run(argv: list[str], *, stdin: str | None = None, env: dict[str, str] | None = None
         ) -> tuple[int, str, float]:
    """Exit status, standard error then standard output, seconds."""
    started = time.perf_counter()
    done = subprocess.run(argv, input=stdin, capture_output=True, text=True, env=env,
                          timeout=TIMEOUT_S, check=False)
    return done.returncode, done.stderr + done.stdout, time.perf_counter() - started


def clock_shim(folder: Path) -> Path:
    """The shim, compiled into `folder`."""
    library = folder / "clockshift.so"
    subprocess.run(["cc", "-shared", "-fPIC", "-O2", "-o", str(library),
                    str(HERE / "clockshift.c")], check=True, capture_output=True)
    return library


def version(argv: list[str]) -> str:
    _status, out, _ = _run(argv)
    return out.strip().splitlines()[0] if out.strip() else "?"


def _shorten(lines: list[str], limit: int = 3) -> str:
    unique = list(dict.fromkeys(line.strip() for line in lines if line.strip()))
    more = f" (+{len(unique) - limit} more)" if len(unique) > limit else ""
    return "; ".join(unique[:limit]) + more


def kzonecheck(path: Path, origin: str, instant: int) -> ToolRun:
    status, out, seconds = _run(["kzonecheck", "-o", origin, "-d", "on", "-t", _stamp(instant),
                                 str(path)])
    if status == 0:
        return ToolRun("kzonecheck", "ok", status, seconds)
    summary = re.findall(r"^\s*(\d+)\s+(.+)$", out.split("Error summary:")[-1], re.M)
    said = [f"{text} ({count})" for count, text in summary] if "Error summary" in out else \
        [line for line in out.splitlines() if "error" in line.lower()][:3] or out.splitlines()
    if "Serious semantic error detected" in out:
        said.append("fatal")
    return ToolRun("kzonecheck", _shorten(said, 4), status, seconds)


def dnssec_verify(path: Path, origin: str, instant: int, shim: Path) -> ToolRun:
    env = {"LD_PRELOAD": str(shim), "SHIFT_SECONDS": str(instant - int(time.time())),
           "PATH": "/usr/bin:/bin:/usr/sbin:/sbin"}
    status, out, seconds = _run(["dnssec-verify", "-z", "-o", origin, str(path)], env=env)
    if status == 0:
        return ToolRun("dnssec-verify", "ok", status, seconds)
    summary = ("Loading zone", "Verifying the zone", "- ", "Zone fully signed", "Algorithm:",
               "ZSKs:", "KSKs:", ".", "The zone is not fully signed", " ", "Expected:",
               "Found:", "DNSSEC completeness test failed")
    said = [re.sub(r"^dnssec-verify: (fatal: |warning: )?", "", line).replace(str(path), "")
            for line in out.splitlines() if line.strip() and not line.startswith(summary)]
    return ToolRun("dnssec-verify", _shorten(said or out.strip().splitlines()[-1:], 2),
                   status, seconds)


def ldns_verify_zone(path: Path, origin: str, instant: int) -> ToolRun:
    # No origin option: the zone is given on standard input behind an $ORIGIN line.
    text = f"$ORIGIN {origin}\n" + path.read_text(encoding="utf-8")
    status, out, seconds = _run(["ldns-verify-zone", "-t", _stamp(instant)], stdin=text)
    if status == 0:
        return ToolRun("ldns-verify-zone", "ok", status, seconds)
    said = [re.sub(r"\s+for\s+\S+\s+\S+$", "", line.split("Error: ", 1)[1])
            for line in out.splitlines() if "Error: " in line]
    said = said or [line for line in out.strip().splitlines()
                    if line.strip() and line != "There were errors in the zone"][-1:]
    return ToolRun("ldns-verify-zone", _shorten(said, 2), status, seconds)


def run_all(path: Path, origin: str, instant: int, shim: Path) -> list[ToolRun]:
    return [kzonecheck(path, origin, instant), dnssec_verify(path, origin, instant, shim),
            ldns_verify_zone(path, origin, instant)]


def shim_in_tempdir() -> tuple[tempfile.TemporaryDirectory[str], Path]:
    folder = tempfile.TemporaryDirectory(prefix="clockshift-")
    return folder, clock_shim(Path(folder.name))
