"""Online-signed zones in memory: the lab's online responder (lab/online_responder.py) answers
the questions the collector asks, each answer signed at a fixed moment, and the answers become
the `ZoneData` the checks read."""

from __future__ import annotations

import dns.message
import dns.name
import dns.rdatatype
import dns.zone

from dnssec_conformance.config.model import DomainSpec, SigningMode
from dnssec_conformance.probe.data import (
    ABSENT_TYPE,
    AncestorZone,
    ServerAnswers,
    ZoneData,
    zone_questions,
)
from dnssec_conformance.probe.transport import Exchange, Server, query_wire
from lab.online_responder import (
    COMPACT,
    SLIDING,
    OnlineZone,
    SigningKey,
    Window,
    online_zone,
    respond,
)

from .inmemory import NOW, PARENT_SERVER, SERVER, Key, SignedZone, delegate, exchange, make_key

ORIGIN = "child.test."
PROBE = dns.name.from_text("dnssec-conformance-0123456789.child.test.")
CLOUDFLARE_LIKE = Window(SLIDING, inception_offset=-3600, lifetime=50 * 3600)


def signer(keys: list[Key] | None = None, *, denial: str = COMPACT,
           window: Window = CLOUDFLARE_LIKE, published: list[Key] = (),  # type: ignore[assignment]
           ttl: int = 3600, **options: object) -> OnlineZone:
    """child.test. (SOA, NS, A at the apex and www) held by an online signer with `keys` (a
    new ECDSA KSK and ZSK by default)."""
    keys = keys if keys is not None else [make_key(13, ksk=True), make_key(13)]
    text = (f"@ {ttl} IN SOA ns1.test. hostmaster.test. 1 7200 3600 1209600 3600\n"
            f"@ {ttl} IN NS ns1.test.\n@ {ttl} IN A 192.0.2.10\nwww {ttl} IN A 192.0.2.11\n")
    zone = dns.zone.from_text(text, origin=ORIGIN, relativize=False)
    signing = [SigningKey(k.private, k.dnskey, bool(k.dnskey.flags & 1)) for k in keys]
    return online_zone(zone, signing, [k.dnskey for k in published], denial=denial,
                       window=window, **options)  # type: ignore[arg-type]


def ask(server: Server, zone: OnlineZone, qname: dns.name.Name, rdtype: int, at: float
        ) -> Exchange:
    query = query_wire(qname, dns.rdatatype.RdataType.make(rdtype), 1, recursive=False)
    wire = respond([zone], query, udp=False, now=at)
    assert wire is not None
    return Exchange(server, qname, dns.rdatatype.RdataType.make(rdtype), False,
                    dns.message.from_wire(wire), "udp", None, 0.001)


def online_answers(server: Server, zone: OnlineZone, domain: DomainSpec, *, at: float = NOW,
                   second_look_after: float | None = 0.01) -> ServerAnswers:
    """What the collector gathers from one online server, answered at `at`; the second look
    at the SOA `second_look_after` seconds later (None: no second look)."""
    apex = zone.origin
    exchanges = {(o, t): ask(server, zone, o, t, at) for o, t in zone_questions(domain, apex)}
    second = None
    if second_look_after is not None:
        second = ask(server, zone, apex, dns.rdatatype.SOA, at + second_look_after)
    return ServerAnswers(server, exchanges, ask(server, zone, PROBE, dns.rdatatype.A, at),
                         ask(server, zone, apex, ABSENT_TYPE, at), second, second_look_after)


def online_zone_data(servers: dict[Server, OnlineZone], parent: SignedZone, *,
                     ds_keys: list[Key], at: float = NOW, signing: SigningMode | None = None,
                     second_look_after: float | None = 0.01) -> ZoneData:
    """The ZoneData of child.test. served by online signers, delegated from `parent` with the
    DS of `ds_keys`."""
    origin = dns.name.from_text(ORIGIN)
    domain = DomainSpec(origin, ("A",), signing=signing)
    delegate(parent, SignedZone(dns.zone.Zone(origin), []), ds_keys=ds_keys)
    data = ZoneData(domain, apex=origin, parent=parent.origin, servers=tuple(servers),
                    collected_at=at)
    data.answers = {s: online_answers(s, z, domain, at=at, second_look_after=second_look_after)
                    for s, z in servers.items()}
    data.ds_answers = {PARENT_SERVER: exchange(PARENT_SERVER, parent.zone, origin, "DS")}
    data.ancestors = (AncestorZone(parent.origin, exchange(PARENT_SERVER, parent.zone,
                                                           parent.origin, "DNSKEY"), None),)
    return data


def single(zone: OnlineZone, parent: SignedZone, **options: object) -> ZoneData:
    ksks = [Key(k.private, k.dnskey) for k in zone.keys if k.ksk]
    return online_zone_data({SERVER: zone}, parent, ds_keys=ksks, **options)  # type: ignore[arg-type]
