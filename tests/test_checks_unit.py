"""Every check on zones signed in memory at a fixed timestamp, edges included.

Each scenario says which checks must fire and, implicitly, that no other check may.
"""

from __future__ import annotations

from dataclasses import replace

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.DNSKEY
import pytest

from dnssec_conformance import catalog
from dnssec_conformance.catalog import all_checks, zone_checks
from dnssec_conformance.dnssec.signatures import key_tag, sig_time
from dnssec_conformance.findings import Outcome, Severity
from dnssec_conformance.plugin.hooks import MARKERS
from dnssec_conformance.probe.data import ServerAnswers
from dnssec_conformance.report.results import record_of

from .inmemory import (
    DAY,
    NOW,
    SERVER,
    SERVER2,
    build_zone,
    dead,
    delegate,
    evaluation,
    make_key,
    parent_zone,
    resign,
    zone_data,
)

FIRING = (Outcome.FAILED, Outcome.WARNING, Outcome.ERROR)


def verdicts(data, ev) -> dict[str, Outcome]:
    return {check_id: catalog.run(check_id, data, ev).outcome for check_id in zone_checks()}


def fired(data, ev) -> dict[str, Outcome]:
    return {k: v for k, v in verdicts(data, ev).items() if v in FIRING}


def scenario(**kwargs):
    parent = parent_zone()
    child = build_zone("child.test.", **kwargs)
    delegate(parent, child)
    return parent, child


def test_good_zone_passes_every_check():
    parent, child = scenario()
    assert fired(zone_data(child, parent), evaluation(parent)) == {}


def test_expired_signatures_fire_expiry_only():
    parent, child = scenario(inception=NOW - 31 * DAY, expiration=NOW - DAY)
    assert fired(zone_data(child, parent), evaluation(parent)) == {"EXPIRY01": Outcome.FAILED}


@pytest.mark.parametrize(("left", "expected"), [
    (3 * DAY, Outcome.FAILED),        # exactly at the critical threshold: critical
    (3 * DAY + 1, Outcome.WARNING),
    (7 * DAY, Outcome.WARNING),       # exactly at the warning threshold: warning
    (7 * DAY + 1, Outcome.PASSED),
    (0, Outcome.FAILED),
])
def test_expiry_thresholds_edges(left, expected):
    parent, child = scenario(expiration=NOW + left)
    result = catalog.run("EXPIRY01", zone_data(child, parent), evaluation(parent))
    assert result.outcome is expected
    assert result.days_left == pytest.approx(left / DAY)


def test_time_travel_moves_a_signature_from_healthy_to_expired():
    parent, child = scenario(expiration=NOW + 20 * DAY)
    data = zone_data(child, parent)
    outcomes = [catalog.run("EXPIRY01", data, evaluation(parent, NOW + d * DAY)).outcome
                for d in (0, 15, 18, 21)]
    assert outcomes == [Outcome.PASSED, Outcome.WARNING, Outcome.FAILED, Outcome.FAILED]
    expired = catalog.run("EXPIRY01", data, evaluation(parent, NOW + 21 * DAY))
    assert "expired" in expired.message


def test_per_domain_thresholds():
    parent, child = scenario(expiration=NOW + 10 * DAY)
    data = zone_data(child, parent)
    ev = evaluation(parent, warning_days=14, critical_days=3)
    assert catalog.run("EXPIRY01", data, ev).outcome is Outcome.WARNING


def test_validity_shorter_than_ttl():
    parent, child = scenario(ttl=30 * DAY, expiration=NOW + 20 * DAY)
    assert fired(zone_data(child, parent), evaluation(parent)) == {"EXPIRY02": Outcome.FAILED}


def test_signatures_expiring_before_soa_expire_are_information():
    parent, child = scenario(expiration=NOW + 10 * DAY)  # SOA EXPIRE is 14 days
    result = catalog.run("EXPIRY03", zone_data(child, parent), evaluation(parent))
    assert result.outcome is Outcome.PASSED
    assert any("SOA EXPIRE" in f.message for f in result.findings)


