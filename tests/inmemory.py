"""Zones signed in memory with dnspython at a fixed timestamp, answered the way an
authoritative server would, and turned into the `ZoneData` the checks read."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import dns.dnssec
import dns.name
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.rrset
import dns.zone
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from dnssec_conformance.analysis.evaluation import Evaluation
from dnssec_conformance.config.anchors import TrustAnchors
from dnssec_conformance.config.model import DomainSpec, Thresholds
from dnssec_conformance.dnssec.authoritative import respond
from dnssec_conformance.dnssec.zonetree import below_cut, names_between, zone_cuts
from dnssec_conformance.probe.data import AncestorZone, ServerAnswers, ZoneData
from dnssec_conformance.probe.transport import Exchange, Server

NOW = 1_800_000_000  # 2027-01-15T08:00:00Z
DAY = 86400
PARENT = dns.name.from_text("test.")
PARENT_SERVER = Server("192.0.2.53", 53, dns.name.from_text("ns.test."))
SERVER = Server("192.0.2.1", 53, dns.name.from_text("ns1.test."))
SERVER2 = Server("192.0.2.2", 53, dns.name.from_text("ns2.test."))


@dataclass
class Key:
    private: object
    dnskey: dns.rdtypes.ANY.DNSKEY.DNSKEY


def make_key(algorithm: int = 13, ksk: bool = False, bits: int = 2048) -> Key:
    if algorithm == 13:
        private = ec.generate_private_key(ec.SECP256R1())
    elif algorithm == 15:
        private = ed25519.Ed25519PrivateKey.generate()
    else:
        private = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    flags = 257 if ksk else 256
    return Key(private, dns.dnssec.make_dnskey(private.public_key(), algorithm, flags=flags))


@dataclass
class SignedZone:
    zone: dns.zone.Zone
    keys: list[Key] = field(default_factory=list)

    @property
    def origin(self) -> dns.name.Name:
        return self.zone.origin


def build_zone(origin: str, body: str = "", *, keys: list[Key] | None = None,
               inception: float = NOW - DAY, expiration: float = NOW + 30 * DAY,
               ttl: int = 3600, nsec3: str | None = None, opt_out: bool = False,
               nsec3_hasher: Callable[[dns.name.Name], str] | None = None) -> SignedZone:
    """A zone with SOA/NS/A at the apex (plus `body`), signed unless `keys` is empty: with
    NSEC, or with NSEC3 when `nsec3` is NSEC3PARAM text such as "1 0 0 -" (`opt_out` leaves
    unsigned delegations out of the chain and flags every NSEC3; `nsec3_hasher` replaces the
    hash of owner names, to build a signer's wrong hashes)."""
    text = (f"@ {ttl} IN SOA ns1.test. hostmaster.test. 1 7200 3600 1209600 300\n"
            f"@ {ttl} IN NS ns1.test.\n@ {ttl} IN A 192.0.2.10\nwww {ttl} IN A 192.0.2.11\n"
            + body)
    zone = dns.zone.from_text(text, origin=origin, relativize=False)
    keys = [make_key(13, ksk=True), make_key(13)] if keys is None else keys
    if keys and nsec3 is not None:
        sign_nsec3(zone, keys, nsec3, inception=inception, expiration=expiration,
                   dnskey_ttl=ttl, opt_out=opt_out, hasher=nsec3_hasher)
    elif keys:
        dns.dnssec.sign_zone(zone, keys=[(k.private, k.dnskey) for k in keys],
                             inception=inception, expiration=expiration,
                             dnskey_ttl=ttl, policy=dns.dnssec.allow_all_policy)
    return SignedZone(zone, keys)


def sign_nsec3(zone: dns.zone.Zone, keys: list[Key], nsec3param: str, *, inception: float,
               expiration: float, dnskey_ttl: int, opt_out: bool = False,
               hasher: Callable[[dns.name.Name], str] | None = None) -> None:
    """Sign `zone` with an NSEC3 chain (dnspython's `sign_zone` only does NSEC): the DNSKEYs
    and the NSEC3PARAM at the apex, one NSEC3 per authoritative name and per empty
    non-terminal (RFC 5155 §7.1), every authoritative RRset signed, DNSKEY by the KSKs."""
    origin = zone.origin
    param = dns.rdata.from_text("IN", "NSEC3PARAM", nsec3param)

    def hashed(name: dns.name.Name) -> str:
        if hasher is not None:
            return hasher(name).lower()
        return dns.dnssec.nsec3_hash(name, param.salt, param.iterations,
                                     param.algorithm).lower()

    with zone.writer() as txn:
        for key in keys:
            txn.add(origin, dnskey_ttl, key.dnskey)
        txn.add(origin, dnskey_ttl, param)
    cuts = zone_cuts(zone)
    authoritative = [n for n in sorted(zone.nodes) if not below_cut(n, cuts)]
    unsigned_cuts = {c for c in cuts if zone.get_node(c).get_rdataset(
        dns.rdataclass.IN, dns.rdatatype.DS) is None}
    chained = [n for n in authoritative if not (opt_out and n in unsigned_cuts)]
    empty = {a for n in chained for a in names_between(n, origin) if a not in zone.nodes}
    bitmaps: dict[str, list[str]] = {}
    for name in [*chained, *sorted(empty)]:
        node = zone.get_node(name)
        types = sorted({rds.rdtype for rds in node.rdatasets}) if node else []
        signed = [t for t in types if t == dns.rdatatype.DS or name not in cuts]
        if signed:
            types.append(dns.rdatatype.RRSIG)
        bitmaps[hashed(name)] = [dns.rdatatype.to_text(t) for t in types]
    owners = sorted(bitmaps)
    salt = param.salt.hex() or "-"
    minimum = zone.get_soa().minimum
    with zone.writer() as txn:
        for index, owner in enumerate(owners):
            following = owners[(index + 1) % len(owners)]
            rdata = dns.rdata.from_text(
                "IN", "NSEC3", f"{param.algorithm} {int(opt_out)} {param.iterations} {salt} "
                f"{following} {' '.join(bitmaps[owner])}")
            txn.add(dns.name.Name((owner.encode(),)).concatenate(origin), minimum, rdata)
    pairs = [(k.private, k.dnskey) for k in keys]
    ksks = [p for p in pairs if p[1].flags & 1] or pairs
    zsks = [p for p in pairs if not p[1].flags & 1] or pairs
    with zone.writer() as txn:
        for name in sorted(txn.iterate_names()):
            if below_cut(name, cuts):
                continue
            for rdataset in list(txn.get_node(name).rdatasets):
                if rdataset.rdtype == dns.rdatatype.RRSIG:
                    continue
                if name in cuts and rdataset.rdtype != dns.rdatatype.DS:
                    continue
                dns.dnssec.default_rrset_signer(
                    txn, dns.rrset.from_rdata(name, rdataset.ttl, *rdataset), origin, ksks,
                    zsks, inception=inception, expiration=expiration,
                    policy=dns.dnssec.allow_all_policy, origin=origin)


def exchange(server: Server, zone: dns.zone.Zone, qname: dns.name.Name | str,
             rdtype: dns.rdatatype.RdataType | str) -> Exchange:
    qname = dns.name.from_text(qname) if isinstance(qname, str) else qname
    rdtype = dns.rdatatype.RdataType.make(rdtype)
    return Exchange(server, qname, rdtype, False, respond(zone, qname, rdtype), "udp", None,
                    0.001)


def dead(server: Server, qname: dns.name.Name, rdtype: dns.rdatatype.RdataType) -> Exchange:
    return Exchange(server, qname, rdtype, False, None, "", "timeout after 3 s", 6.0)


def server_answers(server: Server, child: SignedZone, records: tuple[str, ...] = ("A",)
                   ) -> ServerAnswers:
    apex = child.origin
    exchanges = {}
    for rdtype in ("SOA", "DNSKEY", "NS", "NSEC3PARAM", "CDS", "CDNSKEY", *records):
        rt = dns.rdatatype.from_text(rdtype)
        exchanges[(apex, rt)] = exchange(server, child.zone, apex, rt)
    probe = dns.name.from_text("nonexistent-probe", apex)
    return ServerAnswers(server, exchanges, exchange(server, child.zone, probe, "A"),
                         exchange(server, child.zone, apex, dns.rdatatype.RdataType.make(65280)))


def delegate(parent: SignedZone, child: SignedZone, *, ds_keys: list[Key] | None = None,
             digest: int = 2, ds_text: list[str] | None = None, sign: bool = True) -> None:
    """Put the child's DS (of its KSKs, or of `ds_keys`) into the parent and re-sign it."""
    zone = parent.zone
    with zone.writer() as txn:
        if ds_text is not None:
            rdatas = [dns.rdata.from_text("IN", "DS", t) for t in ds_text]
        else:
            keys = ds_keys if ds_keys is not None else [k for k in child.keys
                                                        if k.dnskey.flags & 1]
            rdatas = [dns.dnssec.make_ds(child.origin, k.dnskey, digest,
                                         policy=dns.dnssec.allow_all_policy) for k in keys]
        if rdatas:
            txn.add(child.origin, dns.rdataset.from_rdata_list(3600, rdatas))
    if sign:
        resign(parent)


def resign(signed: SignedZone, now: float = NOW) -> None:
    """Sign the zone again (after a change), with signatures from `now` - 1 day to + 30."""
    zone = signed.zone
    for _name, node in zone.nodes.items():
        for rdataset in list(node.rdatasets):
            if rdataset.rdtype in (dns.rdatatype.RRSIG, dns.rdatatype.NSEC):
                node.rdatasets.remove(rdataset)
    dns.dnssec.sign_zone(zone, keys=[(k.private, k.dnskey) for k in signed.keys],
                         add_dnskey=False, inception=now - DAY, expiration=now + 30 * DAY,
                         policy=dns.dnssec.allow_all_policy)


def parent_zone() -> SignedZone:
    return build_zone("test.")


def anchors_for(parent: SignedZone) -> TrustAnchors:
    keys = dns.rrset.RRset(parent.origin, dns.rdataclass.IN, dns.rdatatype.DNSKEY)
    for key in parent.keys:
        keys.add(key.dnskey, 3600)
    return TrustAnchors("in-memory test anchor", {}, {parent.origin: keys})


def zone_data(child: SignedZone, parent: SignedZone, *, expect: str = "secure",
              servers: dict[Server, SignedZone] | None = None,
              records: tuple[str, ...] = ("A",)) -> ZoneData:
    """The ZoneData that collecting `child` (delegated from `parent`) would produce."""
    domain = DomainSpec(child.origin, records, expect)  # type: ignore[arg-type]
    servers = servers or {SERVER: child}
    data = ZoneData(domain, apex=child.origin, parent=parent.origin,
                    servers=tuple(servers), collected_at=NOW)
    data.answers = {s: server_answers(s, z, records) for s, z in servers.items()}
    data.ds_answers = {PARENT_SERVER: exchange(PARENT_SERVER, parent.zone, child.origin, "DS")}
    data.ancestors = (AncestorZone(parent.origin,
                                   exchange(PARENT_SERVER, parent.zone, parent.origin,
                                            "DNSKEY"), None),)
    return data


def evaluation(parent: SignedZone, now: float = NOW, **thresholds: float) -> Evaluation:
    return Evaluation(now, anchors_for(parent), Thresholds(**thresholds))  # type: ignore[arg-type]
