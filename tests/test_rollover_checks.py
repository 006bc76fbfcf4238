"""The rollover readiness checks on zones signed in memory: each rule passing when the timing
allows and failing at the premature step, and CDS/CDNSKEY cases. Each stage names the checks
that must fire; no other check may."""

from __future__ import annotations

import dns.rdatatype
import pytest

from dnssec_conformance.findings import Outcome

from .inmemory import NOW, SERVER, SERVER2, make_key
from .rollover_stages import HOUR, Timeline, cds_lines, child, judge, stage

T0 = NOW - 10 * HOUR  # signatures run from NOW-1d to NOW+30d: every stage is inside


@pytest.fixture(scope="module")
def keys():
    return {"ksk": make_key(13, ksk=True), "zsk": make_key(13),
            "ksk2": make_key(13, ksk=True), "zsk2": make_key(13),
            "unpublished": make_key(13, ksk=True)}


# --- ROLLOVER02: a new ZSK is used only once ready (pre-publication ZSK rollover) -------------


def zsk_published(keys):
    """Baseline at T0, then zsk2 published (not signing) at T0+1h."""
    timeline = Timeline()
    assert timeline.run(*stage(keys, child(keys)), T0).fired == {}
    published = timeline.run(*stage(keys, child(keys, published=("zsk2",))), T0 + HOUR)
    assert published.fired == {}
    return timeline, published


def test_a_published_zsk_reports_when_it_becomes_ready(keys):
    _, published = zsk_published(keys)
    (pending,) = [m for m in published.messages("ROLLOVER02") if "not ready" in m]
    # DNSKEY TTL 3600 s + margin 3600 s after every server served it (T0+1h)
    assert "not ready before 2027-01-15T01:00:00Z" in pending


def test_signing_with_a_zsk_before_it_is_ready_fails(keys):
    timeline, _ = zsk_published(keys)
    switched = child(keys, signing=("ksk", "zsk2"), published=("zsk",))
    hasty = timeline.run(*stage(keys, switched), T0 + 90 * 60)
    assert hasty.fired == {"ROLLOVER02": Outcome.FAILED}
    assert "signed only with keys not ready for use" in hasty["ROLLOVER02"].message


def test_signing_with_a_zsk_once_it_is_ready_passes(keys):
    timeline, _ = zsk_published(keys)
    switched = child(keys, signing=("ksk", "zsk2"), published=("zsk",))
    assert timeline.run(*stage(keys, switched), T0 + 3 * HOUR).fired == {}


def test_removing_the_old_zsk_waits_for_its_cached_signatures(keys):
    timeline, _ = zsk_published(keys)
    switched = child(keys, signing=("ksk", "zsk2"), published=("zsk",))
    timeline.run(*stage(keys, switched), T0 + 3 * HOUR)
    waiting = timeline.fork().run(*stage(keys, switched), T0 + 4 * HOUR)
    # zsk signed alone until the run at T0+3h found it stopped: TTL 3600 s + margin 3600 s
    assert any("removing it is safe from 2027-01-15T03:00:00Z" in m
               for m in waiting.messages("ROLLOVER04"))
    removed = child(keys, signing=("ksk", "zsk2"))
    hasty = timeline.fork().run(*stage(keys, removed), T0 + 3 * HOUR + 30 * 60)
    assert hasty.fired == {"ROLLOVER04": Outcome.FAILED}
    assert "signed with it alone" in hasty["ROLLOVER04"].message
    assert timeline.fork().run(*stage(keys, removed), T0 + 5 * HOUR).fired == {}


def test_a_key_used_at_one_server_and_missing_at_another_fails_without_history(keys):
    served = {SERVER: child(keys, signing=("ksk", "zsk2"), published=("zsk",)),
              SERVER2: child(keys)}
    verdicts = judge(*stage(keys, served))
    assert verdicts.fired == {"ROLLOVER02": Outcome.FAILED, "CONSIST01": Outcome.WARNING,
                              "CONSIST04": Outcome.FAILED}
    assert "ns2.test. (192.0.2.2) does not serve it" in verdicts["ROLLOVER02"].message


# --- ROLLOVER03 and ROLLOVER04: a double-KSK rollover --------------------------------------


def ksk_published(keys):
    """Baseline at T0 (KSK, DS of KSK); ksk2 published and signing the DNSKEY RRset at T0+1h."""
    timeline = Timeline()
    assert timeline.run(*stage(keys, child(keys)), T0).fired == {}
    both = child(keys, signing=("ksk", "ksk2", "zsk"))
    published = timeline.run(*stage(keys, both), T0 + HOUR)
    assert published.fired == {}
    return timeline, both


