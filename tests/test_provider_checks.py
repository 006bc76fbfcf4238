"""The provider checks (PROVIDER01-06) on zones signed in memory, each scenario saying which
findings must appear and which must not. The provider's view is built from answers shaped as
each provider's API documents them (the clients' own `view_of`)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import dns.dnssec
import pytest

from dnssec_conformance import catalog
from dnssec_conformance.catalog import zone_checks
from dnssec_conformance.config.model import CloudDnsZone, CloudflareZone, Route53Zone
from dnssec_conformance.findings import Outcome, Severity
from dnssec_conformance.probe.providers import (
    ProviderView,
    clouddns,
    cloudflare,
    route53,
    view_from_dict,
)
from dnssec_conformance.probe.providers.view import failed_view
from dnssec_conformance.report.results import record_of

from .inmemory import (
    NOW,
    SERVER,
    Key,
    build_zone,
    delegate,
    evaluation,
    make_key,
    parent_zone,
    zone_data,
)

PROVIDER_CHECKS = [c for c in zone_checks() if c.startswith("PROVIDER")]
FIRING = (Outcome.FAILED, Outcome.WARNING, Outcome.ERROR)
ZONE_ID = "Z0123456789ABCDEFGHIJ"


def ds_text(origin, key: Key, digest: int = 2) -> str:
    ds = dns.dnssec.make_ds(origin, key.dnskey, digest)
    return f"{ds.key_tag} {ds.algorithm} {ds.digest_type} {ds.digest.hex().upper()}"


def route53_view(child, serve: str = "SIGNING", ksks: list[tuple[Key, str]] | None = None,
                 message: str = "", name: str | None = None) -> ProviderView:
    """Route 53's view from GetHostedZone and GetDNSSEC answers as documented."""
    ksk_keys = [k for k in child.keys if k.dnskey.flags & 1]
    pairs = ksks if ksks is not None else [(k, "ACTIVE") for k in ksk_keys]
    keys = [{"Name": f"ksk{i}", "Flag": 257, "SigningAlgorithmType": k.dnskey.algorithm,
             "SigningAlgorithmMnemonic": dns.dnssec.algorithm_to_text(k.dnskey.algorithm),
             "DigestAlgorithmType": 2, "KeyTag": dns.dnssec.key_id(k.dnskey),
             "DSRecord": ds_text(child.origin, k), "DNSKEYRecord": k.dnskey.to_text(),
             "Status": status, **({"StatusMessage": message} if message else {})}
            for i, (k, status) in enumerate(pairs)]
    status = {"ServeSignature": serve, **({"StatusMessage": message} if message else {})}
    hosted = {"HostedZone": {"Id": f"/hostedzone/{ZONE_ID}",
                             "Name": name or child.origin.to_text()}}
    return route53.view_of(Route53Zone(ZONE_ID), hosted, {"Status": status,
                                                           "KeySigningKeys": keys}, NOW)


def judge(data, parent) -> dict[str, Any]:
    ev = evaluation(parent)
    return {c: catalog.run(c, data, ev) for c in PROVIDER_CHECKS}


def firing(results) -> dict[str, tuple[Outcome, list[str]]]:
    return {c: (r.outcome, [f.message for f in r.findings if f.severity > Severity.INFO])
            for c, r in results.items() if r.outcome in FIRING}


def secure_setup(**delegation: Any):
    parent = parent_zone()
    child = build_zone("child.test.")
    delegate(parent, child, **delegation)
    return parent, child, zone_data(child, parent)


def test_route53_signing_with_the_parents_ds_passes_everything():
    parent, child, data = secure_setup()
    data.provider = route53_view(child)
    results = judge(data, parent)
    assert firing(results) == {}
    assert results["PROVIDER05"].outcome is Outcome.SKIPPED  # Route 53 does not say
    assert "the parent test. serves the DS of Route 53's KSK" in results["PROVIDER03"].message


def test_route53_ksk_without_ds_at_the_parent_is_missing_ds():
    parent, child, data = secure_setup(ds_text=[])
    data.provider = route53_view(child)
    results = judge(data, parent)
    assert set(firing(results)) == {"PROVIDER03"}
    result = results["PROVIDER03"]
    assert result.outcome is Outcome.FAILED and str(result.category) == "missing-ds"
    ksk = next(k for k in child.keys if k.dnskey.flags & 1)
    assert result.message.startswith(
        f"Route 53 signs with a key the parent does not point to: KSK "
        f"{dns.dnssec.key_id(ksk.dnskey)} (ECDSAP256SHA256), DS {ds_text(child.origin, ksk)}; "
        "the parent test. serves no DS at ns.test. (192.0.2.53)")


