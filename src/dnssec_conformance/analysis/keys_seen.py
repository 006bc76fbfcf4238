"""What one run saw of a zone's keys, its DS set and who signs what: the observation the
key history folds in (`state.history.advance`)."""

from __future__ import annotations

import dns.dnssec
import dns.exception
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
from dns.rdtypes.ANY.DNSKEY import DNSKEY

from ..probe.data import ZoneData, authoritative_problem
from ..state.model import KeyObservation
from .zone import served_rrsets


def observe(zone: ZoneData) -> KeyObservation:
    """What this run saw of the zone's keys, its DS set and who signs what."""
    assert zone.apex is not None
    keys_by_server: dict[str, tuple[DNSKEY, ...]] = {}
    ttl = 0
    for answers in zone.usable_answers():
        exchange = answers.get(zone.apex, dns.rdatatype.DNSKEY)
        if exchange is None or authoritative_problem(exchange) is not None:
            continue
        rrset = exchange.answer(dns.rdatatype.DNSKEY, zone.apex)
        keys_by_server[str(answers.server)] = tuple(rrset or ())
        ttl = max(ttl, rrset.ttl if rrset is not None else 0)
    ds_rrset, ds_known = None, False
    for exchange in zone.ds_answers.values():
        if authoritative_problem(exchange) is None:
            ds_rrset, ds_known = exchange.answer(dns.rdatatype.DS, zone.apex), True
            break
    sole: dict[tuple[int, int], int] = {}
    for served in served_rrsets(zone):
        if served.rrset.rdtype == dns.rdatatype.DNSKEY:
            continue  # fetched with its own signatures: no cache mixes it with other keys
        signers = {(c.rrsig.key_tag, int(c.rrsig.algorithm)) for c in served.checks}
        if len(signers) == 1:
            (signer,) = signers
            longest = max([served.rrset.ttl, *(c.rrsig.original_ttl for c in served.checks)])
            sole[signer] = max(sole.get(signer, 0), longest)
    return KeyObservation(
        servers=tuple(str(s) for s in zone.servers),
        keys_by_server=keys_by_server,
        dnskey_ttl=ttl,
        ds=tuple(ds_rrset or ()) if ds_known else None,
        ds_ttl=ds_rrset.ttl if ds_rrset is not None else 0,
        sole_signers=sole,
    )
