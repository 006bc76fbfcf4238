"""The suite's verdicts on the lab: each scenario fails the checks of its failure mode and
nothing else, the good controls pass everything, and Unbound agrees where it should.

The table per check lists the zones where it must fire (outcome failed, warning or error);
on every other lab zone it must not (Zonemaster-style mandatory and forbidden messages).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dnssec_conformance.catalog import all_checks
from dnssec_conformance.findings import Outcome, Severity

FIRING = {Outcome.FAILED, Outcome.WARNING, Outcome.ERROR}
GOOD_CONTROLS = ["good-ecdsa.test", "good-ed25519-nsec3.test", "good-rsa.test", "unsigned.test",
                 "wildcard.test", "nsec3-optout.test", "online-compact.test",
                 "online-white-lies.test", "online-nsec3-white-lies.test",
                 "online-multi-signer.test", "transfer-open.test"]

MUST_FIRE: dict[str, dict[str, Outcome]] = {
    "EXPIRY01": {"expired.test": Outcome.FAILED, "expiring-critical.test": Outcome.FAILED,
                 "expiring-warning.test": Outcome.WARNING, "expired-dnskey.test": Outcome.FAILED,
                 "stale-secondary.test": Outcome.FAILED,
                 # an online signer's signatures that are not renewed count down
                 "online-stopped.test": Outcome.FAILED, "online-stale-cache.test": Outcome.FAILED},
    "EXPIRY02": {"short-validity.test": Outcome.FAILED},
    "EXPIRY03": {},
    # the stale cache's fresh signatures (its denial) are fine: EXPIRY01 sees the old ones
    "EXPIRY05": {"online-stopped.test": Outcome.FAILED},
    "DS01": {"no-ds.test": Outcome.FAILED},
    "DS02": {"ds-unsigned.test": Outcome.FAILED},
    "KEY01": {"ds-mismatch.test": Outcome.FAILED, "ds-wrong-tag.test": Outcome.FAILED},
    "KEY02": {"ds-zsk.test": Outcome.FAILED},
    "KEY03": {},
    "KEY04": {},
    "SIG01": {"bad-sig-a.test": Outcome.FAILED, "zsk-missing.test": Outcome.FAILED},
    "SIG03": {},
    "ALG01": {"ds-alg-mismatch.test": Outcome.FAILED},
    "ALG02": {"two-algs.test": Outcome.WARNING},
    "ALG03": {"rsasha1.test": Outcome.WARNING},
    "ALG04": {"sha1-ds.test": Outcome.WARNING},
    "ALG05": {"rsa1024.test": Outcome.WARNING},
    "CLOCK01": {"future-inception.test": Outcome.FAILED},
    "DENIAL01": {"nsec-no-proof.test": Outcome.FAILED},
    "DENIAL02": {"nsec3-iterations.test": Outcome.WARNING},
    "DENIAL03": {"nsec-gap.test": Outcome.FAILED, "nsec3-gap.test": Outcome.FAILED,
                 "online-white-lies-below.test": Outcome.FAILED},
    "DENIAL04": {"online-compact-bad-bitmap.test": Outcome.FAILED},
    "DENIAL05": {"denial-bad-sig.test": Outcome.FAILED, "zsk-missing.test": Outcome.FAILED},
    "DENIAL06": {},
    "DENIAL07": {},
    "DENIAL08": {},
    # wildcard.test's random name is answered by its wildcard: the proof holds.
    "DENIAL09": {},
    # Judged without a key history here (test_rollover_replay.py drives the history).
    "ROLLOVER01": {},
    "ROLLOVER02": {"split-keys.test": Outcome.FAILED,
                   "online-multi-signer-missing-zsk.test": Outcome.FAILED},
    "ROLLOVER03": {"ds-prepublished.test": Outcome.WARNING},
    "ROLLOVER04": {},
    "ROLLOVER05": {"cds-mismatch.test": Outcome.FAILED},
    "CONSIST01": {"ksk-rollover-partial.test": Outcome.WARNING,
                  "split-keys.test": Outcome.WARNING,
                  "online-multi-signer-missing-zsk.test": Outcome.WARNING},
    # stale-secondary.test's ns2 stopped transferring: its lower serial is the root cause of
    # its expired signatures, and what this check exists to see.
    "CONSIST02": {"stale-secondary.test": Outcome.WARNING,
                  "ksk-rollover-partial.test": Outcome.WARNING,
                  "split-keys.test": Outcome.WARNING,
                  "deep-expiry.test": Outcome.WARNING},
    "CONSIST03": {},
    "CONSIST04": {"split-keys.test": Outcome.FAILED,
                  "online-multi-signer-missing-zsk.test": Outcome.FAILED},
    "CONSIST05": {},
    # Whole copies, for the zones the lab's domains.yaml transfers (the rest skip them): the
    # deep expiry found through AXFR (TSIG) and through the walk (a refusal without TSIG is
    # then expected), ns2's older copy named.
    "XFR01": {},
    "XFR02": {"deep-expiry.test": Outcome.FAILED, "walk-deep-expiry.test": Outcome.FAILED},
    "XFR03": {},
    "XFR04": {},
    "XFR05": {"deep-expiry.test": Outcome.WARNING},
}
# The checks no zone of the lab fires, each with why and the test file that holds its
# scenarios instead (the one place that lists them: every other check fires on a lab zone).
NO_LAB_SCENARIO: dict[str, tuple[str, str]] = {
    "DS05": ("a parent whose DS denial is not proven: the lab's parents are well signed",
             "test_checks_unit.py"),
    "KEY03": ("a DS naming a key without the zone-key flag: signers refuse to make one",
              "test_could_not_check.py"),
    "KEY04": ("a DS set whose every DS is for another algorithm's key", "test_checks_unit.py"),
    "SIG02": ("zone-file mode only: a file that does not load", "test_zonefile.py"),
    "SIG03": ("an RRSIG over an RRSIG, a TTL above the original TTL: signers refuse both",
              "test_checks_unit.py"),
    "EXPIRY03": ("information unless thresholds.warn_before_soa_expire", "test_checks_unit.py"),
    "CLOCK02": ("this host's clock against NTP: judged once per run, not per zone",
                "test_clock_ntp.py"),
    "DENIAL06": ("an answer mixing NSEC and NSEC3: no lab signer makes one",
                 "test_denial_checks.py"),
    "DENIAL07": ("NSEC3PARAM differing between servers", "test_denial_checks.py"),
    "DENIAL08": ("a wrong rcode for a proven denial", "test_denial_checks.py"),
    "DENIAL09": ("a wildcard answer without its proof", "test_denial_checks.py"),
    "DENIAL10": ("zone-file mode only: the whole denial chain of a file", "test_zonefile.py"),
    "ROLLOVER01": ("needs a key history over several runs", "test_rollover_replay.py"),
    "ROLLOVER04": ("a rollover step taken too early: needs a key history",
                   "test_rollover_replay.py"),
    "CONSIST03": ("a parent's NS set that differs from the zone's", "test_consistency_checks.py"),
    "CONSIST05": ("a server that answers nothing usable", "test_unusable_answers.py"),
    "XFR01": ("a transfer refused or broken", "test_transfer_lab.py"),
    "XFR03": ("a whole copy's denial chain broken", "test_transfer_checks.py"),
    "XFR04": ("a whole copy's records differing between servers", "test_transfer_checks.py"),
    **{f"PROVIDER0{n}": ("a cloud provider's API: replayed from recorded answers",
                         "test_provider_checks.py") for n in range(1, 7)},
    "RESOLVER01": ("the lab's resolvers are judged per domain with each domains file",
                   "test_resolver_checks.py"),
    "RESOLVER02": ("the bogus canaries: judged per canary", "test_resolver_checks.py"),
    **{f"RESOLVER0{n}": ("CoreDNS's Corefile and metrics: no CoreDNS in the lab",
                         "test_resolver_checks.py") for n in range(3, 8)},
}

# Timing and policy findings may be critical where Unbound still validates: validators'
# clock tolerance differs (Unbound allows 10% of the validity period), and policy is ours.
TIMING_OR_POLICY = {"EXPIRY01", "EXPIRY02", "EXPIRY05", "CLOCK01", "ALG01", "ALG02", "ALG03",
                    "ALG04", "ALG05", "DENIAL02"}
# Critical before anything fails for Unbound: a server's answers that another server's keys
# cannot verify (Unbound retries the other server on a bogus answer; resolvers holding the
# other key set fail), and a rollover step a parent has yet to take (CDS it may apply).
CROSS_SERVER_OR_NEXT_STEP = {"CONSIST04", "ROLLOVER02", "ROLLOVER03", "ROLLOVER04",
                             "ROLLOVER05"}
# Critical for an RRset the resolver's probe (the apex A, a name that does not exist) never
# asks: a deep _dmarc TXT is bogus while the zone's apex validates.
WHOLE_ZONE = {"XFR02", "XFR03", "XFR04"}


def test_every_check_has_a_lab_scenario_or_a_reasoned_exemption():
    tests = Path(__file__).parent
    fires = {c for c, zones in MUST_FIRE.items() if zones}
    assert fires | set(NO_LAB_SCENARIO) == set(all_checks())
    assert not fires & set(NO_LAB_SCENARIO), "a check with a lab scenario needs no exemption"
    for check, (_why, where) in NO_LAB_SCENARIO.items():
        assert f'"{check}"' in (tests / where).read_text(), f"{where} does not test {check}"


def zone_scenarios(lab_run):
    return [e for e in lab_run.ground_truth if "resolver" not in e or not e["resolver"]]


def test_every_lab_zone_is_in_the_table(lab_run):
    tabled = {z for zones in MUST_FIRE.values() for z in zones} | set(GOOD_CONTROLS)
    lab_zones = {e["zone"].rstrip(".") for e in zone_scenarios(lab_run)}
    assert tabled <= lab_zones
    assert set(MUST_FIRE) <= set(all_checks()), "a check in the table no longer exists"


@pytest.mark.parametrize("check", sorted(MUST_FIRE))
def test_check_fires_exactly_on_its_scenarios(lab_run, check):
    fired = {}
    for zone in lab_run.zones:
        outcome = lab_run.judge(zone)[check].outcome
        if outcome in FIRING:
            fired[zone] = outcome
    assert fired == MUST_FIRE[check]


@pytest.mark.parametrize("zone", GOOD_CONTROLS)
def test_good_controls_pass_every_check(lab_run, zone):
    results = lab_run.judge(zone)
    assert results.pop("DENIAL10").outcome is Outcome.SKIPPED  # the zone-file walk
    assert results.pop("SIG02").outcome is Outcome.SKIPPED  # the zone file's loading
    for check in [c for c in results if c.startswith("PROVIDER")]:
        assert results.pop(check).outcome is Outcome.SKIPPED  # no provider in the lab
    for check in [c for c in results if c.startswith("XFR")]:
        if zone != "transfer-open.test":  # the only control the lab transfers
            assert results.pop(check).outcome is Outcome.SKIPPED
    assert {c: r.message for c, r in results.items() if r.outcome is not Outcome.PASSED} == {}


def test_each_scenario_reports_exactly_its_categories(lab_run):
    mismatches = {}
    for entry in zone_scenarios(lab_run):
        zone = entry["zone"].rstrip(".")
        results = lab_run.judge(zone)
        reported = {str(r.category) for r in results.values() if r.outcome in FIRING}
        if reported != set(entry["categories"]):
            mismatches[zone] = (sorted(reported), sorted(entry["categories"]))
    assert mismatches == {}


def test_unbound_is_an_oracle(lab_run):
    """Every zone the validating Unbound answers SERVFAIL gets a critical finding; every zone
    it validates gets none but a timing, policy, cross-server or next-step one."""
    disagreements = {}
    for entry in zone_scenarios(lab_run):
        zone = entry["zone"].rstrip(".")
        results = lab_run.judge(zone)
        critical = {c for c, r in results.items() if r.severity == Severity.CRITICAL}
        if entry["unbound"] == "bogus" and not critical:
            disagreements[zone] = "Unbound says bogus, the suite found nothing critical"
        if entry["unbound"] == "secure" and critical - TIMING_OR_POLICY \
                - CROSS_SERVER_OR_NEXT_STEP - WHOLE_ZONE:
            disagreements[zone] = f"Unbound validates, the suite says {sorted(critical)}"
    assert disagreements == {}


def test_findings_name_the_server_and_carry_dig_evidence(lab_run):
    result = lab_run.judge("bad-sig-a.test")["SIG01"]
    finding = next(f for f in result.findings if f.severity is Severity.CRITICAL)
    assert "ns1.test." in (finding.server or "")
    assert finding.evidence.startswith(";; dig @")
    assert "RRSIG" in finding.evidence


def test_stale_secondary_is_reported_at_the_stale_server_only(lab_run):
    result = lab_run.judge("stale-secondary.test")["EXPIRY01"]
    critical = [f for f in result.findings if f.severity is Severity.CRITICAL]
    assert critical and all("ns2.test." in (f.server or "") for f in critical)
    assert all("ns1.test." not in (f.server or "") for f in critical)


@pytest.mark.parametrize(("zone", "check", "reason"), [
    ("nsec-gap.test", "DENIAL03", "no NSEC record covers the name dnssec-conformance-"),
    ("nsec3-gap.test", "DENIAL03", "no NSEC3 record covers the next closer name "
                                   "dnssec-conformance-"),
    ("denial-bad-sig.test", "DENIAL05", "NSEC by"),
])
def test_denial_scenarios_fail_for_their_fault(lab_run, zone, check, reason):
    """The gap is where the suite's random name falls, at the only server; the bad
    signature is the NSEC's."""
    findings = lab_run.judge(zone)[check].findings
    assert findings and all(f.severity is Severity.CRITICAL for f in findings)
    assert all(reason in f.message and "ns1.test." in (f.server or "") for f in findings)


