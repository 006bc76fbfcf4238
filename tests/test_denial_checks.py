"""The denial checks on zones signed in memory, NSEC and NSEC3, answered by the in-process
responder: each scenario says which checks fire, and, implicitly, that no other check of the
catalog does.
"""

from __future__ import annotations

import dataclasses

import dns.dnssec
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import pytest

from dnssec_conformance import catalog
from dnssec_conformance.catalog import zone_checks
from dnssec_conformance.checks import denial
from dnssec_conformance.dnssec.nsec import ProofStatus
from dnssec_conformance.findings import Outcome, Severity
from dnssec_conformance.probe.transport import Exchange

from .inmemory import (
    DAY,
    NOW,
    SERVER,
    SERVER2,
    SignedZone,
    build_zone,
    dead,
    delegate,
    evaluation,
    parent_zone,
    zone_data,
)

FIRING = (Outcome.FAILED, Outcome.WARNING, Outcome.ERROR)
CHILD = dns.name.from_text("child.test.")
PROBE = dns.name.from_text("nonexistent-probe.child.test.")
NSEC3_PLAIN = "1 0 0 -"


def fired(data, ev) -> dict[str, Outcome]:
    outcomes = {c: catalog.run(c, data, ev).outcome for c in zone_checks()}
    return {c: o for c, o in outcomes.items() if o in FIRING}


def scenario(**kwargs) -> tuple[SignedZone, SignedZone]:
    parent = parent_zone()
    child = build_zone("child.test.", **kwargs)
    delegate(parent, child)
    return parent, child


def judged(**kwargs) -> dict[str, Outcome]:
    parent, child = scenario(**kwargs)
    return fired(zone_data(child, parent), evaluation(parent))


def zsk(child: SignedZone):
    return next(k for k in child.keys if not k.dnskey.flags & 1)


def sign(child: SignedZone, rrset: dns.rrset.RRset) -> dns.rrset.RRset:
    key = zsk(child)
    rrsig = dns.dnssec.sign(rrset, key.private, child.origin, key.dnskey,
                            inception=NOW - DAY, expiration=NOW + 30 * DAY,
                            policy=dns.dnssec.allow_all_policy)
    return dns.rrset.from_rdata(rrset.name, rrset.ttl, rrsig)


def replace_rrset(child: SignedZone, owner: dns.name.Name | str, rdtype: str,
                  *rdatas: str) -> None:
    """Replace an RRset of the signed zone and re-sign it (no rdata: delete it)."""
    owner = dns.name.from_text(owner) if isinstance(owner, str) else owner
    node = child.zone.find_node(owner, create=True)
    rdtype_value = dns.rdatatype.from_text(rdtype)
    node.delete_rdataset(dns.rdataclass.IN, rdtype_value)
    node.delete_rdataset(dns.rdataclass.IN, dns.rdatatype.RRSIG, rdtype_value)
    if rdatas:
        rrset = dns.rrset.from_text_list(owner, 300, "IN", rdtype, list(rdatas))
        node.replace_rdataset(rrset.to_rdataset())
        node.replace_rdataset(sign(child, rrset).to_rdataset())


def nsec3_owner(child: SignedZone, name: str) -> dns.name.Name:
    digest = dns.dnssec.nsec3_hash(name, None, 0, 1).lower()
    return dns.name.Name((digest.encode(),)).concatenate(child.origin)


def corrupt_rrsig(child: SignedZone, owner: dns.name.Name, covered: str) -> None:
    rrsigs = child.zone.find_rdataset(owner, "RRSIG", covered)
    for rrsig in list(rrsigs):
        rrsigs.remove(rrsig)
        rrsigs.add(rrsig.replace(signature=bytes(b ^ 0xFF for b in rrsig.signature)))


def with_probe(data, server, *, nonexistent: Exchange | None = None,
               nodata: Exchange | None = None):
    answers = data.answers[server]
    changes = {k: v for k, v in (("nonexistent", nonexistent), ("nodata", nodata)) if v}
    data.answers[server] = dataclasses.replace(answers, **changes)
    data.memo.clear()
    return data


