"""NSEC3 proofs on RFC 5155's own examples: the Appendix A zone and its hashes, the Appendix B
answers (B.1 to B.5), and malformed variants of each that a validator rejects.

The zone, the hash values and the NSEC3 chain are transcribed from RFC 5155 Appendices A and
B (signatures left out: they are verified elsewhere). The hashes are recomputed with
dnspython and the chain is rebuilt from the zone's names, so the transcription is checked too.
"""

from __future__ import annotations

import time

import dns.dnssec
import dns.name
import dns.rdatatype
import dns.rrset
import dns.zone
import pytest

from dnssec_conformance.dnssec import nsec3
from dnssec_conformance.dnssec.nsec import ProofStatus

N = dns.name.from_text
APEX = N("example.")
SALT, ITERATIONS = "aabbccdd", 12

# RFC 5155 Appendix A, without the DNSKEY, RRSIG and NSEC3 records.
APPENDIX_A_ZONE = """
example.       3600 IN SOA ns1.example. bugs.x.w.example. 1 3600 300 3600000 3600
example.       3600 IN NS ns1.example.
example.       3600 IN NS ns2.example.
example.       3600 IN MX 1 xx.example.
example.       3600 IN NSEC3PARAM 1 0 12 aabbccdd
2t7b4g4vsa5smi47k61mv5bv1a22bojr.example. 3600 IN A 192.0.2.127
a.example.     3600 IN NS ns1.a.example.
a.example.     3600 IN NS ns2.a.example.
a.example.     3600 IN DS 58470 5 1 3079F1593EBAD6DC121E202A8B766A6A4837206C
ns1.a.example. 3600 IN A 192.0.2.5
ns2.a.example. 3600 IN A 192.0.2.6
ai.example.    3600 IN A 192.0.2.9
ai.example.    3600 IN HINFO "KLH-10" "ITS"
ai.example.    3600 IN AAAA 2001:db8::f00:baa9
c.example.     3600 IN NS ns1.c.example.
c.example.     3600 IN NS ns2.c.example.
ns1.c.example. 3600 IN A 192.0.2.7
ns2.c.example. 3600 IN A 192.0.2.8
ns1.example.   3600 IN A 192.0.2.1
ns2.example.   3600 IN A 192.0.2.2
*.w.example.   3600 IN MX 1 ai.example.
x.w.example.   3600 IN MX 1 xx.example.
x.y.w.example. 3600 IN MX 1 xx.example.
xx.example.    3600 IN A 192.0.2.10
xx.example.    3600 IN HINFO "KLH-10" "TOPS-20"
xx.example.    3600 IN AAAA 2001:db8::f00:baaa
"""

# RFC 5155 Appendix A's "H(name)" list, and the hashes Appendix B works out.
RFC_HASHES = {
    "example.": "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom",
    "a.example.": "35mthgpgcu1qg68fab165klnsnk3dpvl",
    "ai.example.": "gjeqe526plbf1g8mklp59enfd789njgi",
    "ns1.example.": "2t7b4g4vsa5smi47k61mv5bv1a22bojr",
    "ns2.example.": "q04jkcevqvmu85r014c7dkba38o0ji5r",
    "w.example.": "k8udemvp1j2f7eg6jebps17vp3n8i58h",
    "*.w.example.": "r53bq7cc2uvmubfu5ocmm6pers9tk9en",
    "x.w.example.": "b4um86eghhds6nea196smvmlo4ors995",
    "y.w.example.": "ji6neoaepv8b5o6k4ev33abha8ht9fgc",
    "x.y.w.example.": "2vptu5timamqttgl4luu9kg21e0aor3s",
    "xx.example.": "t644ebqk9bibcna874givr6joj62mlhv",
    "2t7b4g4vsa5smi47k61mv5bv1a22bojr.example.": "kohar7mbb8dc2ce8a9qvl8hon4k53uhi",
    "c.x.w.example.": "0va5bpr2ou0vk0lbqeeljri88laipsfh",  # B.1, the next closer name
    "*.x.w.example.": "92pqneegtaue7pjatc3l3qnk738c6v5m",  # B.1, the wildcard
    "c.example.": "4g6p9u5gvfshp30pqecj98b3maqbn1ck",  # B.3, the opt-out delegation
    "z.w.example.": "qlu7gtfaeh0ek0c05ksfhdpbcgglbe03",  # B.4 and B.5, the next closer
}

