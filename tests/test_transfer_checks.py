"""The transfer checks (XFR01-XFR05) on copies signed in memory: each copy judged by the
zone-file rules as the probe judges it, then only its report kept. Which findings must
appear, and which must not."""

from __future__ import annotations

from dataclasses import replace

import dns.dnssec
import dns.name
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.rrset
import dns.zone
import pytest

from dnssec_conformance import catalog
from dnssec_conformance.analysis.evaluation import Evaluation
from dnssec_conformance.checks.transfer import COPY_RULES, copy_judge
from dnssec_conformance.config.model import DomainSpec, TransferSpec, TsigKey
from dnssec_conformance.findings import Outcome, Severity
from dnssec_conformance.probe.copies import CopyIndex, TransferReport, copy_entries, copy_stats
from dnssec_conformance.probe.data import ZoneData

from .inmemory import (
    DAY,
    NOW,
    SERVER,
    SERVER2,
    SignedZone,
    build_zone,
    evaluation,
    make_key,
    parent_zone,
    zone_data,
)

XFR = ("XFR01", "XFR02", "XFR03", "XFR04", "XFR05")
BODY = ('_dmarc 3600 IN TXT "v=DMARC1; p=reject"\n'
        "mail.sub 3600 IN MX 10 mx.example.net.\n")
DMARC = dns.name.from_text("_dmarc.example.test.")
KEYS = [make_key(13, ksk=True), make_key(13)]


def signed(body: str = BODY, serial: int = 1, **kwargs: object) -> SignedZone:
    zone = build_zone("example.test.", body, keys=KEYS, **kwargs)  # type: ignore[arg-type]
    if serial != 1:
        soa = zone.zone.find_rdataset(zone.origin, dns.rdatatype.SOA)
        soa.update(dns.rdataset.from_rdata(soa.ttl, soa[0].replace(serial=serial)))
        resign_rrset(zone, zone.origin, dns.rdatatype.SOA, NOW - DAY, NOW + 30 * DAY)
    return zone


def resign_rrset(zone: SignedZone, owner: dns.name.Name, rdtype: dns.rdatatype.RdataType,
                 inception: float, expiration: float) -> None:
    """Sign one RRset again with the ZSK, with another window."""
    node = zone.zone.find_node(owner)
    rdataset = node.find_rdataset(dns.rdataclass.IN, rdtype)
    zsk = KEYS[1]
    rrsig = dns.dnssec.sign(dns.rrset.from_rdata(owner, rdataset.ttl, *rdataset), zsk.private,
                            zone.origin, zsk.dnskey, inception=inception,
                            expiration=expiration)
    node.replace_rdataset(dns.rdataset.from_rdata(rdataset.ttl, rrsig))


def deep_expired() -> SignedZone:
    zone = signed()
    resign_rrset(zone, DMARC, dns.rdatatype.TXT, NOW - 31 * DAY, NOW - DAY)
    return zone


def live(primary: SignedZone, secondary: SignedZone | None = None,
         transfer: TransferSpec | None = None) -> ZoneData:
    """The live data of the zone (its servers' answers) with `transfer:` configured."""
    parent = parent_zone()
    servers = {SERVER: primary} if secondary is None else {SERVER: primary, SERVER2: secondary}
    data = zone_data(primary, parent, servers=servers)
    data.domain = replace(data.domain, transfer=transfer or TransferSpec())
    return data


def take(data: ZoneData, copies: dict, ev: Evaluation, wanted: tuple[str, ...] = XFR,
         **report: object) -> None:
    """What the probe stage does: judge each copy as it is taken, compare it with the first,
    keep only its report."""
    judge = copy_judge(ev, wanted)
    reports = []
    reference = None
    for server, zone in copies.items():
        entries = copy_entries(zone)
        stats = copy_stats(zone, entries)
        differences = reference.differences(entries) if reference is not None else None
        reference = reference or CopyIndex(entries, server, stats.serial)
        verdict = judge(data, server, zone, "axfr", None)
        reports.append(TransferReport(
            server, "axfr", serial=stats.serial, names=stats.names, rrsets=stats.rrsets,
            records=stats.records, digest=stats.digest, data_digest=stats.data_digest,
            judged_at=verdict.judged_at, judged_with=verdict.judged_with,
            findings=verdict.findings, differences=differences, **report))  # type: ignore[arg-type]
    data.transfers = tuple(reports)