def findings(data, ev, check):
    return catalog.run(check, data, ev).findings


# Good zones -------------------------------------------------------------------------------

@pytest.mark.parametrize("nsec3", [None, NSEC3_PLAIN])
def test_good_zones_pass_every_check_and_prove_both_answers(nsec3):
    parent, child = scenario(nsec3=nsec3)
    data = zone_data(child, parent)
    assert fired(data, evaluation(parent)) == {}
    claims = {v.claim: v.proof.status for v in denial.verdicts(data)}
    assert claims == {"nxdomain": ProofStatus.PROVEN, "nodata": ProofStatus.PROVEN}


def test_two_servers_serving_the_same_nsec3_zone_pass():
    parent, child = scenario(nsec3=NSEC3_PLAIN)
    data = zone_data(child, parent, servers={SERVER: child, SERVER2: child})
    assert fired(data, evaluation(parent)) == {}


# Broken chains ----------------------------------------------------------------------------

def test_a_gap_in_the_nsec_chain():
    parent, child = scenario()
    # The apex NSEC now ends at a.child.test.: nothing covers nonexistent-probe.
    replace_rrset(child, CHILD, "NSEC", "a.child.test. A NS SOA RRSIG NSEC DNSKEY")
    data = zone_data(child, parent)
    ev = evaluation(parent)
    assert fired(data, ev) == {"DENIAL03": Outcome.FAILED}
    [finding] = findings(data, ev, "DENIAL03")
    assert finding.message.startswith(
        f"{PROBE} A: the NXDOMAIN is not proven: no NSEC record covers the name {PROBE} "
        f"(the nearest, {CHILD} NSEC a.child.test.")
    assert finding.server == str(SERVER)
    assert finding.evidence.startswith(";; dig @192.0.2.1")


def test_a_gap_in_the_nsec3_chain():
    parent, child = scenario(nsec3=NSEC3_PLAIN)
    www = nsec3_owner(child, "www.child.test.")
    replace_rrset(child, www, "NSEC3")  # the record spanning the probe's hash is gone
    data = zone_data(child, parent)
    ev = evaluation(parent)
    assert fired(data, ev) == {"DENIAL03": Outcome.FAILED}
    [finding] = findings(data, ev, "DENIAL03")
    probe_hash = dns.dnssec.nsec3_hash(PROBE, None, 0, 1).lower()
    assert (f"no NSEC3 record covers the next closer name {PROBE} (hash {probe_hash})"
            in finding.message)


def test_a_wrong_hash_breaks_both_proofs():
    def signer_bug(name: dns.name.Name) -> str:
        salt = "ff" if name == CHILD else None  # the apex hashed with a stray salt
        return dns.dnssec.nsec3_hash(name, salt, 0, 1)

    parent, child = scenario(nsec3=NSEC3_PLAIN, nsec3_hasher=signer_bug)
    data = zone_data(child, parent)
    ev = evaluation(parent)
    assert fired(data, ev) == {"DENIAL03": Outcome.FAILED, "DENIAL04": Outcome.FAILED}
    apex_hash = dns.dnssec.nsec3_hash(CHILD, None, 0, 1).lower()
    assert (f"no NSEC3 record matches {CHILD} (hash {apex_hash})"
            in findings(data, ev, "DENIAL04")[0].message)
    assert "no closest encloser is proven" in findings(data, ev, "DENIAL03")[0].message


def test_a_type_bit_set_for_a_type_that_is_absent():
    parent, child = scenario()
    replace_rrset(child, CHILD, "NSEC", "www.child.test. A NS SOA RRSIG NSEC DNSKEY TYPE65280")
    data = zone_data(child, parent)
    ev = evaluation(parent)
    assert fired(data, ev) == {"DENIAL04": Outcome.FAILED}
    assert "has TYPE65280" in findings(data, ev, "DENIAL04")[0].message


