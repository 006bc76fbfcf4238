"""Signature primitives: RRSIG time in serial-number arithmetic, cryptographic verification
kept apart from time, and DS-to-DNSKEY matching.

Verification and time are separate questions on purpose: a signature that verifies but has
expired is an `expired-rrsig` problem, one that does not verify is a `bad-signature` problem,
and an operator needs to know which.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import dns.dnssec
import dns.dnssecalgs
import dns.exception
import dns.name
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.rrset
from cryptography.exceptions import InvalidSignature
from dns.rdtypes.ANY.DNSKEY import DNSKEY
from dns.rdtypes.ANY.DS import DS
from dns.rdtypes.ANY.RRSIG import RRSIG

if TYPE_CHECKING:
    from dns.dnssectypes import DSDigest

SERIAL_SPACE = 2**32
ZONE_FLAG = 0x0100
REVOKE_FLAG = 0x0080
SECONDS_PER_DAY = 86400.0


def sig_time(field: int, now: float) -> int:
    """The absolute time of a 32-bit RRSIG timestamp: the value congruent to `field` modulo
    2**32 that lies within 2**31 seconds of `now` (RFC 4034 §3.1.5, RFC 1982)."""
    reference = int(now)
    delta = (field - reference) % SERIAL_SPACE
    if delta >= SERIAL_SPACE // 2:
        delta -= SERIAL_SPACE
    return reference + delta


def key_tag(key: DNSKEY) -> int:
    return _key_tag(key.flags, key.protocol, int(key.algorithm), key.key)


@functools.lru_cache(maxsize=4096)
def _key_tag(flags: int, protocol: int, algorithm: int, key: bytes) -> int:
    # Every RRSIG names its key by tag: a zone's few keys are tagged once, not per RRSIG.
    return dns.dnssec.key_id(DNSKEY(dns.rdataclass.IN, dns.rdatatype.DNSKEY, flags, protocol,
                                    algorithm, key))


def key_label(key: DNSKEY) -> str:
    return role_label(key.flags, key_tag(key), key.algorithm)


def role_label(flags: int, tag: int, algorithm: int) -> str:
    """`KSK 12345/ECDSAP256SHA256`: the SEP flag (RFC 4034 §2.1.1) read as the key's role."""
    role = "KSK" if flags & 0x0001 else "ZSK"
    return f"{role} {tag}/{dns.dnssec.algorithm_to_text(algorithm)}"


class Crypto(enum.StrEnum):
    """The outcome of verifying one RRSIG, time left aside."""

    VALID = "valid"
    INVALID = "invalid"  # the signature does not verify with the key it names
    NO_KEY = "no-key"  # no DNSKEY with its key tag and algorithm under its signer name
    UNSUPPORTED = "unsupported-algorithm"


@dataclass(frozen=True)
class SignatureCheck:
    """One RRSIG over one RRset, verified against a DNSKEY RRset."""

    owner: dns.name.Name
    covered: dns.rdatatype.RdataType
    rrsig: RRSIG
    key: DNSKEY | None  # the key it verified with (or the first candidate)
    crypto: Crypto
    ttl: int  # the TTL of the RRset as served

    def inception(self, now: float) -> int:
        return sig_time(self.rrsig.inception, now)

    def expiration(self, now: float) -> int:
        return sig_time(self.rrsig.expiration, now)

    def current(self, now: float) -> bool:
        return self.inception(now) <= now <= self.expiration(now)

    @property
    def label(self) -> str:
        covered = dns.rdatatype.to_text(self.covered)
        alg = dns.dnssec.algorithm_to_text(self.rrsig.algorithm)
        return f"RRSIG {self.owner} {covered} by {self.rrsig.key_tag}/{alg}"


def verify_rrset(rrset: dns.rrset.RRset, rrsigs: dns.rrset.RRset | None,
                 dnskeys: Iterable[DNSKEY], signer: dns.name.Name) -> list[SignatureCheck]:
    """Verify every RRSIG of `rrset` made by `signer` against `dnskeys` (no time check)."""
    keys = list(dnskeys)
    checks = []
    for rrsig in rrsigs or ():
        if rrsig.signer != signer:
            continue
        candidates = [k for k in keys
                      if k.algorithm == rrsig.algorithm and key_tag(k) == rrsig.key_tag]
        crypto, used = Crypto.NO_KEY, None
        for candidate in candidates:
            crypto, used = _verify(rrset, rrsig, candidate), candidate
            if crypto is Crypto.VALID:
                break
        checks.append(SignatureCheck(rrset.name, rrset.rdtype, rrsig, used, crypto, rrset.ttl))
    return checks