# RFC 5155 Appendix A: the NSEC3 chain (every record "1 1 12 aabbccdd": opt-out set).
APPENDIX_A_NSEC3 = {
    "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom": ("2t7b4g4vsa5smi47k61mv5bv1a22bojr",
                                         "MX DNSKEY NS SOA NSEC3PARAM RRSIG"),
    "2t7b4g4vsa5smi47k61mv5bv1a22bojr": ("2vptu5timamqttgl4luu9kg21e0aor3s", "A RRSIG"),
    "2vptu5timamqttgl4luu9kg21e0aor3s": ("35mthgpgcu1qg68fab165klnsnk3dpvl", "MX RRSIG"),
    "35mthgpgcu1qg68fab165klnsnk3dpvl": ("b4um86eghhds6nea196smvmlo4ors995", "NS DS RRSIG"),
    "b4um86eghhds6nea196smvmlo4ors995": ("gjeqe526plbf1g8mklp59enfd789njgi", "MX RRSIG"),
    "gjeqe526plbf1g8mklp59enfd789njgi": ("ji6neoaepv8b5o6k4ev33abha8ht9fgc",
                                         "A HINFO AAAA RRSIG"),
    "ji6neoaepv8b5o6k4ev33abha8ht9fgc": ("k8udemvp1j2f7eg6jebps17vp3n8i58h", ""),
    "k8udemvp1j2f7eg6jebps17vp3n8i58h": ("kohar7mbb8dc2ce8a9qvl8hon4k53uhi", ""),
    "kohar7mbb8dc2ce8a9qvl8hon4k53uhi": ("q04jkcevqvmu85r014c7dkba38o0ji5r", "A RRSIG"),
    "q04jkcevqvmu85r014c7dkba38o0ji5r": ("r53bq7cc2uvmubfu5ocmm6pers9tk9en", "A RRSIG"),
    "r53bq7cc2uvmubfu5ocmm6pers9tk9en": ("t644ebqk9bibcna874givr6joj62mlhv", "MX RRSIG"),
    "t644ebqk9bibcna874givr6joj62mlhv": ("0p9mhaveqvm6t7vbl5lop2u3t2rp3tom",
                                         "A HINFO AAAA RRSIG"),
}


def h(name: str) -> str:
    return RFC_HASHES[name]


def record(owner_hash: str, *, next_hash: str | None = None, types: str | None = None,
           flags: int = 1, iterations: int = ITERATIONS, algorithm: int = 1,
           salt: str = SALT) -> dns.rrset.RRset:
    """The Appendix A NSEC3 owned by `owner_hash`, or a variant of it."""
    rfc_next, rfc_types = APPENDIX_A_NSEC3[owner_hash]
    text = (f"{algorithm} {flags} {iterations} {salt} {next_hash or rfc_next} "
            f"{rfc_types if types is None else types}")
    return dns.rrset.from_text(f"{owner_hash}.example.", 3600, "IN", "NSEC3", text)


@pytest.mark.parametrize(("name", "expected"), sorted(RFC_HASHES.items()))
def test_dnspython_hashes_equal_the_rfc(name, expected):
    assert dns.dnssec.nsec3_hash(name, SALT, ITERATIONS, 1).lower() == expected
    params = nsec3.Nsec3Params(1, ITERATIONS, bytes.fromhex(SALT))
    assert nsec3.hash_text(nsec3.nsec3_hash(N(name), params)) == expected


def test_hashing_folds_case():
    params = nsec3.Nsec3Params(1, ITERATIONS, bytes.fromhex(SALT))
    assert nsec3.hash_text(nsec3.nsec3_hash(N("X.W.Example."), params)) == h("x.w.example.")


