"""Broken and hostile servers are findings, never hangs or tracebacks; a domain that does not
exist is a clear failure."""

from __future__ import annotations

import time

import dns.name
import pytest

from dnssec_conformance import catalog
from dnssec_conformance.analysis.evaluation import Evaluation
from dnssec_conformance.catalog import zone_checks
from dnssec_conformance.config.anchors import load_anchors
from dnssec_conformance.config.loading import load_config
from dnssec_conformance.config.model import DomainSpec, QueryPolicy
from dnssec_conformance.engine.runner import probe_zones
from dnssec_conformance.findings import Outcome, Severity
from dnssec_conformance.probe.data import ServerAnswers
from dnssec_conformance.probe.querier import ask
from dnssec_conformance.probe.transport import Server

from .engine import server_answers
from .hostile import BEHAVIOURS, hostile_server
from .inmemory import SERVER2, build_zone, delegate, evaluation, parent_zone, zone_data

POLICY = QueryPolicy(timeout_s=0.5, retries=1)
EXPECTED = {
    "silent": "timeout after 0.5 s",
    "refused": "answered REFUSED",
    "servfail": "answered SERVFAIL",
    "formerr": "answered FORMERR",
    "lame": "lame: answered without the AA flag",
    # a packet with an ID of no query of ours is ignored, as resolvers ignore it, and named
    "garbage": "timeout after 0.5 s (meanwhile the server sent a packet whose ID matches no "
               "query in flight, which is no answer)",
    "garbage-with-id": "unparsable response",
    "short": "unparsable response",
    "truncated-everywhere": "truncated answer even over TCP",
    "wrong-id": "a packet whose ID matches no query in flight",
    "wrong-question": "an answer that does not match the query",
    "not-a-response": "an answer without the QR flag",
    "wrong-class": "an answer with records of class CH",
}


def answers_of(address: str, port: int) -> ServerAnswers:
    domain = DomainSpec(dns.name.from_text("child.test."), ("A",))
    return server_answers(Server(address, port, dns.name.from_text("ns2.test.")), domain,
                          POLICY)


@pytest.mark.parametrize("behaviour", BEHAVIOURS)
def test_a_misbehaving_server_is_named_and_bounded(behaviour):
    with hostile_server(behaviour) as (address, port):
        started = time.monotonic()
        answers = answers_of(address, port)
        elapsed = time.monotonic() - started
    assert answers.failure is not None and EXPECTED[behaviour] in answers.failure
    # Truncation is data, not wording: DENIAL08 reads it from the exchange.
    assert any(e.truncated for e in answers.exchanges.values()) is (
        behaviour == "truncated-everywhere")
    # A dead server is given up on after its SOA query: timeout x (1 + retries), not more.
    assert elapsed < 0.5 * 2 * 4 + 1


@pytest.mark.parametrize("behaviour", ["silent", "garbage", "lame", "refused"])
def test_every_check_reports_the_bad_server_and_keeps_the_good_ones_verdict(behaviour):
    parent = parent_zone()
    child = build_zone("child.test.")
    delegate(parent, child)
    data = zone_data(child, parent)
    with hostile_server(behaviour) as (address, port):
        answers = answers_of(address, port)
    data.answers[SERVER2] = ServerAnswers(SERVER2, answers.exchanges, None)
    ev = evaluation(parent)
    for check in zone_checks():
        result = catalog.run(check, data, ev)
        if check in ("DENIAL10", "SIG02") or check.startswith(("PROVIDER", "XFR")):
            # zone-file checks, and the checks of a provider or transfer not configured
            assert result.outcome is Outcome.SKIPPED
            continue
        assert result.outcome in (Outcome.PASSED, Outcome.ERROR), (check, result.message)
        errors = [f for f in result.findings if f.severity is Severity.ERROR]
        for finding in errors:
            assert finding.server == str(SERVER2)
            assert EXPECTED[behaviour] in finding.message
    expiry = catalog.run("EXPIRY01", data, ev)
    assert expiry.outcome is Outcome.ERROR and expiry.days_left == pytest.approx(30, abs=0.1)


def test_garbage_over_udp_and_tcp_does_not_raise():
    with hostile_server("garbage-with-id") as (address, port):
        exchange = ask(Server(address, port), dns.name.from_text("x."), 6, timeout=0.5)
    assert not exchange.ok and "unparsable" in (exchange.failure or "")
    assert "no usable answer" in exchange.evidence()


def lab_config(tmp_path, lab, resolvers: str, root: str, query: str = ""):
    path = tmp_path / "domains.yaml"
    path.write_text(f"resolvers: {resolvers}\nroot_hints: [{root}]\n"
                    f"trust_anchors: {lab.trust_anchors}\n{query}"
                    "domains: [good-ecdsa.test, no-such-zone.test]\n")
    return load_config(path)


def test_unreachable_servers_are_a_could_not_check(tmp_path, lab):
    """Neither the root hints nor the resolver answer: every check could not check, naming
    the servers, within one timeout."""
    config = lab_config(tmp_path, lab, '["127.0.0.1:9"]', '"127.0.0.1:9"',
                        "query: {timeout_s: 0.3, retries: 0}\n")
    started = time.monotonic()
    data = probe_zones(config)["good-ecdsa.test"]
    assert time.monotonic() - started < 2
    result = catalog.run("EXPIRY01", data, evaluation(parent_zone()))
    assert result.outcome is Outcome.ERROR
    assert "cannot find the zone of good-ecdsa.test." in result.message
    assert "no server of . answered usably" in result.message


def test_discovery_needs_no_resolver(tmp_path, lab):
    """The walk from the root hints finds every zone with no resolver answering at all."""
    config = lab_config(tmp_path, lab, '["127.0.0.1:9"]', lab.servers["root"])
    data = probe_zones(config)["good-ecdsa.test"]
    assert data.discovery_failure is None
    assert [str(s) for s in data.servers] == [f"ns1.test. ({lab.servers['ns1']})"]
    assert data.parent_ns == (dns.name.from_text("ns1.test."),)
    assert [a.apex.to_text() for a in data.ancestors] == [".", "test."]
    lab_evaluation = Evaluation(time.time(), load_anchors(config.trust_anchors))
    assert catalog.run("DS01", data, lab_evaluation).outcome is Outcome.PASSED


def test_a_domain_that_does_not_exist_is_a_clear_failure(tmp_path, lab):
    config = lab_config(tmp_path, lab, f"[{lab.validating_resolver}]", lab.servers["root"])
    data = probe_zones(config)["no-such-zone.test"]
    result = catalog.run("DS01", data, evaluation(parent_zone()))
    assert result.outcome is Outcome.FAILED
    assert "does not exist (NXDOMAIN" in result.message
