"""The configuration as every stage reads it: frozen dataclasses built from domains.yaml by
`config.loading` (or by a script, with no file at all)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import dns.exception
import dns.name
import dns.rdatatype

from ..findings import Severity, Waiver

Expectation = Literal["secure", "insecure"]
SigningMode = Literal["online", "presigned"]

IANA_ROOT = "iana-root"
SYSTEM_RESOLVER = "system"


NTP_PORT = 123


def split_ntp_server(spec: str) -> tuple[str, int]:
    """`host`, `host:port`, `IPv4:port`, `[IPv6]:port` or a bare IPv6 address."""
    bracketed = re.fullmatch(r"\[([^\]]+)\](?::(\d+))?", spec)
    if bracketed:
        return bracketed.group(1), int(bracketed.group(2) or NTP_PORT)
    if spec.count(":") == 1:
        host, _, port = spec.partition(":")
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"invalid port {port!r}")
        return host, int(port)
    return spec, NTP_PORT

@dataclass(frozen=True)
class Thresholds:
    """When a signature's remaining validity becomes a warning or a critical finding."""

    warning_days: float = 7.0
    critical_days: float = 3.0
    # Signatures that expire before the SOA EXPIRE timer are reported as information; set
    # this to turn that finding into a warning.
    warn_before_soa_expire: bool = False
    # How far (in SOA serial units) a server may lag behind the newest serial unreported.
    serial_lag: int = 0
    # Added to a TTL before a rollover step counts as safe (RFC 7583's safety margin).
    rollover_margin_s: float = 3600.0


@dataclass(frozen=True)
class ResolverAddress:
    """A recursive resolver to ask: an IP address and a port."""

    host: str
    port: int = 53

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


@dataclass(frozen=True)
class ClockPolicy:
    """Clock checks: the tolerance for signatures from the future, and an optional NTP check."""

    skew_tolerance_s: float = 3600.0
    ntp: str | None = None
    max_offset_s: float = 60.0


@dataclass(frozen=True)
class QueryPolicy:
    """How hard to try a server before calling it unreachable, and how politely to ask."""

    timeout_s: float = 3.0
    retries: int = 1
    # At most this many queries in flight to one server address (a provider hosting many of
    # the checked zones on two name servers must not see a flood), and in all.
    max_in_flight_per_server: int = 8
    max_in_flight: int = 256
    # After this long, a zone's questions still unanswered are given up ("could not check").
    zone_budget_s: float = 60.0
    # What a delegation can make us query, as resolvers bound it: addresses per name-server
    # name and per zone (the rest are reported, not queried).
    max_addresses_per_name: int = 8
    max_addresses_per_zone: int = 32


@dataclass(frozen=True)
class Canaries:
    bogus: tuple[dns.name.Name, ...] = ()


@dataclass(frozen=True)
class Route53Zone:
    """`provider: {route53: ...}`: a Route 53 hosted zone (read with boto3, the `[aws]` extra)."""

    hosted_zone_id: str  # without the "/hostedzone/" prefix


@dataclass(frozen=True)
class CloudDnsZone:
    """`provider: {clouddns: ...}`: a Google Cloud DNS managed zone (the `[gcp]` extra)."""

    project: str
    managed_zone: str


@dataclass(frozen=True)
class CloudflareZone:
    """`provider: {cloudflare: ...}`: a Cloudflare zone, read with an API token taken from
    the environment variable `api_token_env` (never from domains.yaml)."""

    zone_id: str
    api_token_env: str = "CLOUDFLARE_API_TOKEN"


ProviderSpec = Route53Zone | CloudDnsZone | CloudflareZone
PROVIDER_KEYS = ("route53", "clouddns", "cloudflare")

TSIG_ALGORITHMS = ("hmac-sha256", "hmac-sha384", "hmac-sha512", "hmac-sha224", "hmac-sha1",
                   "hmac-md5")


