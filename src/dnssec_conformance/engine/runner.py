"""A run: probe every subject once, judge it with the selected checks, stream its records.

This is the engine behind the pytest plugin, usable without it::

    request = RunRequest(load_config("domains.yaml"), now=time.time(),
                         subjects=plan_subjects(config, zone_checks()))
    for subject, records in run_sync(request):
        ...

Subjects (the `domain` of results.json records) are domains, bogus canaries, the CoreDNS of
the cluster and the local clock. Domains are probed concurrently (at most `ZONES_IN_FLIGHT`
at once, in the order given), each judged as soon as its data is in, its records handed to the
caller and its data dropped: memory does not grow with the number of domains. The data comes
from the network (the probe stage), from zone files, or from a snapshot of an earlier run.
"""

from __future__ import annotations

import asyncio
import time
import traceback
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import dns.name

from ..analysis.evaluation import Evaluation
from ..analysis.keys_seen import observe
from ..analysis.zone import zone_security
from ..catalog import RunData, get, needs_of, run, zone_checks
from ..checks.transfer import copy_judge
from ..config.anchors import TrustAnchors, load_anchors
from ..config.loading import resolver_addresses
from ..config.model import Config, DomainSpec
from ..dnssec.zonefile import collect_zone_file
from ..errors import ConfigError
from ..findings import CheckResult, Finding, Severity
from ..probe.data import EVERYTHING, ProbePlan, ZoneData
from ..probe.delegation import Delegations
from ..probe.ntp import ClockReading, read_clock
from ..probe.querier import Querier, QueryStats
from ..probe.resolvers import (
    CANARY_TYPE,
    CoreDnsView,
    Observation,
    ResolverTarget,
    Survey,
    domain_question,
    read_coredns,
    resolver_targets,
)
from ..probe.resolving import ResolverSurveyor
from ..probe.roothints import iana_root_servers
from ..probe.snapshot import Snapshot, SnapshotWriter
from ..probe.transport import Exchange, Server
from ..probe.zones import ZoneProber
from ..report.results import DOMAIN, record_of
from ..state.store import StateDirectory
from .waivers import apply_waiver

ZONES_IN_FLIGHT = 64
SubjectKind = Literal["domain", "canary", "coredns", "run"]
Records = dict[str, dict[str, Any]]  # check ID -> results.json record


@dataclass(frozen=True, order=True)
class Subject:
    """What a record is about; `name` is what results.json shows as its `domain`."""

    kind: SubjectKind
    name: str


@dataclass(frozen=True)
class RunRequest:
    config: Config
    now: float  # the instant every time-based check judges (now, or --at)
    subjects: tuple[tuple[Subject, tuple[str, ...]], ...]  # in order; the checks of each
    state_dir: str | None = None  # the key history, for the rollover checks
    state_writable: bool = True
    snapshot_in: str | None = None  # judge this snapshot instead of probing
    snapshot_out: str | None = None  # also write what was observed here
    resolv_conf: str = "/etc/resolv.conf"


@dataclass
class RunStats:
    zones: int = 0
    queries: QueryStats = field(default_factory=QueryStats)
    probe_s: float = 0.0  # summed over zones (they overlap)
    judge_s: float = 0.0


def plan_subjects(config: Config, check_ids: Sequence[str]
                  ) -> tuple[tuple[Subject, tuple[str, ...]], ...]:
    """Every subject the configuration names, with the given checks that apply to it."""
    by_scope: dict[str, list[str]] = {}
    for check_id in check_ids:
        by_scope.setdefault(get(check_id).scope, []).append(check_id)
    subjects: list[tuple[Subject, tuple[str, ...]]] = []
    zone_like = tuple(by_scope.get("zone", []) + by_scope.get("resolver", []))
    if zone_like:
        subjects += [(Subject("domain", d.display), zone_like) for d in config.domains]
    for canary in config.canaries.bogus if by_scope.get("canary") else ():
        subjects.append((Subject("canary", canary.to_text(omit_final_dot=True)),
                         tuple(by_scope["canary"])))
    if by_scope.get("coredns"):
        subjects.append((Subject("coredns", "coredns"), tuple(by_scope["coredns"])))
    for check_id in by_scope.get("run", []):
        subjects.append((Subject("run", get(check_id).subject), (check_id,)))
    return tuple(subjects)