def test_swapping_the_ds_before_the_new_ksk_is_ready_fails(keys):
    timeline, both = ksk_published(keys)
    hasty = timeline.run(*stage(keys, both, ds=("ksk2",)), T0 + HOUR + 10 * 60)
    assert hasty.fired == {"ROLLOVER03": Outcome.FAILED}
    message = hasty["ROLLOVER03"].message
    assert "not ready before 2027-01-15T01:00:00Z" in message
    # once the timing allows, the same DS set is fine
    assert timeline.run(*stage(keys, both, ds=("ksk2",)), T0 + 3 * HOUR).fired == {}


def test_swapping_the_ds_once_the_new_ksk_is_ready_passes(keys):
    timeline, both = ksk_published(keys)
    before = timeline.fork().run(*stage(keys, both), T0 + 3 * HOUR)
    assert any("ready for use: served by every server since 2027-01-14T23:00:00Z" in m
               for m in before.messages("ROLLOVER02"))
    swapped = timeline.run(*stage(keys, both, ds=("ksk2",)), T0 + 3 * HOUR + 5 * 60)
    assert swapped.fired == {}


def test_removing_the_old_ksk_waits_for_its_ds_to_leave_caches(keys):
    timeline, both = ksk_published(keys)
    timeline.run(*stage(keys, both, ds=("ksk2",)), T0 + 3 * HOUR + 5 * 60)
    waiting = timeline.fork().run(*stage(keys, both, ds=("ksk2",)), T0 + 4 * HOUR)
    # DS(ksk) found gone at T0+3h05: DS TTL 3600 s + margin 3600 s
    assert any("removing it is safe from 2027-01-15T03:05:00Z" in m
               for m in waiting.messages("ROLLOVER04"))
    removed = child(keys, signing=("ksk2", "zsk"))
    hasty = timeline.fork().run(*stage(keys, removed, ds=("ksk2",)), T0 + 3 * HOUR + 30 * 60)
    assert hasty.fired == {"ROLLOVER04": Outcome.FAILED}
    assert "validators holding that DS set fail until 2027-01-15T03:05:00Z" in (
        hasty["ROLLOVER04"].message)
    safe = timeline.fork().run(*stage(keys, removed, ds=("ksk2",)), T0 + 5 * HOUR + 10 * 60)
    assert safe.fired == {}


def test_removing_a_ksk_its_ds_still_names_fails(keys):
    timeline = Timeline()
    timeline.run(*stage(keys, child(keys)), T0)
    removed = timeline.run(*stage(keys, child(keys, signing=("ksk2", "zsk"))), T0 + HOUR)
    assert removed.fired == {"ROLLOVER04": Outcome.FAILED, "KEY01": Outcome.FAILED}
    assert "(still at the parent)" in removed["ROLLOVER04"].message


def test_a_double_ds_while_the_new_ksk_is_not_ready_is_noted(keys):
    timeline, both = ksk_published(keys)
    double = timeline.run(*stage(keys, both, ds=("ksk", "ksk2")), T0 + HOUR + 10 * 60)
    assert double.fired == {}
    assert any("still carries the zone" in m for m in double.messages("ROLLOVER03"))


def test_a_ds_for_a_key_no_server_serves_beside_a_good_one_is_a_warning(keys):
    verdicts = judge(*stage(keys, child(keys), ds=("ksk", "unpublished")))
    assert verdicts.fired == {"ROLLOVER03": Outcome.WARNING}
    assert "names a key no server serves" in verdicts["ROLLOVER03"].message


def test_a_ds_naming_a_key_one_server_lacks_fails(keys):
    served = {SERVER: child(keys, signing=("ksk", "ksk2", "zsk")), SERVER2: child(keys)}
    verdicts = judge(*stage(keys, served, ds=("ksk2",)))
    assert verdicts.fired == {"ROLLOVER03": Outcome.FAILED, "KEY01": Outcome.FAILED,
                              "CONSIST01": Outcome.WARNING}


# --- ROLLOVER05: CDS and CDNSKEY ------------------------------------------------------------


def test_cds_and_cdnskey_of_the_ksk_are_safe(keys):
    verdicts = judge(*stage(keys, child(keys, body=cds_lines(keys["ksk"]))))
    assert verdicts.fired == {}
    assert verdicts["ROLLOVER05"].findings == []


def test_cds_that_does_not_match_the_dnskey_fails(keys):
    body = cds_lines(keys["unpublished"], cdnskey=False)
    body += f"@ 3600 IN CDNSKEY {keys['ksk'].dnskey.to_text()}\n"
    verdicts = judge(*stage(keys, child(keys, body=body)))
    assert verdicts.fired == {"ROLLOVER05": Outcome.FAILED}
    messages = verdicts.messages("ROLLOVER05")
    assert any("CDS and CDNSKEY disagree" in m for m in messages)
    assert any("applying the CDS RRset would make the zone bogus" in m for m in messages)


