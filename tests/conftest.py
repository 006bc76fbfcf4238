"""Shared fixtures of the project's own tests: the lab, started once per session."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

import lab as lab_package
from dnssec_conformance.anchors import TrustAnchors, load_anchors
from dnssec_conformance.catalog import run_check, zone_checks
from dnssec_conformance.collect import Collector, ZoneData
from dnssec_conformance.config import Config, load_config, resolver_addresses
from dnssec_conformance.context import Evaluation
from dnssec_conformance.findings import CheckResult

pytest_plugins = ["pytester"]


@pytest.fixture(scope="session")
def lab() -> Iterator[lab_package.LabInfo]:
    """The DNSSEC lab on loopback: built and started for the session, stopped after it."""
    info = lab_package.up()
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
        return {check: run_check(check, data, evaluation) for check in zone_checks()}


@pytest.fixture(scope="session")
def lab_run(lab: lab_package.LabInfo) -> LabRun:
    config = load_config(lab.domains_yaml)
    collector = Collector(resolver_addresses(config), config.query)
    zones = {d.display: collector.collect(d) for d in config.domains}
    truth = json.loads(lab.ground_truth.read_text(encoding="utf-8"))
    return LabRun(config, load_anchors(config.trust_anchors), zones, truth, time.time())