@pytest.mark.parametrize(("ahead", "expected"), [
    (0, Outcome.PASSED),              # inception equal to now
    (1, Outcome.WARNING),
    (3600, Outcome.WARNING),          # exactly at the tolerance
    (2 * 3600, Outcome.FAILED),
])
def test_inception_in_the_future(ahead, expected):
    parent, child = scenario(inception=NOW + ahead)
    result = catalog.run("CLOCK01", zone_data(child, parent), evaluation(parent))
    assert result.outcome is expected


def test_corrupted_signature_on_one_rrset():
    parent, child = scenario()
    rrsigs = child.zone.find_rdataset("child.test.", "RRSIG", "A")
    rrsig = rrsigs[0]
    broken = rrsig.replace(signature=bytes(b ^ 0xFF for b in rrsig.signature))
    rrsigs.remove(rrsig)
    rrsigs.add(broken)
    assert fired(zone_data(child, parent), evaluation(parent)) == {"SIG01": Outcome.FAILED}


def test_island_of_security_and_deliberately_unsigned():
    parent = parent_zone()
    child = build_zone("child.test.")
    delegate(parent, child, ds_keys=[])
    assert fired(zone_data(child, parent), evaluation(parent)) == {"DS01": Outcome.FAILED}
    unsigned = build_zone("plain.test.", keys=[])
    delegate(parent, unsigned, ds_keys=[])
    ev = evaluation(parent)
    assert fired(zone_data(unsigned, parent, expect="insecure"), ev) == {}
    assert fired(zone_data(unsigned, parent, expect="secure"), ev) == {"DS01": Outcome.FAILED}


def test_ds_for_an_unsigned_zone():
    parent = parent_zone()
    unsigned = build_zone("plain.test.", keys=[])
    delegate(parent, unsigned, ds_keys=[make_key(13, ksk=True)])
    assert fired(zone_data(unsigned, parent), evaluation(parent)) == {"DS02": Outcome.FAILED}


def test_ds_matching_no_key():
    parent = parent_zone()
    child = build_zone("child.test.")
    ksk = child.keys[0].dnskey
    tag = dns.dnssec.key_id(ksk)
    delegate(parent, child, ds_text=[f"{tag} 13 2 {'AB' * 32}"])
    assert fired(zone_data(child, parent), evaluation(parent)) == {"KEY01": Outcome.FAILED}


def test_ds_of_a_key_that_does_not_sign_the_dnskey_rrset():
    parent = parent_zone()
    ksk, zsk = make_key(13, ksk=True), make_key(13)
    child = build_zone("child.test.", keys=[ksk, zsk])
    # dnspython signs every RRset, the DNSKEY RRset included, with every key: keep only the
    # KSK's signature over the DNSKEY RRset, then publish the ZSK's DS.
    sigs = child.zone.find_rdataset("child.test.", "RRSIG", "DNSKEY")
    for rrsig in list(sigs):
        if rrsig.key_tag == dns.dnssec.key_id(zsk.dnskey):
            sigs.remove(rrsig)
    delegate(parent, child, ds_keys=[zsk])
    assert fired(zone_data(child, parent), evaluation(parent)) == {"KEY02": Outcome.FAILED}


def test_ds_algorithm_field_differs_from_the_key():
    parent = parent_zone()
    child = build_zone("child.test.")
    ds = dns.dnssec.make_ds(child.origin, child.keys[0].dnskey, 2)
    delegate(parent, child, ds_text=[f"{ds.key_tag} 8 2 {ds.digest.hex()}"])
    assert fired(zone_data(child, parent), evaluation(parent)) == {"ALG01": Outcome.FAILED}


def test_sha1_only_ds_is_a_warning():
    parent = parent_zone()
    child = build_zone("child.test.")
    delegate(parent, child, digest=1)
    assert fired(zone_data(child, parent), evaluation(parent)) == {"ALG04": Outcome.WARNING}


