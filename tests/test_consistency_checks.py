"""Consistency between servers, on zones signed in memory and served by two or three servers:
the same keys, serial, NS set and verifiable signatures; a dead server is an error for that
server while the others are still compared."""

from __future__ import annotations

import dns.name
import pytest

from dnssec_conformance import catalog
from dnssec_conformance.checks.consistency import serial_behind
from dnssec_conformance.findings import Outcome, Severity
from dnssec_conformance.probe.transport import Server

from .inmemory import (
    NOW,
    SERVER,
    SERVER2,
    build_zone,
    dead,
    delegate,
    evaluation,
    make_key,
    parent_zone,
    zone_data,
)
from .rollover_stages import child, judge, stage

SERVER3 = Server("192.0.2.3", 53, dns.name.from_text("ns3.test."))


@pytest.fixture(scope="module")
def keys():
    return {"ksk": make_key(13, ksk=True), "zsk": make_key(13), "ksk2": make_key(13, ksk=True),
            "zsk2": make_key(13)}


def test_identical_servers_pass(keys):
    zone = child(keys)
    assert judge(*stage(keys, {SERVER: zone, SERVER2: zone})).fired == {}


def test_a_server_behind_on_the_serial_is_a_warning(keys):
    served = {SERVER: child(keys, serial=2026112801), SERVER2: child(keys, serial=2026112701)}
    verdicts = judge(*stage(keys, served))
    assert verdicts.fired == {"CONSIST02": Outcome.WARNING}
    (finding,) = verdicts["CONSIST02"].findings
    assert finding.server == str(SERVER2)
    assert finding.message == ("SOA serial 2026112701 is 100 behind the newest, 2026112801 "
                               "(ns1.test. (192.0.2.1)); allowed lag 0")


def test_a_tie_for_the_newest_serial_names_the_first_server_every_run(keys):
    """Two servers share the newest serial: the finding names the first of them in the
    servers' order, whatever the hash seed (it once came from iterating a set)."""
    newest = child(keys, serial=2026112801)
    served = {SERVER: child(keys, serial=2026112701), SERVER2: newest, SERVER3: newest}
    (finding,) = judge(*stage(keys, served))["CONSIST02"].findings
    assert finding.message.endswith(f"({SERVER2}); allowed lag 0")


def test_a_serial_within_the_allowed_lag_passes(keys):
    served = {SERVER: child(keys, serial=105), SERVER2: child(keys, serial=100)}
    assert judge(*stage(keys, served), serial_lag=5).fired == {}
    assert judge(*stage(keys, served), serial_lag=4).fired == {"CONSIST02": Outcome.WARNING}


def test_serials_compare_across_the_wrap():
    assert serial_behind(5, 2**32 - 5) == 10
    assert serial_behind(2**32 - 5, 5) == -10
    assert serial_behind(7, 7) == 0


def test_a_wrapped_serial_is_the_newest(keys):
    served = {SERVER: child(keys, serial=2**32 - 5), SERVER2: child(keys, serial=5)}
    verdicts = judge(*stage(keys, served))
    (finding,) = verdicts["CONSIST02"].findings
    assert finding.server == str(SERVER) and "is 10 behind the newest, 5" in finding.message


def test_servers_with_different_ns_sets_are_a_warning(keys):
    served = {SERVER: child(keys, body="@ 3600 IN NS ns2.test.\n"), SERVER2: child(keys)}
    verdicts = judge(*stage(keys, served))
    assert verdicts.fired == {"CONSIST03": Outcome.WARNING}
    assert "its NS RRset lacks ns2.test." in verdicts["CONSIST03"].message


def test_a_new_key_on_one_server_only_is_a_warning(keys):
    served = {SERVER: child(keys, signing=("ksk", "ksk2", "zsk")), SERVER2: child(keys)}
    verdicts = judge(*stage(keys, served))
    assert verdicts.fired == {"CONSIST01": Outcome.WARNING}
    (finding,) = verdicts["CONSIST01"].findings
    assert finding.server == str(SERVER2) and "lacks KSK" in finding.message


def test_two_servers_with_different_serials_and_keys(keys):
    served = {SERVER: child(keys, serial=2),
              SERVER2: child(keys, signing=("ksk", "zsk2"), serial=1)}
    verdicts = judge(*stage(keys, served))
    assert verdicts.fired == {"CONSIST01": Outcome.WARNING, "CONSIST02": Outcome.WARNING,
                              "CONSIST04": Outcome.FAILED, "ROLLOVER02": Outcome.FAILED}
    critical = [f for f in verdicts["CONSIST04"].findings if f.severity is Severity.CRITICAL]
    assert {f.server for f in critical} == {str(SERVER), str(SERVER2)}
    assert any("which the DNSKEY RRset of ns1.test. (192.0.2.1) lacks" in f.message
               for f in critical)


def test_multi_signer_servers_that_publish_each_others_keys_pass(keys):
    served = {SERVER: child(keys, signing=("ksk", "zsk"), published=("zsk2",)),
              SERVER2: child(keys, signing=("ksk", "zsk2"), published=("zsk",))}
    verdicts = judge(*stage(keys, served))
    assert verdicts.fired == {}
    assert "multi-signer" in verdicts["CONSIST04"].message


def test_a_dead_server_is_an_error_and_the_others_are_still_compared(keys):
    served = {SERVER: child(keys, serial=3), SERVER2: child(keys, serial=2),
              SERVER3: child(keys, serial=3)}
    data, parent = stage(keys, served)
    answers = data.answers[SERVER3]
    for key in list(answers.exchanges):
        answers.exchanges[key] = dead(SERVER3, *key)
    verdicts = judge(data, parent, NOW)
    for check in ("CONSIST01", "CONSIST02", "CONSIST03", "CONSIST04"):
        errors = [f for f in verdicts[check].findings if f.severity is Severity.ERROR]
        assert [f.server for f in errors] == [str(SERVER3)], check
        assert "timeout" in errors[0].message
    behind = [f for f in verdicts["CONSIST02"].findings if f.severity is Severity.WARNING]
    assert [f.server for f in behind] == [str(SERVER2)]
    assert verdicts["CONSIST02"].outcome is Outcome.ERROR


def test_addresses_without_a_route_are_listed_as_not_checked():
    parent = parent_zone()
    child = build_zone("child.test.")
    delegate(parent, child)
    data = zone_data(child, parent)
    data.unreachable = (Server("2001:db8::53", 53, child.origin),)
    result = catalog.run("CONSIST01", data, evaluation(parent))
    assert result.outcome is Outcome.PASSED
    assert any(f.message.startswith("not checked: this host has no route")
               and "2001:db8::53" in (f.server or "") for f in result.findings)