def test_the_rfc_chain_is_the_zone_hashed():
    """Every authoritative name and empty non-terminal, less the opt-out delegation c.example.
    and the glue, hashed and sorted: the chain Appendix A prints, bitmaps included."""
    zone = dns.zone.from_text(APPENDIX_A_ZONE, origin="example.", relativize=False)
    below_cuts = {N(n) for n in ("ns1.a.example.", "ns2.a.example.", "ns1.c.example.",
                                 "ns2.c.example.")}
    names = [n for n in zone.nodes if n not in below_cuts and n != N("c.example.")]
    names += [N("w.example."), N("y.w.example.")]  # empty non-terminals
    bitmaps = {}
    for name in names:
        node = zone.get_node(name)
        types = {dns.rdatatype.to_text(r.rdtype) for r in node.rdatasets} if node else set()
        if types:
            types |= {"RRSIG"} | ({"DNSKEY"} if name == APEX else set())
        digest = dns.dnssec.nsec3_hash(name, SALT, ITERATIONS, 1).lower()
        bitmaps[digest] = types
    owners = sorted(bitmaps)
    assert owners == list(APPENDIX_A_NSEC3)
    for index, owner in enumerate(owners):
        next_hash, types = APPENDIX_A_NSEC3[owner]
        assert next_hash == owners[(index + 1) % len(owners)]
        assert set(types.split()) == bitmaps[owner]


def b1_records() -> list[dns.rrset.RRset]:
    return [record(h("example.")), record(h("x.w.example.")), record(h("a.example."))]


def test_b1_name_error():
    """RFC 5155 B.1: a.c.x.w.example. is NXDOMAIN. x.w.example. is the closest encloser
    (b4um... matches it), 0p9m... covers the next closer c.x.w.example., 35mt... covers
    the wildcard *.x.w.example. Every NSEC3 of the example has the opt-out flag, so a
    validator calls this proof insecure; without the flag it is secure."""
    proof = nsec3.prove_nxdomain(N("a.c.x.w.example."), APEX, b1_records())
    assert proof.status is ProofStatus.OPT_OUT and proof.proven, proof.describe()
    assert proof.closest_encloser == N("x.w.example.")
    steps = "\n".join(proof.steps)
    assert f"matches the closest encloser x.w.example. (hash {h('x.w.example.')})" in steps
    assert f"covers the next closer name c.x.w.example. (hash {h('c.x.w.example.')})" in steps
    assert f"covers the wildcard *.x.w.example. (hash {h('*.x.w.example.')})" in steps
    secure = [record(h(n), flags=0) for n in ("example.", "x.w.example.", "a.example.")]
    assert nsec3.prove_nxdomain(N("a.c.x.w.example."), APEX, secure).status \
        is ProofStatus.PROVEN


@pytest.mark.parametrize(("drop", "message"), [
    # Without the closest encloser's record, example. becomes the only provable encloser and
    # its next closer, w.example., is covered by nothing in the answer.
    ("x.w.example.", f"no NSEC3 record covers the next closer name w.example. "
                     f"(hash {RFC_HASHES['w.example.']})"),
    ("example.", f"no NSEC3 record covers the next closer name c.x.w.example. "
                 f"(hash {RFC_HASHES['c.x.w.example.']})"),
    ("a.example.", f"no NSEC3 record covers the wildcard *.x.w.example. "
                   f"(hash {RFC_HASHES['*.x.w.example.']})"),
])
def test_b1_with_a_record_removed_is_rejected(drop, message):
    records = [r for r in b1_records() if r.name != N(f"{h(drop)}.example.")]
    proof = nsec3.prove_nxdomain(N("a.c.x.w.example."), APEX, records)
    assert proof.status is ProofStatus.NOT_PROVEN
    assert message in proof.reason


