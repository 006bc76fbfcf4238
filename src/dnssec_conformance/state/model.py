"""The key history's data: which DNSKEYs and DS records a zone had, since when and at
which servers (`ZoneState`), what one run saw of them (`KeyObservation`), and the history the
rollover checks judge with (`History`)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import dns.dnssec
import dns.exception
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
from dns.rdtypes.ANY.DNSKEY import DNSKEY
from dns.rdtypes.ANY.DS import DS

from ..dnssec.signatures import key_tag, role_label

STATE_FORMAT = 1
DEFAULT_STATE_DIR = "reports/state"
# Records of keys and DS gone for this long are dropped: every cache has long forgotten them.
FORGET_AFTER_S = 90 * 86400
LOCK_NAME = ".lock"


@dataclass
class KeyRecord:
    """One DNSKEY as the history knows it. Times are POSIX seconds of the runs that saw it."""

    dnskey: str  # the rdata in presentation format: DS records are matched against it
    first_seen: int
    last_seen: int
    present_since: int  # the start of its current (or last) stretch in the DNSKEY RRset
    removed_at: int | None = None  # the first run that found it gone from every server
    # The first run of the current stretch at which every server served it: the start of
    # its publication in the RFC 7583 sense. None while some server lacks it.
    everywhere_since: int | None = None
    ready_ttl: int = 0  # the DNSKEY TTL that caches may still apply when it got everywhere
    servers: dict[str, int] = field(default_factory=dict)  # server -> last run it served it
    # Until when some RRset was signed by it alone: the last run that saw it so, or, once it
    # stopped, the run that found it stopped (the change happened at the latest then).
    sole_signer_until: int | None = None
    sole_signer_ttl: int = 0  # the largest TTL of those RRsets
    signs_alone: bool = False  # as of the last run
    # A server that answered lacked it during this stretch: it cannot count as published
    # since the key history began, even if it was seen at the baseline.
    lacked: bool = False

    @property
    def key(self) -> DNSKEY:
        rdata = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.DNSKEY, self.dnskey)
        assert isinstance(rdata, DNSKEY)
        return rdata

    @property
    def tag(self) -> int:
        return key_tag(self.key)

    @property
    def algorithm(self) -> int:
        return int(self.key.algorithm)

    @property
    def flags(self) -> int:
        return int(self.key.flags)


@dataclass
class DsRecord:
    """One DS record of the zone at its parent."""

    ds: str  # the rdata in presentation format
    ttl: int
    first_seen: int
    last_seen: int
    present_since: int
    removed_at: int | None = None

    @property
    def rdata(self) -> DS:
        rdata = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.DS, self.ds)
        assert isinstance(rdata, DS)
        return rdata


@dataclass
class ZoneState:
    """Everything the history holds for one zone."""

    zone: str  # absolute name
    first_run: int  # the baseline: what was there then is taken as long established
    last_run: int
    previous_run: int | None = None
    runs: int = 1
    dnskey_ttl: int = 0  # the largest DNSKEY TTL served at the last run
    keys: dict[str, KeyRecord] = field(default_factory=dict)  # by fingerprint
    ds: dict[str, DsRecord] = field(default_factory=dict)  # by rdata text
    ds_observed: bool = False  # whether any run could ask the parent for the DS RRset

    @property
    def is_baseline(self) -> bool:
        return self.first_run == self.last_run

    def added_keys(self) -> list[KeyRecord]:
        """Keys that appeared at the last run (never at the baseline)."""
        if self.is_baseline:
            return []
        return [k for k in self.keys.values()
                if k.present_since == self.last_run and k.removed_at is None]

    def removed_keys(self) -> list[KeyRecord]:
        return [k for k in self.keys.values() if k.removed_at == self.last_run]

    def added_ds(self) -> list[DsRecord]:
        if self.is_baseline:
            return []
        return [d for d in self.ds.values()
                if d.present_since == self.last_run and d.removed_at is None]

    def removed_ds(self) -> list[DsRecord]:
        return [d for d in self.ds.values() if d.removed_at == self.last_run]

    def present_keys(self) -> list[KeyRecord]:
        return [k for k in self.keys.values() if k.removed_at is None]

    def ds_set_at(self, moment: int) -> list[DsRecord]:
        """The DS records the parent served at `moment`, as the runs saw them."""
        return [d for d in self.ds.values() if d.present_since <= moment
                and (d.removed_at is None or moment < d.removed_at)]


@dataclass(frozen=True)
class History:
    """What the checks see: the zone's state including this run, and how the file fared."""

    state: ZoneState | None  # None: no run of this zone could be recorded
    path: Path | None = None
    problem: str | None = None  # the file could not be read or written: a warning
    note: str | None = None  # why the state does not include this run: information
    observed: bool = True  # the state includes the observation at the evaluated instant


# --- observing a zone ------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyObservation:
    """The parts of one run's ZoneData that the history keeps."""

    servers: tuple[str, ...]  # every authoritative server asked
    keys_by_server: dict[str, tuple[DNSKEY, ...]]  # the servers that answered for DNSKEY
    dnskey_ttl: int
    ds: tuple[DS, ...] | None  # None: no parent server answered
    ds_ttl: int = 0
    # (key tag, algorithm) -> the largest TTL of the RRsets only that key signs
    sole_signers: dict[tuple[int, int], int] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        """Every server answered its DNSKEY RRset."""
        return bool(self.servers) and set(self.keys_by_server) == set(self.servers)


def rdata_text(rdata: dns.rdata.Rdata) -> str:
    """Presentation format that reads back as the same rdata: the generic form (RFC 3597,
    `\\# 4 0101030d`) for what a server may send but the usual text cannot carry, such as
    a DNSKEY with an empty public key."""
    text = rdata.to_text()
    try:
        if dns.rdata.from_text(rdata.rdclass, rdata.rdtype, text) == rdata:
            return text
    except (dns.exception.DNSException, ValueError):
        pass
    return rdata.to_generic().to_text()


def fingerprint(key: DNSKEY) -> str:
    """SHA-256 of the DNSKEY rdata (flags, protocol, algorithm, public key)."""
    return hashlib.sha256(key.to_digestable()).hexdigest()


def describe_key(record: KeyRecord) -> str:
    return role_label(record.flags, record.tag, record.algorithm)
