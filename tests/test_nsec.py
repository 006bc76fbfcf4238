"""NSEC proofs on RFC 4035's own examples: the Appendix A zone, the Appendix B answers, and
malformed variants of each that a validator rejects.

The zone and the NSEC chain are transcribed from RFC 4035 Appendix A (signatures left out:
signatures are verified elsewhere, the proof logic is what is tested here).
"""

from __future__ import annotations

import random

import dns.name
import dns.rdatatype
import dns.rrset
import dns.zone
import pytest

from dnssec_conformance.dnssec import nsec
from dnssec_conformance.dnssec.nsec import ProofStatus

N = dns.name.from_text
APEX = N("example.")

# RFC 4035 Appendix A, without the DNSKEY, RRSIG and NSEC records.
APPENDIX_A_ZONE = """
example.       3600 IN SOA ns1.example. bugs.x.w.example. 1081539377 3600 300 3600000 3600
example.       3600 IN NS ns1.example.
example.       3600 IN NS ns2.example.
example.       3600 IN MX 1 xx.example.
a.example.     3600 IN NS ns1.a.example.
a.example.     3600 IN NS ns2.a.example.
a.example.     3600 IN DS 57855 5 1 B6DCD485719ADCA18E5F3D48A2331627FDD3636B
ns1.a.example. 3600 IN A 192.0.2.5
ns2.a.example. 3600 IN A 192.0.2.6
ai.example.    3600 IN A 192.0.2.9
ai.example.    3600 IN HINFO "KLH-10" "ITS"
ai.example.    3600 IN AAAA 2001:db8::f00:baa9
b.example.     3600 IN NS ns1.b.example.
b.example.     3600 IN NS ns2.b.example.
ns1.b.example. 3600 IN A 192.0.2.7
ns2.b.example. 3600 IN A 192.0.2.8
ns1.example.   3600 IN A 192.0.2.1
ns2.example.   3600 IN A 192.0.2.2
*.w.example.   3600 IN MX 1 ai.example.
x.w.example.   3600 IN MX 1 xx.example.
x.y.w.example. 3600 IN MX 1 xx.example.
xx.example.    3600 IN A 192.0.2.10
xx.example.    3600 IN HINFO "KLH-10" "TOPS-20"
xx.example.    3600 IN AAAA 2001:db8::f00:baaa
"""

# RFC 4035 Appendix A: the zone's NSEC chain, in the RFC's order.
APPENDIX_A_NSEC = [
    ("example.", "a.example.", "NS SOA MX RRSIG NSEC DNSKEY"),
    ("a.example.", "ai.example.", "NS DS RRSIG NSEC"),
    ("ai.example.", "b.example.", "A HINFO AAAA RRSIG NSEC"),
    ("b.example.", "ns1.example.", "NS RRSIG NSEC"),
    ("ns1.example.", "ns2.example.", "A RRSIG NSEC"),
    ("ns2.example.", "*.w.example.", "A RRSIG NSEC"),
    ("*.w.example.", "x.w.example.", "MX RRSIG NSEC"),
    ("x.w.example.", "x.y.w.example.", "MX RRSIG NSEC"),
    ("x.y.w.example.", "xx.example.", "MX RRSIG NSEC"),
    ("xx.example.", "example.", "A HINFO AAAA RRSIG NSEC"),
]


def record(owner: str, next_name: str | None = None, types: str | None = None
           ) -> dns.rrset.RRset:
    """The Appendix A NSEC at `owner`, or a variant with another next name or bitmap."""
    entry = next(e for e in APPENDIX_A_NSEC if e[0] == owner)
    next_name = entry[1] if next_name is None else next_name
    types = entry[2] if types is None else types
    return dns.rrset.from_text(owner, 3600, "IN", "NSEC", f"{next_name} {types}")


def test_dnspython_name_order_is_canonical_dns_order():
    # RFC 4034 §6.1's own example, shuffled then sorted.
    ordered = [N(t) for t in ("example.", "a.example.", "yljkjljk.a.example.", "Z.a.example.",
                              "zABC.a.EXAMPLE.", "z.example.", "\\001.z.example.",
                              "*.z.example.", "\\200.z.example.")]
    shuffled = ordered[:]
    random.Random(4034).shuffle(shuffled)
    assert sorted(shuffled) == ordered
    assert N("Z.A.Example.") == N("z.a.example.")


