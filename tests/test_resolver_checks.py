"""The resolver checks against the lab: the validating Unbound passes for the good zones and
proves the canaries bogus; the non-validating Unbound and the AD-stripping dnsmasq fail with
messages that name them and say what it means; a dead resolver is an error, not a verdict;
a Corefile's forward upstream is tested as a resolver of its own."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import dns.name
import dns.rdatatype
import pytest

from dnssec_conformance import catalog
from dnssec_conformance.analysis.evaluation import Evaluation
from dnssec_conformance.config.loading import load_config
from dnssec_conformance.config.model import Config
from dnssec_conformance.findings import CheckResult, Outcome, Security, Severity

from .engine import surveys

SUITES = Path(__file__).parent.parent / "suites"
EVALUATION = Evaluation(0.0, None, None, None)  # type: ignore[arg-type]  (unused by these checks)
CONSEQUENCE = "answers are not validated: spoofed answers would be accepted"


def domain_results(config: Config) -> dict[str, CheckResult]:
    _targets, domains, _canaries = surveys(config)
    return {name: catalog.run("RESOLVER01", survey, EVALUATION)
            for name, survey in domains.items()}


def canary_results(config: Config) -> dict[str, CheckResult]:
    _targets, _domains, canaries = surveys(config)
    return {name: catalog.run("RESOLVER02", survey, EVALUATION)
            for name, survey in canaries.items()}


def write_config(tmp_path: Path, lab, resolvers: str, extra: str = "",
                 domains: str = "[good-ecdsa.test, unsigned.test]") -> Config:
    path = tmp_path / "domains.yaml"
    path.write_text(f"resolvers: {resolvers}\nroot_hints: [{lab.servers['root']}]\n"
                    f"trust_anchors: {lab.trust_anchors}\n"
                    f"canaries: {{bogus: [{', '.join(lab.canaries)}]}}\n{extra}"
                    f"domains: {domains}\n")
    return load_config(path)


@pytest.fixture(scope="module")
def validating(lab) -> tuple[Config, dict[str, CheckResult]]:
    config = load_config(lab.domains_yaml)
    return config, domain_results(config)


def test_validating_resolver_agrees_with_unbounds_verdict_on_every_zone(lab, validating):
    """AD where Unbound validates, no AD where the zone is deliberately insecure, SERVFAIL
    proven by CD=1 where Unbound calls the apex bogus."""
    _, results = validating
    truth = json.loads(lab.ground_truth.read_text())
    wrong = {}
    for entry in (e for e in truth if not e.get("resolver")):
        zone = entry["zone"].rstrip(".")
        apex = entry["probes"][f"{entry['zone']} A"]
        result = results[zone]
        if apex == "secure" or (apex == "insecure" and entry["expect"] == "insecure"):
            expected, words = Outcome.PASSED, "ok ("
        elif apex == "insecure":
            expected, words = Outcome.FAILED, "without the AD flag"
        else:
            expected, words = Outcome.FAILED, "fails validation (SERVFAIL; with CD=1 it resolves)"
        if result.outcome is not expected or words not in result.message:
            wrong[zone] = (apex, str(result.outcome), result.message)
    assert wrong == {}


@pytest.mark.parametrize("zone", ["good-ecdsa.test", "good-ed25519-nsec3.test", "good-rsa.test",
                                  "unsigned.test"])
def test_good_zones_pass_through_the_validating_resolver(lab, validating, zone):
    result = validating[1][zone]
    assert result.outcome is Outcome.PASSED
    (finding,) = result.findings
    assert finding.severity is Severity.INFO and lab.validating_resolver in (finding.server or "")
    verdict = "resolves, insecure (no AD)" if zone == "unsigned.test" else "validated (AD flag set)"
    assert verdict in finding.message


def test_validating_resolver_proves_every_canary_bogus(lab, validating):
    results = canary_results(validating[0])
    assert set(results) == set(lab.canaries) and "bogus-canary.test" in results
    for result in results.values():
        assert result.outcome is Outcome.PASSED, result.message
        assert "is refused (SERVFAIL) and resolves with CD=1" in result.message


def test_nonvalidating_resolver_fails_naming_itself_and_the_consequence(lab):
    config = load_config(lab.nonvalidating_domains_yaml)
    where = f"{lab.nonvalidating_resolver}:53"

    result = domain_results(config)["good-ecdsa.test"]
    assert result.outcome is Outcome.FAILED and result.severity is Severity.CRITICAL
    assert CONSEQUENCE in result.message and where in result.message
    assert "flags: qr rd ra;" in result.findings[0].evidence  # the answer, as dig shows it

    for canary, verdict in canary_results(config).items():
        assert verdict.outcome is Outcome.FAILED, canary
        assert "does not enforce DNSSEC validation" in verdict.message
        assert where in verdict.message


def test_ad_stripping_forwarder_fails_yet_still_refuses_the_canaries(lab):
    """dnsmasq clears the AD flag: clients cannot tell validated answers, though its
    validating upstream still turns the canaries into SERVFAIL (and CD=1 passes through)."""
    config = load_config(lab.forwarder_domains_yaml)

    result = domain_results(config)["good-ecdsa.test"]
    assert result.outcome is Outcome.FAILED
    assert CONSEQUENCE in result.message and f"{lab.forwarder_resolver}:53" in result.message
    assert all(r.outcome is Outcome.PASSED for r in canary_results(config).values())


def test_unreachable_resolver_is_an_error_not_a_validation_failure(tmp_path, lab):
    config = write_config(tmp_path, lab, '["127.0.0.1:9"]', "query: {timeout_s: 0.3, retries: 0}\n")

    started = time.monotonic()
    results = domain_results(config)
    elapsed = time.monotonic() - started

    for result in results.values():
        assert result.outcome is Outcome.ERROR and result.severity is Severity.ERROR
        assert "resolver unreachable" in result.message
        assert "not a validation failure" in result.message
        assert "127.0.0.1:9" in result.message
    # the first name and ". NS" time out; the dead resolver is not waited on again
    assert elapsed < 2 * 0.3 + 0.5
    canaries = canary_results(config)
    assert all(r.outcome is Outcome.ERROR for r in canaries.values())


def test_corefile_upstream_is_tested_as_a_resolver_of_its_own(tmp_path, lab):
    corefile = tmp_path / "Corefile"
    corefile.write_text(".:53 {\n    errors\n    forward . "
                        f"{lab.nonvalidating_resolver}\n    cache 30\n}}\n")
    config = write_config(tmp_path, lab, f"[{lab.validating_resolver}]",
                          f"coredns: {{corefile: {corefile}}}\n")

    targets, domains, _canaries = surveys(config)
    result = catalog.run("RESOLVER01", domains["good-ecdsa.test"], EVALUATION)

    assert [str(t) for t in targets] == [
        f"{lab.validating_resolver}:53 (resolvers[0])",
        f"{lab.nonvalidating_resolver}:53 (CoreDNS forward upstream, {corefile}:3)"]
    assert result.outcome is Outcome.FAILED
    by_server = {f.server: f for f in result.findings}
    upstream = by_server[str(targets[1])]
    assert upstream.severity is Severity.CRITICAL and CONSEQUENCE in upstream.message
    assert by_server[str(targets[0])].severity is Severity.INFO


def test_the_suites_write_canary_and_coredns_records(pytester, lab, tmp_path):
    """Through the plugin: one record per canary (named after it) and per CoreDNS check
    (named "coredns"), in the results.json record shape every other check uses."""
    corefile = tmp_path / "coredns.yaml"
    corefile.write_text("apiVersion: v1\nkind: ConfigMap\ndata:\n  Corefile: |\n"
                        "    .:53 {\n        forward . /etc/resolv.conf\n"
                        "        dnssec {\n        }\n    }\n")
    domains = pytester.path / "domains.yaml"
    domains.write_text(
        lab.domains_yaml.read_text()
        .replace("trust_anchors: trust-anchors.txt", f"trust_anchors: {lab.trust_anchors}")
        + f"coredns: {{corefile: {corefile}, metrics_url: 'http://127.0.0.1:9/metrics'}}\n")
    shutil.copytree(SUITES, pytester.path / "suites",
                    ignore=shutil.ignore_patterns("__pycache__"))

    pytester.runpytest("--domains", str(domains), "suites/test_resolver.py",
                       "-p", "no:cacheprovider")

    document = json.loads((pytester.path / "reports" / "results.json").read_text())
    records = {(r["domain"], r["check"]): r for r in document["results"]}
    for canary in lab.canaries:
        assert records[(canary, "RESOLVER02")]["outcome"] == "passed"
    assert records[("good-ecdsa.test", "RESOLVER01")]["outcome"] == "passed"
    coredns = {check: records[("coredns", check)]["outcome"]
               for check in ("RESOLVER03", "RESOLVER04", "RESOLVER05", "RESOLVER06",
                             "RESOLVER07")}
    assert coredns == {"RESOLVER03": "warning", "RESOLVER04": "passed", "RESOLVER05": "passed",
                       "RESOLVER06": "error", "RESOLVER07": "error"}
    shape = {"domain", "kind", "check", "title", "category", "outcome", "severity", "message",
             "days_left", "remediation", "findings"}
    assert all(set(r) == shape for r in records.values())
    kinds = {r["domain"]: r["kind"] for r in records.values()}
    assert {kinds[c] for c in lab.canaries} == {"canary"} and kinds["coredns"] == "coredns"
    assert kinds["good-ecdsa.test"] == "domain"
    assert all(r["remediation"] for r in records.values())
    assert all(r["category"] == "resolver-ad" for r in records.values())


@pytest.mark.parametrize(("verdict", "severity"), [
    (Security.BOGUS, Severity.CRITICAL), (Security.SECURE, Severity.ERROR),
    (Security.UNKNOWN, Severity.ERROR), (None, Severity.ERROR)])
def test_a_resolver_that_sets_ad_on_a_bogus_canary_is_critical(verdict, severity):
    """A real socket answering every A question with data and the AD flag: for a canary our
    own validation finds bogus, that is a resolver accepting what it must reject."""
    from dataclasses import replace

    from dnssec_conformance.config.model import QueryPolicy, ResolverAddress
    from dnssec_conformance.probe.resolvers import ResolverTarget

    from .engine import survey_of
    from .hostile import LYING_RESOLVER, hostile_server

    canary = dns.name.from_text("bogus-canary.test.")
    with hostile_server(LYING_RESOLVER) as (address, port):
        target = ResolverTarget(ResolverAddress(address, port), "resolvers[0]")
        survey = survey_of([target], "bogus-canary.test", canary, dns.rdatatype.A, "bogus",
                           QueryPolicy(1.0, 0))
    result = catalog.run("RESOLVER02", replace(survey, verdict=verdict), EVALUATION)
    (finding,) = result.findings
    assert finding.severity is severity and finding.server == str(target)
    if severity is Severity.CRITICAL:
        assert "validated (AD) though our own validation" in finding.message
    if verdict in (None, Security.UNKNOWN):  # we do not know: never "not bogus"
        assert "could not decide whether the canary is still bogus" in finding.message
        assert "not bogus" not in finding.message