def test_cds_naming_a_key_that_does_not_sign_the_dnskey_rrset_fails(keys):
    verdicts = judge(*stage(keys, child(keys, body=cds_lines(keys["zsk"]))))
    assert verdicts.fired == {"ROLLOVER05": Outcome.FAILED}
    assert "no key it names signs the DNSKEY RRset" in verdicts["ROLLOVER05"].message


DELETE = "@ 3600 IN CDS 0 0 0 00\n@ 3600 IN CDNSKEY 0 3 0 AA==\n"


def test_a_delete_cds_on_a_zone_expected_secure_fails_clearly(keys):
    verdicts = judge(*stage(keys, child(keys, body=DELETE)))
    assert verdicts.fired == {"ROLLOVER05": Outcome.FAILED}
    assert verdicts["ROLLOVER05"].message.startswith(
        "the zone asks its parent to delete its DS (RFC 8078 §4 delete CDS/CDNSKEY)")


def test_a_delete_cds_on_a_zone_going_insecure_is_noted(keys):
    unsigned = child(keys, signing=(), body=DELETE)
    verdicts = judge(*stage(keys, unsigned, ds=(), expect="insecure"))
    assert verdicts.fired == {}
    assert "as expected for a zone meant to be insecure" in verdicts["ROLLOVER05"].message


def test_a_delete_cds_beside_other_records_is_a_warning(keys):
    body = "@ 3600 IN CDS 0 0 0 00\n" + cds_lines(keys["ksk"], cdnskey=False)
    verdicts = judge(*stage(keys, child(keys, body=body)))
    assert verdicts.fired == {"ROLLOVER05": Outcome.WARNING}


def test_cds_served_differently_by_the_servers_is_a_warning(keys):
    served = {SERVER: child(keys, body=cds_lines(keys["ksk"])), SERVER2: child(keys)}
    verdicts = judge(*stage(keys, served))
    assert verdicts.fired == {"ROLLOVER05": Outcome.WARNING}
    assert "the servers publish different CDS/CDNSKEY RRsets" in verdicts["ROLLOVER05"].message


def test_cds_naming_a_ksk_that_is_not_ready_is_a_warning(keys):
    timeline, _ = ksk_published(keys)
    announcing = child(keys, signing=("ksk", "ksk2", "zsk"), body=cds_lines(keys["ksk2"]))
    verdicts = timeline.run(*stage(keys, announcing), T0 + HOUR + 10 * 60)
    assert verdicts.fired == {"ROLLOVER05": Outcome.WARNING}
    assert "a parent applying it now swaps the DS too early" in verdicts["ROLLOVER05"].message
    later = timeline.run(*stage(keys, announcing), T0 + 3 * HOUR)
    assert later.fired == {}


def test_cds_not_signed_by_a_key_the_ds_names_is_a_warning(keys):
    zone = child(keys, signing=("ksk", "ksk2", "zsk"), body=cds_lines(keys["ksk2"]))
    tag = dns.dnssec.key_id(keys["ksk"].dnskey)
    for covered in (dns.rdatatype.CDS, dns.rdatatype.CDNSKEY):
        sigs = zone.zone.find_rdataset(zone.origin, dns.rdatatype.RRSIG, covered)
        for rrsig in list(sigs):
            if rrsig.key_tag == tag:
                sigs.remove(rrsig)
    verdicts = judge(*stage(keys, zone))
    assert verdicts.fired == {"ROLLOVER05": Outcome.WARNING}
    assert "parents following RFC 7344 §4.1 ignore it" in verdicts["ROLLOVER05"].message


@pytest.mark.parametrize("body", ["@ 3600 IN CDS 0 0 0 01\n@ 3600 IN CDNSKEY 0 3 0 AA==\n",
                                  "@ 3600 IN CDS 0 0 0 00\n@ 3600 IN CDNSKEY 0 3 0 BA==\n"])
def test_a_malformed_delete_is_no_delete_request(keys, body):
    """Knot's cdnskey.delete.invalid.cds and .cdnskey: algorithm 0 in another form than RFC
    8078 §4's is neither a DS nor a delete request, so the parent ignores the set."""
    verdicts = judge(*stage(keys, child(keys, body=body)))
    assert verdicts.fired == {"ROLLOVER05": Outcome.WARNING}
    assert "algorithm 0 but not the delete form" in verdicts["ROLLOVER05"].message