# NSEC3 parameters -------------------------------------------------------------------------

@pytest.mark.parametrize(("nsec3", "expected"), [
    ("1 0 50 AABBCCDD", Outcome.WARNING),  # the lab's scenario: RFC 9276, not yet fatal
    ("1 0 0 AABBCCDD", Outcome.WARNING),
    ("1 0 51 -", Outcome.FAILED),  # past Knot Resolver's and PowerDNS Recursor's 50
    ("1 0 150 -", Outcome.FAILED),
    ("1 0 30 " + "AB" * 45, Outcome.FAILED),  # Knot Resolver prices a long salt double
])
def test_nsec3_iterations_and_salt(nsec3, expected):
    assert judged(nsec3=nsec3) == {"DENIAL02": expected}


def test_absurd_iterations_are_reported_without_hashing(monkeypatch):
    def unsalted(name: dns.name.Name) -> str:
        return dns.dnssec.nsec3_hash(name, None, 0, 1)

    parent, child = scenario(nsec3="1 0 5000 -", nsec3_hasher=unsalted)
    data = zone_data(child, parent)  # the responder hashes: a real server would
    hash_function = dns.dnssec.nsec3_hash

    def bounded(domain, salt, iterations, algorithm):
        assert iterations <= 2500, "the checks hashed past the ceiling"
        return hash_function(domain, salt, iterations, algorithm)

    monkeypatch.setattr(dns.dnssec, "nsec3_hash", bounded)
    ev = evaluation(parent)
    assert fired(data, ev) == {"DENIAL02": Outcome.FAILED, "DENIAL03": Outcome.ERROR,
                               "DENIAL04": Outcome.ERROR}
    assert "exceed 2500" in findings(data, ev, "DENIAL02")[0].message
    assert "could not check the NXDOMAIN" in findings(data, ev, "DENIAL03")[0].message


def test_an_unknown_nsec3_hash_algorithm():
    def sha1(name: dns.name.Name) -> str:
        return dns.dnssec.nsec3_hash(name, None, 0, 1)

    parent, child = scenario(nsec3="2 0 0 -", nsec3_hasher=sha1)
    data = zone_data(child, parent)
    ev = evaluation(parent)
    assert fired(data, ev) == {"DENIAL02": Outcome.FAILED, "DENIAL03": Outcome.FAILED,
                               "DENIAL04": Outcome.FAILED}
    assert "hash algorithm 2 is unknown" in findings(data, ev, "DENIAL03")[0].message


# Signatures -------------------------------------------------------------------------------

@pytest.mark.parametrize("nsec3", [None, NSEC3_PLAIN])
def test_a_corrupted_denial_signature(nsec3):
    parent, child = scenario(nsec3=nsec3)
    if nsec3 is None:
        owner, covered = CHILD, "NSEC"  # the apex NSEC covers the probe
    else:
        owner, covered = nsec3_owner(child, "www.child.test."), "NSEC3"
    corrupt_rrsig(child, owner, covered)
    data = zone_data(child, parent)
    ev = evaluation(parent)
    # A denial record's signature is the denial checks' business alone (category denial).
    assert fired(data, ev) == {"DENIAL05": Outcome.FAILED}
    message = findings(data, ev, "DENIAL05")[0].message
    assert f"RRSIG {owner} {covered} by" in message and "the denial proof is bogus" in message


def test_a_denial_record_signed_by_an_unpublished_key():
    parent, child = scenario()
    stranger = build_zone("child.test.").keys[1]
    rrset = dns.rrset.from_rdata(CHILD, 300, *child.zone.find_rdataset(CHILD, "NSEC"))
    rrsig = dns.dnssec.sign(rrset, stranger.private, CHILD, stranger.dnskey,
                            inception=NOW - DAY, expiration=NOW + 30 * DAY)
    child.zone.find_node(CHILD).replace_rdataset(
        dns.rrset.from_rdata(CHILD, 300, rrsig).to_rdataset())
    data = zone_data(child, parent)
    ev = evaluation(parent)
    assert fired(data, ev) == {"DENIAL05": Outcome.FAILED}
    assert "no DNSKEY with key tag" in findings(data, ev, "DENIAL05")[0].message


