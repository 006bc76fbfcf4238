"""The Debian programs the lab drives, and one way to run them that records what was run."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from lab.errors import LabError

# program -> the Debian package that ships it
PACKAGES: dict[str, str] = {
    "nsd": "nsd",
    "unbound": "unbound",
    "dnssec-keygen": "bind9-utils",
    "dnssec-signzone": "bind9-utils",
    "dnssec-dsfromkey": "bind9-utils",
    "ldns-signzone": "ldnsutils",
    "dnsmasq": "dnsmasq-base",
}

# sbin is often missing from a non-root PATH, and the servers live there
_EXTRA_DIRS = ("/usr/sbin", "/usr/bin", "/sbin", "/bin")


def find(program: str) -> str:
    """The absolute path of a program, or a LabError naming the package to install."""
    search = os.pathsep.join([os.environ.get("PATH", ""), *_EXTRA_DIRS])
    path = shutil.which(program, path=search)
    if path is None:
        package = PACKAGES.get(program, program)
        raise LabError(f"{program} not found: apt-get install {package}")
    return path


def require_all() -> None:
    """Fail early, before anything is torn down or built, when a tool is missing."""
    for program in PACKAGES:
        find(program)


class CommandLog:
    """The commands run for one zone, as shell lines relative to the run directory."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.lines: list[str] = []

    def run(self, argv: Sequence[str], *, what: str) -> str:
        """Run a tool inside the run directory; return its stdout, or raise one clear line."""
        self.lines.append(shlex.join(argv))
        program = find(argv[0])
        try:
            done = subprocess.run(
                [program, *argv[1:]],
                cwd=self.run_dir,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise LabError(f"{argv[0]} timed out while {what}") from exc
        if done.returncode != 0:
            detail = (done.stderr.strip() or done.stdout.strip()).splitlines()
            last = detail[-1] if detail else f"exit status {done.returncode}"
            raise LabError(f"{argv[0]} failed while {what}: {last}")
        return done.stdout

    def note(self, text: str) -> None:
        """Record a step that is not a command (a dnspython edit)."""
        self.lines.append(f"# {text}")