def test_small_rsa_key_is_a_warning():
    parent, child = scenario(keys=[make_key(8, ksk=True, bits=1024), make_key(8, bits=1024)])
    assert fired(zone_data(child, parent), evaluation(parent)) == {"ALG05": Outcome.WARNING}


def test_rsasha1_is_a_warning():
    parent, child = scenario(keys=[make_key(5, ksk=True), make_key(5)])
    assert fired(zone_data(child, parent), evaluation(parent)) == {"ALG03": Outcome.WARNING}


def test_each_finding_carries_its_code_and_the_runner_stamps_the_check():
    parent, child = scenario(keys=[make_key(5, ksk=True), make_key(5)])
    result = catalog.run("ALG03", zone_data(child, parent), evaluation(parent))
    assert [(f.check, f.code) for f in result.findings] == [("ALG03", "deprecated-algorithm")]
    record = record_of(result)
    assert record["findings"][0]["code"] == "ALG03/deprecated-algorithm"


@pytest.mark.parametrize(("level", "outcome"), [
    (Severity.CRITICAL, Outcome.FAILED), (Severity.INFO, Outcome.PASSED),
    (Severity.WARNING, Outcome.WARNING)])
def test_a_severity_override_by_code_changes_the_verdict(level, outcome):
    """domains.yaml's `severities:` (Zonemaster's profile levels), applied by the runner."""
    parent, child = scenario(keys=[make_key(5, ksk=True), make_key(5)])
    ev = replace(evaluation(parent), severities={"ALG03/deprecated-algorithm": level})
    result = catalog.run("ALG03", zone_data(child, parent), ev)
    assert [f.severity for f in result.findings] == [level]
    assert result.outcome is outcome
    other = replace(evaluation(parent), severities={"ALG03/unimplemented-algorithm": level})
    assert catalog.run("ALG03", zone_data(child, parent), other).outcome is Outcome.WARNING


def test_a_dead_server_is_an_error_and_the_other_server_still_counts():
    parent, child = scenario(expiration=NOW - DAY, inception=NOW - 31 * DAY)
    fresh = build_zone("child.test.", keys=child.keys)
    data = zone_data(child, parent, servers={SERVER: fresh, SERVER2: child})
    # SERVER2 serves the stale copy: its expired signatures fail the check.
    result = catalog.run("EXPIRY01", data, evaluation(parent))
    assert result.outcome is Outcome.FAILED
    assert all(f.server == str(SERVER2) for f in result.findings if f.severity.label == "critical")
    # Now SERVER2 is dead: could-not-check, while SERVER's good data still passes.
    answers = data.answers[SERVER2]
    data.answers[SERVER2] = ServerAnswers(SERVER2, {key: dead(SERVER2, *key)
                                                    for key in answers.exchanges})
    data.memo.clear()
    result = catalog.run("EXPIRY01", data, evaluation(parent))
    assert result.outcome is Outcome.ERROR
    assert "timeout" in result.message and str(SERVER2) in result.message


def test_negative_answer_without_proof():
    parent, child = scenario()
    for name, node in child.zone.nodes.items():
        for rdataset in list(node.rdatasets):
            if dns.rdatatype.NSEC in (rdataset.rdtype, rdataset.covers):
                node.rdatasets.remove(rdataset)
        del name
    assert fired(zone_data(child, parent), evaluation(parent)) == {"DENIAL01": Outcome.FAILED}


@pytest.mark.parametrize(("field", "now", "expected"), [
    (NOW + 10, NOW, NOW + 10),
    ((NOW + 10) % 2**32, NOW, NOW + 10),
    # Past 2106 the 32-bit field wraps: 5 s after the wrap, seen from 5 s before it.
    (5, 2**32 - 5, 2**32 + 5),
    # ... and a value just before the wrap, seen from just after it, is in the past.
    (2**32 - 5, 2**32 + 5, 2**32 - 5),
    # More than 68 years away the nearer interpretation wins (RFC 1982).
    ((NOW + 2**31 + 10) % 2**32, NOW, NOW + 2**31 + 10 - 2**32),
])
def test_rrsig_time_uses_serial_number_arithmetic(field, now, expected):
    assert sig_time(field, now) == expected


