"""Multi-signer zones (RFC 8901): several providers serve one zone and each signs with its
own keys. In model 2 each provider signs its DNSKEY RRset with its own KSK, the parent holds
a DS for every provider's KSK, and every provider's DNSKEY RRset carries every provider's
ZSK (§2.1.2). Keys and signatures that differ from server to server are then the design:
only a ZSK missing from some provider's DNSKEY RRset breaks validation (a resolver holding
that RRset cannot verify the other provider's answers), and that stays a failure.

Recognised from the data alone: a KSK missing from a server is another provider's own KSK
when the parent's DS set names it, it signs the DNSKEY RRset of a server that serves it,
and the server lacking it has its own DNSKEY RRset signed by a key the DS set names.
"""

from __future__ import annotations

from collections.abc import Iterable

import dns.name
from dns.rdtypes.ANY.DNSKEY import DNSKEY
from dns.rdtypes.dsbase import DSBase

from .keytiming import ServerKeys, names_key


def anchored_keys(apex: dns.name.Name, server: ServerKeys, ds_set: Iterable[DSBase]
                  ) -> list[DNSKEY]:
    """The keys of this server's DNSKEY RRset that a DS names and that sign that RRset:
    what lets a validator accept the server's keys on their own."""
    records = list(ds_set)
    return [k for k in server.signers_of_keyset(apex)
            if any(names_key(ds, apex, k) for ds in records)]


def is_other_providers_ksk(apex: dns.name.Name, key: DNSKEY, lacking: ServerKeys,
                           served: list[ServerKeys], ds_set: Iterable[DSBase]) -> bool:
    """Whether `key`, missing from `lacking`, is another provider's own KSK (model 2)."""
    records = list(ds_set)
    if not any(names_key(ds, apex, key) for ds in records):
        return False
    if not anchored_keys(apex, lacking, records):
        return False
    return any(key in s.signers_of_keyset(apex) for s in served if key in s.keys)


def each_server_anchored(apex: dns.name.Name, served: list[ServerKeys],
                         ds_set: Iterable[DSBase]) -> bool:
    """Whether every server's DNSKEY RRset is signed by a key of its own that the DS set
    names, with at least two servers anchored by different keys: the DS set carries each
    provider on its own."""
    if len(served) < 2:
        return False
    records = list(ds_set)
    anchors = [frozenset(k.to_text() for k in anchored_keys(apex, s, records)) for s in served]
    return all(anchors) and len(set(anchors)) > 1
