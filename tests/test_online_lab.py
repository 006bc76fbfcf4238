"""The online-signed lab zones (lab/onlinesigner.py), cross-checked with independent
validators, and the suite's verdicts on them: each server's signing mode told from its
answers, healthy online signers never paged, broken ones failing in their category."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import dns.name
import dns.rdatatype
import pytest

from dnssec_conformance.analysis.signing_mode import signing_modes
from dnssec_conformance.findings import Outcome, Severity
from lab.probes import NX_LABEL
from lab.scenarios import SCENARIOS

ONLINE = [s for s in SCENARIOS if s.online is not None]
DAY = 86400


def delv(lab, qname: str, *, server: str | None = None, anchors: Path | None = None,
         root: str = ".") -> str:
    """delv's verdict: secure, insecure or bogus (BIND 9's validator, independent of ours)."""
    argv = ["delv", f"@{server or lab.validating_resolver}", "-a",
            str(anchors or lab.delv_anchors), f"+root={root}", qname, "A"]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    text = out.stdout + out.stderr
    if "resolution failed: ncache" in text or "fully validated" in text:
        return "secure"
    if "unsigned answer" in text:
        return "insecure"
    return "bogus"


needs_delv = pytest.mark.skipif(shutil.which("delv") is None,
                                reason="delv (bind9-dnsutils) is not installed")


@needs_delv
@pytest.mark.parametrize("scenario", ONLINE, ids=lambda s: s.display)
def test_delv_agrees_with_unbound_on_every_online_zone(lab, lab_run, scenario):
    entry = next(e for e in lab_run.ground_truth if e["zone"] == scenario.zone)
    for probe, unbound in entry["probes"].items():
        qname = probe.split()[0]
        assert delv(lab, qname) == unbound, probe


def _zone_anchor(lab, tmp_path: Path, zone: str) -> Path:
    """The zone's own DS set (as test. publishes it) as delv trust anchors."""
    lines = (lab.run_dir / "zones" / "test" / "zone.unsigned").read_text().splitlines()
    ds = [line.split() for line in lines if line.startswith(f"{zone} ") and " DS " in line]
    entries = [f'"{zone}" static-ds {d[-4]} {d[-3]} {d[-2]} "{d[-1]}";' for d in ds]
    path = tmp_path / "anchor.conf"
    path.write_text("trust-anchors {\n" + "\n".join(entries) + "\n};\n")
    return path


@needs_delv
@pytest.mark.parametrize("zone", ["online-multi-signer.test.",
                                  "online-multi-signer-missing-zsk.test."])
def test_each_provider_validates_on_its_own(lab, tmp_path, zone):
    """delv asking each provider directly, from the zone's DS set: both KSKs have a DS, each
    provider's answers validate with its own DNSKEY RRset."""
    anchors = _zone_anchor(lab, tmp_path, zone)
    for role in ("online1", "online2"):
        server = lab.servers[role]
        assert delv(lab, zone, server=server, anchors=anchors, root=zone) == "secure", role
        assert delv(lab, f"{NX_LABEL}.{zone}", server=server, anchors=anchors,
                    root=zone) == "secure", role


def _dig(server: str, zone: str, rdtype: str) -> str:
    argv = ["dig", f"@{server}", "+dnssec", "+norec", "+noall", "+answer", zone, rdtype]
    return subprocess.run(argv, capture_output=True, text=True, timeout=30,
                          check=True).stdout


@pytest.mark.skipif(shutil.which("ldns-verify-zone") is None or shutil.which("dig") is None,
                    reason="ldns-verify-zone (ldnsutils) or dig (bind9-dnsutils) missing")
@pytest.mark.parametrize(("zone", "fails"), [("online-multi-signer.test.", False),
                                             ("online-multi-signer-missing-zsk.test.", True)])
def test_ldns_confirms_what_a_resolver_holding_one_providers_keys_sees(lab, tmp_path, zone,
                                                                       fails):
    """online2's DNSKEY RRset with online1's answers, as a resolver that cached one and then
    asked the other: ldns-verify-zone finds no key for online1's signatures exactly when
    online2 lacks online1's ZSK."""
    first, second = lab.servers["online1"], lab.servers["online2"]
    keys = _dig(second, zone, "DNSKEY")
    mixed = tmp_path / "mixed.zone"
    mixed.write_text(keys + _dig(first, zone, "SOA") + _dig(first, zone, "NS"))
    anchor = tmp_path / "ksk.key"
    anchor.write_text("".join(line + "\n" for line in keys.splitlines() if " 257 3 " in line))
    out = subprocess.run(["ldns-verify-zone", "-k", str(anchor), str(mixed)],
                         capture_output=True, text=True, timeout=30, check=False)
    missing_key = "No keys with the keytag and algorithm from the RRSIG found" in out.stderr
    assert missing_key is fails, out.stderr