# Wildcards --------------------------------------------------------------------------------

@pytest.mark.parametrize("nsec3", [None, NSEC3_PLAIN])
def test_a_wildcard_answer_with_its_proof_passes(nsec3):
    parent, child = scenario(body="*.child.test. 3600 IN A 192.0.2.99\n", nsec3=nsec3)
    data = zone_data(child, parent)
    assert fired(data, evaluation(parent)) == {}
    [verdict] = [v for v in denial.verdicts(data) if v.probe.due == "NXDOMAIN"]
    assert verdict.claim == "wildcard-answer" and verdict.proof.status is ProofStatus.PROVEN


@pytest.mark.parametrize("nsec3", [None, NSEC3_PLAIN])
def test_a_wildcard_nodata_with_its_proof_passes(nsec3):
    parent, child = scenario(body='*.child.test. 3600 IN TXT "catch-all"\n', nsec3=nsec3)
    data = zone_data(child, parent)
    assert fired(data, evaluation(parent)) == {}
    [verdict] = [v for v in denial.verdicts(data) if v.probe.due == "NXDOMAIN"]
    assert verdict.claim == "wildcard-nodata" and verdict.proof.status is ProofStatus.PROVEN


@pytest.mark.parametrize("nsec3", [None, NSEC3_PLAIN])
def test_a_wildcard_answer_without_its_proof(nsec3):
    parent, child = scenario(body="*.child.test. 3600 IN A 192.0.2.99\n", nsec3=nsec3)
    data = zone_data(child, parent)
    probe = data.answers[SERVER].nonexistent
    probe.response.authority = []
    ev = evaluation(parent)
    assert fired(data, ev) == {"DENIAL09": Outcome.FAILED}
    assert "without the NSEC or NSEC3 records proving that no closer name exists" in \
        findings(data, ev, "DENIAL09")[0].message


def test_a_wildcard_answer_whose_proof_shows_a_closer_name():
    parent, child = scenario(body="*.child.test. 3600 IN A 192.0.2.99\n")
    data = zone_data(child, parent)
    probe = data.answers[SERVER].nonexistent
    closer = dns.rrset.from_text("nonexistent-probd.child.test.", 300, "IN", "NSEC",
                                 "a.nonexistent-probe.child.test. A RRSIG NSEC")
    probe.response.authority = [closer, sign(child, closer)]
    ev = evaluation(parent)
    assert fired(data, ev) == {"DENIAL09": Outcome.FAILED}
    assert "is then an empty non-terminal" in findings(data, ev, "DENIAL09")[0].message


def test_a_wildcard_nodata_without_the_wildcard_record():
    # m.child.test. makes the record covering the probe another than the wildcard's.
    parent, child = scenario(body='*.child.test. 3600 IN TXT "catch-all"\n'
                                  "m.child.test. 3600 IN A 192.0.2.12\n")
    data = zone_data(child, parent)
    probe = data.answers[SERVER].nonexistent
    wildcard = dns.name.from_text("*.child.test.")
    probe.response.authority = [r for r in probe.response.authority if r.name != wildcard]
    ev = evaluation(parent)
    assert fired(data, ev) == {"DENIAL08": Outcome.FAILED}
    assert ("NOERROR with no records where NXDOMAIN was due (and no NODATA is proven either: "
            "no NSEC record matches the wildcard *.child.test.") in \
        findings(data, ev, "DENIAL08")[0].message


# Opt-out ----------------------------------------------------------------------------------

UNSIGNED_DELEGATION = ("insecure 3600 IN NS ns.insecure.child.test.\n"
                       "ns.insecure 3600 IN A 192.0.2.53\n")


