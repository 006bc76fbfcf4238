"""Answering a query from a zone's records the way an authoritative server does: the RRset and
its RRSIGs, an answer synthesized from a wildcard, or a negative answer with the SOA and its
NSEC (RFC 4035 §3.1.3) or NSEC3 (RFC 5155 §7.2) proof, as the zone has them.

This is what lets a zone file be checked like a live zone (file mode), and the project's tests
answer from zones signed in memory. The zone's structure (cuts, empty non-terminals) is here
too: signing and walking a denial chain need the same notion of which names exist.
"""

from __future__ import annotations

import bisect

import dns.dnssec
import dns.flags
import dns.message
import dns.name
import dns.node
import dns.rcode
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.rrset
import dns.zone

WILDCARD = dns.name.Name((b"*",))


def origin_of(zone: dns.zone.Zone) -> dns.name.Name:
    assert zone.origin is not None, "zones are read with their origin"
    return zone.origin


def zone_cuts(zone: dns.zone.Zone) -> set[dns.name.Name]:
    """The delegation points: names below the apex with an NS RRset."""
    return {n for n, node in zone.nodes.items() if n != zone.origin
            and node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.NS) is not None}


def below_cut(name: dns.name.Name, cuts: set[dns.name.Name]) -> bool:
    """Whether `name` lies under a delegation point (glue, or data occluded by the cut)."""
    return any(name != cut and name.is_subdomain(cut) for cut in cuts)


def names_between(name: dns.name.Name, origin: dns.name.Name) -> list[dns.name.Name]:
    """The ancestors of `name` strictly between it and `origin`, deepest first."""
    found = []
    while name != origin and name.parent() != origin:
        name = name.parent()
        found.append(name)
    return found


def is_nsec3_owner(zone: dns.zone.Zone, name: dns.name.Name) -> bool:
    node = zone.get_node(name)
    return node is not None and node.get_rdataset(dns.rdataclass.IN,
                                                  dns.rdatatype.NSEC3) is not None


def is_empty_non_terminal(zone: dns.zone.Zone, name: dns.name.Name) -> bool:
    return zone.get_node(name) is None and any(
        n != name and n.is_subdomain(name) for n in zone.nodes if not is_nsec3_owner(zone, n))


def respond(zone: dns.zone.Zone, qname: dns.name.Name, rdtype: dns.rdatatype.RdataType,
            ) -> dns.message.Message:
    """An authoritative answer from `zone`: the RRset and its RRSIGs; an answer synthesized
    from a wildcard; or a negative answer with the SOA and its proof, NSEC records (RFC 4035
    §3.1.3) or NSEC3 records (RFC 5155 §7.2) as the zone has them."""
    origin = origin_of(zone)
    query = dns.message.make_query(qname, rdtype, want_dnssec=True)
    response = dns.message.make_response(query)
    response.flags |= dns.flags.AA
    node = zone.get_node(qname)
    if node is not None:
        rdataset = node.get_rdataset(dns.rdataclass.IN, rdtype)
        if rdataset is not None:
            response.answer.append(rrset_of(qname, rdataset))
            sigs = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.RRSIG, rdtype)
            if sigs is not None:
                response.answer.append(rrset_of(qname, sigs))
            return response
        _add_authority(zone, response, origin, dns.rdatatype.SOA)
        _add_denial(zone, response, _nodata_proof(zone, qname))
        return response
    if is_empty_non_terminal(zone, qname):
        _add_authority(zone, response, origin, dns.rdatatype.SOA)
        _add_denial(zone, response, _nodata_proof(zone, qname))
        return response
    encloser = _closest_encloser(zone, qname)
    source = zone.get_node(WILDCARD.concatenate(encloser))
    if source is not None:
        return _synthesize(zone, response, qname, rdtype, encloser, source)
    response.set_rcode(dns.rcode.NXDOMAIN)
    _add_authority(zone, response, origin, dns.rdatatype.SOA)
    _add_denial(zone, response, _nxdomain_proof(zone, qname, encloser))
    return response


def _synthesize(zone: dns.zone.Zone, response: dns.message.Message, qname: dns.name.Name,
                rdtype: dns.rdatatype.RdataType, encloser: dns.name.Name,
                source: dns.node.Node) -> dns.message.Message:
    """RFC 4035 §3.1.3.3, RFC 5155 §7.2.6: the wildcard's RRset under the query name, with
    the proof that no closer name exists; or the wildcard NODATA proof."""
    rdataset = source.get_rdataset(dns.rdataclass.IN, rdtype)
    if rdataset is not None:
        response.answer.append(rrset_of(qname, rdataset))
        sigs = source.get_rdataset(dns.rdataclass.IN, dns.rdatatype.RRSIG, rdtype)
        if sigs is not None:
            response.answer.append(rrset_of(qname, sigs))
        _add_denial(zone, response, _no_closer_proof(zone, qname, encloser))
        return response
    _add_authority(zone, response, origin_of(zone), dns.rdatatype.SOA)
    wildcard = WILDCARD.concatenate(encloser)
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
    param = zone.get_rdataset(origin_of(zone), dns.rdatatype.NSEC3PARAM) or ()
    announced = [(p.algorithm, p.iterations, p.salt) for p in param if p.flags == 0]
    return next((p for p in announced if p in chains), min(chains))


def _exists(zone: dns.zone.Zone, name: dns.name.Name) -> bool:
    return zone.get_node(name) is not None or is_empty_non_terminal(zone, name)


def _closest_encloser(zone: dns.zone.Zone, qname: dns.name.Name) -> dns.name.Name:
    name = qname
    while name != origin_of(zone) and not _exists(zone, name):
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
    return sorted((n for n in zone.nodes if is_nsec3_owner(zone, n)),
                  key=lambda n: n.labels[0].lower())


def _nsec3_match(zone: dns.zone.Zone, name: dns.name.Name) -> dns.name.Name | None:
    """The NSEC3 owner matching the hash of `name`; the covering one when none matches (a
    server's best effort over an inconsistent chain)."""
    owner = dns.name.Name((_nsec3_hash(zone, name).encode(),)).concatenate(origin_of(zone))
    return owner if is_nsec3_owner(zone, owner) else _nsec3_cover(zone, name)


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
    wildcard = WILDCARD.concatenate(encloser)
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
    if node is None or (rdataset := node.get_rdataset(dns.rdataclass.IN, rdtype)) is None:
        return
    response.authority.append(rrset_of(name, rdataset))
    sigs = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.RRSIG, rdtype)
    if sigs is not None:
        response.authority.append(rrset_of(name, sigs))


def rrset_of(name: dns.name.Name, rdataset: dns.rdataset.Rdataset) -> dns.rrset.RRset:
    rrset = dns.rrset.RRset(name, rdataset.rdclass, rdataset.rdtype, rdataset.covers)
    rrset.update(rdataset)
    return rrset
