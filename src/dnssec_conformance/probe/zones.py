"""Probing one zone: every question its checks need, asked of every server, concurrently.

`ZoneProber.probe` finds the zone by the walk (`Delegations.locate`), then asks each of its
servers the planned questions (SOA first: a server that does not answer it is not asked the
rest), each server of the parent for the DS set, and the ancestors' keys (shared by every zone
of the run). Servers that only the zone's own NS set names (not the parent's) are asked too.
Whatever is still unanswered when the zone's time budget runs out is given up: those
exchanges say so, and the checks report them as could-not-check, while other zones go on.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from typing import TypeVar

import dns.name
import dns.rcode
import dns.rdatatype
import dns.zone

from ..config.model import DomainSpec, QueryPolicy, TransferSpec
from .axfr import Transfer, transfer
from .copies import (
    CopyIndex,
    CopyJudge,
    Method,
    TransferReport,
    copy_entries,
    copy_stats,
    serial_behind,
)
from .data import (
    ABSENT_TYPE,
    AncestorZone,
    ProbePlan,
    ServerAnswers,
    SkippedServer,
    ZoneData,
    authoritative_problem,
    probe_name,
    zone_questions,
)
from .delegation import Delegations, Location, ZoneCut, resolver_problem
from .nsec_walk import Chain, WalkedCopy, ask_every_rrset, follow_chain
from .providers import ProviderView, fetch_view
from .querier import Querier
from .shared import SharedWork
from .transport import Exchange, Server

T = TypeVar("T")


class ZoneProber:
    """Probes zones for one run, sharing the walk and the ancestors between them. `clock`
    dates the TSIG of zone transfers (this host's time, whatever instant is judged)."""

    def __init__(self, querier: Querier, delegations: Delegations, policy: QueryPolicy,
                 clock: Callable[[], float] = time.time):
        self.querier = querier
        self.delegations = delegations
        self.policy = policy
        self.clock = clock
        self._ancestors: SharedWork[AncestorZone] = SharedWork()
        # At most one whole copy of a zone in memory at a time, in the whole run: a copy is
        # judged and dropped before the next transfer starts.
        self._copies = asyncio.Semaphore(1)

    async def probe(self, domain: DomainSpec, plan: ProbePlan, now: float | None = None,
                    judge: CopyJudge | None = None) -> ZoneData:
        """The zone's data; with `judge` and `transfer:` for the domain (and the plan's
        transfer group), each server's whole copy too, judged as it is taken."""
        data = ZoneData(domain, collected_at=time.time() if now is None else now)
        provider = asyncio.ensure_future(_provider_view(domain, plan))
        try:
            await self._probe_dns(data, domain, plan)
            if plan.transfer and judge is not None and domain.transfer is not None \
                    and data.discovery_failure is None:
                data.transfers = await self.take_copies(data, domain.transfer, judge)
        finally:
            data.provider = await provider
        return data

    async def _probe_dns(self, data: ZoneData, domain: DomainSpec, plan: ProbePlan) -> None:
        budget = _Budget(self.policy.zone_budget_s)
        location = await budget.run(self.delegations.locate(domain.name), None)
        if location is None:
            data.discovery_failure = (f"gave up finding the zone of {domain.name} after "
                                      f"{self.policy.zone_budget_s:g} s (the zone's time budget)")
            return
        if location.failure is not None:
            data.discovery_failure = f"cannot find the zone of {domain.name}: {location.failure}"
            data.discovery_evidence = location.evidence
            return
        cut = location.zone
        data.walk_fallback = location.fallback
        if location.nonexistent:
            data.discovery_failure = (f"{domain.name} does not exist (NXDOMAIN from the servers "
                                      f"of {cut.apex})" + "".join(
                                          f"; the walk fell back on the resolvers: "
                                          f"{resolver_problem(e)}" for e in location.fallback))
            data.discovery_evidence = "\n\n".join(
                [location.evidence, *(e.evidence() for e in location.fallback)])
            data.nonexistent = True
            return
        data.apex, data.parent = cut.apex, cut.parent
        if cut.referral is not None:
            data.parent_ns, data.referral = cut.ns, cut.referral
        probe = probe_name(cut.apex)
        questions = zone_questions(domain, cut.apex, plan)
        parent_cut = location.cuts[-2] if len(location.cuts) > 1 else None
        answers_task = self._all_servers(cut.servers, domain, cut.apex, questions, probe, plan,
                                         budget)
        ds_task = self._ds_answers(parent_cut, cut.apex, budget)
        ancestors_task = self._ancestry(location, budget)
        answers, ds_answers, ancestors = await asyncio.gather(answers_task, ds_task,
                                                              ancestors_task)
        extra, extra_skipped = await self._child_only_servers(cut, answers)
        if extra:
            answers.update(await self._all_servers(extra, domain, cut.apex, questions, probe,
                                                   plan, budget))
        skipped = (*cut.skipped, *extra_skipped)
        data.servers = tuple(answers)
        data.answers = answers
        data.unreachable = tuple(s.server for s in skipped if s.kind == "no-route")
        data.not_queried = tuple(s for s in skipped if s.kind != "no-route")
        data.ds_answers = ds_answers
        data.ancestors = ancestors

    # --- the zone's own servers -------------------------------------------------------------

    async def _all_servers(self, servers: Sequence[Server], domain: DomainSpec,
                           apex: dns.name.Name,
                           questions: list[tuple[dns.name.Name, dns.rdatatype.RdataType]],
                           probe: dns.name.Name, plan: ProbePlan, budget: _Budget
                           ) -> dict[Server, ServerAnswers]:
        found = await asyncio.gather(*(self._server(s, apex, questions, probe, plan, budget)
                                       for s in servers))
        return dict(zip(servers, found, strict=True))

    async def server_answers(self, server: Server, domain: DomainSpec, apex: dns.name.Name,
                             plan: ProbePlan) -> ServerAnswers:
        """What one server answers to the questions a zone's probe asks it."""
        return await self._server(server, apex, zone_questions(domain, apex, plan),
                                  probe_name(apex), plan, _Budget(self.policy.zone_budget_s))

    async def _server(self, server: Server, apex: dns.name.Name,
                      questions: list[tuple[dns.name.Name, dns.rdatatype.RdataType]],
                      probe: dns.name.Name, plan: ProbePlan, budget: _Budget) -> ServerAnswers:
        soa = await budget.ask(self.querier, server, apex, dns.rdatatype.SOA)
        exchanges = {(apex, dns.rdatatype.SOA): soa}
        if not soa.ok:  # a dead server: do not wait out every other question too
            return ServerAnswers(server, exchanges)
        rest = [q for q in questions if q != (apex, dns.rdatatype.SOA)]
        asked = [budget.ask(self.querier, server, owner, rdtype) for owner, rdtype in rest]
        if plan.denial:
            asked += [budget.ask(self.querier, server, probe, dns.rdatatype.A),
                      budget.ask(self.querier, server, apex, ABSENT_TYPE)]
        found = await asyncio.gather(*asked)
        exchanges.update(zip(rest, found[:len(rest)], strict=True))
        nonexistent, nodata = (found[len(rest)], found[len(rest) + 1]) if plan.denial \
            else (None, None)
        answers = ServerAnswers(server, exchanges, nonexistent, nodata)
        if plan.signing and authoritative_problem(soa) is None:
            answers = await self._second_look(answers, soa, apex, budget)
        return answers

    async def _second_look(self, answers: ServerAnswers, first: Exchange,
                           apex: dns.name.Name, budget: _Budget) -> ServerAnswers:
        """The apex SOA asked once more, after everything else: a pre-signed zone returns the
        same RRSIG, an online signer a new one (and, when its window slides, a later
        expiration). The gap is the time between the two answers."""
        second = await budget.ask(self.querier, answers.server, apex, dns.rdatatype.SOA)
        gap = (second.sent_at + second.elapsed / 2) - (first.sent_at + first.elapsed / 2)
        return replace(answers, second_look=second, second_look_after_s=round(max(0, gap), 3))

    async def _child_only_servers(self, cut: ZoneCut, answers: dict[Server, ServerAnswers]
                                  ) -> tuple[list[Server], list[SkippedServer]]:
        """Name servers that the zone's own NS set lists but its parent does not: resolvers
        that learnt the child's NS set query them too, so they are checked too."""
        named: set[dns.name.Name] = set()
        for found in answers.values():
            exchange = found.get(cut.apex, dns.rdatatype.NS)
            if exchange is not None and authoritative_problem(exchange) is None:
                ns = exchange.answer(dns.rdatatype.NS, cut.apex)
                named |= {rdata.target for rdata in ns or ()}
        extra_names = sorted(named - set(cut.ns) - {s.name for s in cut.servers})
        if not extra_names or not cut.ns:
            return [], []
        extra = await self.delegations.servers_named(cut.apex, extra_names,
                                                     exclude={(s.address, s.port)
                                                              for s in cut.servers})
        return list(extra.servers), list(extra.skipped)

    # --- the parent and the ancestors -------------------------------------------------------

    async def _ds_answers(self, parent: ZoneCut | None, apex: dns.name.Name, budget: _Budget
                          ) -> dict[Server, Exchange]:
        if parent is None:
            return {}
        found = await asyncio.gather(*(budget.ask(self.querier, s, apex, dns.rdatatype.DS)
                                       for s in parent.servers))
        return dict(zip(parent.servers, found, strict=True))

    async def _ancestry(self, location: Location, budget: _Budget
                        ) -> tuple[AncestorZone, ...]:
        above = location.cuts[:-1]
        found = await asyncio.gather(*(
            budget.run(self._ancestors.get(cut.apex, self._ancestor_of(cut, parent)), None)
            for cut, parent in zip(above, (None, *above[:-1]), strict=True)))
        return tuple(a if a is not None else AncestorZone(cut.apex, None, None)
                     for a, cut in zip(found, above, strict=True))

    def _ancestor_of(self, cut: ZoneCut, parent: ZoneCut | None
                     ) -> Callable[[], Awaitable[AncestorZone]]:
        async def fetch() -> AncestorZone:
            dnskey, ds = await asyncio.gather(
                self._first_answer(cut.servers, cut.apex, dns.rdatatype.DNSKEY),
                self._first_answer(parent.servers, cut.apex, dns.rdatatype.DS)
                if parent is not None else _none())
            return AncestorZone(cut.apex, dnskey, ds)

        return fetch

    async def _first_answer(self, servers: Sequence[Server], qname: dns.name.Name,
                            rdtype: dns.rdatatype.RdataType) -> Exchange | None:
        """The first usable authoritative answer; else what the resolvers say (CD=1: our own
        validation judges it), for networks where only the resolver reaches the upper levels."""
        last = None
        for server in servers:
            last = await self.querier.ask(server, qname, rdtype, kind="ancestor")
            if authoritative_problem(last) is None:
                return last
        for resolver in self.delegations.resolvers:
            answer = await self.querier.ask(resolver, qname, rdtype, recursive=True,
                                            kind="ancestor")
            if answer.ok and answer.rcode == dns.rcode.NOERROR \
                    and answer.answer(rdtype, qname) is not None:
                return answer
        return last

    # --- whole copies: AXFR from every server, or the NSEC walk -----------------------------

    async def take_copies(self, data: ZoneData, spec: TransferSpec, judge: CopyJudge
                         ) -> tuple[TransferReport, ...]:
        """Each usable server's copy, newest serial first (the first copy is the one the
        others are compared with), one server after the other."""
        servers = _newest_first(data)
        reports = []
        reference: CopyIndex | None = None
        chain: Chain | None = None
        for index, server in enumerate(servers):
            later = index + 1 < len(servers)
            axfr: Transfer | None = None
            if spec.axfr:
                async with self._copies:
                    async with self.querier.reserved(server) as forbidden:
                        axfr = Transfer(None, forbidden, "") if forbidden else await transfer(
                            server, data.name, spec.tsig, now=self.clock(),
                            read_timeout=self.policy.timeout_s, lifetime=spec.timeout_s,
                            max_records=spec.max_records)
                    if axfr.zone is not None:
                        report, reference = await asyncio.to_thread(
                            _judged, judge, data, server, axfr.zone, "axfr", None, reference,
                            later, spec, axfr)
                        axfr.zone = None
                        reports.append(report)
                        continue
            if not spec.walk:
                assert axfr is not None  # the schema allows axfr: false only with walk
                reports.append(TransferReport(
                    server, None, failure=axfr.failure, refused=axfr.refused,
                    tsig_key=_key_name(spec),
                    elapsed_s=round(axfr.elapsed, 3), evidence=axfr.evidence))
                continue
            chain = chain or await self._chain(server, data.name, spec)
            report, reference = await self._walked(data, server, spec, judge, chain, axfr,
                                                   reference, later)
            reports.append(report)
        return tuple(reports)

    async def _chain(self, server: Server, apex: dns.name.Name, spec: TransferSpec) -> Chain:
        try:
            return await asyncio.wait_for(
                follow_chain(self.querier, server, apex, spec.walk_max_names), spec.timeout_s)
        except TimeoutError:
            return Chain(server, failure=f"the walk took longer than transfer.timeout_s "
                                         f"({spec.timeout_s:g} s)")

    async def _walked(self, data: ZoneData, server: Server, spec: TransferSpec,
                      judge: CopyJudge, chain: Chain, axfr: Transfer | None,
                      reference: CopyIndex | None, later: bool
                      ) -> tuple[TransferReport, CopyIndex | None]:
        axfr_failure = axfr.failure if axfr is not None else None
        if not chain.names:
            failure = f"no walk: {chain.failure}"
            return TransferReport(server, None, failure=failure, axfr_failure=axfr_failure,
                                  refused=axfr is not None and axfr.refused,
                                  tsig_key=_key_name(spec),
                                  evidence=_joined(axfr, chain.evidence)), reference
        async with self._copies:
            try:
                walked = await asyncio.wait_for(
                    ask_every_rrset(self.querier, server, data.name, chain), spec.timeout_s)
            except TimeoutError:
                return TransferReport(
                    server, None, failure=f"the walk took longer than transfer.timeout_s "
                                          f"({spec.timeout_s:g} s)", axfr_failure=axfr_failure,
                    refused=axfr is not None and axfr.refused,
                    evidence=_joined(axfr, chain.evidence)), reference
            incomplete = chain.failure if chain.server == server or chain.failure is None \
                else f"{chain.failure} (at {chain.server})"
            report, reference = await asyncio.to_thread(
                _judged, judge, data, server, walked.zone, "walk", incomplete, reference, later,
                spec, axfr)
        problems = [p for p in (incomplete, _unusable(walked)) if p]
        return replace(report, failure="; ".join(problems) or None,
                       evidence=_joined(axfr, chain.evidence)), reference


def _newest_first(data: ZoneData) -> list[Server]:
    """The servers that answered, the newest SOA serial first (ties in the probe's order)."""
    assert data.apex is not None
    serials: dict[Server, int | None] = {}
    for answers in data.usable_answers():
        soa = answers.get(data.apex, dns.rdatatype.SOA)
        rrset = soa.answer(dns.rdatatype.SOA, data.apex) if soa is not None else None
        serials[answers.server] = rrset[0].serial if rrset else None
    known = [s for s in serials.values() if s is not None]
    newest = known[0] if known else 0
    for serial in known:
        if serial_behind(serial, newest) < 0:
            newest = serial
    return sorted(serials, key=lambda s: serial_behind(newest, serial)
                  if (serial := serials[s]) is not None else 2**32)


def _judged(judge: CopyJudge, data: ZoneData, server: Server, zone: dns.zone.Zone,
            method: Method, incomplete: str | None, reference: CopyIndex | None, later: bool,
            spec: TransferSpec, axfr: Transfer | None
            ) -> tuple[TransferReport, CopyIndex | None]:
    """The report on one copy (in a worker thread: it is CPU work), and the copy the later
    ones are compared with (this one, reduced, when it is the first)."""
    entries = copy_entries(zone)
    stats = copy_stats(zone, entries)
    differences = reference.differences(entries) if reference is not None else None
    if reference is None and later:
        reference = CopyIndex(entries, server, stats.serial)
    verdict = judge(data, server, zone, method, incomplete)
    taken = axfr if axfr is not None and method == "axfr" else None
    return TransferReport(
        server, method, axfr_failure=axfr.failure if axfr is not None and taken is None
        else None, refused=axfr is not None and axfr.refused,
        tsig_key=_key_name(spec) if taken is not None else None,
        serial=stats.serial, names=stats.names, rrsets=stats.rrsets, records=stats.records,
        digest=stats.digest, data_digest=stats.data_digest,
        elapsed_s=round(taken.elapsed, 3) if taken is not None else 0.0,
        judged_at=verdict.judged_at, judged_with=verdict.judged_with,
        findings=verdict.findings, differences=differences,
        evidence=taken.evidence if taken is not None else ""), reference


def _key_name(spec: TransferSpec) -> str | None:
    return spec.tsig.name.to_text() if spec.tsig is not None else None


def _joined(axfr: Transfer | None, evidence: str) -> str:
    return "\n\n".join(e for e in (axfr.evidence if axfr is not None else "", evidence) if e)


def _unusable(walked: WalkedCopy) -> str | None:
    if not walked.unusable:
        return None
    return (f"{len(walked.unusable)} of the {walked.asked} RRsets the chain lists got no "
            f"usable answer (first: {walked.unusable[0]})")


async def _none() -> None:
    return None


async def _provider_view(domain: DomainSpec, plan: ProbePlan) -> ProviderView | None:
    """The cloud DNS provider's own view, fetched (HTTP, in a thread) while the DNS is
    probed; None for a domain that names no provider. Never raises: a failure is part of
    the view."""
    if not plan.provider or domain.provider is None:
        return None
    return await asyncio.to_thread(fetch_view, domain)


class _Budget:
    """A zone's time budget: what has not finished when it runs out is given up."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.deadline = asyncio.get_running_loop().time() + seconds

    def remaining(self) -> float:
        return max(0.0, self.deadline - asyncio.get_running_loop().time())

    async def run(self, work: Awaitable[T], fallback: T) -> T:
        try:
            return await asyncio.wait_for(work, self.remaining())
        except TimeoutError:
            return fallback

    async def ask(self, querier: Querier, server: Server, qname: dns.name.Name,
                  rdtype: dns.rdatatype.RdataType) -> Exchange:
        gave_up = Exchange(server, qname, rdtype, False, None, "",
                           f"gave up after {self.seconds:g} s (the zone's time budget)", 0.0,
                           sent_at=time.time())
        return await self.run(querier.ask(server, qname, rdtype), gave_up)
