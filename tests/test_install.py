"""Installed as a user installs it: the wheel built from this repository, in a clean
virtualenv, run from an empty folder (no repository, no conftest, no copied suites) against
the lab, through both ways in: the `dnssec-conformance` command (and `python -m`) and
`pytest --pyargs dnssec_conformance.suites`. In the same virtualenv an unrelated pytest
project must see no trace of the plugin."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .test_heartbeat import Receiver, serve

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "dnssec_conformance"
SUITES = ROOT / "suites"
DOMAIN = "good-rsa.test"


@dataclass
class Installed:
    wheel: Path
    python: Path
    bin: Path

    def run(self, *args: str, cwd: Path, extra_env: dict[str, str] | None = None
            ) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items()
               if k not in ("PYTHONPATH", "ONEUPTIME_HEARTBEAT_URL", "VIRTUAL_ENV")}
        env["PATH"] = f"{self.bin}{os.pathsep}{env.get('PATH', '')}"
        env.update(extra_env or {})
        return subprocess.run(list(args), cwd=cwd, env=env, capture_output=True, text=True,
                              timeout=300)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    """The wheel, and a fresh virtualenv with nothing but the wheel and its dependencies."""
    base = tmp_path_factory.mktemp("install")
    dist = base / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist),
                    str(ROOT)], check=True, capture_output=True, text=True, timeout=300)
    (wheel,) = dist.glob("dnssec_conformance-*.whl")
    venv = base / "venv"
    # No pip of its own (ensurepip costs seconds): the project's pip installs into it.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=120)
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"),
                    "install", "-q", str(wheel)], check=True, capture_output=True, text=True,
                   timeout=600)
    yield Installed(wheel, venv / "bin" / "python", venv / "bin")


def test_the_wheel_holds_every_module_the_suites_and_the_license(installed):
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    for source in PACKAGE.rglob("*.py"):
        assert f"dnssec_conformance/{source.relative_to(PACKAGE)}" in names, source
    for suite in SUITES.glob("*.py"):
        assert f"dnssec_conformance/suites/{suite.name}" in names, suite
    assert "dnssec_conformance/config/schema/domains.schema.json" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(installed.wheel).read(entry_points).decode()
    assert "dnssec-conformance = dnssec_conformance.cli:main" in text
    assert "dnssec_conformance = dnssec_conformance.plugin" in text


@pytest.mark.parametrize("way_in", ["command", "python -m", "pytest --pyargs"])
def test_both_ways_in_run_the_packaged_suites_from_an_empty_folder(installed, lab, tmp_path,
                                                                   way_in):
    commands = {
        "command": [str(installed.bin / "dnssec-conformance")],
        "python -m": [str(installed.python), "-m", "dnssec_conformance"],
        "pytest --pyargs": [str(installed.bin / "pytest"), "--pyargs",
                            "dnssec_conformance.suites", "-p", "no:cacheprovider"],
    }
    completed = installed.run(*commands[way_in], "--domains", str(lab.domains_yaml),
                              "-k", DOMAIN, "-q", cwd=tmp_path)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    document = json.loads((tmp_path / "reports" / "results.json").read_text())
    assert {r["domain"] for r in document["results"]} == {DOMAIN}
    assert document["status"] == "healthy"
    # every family ran: the suites came from the package, not from a copy
    assert {r["check"][:4] for r in document["results"]} >= {"EXPI", "KEY0", "DENI", "ROLL"}
    assert (tmp_path / "reports" / "report.html").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reports"]  # no .pytest_cache


def test_the_command_answers_help_and_version(installed, tmp_path):
    version = installed.run(str(installed.bin / "dnssec-conformance"), "--version",
                            cwd=tmp_path)
    assert version.returncode == 0 and version.stdout.startswith("dnssec-conformance 0.")
    usage = installed.run(str(installed.bin / "dnssec-conformance"), "--help", cwd=tmp_path)
    assert usage.returncode == 0 and "--nagios" in usage.stdout and "pytest" in usage.stdout


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from serve()


def test_an_unrelated_project_in_the_same_venv_sees_no_trace(installed, tmp_path, receiver):
    """The plugin is loaded in every pytest run of the virtualenv: without a domains file it
    writes nothing, sends nothing and prints nothing."""
    (tmp_path / "test_other.py").write_text("def test_other():\n    assert 1 + 1 == 2\n")
    completed = installed.run(str(installed.bin / "pytest"), "-p", "no:cacheprovider",
                              cwd=tmp_path,
                              extra_env={"ONEUPTIME_HEARTBEAT_URL": receiver.url})
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "1 passed" in completed.stdout
    assert {p.name for p in tmp_path.iterdir()} - {"__pycache__"} == {"test_other.py"}
    assert receiver.requests == []
    for word in ("heartbeat", "DNSSEC", "results.json"):
        assert word not in completed.stdout + completed.stderr


@pytest.mark.parametrize(("selection", "state", "first_line"), [
    (["-k", "good-rsa.test"], 0, "DNSSEC OK - 1 domain: 1 healthy |"),
    (["-k", "rsasha1.test"], 1, "DNSSEC WARNING - 1 domain: 1 warning; worst: rsasha1.test ALG03"),
    (["-k", "expired.test or good-rsa.test"], 2,
     "DNSSEC CRITICAL - 2 domains: 1 critical, 1 healthy; worst: expired.test EXPIRY01 |"),
    (["-k", "no-such-domain"], 3, "DNSSEC UNKNOWN - no check selected"),
])
def test_the_nagios_mode_answers_as_a_monitoring_plugin(installed, lab, tmp_path, selection,
                                                        state, first_line):
    completed = installed.run(str(installed.bin / "dnssec-conformance"), "--nagios",
                              "--domains", str(lab.domains_yaml), *selection, cwd=tmp_path)
    assert completed.returncode == state, completed.stdout + completed.stderr
    lines = completed.stdout.splitlines()
    assert lines[0].startswith(first_line), lines
    if state in (0, 1, 2):
        perfdata = lines[0].split(" | ", 1)[1].split()
        days = [p for p in perfdata if p.startswith("'")]
        assert days and all(p.endswith(";@~:7;@~:3;;") for p in days), perfdata
    assert "Traceback" not in completed.stdout + completed.stderr


def test_the_nagios_mode_says_what_is_wrong_with_a_domains_file(installed, tmp_path):
    (tmp_path / "d.yaml").write_text("domains:\n  - name: a.example\n    expct: secure\n")
    completed = installed.run(str(installed.bin / "dnssec-conformance"), "--nagios",
                              "--domains", "d.yaml", cwd=tmp_path)
    assert completed.returncode == 3
    assert completed.stdout == ("DNSSEC UNKNOWN - d.yaml:3: domains[0].expct: unknown key "
                                "(did you mean 'expect'?)\n")
