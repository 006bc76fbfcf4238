"""The resolvers pods use, asked directly: does each validate, and does it say so?

For a name, each resolver is asked once per process the way a validating stub would ask:
RD=1, DO=1, CD=0 and AD=1 (RFC 6840 §5.7: "tell me whether you validated"). When that answer
is SERVFAIL the same question goes out again with CD=1: data then means the SERVFAIL was the
resolver's validation verdict; no data means the name does not resolve at all (an outage
proves nothing about validation). The asking is the probe stage's
(`probe.resolving.ResolverSurveyor`); checks read the `Observation`s, they never query.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import dns.flags
import dns.name
import dns.rcode
import dns.rdatatype

from ..config.loading import DEFAULT_RESOLV_CONF, parse_resolver, system_resolvers
from ..config.model import SYSTEM_RESOLVER, Config, DomainSpec, ResolverAddress
from ..errors import CorefileError
from ..findings import Evidence, Security, joined
from .coredns.corefile import Corefile, forward_upstreams, load_corefile
from .coredns.metrics import MetricsScrape, scrape
from .transport import Exchange, Server

ValidationExpectation = Literal["secure", "insecure", "bogus"]
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
    def evidence(self) -> Evidence:
        exchanges = [self.validated] + ([self.unchecked] if self.unchecked else [])
        return joined(*(e.evidence for e in exchanges))


@dataclass(frozen=True)
class Survey:
    """One name asked of every resolver: what one per-domain or per-canary check judges."""

    subject: str  # the domain or canary as results.json names it
    qname: dns.name.Name
    rdtype: dns.rdatatype.RdataType
    expect: ValidationExpectation
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
    corefile_text: str | None = None  # the file as read, for a snapshot to replay


def read_coredns(config: Config) -> CoreDnsView:
    """Load the configured Corefile and scrape the configured metrics endpoint (once)."""
    settings = config.coredns
    if settings is None:
        return CoreDnsView(None)
    corefile = error = text = None
    if settings.corefile is not None:
        try:
            corefile = load_corefile(settings.corefile)
            text = Path(settings.corefile).read_text(encoding="utf-8")
        except CorefileError as exc:
            error = str(exc)
        except (OSError, UnicodeDecodeError):
            pass  # read a moment ago: only the snapshot's copy is missing
    metrics = None
    if settings.metrics_url is not None:
        metrics = scrape(settings.metrics_url, config.query.timeout_s)
    return CoreDnsView(settings.corefile, corefile, error, metrics,
                       settings.servfail_share_warning, settings.cache_hit_ratio_warning,
                       settings.stale_tolerance_s, text)


def resolver_targets(config: Config, coredns: CoreDnsView,
                     resolv_conf: str = DEFAULT_RESOLV_CONF) -> list[ResolverTarget]:
    """The configured resolvers, then the upstreams the Corefile forwards every name to."""
    targets = configured_targets(config, resolv_conf)
    if coredns.corefile is not None:
        # a broken forward line is RESOLVER04's to report
        with contextlib.suppress(CorefileError):
            targets += upstream_targets(coredns.corefile, targets)
    return targets