def test_b1_with_the_next_hashed_owner_shortened_is_rejected():
    # 0p9m... now ends just before H(c.x.w.example.) = 0va5...sfh.
    short = record(h("example."), next_hash="0va5bpr2ou0vk0lbqeeljri88laipsfg")
    proof = nsec3.prove_nxdomain(N("a.c.x.w.example."), APEX,
                                 [short, record(h("x.w.example.")), record(h("a.example."))])
    assert proof.status is ProofStatus.NOT_PROVEN
    assert (f"no NSEC3 record covers the next closer name c.x.w.example. "
            f"(hash {h('c.x.w.example.')}); the nearest, {h('example.')}.example. NSEC3 "
            "0va5bpr2ou0vk0lbqeeljri88laipsfg") in proof.reason
    assert "ends before it" in proof.reason


def test_b1_with_a_truncated_next_hashed_owner_is_rejected():
    truncated = record(h("example."), next_hash="2t7b4g4vsa5smi47k61mv5bv")  # 15 octets
    proof = nsec3.prove_nxdomain(N("a.c.x.w.example."), APEX,
                                 [truncated, record(h("x.w.example.")), record(h("a.example."))])
    assert proof.status is ProofStatus.NOT_PROVEN
    assert "the next hashed owner is 15 octets, not 20: ignored" in proof.reason


def test_nxdomain_for_a_name_whose_hash_matches_is_rejected():
    proof = nsec3.prove_nxdomain(N("x.w.example."), APEX, [record(h("x.w.example."))])
    assert f"matches x.w.example. (hash {h('x.w.example.')}): the name exists" in proof.reason


def test_a_delegation_cannot_be_the_closest_encloser():
    # RFC 5155 §8.3: 35mt... is a.example., a zone cut (NS DS): it proves nothing below it.
    proof = nsec3.prove_nxdomain(N("foo.a.example."), APEX,
                                 [record(h("a.example.")), record(h("example."))])
    assert "which is a delegation point: it cannot be the closest encloser" in proof.reason


def test_b2_no_data():
    """RFC 5155 B.2: ns1.example. MX; 2t7b... matches it and has A RRSIG only."""
    proof = nsec3.prove_nodata(N("ns1.example."), dns.rdatatype.MX, APEX,
                               [record(h("ns1.example."))])
    assert proof.status is ProofStatus.PROVEN, proof.describe()


@pytest.mark.parametrize(("records", "message"), [
    ([lambda: record(h("ns1.example."), types="A MX RRSIG")],
     f"the type bitmap of {RFC_HASHES['ns1.example.']}.example. NSEC3 "
     f"2vptu5timamqttgl4luu9kg21e0aor3s (A MX RRSIG, opt-out) has MX"),
    ([lambda: record(h("ns1.example."), types="A CNAME RRSIG")], "has CNAME"),
    ([], "no usable NSEC3 record in the answer"),
    ([lambda: record(h("example."))],
     f"no NSEC3 record matches ns1.example. (hash {RFC_HASHES['ns1.example.']})"),
])
def test_b2_malformed_variants_are_rejected(records, message):
    proof = nsec3.prove_nodata(N("ns1.example."), dns.rdatatype.MX, APEX,
                               [make() for make in records])
    assert proof.status is ProofStatus.NOT_PROVEN
    assert message in proof.reason


def test_b2_1_no_data_at_an_empty_non_terminal():
    """RFC 5155 B.2.1: y.w.example. A; ji6n... matches the empty non-terminal, empty bitmap."""
    proof = nsec3.prove_nodata(N("y.w.example."), dns.rdatatype.A, APEX,
                               [record(h("y.w.example."))])
    assert proof.status is ProofStatus.PROVEN, proof.describe()
    flipped = nsec3.prove_nodata(N("y.w.example."), dns.rdatatype.A, APEX,
                                 [record(h("y.w.example."), types="A")])
    assert "has A: it says y.w.example. has A records" in flipped.reason
    # The record before it covers its hash instead: that would say it does not exist.
    covering = nsec3.prove_nodata(N("y.w.example."), dns.rdatatype.A, APEX,
                                  [record(h("ai.example."), next_hash=h("w.example."))])
    assert "covers that hash, which says the name does not exist at all" in covering.reason


def b3_records(**variant: object) -> list[dns.rrset.RRset]:
    return [record(h("example.")), record(h("a.example."), **variant)]  # type: ignore[arg-type]