def test_the_rfc_chain_is_the_canonical_order_of_the_zone_names():
    zone = dns.zone.from_text(APPENDIX_A_ZONE, origin="example.", relativize=False)
    glue = {N(n) for n in ("ns1.a.example.", "ns2.a.example.", "ns1.b.example.",
                           "ns2.b.example.")}
    owners = sorted(n for n in zone.nodes if n not in glue)
    assert [str(n) for n in owners] == [e[0] for e in APPENDIX_A_NSEC]
    for index, (owner, next_name, types) in enumerate(APPENDIX_A_NSEC):
        assert str(owners[(index + 1) % len(owners)]) == next_name
        present = {dns.rdatatype.to_text(r.rdtype) for r in zone.get_node(N(owner)).rdatasets}
        signer_added = {"RRSIG", "NSEC"} | ({"DNSKEY"} if owner == "example." else set())
        assert set(types.split()) == present | signer_added


def test_b2_name_error():
    """RFC 4035 B.2: ml.example. A is NXDOMAIN; b.example. NSEC covers the name, example.
    NSEC covers the wildcard *.example."""
    proof = nsec.prove_nxdomain(N("ml.example."), APEX,
                                [record("b.example."), record("example.")])
    assert proof.status is ProofStatus.PROVEN, proof.describe()
    assert proof.closest_encloser == APEX
    assert any("covers the name ml.example." in s for s in proof.steps)
    assert any("covers the wildcard *.example." in s for s in proof.steps)


@pytest.mark.parametrize(("records", "message"), [
    ([lambda: record("example.")],
     "no NSEC record covers the name ml.example."),
    ([lambda: record("b.example.")],
     "no NSEC record covers the wildcard *.example."),
    # The next name shortened: the span now ends before the name.
    ([lambda: record("b.example.", "mk.example."), lambda: record("example.")],
     "no NSEC record covers the name ml.example. (the nearest, b.example. NSEC mk.example."),
    # A chain whose previous record does not reach the name either.
    ([lambda: record("ai.example."), lambda: record("example.")],
     "no NSEC record covers the name ml.example. (the nearest, ai.example. NSEC b.example."),
])
def test_b2_malformed_variants_are_rejected(records, message):
    proof = nsec.prove_nxdomain(N("ml.example."), APEX, [make() for make in records])
    assert proof.status is ProofStatus.NOT_PROVEN
    assert message in proof.reason


def test_b2_without_any_nsec():
    proof = nsec.prove_nxdomain(N("ml.example."), APEX, [])
    assert proof.status is ProofStatus.NOT_PROVEN
    assert proof.reason == "no NSEC record in the answer"


def test_nxdomain_for_a_name_that_has_an_nsec_is_rejected():
    proof = nsec.prove_nxdomain(N("ns1.example."), APEX, [record("ns1.example.")])
    assert "proves that the name ns1.example. exists" in proof.reason


def test_nxdomain_for_an_empty_non_terminal_is_rejected():
    # w.example. has no records but *.w.example. is below it: it exists.
    proof = nsec.prove_nxdomain(N("w.example."), APEX, [record("ns2.example."),
                                                        record("example.")])
    assert "w.example. is then an empty non-terminal, which exists" in proof.reason


def test_a_delegation_point_cannot_deny_names_below_it():
    # RFC 6840 §4.1: b.example. NSEC ns1.example. spans x.b.example. in canonical order,
    # but b.example. is a zone cut: names below it are the child's.
    proof = nsec.prove_nxdomain(N("x.b.example."), APEX, [record("b.example."),
                                                          record("example.")])
    assert proof.status is ProofStatus.NOT_PROVEN
    assert "is a delegation point: it cannot deny names below its owner" in proof.reason


def test_b3_no_data():
    """RFC 4035 B.3: ns1.example. MX; the NSEC at ns1.example. has no MX."""
    proof = nsec.prove_nodata(N("ns1.example."), dns.rdatatype.MX, APEX,
                              [record("ns1.example.")])
    assert proof.status is ProofStatus.PROVEN, proof.describe()


@pytest.mark.parametrize(("variant", "message"), [
    (lambda: record("ns1.example.", types="A MX RRSIG NSEC"),
     "the type bitmap of ns1.example. NSEC ns2.example. (A MX RRSIG NSEC) has MX"),
    (lambda: record("ns1.example.", types="A CNAME RRSIG NSEC"),
     "has CNAME: ns1.example. is an alias"),
    (lambda: record("ns2.example."), "no NSEC record matches ns1.example."),
    # A chain without ns1.example.: the record spanning it says it does not exist at all.
    (lambda: record("b.example.", "ns2.example."),
     "no NSEC record matches ns1.example.; b.example. NSEC ns2.example. (NS RRSIG NSEC) "
     "covers it, which says the name does not exist at all"),
])
def test_b3_malformed_variants_are_rejected(variant, message):
    proof = nsec.prove_nodata(N("ns1.example."), dns.rdatatype.MX, APEX, [variant()])
    assert proof.status is ProofStatus.NOT_PROVEN
    assert message in proof.reason


