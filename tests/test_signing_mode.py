"""Online signing told from evidence, and judged on renewal instead of days left: zones held by
the lab's online responder in memory, answered at a fixed moment. Each scenario lists the
checks that must fire; every other check of the catalog must not."""

from __future__ import annotations

import dataclasses

import dns.rcode
import pytest

from dnssec_conformance import catalog
from dnssec_conformance.analysis.signing_mode import signing_modes
from dnssec_conformance.catalog import zone_checks
from dnssec_conformance.findings import Outcome, Severity
from lab.online_responder import FROZEN, NSEC3_WHITE_LIES, NSEC_WHITE_LIES, SLIDING, Window

from .inmemory import (
    DAY,
    NOW,
    SERVER,
    build_zone,
    delegate,
    evaluation,
    parent_zone,
    zone_data,
)
from .online_inmemory import PROBE, signer, single

FIRING = (Outcome.FAILED, Outcome.WARNING, Outcome.ERROR)
HOUR = 3600


def fired(data, ev) -> dict[str, Outcome]:
    outcomes = {c: catalog.run(c, data, ev).outcome for c in zone_checks()}
    return {c: o for c, o in outcomes.items() if o in FIRING}


def messages(data, ev, check: str) -> list[str]:
    return [f.message for f in catalog.run(check, data, ev).findings]


@pytest.fixture
def parent():
    return parent_zone()


@pytest.mark.parametrize(("denial", "evidence"), [
    ("compact", "an NSEC at the name itself (compact denial, RFC 9824)"),
    (NSEC_WHITE_LIES, "a minimally covering NSEC (white lies, RFC 4470)"),
    (NSEC3_WHITE_LIES, "an NSEC3 spanning a few hashes around it (NSEC3 white lies)"),
])
def test_a_healthy_online_signer_raises_nothing_and_says_what_it_saw(parent, denial, evidence):
    """Signatures that expire in 49 hours, within the 3-day critical threshold: healthy for
    a signer that makes new ones with every answer."""
    data = single(signer(denial=denial), parent)
    ev = evaluation(parent)
    assert fired(data, ev) == {}
    mode = signing_modes(data)[SERVER]
    assert mode.online and mode.declared is None
    assert f"the denial of the random name {PROBE} is {evidence}" in mode.evidence[0]
    [note] = catalog.run("EXPIRY01", data, ev).findings
    assert note.severity is Severity.INFO and evidence in note.message
    assert "days left are not counted down" in note.message
    assert catalog.run("EXPIRY01", data, ev).days_left is None
    [fresh] = catalog.run("EXPIRY05", data, ev).findings
    assert fresh.severity is Severity.INFO
    assert "signatures made for this query: inception 1.0 h ago, expiration in 49.0 h" \
        in fresh.message


def test_the_same_signer_judged_as_pre_signed_pages(parent):
    """What the issue saw: a 2-day window judged by days left is a critical page."""
    data = single(signer(), parent, signing="presigned")
    ev = evaluation(parent)
    assert fired(data, ev) == {"EXPIRY01": Outcome.FAILED}
    assert "expires in 2.0 days" in catalog.run("EXPIRY01", data, ev).message
    [note] = catalog.run("EXPIRY05", data, ev).findings
    assert note.severity is Severity.INFO
    assert note.message.startswith("pre-signed as domains.yaml says (signing: presigned; seen: "
                                   "the denial of the random name")


def test_a_pre_signed_zone_shows_no_sign_of_online_signing(parent):
    child = build_zone("child.test.", expiration=NOW + 2 * DAY)
    delegate(parent, child)
    data = zone_data(child, parent)
    mode = signing_modes(data)[SERVER]
    assert not mode.online and mode.evidence == ()
    assert mode.second_look == "no second look at the SOA"
    ev = evaluation(parent)
    assert fired(data, ev) == {"EXPIRY01": Outcome.FAILED}
    assert catalog.run("EXPIRY05", data, ev).findings == []


