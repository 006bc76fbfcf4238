"""Driving the engine (`runner.Run`) from the project's tests: what a run would observe."""

from __future__ import annotations

import asyncio
import time

from dnssec_conformance.config import Config
from dnssec_conformance.resolvers import ResolverTarget, Survey, domain_question
from dnssec_conformance.runner import Run, RunRequest


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
