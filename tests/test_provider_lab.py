"""The provider checks against the lab's real parent: `no-ds.test` is signed but `test.`
publishes no DS for it, `good-ecdsa.test` has its DS. A provider claiming the zone's real
KSK (its DS made by BIND's dnssec-dsfromkey from the lab's key file) makes the first critical
and lets the second pass: in-process with Route 53 (botocore's Stubber), and as users run
it with Cloudflare (a loopback API, the token from the environment), results.json, the HTML
report and the heartbeat showing the provider's view next to the DNS's, no token anywhere."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import textwrap
from pathlib import Path

import dns.dnssec
import dns.name
import dns.rdata
import dns.rdatatype
import pytest

from dnssec_conformance import catalog
from dnssec_conformance.analysis.evaluation import Evaluation
from dnssec_conformance.catalog import zone_checks
from dnssec_conformance.findings import Outcome

from .provider_apis import cloudflare_dnssec, cloudflare_zone, fake_api
from .test_plugin import copy_suites
from .test_provider_route53 import dnssec, ksk, stubbed_view

PROVIDER_CHECKS = [c for c in zone_checks() if c.startswith("PROVIDER")]
TOKEN = "cf-lab-token-never-shown-8d1f7a2b9c3e4f50"
ZONES = {"no-ds.test": "a" * 31 + "1", "good-ecdsa.test": "b" * 31 + "2"}


def lab_ksk(lab, zone: str) -> tuple[str, str]:
    """The zone's KSK (DNSKEY RDATA) and its SHA-256 DS as dnssec-dsfromkey prints it."""
    key_files = sorted((lab.run_dir / "keys" / zone).glob("K*.key"))
    ksk_file = next(f for f in key_files if " DNSKEY 257 " in f.read_text())
    dnskey = ksk_file.read_text().split(" DNSKEY ", 1)[1].strip()
    out = subprocess.run(["dnssec-dsfromkey", "-2", str(ksk_file)], capture_output=True,
                         text=True, check=True).stdout
    return dnskey, " ".join(out.split(" DS ", 1)[1].split())


def judge(lab_run, zone: str, view) -> dict:
    data = dataclasses.replace(lab_run.zones[zone], provider=view, memo={})
    ev = Evaluation(lab_run.now, lab_run.anchors, data.domain.thresholds)
    return {c: catalog.run(c, data, ev) for c in PROVIDER_CHECKS}


@pytest.mark.parametrize("zone", ["no-ds.test", "good-ecdsa.test"])
def test_route53_claiming_the_lab_ksk(lab, lab_run, zone):
    dnskey, ds = lab_ksk(lab, zone)
    # the DS as BIND makes it is the DS of the key the lab's server really serves
    apex = dns.name.from_text(zone + ".")
    exchange = next(iter(lab_run.zones[zone].answers.values())).get(apex, dns.rdatatype.DNSKEY)
    assert exchange is not None
    served = exchange.answer(dns.rdatatype.DNSKEY, apex) or ()
    assert dns.rdata.from_text("IN", "DS", ds) in [dns.dnssec.make_ds(apex, k, 2)
                                                   for k in served]
    tag = int(ds.split()[0])
    view = stubbed_view(zone + ".", dnssec("SIGNING", [
        {**ksk("ACTIVE", key_tag=tag, ds=ds), "DNSKEYRecord": dnskey}]))
    results = judge(lab_run, zone, view)
    failing = {c: r.message for c, r in results.items()
               if r.outcome not in (Outcome.PASSED, Outcome.SKIPPED)}
    if zone == "good-ecdsa.test":
        assert failing == {}
        return
    assert set(failing) == {"PROVIDER03"}
    assert failing["PROVIDER03"].startswith(
        f"Route 53 signs with a key the parent does not point to: KSK {tag} (ECDSAP256SHA256)"
        f", DS {ds}; the parent test. serves no DS at ")