def judged(data: ZoneData, ev: Evaluation) -> dict:
    return {check: catalog.run(check, data, ev) for check in XFR}


def failing(result) -> list:  # type: ignore[no-untyped-def]
    return [f for f in result.findings if f.severity > Severity.INFO]


def test_a_deep_expired_signature_is_found_only_through_the_copy() -> None:
    zone = deep_expired()
    data = live(zone)
    ev = evaluation(parent_zone(), NOW)
    take(data, {SERVER: zone.zone}, ev)

    results = judged(data, ev)

    assert catalog.run("EXPIRY01", data, ev).outcome is Outcome.PASSED  # the live sample
    expired = failing(results["XFR02"])
    assert [(f.severity, f.server) for f in expired] == [(Severity.CRITICAL, str(SERVER))]
    assert expired[0].message.startswith("_dmarc.example.test. TXT RRSIG expired 1.0 days ago")
    assert "from the zone transfer (AXFR) from ns1.test." in expired[0].evidence
    assert "RRSIG" in expired[0].evidence
    assert {c: r.outcome for c, r in results.items() if c != "XFR02"} == dict.fromkeys(
        ("XFR01", "XFR03", "XFR04", "XFR05"), Outcome.PASSED)


def test_a_deep_signature_that_does_not_verify_fails_xfr03_only() -> None:
    zone = signed()
    node = zone.zone.find_node(DMARC)
    sigs = node.find_rdataset(dns.rdataclass.IN, dns.rdatatype.RRSIG, dns.rdatatype.TXT)
    bad = [s.replace(signature=bytes(b ^ 0xFF for b in s.signature)) for s in sigs]
    node.replace_rdataset(dns.rdataset.from_rdata_list(sigs.ttl, bad))
    data = live(zone)
    ev = evaluation(parent_zone(), NOW)
    take(data, {SERVER: zone.zone}, ev)

    results = judged(data, ev)

    assert [f.message for f in failing(results["XFR03"])] == [
        f"RRSIG _dmarc.example.test. TXT by {sigs[0].key_tag}/ECDSAP256SHA256 does not verify"]
    assert results["XFR02"].outcome is Outcome.PASSED


def test_a_hole_in_the_nsec_chain_fails_xfr04() -> None:
    zone = signed()
    node = zone.zone.find_node(DMARC)
    node.delete_rdataset(dns.rdataclass.IN, dns.rdatatype.NSEC)
    node.delete_rdataset(dns.rdataclass.IN, dns.rdatatype.RRSIG, dns.rdatatype.NSEC)
    data = live(zone)
    ev = evaluation(parent_zone(), NOW)
    take(data, {SERVER: zone.zone}, ev)

    result = catalog.run("XFR04", data, ev)

    assert result.outcome is Outcome.FAILED
    assert any("_dmarc.example.test." in f.message for f in failing(result))


def test_an_older_copy_is_named_with_the_records_that_differ() -> None:
    current = signed(BODY + 'new 3600 IN TXT "added since"\n', serial=2)
    older = signed()
    data = live(current, older)
    ev = evaluation(parent_zone(), NOW)
    take(data, {SERVER: current.zone, SERVER2: older.zone}, ev)

    finding, = failing(catalog.run("XFR05", data, ev))

    assert finding.severity is Severity.WARNING and finding.server == str(SERVER2)
    assert finding.message.startswith(f"an older copy: serial 1, 1 behind 2 at {SERVER} "
                                      "(allowed lag 0): 2 RRset(s) differ: example.test. SOA, "
                                      f"new.example.test. TXT (only at {SERVER})")