def probe_plan(check_ids: Sequence[str]) -> ProbePlan:
    needs: set[str] = set()
    for check_id in check_ids:
        needs |= needs_of(check_id)
    return ProbePlan.needing(needs)


class Run:
    """One run's state: where data comes from, and the shared views (CoreDNS, the clock)."""

    def __init__(self, request: RunRequest, emit: Callable[[Subject, Records], None]):
        self.request = request
        self.config = request.config
        self.emit = emit
        self.anchors: TrustAnchors = load_anchors(self.config.trust_anchors)
        self.stats = RunStats()
        checks = [c for _, ids in request.subjects for c in ids]
        self.plan = probe_plan(checks)
        self.needs_history = any("key_history" in get(c).needs for c in checks)
        self.severities = {o.code: o.severity for o in self.config.severities}
        self.snapshot = Snapshot(Path(request.snapshot_in)) if request.snapshot_in else None
        self.writer: SnapshotWriter | None = None
        self.state = (StateDirectory(Path(request.state_dir), writable=request.state_writable)
                      if request.state_dir is not None and self.needs_history else None)
        self.observations: dict[tuple[Any, dns.name.Name, int], Observation] = {}
        self._recorded_observations: dict[tuple[Any, dns.name.Name, int], Observation] = {}
        self._domains: dict[str, DomainSpec] = {}
        self.cancelled = False
        self._coredns: CoreDnsView | None = None
        self._clock: ClockReading | None = None

    # --- the whole run ----------------------------------------------------------------------

    def start(self) -> None:
        """The run's querier and shared views (inside its event loop)."""
        policy = self.config.query
        self.querier = Querier(policy)
        self.delegations = Delegations(
            self.querier, self._hints(), tuple(self._resolver_servers()), policy)
        self.prober = ZoneProber(self.querier, self.delegations, policy)
        self.surveyor = ResolverSurveyor(self.querier)

    async def run(self, wanted: AsyncIterator[Subject] | None = None) -> RunStats:
        """Judge every subject `wanted` yields (by default all, in order), each once."""
        self.start()
        if self.request.snapshot_out:
            self.writer = SnapshotWriter(Path(self.request.snapshot_out),
                                         domains_file=str(self.config.path),
                                         anchors_text=self.anchors.to_text())
        try:
            slots = asyncio.Semaphore(ZONES_IN_FLIGHT)
            checks_of = dict(self.request.subjects)
            tasks = []
            async for subject in wanted if wanted is not None else _each(self.request.subjects):
                if subject in checks_of:
                    tasks.append(asyncio.ensure_future(
                        self._subject(subject, checks_of.pop(subject), slots)))
            if self.cancelled:  # the tests ended early: what is not judged yet never will be
                for task in tasks:
                    task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if self.writer is not None:
                self.writer.close(observations=list(self.observations.values()),
                                  coredns=self._coredns,
                                  clock=self._clock)
                self.writer = None
        finally:
            if self.writer is not None:
                self.writer.abandon()
            await self.querier.close()
        self.stats.queries = self.querier.stats
        return self.stats

    def cancel(self) -> None:
        """Judge nothing more than what is done already (the snapshot keeps that)."""
        self.cancelled = True

    def _hints(self) -> tuple[Server, ...]:
        given = self.config.root_hints
        if not given:
            return iana_root_servers()
        return tuple(Server(h.host, h.port) for h in given)

    def _resolver_servers(self) -> list[Server]:
        try:
            return [Server(a.host, a.port) for a in resolver_addresses(
                self.config, self.request.resolv_conf)]
        except ConfigError:  # "system" without a usable resolv.conf: the walk alone
            return []

    async def _subject(self, subject: Subject, checks: tuple[str, ...],
                       slots: asyncio.Semaphore) -> None:
        async with slots:
            started = time.perf_counter()
            try:
                records = await self._judge_subject(subject, checks)
            except Exception as exc:  # an internal error: name it, go on
                records = {c: _internal_error(subject, c, exc) for c in checks}
            self.stats.judge_s += time.perf_counter() - started
            self.emit(subject, records)

    async def _judge_subject(self, subject: Subject, checks: tuple[str, ...]) -> Records:
        if subject.kind == "domain":
            return await self._domain(self._domain_spec(subject.name), checks)
        if subject.kind == "canary":
            return await self._canary(dns.name.from_text(subject.name), checks)
        if subject.kind == "coredns":
            view = await self.coredns()
            evaluation = self.evaluation()
            return {c: _record(run(c, view, evaluation), "coredns")
                    for c in checks}
        data = RunData(await self.clock())
        evaluation = self.evaluation()
        return {c: _record(run(c, data, evaluation), "run") for c in checks}

    # --- domains ----------------------------------------------------------------------------

    def _domain_spec(self, display: str) -> DomainSpec:
        if not self._domains:
            self._domains.update((d.display, d) for d in self.config.domains)
        return self._domains[display]

    async def zone(self, domain: DomainSpec, plan: ProbePlan | None = None,
                   checks: Sequence[str] = ()) -> ZoneData:
        """The domain's data; its whole copies (`transfer:`) are judged as they are taken by
        the transfer checks among `checks`."""
        if self.snapshot is not None:
            return self.snapshot.zone(domain)
        if domain.zone_file is not None:
            return await asyncio.to_thread(collect_zone_file, domain, domain.zone_file,
                                           domain.ds_file, self.request.now)
        started = time.perf_counter()
        judge = copy_judge(self.evaluation(domain), checks) if domain.transfer else None
        zone = await self.prober.probe(domain, plan or self.plan, judge=judge)
        self.stats.probe_s += time.perf_counter() - started
        self.stats.zones += 1
        return zone

    async def _domain(self, domain: DomainSpec, checks: tuple[str, ...]) -> Records:
        zone = await self.zone(domain, checks=checks)
        if self.writer is not None:
            self.writer.add_zone(zone)
        evaluation = self.evaluation(domain)
        records: Records = {}
        history: Evaluation | None = None
        for check_id in checks:
            spec = get(check_id)
            if spec.scope == "resolver":
                records[check_id] = await self._resolver_record(check_id, domain, zone,
                                                                evaluation)
                continue
            judged_with = evaluation
            if "key_history" in spec.needs:
                history = history or self._with_history(zone, evaluation)
                judged_with = history
            records[check_id] = _checked(domain, check_id, zone, judged_with)
        return records

    def _with_history(self, zone: ZoneData, evaluation: Evaluation) -> Evaluation:
        # A zone file is not published yet: it is no observation of the zone's keys.
        if self.state is None or zone.domain.zone_file is not None:
            return evaluation
        seen = observe(zone) if zone.apex is not None else None
        history = self.state.record_run(zone.name, seen, self.request.now)
        return replace(evaluation, history=history)

    async def _resolver_record(self, check_id: str, domain: DomainSpec, zone: ZoneData,
                               evaluation: Evaluation) -> dict[str, Any]:
        if domain.zone_file is not None:
            spec = get(check_id)
            return _record(CheckResult(domain.display, spec.id, spec.category,
                                       skipped_reason="a zone file is checked as a file: no "
                                                      "resolver serves it"))
        qname, rdtype = domain_question(domain)
        survey = await self.survey(domain.display, qname, rdtype, domain.expect)
        survey = replace(survey, verdict=zone_security(zone, evaluation))
        return _record(apply_waiver(run(check_id, survey, evaluation),
                                    domain.waivers, self.request.now), DOMAIN)

    async def _canary(self, canary: dns.name.Name, checks: tuple[str, ...]) -> Records:
        evaluation = self.evaluation()
        domain = DomainSpec(canary, ("A",))
        zone = await self.zone(domain)
        subject = canary.to_text(omit_final_dot=True)
        survey = await self.survey(subject, canary, CANARY_TYPE, "bogus")
        survey = replace(survey, verdict=zone_security(zone, evaluation))
        return {c: _record(run(c, survey, evaluation), "canary") for c in checks}

    # --- the resolvers, CoreDNS and the clock (each read once) ------------------------------

    async def survey(self, subject: str, qname: dns.name.Name, rdtype: Any,
                     expect: Any) -> Survey:
        targets = await self.targets()
        if self.snapshot is not None:
            return Survey(subject, qname, rdtype, expect,
                          tuple(self._recorded(t, qname, rdtype) for t in targets))
        survey = await self.surveyor.survey(targets, subject, qname, rdtype, expect)
        for observation in survey.observations:
            asked = observation.validated
            self.observations.setdefault(
                (observation.resolver.address, asked.qname, int(asked.rdtype)), observation)
        return survey

    def _recorded(self, target: ResolverTarget, qname: dns.name.Name, rdtype: Any
                  ) -> Observation:
        assert self.snapshot is not None
        if not self._recorded_observations:
            for observation in self.snapshot.observations():
                asked = observation.validated
                self._recorded_observations[(observation.resolver.address, asked.qname,
                                             int(asked.rdtype))] = observation
        found = self._recorded_observations.get((target.address, qname, int(rdtype)))
        if found is not None:
            return Observation(target, found.validated, found.unchecked)
        return Observation(target, Exchange(
            target.server, qname, rdtype, True, None, "",
            f"not in the snapshot {self.snapshot.path}", 0.0, checking_disabled=False,
            authenticated_data=True))

    async def targets(self) -> list[ResolverTarget]:
        if not hasattr(self, "_targets"):
            view = await self.coredns()
            if self.snapshot is not None:
                recorded = list(dict.fromkeys(o.resolver for o in self.snapshot.observations()))
                self._targets = recorded or resolver_targets(self.config, view,
                                                             self.request.resolv_conf)
            else:
                self._targets = resolver_targets(self.config, view, self.request.resolv_conf)
        return self._targets

    async def coredns(self) -> CoreDnsView:
        if self._coredns is not None:
            return self._coredns
        view = self.snapshot.coredns() if self.snapshot is not None else None
        if view is None:
            view = await asyncio.to_thread(read_coredns, self.config)
        self._coredns = view
        return view

    async def clock(self) -> ClockReading | None:
        if self._clock is None:
            if self.snapshot is not None:
                self._clock = self.snapshot.clock()
            elif self.config.clock.ntp:
                self._clock = await asyncio.to_thread(read_clock, self.config.clock.ntp,
                                                      self.config.query.timeout_s)
        return self._clock

    def evaluation(self, domain: DomainSpec | None = None) -> Evaluation:
        thresholds = domain.thresholds if domain is not None else self.config.thresholds
        return Evaluation(self.request.now, self.anchors, thresholds, self.config.clock,
                          severities=self.severities)