def test_catalog_entries_are_complete():
    for spec in all_checks().values():
        assert spec.title and spec.rfc.startswith("RFC") and spec.remediation
        assert spec.marker in MARKERS




def colliding_key(key: dns.rdtypes.ANY.DNSKEY.DNSKEY) -> dns.rdtypes.ANY.DNSKEY.DNSKEY:
    """Another key with the same tag: the tag is a sum of 16-bit words, so swapping two
    bytes of the same parity keeps it."""
    data = bytearray(key.key)
    first = next(i for i in range(2, len(data)) if data[i] != data[0] and i % 2 == 0)
    data[0], data[first] = data[first], data[0]
    return key.replace(key=bytes(data))


def test_dnskeys_sharing_a_key_tag_are_a_warning():
    """Knot's dnskey_keytags.many and .more."""
    keys = [make_key(13, ksk=True), make_key(13)]
    twin = colliding_key(keys[1].dnskey)
    assert key_tag(twin) == key_tag(keys[1].dnskey) and twin != keys[1].dnskey
    parent, child = scenario(keys=keys, body=f"@ 3600 IN DNSKEY {twin.to_text()}\n")
    data, ev = zone_data(child, parent), evaluation(parent)
    assert fired(data, ev) == {"KEY04": Outcome.WARNING}
    [finding] = catalog.run("KEY04", data, ev).findings
    assert finding.message.startswith(f"2 DNSKEYs share key tag {key_tag(twin)} with "
                                      "algorithm 13")


def test_a_ttl_above_the_signed_original_ttl_is_a_warning():
    parent, child = scenario()
    child.zone.find_rdataset(child.origin, dns.rdatatype.A).ttl = 7200  # after signing
    data, ev = zone_data(child, parent), evaluation(parent)
    assert fired(data, ev) == {"SIG03": Outcome.WARNING}
    assert catalog.run("SIG03", data, ev).findings[0].message.startswith(
        "child.test. A has TTL 7200, above the original TTL 3600 its RRSIG states")


def test_a_parent_ds_ttl_above_its_original_ttl_is_a_warning():
    parent, child = scenario()
    parent.zone.find_rdataset(child.origin, dns.rdatatype.DS).ttl = 86400
    data, ev = zone_data(child, parent), evaluation(parent)
    assert fired(data, ev) == {"SIG03": Outcome.WARNING}
    assert "child.test. DS has TTL 86400, above the original TTL 3600" in \
        catalog.run("SIG03", data, ev).findings[0].message
def _ds_text(child, *, tag_delta: int = 0, algorithm: int | None = None) -> str:
    import dns.dnssec

    ksk = next(k for k in child.keys if k.dnskey.flags & 1)
    ds = dns.dnssec.make_ds(child.origin, ksk.dnskey, 2)
    tag = (ds.key_tag + tag_delta) % 65536
    return f"{tag} {algorithm or ds.algorithm} 2 {ds.digest.hex()}"


def test_a_ds_with_the_right_digest_under_a_wrong_key_tag_matches_no_key():
    """A validator follows a DS to the DNSKEY with its key tag AND algorithm, then compares
    the digest: the right digest under another tag matches nothing (a false healthy when
    only the digest was compared)."""
    parent = parent_zone()
    child = build_zone("child.test.")
    delegate(parent, child, ds_text=[_ds_text(child, tag_delta=1)])
    data, ev = zone_data(child, parent), evaluation(parent)

    assert fired(data, ev) == {"KEY01": Outcome.FAILED}
    message = catalog.run("KEY01", data, ev).message
    assert "no DNSKEY matches any DS at the parent by key tag, algorithm and digest" in message
    assert "carries the digest of KSK" in message
    from dnssec_conformance.analysis.zone import zone_security
    from dnssec_conformance.findings import Security
    assert zone_security(data, ev) is Security.BOGUS