def test_a_second_look_tells_an_online_signer_from_a_pre_signed_zone(lab_run):
    online = lab_run.zones["online-compact.test"]
    presigned = lab_run.zones["good-ecdsa.test"]
    for data, changed in ((online, True), (presigned, False)):
        for answers in data.usable_answers():
            first = answers.get(data.apex, dns.rdatatype.SOA)
            assert answers.second_look is not None and answers.second_look_after_s is not None
            before = set(first.signatures(dns.rdatatype.SOA, data.apex))
            after = set(answers.second_look.signatures(dns.rdatatype.SOA, data.apex))
            assert (before != after) is changed


@pytest.mark.parametrize(("zone", "shows"), [
    ("online-compact.test", "an NSEC at the name itself (compact denial, RFC 9824)"),
    ("online-white-lies.test", "a minimally covering NSEC (white lies, RFC 4470)"),
    ("online-nsec3-white-lies.test", "an NSEC3 spanning a few hashes around it"),
    ("online-multi-signer.test", "made and signed for that query"),
])
def test_each_online_server_is_recognised_and_the_finding_says_how(lab_run, zone, shows):
    data = lab_run.zones[zone]
    modes = signing_modes(data)
    assert modes and all(m.online for m in modes.values())
    notes = lab_run.judge(zone)["EXPIRY01"].findings
    assert {f.server for f in notes} == {str(s) for s in modes}
    assert all(f.severity is Severity.INFO and shows in f.message for f in notes)


def test_pre_signed_lab_zones_are_not_taken_for_online_signers(lab_run):
    online = {s.display for s in ONLINE}
    taken = [zone for zone, data in lab_run.zones.items() if zone not in online
             and any(m.online for m in signing_modes(data).values())]
    assert taken == []


@pytest.mark.parametrize("days", [0, 3, 20])  # the lab root and test. last 30 days
@pytest.mark.parametrize("zone", ["online-compact.test", "online-white-lies.test",
                                  "online-nsec3-white-lies.test", "online-multi-signer.test"])
def test_no_expiry_page_for_a_healthy_online_signer_now_or_later(lab_run, zone, days):
    results = lab_run.judge(zone, lab_run.now + days * DAY)
    assert {c: r.message for c, r in results.items()
            if c.startswith("EXPIRY") and r.outcome is not Outcome.PASSED} == {}


def test_a_signer_that_stopped_sliding_is_caught_with_its_hours_left(lab_run):
    result = lab_run.judge("online-stopped.test")["EXPIRY05"]
    assert result.outcome is Outcome.FAILED
    # the window was fixed when the lab was built: judged minutes later, the hours move on
    found = re.search(r"the online signer's window is not moving with the clock: signatures "
                      r"made for this query: inception (\d+\.\d) h ago, expiration in "
                      r"(\d+\.\d) h", result.message)
    assert found, result.message
    ago, left = float(found[1]), float(found[2])
    assert 40.0 <= ago < 41.0 and ago + left == pytest.approx(50.0, abs=0.15)
    assert result.days_left == pytest.approx(left / 24, abs=0.01)


def test_a_stale_signature_cache_is_caught_on_the_rrsets_it_serves(lab_run):
    result = lab_run.judge("online-stale-cache.test")["EXPIRY01"]
    critical = [f for f in result.findings if f.severity is Severity.CRITICAL]
    labels = {f.message.split(" RRSIG")[0] for f in critical}
    assert {"online-stale-cache.test. SOA", "online-stale-cache.test. A"} <= labels
    ages = [re.search(r"did not renew this signature: inception (\d+\.\d) h ago", f.message)
            for f in critical]
    assert all(age and 41.0 <= float(age[1]) < 42.0 for age in ages), critical
    assert lab_run.judge("online-stale-cache.test")["EXPIRY05"].outcome is Outcome.PASSED


def test_white_lies_ending_below_the_name_are_caught_as_validators_reject_them(lab_run):
    [finding] = lab_run.judge("online-white-lies-below.test")["DENIAL03"].findings
    assert finding.severity is Severity.CRITICAL
    assert "exists, below" in finding.message and "is then an empty non-terminal" \
        in finding.message


def test_the_compact_denial_that_lists_the_queried_type(lab_run):
    result = lab_run.judge("online-compact-bad-bitmap.test")["DENIAL04"]
    [finding] = result.findings
    qname = dns.name.from_text(finding.message.split()[0])
    assert finding.severity is Severity.CRITICAL and "online1.test." in (finding.server or "")
    assert f"has A: it says {qname} has A records" in finding.message