def test_b3_referral_to_an_opt_out_unsigned_zone():
    """RFC 5155 B.3: mc.c.example. MX is a referral to c.example., an unsigned delegation
    with no NSEC3 of its own: example. is the closest provable encloser, and 35mt..., with
    the opt-out flag, covers the next closer c.example."""
    proof = nsec3.prove_unsigned_delegation(N("c.example."), APEX, b3_records())
    assert proof.status is ProofStatus.OPT_OUT and proof.proven, proof.describe()
    assert proof.closest_encloser == APEX
    assert any(f"covers the next closer name c.example. (hash {h('c.example.')})" in s
               for s in proof.steps)
    # The same records deny the DS at c.example. (RFC 5155 §8.6).
    ds = nsec3.prove_nodata(N("c.example."), dns.rdatatype.DS, APEX, b3_records())
    assert ds.status is ProofStatus.OPT_OUT


def test_b3_with_the_opt_out_flag_cleared_is_rejected():
    proof = nsec3.prove_unsigned_delegation(N("c.example."), APEX, b3_records(flags=0))
    assert proof.status is ProofStatus.NOT_PROVEN
    assert ("covers the next closer name c.example. without the opt-out flag: no unsigned "
            "delegation can be there") in proof.reason
    ds = nsec3.prove_nodata(N("c.example."), dns.rdatatype.DS, APEX, b3_records(flags=0))
    assert "without the opt-out flag" in ds.reason


def test_b3_without_the_covering_record_is_rejected():
    proof = nsec3.prove_unsigned_delegation(N("c.example."), APEX, [record(h("example."))])
    assert (f"no NSEC3 record covers the next closer name c.example. "
            f"(hash {h('c.example.')})") in proof.reason


def test_a_signed_delegation_is_not_an_unsigned_one():
    proof = nsec3.prove_unsigned_delegation(N("a.example."), APEX, [record(h("a.example."))])
    assert "has DS: the delegation is signed" in proof.reason


def test_b4_wildcard_expansion():
    """RFC 5155 B.4: a.z.w.example. MX from *.w.example. (RRSIG labels 2); q04j... covers the
    next closer z.w.example."""
    proof = nsec3.prove_wildcard_answer(N("a.z.w.example."), 2, APEX,
                                        [record(h("ns2.example."))])
    assert proof.proven, proof.describe()
    assert proof.closest_encloser == N("w.example.")
    assert f"covers the next closer name z.w.example. (hash {h('z.w.example.')})" \
        in proof.steps[0]


@pytest.mark.parametrize(("records", "message"), [
    ([], "no usable NSEC3 record in the answer"),
    ([lambda: record(h("ns2.example."), next_hash="qlu7gtfaeh0ek0c05ksfhdpbcgglbe02")],
     f"no NSEC3 record covers the next closer name z.w.example. "
     f"(hash {RFC_HASHES['z.w.example.']})"),
    ([lambda: record(h("w.example."))], "no NSEC3 record covers the next closer name"),
])
def test_b4_malformed_variants_are_rejected(records, message):
    proof = nsec3.prove_wildcard_answer(N("a.z.w.example."), 2, APEX,
                                        [make() for make in records])
    assert proof.status is ProofStatus.NOT_PROVEN
    assert message in proof.reason


def b5_records(**wildcard_variant: object) -> list[dns.rrset.RRset]:
    return [record(h("w.example.")), record(h("ns2.example.")),
            record(h("*.w.example."), **wildcard_variant)]  # type: ignore[arg-type]


def test_b5_wildcard_no_data():
    """RFC 5155 B.5: a.z.w.example. AAAA. k8ud... matches the closest encloser w.example.,
    q04j... covers the next closer z.w.example., r53b... matches *.w.example. (MX only)."""
    proof = nsec3.prove_wildcard_nodata(N("a.z.w.example."), dns.rdatatype.AAAA, APEX,
                                        b5_records())
    assert proof.proven, proof.describe()
    assert proof.closest_encloser == N("w.example.")
    assert nsec3.claimed_wildcard(N("a.z.w.example."), APEX, b5_records()) \
        == N("*.w.example.")