def test_a_wrong_tag_ds_beside_a_right_one_is_only_noted():
    parent = parent_zone()
    child = build_zone("child.test.")
    delegate(parent, child, ds_text=[_ds_text(child), _ds_text(child, tag_delta=7)])
    data, ev = zone_data(child, parent), evaluation(parent)

    # As for a DS pre-published for a rollover: ROLLOVER03 warns that it names no served key.
    assert fired(data, ev) == {"ROLLOVER03": Outcome.WARNING}
    assert "under another key tag" in catalog.run("KEY01", data, ev).findings[0].message


def test_a_ds_with_another_algorithm_number_is_alg01s_not_key01s():
    parent = parent_zone()
    child = build_zone("child.test.")
    delegate(parent, child, ds_text=[_ds_text(child, algorithm=8)])

    assert fired(zone_data(child, parent), evaluation(parent)) == {"ALG01": Outcome.FAILED}


def unsigned_child_of(parent):
    """child.test. unsigned, delegated from `parent` without a DS (an insecure delegation)."""
    child = build_zone("child.test.", keys=[])
    with parent.zone.writer() as txn:
        txn.add(child.origin, 3600, dns.rdata.from_text("IN", "NS", "ns1.test."))
    resign(parent)
    return child


def test_a_proven_ds_absence_is_an_insecure_delegation():
    parent = parent_zone()
    child = unsigned_child_of(parent)
    data = zone_data(child, parent, expect="insecure")
    assert fired(data, evaluation(parent)) == {}
    assert catalog.run("DS05", data, evaluation(parent)).outcome is Outcome.PASSED


@pytest.mark.parametrize("opt_out", [True, False], ids=["opt-out", "no-opt-out"])
def test_an_insecure_delegation_under_an_nsec3_parent_is_proven(opt_out):
    """NSEC3 parents (.com among them) prove a DS absence with the NSEC3 at the delegation
    or, with opt-out, with an opt-out span covering it (RFC 5155 §8.6): no DS05 alarm."""
    parent = build_zone("test.", "child NS ns1.test.\n", nsec3="1 0 0 -", opt_out=opt_out)
    child = build_zone("child.test.", keys=[])
    data = zone_data(child, parent, expect="insecure")
    assert fired(data, evaluation(parent)) == {}
    assert catalog.run("DS05", data, evaluation(parent)).outcome is Outcome.PASSED


def test_an_unproven_ds_absence_is_critical():
    """The parent answers NODATA for the DS, but the NSEC at the delegation is gone: what
    remains covers the name, which proves nothing about a DS there (RFC 4035 §5.2)."""
    parent = parent_zone()
    child = unsigned_child_of(parent)
    node = parent.zone.find_node(child.origin)
    node.delete_rdataset(dns.rdataclass.IN, dns.rdatatype.NSEC)
    node.delete_rdataset(dns.rdataclass.IN, dns.rdatatype.RRSIG, dns.rdatatype.NSEC)
    data = zone_data(child, parent, expect="insecure")
    result = catalog.run("DS05", data, evaluation(parent))
    assert result.outcome is Outcome.FAILED
    assert result.message.startswith("the parent test. says child.test. has no DS but does "
                                     "not prove it: validators find the delegation bogus")
    assert "no NSEC record matches child.test." in result.message


def test_a_what_if_run_judges_the_parents_signatures_as_fetched():
    """--at 40 days ahead: the parent's 30-day signatures will have been renewed by then (it
    re-signs on its own schedule), so the chain above the zone is judged as it was fetched;
    the zone's own 60-day signatures are judged at the instant asked."""
    parent, child = scenario(expiration=NOW + 60 * DAY)
    data = zone_data(child, parent)
    assert fired(data, evaluation(parent, now=NOW + 40 * DAY)) == {}
    data.memo.clear()
    later = fired(data, evaluation(parent, now=NOW + 59 * DAY))
    assert later == {"EXPIRY01": Outcome.FAILED}  # its own signatures: 1 day left
