"""Multi-signer zones (RFC 8901 model 2): each provider signs with its own KSK and ZSK, every
DNSKEY RRset carries every provider's ZSK, the parent a DS for each KSK. Different keys per
server is the design and raises nothing; a provider lacking another's ZSK stays a failure."""

from __future__ import annotations

import pytest

from dnssec_conformance.findings import Outcome, Severity
from lab.online_responder import NSEC_WHITE_LIES

from .inmemory import SERVER, SERVER2, make_key, parent_zone
from .online_inmemory import online_zone_data, signer
from .rollover_stages import child, judge, stage


@pytest.fixture(scope="module")
def keys():
    return {"ksk": make_key(13, ksk=True), "zsk": make_key(13), "ksk2": make_key(13, ksk=True),
            "zsk2": make_key(13)}


def providers(keys, *, second_publishes: tuple[str, ...] = ("zsk",)):
    return {SERVER: child(keys, signing=("ksk", "zsk"), published=("zsk2",)),
            SERVER2: child(keys, signing=("ksk2", "zsk2"), published=second_publishes)}


def test_two_providers_with_their_own_keys_raise_nothing(keys):
    verdicts = judge(*stage(keys, providers(keys), ds=("ksk", "ksk2")))
    assert verdicts.fired == {}
    notes = {c: [f.message for f in verdicts[c].findings if f.severity is Severity.INFO]
             for c in ("CONSIST01", "CONSIST04", "ROLLOVER03", "KEY01")}
    assert all("another signer's own KSK with a DS at the parent" in m
               for m in notes["CONSIST01"]) and len(notes["CONSIST01"]) == 2
    assert "multi-signer" in notes["CONSIST04"][0]
    assert "multi-signer (RFC 8901 model 2)" in notes["ROLLOVER03"][0]
    assert all("names a key another server serves" in m for m in notes["KEY01"])


def test_a_provider_lacking_the_others_zsk_fails(keys):
    verdicts = judge(*stage(keys, providers(keys, second_publishes=()), ds=("ksk", "ksk2")))
    assert verdicts.fired == {"CONSIST01": Outcome.WARNING, "CONSIST04": Outcome.FAILED,
                              "ROLLOVER02": Outcome.FAILED}
    [lacking] = [f for f in verdicts["CONSIST01"].findings if f.severity is Severity.WARNING]
    assert lacking.server == str(SERVER2) and "lacks ZSK" in lacking.message
    [broken] = [f for f in verdicts["CONSIST04"].findings if f.severity is Severity.CRITICAL]
    assert broken.server == str(SERVER)
    assert f"which the DNSKEY RRset of {SERVER2} lacks" in broken.message


def test_a_provider_whose_ksk_has_no_ds_is_not_excused(keys):
    verdicts = judge(*stage(keys, providers(keys), ds=("ksk",)))
    assert verdicts.fired["KEY01"] is Outcome.FAILED
    assert verdicts.fired["CONSIST01"] is Outcome.WARNING
    [no_ds] = [f for f in verdicts["KEY01"].findings if f.severity is Severity.CRITICAL]
    assert no_ds.server == str(SERVER2)


def test_two_online_providers_raise_nothing():
    parent = parent_zone()
    first = [make_key(13, ksk=True), make_key(13)]
    second = [make_key(13, ksk=True), make_key(13)]
    servers = {SERVER: signer(first, published=[second[1]]),
               SERVER2: signer(second, denial=NSEC_WHITE_LIES, published=[first[1]])}
    data = online_zone_data(servers, parent, ds_keys=[first[0], second[0]])
    verdicts = judge(data, parent)
    assert verdicts.fired == {}
    assert len(data.usable_answers()) == 2


def test_providers_keeping_their_own_serials_are_only_noted(keys):
    """RFC 8901 §3.1: each provider numbers its own versions of the zone."""
    served = {SERVER: child(keys, signing=("ksk", "zsk"), published=("zsk2",)),
              SERVER2: child(keys, signing=("ksk2", "zsk2"), published=("zsk",), serial=7)}
    verdicts = judge(*stage(keys, served, ds=("ksk", "ksk2")))
    assert verdicts.fired == {}
    [note] = [f for f in verdicts["CONSIST02"].findings if f.severity is Severity.INFO]
    assert note.message.startswith("multi-signer: each provider keeps its own SOA serial")


def test_a_lagging_server_of_one_provider_is_still_a_warning(keys):
    """Single-signer zones: a serial behind the others stays CONSIST02's warning."""
    served = {SERVER: child(keys, serial=5), SERVER2: child(keys, serial=3)}
    verdicts = judge(*stage(keys, served))
    assert verdicts.fired == {"CONSIST02": Outcome.WARNING}
