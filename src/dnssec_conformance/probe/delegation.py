"""Finding a zone's servers the way a validator does: walking down from the root.

For each name the walk starts at the deepest zone cut already known (the root hints at first),
asks that zone's servers about the name (RD=0, CD=1, DO=1), and follows referrals: each
referral is a zone cut, with the NS set as the *parent* serves it and the glue it may give for
names in its own bailiwick. An authoritative answer ends the walk: its SOA says which zone holds
the name. Nothing a resolver judges decides where to ask, so a bogus zone is still found and
diagnosed; a resolver is used only where the walk cannot go on (a network that lets nothing but
its resolver reach the upper levels), and then for the levels above the zone only, so that the
zone's own delegation still comes from its parent's servers.

Everything learnt here is shared by the run's zones (`SharedWork`), and bounded: addresses per
name-server name and per zone, never an address a delegation cannot legitimately use, a walk
at most `MAX_DEPTH` cuts deep, name-server names resolved at most `MAX_NESTING` deep.
"""

from __future__ import annotations

import contextvars
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import dns.flags
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset

from ..config.model import QueryPolicy
from .data import SkippedServer, authoritative_problem
from .querier import Querier, forbidden_destination, routable
from .shared import CircularWait, SharedWork
from .transport import Exchange, Server

MAX_DEPTH = 32  # zone cuts between the root and a name
MAX_NESTING = 4  # a name server's name whose zone's name server's name ... is resolved
MAX_NS_NAMES = 20  # NS names looked at per zone cut (resolvers bound this too)
ADDRESS_TYPES = (dns.rdatatype.A, dns.rdatatype.AAAA)
NO_ROUTE = "this host has no route to it"
MAX_LISTED_SKIPS = 16  # addresses not queried listed one by one; the rest are counted

_NESTING: contextvars.ContextVar[int] = contextvars.ContextVar("nesting", default=0)


@dataclass(frozen=True)
class ZoneCut:
    """A zone, the servers to ask about it, and how we learnt them."""

    apex: dns.name.Name
    parent: dns.name.Name | None  # None for the root
    ns: tuple[dns.name.Name, ...]  # the NS names as the parent (or the hints) give them
    servers: tuple[Server, ...]  # the addresses to query, within the bounds
    skipped: tuple[SkippedServer, ...] = ()  # addresses not queried, and why
    referral: Exchange | None = None  # the parent's referral to this zone, as received
    learnt_from: str = ""  # "root hints", "a referral from X", "resolver R"


@dataclass(frozen=True)
class Location:
    """Where a name lives: the cuts from the root down to the zone that holds it."""

    name: dns.name.Name
    cuts: tuple[ZoneCut, ...] = ()
    failure: str | None = None  # why the walk could not find the zone
    evidence: str = ""
    nonexistent: bool = False  # the zone's servers say the name does not exist (NXDOMAIN)
    # The resolvers' unusable answers when the walk fell back on them and went on all the same
    fallback: tuple[Exchange, ...] = ()

    @property
    def zone(self) -> ZoneCut:
        return self.cuts[-1]


@dataclass(frozen=True)
class _Step:
    """What a zone's servers said about a name one label below where the walk is."""

    kind: str  # "referral", "hosted", "inside", "nxdomain" or "failure"
    exchange: Exchange | None = None
    cut: ZoneCut | None = None  # referral, hosted: the zone below
    tried: tuple[Exchange, ...] = ()
    why: str = ""  # failure: why no server could be asked, when none was


@dataclass(frozen=True)
class Addresses:
    """A name server name's addresses, or why there are none."""

    addresses: tuple[str, ...] = ()
    failure: str | None = None


