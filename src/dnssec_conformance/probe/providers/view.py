"""The provider's own view of a zone's signing, in one shape for Route 53, Cloud DNS and
Cloudflare: what the provider checks compare with what the DNS serves.

Plain frozen dataclasses of str, int, bool and tuples: `as_dict` gives JSON-ready data and
`view_from_dict` reads it back, so a snapshot of a run can record the view and replay it.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import dns.dnssec
import dns.exception
import dns.rdata
import dns.rdataclass
import dns.rdatatype
from dns.rdtypes.ANY.DNSKEY import DNSKEY
from dns.rdtypes.ANY.DS import DS

PROVIDER_NAMES = {"route53": "Route 53", "clouddns": "Cloud DNS", "cloudflare": "Cloudflare"}
# DS digest types by the names the providers use (RFC 4509, RFC 6605)
DIGEST_TYPES = {"sha1": 1, "sha-1": 1, "sha256": 2, "sha-256": 2, "sha384": 4, "sha-384": 4}


class ZoneState(enum.StrEnum):
    """What the provider says about signing the zone, in the same words for every provider."""

    SIGNING = "signing"
    TRANSFER = "transfer"  # Cloud DNS: signed in "transfer" mode (changing DNS operators)
    PENDING_DS = "pending-ds"  # Cloudflare: signs, and waits for the DS at the registrar
    NOT_SIGNING = "not-signing"
    DELETING = "deleting"  # Route 53: signing is being removed
    PENDING_DISABLED = "pending-disabled"  # Cloudflare: off, signs until the DS is removed
    FAILING = "failing"  # the provider reports a signing problem that needs action
    UNKNOWN = "unknown"  # a status this version does not know


# The states in which the provider signs with its keys and means to go on doing so.
SIGNING_STATES = frozenset({ZoneState.SIGNING, ZoneState.TRANSFER, ZoneState.PENDING_DS,
                            ZoneState.FAILING})


class KeyState(enum.StrEnum):
    ACTIVE = "active"  # signs
    INACTIVE = "inactive"  # published or kept, does not sign
    DELETING = "deleting"
    FAILING = "failing"  # Route 53: ACTION_NEEDED / INTERNAL_FAILURE (its KMS key, usually)
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class ProviderKey:
    """One DNSSEC key as the provider describes it."""

    role: str  # "KSK" or "ZSK"
    key_tag: int | None
    algorithm: int | None  # the DNSSEC algorithm number; None for a name we cannot map
    algorithm_name: str  # the provider's own name for it
    state: KeyState
    status: str = ""  # the provider's own status word
    status_message: str = ""
    key_length: int | None = None
    ds: tuple[str, ...] = ()  # DS RDATA as text, one per digest: "12345 13 2 ABCD..."
    dnskey: str | None = None  # DNSKEY RDATA as text: "257 3 13 base64"
    name: str = ""  # the provider's identifier for the key

    @property
    def label(self) -> str:
        tag = self.key_tag if self.key_tag is not None else "?"
        return f"{self.role} {tag} ({self.algorithm_name or self.algorithm})"

    def ds_records(self) -> list[DS]:
        return [ds for ds in (parse_ds(text) for text in self.ds) if ds is not None]

    def dnskey_record(self) -> DNSKEY | None:
        if not self.dnskey:
            return None
        try:
            rdata = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.DNSKEY, self.dnskey)
        except (dns.exception.DNSException, ValueError):
            return None
        return rdata  # type: ignore[return-value]


@dataclass(frozen=True)
class KeySpec:
    """What the provider will generate keys with (Cloud DNS's `defaultKeySpecs`)."""

    role: str
    algorithm: int | None
    algorithm_name: str
    key_length: int | None = None


@dataclass(frozen=True)
class ProviderView:
    """A provider's view of one zone, fetched once per run. `failure` says, in one line
    without any credential, why it could not be read; the other fields are then empty."""

    provider: str  # "route53", "clouddns" or "cloudflare"
    zone: str  # the provider's identifier: hosted zone ID, project/managed zone, zone ID
    zone_name: str | None = None  # the DNS name the provider has for it ("example.com.")
    state: ZoneState = ZoneState.UNKNOWN
    status: str = ""  # the provider's own status word ("SIGNING", "on", "active")
    status_message: str = ""
    keys: tuple[ProviderKey, ...] = ()
    key_specs: tuple[KeySpec, ...] = ()
    denial: str | None = None  # "nsec" or "nsec3" where the provider says which it serves
    failure: str | None = None
    evidence: str = field(default="", compare=False)  # the API answers, as text
    fetched_at: float = 0.0

    @property
    def name(self) -> str:
        return PROVIDER_NAMES.get(self.provider, self.provider)

    @property
    def label(self) -> str:
        kind = {"route53": "hosted zone", "clouddns": "managed zone", "cloudflare": "zone"}
        return f"{self.name} {kind.get(self.provider, 'zone')} {self.zone}"

    @property
    def signing(self) -> bool:
        return self.state in SIGNING_STATES

    def ksks(self) -> list[ProviderKey]:
        return [k for k in self.keys if k.role == "KSK"]

    def active_ksks(self) -> list[ProviderKey]:
        return [k for k in self.ksks() if k.state in (KeyState.ACTIVE, KeyState.FAILING)]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def view_from_dict(data: dict[str, Any]) -> ProviderView:
    """The inverse of `ProviderView.as_dict` (after a JSON round trip: lists for tuples)."""
    keys = tuple(ProviderKey(**{**k, "state": KeyState(k["state"]), "ds": tuple(k["ds"])})
                 for k in data.get("keys", ()))
    specs = tuple(KeySpec(**s) for s in data.get("key_specs", ()))
    return ProviderView(**{**data, "state": ZoneState(data["state"]), "keys": keys,
                           "key_specs": specs})


def failed_view(provider: str, zone: str, reason: str, fetched_at: float) -> ProviderView:
    """A view that could not be read: `failure` names the provider, the zone and the reason."""
    view = ProviderView(provider, zone, fetched_at=fetched_at)
    return replace(view, failure=f"{view.label}: {reason}")


def parse_ds(text: str) -> DS | None:
    """DS RDATA from its text ("12345 13 2 ABCD..."); None when it is not a DS."""
    try:
        rdata = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.DS, text)
    except (dns.exception.DNSException, ValueError):
        return None
    return rdata  # type: ignore[return-value]


def ds_text(key_tag: int, algorithm: int, digest_type: int, digest: str) -> str:
    return f"{key_tag} {algorithm} {digest_type} {digest.upper()}"


def algorithm_number(name: str | int | None) -> int | None:
    """A DNSSEC algorithm number from a provider's mnemonic ("rsasha256", "ECDSAP256SHA256")
    or number ("13"); None when it names no algorithm."""
    if name is None or name == "":
        return None
    text = str(name).strip()
    if text.isdigit():
        return int(text)
    try:
        return int(dns.dnssec.algorithm_from_text(text.upper()))
    except (dns.exception.DNSException, ValueError):
        return None
