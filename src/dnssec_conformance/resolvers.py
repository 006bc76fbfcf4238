"""The resolvers pods use, asked directly: does each validate, and does it say so?

For a name, each resolver is asked once per process the way a validating stub would ask:
RD=1, DO=1, CD=0 and AD=1 (RFC 6840 §5.7: "tell me whether you validated"). When that answer
is SERVFAIL the same question goes out again with CD=1: data then means the SERVFAIL was the
resolver's validation verdict; no data means the name does not resolve at all (an outage
proves nothing about validation). Checks read the `Observation`s; they never query.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import dns.flags
import dns.name
import dns.rcode
import dns.rdatatype

from .chain import Security
from .config import (
    DEFAULT_RESOLV_CONF,
    SYSTEM_RESOLVER,
    Config,
    DomainSpec,
    QueryPolicy,
    ResolverAddress,
    parse_resolver,
    system_resolvers,
)
from .coredns_metrics import MetricsScrape, scrape
from .corefile import Corefile, forward_upstreams, load_corefile
from .errors import CorefileError
from .transport import Exchange, Server, ask

Expectation = Literal["secure", "insecure", "bogus"]
CANARY_TYPE = dns.rdatatype.A
LIVENESS_NAME = dns.name.root  # every resolver answers ". NS" from its root hints or cache


@dataclass(frozen=True)
class ResolverTarget:
    """A resolver to test, and why it is tested (so that a finding can say which one)."""

    address: ResolverAddress
    origin: str  # "resolvers[0]", "system: /etc/resolv.conf", "CoreDNS forward, Corefile:16"

    def __str__(self) -> str:
        return f"{self.address} ({self.origin})"

    @property
    def server(self) -> Server:
        return Server(self.address.host, self.address.port)


@dataclass(frozen=True)
class Observation:
    """What one resolver answered for one name."""

    resolver: ResolverTarget
    validated: Exchange  # CD=0: the resolver's own verdict
    unchecked: Exchange | None = None  # CD=1, asked when `validated` is SERVFAIL

    @property
    def evidence(self) -> str:
        exchanges = [self.validated] + ([self.unchecked] if self.unchecked else [])
        return "\n\n".join(e.evidence() for e in exchanges)


@dataclass(frozen=True)
class Survey:
    """One name asked of every resolver: what one per-domain or per-canary check judges."""

    subject: str  # the domain or canary as results.json names it
    qname: dns.name.Name
    rdtype: dns.rdatatype.RdataType
    expect: Expectation
    observations: tuple[Observation, ...]
    # Our own validation of the zone from the trust anchor (None: not judged): what a
    # validating resolver should conclude, so that a resolver is judged against the zone's
    # real state, not only against domains.yaml's expectation.
    verdict: Security | None = None

    @property
    def question(self) -> str:
        return f"{self.qname} {dns.rdatatype.to_text(self.rdtype)}"


def has_ad(exchange: Exchange) -> bool:
    return exchange.response is not None and bool(exchange.response.flags & dns.flags.AD)


def resolves(exchange: Exchange) -> bool:
    """An answer, positive or negative, rather than a failure to resolve."""
    return exchange.rcode in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN)


class ResolverProbe:
    """Asks resolvers, each (resolver, name, type) once per process.

    A resolver that answers neither a name nor ". NS" is taken as down for the rest of the
    run, so that one dead resolver costs one timeout, not one per domain.
    """

    def __init__(self, policy: QueryPolicy):
        self.policy = policy
        self._seen: dict[tuple[ResolverAddress, dns.name.Name, int], Observation] = {}
        self._down: dict[ResolverAddress, str] = {}
        self._lock = threading.Lock()

    def survey(self, resolvers: Iterable[ResolverTarget], subject: str, qname: dns.name.Name,
               rdtype: dns.rdatatype.RdataType, expect: Expectation) -> Survey:
        observations = tuple(self.observe(r, qname, rdtype) for r in resolvers)
        return Survey(subject, qname, rdtype, expect, observations)

    def observe(self, resolver: ResolverTarget, qname: dns.name.Name,
                rdtype: dns.rdatatype.RdataType) -> Observation:
        key = (resolver.address, qname, int(rdtype))
        with self._lock:
            if key not in self._seen:
                self._seen[key] = self._observe(resolver, qname, rdtype)
            return self._seen[key]

    def _observe(self, resolver: ResolverTarget, qname: dns.name.Name,
                 rdtype: dns.rdatatype.RdataType) -> Observation:
        down = self._down.get(resolver.address)
        if down is not None:
            return Observation(resolver, _not_asked(resolver, qname, rdtype, down))
        validated = self._ask(resolver, qname, rdtype, checking_disabled=False)
        if validated.response is None:
            liveness = self._ask(resolver, LIVENESS_NAME, dns.rdatatype.NS,
                                 checking_disabled=False)
            if liveness.response is None:
                self._down[resolver.address] = (
                    f"down: no answer for {qname} nor for '. NS' earlier in this run "
                    f"({validated.failure})")
            return Observation(resolver, validated)
        unchecked = None
        if validated.rcode == dns.rcode.SERVFAIL:
            unchecked = self._ask(resolver, qname, rdtype, checking_disabled=True)
        return Observation(resolver, validated, unchecked)

    def _ask(self, resolver: ResolverTarget, qname: dns.name.Name,
             rdtype: dns.rdatatype.RdataType, *, checking_disabled: bool) -> Exchange:
        return ask(resolver.server, qname, rdtype, recursive=True,
                   timeout=self.policy.timeout_s, retries=self.policy.retries,
                   checking_disabled=checking_disabled, authenticated_data=True)


def _not_asked(resolver: ResolverTarget, qname: dns.name.Name,
               rdtype: dns.rdatatype.RdataType, why: str) -> Exchange:
    return Exchange(resolver.server, qname, rdtype, True, None, "", why, 0.0,
                    checking_disabled=False, authenticated_data=True)


def domain_question(domain: DomainSpec) -> tuple[dns.name.Name, dns.rdatatype.RdataType]:
    """What to ask about a domain: its first configured record type, else its SOA."""
    rdtype = dns.rdatatype.from_text(domain.records[0]) if domain.records \
        else dns.rdatatype.SOA
    return domain.name, rdtype


# --- which resolvers -----------------------------------------------------------------------------


def configured_targets(config: Config, resolv_conf: str = DEFAULT_RESOLV_CONF
                       ) -> list[ResolverTarget]:
    """The `resolvers` of domains.yaml, "system" expanded; `ConfigError` if it names none."""
    targets: list[ResolverTarget] = []
    for index, spec in enumerate(config.resolvers):
        if spec == SYSTEM_RESOLVER:
            expanded, origin = system_resolvers(resolv_conf), f"system: {resolv_conf}"
        else:
            expanded, origin = (parse_resolver(spec),), f"resolvers[{index}]"
        targets += [ResolverTarget(a, origin) for a in expanded
                    if all(t.address != a for t in targets)]
    return targets


def upstream_targets(corefile: Corefile, known: Iterable[ResolverTarget]
                     ) -> list[ResolverTarget]:
    """The plain-DNS upstreams CoreDNS forwards every name to, as resolvers to test."""
    addresses = {t.address for t in known}
    targets = []
    for upstream in forward_upstreams(corefile):
        if upstream.general and upstream.address is not None \
                and upstream.address not in addresses:
            addresses.add(upstream.address)
            origin = f"CoreDNS forward upstream, {corefile.where(upstream.line)}"
            targets.append(ResolverTarget(upstream.address, origin))
    return targets


# --- CoreDNS -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CoreDnsView:
    """What the run read of CoreDNS: its Corefile (or why not) and one metrics scrape."""

    corefile_path: str | None  # None: no coredns.corefile configured
    corefile: Corefile | None = None
    corefile_error: str | None = None  # a `CorefileError`: file and line
    metrics: MetricsScrape | None = None  # None: no coredns.metrics_url configured
    servfail_share_warning: float = 0.01
    cache_hit_ratio_warning: float = 0.5
    stale_tolerance_s: float = 300.0


def read_coredns(config: Config) -> CoreDnsView:
    """Load the configured Corefile and scrape the configured metrics endpoint (once)."""
    settings = config.coredns
    if settings is None:
        return CoreDnsView(None)
    corefile = error = None
    if settings.corefile is not None:
        try:
            corefile = load_corefile(settings.corefile)
        except CorefileError as exc:
            error = str(exc)
    metrics = None
    if settings.metrics_url is not None:
        metrics = scrape(settings.metrics_url, config.query.timeout_s)
    return CoreDnsView(settings.corefile, corefile, error, metrics,
                       settings.servfail_share_warning, settings.cache_hit_ratio_warning,
                       settings.stale_tolerance_s)


# --- a run's resolver state ----------------------------------------------------------------------


class ResolverRun:
    """What a run (one process) knows of its resolvers: which they are, CoreDNS as read once,
    and each survey, asked once."""

    def __init__(self, config: Config, resolv_conf: str = DEFAULT_RESOLV_CONF):
        self.config = config
        self.resolv_conf = resolv_conf
        self.probe = ResolverProbe(config.query)
        self._coredns: CoreDnsView | None = None
        self._targets: list[ResolverTarget] | None = None
        self._lock = threading.Lock()

    @property
    def coredns(self) -> CoreDnsView:
        with self._lock:
            if self._coredns is None:
                self._coredns = read_coredns(self.config)
            return self._coredns

    @property
    def targets(self) -> list[ResolverTarget]:
        """The configured resolvers, then the upstreams the Corefile forwards every name to."""
        if self._targets is None:
            targets = configured_targets(self.config, self.resolv_conf)
            corefile = self.coredns.corefile
            if corefile is not None:
                # a broken forward line is RESOLVER04's to report
                with contextlib.suppress(CorefileError):
                    targets += upstream_targets(corefile, targets)
            self._targets = targets
        return self._targets

    def domain_survey(self, domain: DomainSpec) -> Survey:
        qname, rdtype = domain_question(domain)
        return self.probe.survey(self.targets, domain.display, qname, rdtype, domain.expect)

    def canary_survey(self, canary: dns.name.Name) -> Survey:
        subject = canary.to_text(omit_final_dot=True)
        return self.probe.survey(self.targets, subject, canary, CANARY_TYPE, "bogus")