@dataclass
class Delegations:
    """The run's knowledge of the DNS tree: zone cuts, locations and name server addresses."""

    querier: Querier
    hints: tuple[Server, ...]
    resolvers: tuple[Server, ...] = ()
    policy: QueryPolicy = field(default_factory=QueryPolicy)
    _cuts: dict[dns.name.Name, ZoneCut] = field(default_factory=dict)
    _locations: SharedWork[Location] = field(default_factory=SharedWork)
    _addresses: SharedWork[Addresses] = field(default_factory=SharedWork)
    _resolved: SharedWork[Exchange] = field(default_factory=SharedWork)
    _steps: SharedWork[_Step] = field(default_factory=SharedWork)

    def __post_init__(self) -> None:
        roots = sorted({s.name for s in self.hints if s.name is not None})
        self._cuts[dns.name.root] = self._bounded(dns.name.root, None, tuple(roots), [
            (s, s.address) for s in self.hints], None, "the root hints")

    # --- locating a name --------------------------------------------------------------------

    async def locate(self, name: dns.name.Name) -> Location:
        """The zone that holds `name` and every cut above it (shared by the whole run)."""
        try:
            return await self._locations.get(name, lambda: self._locate(name))
        except CircularWait:
            return Location(name, failure=f"finding {name} depends on itself (circular "
                                          "delegation through name servers without glue)")

    async def _locate(self, name: dns.name.Name) -> Location:
        cuts = list(self._known_chain(name))
        position = cuts[-1].apex  # how far down towards `name` the walk has come
        fell_back = False
        consulted: list[Exchange] = []  # what the resolvers answered, if the walk fell back
        while len(cuts) <= MAX_DEPTH:
            current = cuts[-1]
            if position == name:
                return Location(name, tuple(cuts), fallback=tuple(_unusable(consulted)))
            # One label at a time (RFC 9156): the upper levels' answers are shared by every
            # name below them, so concurrent walks ask the root and the TLD once.
            below = _one_label_below(position, name)
            step = await self._shared_step(current, below)
            if step.kind == "nxdomain" and below != name:
                # Some servers deny empty non-terminals: ask about the whole name before
                # concluding (RFC 9156 §3).
                step = await self._step(current, name)
                below = name
            if step.kind in ("referral", "hosted"):
                assert step.cut is not None
                self._cuts.setdefault(step.cut.apex, step.cut)
                cuts.append(self._cuts[step.cut.apex])
                position = step.cut.apex
                continue
            if step.kind == "inside":
                position = below
                continue
            if step.kind == "nxdomain":
                return Location(name, tuple(cuts), nonexistent=True,
                                evidence=step.exchange.evidence() if step.exchange else "",
                                fallback=tuple(_unusable(consulted)))
            if not fell_back and self.resolvers:
                fell_back = True
                rescued = await self._rescue(name, cuts, consulted)
                if rescued:
                    cuts, position = rescued, rescued[-1].apex
                    continue
            unusable = _unusable(consulted)
            return Location(name, tuple(cuts), failure=_walk_failure(current, below, step)
                            + _resolver_note(unusable),
                            evidence=_evidence((*step.tried, *unusable)))
        return Location(name, tuple(cuts), failure=f"more than {MAX_DEPTH} zone cuts above "
                                                   f"{name} (a referral loop?)")

    def _known_chain(self, name: dns.name.Name) -> list[ZoneCut]:
        """The known cuts from the root down to the deepest one above (or at) `name`."""
        deepest = self._cuts[dns.name.root]
        for candidate in _ancestors_of(name):
            if candidate in self._cuts:
                deepest = self._cuts[candidate]
                break
        chain = [deepest]
        while chain[-1].parent is not None and chain[-1].parent in self._cuts:
            chain.append(self._cuts[chain[-1].parent])
        return list(reversed(chain))

    async def _shared_step(self, cut: ZoneCut, name: dns.name.Name) -> _Step:
        key = (cut.apex, cut.servers, name)
        try:
            return await self._steps.get(key, lambda: self._step(cut, name))
        except CircularWait:
            return _Step("failure", why=f"finding {name} depends on itself (a circular "
                                        "delegation: name servers without glue in each "
                                        "other's zones)")

    async def _step(self, cut: ZoneCut, name: dns.name.Name) -> _Step:
        """Ask the cut's servers, in turn, about `name` until one answers usably."""
        tried: list[Exchange] = []
        for server in cut.servers:
            exchange = await self.querier.ask(server, name, dns.rdatatype.NS, kind="walk")
            tried.append(exchange)
            step = await self._read_step(cut, name, exchange)
            if step is not None:
                return _Step(step.kind, exchange, step.cut, tuple(tried))
        return _Step("failure", tried[-1] if tried else None, tried=tuple(tried))

    async def _read_step(self, cut: ZoneCut, name: dns.name.Name, exchange: Exchange
                         ) -> _Step | None:
        """What one answer about `name` says, or None when it is no usable answer (the next
        server is asked)."""
        if not exchange.ok:
            return None
        response = exchange.response
        assert response is not None
        rcode = response.rcode()
        if rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
            return None
        if response.flags & dns.flags.AA:
            if rcode == dns.rcode.NXDOMAIN:
                return _Step("nxdomain")
            ns = exchange.answer(dns.rdatatype.NS, name)
            if ns is None or name == cut.apex:
                return _Step("inside")  # NODATA, or a CNAME: the name is in this zone
            # An authoritative NS answer below the apex: the name is the apex of a zone that
            # the same servers serve (no referral to see; its NS set is the child's own).
            targets = sorted({rdata.target for rdata in ns})[:MAX_NS_NAMES]
            hosted = await self._cut(name, cut.apex, targets, _glue(response, targets, name),
                                     None, f"{exchange.server}, which serves both {cut.apex} "
                                           f"and {name}")
            return _Step("hosted", cut=hosted)
        ns = _referral_ns(response, name, cut.apex)
        if ns is None:
            return None  # lame: neither authoritative nor a referral downwards
        targets = sorted({rdata.target for rdata in ns})[:MAX_NS_NAMES]
        glue = _glue(response, targets, cut.apex)
        child = await self._cut(ns.name, cut.apex, targets, glue, exchange,
                                f"a referral from {exchange.server}")
        return _Step("referral", cut=child)

    async def _cut(self, apex: dns.name.Name, parent: dns.name.Name | None,
                   targets: Sequence[dns.name.Name], glue: dict[dns.name.Name, list[str]],
                   referral: Exchange | None, learnt_from: str,
                   exclude: set[tuple[str, int]] | None = None) -> ZoneCut:
        candidates: list[tuple[Server, str]] = []
        notes: list[SkippedServer] = []
        for target in targets:
            if target in glue:
                addresses = glue[target]
            else:
                found = await self.addresses(target)
                addresses = list(found.addresses)
                if found.failure is not None:
                    notes.append(SkippedServer(Server("", 53, target), found.failure,
                                               "no-address"))
            candidates += [(Server(a, 53, target), a) for a in addresses]
        cut = self._bounded(apex, parent, tuple(targets), candidates, referral, learnt_from,
                            exclude)
        if notes:
            cut = ZoneCut(cut.apex, cut.parent, cut.ns, cut.servers, (*cut.skipped, *notes),
                          cut.referral, cut.learnt_from)
        return cut

    async def servers_named(self, apex: dns.name.Name, names: Sequence[dns.name.Name],
                            exclude: set[tuple[str, int]]) -> ZoneCut:
        """More servers of a zone, by name (those only its own NS set lists), within the
        bounds that the servers already known (`exclude`) count towards."""
        cut = await self._cut(apex, None, names[:MAX_NS_NAMES], {}, None, "the zone's NS set",
                              exclude=exclude)
        return cut

    def _bounded(self, apex: dns.name.Name, parent: dns.name.Name | None,
                 ns: tuple[dns.name.Name, ...], candidates: Iterable[tuple[Server, str]],
                 referral: Exchange | None, learnt_from: str,
                 exclude: set[tuple[str, int]] | None = None) -> ZoneCut:
        """Apply the address bounds, as resolvers do: what may be queried, and what is
        reported instead (never more than a few lines, however many addresses a hostile
        delegation lists)."""
        servers: list[Server] = []
        skipped: list[SkippedServer] = []
        per_name: Counter[dns.name.Name | None] = Counter()
        over: Counter[dns.name.Name | None] = Counter()
        unlisted = 0
        seen: set[tuple[str, int]] = set(exclude or ())
        already = len(seen)
        policy = self.policy
        for server, address in candidates:
            if (address, server.port) in seen:
                continue
            seen.add((address, server.port))
            if per_name[server.name] >= policy.max_addresses_per_name \
                    or already + len(servers) >= policy.max_addresses_per_zone:
                over[server.name] += 1
                continue
            forbidden = forbidden_destination(address)
            problem = (forbidden, "forbidden") if forbidden is not None else \
                (NO_ROUTE, "no-route") if not routable(address) else None
            if problem is not None:
                if len(skipped) < MAX_LISTED_SKIPS:
                    skipped.append(SkippedServer(server, *problem))
                else:
                    unlisted += 1
                continue
            per_name[server.name] += 1
            servers.append(server)
        for name, count in over.items():
            skipped.append(SkippedServer(
                Server("", 53, name), f"{count} more address(es) not queried: over the bounds "
                f"of {policy.max_addresses_per_name} per name server name and "
                f"{policy.max_addresses_per_zone} per zone", "bound"))
        if unlisted:
            skipped.append(SkippedServer(Server("", 53, apex), f"{unlisted} more address(es) "
                                         "not queried (no route, or forbidden)", "bound"))
        return ZoneCut(apex, parent, ns, tuple(servers), tuple(skipped), referral, learnt_from)

    # --- name server addresses --------------------------------------------------------------

    async def addresses(self, target: dns.name.Name) -> Addresses:
        """The A and AAAA addresses of a name server name (glue aside), found by the walk."""
        depth = _NESTING.get()
        if depth >= MAX_NESTING:
            return Addresses(failure=f"{target}: its address is too deep to find (name servers "
                                     f"whose names need more than {MAX_NESTING} look-ups)")
        try:
            return await self._addresses.get(target, lambda: self._find_addresses(target))
        except CircularWait:
            return Addresses(failure=f"{target}: finding its address depends on itself "
                                     "(circular delegation without glue)")

    async def _find_addresses(self, target: dns.name.Name) -> Addresses:
        _NESTING.set(_NESTING.get() + 1)
        location = await self.locate(target)
        found: list[str] = []
        failure = location.failure
        if failure is None and not location.nonexistent:
            for rdtype in ADDRESS_TYPES:
                for server in location.zone.servers:
                    exchange = await self.querier.ask(server, target, rdtype, kind="walk")
                    if authoritative_problem(exchange) is None:
                        found += _addresses_in(exchange.answer(rdtype, target), rdtype)
                        break
        consulted: list[Exchange] = []
        if not found and self.resolvers:
            for rdtype in ADDRESS_TYPES:
                exchange = await self._resolve(target, rdtype, consulted)
                if exchange.ok:
                    found += _addresses_in(exchange.answer(rdtype, target), rdtype)
        if found:
            return Addresses(tuple(dict.fromkeys(found)))
        note = _resolver_note(_unusable(consulted))
        if location.nonexistent:
            return Addresses(failure=f"{target}: no such name (NXDOMAIN){note}")
        return Addresses(failure=f"{target}: no address found"
                                 + (f" ({failure})" if failure else "") + note)

    # --- resolvers, where the walk cannot go on ---------------------------------------------

    async def _resolve(self, qname: dns.name.Name, rdtype: dns.rdatatype.RdataType,
                       consulted: list[Exchange] | None = None) -> Exchange:
        """A recursive look-up (CD=1) through the configured resolvers: the first that answers
        NOERROR or NXDOMAIN, else the last answer (also added to `consulted`)."""
        async def look_up() -> Exchange:
            last: Exchange | None = None
            for resolver in self.resolvers:
                last = await self.querier.ask(resolver, qname, rdtype, recursive=True,
                                              kind="resolver")
                if last.ok and last.rcode in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
                    break
            assert last is not None
            return last

        exchange = await self._resolved.get((qname, int(rdtype)), look_up)
        if consulted is not None:
            consulted.append(exchange)
        return exchange

    async def _rescue(self, name: dns.name.Name, cuts: list[ZoneCut],
                      consulted: list[Exchange]) -> list[ZoneCut] | None:
        """The walk stopped at a zone none of whose servers answered. Learn the levels below
        it from the resolvers, down to the *parent* of the name's zone, so that the zone's own
        delegation is still read from its parent's servers. What the resolvers answered is
        added to `consulted`."""
        failed = cuts[-1]
        apex = await self._resolver_zone_of(name, consulted)
        if apex is None:
            return None
        chain: list[dns.name.Name] = [apex]
        while chain[-1] != dns.name.root:
            above = await self._resolver_zone_of(chain[-1].parent(), consulted)
            if above is None or above in chain:
                return None
            chain.append(above)
        chain.reverse()  # the root first
        rescued: list[ZoneCut] = []
        for zone in chain[:-1] or chain:
            known = self._cuts.get(zone)
            if known is not None and zone != failed.apex:
                rescued.append(known)
                continue
            cut = await self._resolver_cut(zone, rescued[-1].apex if rescued else None,
                                           consulted)
            if cut is None:
                return None
            self._cuts[zone] = cut  # better than what failed
            rescued.append(cut)
        return rescued if rescued[-1] is not failed else None

    async def _resolver_zone_of(self, name: dns.name.Name, consulted: list[Exchange]
                                ) -> dns.name.Name | None:
        """The apex of the zone holding `name`, by the resolvers' SOA answers; a name they
        fail on (SERVFAIL: a bogus zone) is retried one label up."""
        current = name
        while True:
            exchange = await self._resolve(current, dns.rdatatype.SOA, consulted)
            if exchange.ok and exchange.response is not None and exchange.rcode in (
                    dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
                if exchange.answer(dns.rdatatype.SOA, current) is not None:
                    return current
                for rrset in exchange.response.authority:
                    if rrset.rdtype == dns.rdatatype.SOA and current.is_subdomain(rrset.name):
                        return rrset.name if name.is_subdomain(rrset.name) else None
            if current == dns.name.root:
                return None
            current = current.parent()

    async def _resolver_cut(self, apex: dns.name.Name, parent: dns.name.Name | None,
                            consulted: list[Exchange]) -> ZoneCut | None:
        exchange = await self._resolve(apex, dns.rdatatype.NS, consulted)
        ns = exchange.answer(dns.rdatatype.NS, apex) if exchange.ok else None
        if ns is None:
            return None
        targets = sorted({rdata.target for rdata in ns})[:MAX_NS_NAMES]
        candidates: list[tuple[Server, str]] = []
        for target in targets:
            for rdtype in ADDRESS_TYPES:
                answer = await self._resolve(target, rdtype, consulted)
                candidates += [(Server(a, 53, target), a)
                               for a in _addresses_in(answer.answer(rdtype, target), rdtype)]
        cut = self._bounded(apex, parent, tuple(targets), candidates, None,
                            f"resolver {exchange.server}")
        return cut if cut.servers else None


# --- reading responses ----------------------------------------------------------------------


def _ancestors_of(name: dns.name.Name) -> Iterable[dns.name.Name]:
    current = name
    while True:
        yield current
        if current == dns.name.root:
            return
        current = current.parent()


def _one_label_below(position: dns.name.Name, name: dns.name.Name) -> dns.name.Name:
    """The ancestor of `name` one label below `position` (an ancestor of `name`)."""
    return dns.name.Name(name.labels[-(len(position.labels) + 1):])


def _referral_ns(response: dns.message.Message, name: dns.name.Name,
                 bailiwick: dns.name.Name) -> dns.rrset.RRset | None:
    """The NS RRset of a referral that leads strictly downwards, towards `name`."""
    for rrset in response.authority:
        if (rrset.rdtype == dns.rdatatype.NS and rrset.name != bailiwick
                and rrset.name.is_subdomain(bailiwick) and name.is_subdomain(rrset.name)):
            return rrset
    return None


def _glue(response: dns.message.Message, targets: Sequence[dns.name.Name],
          bailiwick: dns.name.Name) -> dict[dns.name.Name, list[str]]:
    """Addresses the referral gives for its NS names, only for names in the referring zone's
    own bailiwick (anything else could be poison)."""
    glue: dict[dns.name.Name, list[str]] = {}
    wanted = set(targets)
    for rrset in response.additional:
        if rrset.rdtype in ADDRESS_TYPES and rrset.name in wanted \
                and rrset.name.is_subdomain(bailiwick):
            glue.setdefault(rrset.name, []).extend(_addresses_in(rrset, rrset.rdtype))
    return {name: sorted(set(found), key=_address_order) for name, found in glue.items()}


def _addresses_in(rrset: dns.rrset.RRset | None, rdtype: dns.rdatatype.RdataType) -> list[str]:
    if rrset is None or rrset.rdtype != rdtype:
        return []
    found = [str(getattr(rdata, "address", "")) for rdata in rrset]
    return sorted((a for a in found if a), key=_address_order)


def _address_order(address: str) -> tuple[int, str]:
    return (1 if ":" in address else 0, address)


def _walk_failure(cut: ZoneCut, name: dns.name.Name, step: _Step) -> str:
    if step.why:
        return step.why
    if not cut.servers:
        skipped = "; ".join(f"{s.server}: {s.why}" for s in cut.skipped) or "none known"
        return f"no server of {cut.apex} can be asked about {name} ({skipped})"
    reasons = [authoritative_problem(e) or "neither an answer nor a referral towards it"
               for e in step.tried]
    first = reasons[0] if reasons else "not asked"
    return (f"no server of {cut.apex} answered usably about {name} "
            f"({len(step.tried)} asked; {step.tried[0].server if step.tried else '-'}: {first})")


def _unusable(exchanges: Iterable[Exchange]) -> list[Exchange]:
    """The resolvers' answers that were no usable answer (each once)."""
    found = [e for e in exchanges
             if not e.ok or e.rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN)]
    return list({id(e): e for e in found}.values())  # a shared look-up comes back as is


def _resolver_note(unusable: Sequence[Exchange]) -> str:
    """What the resolvers failed to answer, when the walk fell back on them in vain."""
    if not unusable:
        return ""
    return f"; nor did the resolvers help: {resolver_problem(unusable[0])}" + (
        f" (+{len(unusable) - 1} more)" if len(unusable) > 1 else "")


def resolver_problem(exchange: Exchange, *, server: bool = True) -> str:
    """One resolver answer that was no usable answer: its question and why (and its server)."""
    why = exchange.failure or f"answered {dns.rcode.Rcode.to_text(exchange.rcode or 0)}"
    return (f"{exchange.server if server else 'the resolver'} gave no usable answer for "
            f"{exchange.qname} {dns.rdatatype.to_text(exchange.rdtype)}: {why}")


def _evidence(exchanges: Iterable[Exchange]) -> str:
    return "\n\n".join(e.evidence() for e in exchanges)