def test_a_lag_within_the_allowed_serial_lag_is_information() -> None:
    current, older = signed(serial=2), signed()
    data = live(current, older)
    ev = evaluation(parent_zone(), NOW, serial_lag=5)  # type: ignore[arg-type]
    take(data, {SERVER: current.zone, SERVER2: older.zone}, ev)

    result = catalog.run("XFR05", data, ev)

    assert result.outcome is Outcome.PASSED
    assert "an older copy: serial 1, 1 behind 2" in result.message


def test_the_same_serial_with_other_data_is_a_warning() -> None:
    first, second = signed(), signed(BODY.replace("mx.example.net", "mx2.example.net"))
    data = live(first, second)
    ev = evaluation(parent_zone(), NOW)
    take(data, {SERVER: first.zone, SERVER2: second.zone}, ev)

    finding, = failing(catalog.run("XFR05", data, ev))

    assert "the same serial 1 as" in finding.message
    assert "changed without a new serial" in finding.message
    assert "mail.sub.example.test. MX" in finding.message


def test_copies_signed_separately_are_information() -> None:
    first, second = signed(), signed(expiration=NOW + 25 * DAY)
    data = live(first, second)
    ev = evaluation(parent_zone(), NOW)
    take(data, {SERVER: first.zone, SERVER2: second.zone}, ev)

    result = catalog.run("XFR05", data, ev)

    assert result.outcome is Outcome.PASSED
    assert "signed separately" in result.message


def test_identical_copies_say_so() -> None:
    zone = signed()
    data = live(zone, zone)
    ev = evaluation(parent_zone(), NOW)
    take(data, {SERVER: zone.zone, SERVER2: zone.zone}, ev)

    assert catalog.run("XFR05", data, ev).message.startswith(f"ok (the same copy as {SERVER}")


def test_a_refused_axfr_walked_instead_is_expected_without_tsig() -> None:
    zone = signed()
    data = live(zone, transfer=TransferSpec(walk=True))
    ev = evaluation(parent_zone(), NOW)
    take(data, {SERVER: zone.zone}, ev, axfr_failure="transfer refused (REFUSED): ...",
         refused=True)
    data.transfers = tuple(replace(r, method="walk") for r in data.transfers)

    result = catalog.run("XFR01", data, ev)

    assert result.outcome is Outcome.PASSED
    assert [f.message.split(":")[0] for f in result.findings] == ["AXFR", "the NSEC walk"]


def test_a_refusal_of_the_tsig_key_is_an_error_even_when_walked() -> None:
    zone = signed()
    key = TsigKey(dns.name.from_text("xfr."), "hmac-sha256", "XFR_SECRET", b"s")
    data = live(zone, transfer=TransferSpec(tsig=key, walk=True))
    ev = evaluation(parent_zone(), NOW)
    take(data, {SERVER: zone.zone}, ev, axfr_failure="transfer refused (REFUSED): ...",
         refused=True)
    data.transfers = tuple(replace(r, method="walk") for r in data.transfers)

    assert catalog.run("XFR01", data, ev).outcome is Outcome.ERROR


def test_a_server_without_a_copy_is_an_error_in_every_transfer_check() -> None:
    zone = signed()
    data = live(zone, signed())
    ev = evaluation(parent_zone(), NOW)
    take(data, {SERVER: zone.zone}, ev)
    badtime = ("TSIG error BADTIME: the server's clock reads 2027-01-15 06:00:00Z, 7200 s "
               "(2.0 h) behind this host's")
    data.transfers = (*data.transfers, TransferReport(SERVER2, None, failure=badtime,
                                                      evidence=";; dig @192.0.2.2 AXFR"))

    results = judged(data, ev)

    first = results["XFR01"]
    assert first.outcome is Outcome.ERROR
    assert first.message == f"{badtime} at {SERVER2}"
    for check in ("XFR02", "XFR03", "XFR04"):
        errors = [f for f in results[check].findings if f.severity is Severity.ERROR]
        assert [f.server for f in errors] == [str(SERVER2)]
        assert errors[0].message.startswith("could not check: no copy of the zone from this "
                                            "server (TSIG error BADTIME")
    assert results["XFR05"].message.startswith("ok (1 copy of the zone")


