"""The responder on zones signed in memory: the answers file mode's checks judge.

tests/test_responder_vs_nsd.py holds the same responder against NSD on zones signed by
dnssec-signzone; these cases are the ones a zone-file check once judged wrongly (Knot's
`dname_apex_nsec3`, a stray NSEC3 chain) and the shapes of a referral.
"""

from __future__ import annotations

import dns.flags
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataset
import dns.rdatatype
import dns.rrset

from dnssec_conformance.dnssec.authoritative import Responder, served_nsec3_params
from dnssec_conformance.dnssec.nsec3 import Nsec3Params

from .inmemory import build_zone

CHILD = dns.name.from_text("child.test.")
PROBE = dns.name.from_text("dnssec-conformance-0123456789", CHILD)


def name(text: str) -> dns.name.Name:
    return dns.name.from_text(text, CHILD)


def types_in(rrsets: list[dns.rrset.RRset]) -> list[tuple[str, str]]:
    return [(str(r.name), dns.rdatatype.to_text(r.rdtype)) for r in rrsets]


def test_a_dname_at_the_apex_redirects_every_name_below_it():
    zone = build_zone("child.test.", "@ 3600 IN DNAME target.example.\n", nsec3="1 0 0 -")
    response = Responder(zone.zone).respond(PROBE, dns.rdatatype.A)

    assert response.rcode() == dns.rcode.NOERROR and response.flags & dns.flags.AA
    assert types_in(response.answer) == [("child.test.", "DNAME"), ("child.test.", "RRSIG"),
                                         (str(PROBE), "CNAME")]
    assert response.answer[2][0].target == dns.name.from_text(
        "dnssec-conformance-0123456789.target.example.")
    # the apex itself is answered from its own data
    apex = Responder(zone.zone).respond(CHILD, dns.rdatatype.A)
    assert types_in(apex.answer) == [("child.test.", "A"), ("child.test.", "RRSIG")]


def test_a_dname_pointing_under_itself_ends():
    """Knot's dname_apex_nsec3: the apex DNAME names a name under the apex, so every target
    is redirected again; the answer stops, as servers bound such chains."""
    zone = build_zone("child.test.", "@ 3600 IN DNAME bar.child.test.\n", nsec3="1 0 0 -")
    response = Responder(zone.zone).respond(PROBE, dns.rdatatype.A)

    assert response.rcode() in (dns.rcode.NOERROR, dns.rcode.YXDOMAIN)
    assert response.answer[0].rdtype == dns.rdatatype.DNAME
    assert all(r.rdtype in (dns.rdatatype.DNAME, dns.rdatatype.RRSIG, dns.rdatatype.CNAME)
               for r in response.answer)


def test_cname_chains_and_wildcard_cnames_are_followed_inside_the_zone():
    zone = build_zone("child.test.", "alias 3600 IN CNAME www\nchain 3600 IN CNAME alias\n"
                      "*.any 3600 IN CNAME www\nout 3600 IN CNAME www.example.\n")
    responder = Responder(zone.zone)

    chain = responder.respond(name("chain"), dns.rdatatype.A)
    assert [t for t in types_in(chain.answer) if t[1] != "RRSIG"] == [
        ("chain.child.test.", "CNAME"), ("alias.child.test.", "CNAME"),
        ("www.child.test.", "A")]
    wild = responder.respond(name("x.any"), dns.rdatatype.A)
    assert [t for t in types_in(wild.answer) if t[1] != "RRSIG"] == [
        ("x.any.child.test.", "CNAME"), ("www.child.test.", "A")]
    assert any(r.rdtype == dns.rdatatype.NSEC for r in wild.authority)  # no closer name
    out = responder.respond(name("out"), dns.rdatatype.A)
    assert [t[1] for t in types_in(out.answer)] == ["CNAME", "RRSIG"]