def domains_yaml(lab, folder: Path) -> Path:
    entries = "".join(
        f"  - name: {zone}\n    records: [A]\n"
        f"    provider: {{cloudflare: {{zone_id: {zone_id}, api_token_env: LAB_CF_TOKEN}}}}\n"
        for zone, zone_id in ZONES.items())
    path = folder / "domains.yaml"
    path.write_text(textwrap.dedent(f"""\
        resolvers: [{lab.validating_resolver}]
        root_hints: [{lab.servers['root']}]
        trust_anchors: {lab.trust_anchors}
        domains:
        """) + entries)
    return path


def test_done_when_a_cloudflare_ksk_without_ds_makes_the_run_critical(pytester, lab):
    copy_suites(pytester.path)
    path = domains_yaml(lab, pytester.path)
    with fake_api() as api, fake_api() as heartbeat:
        for zone, zone_id in ZONES.items():
            dnskey, ds = lab_ksk(lab, zone)
            api.set("GET", f"/client/v4/zones/{zone_id}", 200, cloudflare_zone(zone_id, zone))
            api.set("GET", f"/client/v4/zones/{zone_id}/dnssec", 200, cloudflare_dnssec(
                "active", f"{zone}. 3600 IN DS {ds}", int(ds.split()[0]),
                dnskey.split(maxsplit=3)[3].replace(" ", "")))
        heartbeat.set("POST", "/heartbeat/KEY", 200, {})
        pytester._monkeypatch.setenv("CLOUDFLARE_BASE_URL", api.url + "/client/v4")
        pytester._monkeypatch.setenv("LAB_CF_TOKEN", TOKEN)
        result = pytester.runpytest_subprocess(
            "--domains", str(path), "suites", "-p", "no:cacheprovider", "-m", "provider or chain",
            "--heartbeat-url", heartbeat.url + "/heartbeat/KEY", "--log-level=DEBUG", "-rA")
    assert {r.authorization for r in api.requests} == {f"Bearer {TOKEN}"}
    assert sorted(set(api.paths())) == sorted(
        f"/client/v4/zones/{z}{suffix}" for z in ZONES.values() for suffix in ("", "/dnssec"))
    reports = pytester.path / "reports"
    document = json.loads((reports / "results.json").read_text())
    assert result.ret == 1 and document["status"] == "critical"
    records = {(r["domain"], r["check"]): r for r in document["results"]}
    missing = records[("no-ds.test", "PROVIDER03")]
    assert missing["outcome"] == "failed" and missing["category"] == "missing-ds"
    _dnskey, ds = lab_ksk(lab, "no-ds.test")
    assert missing["message"].startswith(
        f"Cloudflare signs with a key the parent does not point to: KSK {ds.split()[0]} "
        f"(ECDSAP256SHA256), DS {ds}; the parent test. serves no DS")
    good = {c: r["outcome"] for (d, c), r in records.items() if d == "good-ecdsa.test"}
    assert set(good.values()) <= {"passed", "skipped"}, good
    assert good["PROVIDER03"] == "passed" and good["PROVIDER05"] == "skipped"
    # the provider's view next to the DNS's, per domain
    summaries = {d["domain"]: d for d in document["domains"]}
    shown = summaries["no-ds.test"]["provider"]
    assert (shown["label"], shown["status"], shown["ds_at_parent"]) == ("Cloudflare", "active",
                                                                       False)
    assert shown["keys"][0]["ds"] == [ds] and shown["dns"]["parent_ds"] == []
    assert summaries["good-ecdsa.test"]["provider"]["ds_at_parent"] is True
    body = json.loads(heartbeat.requests[0].body)
    beats = {d["domain"]: d for d in body["results"]}
    assert beats["no-ds.test"]["provider"]["ds_at_parent"] is False
    assert beats["no-ds.test"]["provider"]["ksk_ds"] == [f"{' '.join(ds.split()[:3])} "
                                                         f"{ds.split()[3][:16]}…"]
    html = (reports / "report.html").read_text()
    assert 'id="dnssec-providers"' in html and "parent points to it" in html
    everything = result.stdout.str() + result.stderr.str() + html + json.dumps(document) + \
        heartbeat.requests[0].body.decode() + (reports / "junit.xml").read_text()
    assert TOKEN not in everything
