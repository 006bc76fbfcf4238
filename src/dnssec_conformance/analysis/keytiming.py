"""When a key may be used and when it may go (RFC 7583), from the live data and the key
history: the computations the rollover checks share.

A validator may hold a DNSKEY RRset for its TTL and a DS RRset for its TTL, each fetched from
any of the zone's servers. A step of a rollover is safe when every combination a validator
may still hold validates: a new key is usable once every server has served it for the DNSKEY
TTL (plus a margin); an old key may go once no DS set still cacheable names only it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.rrset
from dns.rdtypes.ANY.DNSKEY import DNSKEY
from dns.rdtypes.ANY.DS import DS
from dns.rdtypes.dnskeybase import DNSKEYBase
from dns.rdtypes.dsbase import DSBase

from ..dnssec.chain import ZONE_KEY_FLAG
from ..dnssec.signatures import Crypto, ds_matches, supported_digest, verify_rrset
from ..probe.data import ZoneData, authoritative_problem
from ..probe.transport import Exchange, Server
from ..state.codec import stamp
from ..state.model import DsRecord, History, ZoneState, fingerprint


@dataclass(frozen=True)
class ServerKeys:
    """The DNSKEY RRset one server serves (empty: it answered that there is none)."""

    server: Server
    keys: tuple[DNSKEY, ...]
    exchange: Exchange
    _signers: dict[dns.name.Name, list[DNSKEY]] = field(
        default_factory=dict, repr=False, compare=False)

    @property
    def label(self) -> str:
        return str(self.server)

    def signers_of_keyset(self, apex: dns.name.Name) -> list[DNSKEY]:
        """The zone keys whose RRSIG over this DNSKEY RRset verifies."""
        if apex not in self._signers:
            rrset = self.exchange.answer(dns.rdatatype.DNSKEY, apex)
            checks = [] if rrset is None else verify_rrset(
                rrset, self.exchange.signatures(dns.rdatatype.DNSKEY, apex), self.keys, apex)
            self._signers[apex] = [c.key for c in checks if c.crypto is Crypto.VALID
                                   and c.key is not None and c.key.flags & ZONE_KEY_FLAG]
        return list(self._signers[apex])


def served_keys(zone: ZoneData) -> list[ServerKeys]:
    """Each usable server's DNSKEY RRset, for the servers that answered the question."""
    if "served_keys" not in zone.memo:
        zone.memo["served_keys"] = _served_keys(zone)
    return list(cast("list[ServerKeys]", zone.memo["served_keys"]))


def _served_keys(zone: ZoneData) -> list[ServerKeys]:
    assert zone.apex is not None
    result = []
    for answers in zone.usable_answers():
        exchange = answers.get(zone.apex, dns.rdatatype.DNSKEY)
        if exchange is None or authoritative_problem(exchange) is not None:
            continue
        rrset = exchange.answer(dns.rdatatype.DNSKEY, zone.apex)
        result.append(ServerKeys(answers.server, tuple(rrset or ()), exchange))
    return result


def unasked_servers(zone: ZoneData, served: list[ServerKeys]) -> list[str]:
    """The zone's servers whose DNSKEY RRset this run could not get."""
    answered = {s.label for s in served}
    return [str(s) for s in zone.servers if str(s) not in answered]


def distinct_keys(served: list[ServerKeys]) -> list[DNSKEY]:
    keys: list[DNSKEY] = []
    for entry in served:
        keys.extend(k for k in entry.keys if k not in keys)
    return keys


@dataclass(frozen=True)
class Readiness:
    """Whether validators can already rely on a key, and why (or when they will)."""

    ready: bool
    why: str
    ready_at: int | None = None  # when the timing allows it (None: not a matter of time)
    # Not established: a server that did not answer may lack the key. Could not check, which
    # is no verdict: neither "ready" nor a finding that it is not.
    unknown: bool = False