def test_a_zone_meant_to_be_insecure_without_ds_is_only_noted():
    parent, child, data = secure_setup(ds_text=[])
    data.domain = dataclasses.replace(data.domain, expect="insecure")
    data.provider = route53_view(child)
    results = judge(data, parent)
    assert firing(results) == {}
    assert "although domains.yaml expects the zone insecure" in results["PROVIDER01"].message


def test_a_parent_ds_with_another_algorithm_is_named():
    parent, child, data = secure_setup(ds_text=[])
    ksk = next(k for k in child.keys if k.dnskey.flags & 1)
    tag, _alg, digest_type, digest = ds_text(child.origin, ksk).split()
    delegate(parent, child, ds_text=[f"{tag} 8 {digest_type} {digest}"])
    data = zone_data(child, parent)
    data.provider = route53_view(child)
    message = judge(data, parent)["PROVIDER03"].message
    assert f"the parent's DS {tag} names algorithm 8, Route 53's KSK is algorithm 13" in message


def test_a_ksk_rollover_needs_one_ds_among_the_active_ksks():
    parent = parent_zone()
    old, new, zsk = make_key(13, ksk=True), make_key(13, ksk=True), make_key(13)
    child = build_zone("child.test.", keys=[old, new, zsk])
    delegate(parent, child, ds_keys=[old])
    data = zone_data(child, parent)
    data.provider = route53_view(child, ksks=[(old, "ACTIVE"), (new, "ACTIVE")])
    results = judge(data, parent)
    assert firing(results) == {}
    infos = [f.message for f in results["PROVIDER03"].findings]
    assert any("has no DS at the parent (its DS is not needed" in m for m in infos)


@pytest.mark.parametrize(("expect", "outcome"), [("secure", Outcome.FAILED),
                                                 ("insecure", Outcome.PASSED)])
def test_route53_not_signing(expect, outcome):
    parent = parent_zone()
    child = build_zone("child.test.", keys=[])
    delegate(parent, child, ds_text=[])
    data = zone_data(child, parent, expect=expect)
    data.provider = route53_view(child, serve="NOT_SIGNING", ksks=[])
    results = judge(data, parent)
    assert results["PROVIDER01"].outcome is outcome
    if outcome is Outcome.FAILED:
        assert results["PROVIDER01"].message == (
            "Route 53 does not sign the zone (NOT_SIGNING), but domains.yaml expects the zone "
            "secure")
        assert set(firing(results)) == {"PROVIDER01"}
    else:
        assert firing(results) == {}


def test_action_needed_is_critical_with_the_providers_message():
    parent, child, data = secure_setup()
    ksk = next(k for k in child.keys if k.dnskey.flags & 1)
    message = "The customer managed key is disabled."
    data.provider = route53_view(child, serve="ACTION_NEEDED",
                                 ksks=[(ksk, "ACTION_NEEDED")], message=message)
    results = judge(data, parent)
    assert set(firing(results)) == {"PROVIDER01", "PROVIDER02"}
    assert results["PROVIDER01"].message == (
        f"Route 53 hosted zone {ZONE_ID} reports a signing problem (ACTION_NEEDED: {message})")
    assert results["PROVIDER02"].message == (
        f"Route 53 KSK {dns.dnssec.key_id(ksk.dnskey)} (ECDSAP256SHA256) is ACTION_NEEDED: "
        f"{message}")


def test_an_only_inactive_ksk_is_critical():
    parent, child, data = secure_setup()
    ksk = next(k for k in child.keys if k.dnskey.flags & 1)
    data.provider = route53_view(child, ksks=[(ksk, "INACTIVE")])
    results = judge(data, parent)
    assert set(firing(results)) == {"PROVIDER02"}
    assert "Route 53 has no active KSK" in results["PROVIDER02"].message


def test_deleting_while_the_parent_keeps_the_ds_is_critical():
    parent, child, data = secure_setup()
    data.domain = dataclasses.replace(data.domain, expect="insecure")
    data.provider = route53_view(child, serve="DELETING")
    results = judge(data, parent)
    assert set(firing(results)) == {"PROVIDER03"}
    assert "but Route 53 does not sign the zone (DELETING): validators will reject its " \
           "answers" in results["PROVIDER03"].message


def test_provider_ksk_not_served_while_the_parent_points_to_it_is_bogus():
    parent, child, _data = secure_setup()
    other = build_zone("child.test.")  # the servers are signed by someone else's keys
    data_other = zone_data(other, parent)
    data_other.provider = route53_view(child)
    results = judge(data_other, parent)
    assert results["PROVIDER06"].outcome is Outcome.FAILED
    assert "is not in the DNSKEY RRset this server serves, and the parent's DS points to " \
           "it" in results["PROVIDER06"].message