def test_a_second_look_shows_a_window_that_slides(parent):
    data = single(signer(denial=NSEC3_WHITE_LIES), parent, second_look_after=2.0)
    mode = signing_modes(data)[SERVER]
    assert mode.slides and mode.slid_s == 2
    assert "the SOA's RRSIG expiration moved 2 s forward when asked again 2.00 s later " \
           "(a sliding window)" in mode.evidence


def test_a_second_look_shows_a_new_signature_in_the_same_window(parent):
    data = single(signer(randomized=True), parent, second_look_after=0.01)
    mode = signing_modes(data)[SERVER]
    assert "the SOA came back 0.01 s later with a new signature (same window)" in mode.evidence
    assert not mode.slides


def test_deterministic_signatures_in_the_same_second_look_the_same(parent):
    data = single(signer(randomized=False), parent, second_look_after=0.01)
    mode = signing_modes(data)[SERVER]
    assert mode.second_look == "the SOA's RRSIG was the same when asked again 0.01 s later"
    assert mode.online  # the denial made for the random name still shows it


def test_declared_online_without_evidence_is_judged_on_its_signatures(parent):
    """A PowerDNS-like signer with a pre-computed NSEC chain and cached signatures shows
    nothing; the operator says `signing: online`."""
    child = build_zone("child.test.", inception=NOW - HOUR, expiration=NOW + 49 * HOUR)
    delegate(parent, child)
    data = zone_data(child, parent)
    data.domain = dataclasses.replace(data.domain, signing="online")
    ev = evaluation(parent)
    assert fired(data, ev) == {}
    [note] = catalog.run("EXPIRY05", data, ev).findings
    assert note.message.startswith("online as domains.yaml says (signing: online; seen: no "
                                   "second look at the SOA); its current signatures: ")


@pytest.mark.parametrize("into_the_week", [3.0, 6.9])
def test_weekly_windows_past_their_middle_count_down_quietly(parent, into_the_week):
    """PowerDNS live-signing (pdns/dnssecsigner.cc): inception a week before the start of
    the week, expiration two weeks after it: 7 to 14 days ahead, past the middle of the
    window half the week, never within the 7-day warning threshold."""
    start_of_week = NOW - into_the_week * DAY
    window = Window(FROZEN, inception=int(start_of_week - 7 * DAY),
                    expiration=int(start_of_week + 14 * DAY))
    data = single(signer(denial=NSEC3_WHITE_LIES, window=window), parent)
    ev = evaluation(parent)
    assert fired(data, ev) == {}
    [note] = catalog.run("EXPIRY05", data, ev).findings
    assert note.severity is Severity.INFO
    if into_the_week > 3.5:
        assert "(weekly windows?)" in note.message


def test_a_signer_whose_window_stopped_sliding(parent):
    window = Window(FROZEN, inception=NOW - 40 * HOUR, expiration=NOW + 10 * HOUR)
    data = single(signer(window=window), parent)
    ev = evaluation(parent)
    assert fired(data, ev) == {"EXPIRY01": Outcome.FAILED, "EXPIRY05": Outcome.FAILED}
    [stopped] = catalog.run("EXPIRY05", data, ev).findings
    assert stopped.message.startswith(
        "the online signer's window is not moving with the clock: signatures made for this "
        "query: inception 40.0 h ago, expiration in 10.0 h")
    assert stopped.days_left == pytest.approx(10 / 24)
    assert all("did not renew this signature: inception 40.0 h ago" in m
               for m in messages(data, ev, "EXPIRY01"))


def test_a_signer_serving_a_stale_signature_cache(parent):
    stale = Window(FROZEN, inception=NOW - 41 * HOUR, expiration=NOW + 9 * HOUR)
    data = single(signer(denial=NSEC_WHITE_LIES, cached_window=stale), parent)
    ev = evaluation(parent)
    assert fired(data, ev) == {"EXPIRY01": Outcome.FAILED}
    soa = next(m for m in messages(data, ev, "EXPIRY01") if " SOA " in m)
    assert "expires in 0.4 days" in soa and "did not renew this signature" in soa
    # the signatures it makes now are fine: the cache is what went stale
    assert catalog.run("EXPIRY05", data, ev).outcome is Outcome.PASSED


