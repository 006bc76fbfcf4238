"""Broken and hostile servers are findings, never hangs or tracebacks; a domain that does not
exist is a clear failure."""

from __future__ import annotations

import time

import dns.name
import pytest

from dnssec_conformance.catalog import run_check, zone_checks
from dnssec_conformance.collect import Collector, ServerAnswers
from dnssec_conformance.config import DomainSpec, QueryPolicy, ResolverAddress
from dnssec_conformance.findings import Outcome, Severity
from dnssec_conformance.transport import Server, ask

from .hostile import BEHAVIOURS, hostile_server
from .inmemory import SERVER2, build_zone, delegate, evaluation, parent_zone, zone_data

POLICY = QueryPolicy(timeout_s=0.5, retries=1)
EXPECTED = {
    "silent": "timeout after 0.5 s",
    "refused": "answered REFUSED",
    "servfail": "answered SERVFAIL",
    "formerr": "answered FORMERR",
    "lame": "lame: answered without the AA flag",
    "garbage": "unparsable response",
    "short": "unparsable response",
    "truncated-everywhere": "truncated answer even over TCP",
    "wrong-id": "an answer that does not match the query",
}


def server_answers(address: str, port: int) -> ServerAnswers:
    collector = Collector((), POLICY)
    domain = DomainSpec(dns.name.from_text("child.test."), ("A",))
    server = Server(address, port, dns.name.from_text("ns2.test."))
    return collector._server_answers(server, domain, domain.name,
                                     dns.name.from_text("probe.child.test."))


@pytest.mark.parametrize("behaviour", BEHAVIOURS)
def test_a_misbehaving_server_is_named_and_bounded(behaviour):
    with hostile_server(behaviour) as (address, port):
        started = time.monotonic()
        answers = server_answers(address, port)
        elapsed = time.monotonic() - started
    assert answers.failure is not None and EXPECTED[behaviour] in answers.failure
    # A dead server is given up on after its SOA query: timeout x (1 + retries), not more.
    assert elapsed < 0.5 * 2 * 4 + 1


@pytest.mark.parametrize("behaviour", ["silent", "garbage", "lame", "refused"])
def test_every_check_reports_the_bad_server_and_keeps_the_good_ones_verdict(behaviour):
    parent = parent_zone()
    child = build_zone("child.test.")
    delegate(parent, child)
    data = zone_data(child, parent)
    with hostile_server(behaviour) as (address, port):
        answers = server_answers(address, port)
    data.answers[SERVER2] = ServerAnswers(SERVER2, answers.exchanges, None)
    ev = evaluation(parent)
    for check in zone_checks():
        result = run_check(check, data, ev)
        if check in ("DENIAL10", "SIG02") or check.startswith("PROVIDER"):
            # zone-file checks, and the checks of a provider no one configured here
            assert result.outcome is Outcome.SKIPPED
            continue
        assert result.outcome in (Outcome.PASSED, Outcome.ERROR), (check, result.message)
        errors = [f for f in result.findings if f.severity is Severity.ERROR]
        for finding in errors:
            assert finding.server == str(SERVER2)
            assert EXPECTED[behaviour] in finding.message
    expiry = run_check("EXPIRY01", data, ev)
    assert expiry.outcome is Outcome.ERROR and expiry.days_left == pytest.approx(30, abs=0.1)


def test_garbage_over_udp_and_tcp_does_not_raise():
    with hostile_server("garbage") as (address, port):
        exchange = ask(Server(address, port), dns.name.from_text("x."), 6, timeout=0.5)
    assert not exchange.ok and "unparsable" in (exchange.failure or "")
    assert "no usable answer" in exchange.evidence()


def test_unreachable_resolver_is_a_could_not_check(lab):
    collector = Collector((ResolverAddress("127.0.0.1", 9),), QueryPolicy(0.3, 0))
    data = collector.collect(DomainSpec(dns.name.from_text("good-ecdsa.test.")))
    result = run_check("EXPIRY01", data, evaluation(parent_zone()))
    assert result.outcome is Outcome.ERROR
    assert "no resolver answered" in result.message


def test_a_domain_that_does_not_exist_is_a_clear_failure(lab):
    collector = Collector((ResolverAddress(lab.validating_resolver),), QueryPolicy(2, 1))
    data = collector.collect(DomainSpec(dns.name.from_text("no-such-zone.test.")))
    result = run_check("DS01", data, evaluation(parent_zone()))
    assert result.outcome is Outcome.FAILED
    assert "does not exist (NXDOMAIN" in result.message
