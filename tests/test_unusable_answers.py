"""Every unusable answer surfaces as a finding naming the server, the question and the reason
(CONSIST05), against real sockets that serve a signed zone and spoil the answers of one
question type: never a silent pass while the SOA answer is fine."""

from __future__ import annotations

import dns.message
import dns.name
import dns.rdatatype
import pytest

from dnssec_conformance import catalog
from dnssec_conformance.catalog import zone_checks
from dnssec_conformance.config.model import DomainSpec, QueryPolicy
from dnssec_conformance.findings import Outcome, Severity
from dnssec_conformance.probe.transport import Server

from .engine import server_answers
from .hostile import ANSWER_FAULTS, zone_server
from .inmemory import build_zone, delegate, evaluation, parent_zone, zone_data

RECORDS = ("A", "MX", "TXT")
POLICY = QueryPolicy(timeout_s=0.3, retries=0)
# What the transport says (probe.querier): one of these. A datagram whose ID is no query's is
# ignored, as resolvers ignore it, and named when the query then times out.
REASONS = {
    "garbage": ("unparsable response", "ID matches no query"),
    "qr0": ("without the QR flag",),
    "wrong-id": ("timeout", "ID matches no query"), "wrong-question": ("does not match",),
    "bad-counts": ("unparsable response",), "long-label": ("unparsable response",),
    "two-opt": ("BadEDNS",), "silent": ("timeout",), "servfail": ("answered SERVFAIL",),
    "notimp": ("answered NOTIMP",),
    "truncated-tcp-broken": ("timeout", "ended early", "TCP failed"),
}


@pytest.fixture(scope="module")
def signed():
    parent = parent_zone()
    child = build_zone("child.test.")
    delegate(parent, child)
    return parent, child


def collect_with_fault(signed, rdtype: str, fault: str):
    from dnssec_conformance.dnssec.authoritative import respond

    parent, child = signed
    data = zone_data(child, parent, records=RECORDS)

    def answer(query):
        question = query.question[0]
        return respond(child.zone, question.name, question.rdtype)

    faults = {int(dns.rdatatype.from_text(rdtype)): fault}
    with zone_server(answer, faults) as (address, port):
        server = Server(address, port, dns.name.from_text("ns2.test."))
        domain = DomainSpec(child.origin, RECORDS)
        answers = server_answers(server, domain, POLICY)
    data.answers[server] = answers
    data.servers = (*data.servers, server)
    return data, server, evaluation(parent)


@pytest.mark.parametrize("fault", ANSWER_FAULTS)
def test_a_spoiled_cds_answer_is_named_with_its_server_and_reason(signed, fault):
    data, server, ev = collect_with_fault(signed, "CDS", fault)
    result = catalog.run("CONSIST05", data, ev)
    assert result.outcome is Outcome.ERROR
    (finding,) = result.findings
    assert finding.server == str(server) and finding.severity is Severity.ERROR
    assert finding.message.startswith("could not check child.test. CDS at this server: ")
    assert any(reason in finding.message for reason in REASONS[fault])
    assert len(finding.message.splitlines()) == 1
    assert catalog.run("ROLLOVER05", data, ev).outcome is Outcome.ERROR


@pytest.mark.parametrize("rdtype", ["NS", "CDNSKEY", "A", "TXT", "MX", "DNSKEY"])
def test_any_question_answered_with_garbage_is_named(signed, rdtype):
    data, server, ev = collect_with_fault(signed, rdtype, "garbage")
    findings = catalog.run("CONSIST05", data, ev).findings
    questions = {f.message.split(" at this server")[0] for f in findings}
    assert f"could not check child.test. {rdtype}" in questions
    assert all(f.server == str(server) for f in findings)
    statuses = {c: catalog.run(c, data, ev).outcome for c in zone_checks()}
    assert Outcome.ERROR in statuses.values()
    assert Outcome.FAILED not in statuses.values(), statuses  # unknown, never a defect