def test_an_opt_out_zone_passes_with_an_insecure_nxdomain_noted():
    parent, child = scenario(body=UNSIGNED_DELEGATION, nsec3=NSEC3_PLAIN, opt_out=True)
    chain = [n for n, node in child.zone.nodes.items()
             if node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.NSEC3)]
    assert nsec3_owner(child, "insecure.child.test.") not in chain  # opted out
    data = zone_data(child, parent)
    ev = evaluation(parent)
    assert fired(data, ev) == {}
    [note] = findings(data, ev, "DENIAL03")
    assert note.severity is Severity.INFO and "opt-out" in note.message


def test_an_unsigned_delegation_without_opt_out_is_in_the_chain():
    parent, child = scenario(body=UNSIGNED_DELEGATION, nsec3=NSEC3_PLAIN)
    assert child.zone.get_node(nsec3_owner(child, "insecure.child.test.")) is not None
    data = zone_data(child, parent)
    ev = evaluation(parent)
    assert fired(data, ev) == {}
    assert findings(data, ev, "DENIAL03") == []


# Rcodes and transport ---------------------------------------------------------------------

def test_noerror_where_nxdomain_was_due():
    parent, child = scenario()
    data = zone_data(child, parent)
    data.answers[SERVER].nonexistent.response.set_rcode(dns.rcode.NOERROR)
    ev = evaluation(parent)
    assert fired(data, ev) == {"DENIAL08": Outcome.FAILED}
    assert findings(data, ev, "DENIAL08")[0].message.startswith(
        f"{PROBE} A: NOERROR with no records where NXDOMAIN was due")


@pytest.mark.parametrize("rcode", [dns.rcode.SERVFAIL, dns.rcode.REFUSED])
def test_a_failing_rcode_where_nxdomain_was_due(rcode):
    parent, child = scenario()
    data = zone_data(child, parent)
    data.answers[SERVER].nonexistent.response.set_rcode(rcode)
    ev = evaluation(parent)
    assert fired(data, ev) == {"DENIAL08": Outcome.FAILED}
    assert (f"{dns.rcode.to_text(rcode)} where NXDOMAIN was due"
            in findings(data, ev, "DENIAL08")[0].message)


def test_nxdomain_for_the_apex():
    parent, child = scenario(nsec3=NSEC3_PLAIN)
    data = zone_data(child, parent)
    data.answers[SERVER].nodata.response.set_rcode(dns.rcode.NXDOMAIN)
    ev = evaluation(parent)
    assert fired(data, ev) == {"DENIAL08": Outcome.FAILED}
    assert "NXDOMAIN for the zone apex" in findings(data, ev, "DENIAL08")[0].message


def test_a_truncated_denial():
    parent, child = scenario()
    data = zone_data(child, parent)
    probe = data.answers[SERVER].nonexistent
    probe.response.flags |= dns.flags.TC
    probe.response.authority = probe.response.authority[:2]
    ev = evaluation(parent)
    assert fired(data, ev) == {"DENIAL08": Outcome.FAILED}
    assert "truncated (TC)" in findings(data, ev, "DENIAL08")[0].message


def test_truncated_even_over_tcp():
    parent, child = scenario()
    data = zone_data(child, parent)
    probe = data.answers[SERVER].nonexistent
    failed = dataclasses.replace(probe, response=None, transport="tcp",
                                 failure="truncated answer even over TCP", truncated=True)
    with_probe(data, SERVER, nonexistent=failed)
    ev = evaluation(parent)
    assert fired(data, ev) == {"DENIAL08": Outcome.FAILED}
    assert "validators cannot get the denial proof" in findings(data, ev, "DENIAL08")[0].message


def test_a_probe_that_timed_out_is_a_could_not_check():
    parent, child = scenario()
    data = zone_data(child, parent)
    with_probe(data, SERVER, nodata=dead(SERVER, CHILD, dns.rdatatype.RdataType.make(65280)))
    assert fired(data, evaluation(parent)) == {"DENIAL08": Outcome.ERROR}