def test_the_wildcard_answers_the_random_name_with_a_proof_that_holds(lab_run):
    from dnssec_conformance.analysis.denial import verdicts
    from dnssec_conformance.dnssec.nsec import ProofStatus

    found = {(v.claim, v.proof.status if v.proof else None)
             for v in verdicts(lab_run.zones["wildcard.test"]) if v.probe.due == "NXDOMAIN"}
    assert found == {("wildcard-answer", ProofStatus.PROVEN)}


def test_the_opt_out_zone_denies_the_random_name_through_opt_out(lab_run):
    """Opt-out is real there (an unsigned delegation has no NSEC3): information only."""
    result = lab_run.judge("nsec3-optout.test")["DENIAL03"]
    assert result.outcome is Outcome.PASSED
    assert [f.severity for f in result.findings] == [Severity.INFO]
    assert "opt-out" in result.findings[0].message


@pytest.mark.parametrize(("days", "expected"), [
    (0, Outcome.PASSED), (24, Outcome.WARNING), (28, Outcome.FAILED), (31, Outcome.FAILED),
])
def test_time_travel_moves_a_signature_through_every_state(lab_run, days, expected):
    """The good zones are signed for 30 days: 6 days left is a warning, 2 critical, then
    expired."""
    result = lab_run.judge("good-ecdsa.test", lab_run.now + days * 86400)["EXPIRY01"]
    assert result.outcome is expected
    if days == 31:
        assert "expired" in result.message


def test_the_validating_resolver_passes_the_resolver_checks_on_every_lab_zone(pytester, lab):
    """A resolver that rejects a broken zone, or answers an insecure one without AD, is doing
    its job: the resolver checks judge the resolver against our own validation, and leave the
    zone's failure to the zone's checks."""
    import json
    import shutil
    from pathlib import Path

    shutil.copytree(Path(__file__).parent.parent / "suites", pytester.path / "suites")
    result = pytester.runpytest_subprocess("--domains", str(lab.domains_yaml), "suites",
                                           "-m", "resolver", "-p", "no:cacheprovider")
    document = json.loads((pytester.path / "reports" / "results.json").read_text())
    firing = {(r["domain"], r["check"]): r["message"] for r in document["results"]
              if r["outcome"] not in ("passed", "skipped")}
    assert firing == {}, result.stdout.str()[-2000:]
    checked = {r["domain"] for r in document["results"] if r["check"] == "RESOLVER01"}
    assert {"expired.test", "no-ds.test", "good-ecdsa.test"} <= checked
