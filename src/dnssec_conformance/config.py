"""domains.yaml: the one input of a run, loaded into frozen dataclasses.

`load_config(path)` validates the file against `schema/domains.schema.json` and raises
`ConfigError` with the file, the line and the key of the first problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import dns.name

Expectation = Literal["secure", "insecure"]

IANA_ROOT = "iana-root"
SYSTEM_RESOLVER = "system"


@dataclass(frozen=True)
class Thresholds:
    """When a signature's remaining validity becomes a warning or a critical finding."""

    warning_days: float = 7.0
    critical_days: float = 3.0
    # Signatures that expire before the SOA EXPIRE timer are reported as information; set
    # this to turn that finding into a warning.
    warn_before_soa_expire: bool = False


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
    """How hard to try an authoritative server before calling it unreachable."""

    timeout_s: float = 3.0
    retries: int = 1


@dataclass(frozen=True)
class Canaries:
    bogus: tuple[dns.name.Name, ...] = ()


@dataclass(frozen=True)
class DomainSpec:
    """One entry of `domains:`."""

    name: dns.name.Name  # absolute
    records: tuple[str, ...] = ()  # RR type mnemonics, upper case ("A", "AAAA", "MX")
    expect: Expectation = "secure"
    thresholds: Thresholds = field(default_factory=Thresholds)

    @property
    def display(self) -> str:
        """The name as users write it: no trailing dot (the root stays ".")."""
        return self.name.to_text(omit_final_dot=True) or "."


@dataclass(frozen=True)
class Config:
    path: Path
    domains: tuple[DomainSpec, ...]
    resolvers: tuple[str, ...] = (SYSTEM_RESOLVER,)  # "system" or "IP", "IP:PORT", "[IPv6]:PORT"
    trust_anchors: str = IANA_ROOT  # "iana-root" or an absolute path (resolved against path.parent)
    thresholds: Thresholds = field(default_factory=Thresholds)
    canaries: Canaries = field(default_factory=Canaries)
    clock: ClockPolicy = field(default_factory=ClockPolicy)
    query: QueryPolicy = field(default_factory=QueryPolicy)