def test_a_negative_answer_without_the_aa_flag():
    parent, child = scenario()
    data = zone_data(child, parent)
    data.answers[SERVER].nonexistent.response.flags &= ~dns.flags.AA
    ev = evaluation(parent)
    assert fired(data, ev) == {"DENIAL08": Outcome.FAILED}
    assert "without the AA flag" in findings(data, ev, "DENIAL08")[0].message


def test_compact_denial_is_accepted():
    """RFC 9824 (as online signers answer): NOERROR, and an NSEC at the name itself whose
    bitmap has only NSEC, RRSIG and NXNAME."""
    parent, child = scenario()
    data = zone_data(child, parent)
    probe = data.answers[SERVER].nonexistent
    response = probe.response
    response.set_rcode(dns.rcode.NOERROR)
    lie = dns.rrset.from_text(PROBE, 300, "IN", "NSEC",
                              f"\\000.{PROBE} RRSIG NSEC TYPE128")
    response.authority = [*response.authority[:2], lie, sign(child, lie)]
    ev = evaluation(parent)
    assert fired(data, ev) == {}
    [note] = findings(data, ev, "DENIAL08")
    assert note.severity is Severity.INFO and "RFC 9824" in note.message


def test_compact_denial_with_the_nxdomain_rcode_restored():
    """RFC 9824 §3.2 (NXNAME in the bitmap lets the responder say NXDOMAIN)."""
    parent, child = scenario()
    data = zone_data(child, parent)
    response = data.answers[SERVER].nonexistent.response
    lie = dns.rrset.from_text(PROBE, 300, "IN", "NSEC",
                              f"\\000.{PROBE} RRSIG NSEC TYPE128")
    response.authority = [*response.authority[:2], lie, sign(child, lie)]
    ev = evaluation(parent)
    assert fired(data, ev) == {}
    [note] = findings(data, ev, "DENIAL08")
    assert note.message.startswith(f"{PROBE} A: NXDOMAIN with an NSEC at the name itself")


def test_a_cname_synthesized_from_a_dname_at_the_apex_needs_no_denial():
    parent, child = scenario(body="@ 3600 IN DNAME elsewhere.test.\n")
    data = zone_data(child, parent)
    response = data.answers[SERVER].nonexistent.response
    dname = dns.rrset.from_rdata(CHILD, 3600, *child.zone.find_rdataset(CHILD, "DNAME"))
    rrsig = dns.rrset.from_rdata(CHILD, 3600, *child.zone.find_rdataset(CHILD, "RRSIG",
                                                                         "DNAME"))
    cname = dns.rrset.from_text(PROBE, 3600, "IN", "CNAME",
                                "nonexistent-probe.elsewhere.test.")
    response.set_rcode(dns.rcode.NOERROR)
    response.answer = [dname, rrsig, cname]  # the CNAME is unsigned by design
    response.authority = []
    ev = evaluation(parent)
    assert fired(data, ev) == {}
    [note] = findings(data, ev, "DENIAL09")
    assert note.severity is Severity.INFO and "answered through the DNAME" in note.message


def test_a_nodata_answer_without_nsec():
    parent, child = scenario()
    data = zone_data(child, parent)
    nodata = data.answers[SERVER].nodata.response
    nodata.authority = [r for r in nodata.authority
                        if dns.rdatatype.NSEC not in (r.rdtype, r.covers)]
    ev = evaluation(parent)
    assert fired(data, ev) == {"DENIAL01": Outcome.FAILED}
    assert "validators cannot prove the type absent" in findings(data, ev, "DENIAL01")[0].message


def test_dead_servers_are_never_a_pass():
    parent, child = scenario(nsec3=NSEC3_PLAIN)
    data = zone_data(child, parent)
    answers = data.answers[SERVER]
    for key in list(answers.exchanges):
        answers.exchanges[key] = dead(SERVER, *key)
    data.memo.clear()
    outcomes = {c: catalog.run(c, data, evaluation(parent)).outcome
                for c in zone_checks() if c.startswith("DENIAL")}
    assert outcomes.pop("DENIAL10") is Outcome.SKIPPED  # the zone-file walk: not for live zones
    assert set(outcomes.values()) == {Outcome.ERROR}


