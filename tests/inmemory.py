"""Zones signed in memory with dnspython at a fixed timestamp, answered the way an
authoritative server would, and turned into the `ZoneData` the checks read."""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass, field

import dns.dnssec
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.rrset
import dns.zone
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from dnssec_conformance.anchors import TrustAnchors
from dnssec_conformance.collect import AncestorZone, ServerAnswers, ZoneData
from dnssec_conformance.config import DomainSpec, Thresholds
from dnssec_conformance.context import Evaluation
from dnssec_conformance.transport import Exchange, Server

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
    cuts = _zone_cuts(zone)
    authoritative = [n for n in sorted(zone.nodes) if not _below_cut(n, cuts)]
    unsigned_cuts = {c for c in cuts if zone.get_node(c).get_rdataset(
        dns.rdataclass.IN, dns.rdatatype.DS) is None}
    chained = [n for n in authoritative if not (opt_out and n in unsigned_cuts)]
    empty = {a for n in chained for a in _ancestors_below(n, origin) if a not in zone.nodes}
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
            if _below_cut(name, cuts):
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


def _zone_cuts(zone: dns.zone.Zone) -> set[dns.name.Name]:
    return {n for n, node in zone.nodes.items() if n != zone.origin
            and node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.NS) is not None}


def _below_cut(name: dns.name.Name, cuts: set[dns.name.Name]) -> bool:
    return any(name != cut and name.is_subdomain(cut) for cut in cuts)


def _ancestors_below(name: dns.name.Name, origin: dns.name.Name) -> list[dns.name.Name]:
    """The ancestors of `name` strictly between it and `origin`."""
    found = []
    while name != origin and name.parent() != origin:
        name = name.parent()
        found.append(name)
    return found


def respond(zone: dns.zone.Zone, qname: dns.name.Name, rdtype: dns.rdatatype.RdataType,
            ) -> dns.message.Message:
    """An authoritative answer from `zone`: the RRset and its RRSIGs; an answer synthesized
    from a wildcard; or a negative answer with the SOA and its proof, NSEC records (RFC 4035
    §3.1.3) or NSEC3 records (RFC 5155 §7.2) as the zone has them."""
    query = dns.message.make_query(qname, rdtype, want_dnssec=True)
    response = dns.message.make_response(query)
    response.flags |= dns.flags.AA
    node = zone.get_node(qname)
    if node is not None:
        rdataset = node.get_rdataset(dns.rdataclass.IN, rdtype)
        if rdataset is not None:
            response.answer.append(_rrset(qname, rdataset))
            sigs = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.RRSIG, rdtype)
            if sigs is not None:
                response.answer.append(_rrset(qname, sigs))
            return response
        _add_authority(zone, response, zone.origin, dns.rdatatype.SOA)
        _add_denial(zone, response, _nodata_proof(zone, qname))
        return response
    if _is_empty_non_terminal(zone, qname):
        _add_authority(zone, response, zone.origin, dns.rdatatype.SOA)
        _add_denial(zone, response, _nodata_proof(zone, qname))
        return response
    encloser = _closest_encloser(zone, qname)
    wildcard = dns.name.Name((b"*",)).concatenate(encloser)
    source = zone.get_node(wildcard)
    if source is not None:
        return _synthesize(zone, response, qname, rdtype, encloser, source)
    response.set_rcode(dns.rcode.NXDOMAIN)
    _add_authority(zone, response, zone.origin, dns.rdatatype.SOA)
    _add_denial(zone, response, _nxdomain_proof(zone, qname, encloser))
    return response