def test_copies_judged_at_another_instant_are_not_reused_for_expiry() -> None:
    zone = deep_expired()
    data = live(zone)
    ev = evaluation(parent_zone(), NOW)
    take(data, {SERVER: zone.zone}, ev)

    later = catalog.run("XFR02", data, evaluation(parent_zone(), NOW + DAY))
    other = catalog.run("XFR02", data, evaluation(parent_zone(), NOW, warning_days=14))

    assert later.outcome is Outcome.SKIPPED and other.outcome is Outcome.SKIPPED
    assert "judged when they were taken" in later.skipped_reason
    assert catalog.run("XFR03", data, evaluation(parent_zone(), NOW + DAY)).outcome \
        is Outcome.PASSED  # the signatures verify whenever they are judged


def test_only_the_selected_checks_judge_a_copy() -> None:
    zone = deep_expired()
    data = live(zone)
    ev = evaluation(parent_zone(), NOW)
    take(data, {SERVER: zone.zone}, ev, wanted=("XFR01", "XFR05"))

    assert data.transfers[0].findings == {}
    result = catalog.run("XFR02", data, ev)
    assert result.outcome is Outcome.ERROR
    assert "not judged by XFR02" in result.message


def test_an_online_signers_unsigned_copy_is_not_judged_for_signatures() -> None:
    zone = signed()
    data = live(zone)
    data.domain = replace(data.domain, signing="online")
    unsigned = build_zone("example.test.", BODY, keys=[]).zone
    ev = evaluation(parent_zone(), NOW)
    take(data, {SERVER: unsigned}, ev)

    results = judged(data, ev)

    for check in COPY_RULES:
        assert results[check].outcome is Outcome.PASSED
        assert "signs online and its copy carries no signatures" in results[check].message


def test_nothing_to_judge_without_transfer_or_for_a_zone_file() -> None:
    zone = signed()
    data = live(zone)
    data.domain = DomainSpec(data.domain.name)
    ev = evaluation(parent_zone(), NOW)
    assert {catalog.run(c, data, ev).outcome for c in XFR} == {Outcome.SKIPPED}
    data.domain = replace(data.domain, transfer=TransferSpec())
    data.source = "file"
    assert {catalog.run(c, data, ev).outcome for c in XFR} == {Outcome.SKIPPED}


@pytest.mark.parametrize("check", XFR)
def test_a_zone_never_transferred_is_an_error(check: str) -> None:
    data = live(signed())
    assert data.transfers is None

    result = catalog.run(check, data, evaluation(parent_zone(), NOW))

    assert result.outcome is Outcome.ERROR
    assert "was not transferred in this run" in result.message


@pytest.mark.parametrize(("body", "expected"), [
    ("", "another provider's copy (multi-signer, RFC 8901): its own serial 1 and DNSSEC "
         "records, the same data as"),
    ('extra 3600 IN TXT "only here"\n', "another provider's copy (multi-signer) with other "
                                        "data than"),
])
def test_multi_signer_providers_are_compared_by_their_data(body: str, expected: str) -> None:
    """RFC 8901 model 2: each provider its own keys, signatures and serial (§3.1)."""
    from .rollover_stages import child, stage

    keys = {"ksk": make_key(13, ksk=True), "zsk": make_key(13),
            "ksk2": make_key(13, ksk=True), "zsk2": make_key(13)}
    first = child(keys, signing=("ksk", "zsk"), published=("zsk2",), body=body)
    second = child(keys, signing=("ksk2", "zsk2"), published=("zsk",), serial=7)
    data, parent = stage(keys, {SERVER: first, SERVER2: second}, ds=("ksk", "ksk2"))
    data.domain = replace(data.domain, transfer=TransferSpec())
    ev = evaluation(parent, NOW)
    take(data, {SERVER2: second.zone, SERVER: first.zone}, ev)  # the newest serial first

    finding, = catalog.run("XFR05", data, ev).findings

    assert finding.server == str(SERVER) and finding.message.startswith(expected)
    assert finding.severity is (Severity.WARNING if body else Severity.INFO)
    assert "extra.child.test. TXT (only here)" in finding.message or not body