def test_a_delegation_is_referred_with_its_ds_or_the_proof_of_none():
    ds = "secure 3600 IN DS 12345 13 2 " + "AB" * 32 + "\n"
    zone = build_zone("child.test.", "deleg 3600 IN NS ns.deleg\nns.deleg 3600 IN A "
                      "192.0.2.9\nsecure 3600 IN NS ns.elsewhere.example.\n" + ds)
    responder = Responder(zone.zone)

    unsigned = responder.respond(name("host.deleg"), dns.rdatatype.A)
    assert not unsigned.flags & dns.flags.AA and not unsigned.answer
    assert types_in(unsigned.authority) == [("deleg.child.test.", "NS"),
                                            ("deleg.child.test.", "NSEC"),
                                            ("deleg.child.test.", "RRSIG")]
    assert types_in(unsigned.additional) == [("ns.deleg.child.test.", "A")]
    signed = responder.respond(name("secure"), dns.rdatatype.SOA)
    assert types_in(signed.authority) == [("secure.child.test.", "NS"),
                                          ("secure.child.test.", "DS"),
                                          ("secure.child.test.", "RRSIG")]
    # the DS is the parent's own data: answered with authority
    ds_answer = responder.respond(name("secure"), dns.rdatatype.DS)
    assert ds_answer.flags & dns.flags.AA
    assert types_in(ds_answer.answer) == [("secure.child.test.", "DS"),
                                          ("secure.child.test.", "RRSIG")]


def test_a_stray_nsec3_chain_is_never_served():
    """Knot's 2nsec3 zones: beside the NSEC3PARAM's chain, records of other parameters. A
    server answers from the chain the NSEC3PARAM names: the others never reach a
    validator, wherever their hashes fall."""
    zone = build_zone("child.test.", nsec3="1 0 0 -")
    owners = ["0" * 32, "8" * 32, "g" * 32, "o" * 32, "v" * 32]
    for owner in owners:
        rdata = dns.rdata.from_text("IN", "NSEC3", f"1 0 10 AABB {owner} A")
        zone.zone.replace_rdataset(name(owner), dns.rdataset.from_rdata(3600, rdata))
    responder = Responder(zone.zone)

    assert served_nsec3_params(zone.zone) == Nsec3Params(1, 0, b"")
    for qname, rdtype in [(PROBE, dns.rdatatype.A), (CHILD, dns.rdatatype.MX),
                          (name("x.www"), dns.rdatatype.A), (name("nope"), dns.rdatatype.TXT)]:
        response = responder.respond(qname, rdtype)
        nsec3 = [r for r in response.authority if r.rdtype == dns.rdatatype.NSEC3]
        assert nsec3, qname
        assert all(r.iterations == 0 and r.salt == b"" for rrset in nsec3 for r in rrset)
    # a hashed owner is no name: asked for, it does not exist
    assert responder.respond(name("8" * 32), dns.rdatatype.A).rcode() == dns.rcode.NXDOMAIN


def test_without_an_nsec3param_an_nsec_zone_answers_with_nsec():
    zone = build_zone("child.test.")
    rdata = dns.rdata.from_text("IN", "NSEC3", f"1 0 0 - {'0' * 32} A")
    zone.zone.replace_rdataset(name("0" * 32), dns.rdataset.from_rdata(3600, rdata))
    response = Responder(zone.zone).respond(PROBE, dns.rdatatype.A)

    assert served_nsec3_params(zone.zone) is None
    assert {r.rdtype for r in response.authority} == {dns.rdatatype.SOA, dns.rdatatype.NSEC,
                                                      dns.rdatatype.RRSIG}


def test_negative_answers_carry_the_soa_for_its_minimum_ttl():
    zone = build_zone("child.test.")  # SOA TTL 3600, MINIMUM 300
    response = Responder(zone.zone).respond(PROBE, dns.rdatatype.A)
    soa = [r for r in response.authority if dns.rdatatype.SOA in (r.rdtype, r.covers)]
    assert [r.ttl for r in soa] == [300, 300]
