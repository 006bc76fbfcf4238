"""Stages of a key rollover, built in memory: child.test. as each server serves it, its DS
set at test., and the key history that successive runs leave."""

from __future__ import annotations

from dataclasses import replace

import dns.dnssec
import dns.rdata
import dns.rdataset
import dns.rdatatype

from dnssec_conformance import catalog
from dnssec_conformance.analysis.keys_seen import observe
from dnssec_conformance.catalog import zone_checks
from dnssec_conformance.findings import CheckResult, Outcome
from dnssec_conformance.probe.data import ZoneData
from dnssec_conformance.probe.transport import Server
from dnssec_conformance.state.history import advance
from dnssec_conformance.state.model import History, ZoneState

from .inmemory import (
    NOW,
    SERVER,
    Key,
    SignedZone,
    build_zone,
    evaluation,
    make_key,
    resign,
    zone_data,
)

ZONE = "child.test."
HOUR = 3600
FIRING = (Outcome.FAILED, Outcome.WARNING, Outcome.ERROR)
PARENT_KEYS = [make_key(13, ksk=True), make_key(13)]


def child(keys: dict[str, Key], signing: tuple[str, ...] = ("ksk", "zsk"),
          published: tuple[str, ...] = (), body: str = "", serial: int = 1) -> SignedZone:
    """child.test. signed by `signing`, with `published` keys in its DNSKEY RRset too."""
    extra = "".join(f"@ 3600 IN DNSKEY {keys[k].dnskey.to_text()}\n" for k in published)
    zone = build_zone(ZONE, extra + body, keys=[keys[k] for k in signing])
    if serial != 1:
        with zone.zone.writer() as txn:
            soa = txn.get(zone.origin, dns.rdatatype.SOA)
            txn.replace(zone.origin, soa.ttl, soa[0].replace(serial=serial))
        resign(zone)
    return zone


def cds_lines(key: Key, *, cdnskey: bool = True) -> str:
    ds = dns.dnssec.make_ds(ZONE, key.dnskey, 2)
    lines = f"@ 3600 IN CDS {ds.to_text()}\n"
    if cdnskey:
        lines += f"@ 3600 IN CDNSKEY {key.dnskey.to_text()}\n"
    return lines


def stage(keys: dict[str, Key], served: SignedZone | dict[Server, SignedZone],
          ds: tuple[str, ...] = ("ksk",), ds_text: list[str] | None = None,
          expect: str = "secure") -> tuple[ZoneData, SignedZone]:
    """The ZoneData of one run: the zone as each server serves it, the DS set at the parent."""
    servers = served if isinstance(served, dict) else {SERVER: served}
    first = next(iter(servers.values()))
    parent = build_zone("test.", keys=PARENT_KEYS)
    rdatas = [dns.rdata.from_text("IN", "DS", text) for text in ds_text or ()]
    rdatas += [dns.dnssec.make_ds(ZONE, keys[k].dnskey, 2) for k in ds]
    if rdatas:
        with parent.zone.writer() as txn:
            txn.add(first.origin, dns.rdataset.from_rdata_list(3600, rdatas))
    resign(parent)
    return zone_data(first, parent, servers=servers, expect=expect), parent


class Timeline:
    """Successive runs of one zone: each folds its observation into the key history."""

    def __init__(self, state: ZoneState | None = None):
        self.state = state

    def run(self, data: ZoneData, parent: SignedZone, moment: float) -> Verdicts:
        self.state = advance(self.state, observe(data), int(moment), ZONE)
        return Verdicts(data, parent, moment, History(self.state))

    def fork(self) -> Timeline:
        return Timeline(self.state)


class Verdicts:
    """Every zone check on one run's data, as of its instant, with the history so far."""

    def __init__(self, data: ZoneData, parent: SignedZone, moment: float,
                 history: History | None, **thresholds: float):
        ev = replace(evaluation(parent, moment, **thresholds), history=history)
        self.results = {check: catalog.run(check, data, ev) for check in zone_checks()}

    @property
    def fired(self) -> dict[str, Outcome]:
        return {c: r.outcome for c, r in self.results.items() if r.outcome in FIRING}

    def __getitem__(self, check: str) -> CheckResult:
        return self.results[check]

    def messages(self, check: str) -> list[str]:
        return [f.message for f in self.results[check].findings]


def judge(data: ZoneData, parent: SignedZone, moment: float | None = None,
          **thresholds: float) -> Verdicts:
    """The verdicts of a run without a key history."""
    return Verdicts(data, parent, NOW if moment is None else moment, None, **thresholds)
