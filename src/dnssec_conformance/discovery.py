"""Finding a zone's apex, its parent and its authoritative servers through recursive resolvers.

Resolvers are asked with CD=1: discovery must work for zones that are bogus, since finding out
why they are bogus is the point. Nothing learnt here is trusted for a verdict; it only says
where to ask.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field

import dns.name
import dns.rcode
import dns.rdatatype

from .config import QueryPolicy, ResolverAddress
from .transport import Exchange, Server, ask


class DiscoveryError(Exception):
    """A zone's place in the DNS could not be established (NXDOMAIN, no NS, no resolver)."""

    def __init__(self, message: str, evidence: str = ""):
        super().__init__(message)
        self.evidence = evidence


@dataclass(frozen=True)
class Delegation:
    """A zone and the addresses of its authoritative servers."""

    apex: dns.name.Name
    servers: tuple[Server, ...]
    unreachable: tuple[Server, ...] = ()  # addresses this host has no route to (no IPv6)


@dataclass
class Directory:
    """Recursive look-ups, cached for the whole run (one per process)."""

    resolvers: Sequence[ResolverAddress]
    policy: QueryPolicy = field(default_factory=QueryPolicy)
    _cache: dict[tuple[dns.name.Name, int], Exchange] = field(default_factory=dict)
    _delegations: dict[dns.name.Name, Delegation] = field(default_factory=dict)

    def lookup(self, qname: dns.name.Name, rdtype: dns.rdatatype.RdataType) -> Exchange:
        """Ask the resolvers in order; the first usable answer (NOERROR or NXDOMAIN) wins."""
        key = (qname, int(rdtype))
        if key in self._cache:
            return self._cache[key]
        if not self.resolvers:
            raise DiscoveryError("no resolver configured")
        last: Exchange | None = None
        for resolver in self.resolvers:
            server = Server(resolver.host, resolver.port)
            exchange = ask(server, qname, rdtype, recursive=True,
                           timeout=self.policy.timeout_s, retries=self.policy.retries)
            last = exchange
            if exchange.ok and exchange.rcode in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
                break
        assert last is not None
        self._cache[key] = last
        return last

    def zone_of(self, name: dns.name.Name) -> dns.name.Name:
        """The apex of the zone that holds `name` (the name itself when it is an apex)."""
        if name == dns.name.root:
            return name
        exchange = self.lookup(name, dns.rdatatype.SOA)
        if not exchange.ok:
            raise DiscoveryError(f"no resolver answered the SOA query for {name}: "
                                 f"{exchange.failure}", exchange.evidence())
        assert exchange.response is not None
        if exchange.rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
            raise DiscoveryError(
                f"resolver {exchange.server} answered {dns.rcode.to_text(exchange.rcode)} "
                f"for {name} SOA", exchange.evidence())
        soa = exchange.answer(dns.rdatatype.SOA)
        if soa is not None:
            return name
        for rrset in exchange.response.authority:
            if rrset.rdtype == dns.rdatatype.SOA and name.is_subdomain(rrset.name):
                return rrset.name
        # Some resolvers omit the SOA from negative answers: walk up one label.
        return self.zone_of(name.parent())

    def require_existing(self, name: dns.name.Name) -> None:
        exchange = self.lookup(name, dns.rdatatype.SOA)
        if exchange.ok and exchange.rcode == dns.rcode.NXDOMAIN:
            raise DiscoveryError(f"{name} does not exist (NXDOMAIN from resolver "
                                 f"{exchange.server})", exchange.evidence())

    def delegation(self, apex: dns.name.Name) -> Delegation:
        if apex in self._delegations:
            return self._delegations[apex]
        exchange = self.lookup(apex, dns.rdatatype.NS)
        ns = exchange.answer(dns.rdatatype.NS) if exchange.ok else None
        if ns is None:
            why = exchange.failure or f"no NS records ({dns.rcode.to_text(exchange.rcode)})"
            raise DiscoveryError(f"cannot find the name servers of {apex}: {why}",
                                 exchange.evidence())
        servers: list[Server] = []
        unreachable: list[Server] = []
        for target in sorted(rdata.target for rdata in ns):
            for rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
                answer = self.lookup(target, rdtype).answer(rdtype)
                for rdata in sorted(answer or [], key=lambda r: r.address):
                    server = Server(rdata.address, 53, target)
                    (servers if routable(rdata.address) else unreachable).append(server)
        if not servers:
            raise DiscoveryError(
                f"none of the name servers of {apex} has a reachable address "
                f"({', '.join(str(r.target) for r in ns)})", exchange.evidence())
        delegation = Delegation(apex, tuple(servers), tuple(unreachable))
        self._delegations[apex] = delegation
        return delegation


def routable(address: str) -> bool:
    """Whether this host has a route to `address` (no IPv6 in many pods): connecting a UDP
    socket sends nothing but fails at once without a route."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.connect((address, 53))
    except OSError as exc:
        if exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL,
                         errno.EAFNOSUPPORT):
            return False
        raise
    return True