def test_an_unreadable_provider_is_an_error_in_every_provider_check_and_nothing_else():
    parent, _child, data = secure_setup()
    data.provider = failed_view("route53", ZONE_ID, "GetDNSSEC was denied (AccessDenied)", NOW)
    ev = evaluation(parent)
    for check in zone_checks():
        result = catalog.run(check, data, ev)
        if check in PROVIDER_CHECKS:
            assert result.outcome is Outcome.ERROR
            assert result.message == (f"could not read the provider: Route 53 hosted zone "
                                      f"{ZONE_ID}: GetDNSSEC was denied (AccessDenied)")
        else:
            assert result.outcome in (Outcome.PASSED, Outcome.SKIPPED), (check, result.message)


def test_without_provider_every_provider_check_is_skipped():
    parent, _child, data = secure_setup()
    for result in judge(data, parent).values():
        assert result.outcome is Outcome.SKIPPED
        assert result.message.startswith("no `provider:` for this domain")
        assert "provider" not in record_of(result)


def test_a_provider_zone_of_another_name_is_an_error():
    parent, child, data = secure_setup()
    data.provider = route53_view(child, name="example.org.")
    result = judge(data, parent)["PROVIDER03"]
    assert result.outcome is Outcome.ERROR
    assert result.message.startswith(f"Route 53 hosted zone {ZONE_ID} is example.org., not "
                                     "child.test.: it is another zone")


def clouddns_view(child, state: str = "on", non_existence: str = "nsec",
                  spec_algorithm: str = "ecdsap256sha256") -> ProviderView:
    def key(k: Key, key_id: str) -> dict[str, Any]:
        ksk = bool(k.dnskey.flags & 1)
        ds = dns.dnssec.make_ds(child.origin, k.dnskey, 2)
        return {"id": key_id, "algorithm": "ecdsap256sha256", "keyLength": 256,
                "publicKey": k.dnskey.to_text().split()[-1], "isActive": True,
                "type": "keySigning" if ksk else "zoneSigning",
                "keyTag": dns.dnssec.key_id(k.dnskey),
                "digests": [{"type": "sha256", "digest": ds.digest.hex()}] if ksk else []}

    zone = {"name": "child", "dnsName": child.origin.to_text(),
            "dnssecConfig": {"state": state, "nonExistence": non_existence,
                             "defaultKeySpecs": [
                                 {"keyType": "keySigning", "algorithm": spec_algorithm,
                                  "keyLength": 2048},
                                 {"keyType": "zoneSigning", "algorithm": "rsasha256",
                                  "keyLength": 1024}]}}
    return clouddns.view_of(CloudDnsZone("p-1", "child"), zone,
                            [key(k, str(i)) for i, k in enumerate(child.keys)], NOW)


def test_clouddns_policy_and_denial_against_the_servers():
    parent, child, data = secure_setup()
    data.provider = clouddns_view(child, non_existence="nsec3", spec_algorithm="rsasha1")
    results = judge(data, parent)
    assert set(firing(results)) == {"PROVIDER04", "PROVIDER05"}
    assert sorted(firing(results)["PROVIDER04"][1]) == [
        "Cloud DNS key spec for new KSKs uses algorithm 5 (RSASHA1): SHA-1 based: deprecated "
        "(RFC 9905), and validators increasingly treat it as insecure",
        "Cloud DNS key spec for new ZSKs is a 1024-bit RSA key (under 2048)"]
    assert results["PROVIDER05"].message == (
        f"Cloud DNS is set to NSEC3, but this server proves non-existence with NSEC at {SERVER}")
    assert results["PROVIDER01"].outcome is Outcome.PASSED
    assert results["PROVIDER03"].outcome is Outcome.PASSED  # its sha256 digest is the DS


def test_clouddns_on_without_an_active_zone_signing_key():
    parent, child, data = secure_setup()
    view = clouddns_view(child)
    data.provider = dataclasses.replace(view, keys=tuple(k for k in view.keys
                                                         if k.role == "KSK"))
    assert "has no active zone-signing key" in judge(data, parent)["PROVIDER02"].message


