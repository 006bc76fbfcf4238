"""SIGTERM (Kubernetes at activeDeadlineSeconds and on eviction) and SIGINT in the middle of a
run, during collection: results.json, the report and JUnit hold what was done, marked
interrupted, the status is never healthy and the heartbeat goes out marked incomplete, all
within a few seconds. A real pytest subprocess, a real signal."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .fuzz_e2e import heartbeat_receiver

ROOT = Path(__file__).parent.parent
KEY = "k3y-that-must-not-leak"


class SilentResolver:
    """A UDP socket that never answers, and tells when the first query reached it."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.asked = threading.Event()
        threading.Thread(target=self._listen, daemon=True).start()

    def _listen(self) -> None:
        while True:
            try:
                self.sock.recvfrom(4096)
            except OSError:
                return
            self.asked.set()


@pytest.fixture
def silent_resolver() -> Iterator[SilentResolver]:
    resolver = SilentResolver()
    yield resolver
    resolver.sock.close()


@pytest.fixture
def heartbeats() -> Iterator[tuple[str, list[dict]]]:
    with heartbeat_receiver(KEY) as received:
        yield received.url, received.bodies


def start_run(tmp_path: Path, resolver_port: int, url: str, *extra: str) -> subprocess.Popen:
    """A run whose first domain is a zone file (checked at once) and whose second waits on a
    resolver that never answers (collection blocks in its timeouts)."""
    shutil.copytree(ROOT / "examples" / "zones", tmp_path / "zones")
    shutil.copytree(ROOT / "suites", tmp_path / "suites")
    (tmp_path / "domains.yaml").write_text(
        f"resolvers: ['127.0.0.1:{resolver_port}']\n"
        f"root_hints: ['127.0.0.1:{resolver_port}']\n"
        "query: {timeout_s: 20, retries: 5}\n"
        "domains:\n"
        "  - {name: example.com, zone_file: zones/example.com.signed,\n"
        "     ds: zones/dsset-example.com.}\n"
        "  - stuck.example\n")
    command = [sys.executable, "-m", "pytest", "suites", "--domains", "domains.yaml",
               "-p", "no:cacheprovider", "-q", "--heartbeat-url", url, *extra]
    # SIGINT at its default, as a terminal's foreground job has it (a test run started in the
    # background of a non-interactive shell would pass it on ignored).
    return subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"},
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


@pytest.mark.parametrize(("signum", "extra"), [
    (signal.SIGTERM, ()), (signal.SIGINT, ()), (signal.SIGTERM, ("-n", "2"))],
    ids=["SIGTERM", "SIGINT", "SIGTERM-xdist"])
def test_a_signal_during_collection_leaves_every_output_marked_interrupted(
        tmp_path, silent_resolver, heartbeats, signum, extra):
    url, received = heartbeats
    run = start_run(tmp_path, silent_resolver.port, url, *extra)
    try:
        assert silent_resolver.asked.wait(60), "the run never reached collection"
        time.sleep(0.5)
        signalled = time.monotonic()
        run.send_signal(signum)
        output, _ = run.communicate(timeout=20)
        took = time.monotonic() - signalled
    finally:
        if run.poll() is None:
            run.kill()
            run.communicate()
    document = assert_every_output_marked_interrupted(tmp_path, run, output, took, received)
    assert "example.com" in {r["domain"] for r in document["results"]}
    assert "example.com" in (tmp_path / "reports" / "junit.xml").read_text()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_while_xdist_starts_its_workers_leaves_every_output(
        tmp_path, silent_resolver, heartbeats, signum):
    """pytest skips the session's end when its start is interrupted: the signal must wait
    until the workers are up, then end the run like any other."""
    url, received = heartbeats
    run = start_run(tmp_path, silent_resolver.port, url, "-n", "2")
    seen = ""
    try:
        assert run.stdout is not None
        while "bringing up nodes" not in seen:
            chunk = os.read(run.stdout.fileno(), 4096)
            assert chunk, f"the run ended before starting its workers: {seen[-2000:]}"
            seen += chunk.decode(errors="replace")
        signalled = time.monotonic()
        run.send_signal(signum)
        output, _ = run.communicate(timeout=30)
        took = time.monotonic() - signalled
    finally:
        if run.poll() is None:
            run.kill()
            run.communicate()
    assert_every_output_marked_interrupted(tmp_path, run, seen + output, took, received)


def assert_every_output_marked_interrupted(tmp_path: Path, run: subprocess.Popen,
                                           output: str, took: float,
                                           received: list[dict]) -> dict:
    assert run.returncode == 2, output[-3000:]  # pytest's "interrupted"
    assert took < 10, f"{took:.1f} s from the signal to the end of the run"
    assert "Traceback" not in output and "INTERNALERROR" not in output, output[-3000:]
    reports = tmp_path / "reports"
    document = json.loads((reports / "results.json").read_text())
    assert document["interrupted"] is True
    assert document["status"] == "critical"
    assert (reports / "report.html").stat().st_size > 0
    assert (reports / "junit.xml").stat().st_size > 0
    (body,) = received
    assert body["incomplete"] is True and body["status"] == "critical"
    assert body["priority"] == "P1"
    assert document["heartbeat"]["sent"] is True
    for path in reports.iterdir():
        assert KEY not in path.read_text(errors="replace")
    return document
