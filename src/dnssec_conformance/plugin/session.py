"""The run as the plugin holds it in each process (`Conformance`, in `config.stash`): the
configuration, the instant judged, the shard, and the engine that probes and judges."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from ..config import shards
from ..config.model import Config
from ..engine.background import Engine, EngineError, Mode, describe
from ..engine.runner import RunRequest, Subject

# In one process, the engine runs in a process of its own from this many domains on: a second
# core then judges while pytest runs the tests (below it, starting a process costs more).
PROCESS_FROM_DOMAINS = 200


INTERRUPTED_WAIT_S = 3.0


CONFORMANCE = pytest.StashKey["Conformance | None"]()


PROBE_STATS = pytest.StashKey[dict[str, int]]()


class Conformance:
    """Per-process state of a run: the configuration, the moment judged, the engine."""

    def __init__(self, config: Config, now: float, *, domains_file: str,
                 state_dir: str, state_writable: bool, snapshot_in: str | None = None,
                 snapshot_out: str | None = None, engine: str = "auto",
                 on_demand: bool = False, shard: shards.Shard | None = None):
        self.config = config
        self.now = now
        self.domains_file = domains_file
        self.state_dir = state_dir
        self.state_writable = state_writable
        self.snapshot_in = snapshot_in
        self.snapshot_out = snapshot_out
        self.engine_mode = engine
        self.on_demand = on_demand  # an xdist worker: subjects are wanted as tests ask
        self.shard = shard  # None: every domain; else only this shard's
        self.shard_domains: list[Any] | None = None  # this shard's, once computed
        self.planned: dict[Subject, list[str]] = {}
        self.engine: Engine | None = None

    def plan(self, wanted: Iterable[tuple[Subject, str]]) -> None:
        """What the selected tests will ask (subject, check ID), in their order: the engine
        probes only that."""
        self.planned.clear()
        for subject, check_id in wanted:
            self.planned.setdefault(subject, [])
            if check_id not in self.planned[subject]:
                self.planned[subject].append(check_id)

    def start(self) -> None:
        if self.engine is not None or not self.planned:
            return
        request = RunRequest(
            self.config, self.now, tuple((s, tuple(c)) for s, c in self.planned.items()),
            state_dir=self.state_dir, state_writable=self.state_writable,
            snapshot_in=self.snapshot_in, snapshot_out=self.snapshot_out)
        self.engine = Engine(request, self._mode())
        if not self.on_demand:
            self.engine.want(self.planned)

    def _mode(self) -> Mode:
        if self.engine_mode != "auto":
            return "process" if self.engine_mode == "process" else "thread"
        domains = sum(1 for s in self.planned if s.kind == "domain")
        return "process" if domains >= PROCESS_FROM_DOMAINS and not self.on_demand \
            else "thread"

    def record(self, subject: Subject, check_id: str) -> dict[str, Any]:
        if self.engine is None:
            self.start()
        if self.engine is None:
            raise EngineError(f"{check_id} on {subject.name} was not planned")
        record = self.engine.records(subject).get(check_id)
        if record is None:
            raise EngineError(f"{check_id} on {subject.name} was not planned")
        return record

    def config_digest(self) -> str:
        """SHA-256 of the domains file: shards of one run read the same file."""
        try:
            return hashlib.sha256(Path(self.domains_file).read_bytes()).hexdigest()
        except OSError:
            return ""

    def finish(self, *, complete: bool, interrupted: bool) -> dict[str, Any]:
        """End the engine (it writes its snapshot); what it measured, for results.json.
        A run that ended early (-x, an interruption) judges nothing more; an interrupted
        one waits for it a few seconds at most (Kubernetes kills the pod soon after)."""
        if self.engine is None:
            return {}
        timeout = INTERRUPTED_WAIT_S if interrupted else None
        return describe(self.engine.finish(complete=complete, timeout=timeout))


def is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def is_controller(config: pytest.Config) -> bool:
    """The xdist controller: it runs no test (its workers do)."""
    return not is_worker(config) and config.getoption("dist", "no") != "no" \
        and bool(config.getoption("numprocesses", None))


def shard_domains(state: Conformance) -> list[Any]:
    """The domains of the file this process checks: all, or its shard's (hashed once)."""
    if state.shard is None:
        return list(state.config.domains)
    if state.shard_domains is None:
        state.shard_domains = [d for d in state.config.domains
                               if state.shard.owns_domain(d.display)]
    return state.shard_domains