@dataclass(frozen=True)
class TsigKey:
    """`transfer: {tsig: ...}`: the key the servers allow zone transfers for (RFC 8945). The
    secret is read from the environment variable `secret_env` when domains.yaml is loaded;
    it is never shown (not in repr, messages, logs or reports)."""

    name: dns.name.Name
    algorithm: str  # "hmac-sha256", as dnspython and the servers' configurations name it
    secret_env: str
    secret: bytes = field(default=b"", repr=False, compare=False)


@dataclass(frozen=True)
class TransferSpec:
    """`transfer:`: the zone transferred whole from every server (AXFR), or its NSEC chain
    walked where a server will not transfer it, and every RRset of each copy checked."""

    tsig: TsigKey | None = None
    axfr: bool = True
    walk: bool = False  # where no AXFR is given and the zone uses NSEC: walk the chain
    timeout_s: float = 600.0  # one server's transfer (or walk) in all
    max_records: int = 5_000_000
    walk_max_names: int = 10_000


@dataclass(frozen=True)
class DomainSpec:
    """One entry of `domains:`."""

    name: dns.name.Name  # absolute
    records: tuple[str, ...] = ()  # RR type mnemonics, upper case ("A", "AAAA", "MX")
    expect: Expectation = "secure"
    thresholds: Thresholds = field(default_factory=Thresholds)
    # File mode: this zone file is checked instead of the live servers, with the DS records
    # of `ds_file` standing for the parent's (both absolute paths; None: live, no DS given).
    zone_file: Path | None = None
    ds_file: Path | None = None
    # How the zone's servers sign, when the operator says so; None: told from the answers
    # (signing_mode.py). "online": signed when answered, judged on fresh signatures.
    signing: SigningMode | None = None
    # The cloud DNS provider that signs the zone, whose own view the provider checks read.
    provider: ProviderSpec | None = None
    waivers: tuple[Waiver, ...] = ()  # `waive:`: accepted findings, each until its date
    # The zone taken whole (AXFR or an NSEC walk) from every server: the transfer checks.
    transfer: TransferSpec | None = None

    @property
    def display(self) -> str:
        """The name as users write it: no trailing dot (the root stays ".")."""
        shown: str | None = self.__dict__.get("_display")
        if shown is None:
            shown = self.name.to_text(omit_final_dot=True) or "."
            object.__setattr__(self, "_display", shown)
        return shown


@dataclass(frozen=True)
class Config:
    path: Path
    domains: tuple[DomainSpec, ...]
    resolvers: tuple[str, ...] = (SYSTEM_RESOLVER,)  # "system" or "IP", "IP:PORT", "[IPv6]:PORT"
    trust_anchors: str = IANA_ROOT  # "iana-root" or an absolute path (resolved against path.parent)
    # Where the iterative walk down to each zone starts: the IANA root servers when empty.
    root_hints: tuple[ResolverAddress, ...] = ()
    thresholds: Thresholds = field(default_factory=Thresholds)
    canaries: Canaries = field(default_factory=Canaries)
    clock: ClockPolicy = field(default_factory=ClockPolicy)
    query: QueryPolicy = field(default_factory=QueryPolicy)
    coredns: CoreDnsSettings | None = None  # None: no `coredns:` section
    transfer: TransferSpec | None = None  # the global `transfer:` (domains merge over it)
    severities: tuple[SeverityOverride, ...] = ()  # `severities:`, in the file's order


@dataclass(frozen=True)
class SeverityOverride:
    """`severities: {CODE: level}`: findings with this code get this severity."""

    code: str  # "ALG03/deprecated-algorithm"
    severity: Severity
    source: str  # "domains.yaml:12", for a message about it


@dataclass(frozen=True)
class CoreDnsSettings:
    """The `coredns:` section: the cluster's CoreDNS, read from its Corefile and metrics."""

    corefile: str | None = None  # an absolute path (resolved against domains.yaml's folder)
    metrics_url: str | None = None
    servfail_share_warning: float = 0.01  # SERVFAIL responses over all responses
    cache_hit_ratio_warning: float = 0.5  # a warning below this share of cache hits
    # how long past its TTL the cache may serve an answer (serve_stale, MINTTL) unflagged
    stale_tolerance_s: float = 300.0