async def _each(subjects: Iterable[tuple[Subject, tuple[str, ...]]]
                ) -> AsyncIterator[Subject]:
    for subject, _checks in subjects:
        yield subject


def _record(result: CheckResult, kind: str = DOMAIN) -> dict[str, Any]:
    spec = get(result.check)
    return record_of(result, spec.title, remediation=spec.remediation, kind=kind)


def _checked(domain: DomainSpec, check_id: str, zone: ZoneData, evaluation: Evaluation
             ) -> dict[str, Any]:
    try:
        result = run(check_id, zone, evaluation)
    except Exception as exc:  # an internal error: name it, go on
        return _internal_error(Subject("domain", domain.display), check_id, exc)
    return _record(apply_waiver(result, domain.waivers, evaluation.now), DOMAIN)


def _internal_error(subject: Subject, check_id: str, exc: BaseException) -> dict[str, Any]:
    spec = get(check_id)
    where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    place = f" at {Path(where.filename).name}:{where.lineno}" if where else ""
    result = CheckResult(subject.name, spec.id, spec.category, [Finding(
        Severity.ERROR,
        f"internal error: {exc.__class__.__name__}: {exc}{place} (please report it, with a "
        "snapshot of the run)", code="internal-error", check=spec.id)])
    return _record(result, subject.kind)