def _synthesize(zone: dns.zone.Zone, response: dns.message.Message, qname: dns.name.Name,
                rdtype: dns.rdatatype.RdataType, encloser: dns.name.Name,
                source: dns.zone.Node) -> dns.message.Message:
    """RFC 4035 §3.1.3.3, RFC 5155 §7.2.6: the wildcard's RRset under the query name, with
    the proof that no closer name exists; or the wildcard NODATA proof."""
    rdataset = source.get_rdataset(dns.rdataclass.IN, rdtype)
    if rdataset is not None:
        response.answer.append(_rrset(qname, rdataset))
        sigs = source.get_rdataset(dns.rdataclass.IN, dns.rdatatype.RRSIG, rdtype)
        if sigs is not None:
            response.answer.append(_rrset(qname, sigs))
        _add_denial(zone, response, _no_closer_proof(zone, qname, encloser))
        return response
    _add_authority(zone, response, zone.origin, dns.rdatatype.SOA)
    wildcard = dns.name.Name((b"*",)).concatenate(encloser)
    proof = _no_closer_proof(zone, qname, encloser)
    if _uses_nsec3(zone):
        proof += [_nsec3_match(zone, encloser), _nsec3_match(zone, wildcard)]
    else:
        proof.append(wildcard)
    _add_denial(zone, response, proof)
    return response


def _uses_nsec3(zone: dns.zone.Zone) -> bool:
    return _nsec3_params(zone) is not None


def _nsec3_params(zone: dns.zone.Zone) -> tuple[int, int, bytes] | None:
    """(algorithm, iterations, salt) of the chain the server answers from: the one the apex
    NSEC3PARAM names if the zone has it, else the zone's only (or first) chain; None when
    the zone has no NSEC3 records."""
    chains = {(r.algorithm, r.iterations, r.salt) for node in zone.nodes.values()
              for r in node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.NSEC3) or ()}
    if not chains:
        return None
    param = zone.get_rdataset(zone.origin, dns.rdatatype.NSEC3PARAM) or ()
    announced = [(p.algorithm, p.iterations, p.salt) for p in param if p.flags == 0]
    return next((p for p in announced if p in chains), min(chains))


def _exists(zone: dns.zone.Zone, name: dns.name.Name) -> bool:
    return zone.get_node(name) is not None or _is_empty_non_terminal(zone, name)


def _is_empty_non_terminal(zone: dns.zone.Zone, name: dns.name.Name) -> bool:
    return zone.get_node(name) is None and any(
        n != name and n.is_subdomain(name) for n in zone.nodes if not _is_nsec3_owner(zone, n))


def _is_nsec3_owner(zone: dns.zone.Zone, name: dns.name.Name) -> bool:
    node = zone.get_node(name)
    return node is not None and node.get_rdataset(dns.rdataclass.IN,
                                                  dns.rdatatype.NSEC3) is not None


def _closest_encloser(zone: dns.zone.Zone, qname: dns.name.Name) -> dns.name.Name:
    name = qname
    while name != zone.origin and not _exists(zone, name):
        name = name.parent()
    return name


def _next_closer(qname: dns.name.Name, encloser: dns.name.Name) -> dns.name.Name:
    return qname.split(len(encloser) + 1)[1]


def _nsec_owners(zone: dns.zone.Zone) -> list[dns.name.Name]:
    return sorted(n for n, nd in zone.nodes.items()
                  if nd.get_rdataset(dns.rdataclass.IN, dns.rdatatype.NSEC) is not None)


def _nsec_for(zone: dns.zone.Zone, name: dns.name.Name) -> dns.name.Name | None:
    """The NSEC owner at or before `name`: its match, or the record covering it."""
    names = _nsec_owners(zone)
    if not names:
        return None
    return names[bisect.bisect_right(names, name) - 1]


def _nsec3_hash(zone: dns.zone.Zone, name: dns.name.Name) -> str:
    params = _nsec3_params(zone)
    assert params is not None
    _algorithm, iterations, salt = params
    # SHA-1 whatever the records say: for an algorithm no one implements, this server (like
    # the test signer's hasher) stands in SHA-1.
    return dns.dnssec.nsec3_hash(name, salt, iterations, 1).lower()


def _nsec3_owners(zone: dns.zone.Zone) -> list[dns.name.Name]:
    return sorted((n for n in zone.nodes if _is_nsec3_owner(zone, n)),
                  key=lambda n: n.labels[0].lower())