def test_fresh_signatures_that_do_not_outlive_the_ttl(parent):
    short = Window(SLIDING, inception_offset=-60, lifetime=1800)
    data = single(signer(window=short, ttl=3600), parent)
    ev = evaluation(parent)
    assert fired(data, ev) == {"EXPIRY02": Outcome.FAILED, "EXPIRY05": Outcome.FAILED}
    assert "sooner than the largest TTL (3600 s)" in catalog.run("EXPIRY05", data, ev).message


def test_an_online_signer_serving_expired_signatures(parent):
    late = Window(SLIDING, inception_offset=-7200, lifetime=3600)
    data = single(signer(window=late), parent)
    ev = evaluation(parent)
    assert fired(data, ev)["EXPIRY01"] is Outcome.FAILED
    assert "expired 0.0 days ago" in catalog.run("EXPIRY01", data, ev).message


@pytest.mark.parametrize("days_ahead", [3, 30])
def test_a_healthy_online_signer_stays_healthy_at_a_later_moment(parent, days_ahead):
    """`--at +3d`: the signatures seen will be gone by then, the signer will have made new
    ones; a pre-signed zone's would simply have expired."""
    data = single(signer(), parent)
    later = evaluation(parent, NOW + days_ahead * DAY)
    assert {c: o for c, o in fired(data, later).items() if c.startswith("EXPIRY")} == {}


def test_a_stopped_signer_at_a_later_moment_has_expired(parent):
    window = Window(FROZEN, inception=NOW - 40 * HOUR, expiration=NOW + 10 * HOUR)
    data = single(signer(window=window), parent)
    later = evaluation(parent, NOW + DAY)
    assert "expired 0.6 days ago" in catalog.run("EXPIRY01", data, later).message


@pytest.mark.parametrize("restored", [False, True])
def test_a_compact_denial_whose_bitmap_lists_the_queried_type(parent, restored):
    zone = signer(fault="bitmap-lists-qtype")
    data = single(zone, parent)
    if restored:  # RFC 9824 §4's NXDOMAIN for a client that asked for it
        response = data.answers[SERVER].nonexistent.response
        response.set_rcode(dns.rcode.NXDOMAIN)
    ev = evaluation(parent)
    assert fired(data, ev) == {"DENIAL04": Outcome.FAILED}
    [finding] = catalog.run("DENIAL04", data, ev).findings
    assert finding.message.startswith(f"{PROBE} A: the NODATA at the name itself (compact "
                                      "denial) is not proven: the type bitmap of ")
    assert f"has A: it says {PROBE} has A records" in finding.message


def test_white_lies_whose_next_name_is_below_the_name_are_bogus(parent):
    """RFC 4470 §4's successor, \\000.<name>, makes the name an empty non-terminal: Unbound
    1.17 ("nameerror proof failed") and BIND 9.18's delv reject the NXDOMAIN (lab/README)."""
    data = single(signer(denial=NSEC_WHITE_LIES, fault="next-below"), parent)
    ev = evaluation(parent)
    assert fired(data, ev) == {"DENIAL03": Outcome.FAILED}
    assert "is then an empty non-terminal" in catalog.run("DENIAL03", data, ev).message


def test_an_ordinary_nsec_chain_is_no_evidence(parent):
    """Real names near the probe's label (sharing all but its last two octets) are a chain,
    not records made for the query: only the random label's immediate neighbours count."""
    child = build_zone("child.test.", "nonexistent-pro IN A 192.0.2.9\n"
                       "nonexistent-prz IN A 192.0.2.9\n")
    data = zone_data(child, parent)
    assert data.answers[SERVER].nonexistent.qname.labels[0] == b"nonexistent-probe"
    assert not signing_modes(data)[SERVER].online


def test_an_online_signer_whose_clock_runs_ahead(parent):
    """Its fresh signatures start two hours from now: CLOCK01's, as for any signature."""
    ahead = Window(SLIDING, inception_offset=2 * HOUR, lifetime=50 * HOUR)
    data = single(signer(window=ahead), parent)
    ev = evaluation(parent)
    assert fired(data, ev) == {"CLOCK01": Outcome.FAILED}
    assert "has its inception 120 min in the future" in catalog.run("CLOCK01", data, ev).message
