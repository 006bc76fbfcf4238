"""The runner does for every check what its registration asks: it stamps the check's ID on
each finding, folds the findings that differ only by server (`merge`), then adds the
could-not-check findings of the servers and answers the check reads (`unusable`), unfolded."""

from __future__ import annotations

from dataclasses import replace

import dns.name
import dns.rdatatype
import pytest

from dnssec_conformance import catalog
from dnssec_conformance.analysis.zone import EVERY_QUESTION, SERVERS_ONLY
from dnssec_conformance.catalog import CheckSpec, findings_of, register
from dnssec_conformance.findings import Category, Finding, Severity
from dnssec_conformance.probe.data import ServerAnswers, ZoneData
from dnssec_conformance.probe.transport import Server

from .inmemory import SERVER, build_zone, delegate, evaluation, parent_zone, zone_data

SILENT = [Server(f"192.0.2.{n}", 53, dns.name.from_text(f"ns{n}.test.")) for n in (7, 8)]
HALF = Server("192.0.2.9", 53, dns.name.from_text("ns9.test."))


@pytest.fixture(scope="module")
def signed():
    parent = parent_zone()
    child = build_zone("child.test.")
    delegate(parent, child)
    return parent, child


def _timed_out(answers: ServerAnswers, server: Server,
               rdtypes: tuple[dns.rdatatype.RdataType, ...] | None = None) -> ServerAnswers:
    """`answers` as `server` gave them, with a timeout for `rdtypes` (None: every question)."""
    exchanges = {key: replace(e, server=server) if rdtypes is not None and key[1] not in rdtypes
                 else replace(e, server=server, response=None, transport="",
                              failure="timeout after 2 s")
                 for key, e in answers.exchanges.items()}
    return ServerAnswers(server, exchanges)


def _zone(signed) -> ZoneData:
    """One good server, two that timed out alike, one whose DNSKEY answer timed out."""
    parent, child = signed
    zone = zone_data(child, parent)
    good = zone.answers[SERVER]
    for server in SILENT:
        zone.answers[server] = _timed_out(good, server)
    zone.answers[HALF] = _timed_out(good, HALF, (dns.rdatatype.DNSKEY,))
    return zone


def _spec(found: list[Finding], **how) -> CheckSpec:
    def check(zone: ZoneData, ev) -> list[Finding]:
        """A check. Remediation: none."""
        return list(found)

    return CheckSpec("TEST01", "test", "a test", Category.CONSISTENCY, Severity.CRITICAL, "-",
                     "consistency", check, **how)


FOUND = [Finding(Severity.CRITICAL, "bad", "ns1", "e1", 3.0, code="x"),
         Finding(Severity.INFO, "other", "ns1", code="y"),
         Finding(Severity.CRITICAL, "bad", "ns2", "e2", 1.0, code="x")]


def test_without_merge_or_unusable_the_findings_are_the_checks_own(signed):
    assert findings_of(_spec(FOUND), _zone(signed), evaluation(signed[0])) == FOUND


def test_merge_folds_the_servers_and_unusable_follows_unfolded(signed):
    found = findings_of(_spec(FOUND, merge=True, unusable=SERVERS_ONLY), _zone(signed),
                        evaluation(signed[0]))
    assert [(f.code, f.server, f.days_left) for f in found] == [
        ("x", "ns1, ns2", 1.0), ("y", "ns1", None),
        # the same failure at two servers stays two findings, one per server
        ("server-unusable", str(SILENT[0]), None), ("server-unusable", str(SILENT[1]), None)]
    assert found[0].evidence == "e1" and found[2].message == found[3].message


@pytest.mark.parametrize("questions, expected", [
    ((dns.rdatatype.DNSKEY,), 1), ((dns.rdatatype.SOA,), 0), (EVERY_QUESTION, 1)])
def test_unusable_answers_are_those_of_the_questions_the_check_reads(signed, questions,
                                                                     expected):
    found = findings_of(_spec([], unusable=questions), _zone(signed), evaluation(signed[0]))
    assert [f.code for f in found].count("server-unusable") == 2
    assert [f.server for f in found if f.code == "answer-unusable"] == [str(HALF)] * expected


def test_the_runner_stamps_the_check_id_on_every_finding(signed, monkeypatch):
    spec = _spec(FOUND, merge=True, unusable=SERVERS_ONLY)
    monkeypatch.setattr(catalog, "get", lambda check_id: spec)
    result = catalog.run("TEST01", _zone(signed), evaluation(signed[0]))
    assert result.findings and all(f.check == "TEST01" for f in result.findings)
    assert result.days_left == 1.0


def test_a_finding_made_outside_a_run_names_its_check_itself():
    assert Finding(Severity.INFO, "m").check == ""
    assert Finding(Severity.INFO, "m", check="SIG01").check == "SIG01"


def test_only_a_zone_check_asks_for_unusable_servers():
    def check(data, ev):
        """Remediation: none."""
        return []

    with pytest.raises(ValueError, match="only a zone check"):
        register(id="TEST02", name="t", title="t", category=Category.RESOLVER_AD,
                 severity=Severity.ERROR, rfc="-", marker="resolver", scope="resolver",
                 unusable=SERVERS_ONLY)(check)
