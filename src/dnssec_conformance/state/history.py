"""The key history kept between runs: which DNSKEYs and DS records a zone had, since when,
and at which servers. One JSON file per zone in the state directory (`--state-dir`).

The rollover checks need time the live data cannot show: how long a new key has been served
by every server, when an old DS left the parent. Each run observes the zone, folds the
observation into the zone's file (`advance`, a pure function) and hands the result to the
checks as a `History`. Times are the run's evaluated instant (`--at` included), in whole
seconds, so a rollover can be replayed. The file is written atomically; one that cannot be
read is moved aside and reported, never overwritten.
"""

from __future__ import annotations

import copy
from dataclasses import replace

from dns.rdtypes.ANY.DNSKEY import DNSKEY

from .model import (
    FORGET_AFTER_S,
    DsRecord,
    KeyObservation,
    KeyRecord,
    ZoneState,
    fingerprint,
    rdata_text,
)

# --- folding an observation into the state (pure) ---------------------------------------------


def advance(state: ZoneState | None, seen: KeyObservation, now: int, zone: str) -> ZoneState:
    """The state after a run at `now` saw `seen`. The input state is left untouched."""
    if state is None:
        new = ZoneState(zone, first_run=now, last_run=now, dnskey_ttl=seen.dnskey_ttl)
        prior_ttl = seen.dnskey_ttl
    else:
        answered = bool(seen.keys_by_server)
        new = replace(copy.deepcopy(state), previous_run=state.last_run, last_run=now,
                      runs=state.runs + 1,
                      dnskey_ttl=seen.dnskey_ttl if answered else state.dnskey_ttl)
        prior_ttl = state.dnskey_ttl
    if seen.keys_by_server:
        _advance_keys(new, seen, now, max(prior_ttl, seen.dnskey_ttl))
    for record in new.keys.values():
        ttl = seen.sole_signers.get((record.tag, record.algorithm))
        if ttl is not None:
            record.sole_signer_until, record.sole_signer_ttl, record.signs_alone = now, ttl, True
        elif record.signs_alone:
            record.sole_signer_until, record.signs_alone = now, False
    if seen.ds is not None:
        _advance_ds(new, seen, now)
    _forget_old(new, now)
    return new


def _advance_keys(state: ZoneState, seen: KeyObservation, now: int, ready_ttl: int) -> None:
    serving: dict[str, tuple[DNSKEY, set[str]]] = {}
    for server, keys in seen.keys_by_server.items():
        for key in keys:
            serving.setdefault(fingerprint(key), (key, set()))[1].add(server)
    for print_, (key, servers) in serving.items():
        record = state.keys.get(print_)
        if record is None:
            record = KeyRecord(rdata_text(key), first_seen=now, last_seen=now,
                               present_since=now)
            state.keys[print_] = record
        elif record.removed_at is not None:  # back after an absence: a new stretch
            record.present_since, record.removed_at, record.everywhere_since = now, None, None
            record.lacked = False
        record.last_seen = now
        for server in servers:
            record.servers[server] = now
        if seen.complete and servers == set(seen.servers):
            if record.everywhere_since is None:
                # Seen at the baseline and never missing since (a server was silent then):
                # as long established as every other key of the baseline.
                since_baseline = record.present_since == state.first_run and not record.lacked
                record.everywhere_since = state.first_run if since_baseline else now
                record.ready_ttl = ready_ttl
        elif servers != set(seen.keys_by_server):
            record.everywhere_since, record.lacked = None, True  # a server that answered lacks it
        # else: on every server that answered, the others unknown: the stretch goes on
    if not seen.complete:
        return  # a server that did not answer may still serve the keys the others dropped
    for print_, record in state.keys.items():
        if print_ not in serving and record.removed_at is None:
            record.removed_at, record.everywhere_since = now, None


def _advance_ds(state: ZoneState, seen: KeyObservation, now: int) -> None:
    assert seen.ds is not None
    state.ds_observed = True
    current = {ds.to_text(): ds for ds in seen.ds}
    for text in current:
        record = state.ds.get(text)
        if record is None:
            record = DsRecord(rdata_text(current[text]), seen.ds_ttl, first_seen=now,
                              last_seen=now, present_since=now)
            state.ds[text] = record
        elif record.removed_at is not None:
            record.present_since, record.removed_at = now, None
        record.last_seen, record.ttl = now, seen.ds_ttl
    for text, record in state.ds.items():
        if text not in current and record.removed_at is None:
            record.removed_at = now


def _forget_old(state: ZoneState, now: int) -> None:
    state.keys = {p: k for p, k in state.keys.items()
                  if k.removed_at is None or now - k.removed_at < FORGET_AFTER_S}
    state.ds = {t: d for t, d in state.ds.items()
                if d.removed_at is None or now - d.removed_at < FORGET_AFTER_S}
