"""One failed query is "could not check" for that server, never evidence that the data is
absent: an `error` naming the server and the question, and no verdict built on the gap."""

from __future__ import annotations

import dns.dnssec
import dns.rdataclass
import dns.rdatatype
import pytest

from dnssec_conformance.analysis.keys_seen import observe
from dnssec_conformance.findings import Outcome, Severity
from dnssec_conformance.probe.data import ServerAnswers
from dnssec_conformance.probe.transport import Exchange
from dnssec_conformance.state.codec import from_document, to_document
from dnssec_conformance.state.history import advance
from dnssec_conformance.state.model import KeyRecord, rdata_text

from .inmemory import SERVER, SERVER2, dead, make_key
from .rollover_stages import HOUR, Timeline, child, judge, stage
from .test_rollover_checks import T0

DNSKEY = dns.rdatatype.DNSKEY


@pytest.fixture(scope="module")
def keys():
    return {"ksk": make_key(13, ksk=True), "zsk": make_key(13),
            "zsk2": make_key(13)}


def _fail(data, server, rdtype, failure="timeout after 3 s"):
    """`server`'s answer to the apex `rdtype` replaced by a failed exchange."""
    answers = data.answers[server]
    exchanges = dict(answers.exchanges)
    key = (data.apex, rdtype)
    exchanges[key] = Exchange(server, data.apex, rdtype, False, None, "", failure, 6.0)
    data.answers[server] = ServerAnswers(server, exchanges, answers.nonexistent,
                                         answers.nodata)


def _silent(data, server):
    soa = dns.rdatatype.SOA
    data.answers[server] = ServerAnswers(server, {(data.apex, soa): dead(server, data.apex,
                                                                         soa)})


def test_a_failed_dnskey_answer_is_no_evidence_of_an_unsigned_zone(keys):
    data, parent = stage(keys, {SERVER: child(keys), SERVER2: child(keys)})
    _fail(data, SERVER2, DNSKEY, "unparsable response (FormError: bad label)")

    verdicts = judge(data, parent)

    ds02 = verdicts["DS02"]
    assert ds02.outcome is Outcome.ERROR
    assert [f.severity for f in ds02.findings] == [Severity.ERROR]
    finding = ds02.findings[0]
    assert finding.server == str(SERVER2)
    assert finding.message == (f"could not check {data.apex} DNSKEY at this server: "
                               "unparsable response (FormError: bad label)")
    assert "serves no DNSKEY" not in " ".join(verdicts.messages("DS02"))
    for check in ("KEY01", "KEY02", "KEY03", "ALG01", "CONSIST01", "ROLLOVER02",
                  "ROLLOVER03", "ROLLOVER05"):
        assert verdicts[check].outcome is Outcome.ERROR, check
        assert all(f.severity is not Severity.CRITICAL for f in verdicts[check].findings)


def test_a_refused_soa_answer_is_no_evidence_of_a_zone_without_signatures(keys):
    data, parent = stage(keys, {SERVER: child(keys), SERVER2: child(keys)})
    _fail(data, SERVER2, dns.rdatatype.SOA, "answered REFUSED")
    data.answers[SERVER2] = ServerAnswers(
        SERVER2, {**data.answers[SERVER2].exchanges,
                  (data.apex, dns.rdatatype.SOA): _refused(data)})

    ds02 = judge(data, parent)["DS02"]

    assert ds02.outcome is Outcome.ERROR
    assert "serves no signatures" not in ds02.message


def _refused(data):
    import dns.message
    import dns.rcode

    query = dns.message.make_query(data.apex, dns.rdatatype.SOA)
    response = dns.message.make_response(query)
    response.set_rcode(dns.rcode.REFUSED)
    return Exchange(SERVER2, data.apex, dns.rdatatype.SOA, False, response, "udp", None, 0.01)


def test_a_silent_server_at_the_baseline_makes_no_key_unready(keys):
    timeline = Timeline()
    data, parent = stage(keys, {SERVER: child(keys), SERVER2: child(keys)})
    _silent(data, SERVER2)

    baseline = timeline.run(data, parent, T0)

    assert baseline["ROLLOVER02"].outcome is Outcome.ERROR
    assert baseline["ROLLOVER03"].outcome is Outcome.ERROR
    for check in ("ROLLOVER02", "ROLLOVER03"):
        assert all(f.severity is Severity.ERROR and f.server == str(SERVER2)
                   for f in baseline[check].findings), baseline.messages(check)
    # The next run, with every server answering, finds the baseline's keys long established.
    whole, parent = stage(keys, {SERVER: child(keys), SERVER2: child(keys)})
    assert timeline.run(whole, parent, T0 + HOUR).fired == {}


def test_a_key_a_server_lacked_is_not_taken_as_established_by_a_later_silence(keys):
    timeline = Timeline()
    lacking = {SERVER: child(keys, published=("zsk2",)), SERVER2: child(keys)}
    timeline.run(*stage(keys, lacking), T0)  # ns2 lacks zsk2
    data, parent = stage(keys, {SERVER: child(keys, signing=("ksk", "zsk2"),
                                               published=("zsk",)),
                                SERVER2: child(keys)})
    _silent(data, SERVER2)

    run = timeline.run(data, parent, T0 + HOUR)

    # Whether ns2 has zsk2 by now is unknown: could not check, not "not ready".
    assert run["ROLLOVER02"].outcome is Outcome.ERROR
    assert all(f.severity is Severity.ERROR for f in run["ROLLOVER02"].findings)
    state = timeline.state
    assert state is not None
    record = next(r for r in state.keys.values() if r.key == keys["zsk2"].dnskey)
    assert record.lacked and record.everywhere_since is None


def test_a_dnskey_with_an_empty_public_key_round_trips_through_the_history(keys):
    from dns.rdtypes.ANY.DNSKEY import DNSKEY as DnskeyRdata

    empty = DnskeyRdata(dns.rdataclass.IN, DNSKEY, 257, 3, 13, b"")
    text = rdata_text(empty)
    assert text == "\\# 4 0101030d"
    record = KeyRecord(text, first_seen=1, last_seen=1, present_since=1)
    assert record.key == empty and record.tag == dns.dnssec.key_id(empty)

    data, parent = stage(keys, child(keys, published=()))
    answers = data.answers[SERVER]
    exchange = answers.exchanges[(data.apex, DNSKEY)]
    assert exchange.response is not None
    exchange.response.answer[0].add(empty)
    state = advance(None, observe(data), T0, "child.test.")
    again = from_document(to_document(state), "child.test.")
    assert any(r.key == empty for r in again.keys.values())
    verdicts = Timeline(state).run(data, parent, T0 + HOUR)
    assert "ROLLOVER01" not in verdicts.fired


def test_a_server_dropped_from_an_old_state_file_still_reads(keys):
    """State files written before `lacked` existed read as never lacking."""
    data, _ = stage(keys, child(keys))
    document = to_document(advance(None, observe(data), T0, "child.test."))
    for entry in document["keys"]:
        del entry["lacked"]
    state = from_document(document, "child.test.")
    assert not any(r.lacked for r in state.keys.values())