def _nsec3_match(zone: dns.zone.Zone, name: dns.name.Name) -> dns.name.Name | None:
    """The NSEC3 owner matching the hash of `name`; the covering one when none matches (a
    server's best effort over an inconsistent chain)."""
    owner = dns.name.Name((_nsec3_hash(zone, name).encode(),)).concatenate(zone.origin)
    return owner if _is_nsec3_owner(zone, owner) else _nsec3_cover(zone, name)


def _nsec3_cover(zone: dns.zone.Zone, name: dns.name.Name) -> dns.name.Name | None:
    """The NSEC3 owner whose span the hash of `name` falls into: the last owner before it,
    wrapping to the last of the chain."""
    owners = _nsec3_owners(zone)
    if not owners:
        return None
    digest = _nsec3_hash(zone, name).encode()
    before = [o for o in owners if o.labels[0].lower() < digest]
    return before[-1] if before else owners[-1]


def _nodata_proof(zone: dns.zone.Zone, qname: dns.name.Name) -> list[dns.name.Name | None]:
    if _uses_nsec3(zone):
        return [_nsec3_match(zone, qname)]
    return [_nsec_for(zone, qname)]


def _nxdomain_proof(zone: dns.zone.Zone, qname: dns.name.Name, encloser: dns.name.Name
                    ) -> list[dns.name.Name | None]:
    wildcard = dns.name.Name((b"*",)).concatenate(encloser)
    if _uses_nsec3(zone):
        return [_nsec3_match(zone, encloser), _nsec3_cover(zone, _next_closer(qname, encloser)),
                _nsec3_cover(zone, wildcard)]
    return [_nsec_for(zone, qname), _nsec_for(zone, wildcard)]


def _no_closer_proof(zone: dns.zone.Zone, qname: dns.name.Name, encloser: dns.name.Name
                     ) -> list[dns.name.Name | None]:
    if _uses_nsec3(zone):
        return [_nsec3_cover(zone, _next_closer(qname, encloser))]
    return [_nsec_for(zone, qname)]


def _add_denial(zone: dns.zone.Zone, response: dns.message.Message,
                owners: list[dns.name.Name | None]) -> None:
    """The NSEC or NSEC3 records owned by `owners` (each once) and their RRSIGs."""
    rdtype = dns.rdatatype.NSEC3 if _uses_nsec3(zone) else dns.rdatatype.NSEC
    for owner in dict.fromkeys(o for o in owners if o is not None):
        _add_authority(zone, response, owner, rdtype)


def _add_authority(zone: dns.zone.Zone, response: dns.message.Message, name: dns.name.Name,
                   rdtype: dns.rdatatype.RdataType) -> None:
    node = zone.get_node(name)
    rdataset = node.get_rdataset(dns.rdataclass.IN, rdtype) if node else None
    if rdataset is None:
        return
    response.authority.append(_rrset(name, rdataset))
    sigs = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.RRSIG, rdtype)
    if sigs is not None:
        response.authority.append(_rrset(name, sigs))


def _rrset(name: dns.name.Name, rdataset: dns.rdataset.Rdataset) -> dns.rrset.RRset:
    rrset = dns.rrset.RRset(name, rdataset.rdclass, rdataset.rdtype, rdataset.covers)
    rrset.update(rdataset)
    return rrset


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
            txn.add(child.origin, 3600, *rdatas)
    if sign:
        resign(parent)


def resign(signed: SignedZone) -> None:
    zone = signed.zone
    for _name, node in zone.nodes.items():
        for rdataset in list(node.rdatasets):
            if rdataset.rdtype in (dns.rdatatype.RRSIG, dns.rdatatype.NSEC):
                node.rdatasets.remove(rdataset)
    dns.dnssec.sign_zone(zone, keys=[(k.private, k.dnskey) for k in signed.keys],
                         add_dnskey=False, inception=NOW - DAY, expiration=NOW + 30 * DAY,
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
