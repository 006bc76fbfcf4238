"""Shared fixtures of the project's own tests: the lab, started once per session."""

from __future__ import annotations

import ipaddress
import json
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

import lab as lab_package
from dnssec_conformance import catalog
from dnssec_conformance.analysis.evaluation import Evaluation
from dnssec_conformance.catalog import zone_checks
from dnssec_conformance.config.anchors import TrustAnchors, load_anchors
from dnssec_conformance.config.loading import load_config
from dnssec_conformance.config.model import Config
from dnssec_conformance.engine.runner import probe_zones
from dnssec_conformance.findings import CheckResult
from dnssec_conformance.probe.data import ZoneData

pytest_plugins = ["pytester"]


def _loopback_only(address: Any) -> None:
    host = address[0] if isinstance(address, tuple) else None
    if host is None:
        return  # a Unix socket
    ip = ipaddress.ip_address(str(host).split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if not (ip.is_loopback or ip.is_unspecified):
        raise AssertionError(f"a test sent traffic to {host}: tests stay on loopback (a "
                             "domains.yaml without root_hints walks from the IANA root)")


@pytest.fixture(autouse=True, scope="session")
def loopback_only() -> Iterator[None]:
    """No test of this process may send anything off loopback (the machines have no
    internet, and a test that needs it is wrong)."""
    originals = {name: getattr(socket.socket, name) for name in ("connect", "sendto")}

    def connect(self: socket.socket, address: Any) -> Any:
        _loopback_only(address)
        return originals["connect"](self, address)

    def sendto(self: socket.socket, data: bytes, *args: Any) -> Any:
        _loopback_only(args[-1])
        return originals["sendto"](self, data, *args)

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.sendto = sendto  # type: ignore[method-assign]
    yield
    for name, original in originals.items():
        setattr(socket.socket, name, original)


# Extra good zones (`lab up --scale N`) for the fleet's tests: a few, served by ns1.
SCALE_ZONES = 24


@pytest.fixture(scope="session")
def lab() -> Iterator[lab_package.LabInfo]:
    """The DNSSEC lab on loopback: built and started for the session, stopped after it."""
    info = lab_package.up(scale=SCALE_ZONES)
    yield info
    lab_package.down()


@dataclass
class LabRun:
    """The lab's zones, collected once, and a way to judge them at any instant."""

    config: Config
    anchors: TrustAnchors
    zones: dict[str, ZoneData]
    ground_truth: list[dict[str, Any]]
    now: float

    def judge(self, zone: str, now: float | None = None) -> dict[str, CheckResult]:
        data = self.zones[zone]
        evaluation = Evaluation(self.now if now is None else now, self.anchors,
                                data.domain.thresholds, self.config.clock)
        return {check: catalog.run(check, data, evaluation) for check in zone_checks()}


@pytest.fixture(scope="session")
def lab_run(lab: lab_package.LabInfo) -> LabRun:
    config = load_config(lab.domains_yaml)
    # the whole copies (`transfer:`) are judged as they are taken: at the instant judged
    now = time.time()
    zones = probe_zones(config, now=now)
    truth = json.loads(lab.ground_truth.read_text(encoding="utf-8"))
    return LabRun(config, load_anchors(config.trust_anchors), zones, truth, now)
