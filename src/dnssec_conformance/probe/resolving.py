"""Asking the resolvers pods use, the way a validating stub does (see `resolvers`).

Each (resolver, name, type) is asked once per run: RD=1, DO=1, CD=0, AD=1; a SERVFAIL is asked
again with CD=1, to tell a validation verdict from an outage. A resolver that answers neither
the name nor ". NS" is down for the rest of the run: every later question to it is reported as
not asked, so one dead resolver costs one timeout, not one per domain.
"""

from __future__ import annotations

from collections.abc import Iterable

import dns.name
import dns.rcode
import dns.rdatatype

from ..config.model import ResolverAddress
from .querier import Querier
from .resolvers import LIVENESS_NAME, Observation, ResolverTarget, Survey, ValidationExpectation
from .shared import SharedWork
from .transport import Exchange


class ResolverSurveyor:
    def __init__(self, querier: Querier):
        self.querier = querier
        self._seen: SharedWork[Observation] = SharedWork()
        self._down: dict[ResolverAddress, str] = {}

    async def survey(self, resolvers: Iterable[ResolverTarget], subject: str,
                     qname: dns.name.Name, rdtype: dns.rdatatype.RdataType,
                     expect: ValidationExpectation) -> Survey:
        observations = [await self.observe(r, qname, rdtype) for r in resolvers]
        return Survey(subject, qname, rdtype, expect, tuple(observations))

    async def observe(self, resolver: ResolverTarget, qname: dns.name.Name,
                      rdtype: dns.rdatatype.RdataType) -> Observation:
        key = (resolver.address, qname, int(rdtype))
        return await self._seen.get(key, lambda: self._observe(resolver, qname, rdtype))

    async def _observe(self, resolver: ResolverTarget, qname: dns.name.Name,
                       rdtype: dns.rdatatype.RdataType) -> Observation:
        down = self._down.get(resolver.address)
        if down is not None:
            return Observation(resolver, _not_asked(resolver, qname, rdtype, down))
        validated = await self._ask(resolver, qname, rdtype, checking_disabled=False)
        if validated.response is None:
            liveness = await self._ask(resolver, LIVENESS_NAME, dns.rdatatype.NS,
                                       checking_disabled=False)
            if liveness.response is None:
                # One wording for every name asked of it, so reports say it once.
                self._down.setdefault(resolver.address, (
                    f"down: no answer in this run, not even for '. NS' "
                    f"({validated.failure.partition(' (')[0] if validated.failure else ''})"))
            down = self._down.get(resolver.address)
            if down is not None:
                return Observation(resolver, _not_asked(resolver, qname, rdtype, down))
            return Observation(resolver, validated)
        unchecked = None
        if validated.rcode == dns.rcode.SERVFAIL:
            unchecked = await self._ask(resolver, qname, rdtype, checking_disabled=True)
        return Observation(resolver, validated, unchecked)

    async def _ask(self, resolver: ResolverTarget, qname: dns.name.Name,
                   rdtype: dns.rdatatype.RdataType, *, checking_disabled: bool) -> Exchange:
        return await self.querier.ask(resolver.server, qname, rdtype, recursive=True,
                                      checking_disabled=checking_disabled,
                                      authenticated_data=True, kind="resolver-check")


def _not_asked(resolver: ResolverTarget, qname: dns.name.Name,
               rdtype: dns.rdatatype.RdataType, why: str) -> Exchange:
    return Exchange(resolver.server, qname, rdtype, True, None, "", why, 0.0,
                    checking_disabled=False, authenticated_data=True)