def test_the_good_server_alone_passes(signed):
    parent, child = signed
    data = zone_data(child, parent, records=RECORDS)
    assert catalog.run("CONSIST05", data, evaluation(parent)).outcome is Outcome.PASSED


def test_a_parent_server_whose_ds_answer_is_unusable_is_named(signed):
    from dnssec_conformance.probe.transport import Exchange

    parent, child = signed
    data = zone_data(child, parent)
    broken = Server("192.0.2.54", 53, dns.name.from_text("ns2.parent.test."))
    data.ds_answers[broken] = Exchange(broken, child.origin, dns.rdatatype.DS, False, None,
                                       "", "timeout after 3 s", 6.0)
    (finding,) = catalog.run("CONSIST05", data, evaluation(parent)).findings
    assert finding.server == str(broken)
    assert finding.message == ("could not check child.test. DS at this server of the parent "
                               "test.: timeout after 3 s")


def test_an_unusable_second_look_at_the_soa_is_named(signed):
    """The SOA asked again after every other question (is the server an online signer?)
    answered with another question's answer: named like any other unusable answer."""
    from dnssec_conformance.dnssec.authoritative import respond

    parent, child = signed
    data = zone_data(child, parent, records=RECORDS)
    soa_queries = []

    def answer(query):
        question = query.question[0]
        if question.rdtype == dns.rdatatype.SOA:
            soa_queries.append(question.name)
            if len(soa_queries) > 1:
                return dns.message.make_response(dns.message.make_query("elsewhere.invalid.",
                                                                        "A"))
        return respond(child.zone, question.name, question.rdtype)

    with zone_server(answer, {}) as (address, port):
        server = Server(address, port, dns.name.from_text("ns2.test."))
        answers = server_answers(server, DomainSpec(child.origin, RECORDS), POLICY)
    assert len(soa_queries) == 2 and answers.second_look is not None
    data.answers[server] = answers
    data.servers = (*data.servers, server)
    (finding,) = catalog.run("CONSIST05", data, evaluation(parent)).findings
    assert finding.server == str(server) and finding.severity is Severity.ERROR
    assert finding.message == ("could not check child.test. SOA asked a second time at this "
                               "server: an answer that does not match the query (wrong "
                               "question section)")


def test_a_resolver_answer_the_walk_fell_back_on_is_named_and_kept_in_snapshots(signed,
                                                                                tmp_path):
    """The walk from the root fell back on the resolver (the servers above gave nothing
    usable) and went on: the resolver's unusable answer on the way is a warning naming it
    (the fuzz campaign found it dropped once the zone was found), and a snapshot keeps it."""
    from dnssec_conformance.probe.snapshot import Snapshot, SnapshotWriter
    from dnssec_conformance.probe.transport import Exchange

    parent, child = signed
    data = zone_data(child, parent)
    resolver = Server("127.0.0.53", 53)
    data.walk_fallback = (Exchange(resolver, child.origin, dns.rdatatype.SOA, False, None, "",
                                   "an answer without the QR flag (not a response)", 0.1),)
    ev = evaluation(parent)
    result = catalog.run("CONSIST05", data, ev)
    assert result.outcome is Outcome.WARNING
    (finding,) = result.findings
    assert finding.server == str(resolver) and finding.severity is Severity.WARNING
    assert finding.message == (
        "the walk to the zone fell back on the resolvers (no server above it answered "
        "usably), and the resolver gave no usable answer for child.test. SOA: an answer "
        "without the QR flag (not a response)")
    writer = SnapshotWriter(tmp_path / "snapshot.json", domains_file=None, anchors_text="")
    writer.add_zone(data)
    writer.close(observations=[], coredns=None, clock=None)
    replayed = Snapshot(tmp_path / "snapshot.json").zone(data.domain)
    assert replayed.walk_fallback == data.walk_fallback
    assert catalog.run("CONSIST05", replayed, ev).findings == result.findings