# Consistency between servers and with NSEC3PARAM -----------------------------------------

def test_nsec_at_one_server_nsec3_at_another():
    parent, child = scenario()
    other = build_zone("child.test.", keys=child.keys, nsec3=NSEC3_PLAIN)
    data = zone_data(child, parent, servers={SERVER: child, SERVER2: other})
    ev = evaluation(parent)
    assert fired(data, ev) == {"DENIAL06": Outcome.WARNING, "DENIAL07": Outcome.WARNING}
    assert any("servers disagree on the denial method" in f.message
               for f in findings(data, ev, "DENIAL06"))


def test_nsec3param_that_disagrees_with_the_records():
    parent, child = scenario(nsec3=NSEC3_PLAIN)
    replace_rrset(child, CHILD, "NSEC3PARAM", "1 0 0 AABB")
    data = zone_data(child, parent)
    ev = evaluation(parent)
    assert fired(data, ev) == {"DENIAL07": Outcome.WARNING}
    assert ("NSEC3 records use parameters 1 0 - but NSEC3PARAM says 1 0 0 AABB"
            in findings(data, ev, "DENIAL07")[0].message)


def test_servers_disagree_on_nsec3param():
    parent, child = scenario(nsec3=NSEC3_PLAIN)
    other = build_zone("child.test.", keys=child.keys, nsec3=NSEC3_PLAIN)
    replace_rrset(other, CHILD, "NSEC3PARAM", "1 0 0 -", "1 0 0 AABB")
    data = zone_data(child, parent, servers={SERVER: child, SERVER2: other})
    ev = evaluation(parent)
    assert fired(data, ev) == {"DENIAL07": Outcome.WARNING}
    assert any(f.message.startswith("servers disagree on NSEC3PARAM")
               for f in findings(data, ev, "DENIAL07"))


@pytest.mark.parametrize(("change", "message"), [
    (("1 1 0 -",), "has flags 1: servers ignore an NSEC3PARAM whose flags are not 0"),
    ((), "NSEC3 records are served but the apex has no NSEC3PARAM"),
])
def test_nsec3param_problems(change, message):
    parent, child = scenario(nsec3=NSEC3_PLAIN)
    replace_rrset(child, CHILD, "NSEC3PARAM", *change)
    data = zone_data(child, parent)
    ev = evaluation(parent)
    assert fired(data, ev) == {"DENIAL07": Outcome.WARNING}
    assert any(message in f.message for f in findings(data, ev, "DENIAL07"))


def test_a_leftover_nsec3param_in_an_nsec_zone():
    parent, child = scenario()
    replace_rrset(child, CHILD, "NSEC3PARAM", "1 0 0 -")
    data = zone_data(child, parent)
    ev = evaluation(parent)
    assert fired(data, ev) == {"DENIAL07": Outcome.WARNING}
    assert "is at the apex but the negative answers use NSEC" in \
        findings(data, ev, "DENIAL07")[0].message


def test_unsigned_zones_are_not_judged():
    parent = parent_zone()
    plain = build_zone("plain.test.", keys=[])
    delegate(parent, plain, ds_keys=[])
    data = zone_data(plain, parent, expect="insecure")
    assert all(not findings(data, evaluation(parent), c)
               for c in zone_checks() if c.startswith("DENIAL"))


def test_the_responder_answers_a_message():
    # The in-memory responder's NSEC3 answers are ordinary messages: they survive the wire.
    parent, child = scenario(nsec3=NSEC3_PLAIN)
    probe = zone_data(child, parent).answers[SERVER].nonexistent.response
    again = dns.message.from_wire(probe.to_wire())
    assert again.rcode() == dns.rcode.NXDOMAIN
    assert {r.rdtype for r in again.authority} >= {dns.rdatatype.NSEC3, dns.rdatatype.SOA}