def cloudflare_view(child, status: str) -> ProviderView:
    ksk = next(k for k in child.keys if k.dnskey.flags & 1)
    dnssec = {"status": status, "algorithm": "13", "flags": 257, "key_type": "ECDSAP256SHA256",
              "key_tag": dns.dnssec.key_id(ksk.dnskey), "modified_on": "2026-11-20T10:00:00Z",
              "ds": f"{child.origin} 3600 IN DS {ds_text(child.origin, ksk)}",
              "public_key": ksk.dnskey.to_text().split()[-1]}
    return cloudflare.view_of(CloudflareZone("0" * 32), {"name": "child.test"}, dnssec, NOW)


def test_cloudflare_pending_is_the_ds_still_to_add():
    parent, child, data = secure_setup(ds_text=[])
    data.provider = cloudflare_view(child, "pending")
    results = firing(judge(data, parent))
    assert set(results) == {"PROVIDER01", "PROVIDER03"}
    assert results["PROVIDER01"][1] == [
        "Cloudflare signs the zone, but its DNSSEC is pending: the DS is still to be added at "
        "the registrar, so validators treat the zone as unsigned (pending), but domains.yaml "
        "expects the zone secure"]
    assert judge(data, parent)["PROVIDER02"].outcome is Outcome.SKIPPED


def test_cloudflare_pending_disabled_with_the_ds_is_a_warning():
    parent, child, data = secure_setup()
    data.domain = dataclasses.replace(data.domain, expect="insecure")
    data.provider = cloudflare_view(child, "pending-disabled")
    results = firing(judge(data, parent))
    assert set(results) == {"PROVIDER03"} and results["PROVIDER03"][0] is Outcome.WARNING


def test_the_record_shows_the_providers_view_next_to_the_dns():
    parent, child, data = secure_setup(ds_text=[])
    data.provider = route53_view(child)
    record = record_of(catalog.run("PROVIDER03", data, evaluation(parent)), "title")
    shown = record["provider"]
    assert (shown["name"], shown["label"], shown["zone"], shown["status"]) == (
        "route53", "Route 53", ZONE_ID, "SIGNING")
    assert shown["ds_at_parent"] is False and shown["dns"]["parent_ds"] == []
    assert shown["dns"]["signed"] is True and shown["dns"]["denial"] == "nsec"
    assert shown["keys"][0]["ds"] == list(data.provider.ksks()[0].ds)
    assert json.loads(json.dumps(record)) == record
    assert view_from_dict(json.loads(json.dumps(data.provider.as_dict()))) == data.provider


def provider_document(provider: dict[str, Any]) -> dict[str, Any]:
    record = {"domain": "child.test", "check": "PROVIDER01", "title": "t",
              "category": "provider", "outcome": "error", "severity": "error",
              "message": "could not read the provider", "days_left": None, "findings": [],
              "provider": provider}
    from dnssec_conformance.report.results import build_document

    return build_document([record], evaluated_at=NOW, started_at=NOW, finished_at=NOW,
                          domains_file="d.yaml", exit_status=1, interrupted=False)


def test_the_heartbeat_shows_the_provider_and_never_the_word_error():
    from dnssec_conformance.report.heartbeat import build_body, encode

    parent, child, data = secure_setup(ds_text=[])
    data.provider = cloudflare_view(child, "error")
    details = record_of(catalog.run("PROVIDER03", data, evaluation(parent)))["provider"]
    body = build_body(provider_document(details), warning_days=7, critical_days=3)
    entry = body["results"][0]["provider"]
    assert (entry["name"], entry["status"], entry["ds_at_parent"], entry["parent_ds"]) == (
        "Cloudflare", "err", False, [])
    assert entry["ksk_ds"][0].endswith("…") and len(entry["ksk_ds"][0].split()[3]) == 17
    failed = failed_view("cloudflare", "0" * 32, "GET /zones/x failed (1000: Internal error)",
                         NOW)
    data.provider, data.memo = failed, {}
    details = record_of(catalog.run("PROVIDER01", data, evaluation(parent)))["provider"]
    body = build_body(provider_document(details), warning_days=7, critical_days=3)
    assert body["results"][0]["provider"]["status"] == "unchecked"
    assert "error" not in encode(body).decode().lower()


def test_the_report_table_shows_both_views():
    from dnssec_conformance.report.html import providers_html

    parent, child, data = secure_setup(ds_text=[])
    data.provider = route53_view(child)
    details = record_of(catalog.run("PROVIDER03", data, evaluation(parent)))["provider"]
    html = providers_html([{"domain": "child.test", "provider": details}])
    assert "<td>child.test</td><td>Route 53 Z0123456789ABCDEFGHIJ</td><td>SIGNING</td>" in html
    assert details["keys"][0]["ds"][0] in html and "<td>no DS</td><td><strong>no</strong>" in html