def test_no_data_at_an_empty_non_terminal():
    proof = nsec.prove_nodata(N("w.example."), dns.rdatatype.A, APEX, [record("ns2.example.")])
    assert proof.status is ProofStatus.PROVEN
    assert "empty non-terminal" in proof.steps[0]


def test_ds_denial_needs_the_parent_side_nsec():
    parent_side = nsec.prove_nodata(N("b.example."), dns.rdatatype.DS, APEX,
                                    [record("b.example.")])
    assert parent_side.status is ProofStatus.PROVEN
    child_apex = dns.rrset.from_text("b.example.", 3600, "IN", "NSEC",
                                     "ns1.b.example. NS SOA RRSIG NSEC DNSKEY")
    proof = nsec.prove_nodata(N("b.example."), dns.rdatatype.DS, APEX, [child_apex])
    assert "is the child zone's apex record" in proof.reason


def test_b6_wildcard_expansion():
    """RFC 4035 B.6: a.z.w.example. MX answered from *.w.example. (RRSIG labels 2); the NSEC
    x.y.w.example. NSEC xx.example. proves no closer name exists."""
    proof = nsec.prove_wildcard_answer(N("a.z.w.example."), 2, APEX, [record("x.y.w.example.")])
    assert proof.status is ProofStatus.PROVEN, proof.describe()
    assert proof.closest_encloser == N("w.example.")


@pytest.mark.parametrize(("records", "message"), [
    ([], "no NSEC record in the answer"),
    ([lambda: record("x.w.example.")], "no NSEC record covers the name a.z.w.example."),
    # A closer name, z.w.example., exists: the wildcard should not have answered.
    ([lambda: dns.rrset.from_text("z.w.example.", 3600, "IN", "NSEC",
                                  "xx.example. MX RRSIG NSEC")],
     "makes z.w.example. the closest encloser of a.z.w.example., not the wildcard's parent "
     "w.example."),
])
def test_b6_malformed_variants_are_rejected(records, message):
    proof = nsec.prove_wildcard_answer(N("a.z.w.example."), 2, APEX,
                                       [make() for make in records])
    assert proof.status is ProofStatus.NOT_PROVEN
    assert message in proof.reason


def test_b7_wildcard_no_data():
    """RFC 4035 B.7: a.z.w.example. AAAA; x.y.w.example. NSEC covers the name, the NSEC of
    *.w.example. has no AAAA."""
    proof = nsec.prove_wildcard_nodata(N("a.z.w.example."), dns.rdatatype.AAAA, APEX,
                                       [record("x.y.w.example."), record("*.w.example.")])
    assert proof.status is ProofStatus.PROVEN, proof.describe()
    assert nsec.claimed_wildcard(N("a.z.w.example."), APEX,
                                 [record("*.w.example.")]) == N("*.w.example.")


@pytest.mark.parametrize(("records", "message"), [
    ([lambda: record("x.y.w.example."), lambda: record("*.w.example.", types="MX AAAA RRSIG")],
     "the type bitmap of *.w.example. NSEC x.w.example. (MX AAAA RRSIG) has AAAA"),
    ([lambda: record("x.y.w.example.")],
     "no NSEC record matches the wildcard *.w.example. at the closest encloser w.example."),
    ([lambda: record("*.w.example.")], "no NSEC record covers the name a.z.w.example."),
])
def test_b7_malformed_variants_are_rejected(records, message):
    proof = nsec.prove_wildcard_nodata(N("a.z.w.example."), dns.rdatatype.AAAA, APEX,
                                       [make() for make in records])
    assert proof.status is ProofStatus.NOT_PROVEN
    assert message in proof.reason


def test_nsec_records_outside_the_zone_are_not_used():
    foreign = dns.rrset.from_text("a.other.", 3600, "IN", "NSEC", "z.other. A RRSIG NSEC")
    proof = nsec.prove_nxdomain(N("ml.example."), APEX, [foreign])
    assert proof.status is ProofStatus.NOT_PROVEN


def test_the_last_nsec_wraps_around_to_the_apex():
    last = nsec.nsec_records([record("xx.example.")])[0]
    assert last.covers(N("xy.example.")) and last.covers(N("zz.example."))
    assert not last.covers(N("ai.example.")) and not last.covers(N("xx.example."))