def key_readiness(key: DNSKEY, served: list[ServerKeys], history: History | None,
                  now: float, margin: float, unasked: Sequence[str] = ()) -> Readiness:
    """RFC 7583 §3.3.1: a new key may be relied on once every server serves it and it has
    been published for the DNSKEY TTL (plus the margin), so that no cached DNSKEY RRset lacks
    it. Without a key history only the first half can be judged. `unasked`: the servers
    whose DNSKEY RRset this run could not get."""
    missing = [s.label for s in served if key not in s.keys]
    if missing:
        return Readiness(False, f"{', '.join(missing)} does not serve it")
    state = history.state if history is not None else None
    record = state.keys.get(fingerprint(key)) if state is not None else None
    if (state is None or record is None) and unasked:
        return Readiness(False, f"not known: {', '.join(unasked)} did not answer",
                         unknown=True)
    if state is None or record is None:
        return Readiness(True, "served by every server (no key history to time its "
                         "publication)")
    if record.everywhere_since is None and unasked:
        return Readiness(False, f"not known: {', '.join(unasked)} did not answer, and no "
                         "run has yet found it at every server", unknown=True)
    if record.everywhere_since is None:
        return Readiness(False, "no run has yet found it at every server")
    if record.everywhere_since <= state.first_run:
        return Readiness(True, "served by every server since the key history began "
                         f"({stamp(state.first_run)})")
    ready_at = int(record.everywhere_since + record.ready_ttl + margin)
    timing = (f"served by every server since {stamp(record.everywhere_since)}, DNSKEY TTL "
              f"{record.ready_ttl} s + margin {margin:g} s")
    if now >= ready_at:
        return Readiness(True, f"{timing}: ready since {stamp(ready_at)}", ready_at)
    return Readiness(False, f"{timing}: not ready before {stamp(ready_at)}", ready_at)


def as_ds(record: DSBase) -> DS:
    """A DS (or CDS) rdata as a DS, for matching against keys."""
    return DS(dns.rdataclass.IN, dns.rdatatype.DS, record.key_tag, record.algorithm,
              record.digest_type, record.digest)


def as_dnskey(record: DNSKEYBase) -> DNSKEY:
    """A DNSKEY (or CDNSKEY) rdata as a DNSKEY."""
    return DNSKEY(dns.rdataclass.IN, dns.rdatatype.DNSKEY, record.flags, record.protocol,
                  record.algorithm, record.key)


def names_key(ds: DSBase, apex: dns.name.Name, key: DNSKEY) -> bool:
    """Whether a validator would follow this DS (or CDS) to this key."""
    return supported_digest(ds.digest_type) and ds_matches(as_ds(ds), apex, key)


def ds_label(ds: DSBase) -> str:
    kind = dns.rdatatype.to_text(ds.rdtype)
    return f"{kind} {ds.key_tag}/alg {ds.algorithm}/digest {ds.digest_type}"


@dataclass(frozen=True)
class CachedDsSet:
    """A DS set the parent served at some moment that validators may still hold."""

    since: int  # the moment it took effect (as the runs saw it)
    until: int | None  # the run that found it changed; None: it is the current set
    records: tuple[DsRecord, ...]

    def cached_until(self, margin: float) -> float:
        """When the last validator that fetched it lets it go."""
        end = self.until if self.until is not None else float("inf")
        return end + max((r.ttl for r in self.records), default=0) + margin


def cacheable_ds_sets(state: ZoneState, now: float, margin: float) -> list[CachedDsSet]:
    """Every DS set that validators may still hold at `now`: the current one and those that
    ended less than their TTL (plus the margin) ago. A set counts as served until the run that
    found it changed, which errs on the side of keeping it."""
    if not state.ds_observed:
        return []
    changes = sorted({state.first_run}
                     | {d.present_since for d in state.ds.values()}
                     | {d.removed_at for d in state.ds.values() if d.removed_at is not None})
    sets = []
    for index, moment in enumerate(changes):
        if moment > now:
            break
        until = changes[index + 1] if index + 1 < len(changes) else None
        if until is not None and until > now:
            until = None
        records = tuple(state.ds_set_at(moment))
        entry = CachedDsSet(moment, until, records)
        if entry.cached_until(margin) > now:
            sets.append(entry)
        if until is None:
            break
    return sets


def answer_rrset(exchange: Exchange | None, apex: dns.name.Name,
                 rdtype: dns.rdatatype.RdataType
                 ) -> dns.rrset.RRset | None:
    if exchange is None or authoritative_problem(exchange) is not None:
        return None
    return exchange.answer(rdtype, apex)
