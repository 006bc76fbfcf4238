"""CLOCK02: the local clock against NTP — a real chronyd on loopback, a deliberately skewed
NTP responder, and a server that does not answer."""

from __future__ import annotations

import json
import shutil
import socketserver
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import ntplib
import pytest

from dnssec_conformance import catalog
from dnssec_conformance.analysis.evaluation import Evaluation
from dnssec_conformance.catalog import RunData
from dnssec_conformance.config.model import ClockPolicy, split_ntp_server
from dnssec_conformance.findings import Outcome
from dnssec_conformance.probe.ntp import read_clock

from .hostile import free_udp_port
from .inmemory import anchors_for, parent_zone


def judge(reading, max_offset_s: float = 60.0):
    ev = Evaluation(time.time(), anchors_for(parent_zone()), clock=ClockPolicy(
        max_offset_s=max_offset_s))
    return catalog.run("CLOCK02", RunData(reading), ev)


@pytest.fixture(scope="module")
def chrony(tmp_path_factory) -> Iterator[str]:
    """chronyd serving its (unsynchronised, `local stratum 8`) time on 127.0.0.1; it never
    touches this host's clock (-x)."""
    chronyd = shutil.which("chronyd") or "/usr/sbin/chronyd"
    if not Path(chronyd).exists():
        pytest.fail("chronyd is missing: apt-get install chrony")
    folder = tmp_path_factory.mktemp("chrony")
    port = free_udp_port()
    (folder / "chrony.conf").write_text(
        f"local stratum 8\nallow 127.0.0.0/8\nbindaddress 127.0.0.1\nport {port}\n"
        f"cmdport 0\npidfile {folder}/chronyd.pid\n")
    process = subprocess.Popen([chronyd, "-d", "-x", "-u", "root", "-f",
                                str(folder / "chrony.conf")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = f"127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while read_clock(server, 0.3).offset_s is None and time.monotonic() < deadline:
        time.sleep(0.1)
    yield server
    process.terminate()
    process.wait(5)


@contextmanager
def skewed_ntp_server(skew_s: float) -> Iterator[str]:
    """A real NTP responder on loopback whose clock is `skew_s` seconds ahead of ours."""

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            data, sock = self.request
            request = ntplib.NTPPacket()
            request.from_data(data)
            now = ntplib.system_to_ntp_time(time.time() + skew_s)
            answer = ntplib.NTPPacket(version=4, mode=4, tx_timestamp=now)
            answer.stratum, answer.leap = 2, 0
            answer.orig_timestamp = request.tx_timestamp
            answer.recv_timestamp = answer.ref_timestamp = now
            sock.sendto(answer.to_data(), self.client_address)

    server = socketserver.UDPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_synchronised_clock_passes(chrony):
    result = judge(read_clock(chrony))
    assert result.outcome is Outcome.PASSED
    assert result.domain == "local-clock"
    assert "within" in result.message


def test_an_offset_beyond_the_limit_is_critical():
    with skewed_ntp_server(120) as server:
        result = judge(read_clock(server))
    assert result.outcome is Outcome.FAILED
    assert "behind" in result.message and "limit 60 s" in result.message


def test_an_offset_within_the_limit_passes():
    with skewed_ntp_server(20) as server:
        assert judge(read_clock(server)).outcome is Outcome.PASSED


def test_an_unreachable_ntp_server_is_a_warning_not_a_crash():
    port = free_udp_port()  # nothing listens there
    started = time.monotonic()
    reading = read_clock(f"127.0.0.1:{port}", timeout=0.5)
    assert time.monotonic() - started < 3
    result = judge(reading)
    assert result.outcome is Outcome.WARNING
    assert "could not be used" in result.message


def test_no_ntp_server_configured_is_skipped():
    result = judge(None)
    assert result.outcome is Outcome.SKIPPED
    assert "clock.ntp" in result.message


@pytest.mark.parametrize(("spec", "expected"), [
    ("pool.ntp.org", ("pool.ntp.org", 123)), ("192.0.2.1:1123", ("192.0.2.1", 1123)),
    ("[2001:db8::1]:1123", ("2001:db8::1", 1123)), ("2001:db8::1", ("2001:db8::1", 123)),
])
def test_ntp_server_forms(spec, expected):
    assert split_ntp_server(spec) == expected


def test_the_run_records_the_local_clock(pytester, lab, chrony):
    domains = pytester.path / "domains.yaml"
    text = lab.domains_yaml.read_text().replace("trust_anchors: trust-anchors.txt",
                                                f"trust_anchors: {lab.trust_anchors}")
    domains.write_text(text + f"clock: {{ntp: '{chrony}', max_offset_s: 60}}\n")
    shutil.copytree(Path(__file__).parent.parent / "suites", pytester.path / "suites")
    result = pytester.runpytest_subprocess("--domains", str(domains), "suites", "-m", "clock",
                                           "-k", "local_clock or good-rsa")
    document = json.loads((pytester.path / "reports" / "results.json").read_text())
    records = {(r["domain"], r["check"]): r for r in document["results"]}
    assert records[("local-clock", "CLOCK02")]["outcome"] == "passed", result.stdout.str()
    assert ("good-rsa.test", "CLOCK01") in records