def test_b5_malformed_variants_are_rejected():
    flipped = nsec3.prove_wildcard_nodata(N("a.z.w.example."), dns.rdatatype.AAAA, APEX,
                                          b5_records(types="MX AAAA RRSIG"))
    assert (f"the type bitmap of {h('*.w.example.')}.example. NSEC3 "
            f"{APPENDIX_A_NSEC3[h('*.w.example.')][0]} (MX AAAA RRSIG, opt-out) has AAAA") \
        in flipped.reason
    missing = nsec3.prove_wildcard_nodata(N("a.z.w.example."), dns.rdatatype.AAAA, APEX,
                                          b5_records()[:2])
    assert (f"no NSEC3 record matches the wildcard *.w.example. (hash {h('*.w.example.')}) at "
            "the closest encloser w.example.") in missing.reason


def test_records_a_validator_ignores_are_not_used():
    unknown_flags = nsec3.prove_nodata(N("ns1.example."), dns.rdatatype.MX, APEX,
                                       [record(h("ns1.example."), flags=3)])
    assert "has unknown flags 3: validators ignore it" in unknown_flags.reason
    too_deep = dns.rrset.from_text(f"{h('ns1.example.')}.w.example.", 3600, "IN", "NSEC3",
                                   f"1 0 12 {SALT} {h('ns2.example.')} A RRSIG")
    proof = nsec3.prove_nodata(N("ns1.example."), dns.rdatatype.MX, APEX, [too_deep])
    assert "is not directly below the zone apex example.: ignored" in proof.reason


def test_an_unknown_hash_algorithm_leaves_nothing_to_prove_with():
    proof = nsec3.prove_nodata(N("ns1.example."), dns.rdatatype.MX, APEX,
                               [record(h("ns1.example."), algorithm=2)])
    assert proof.status is ProofStatus.NOT_PROVEN
    assert "NSEC3 hash algorithm 2 is unknown" in proof.reason


def test_absurd_iterations_are_refused_without_hashing(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("hashed despite the iteration ceiling")

    monkeypatch.setattr(dns.dnssec, "nsec3_hash", forbidden)
    records = [record(h(n), iterations=65535) for n in ("example.", "x.w.example.",
                                                         "a.example.")]
    started = time.monotonic()
    proof = nsec3.prove_nxdomain(N("a.c.x.w.example."), APEX, records)
    assert time.monotonic() - started < 1
    assert proof.status is ProofStatus.UNCHECKED
    assert "NSEC3 iterations 65535 exceed 2500, RFC 5155 §10.3's maximum: not hashed" \
        in proof.reason
    assert nsec3.claimed_wildcard(N("a.c.x.w.example."), APEX, records) is None


def test_the_iteration_ceiling_itself_is_hashed():
    params = nsec3.Nsec3Params(1, nsec3.MAX_ITERATIONS, b"")
    assert nsec3.hash_refusal(params) is None
    assert len(nsec3.nsec3_hash(APEX, params)) == 20
    with pytest.raises(ValueError, match="exceed 2500"):
        nsec3.nsec3_hash(APEX, nsec3.Nsec3Params(1, nsec3.MAX_ITERATIONS + 1, b""))


def test_the_last_nsec3_wraps_around():
    last = nsec3.nsec3_records([record(h("xx.example."))])[0]
    assert last.covers(nsec3.hash_of_label(b"v0000000000000000000000000000000") or b"")
    assert last.covers(nsec3.hash_of_label(b"00000000000000000000000000000000") or b"")
    assert not last.covers(nsec3.hash_of_label(h("ai.example.").encode()) or b"")


def test_an_nsec3_record_owned_by_the_root_is_ignored_not_a_crash():
    """A hostile answer (found by the fuzzing): an NSEC3 record whose owner is the root."""
    rrset = dns.rrset.from_text(".", 3600, "IN", "NSEC3",
                                "1 0 0 - 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR A RRSIG")
    proof = nsec3.prove_nxdomain(dns.name.from_text("a.example."),
                                 dns.name.from_text("example."), [rrset])
    assert not proof.proven
