"""Driving the engine (`runner.Run`) from the project's tests: what a run would observe."""

from __future__ import annotations

import asyncio
import time

import dns.name
import dns.rdatatype

from dnssec_conformance.config.model import Config, DomainSpec, QueryPolicy
from dnssec_conformance.engine.runner import Run, RunRequest
from dnssec_conformance.probe.data import EVERYTHING, ServerAnswers
from dnssec_conformance.probe.delegation import Delegations
from dnssec_conformance.probe.querier import Querier
from dnssec_conformance.probe.resolvers import (
    ResolverTarget,
    Survey,
    ValidationExpectation,
    domain_question,
)
from dnssec_conformance.probe.resolving import ResolverSurveyor
from dnssec_conformance.probe.transport import Server
from dnssec_conformance.probe.zones import ZoneProber


def server_answers(server: Server, domain: DomainSpec, policy: QueryPolicy) -> ServerAnswers:
    """What one server answers to the questions a zone's probe asks each of its servers."""
    async def ask_server() -> ServerAnswers:
        querier = Querier(policy)
        prober = ZoneProber(querier, Delegations(querier, ()), policy)
        try:
            return await prober.server_answers(server, domain, domain.name, EVERYTHING)
        finally:
            await querier.close()

    return asyncio.run(ask_server())


def surveys(config: Config) -> tuple[list[ResolverTarget], dict[str, Survey], dict[str, Survey]]:
    """The resolvers a run tests, and what they answer for each domain and each canary."""
    async def observe() -> tuple[list[ResolverTarget], dict[str, Survey], dict[str, Survey]]:
        run = Run(RunRequest(config, time.time(), ()), lambda subject, records: None)
        run.start()
        try:
            domains = {}
            for domain in config.domains:
                qname, rdtype = domain_question(domain)
                domains[domain.display] = await run.survey(domain.display, qname, rdtype,
                                                           domain.expect)
            canaries = {}
            for canary in config.canaries.bogus:
                name = canary.to_text(omit_final_dot=True)
                canaries[name] = await run.survey(name, canary, 1, "bogus")
            return await run.targets(), domains, canaries
        finally:
            await run.querier.close()

    return asyncio.run(observe())


def survey_of(targets: list[ResolverTarget], subject: str, qname: dns.name.Name,
              rdtype: dns.rdatatype.RdataType, expect: ValidationExpectation, policy: QueryPolicy
              ) -> Survey:
    """What the given resolvers answer for one name, asked as a run asks them."""
    async def ask() -> Survey:
        querier = Querier(policy)
        try:
            return await ResolverSurveyor(querier).survey(targets, subject, qname, rdtype,
                                                          expect)
        finally:
            await querier.close()

    return asyncio.run(ask())


def lab_config_text(lab: object, domains: list[str]) -> str:
    """A domains.yaml for some lab zones: the lab's validating resolver, root and anchors."""
    entries = "".join(f"  - name: {name}\n    records: [A]\n" for name in domains)
    return (f"resolvers: [{lab.validating_resolver}]\n"  # type: ignore[attr-defined]
            f"root_hints: [{lab.servers['root']}]\n"  # type: ignore[attr-defined]
            f"trust_anchors: {lab.trust_anchors}\n"  # type: ignore[attr-defined]
            f"domains:\n{entries}")