def _verify(rrset: dns.rrset.RRset, rrsig: RRSIG, key: DNSKEY) -> Crypto:
    """Whether `rrsig` over `rrset` verifies with `key`, as a validator checks it (RFC 4034
    §3.1.8.1, RFC 4035 §5.3.1): the RRSIG covers the RRset's type and class, the key is a zone
    key of protocol 3 (a revoked key signs only the DNSKEY RRset, RFC 5011 §2.1), and the
    signature verifies. Time is judged elsewhere."""
    if rrsig.type_covered != rrset.rdtype or rrsig.rdclass != rrset.rdclass:
        return Crypto.INVALID
    if not key.flags & ZONE_FLAG or key.protocol != 3 or (
            key.flags & REVOKE_FLAG and rrsig.type_covered != dns.rdatatype.DNSKEY):
        return Crypto.INVALID
    try:
        data = dns.dnssec._make_rrsig_signature_data(rrset, rrsig)
    except (dns.exception.DNSException, ValueError, TypeError):
        return Crypto.INVALID  # an RRSIG whose fields cannot even be put on the wire
    return _signature_verifies(key.flags, key.protocol, int(key.algorithm), key.key,
                               rrsig.signature, data)


@functools.lru_cache(maxsize=8192)
def _signature_verifies(flags: int, protocol: int, algorithm: int, public_key: bytes,
                        signature: bytes, data: bytes) -> Crypto:
    # Keyed by the exact bytes signed: several checks verify the same RRSIG over the same
    # RRset (the DNSKEY RRset above all), and the public-key operation is the costly part.
    public = _public_key(flags, protocol, algorithm, public_key)
    if isinstance(public, Crypto):
        return public
    try:
        public.verify(signature, data)
    except (InvalidSignature, dns.exception.ValidationFailure):
        return Crypto.INVALID
    except (dns.exception.DNSException, ValueError, TypeError):
        return Crypto.INVALID  # a key or signature that is not even well formed
    return Crypto.VALID


@functools.lru_cache(maxsize=4096)
def _public_key(flags: int, protocol: int, algorithm: int, public_key: bytes) -> Any:
    """The key as the crypto library uses it (built once per key), or why it cannot be."""
    key = DNSKEY(dns.rdataclass.IN, dns.rdatatype.DNSKEY, flags, protocol, algorithm,
                 public_key)
    try:
        return dns.dnssecalgs.get_algorithm_cls_from_dnskey(key).public_cls.from_dnskey(key)
    except dns.exception.UnsupportedAlgorithm:
        return Crypto.UNSUPPORTED
    except (dns.exception.DNSException, ValueError, TypeError):
        return Crypto.INVALID


@functools.lru_cache(maxsize=4096)
def ds_digest(owner: dns.name.Name, key: DNSKEY, digest_type: int) -> bytes | None:
    """The digest of `key` under `digest_type`, or None for a digest type we cannot compute."""
    try:
        ds = dns.dnssec.make_ds(owner, key, cast("DSDigest", digest_type),
                                policy=dns.dnssec.allow_all_policy)
    except (dns.exception.UnsupportedAlgorithm, ValueError, dns.exception.DNSException):
        return None
    return ds.digest


def digest_matches(ds: DS, owner: dns.name.Name, key: DNSKEY) -> bool:
    """Whether the DS digest is the digest of this key (its algorithm field aside)."""
    digest = ds_digest(owner, key, ds.digest_type)
    return digest is not None and digest == ds.digest


def ds_matches(ds: DS, owner: dns.name.Name, key: DNSKEY) -> bool:
    """A full match, as a validator looks for one: key tag, algorithm and digest."""
    return (ds.key_tag == key_tag(key) and ds.algorithm == key.algorithm
            and digest_matches(ds, owner, key))


def supported_digest(digest_type: int) -> bool:
    return digest_type in (1, 2, 4)