def probe_zones(config: Config, domains: Sequence[DomainSpec] | None = None,
                plan: ProbePlan = EVERYTHING, now: float | None = None
                ) -> dict[str, ZoneData]:
    """The data of each domain (all of the file's by default), probed concurrently as a run
    probes them (zone files read): for scripts and notebooks that want the data itself.
    Whole copies (`transfer:`) are judged by every transfer check as they are taken, at `now`
    (default: the time of the call)."""
    request = RunRequest(config, time.time() if now is None else now, ())

    async def probe_all() -> list[ZoneData]:
        run = Run(request, lambda s, r: None)
        run.start()
        checks = zone_checks()
        try:
            return list(await asyncio.gather(*(run.zone(d, plan, checks) for d in chosen)))
        finally:
            await run.querier.close()

    chosen = list(config.domains if domains is None else domains)
    return {d.display: z for d, z in zip(chosen, asyncio.run(probe_all()), strict=True)}


def run_sync(request: RunRequest) -> Iterator[tuple[Subject, Records]]:
    """Run to completion in this thread and yield every subject's records (in finishing
    order). A convenience for scripts; the plugin streams from a background engine."""
    done: list[tuple[Subject, Records]] = []
    asyncio.run(Run(request, lambda s, r: done.append((s, r))).run())
    yield from done


