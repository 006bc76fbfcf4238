"""File mode: a zone file checked in place of live servers, and DENIAL10's walk of the whole
NSEC/NSEC3 chain, which catches what a live probe cannot."""

from __future__ import annotations

import datetime
import json
import re
import shutil
import time
from dataclasses import replace
from pathlib import Path

import dns.dnssec
import dns.name
import dns.rdata
import dns.rdataset
import dns.rdatatype
import dns.zone
import pytest

from dnssec_conformance import catalog
from dnssec_conformance.analysis.evaluation import Evaluation
from dnssec_conformance.catalog import zone_checks
from dnssec_conformance.config.anchors import TrustAnchors, load_anchors
from dnssec_conformance.config.loading import load_config
from dnssec_conformance.config.model import DomainSpec
from dnssec_conformance.dnssec.authoritative import rrset_of
from dnssec_conformance.dnssec.zonefile import collect_zone_file, load_zone_file, read_zone_file
from dnssec_conformance.engine.runner import probe_zones
from dnssec_conformance.findings import CheckResult, Outcome, Severity

from .inmemory import DAY, NOW, SignedZone, build_zone, delegate, evaluation, parent_zone

CHILD = dns.name.from_text("child.test.")
FIRING = (Outcome.FAILED, Outcome.WARNING, Outcome.ERROR)
# Names deep in the canonical order: the random probe (dnssec-conformance-...) sorts before
# them, and the wildcard of the apex (*) before everything.
DEEP_NAMES = "".join(f"x{i} 3600 IN A 192.0.2.{20 + i}\nx{i} 3600 IN AAAA 2001:db8::{i}\n"
                     for i in range(1, 6))
NSEC3_PLAIN = "1 0 0 -"
REPO = Path(__file__).resolve().parent.parent


def name(text: str) -> dns.name.Name:
    return dns.name.from_text(text, CHILD)


def write_zone(folder: Path, signed: SignedZone) -> Path:
    path = folder / f"{signed.origin}signed"
    signed.zone.to_file(str(path), relativize=False)
    return path


def write_ds(folder: Path, parent: SignedZone, child: SignedZone) -> Path:
    path = folder / f"dsset-{child.origin}"
    rdataset = parent.zone.get_rdataset(child.origin, dns.rdatatype.DS)
    path.write_text(rrset_of(child.origin, rdataset).to_text() + "\n" if rdataset else "")
    return path


def from_file(folder: Path, signed: SignedZone, parent: SignedZone | None = None,
              **domain: object):
    ds = write_ds(folder, parent, signed) if parent is not None else None
    spec = DomainSpec(signed.origin, ("A",), **domain)  # type: ignore[arg-type]
    return collect_zone_file(spec, write_zone(folder, signed), ds, NOW)


def judge(data, now: float = NOW) -> dict[str, CheckResult]:
    # No anchor is needed: a zone file has no chain above it.
    ev = Evaluation(now, TrustAnchors("none", {}, {}))
    return {check: catalog.run(check, data, ev) for check in zone_checks()}


def fired(data) -> dict[str, Outcome]:
    return {c: r.outcome for c, r in judge(data).items() if r.outcome in FIRING}


def signed_child(**kwargs: object) -> tuple[SignedZone, SignedZone]:
    parent = parent_zone()
    child = build_zone("child.test.", **kwargs)  # type: ignore[arg-type]
    delegate(parent, child)
    return parent, child


def resign(signed: SignedZone, owner: dns.name.Name, rdtype: dns.rdatatype.RdataType) -> None:
    """Sign one RRset again with the ZSK, after editing it."""
    zone = signed.zone
    rrset = rrset_of(owner, zone.get_rdataset(owner, rdtype))
    zsk = next(k for k in signed.keys if not k.dnskey.flags & 1)
    rrsig = dns.dnssec.sign(rrset, zsk.private, signed.origin, zsk.dnskey,
                            inception=NOW - DAY, expiration=NOW + 30 * DAY)
    zone.replace_rdataset(owner, dns.rdataset.from_rdata(rrset.ttl, rrsig))


def drop_chain_record(signed: SignedZone, owner: dns.name.Name,
                      rdtype: dns.rdatatype.RdataType) -> None:
    zone = signed.zone
    zone.delete_rdataset(owner, rdtype)
    zone.delete_rdataset(owner, dns.rdatatype.RRSIG, rdtype)  # an emptied node goes too


def set_record(signed: SignedZone, owner: dns.name.Name, rdtype: str, text: str) -> None:
    rdata = dns.rdata.from_text("IN", rdtype, text)
    ttl = signed.zone.get_rdataset(owner, rdata.rdtype).ttl
    signed.zone.replace_rdataset(owner, dns.rdataset.from_rdata(ttl, rdata))
    resign(signed, owner, rdata.rdtype)


def hashed_owner(name_: dns.name.Name) -> dns.name.Name:
    digest = dns.dnssec.nsec3_hash(name_, "", 0, 1).lower()
    return dns.name.Name((digest.encode(),)).concatenate(CHILD)


def nsec3_owners(signed: SignedZone) -> list[dns.name.Name]:
    return sorted((n for n, node in signed.zone.nodes.items()
                   if node.get_rdataset(1, dns.rdatatype.NSEC3) is not None),
                  key=lambda n: n.labels[0])


def unlink_nsec3(signed: SignedZone, name_: dns.name.Name) -> dns.name.Name:
    """Take the NSEC3 record of `name_` out of the chain, its predecessor now pointing past it
    (re-signed): a consistent-looking chain with a gap. Returns the predecessor's owner."""
    gone = hashed_owner(name_)
    owners = nsec3_owners(signed)
    before = owners[owners.index(gone) - 1]
    following = signed.zone.get_rdataset(gone, dns.rdatatype.NSEC3)[0].to_text().split()[4]
    fields = signed.zone.get_rdataset(before, dns.rdatatype.NSEC3)[0].to_text().split()
    fields[4] = following  # algorithm flags iterations salt NEXT types...
    drop_chain_record(signed, gone, dns.rdatatype.NSEC3)
    set_record(signed, before, "NSEC3", " ".join(fields))
    return before


def denial10(data) -> list[str]:
    return [f.message for f in judge(data)["DENIAL10"].findings]


# --- file mode as a whole ------------------------------------------------------------------------


@pytest.mark.parametrize("nsec3", [None, NSEC3_PLAIN])
def test_a_good_zone_file_with_its_ds_passes_every_check(tmp_path, nsec3):
    parent, child = signed_child(body=DEEP_NAMES, nsec3=nsec3)
    data = from_file(tmp_path, child, parent)

    results = judge(data)
    for check in [c for c in results if c.startswith(("PROVIDER", "XFR"))]:
        assert results.pop(check).outcome is Outcome.SKIPPED  # no provider, no transfer

    assert {c: r.message for c, r in results.items() if r.outcome is not Outcome.PASSED} == {}
    assert "chain complete" in results["DENIAL10"].message
    assert data.source == "file" and not data.ancestors
    assert str(data.servers[0]) == f"{tmp_path / 'child.test.signed'} (file)"


def test_without_a_ds_file_the_delegation_is_skipped_not_an_island(tmp_path):
    _parent, child = signed_child()
    results = judge(from_file(tmp_path, child))

    assert results["DS01"].outcome is Outcome.SKIPPED
    assert "no DS file given" in results["DS01"].message
    assert "island" not in results["DS01"].message
    assert {c for c, r in results.items() if r.outcome is not Outcome.PASSED
            and not c.startswith(("PROVIDER", "XFR"))} == {"DS01"}


def test_an_unsigned_file_expected_secure_fails_even_without_a_ds_file(tmp_path):
    plain = build_zone("child.test.", keys=[])
    assert fired(from_file(tmp_path, plain)) == {"DS01": Outcome.FAILED}
    assert fired(from_file(tmp_path, plain, expect="insecure")) == {}


def test_an_empty_ds_file_is_a_parent_without_ds(tmp_path):
    parent, child = signed_child()
    parent.zone.delete_rdataset(CHILD, dns.rdatatype.DS)
    results = judge(from_file(tmp_path, child, parent))

    assert results["DS01"].outcome is Outcome.FAILED
    assert "island of security" in results["DS01"].message


def test_the_ds_file_is_checked_against_the_keys(tmp_path):
    parent, child = signed_child()
    parent.zone.replace_rdataset(CHILD, dns.rdataset.from_text(
        "IN", "DS", 3600, "12345 13 2 " + "AB" * 32))

    assert fired(from_file(tmp_path, child, parent)) == {"KEY01": Outcome.FAILED}


def test_a_ds_file_with_other_records_is_reported(tmp_path):
    _parent, child = signed_child()
    ds = tmp_path / "dsset"
    ds.write_text("other.test. 3600 IN DS 12345 13 2 " + "AB" * 32 + "\n")
    data = collect_zone_file(DomainSpec(CHILD), write_zone(tmp_path, child), ds, NOW)

    assert data.discovery_failure == (
        f"{ds}: holds other.test. DS: a DS file holds the DS records of child.test. only")


def test_a_zone_file_that_does_not_parse_is_a_failure_with_its_line(tmp_path):
    path = tmp_path / "child.test.signed"
    path.write_text("$TTL 3600\n@ IN SOA ns1.test. hostmaster.test. 1 7200 3600 1209600 300\n"
                    "@ IN NS ns1.test.\n\n; the next record is cut short\nwww IN A 192.0.2\n"
                    "mail IN A 192.0.2.2\n")

    data = collect_zone_file(DomainSpec(CHILD), path, None, NOW)
    results = judge(data)

    problem = f"{path}:6: Text input is malformed. (name servers refuse to load the zone)"
    assert data.discovery_failure == problem
    assert results.pop("SIG02").message == problem
    for check, result in results.items():  # one broken file is one finding, in one place
        assert result.outcome is Outcome.SKIPPED, check
        assert result.message == "the zone file does not load (SIG02 says why): nothing to judge"


def test_a_zone_file_of_another_zone_is_reported(tmp_path):
    _parent, child = signed_child()
    data = collect_zone_file(DomainSpec(dns.name.from_text("other.test.")),
                             write_zone(tmp_path, child), None, NOW)

    assert data.discovery_failure == (f"{tmp_path / 'child.test.signed'}: no SOA record at "
                                      "other.test. (is this the zone file of other.test.?)")


def test_file_mode_sees_expiry_like_a_live_check(tmp_path):
    _parent, child = signed_child(expiration=NOW + 2 * DAY)
    result = judge(from_file(tmp_path, child))["EXPIRY01"]

    assert result.outcome is Outcome.FAILED
    assert "(file)" in (result.findings[0].server or "")
    assert "answered from the zone file" in result.findings[0].evidence


def test_file_mode_checks_every_rrset_not_only_the_sampled_ones(tmp_path):
    """A signature that expired on an RRset no live question asks for (x3's AAAA, deep in the
    zone) is caught in a file: the whole zone is at hand."""
    parent, child = signed_child(body=DEEP_NAMES)
    zsk = next(k for k in child.keys if not k.dnskey.flags & 1)
    owner = name("x3")
    rrset = rrset_of(owner, child.zone.get_rdataset(owner, dns.rdatatype.AAAA))
    stale = dns.dnssec.sign(rrset, zsk.private, CHILD, zsk.dnskey,
                            inception=NOW - 31 * DAY, expiration=NOW - DAY)
    child.zone.replace_rdataset(owner, dns.rdataset.from_rdata(rrset.ttl, stale))
    data = from_file(tmp_path, child, parent)

    assert fired(data) == {"EXPIRY01": Outcome.FAILED}
    (finding,) = [f for f in judge(data)["EXPIRY01"].findings
                  if f.severity is Severity.CRITICAL]
    assert finding.message.startswith("x3.child.test. AAAA RRSIG expired 1.0 days ago")


# --- DENIAL10: the whole chain -------------------------------------------------------------------


def test_a_hole_deep_in_the_nsec_chain_is_caught_only_by_the_walk(tmp_path):
    _parent, child = signed_child(body=DEEP_NAMES)
    drop_chain_record(child, name("x3"), dns.rdatatype.NSEC)
    set_record(child, name("x2"), "NSEC", "x4.child.test. A AAAA RRSIG NSEC")
    data = from_file(tmp_path, child)

    assert fired(data) == {"DENIAL10": Outcome.FAILED}
    assert denial10(data) == [
        "the NSEC at x2.child.test. points to x4.child.test., skipping x3.child.test.: a hole "
        "in the chain, validators would accept a denial of names that exist"]


def test_nsec_bitmaps_strays_and_signatures(tmp_path):
    _parent, child = signed_child(body=DEEP_NAMES + "gone 3600 IN A 192.0.2.99\n")
    set_record(child, name("x1"), "NSEC", "x2.child.test. A RRSIG NSEC")
    child.zone.delete_rdataset(name("gone"), dns.rdatatype.A)
    child.zone.delete_rdataset(name("gone"), dns.rdatatype.RRSIG, dns.rdatatype.A)
    child.zone.delete_rdataset(name("x4"), dns.rdatatype.RRSIG, dns.rdatatype.NSEC)
    data = from_file(tmp_path, child)

    messages = denial10(data)

    assert "the NSEC type bitmap of x1.child.test. lacks AAAA (a NODATA proof would deny " \
           "records that exist)" in messages
    assert "an NSEC record at gone.child.test., which holds no other data (left over from a " \
           "deleted name?): it says the name exists" in messages
    assert "the NSEC record at x4.child.test. has no RRSIG by the zone" in messages
    assert "the NSEC at child.test. points to gone.child.test., which is not an " \
           "authoritative name of the zone (the next one is www.child.test.)" in messages


@pytest.mark.parametrize("nsec3", [None, NSEC3_PLAIN])
def test_glue_at_a_delegated_name_is_not_the_parent_s_data(tmp_path, nsec3):
    """RFC 4035 §2.3: at a delegation point the bitmap lists NS and DS only (BIND and ldns
    leave the glue A out); the in-memory signer lists it, which misleads no validator."""
    glue = "sub 3600 IN NS sub.child.test.\nsub 3600 IN A 192.0.2.5\n"
    _parent, child = signed_child(body=glue, nsec3=nsec3)
    result = judge(from_file(tmp_path, child))["DENIAL10"]

    assert result.outcome is Outcome.WARNING
    [finding] = result.findings
    assert finding.message.endswith("(sub.child.test.) lists A, for which the parent is not "
                                    "authoritative at a delegation point (RFC 4035 §2.3)"
                                    if nsec3 else
                                    "sub.child.test. lists A, for which the parent is not "
                                    "authoritative at a delegation point (RFC 4035 §2.3)")


def test_a_gap_in_the_nsec3_chain_is_caught_only_by_the_walk(tmp_path):
    _parent, child = signed_child(body=DEEP_NAMES, nsec3=NSEC3_PLAIN)
    gone = hashed_owner(name("x3"))
    before = unlink_nsec3(child, name("x3"))
    data = from_file(tmp_path, child)

    assert fired(data) == {"DENIAL10": Outcome.FAILED}
    [message] = denial10(data)
    assert message.startswith(f"x3.child.test. (hash {gone.labels[0].decode()}) has no NSEC3 "
                              f"record: the span of {before} covers it (the span has no "
                              "opt-out flag)")


def test_an_nsec3_bitmap_that_lacks_a_type_is_caught_only_by_the_walk(tmp_path):
    _parent, child = signed_child(body=DEEP_NAMES, nsec3=NSEC3_PLAIN)
    owner = hashed_owner(name("x4"))
    record = child.zone.get_rdataset(owner, dns.rdatatype.NSEC3)[0]
    set_record(child, owner, "NSEC3", record.to_text().replace(" AAAA", ""))
    data = from_file(tmp_path, child)

    assert fired(data) == {"DENIAL10": Outcome.FAILED}
    assert denial10(data) == [f"the NSEC3 type bitmap of {owner} (x4.child.test.) lacks AAAA "
                              "(a NODATA proof would deny records that exist)"]


def test_opt_out_may_leave_out_only_unsigned_delegations(tmp_path):
    delegations = ("deep.sub 3600 IN NS ns.elsewhere.example.\n"
                   "secure 3600 IN NS ns.elsewhere.example.\n"
                   "secure 3600 IN DS 12345 13 2 " + "AB" * 32 + "\n")
    _parent, child = signed_child(body=DEEP_NAMES + delegations, nsec3=NSEC3_PLAIN,
                                  opt_out=True)
    assert hashed_owner(name("deep.sub")) not in nsec3_owners(child)
    assert hashed_owner(name("sub")) not in nsec3_owners(child)
    assert judge(from_file(tmp_path, child))["DENIAL10"].outcome is Outcome.PASSED

    unlink_nsec3(child, name("x2"))

    [message] = denial10(from_file(tmp_path, child))
    assert "x2.child.test." in message
    assert "an opt-out span may leave out only unsigned delegations" in message


def test_a_signed_zone_without_any_chain(tmp_path):
    _parent, child = signed_child()
    for owner in list(child.zone.nodes):
        if child.zone.get_rdataset(owner, dns.rdatatype.NSEC) is not None:
            drop_chain_record(child, owner, dns.rdatatype.NSEC)
    messages = denial10(from_file(tmp_path, child))

    assert messages == ["the zone is signed but has neither NSEC nor NSEC3 records: it cannot "
                        "deny any name or type"]


def test_nsec3_beyond_the_iteration_limit_is_not_hashed(tmp_path):
    _parent, child = signed_child(nsec3="1 0 2501 -")
    result = judge(from_file(tmp_path, child))["DENIAL10"]

    assert result.outcome is Outcome.ERROR
    assert "is not walked: NSEC3 iterations 2501 exceed 2500" in result.message


def test_the_walk_is_for_zone_files_only():
    from .inmemory import zone_data

    parent, child = signed_child()
    result = catalog.run("DENIAL10", zone_data(child, parent), evaluation(parent))

    assert result.outcome is Outcome.SKIPPED
    assert result.skipped_reason is not None and "zone files only" in result.skipped_reason


def test_a_broken_signer_is_reported_in_bounded_findings(tmp_path):
    body = "".join(f"n{i} 3600 IN A 192.0.2.{i}\n" for i in range(1, 60))
    _parent, child = signed_child(body=body)
    for owner in list(child.zone.nodes):
        rdataset = child.zone.get_rdataset(owner, dns.rdatatype.NSEC)
        if rdataset is not None and owner != CHILD:
            child.zone.delete_rdataset(owner, dns.rdatatype.RRSIG, dns.rdatatype.NSEC)
    result = judge(from_file(tmp_path, child))["DENIAL10"]

    assert len(result.findings) == 26
    assert result.findings[-1].message == ("35 more problems in the denial chain (the first "
                                           "ones are listed)")
    assert result.findings[-1].severity is Severity.CRITICAL


# --- the lab, live and as files ------------------------------------------------------------------

# A file is one copy of a zone: where the lab serves two different copies (ns2 stale or signed
# with other keys), the live verdict is about what differs between servers.
TWO_COPIES = "two servers serve different copies; a file is one copy"
# The online signer's zones (lab/onlinesigner.py) have no signed file to read.
SIGNED_WHEN_ANSWERED = "signed when answered: there is no signed file"
# The walk finds the faults these lab zones hold in their chain (where present in the lab).
# A deep RRset the live questions never ask (its expired RRSIG): only the whole file shows
# it, as the transfer checks show it live.
ONLY_THE_WHOLE_ZONE_SHOWS = {("walk-deep-expiry.test.", "EXPIRY01")}
WALK_FIRES_ON = {"nsec-no-proof.test.", "nsec-gap.test.", "nsec3-gap.test.",
                 "denial-bad-sig.test.", "zsk-missing.test."}


def served_files(run_dir: Path) -> dict[str, Path]:
    """Zone -> the file the lab's ns1 serves it from, as its NSD configuration says."""
    text = (run_dir / "nsd-ns1.conf").read_text()
    found = re.findall(r'name: "([^"]+)"\s+zonefile: "([^"]+)"', text)
    return {zone: Path(file) for zone, file in found}


def parent_ds_file(parent: dns.zone.Zone, zone: dns.name.Name, folder: Path) -> Path:
    """The DS records test. publishes for the zone, as a dsset file (empty: no DS)."""
    path = folder / f"dsset-{zone}"
    rdataset = parent.get_rdataset(zone, dns.rdatatype.DS)
    path.write_text(rrset_of(zone, rdataset).to_text() + "\n" if rdataset else "")
    return path


def test_the_lab_zone_files_give_the_live_verdicts(lab, tmp_path):
    """Each lab zone collected live (as the lab tests do) and from the file ns1 serves, with
    the DS records test. holds for it: every check but the file-only DENIAL10 and SIG02 has
    the same outcome, judged at the same instant. DENIAL10 fires exactly on the zones whose
    chain is broken; every file loads."""
    config = load_config(lab.domains_yaml)
    truth = {e["zone"]: e for e in json.loads(lab.ground_truth.read_text())
             if not e.get("resolver")}
    files = served_files(lab.run_dir)
    parent = read_zone_file(lab.run_dir / "zones" / "test" / "zone.signed",
                            dns.name.from_text("test."))
    live_zones = probe_zones(config)
    anchors = load_anchors(config.trust_anchors)
    now = time.time()
    excluded, differences, walk_fired = {}, {}, {}
    for domain in config.domains:
        zone = domain.name.to_text()
        if len(truth[zone]["servers"]) > 1:
            excluded[zone] = TWO_COPIES
            continue
        if zone not in files:
            excluded[zone] = SIGNED_WHEN_ANSWERED
            continue
        ds_file = parent_ds_file(parent, domain.name, tmp_path)
        as_file = replace(domain, zone_file=files[zone], ds_file=ds_file)
        live = live_zones[domain.display]
        filed = collect_zone_file(as_file, files[zone], ds_file, now)
        ev = Evaluation(now, anchors, domain.thresholds, config.clock)
        for check in zone_checks():
            live_result, file_result = catalog.run(check, live, ev), catalog.run(check, filed, ev)
            if check == "DENIAL10":
                assert live_result.outcome is Outcome.SKIPPED
                if file_result.outcome is not Outcome.PASSED:
                    walk_fired[zone] = file_result.outcome
            elif check == "SIG02":  # the signers' files load
                assert live_result.outcome is Outcome.SKIPPED
                assert file_result.outcome is Outcome.PASSED, file_result.message
            elif check.startswith("XFR"):  # whole copies of live zones only
                assert file_result.outcome is Outcome.SKIPPED
            elif (zone, check) in ONLY_THE_WHOLE_ZONE_SHOWS:
                assert (live_result.outcome, file_result.outcome) == (Outcome.PASSED,
                                                                      Outcome.FAILED)
            elif live_result.outcome is not file_result.outcome:
                differences[(zone, check)] = (live_result.message, file_result.message)

    assert differences == {}
    assert walk_fired == {z: Outcome.FAILED for z in WALK_FIRES_ON if z in truth}
    assert "stale-secondary.test." in excluded
    assert len(truth) - len(excluded) >= 20, "most scenarios are compared"


# --- through the plugin --------------------------------------------------------------------------


def iso(moment: float) -> str:
    return datetime.datetime.fromtimestamp(moment, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_at_moves_an_expiring_zone_file_from_passed_to_warning_to_failed(pytester):
    """Signatures from NOW-1d to NOW+30d: 29, 5 and 2 days left."""
    parent, child = signed_child()
    (pytester.path / "zones").mkdir()
    write_zone(pytester.path / "zones", child)
    write_ds(pytester.path / "zones", parent, child)
    shutil.copytree(REPO / "suites", pytester.path / "suites")
    domains = pytester.path / "domains.yaml"
    domains.write_text("domains:\n  - name: child.test\n    records: [A]\n"
                       "    zone_file: zones/child.test.signed\n"
                       "    ds: zones/dsset-child.test.\n")
    outcomes = {}
    for days in (1, 25, 28):
        results = pytester.path / f"results-{days}.json"
        run = pytester.runpytest_subprocess("--domains", str(domains), "suites", "-p",
                                            "no:cacheprovider", "--at", iso(NOW + days * DAY),
                                            "--results", str(results))
        document = json.loads(results.read_text())
        by_check = {r["check"]: r for r in document["results"]}
        outcomes[days] = (by_check["EXPIRY01"]["outcome"], run.ret)
        assert by_check["RESOLVER01"]["outcome"] == "skipped"
        assert by_check["DENIAL10"]["outcome"] == "passed"
        assert by_check["DS01"]["outcome"] == "passed"
    assert outcomes == {1: ("passed", 0), 25: ("warning", 0), 28: ("failed", 1)}


def test_the_example_zone_file_passes_on_a_fixed_day(pytester):
    """examples/zone-file-domains.yaml, as the GitHub Actions example runs it; --at keeps the
    test independent of today's date (the example is signed for ten years)."""
    shutil.copytree(REPO / "examples", pytester.path / "examples")
    shutil.copytree(REPO / "suites", pytester.path / "suites")
    run = pytester.runpytest_subprocess("--domains", "examples/zone-file-domains.yaml",
                                        "suites", "-p", "no:cacheprovider",
                                        "--at", "2027-06-01T00:00Z")
    document = json.loads((pytester.path / "reports" / "results.json").read_text())
    firing = {r["check"]: r["message"] for r in document["results"]
              if r["outcome"] not in ("passed", "skipped")}

    assert firing == {}
    assert run.ret == 0
    assert {r["check"] for r in document["results"] if r["outcome"] == "passed"} >= {
        "DS01", "KEY01", "EXPIRY01", "DENIAL03", "DENIAL10"}


# --- loading: SIG02, one finding for a file name servers refuse ---------------------------------


def with_line(path: Path, after: str, extra: str) -> int:
    """Insert `extra` after the first line holding `after`; return the line it starts on."""
    lines = path.read_text().splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if after in line) + 1
    lines.insert(index, extra)
    path.write_text("".join(lines))
    return index + 1


def test_a_value_name_servers_load_is_left_out_and_the_rest_is_checked(tmp_path):
    """Knot's invalid_ds: a DS with the reserved digest type 0 (BIND and NSD load it; the
    DNS library refuses it). Reported with its line; every other check judges the zone."""
    parent, child = signed_child()
    path = write_zone(tmp_path, child)
    line = with_line(path, " NS ", "deleg.child.test. 3600 IN NS ns.elsewhere.example.\n"
                     "deleg.child.test. 3600 IN DS 60485 13 0 c5\n") + 1
    data = collect_zone_file(DomainSpec(CHILD, ("A",)), path, write_ds(tmp_path, parent, child),
                             NOW)
    results = judge(data)

    assert data.discovery_failure is None
    [finding] = results["SIG02"].findings
    assert finding.severity is Severity.WARNING
    assert finding.message.startswith(f"{path}:{line}: digest type 0 is reserved (left out of "
                                      "the checks")
    assert results["KEY01"].outcome is Outcome.PASSED  # the zone itself is judged
    # skipped only: the checks of a provider (none named here) and of transfers (a file)
    assert [c for c, r in results.items()
            if r.outcome is Outcome.SKIPPED and not c.startswith(("PROVIDER", "XFR"))] == []


def test_cname_and_other_data_refuses_the_zone_once_with_both_lines(tmp_path):
    _parent, child = signed_child()
    path = write_zone(tmp_path, child)
    first = with_line(path, " NS ", "dup.child.test. 3600 IN CNAME www.child.test.\n")
    second = with_line(path, "dup.child.test.", "dup.child.test. 3600 IN A 192.0.2.99\n")
    data = collect_zone_file(DomainSpec(CHILD), path, None, NOW)
    results = judge(data)

    assert results.pop("SIG02").message == (
        f"{path}:{second}: CNAME and other data at dup.child.test. (the other record is at "
        f"{path}:{first}): name servers refuse to load the zone (RFC 2181 §10.1)")
    assert {r.outcome for r in results.values()} == {Outcome.SKIPPED}


def test_every_bad_record_is_named_and_a_bad_record_spans_its_parentheses(tmp_path):
    path = tmp_path / "child.test.signed"
    path.write_text("$TTL 3600\n@ IN SOA ns1.test. hostmaster.test. 1 7200 3600 1209600 300\n"
                    "@ IN NS ns1.test.\nbad1 IN A 192.0.2\nbad2 IN A ( 192.0.2\n  ; what follows\n"
                    "  ) \nok IN A 192.0.2.1\n@ IN SOA ns2.test. h.test. 2 1 1 1 1\n"
                    "bad3 IN DS 1 13 2 ( AB\n CD )\nlast IN A 192.0.2.2\n")
    data = collect_zone_file(DomainSpec(CHILD), path, None, NOW)
    sig02 = judge(data)["SIG02"]

    assert [(f.severity, f.message.split(": ")[0]) for f in sig02.findings] == [
        (Severity.CRITICAL, f"{path}:4"), (Severity.CRITICAL, f"{path}:5"),
        (Severity.CRITICAL, f"{path}:9"), (Severity.WARNING, f"{path}:10")]
    assert "a second SOA record at child.test." in sig02.findings[2].message
    assert "digest length inconsistent with digest type" in sig02.findings[3].message

    path.write_text("$TTL 3600\n@ IN SOA ns1.test. hostmaster.test. 1 7200 3600 1209600 300\n"
                    "@ IN NS ns1.test.\nbad IN DS 1 13 2 ( AB\n CD )\nlast IN A 192.0.2.2\n")
    loaded = load_zone_file(path, CHILD)
    assert [p.fatal for p in loaded.problems] == [False]
    assert loaded.zone.get_rdataset(name("last"), dns.rdatatype.A) is not None
    assert loaded.zone.get_node(name("bad")) is None


def test_a_ds_file_that_cannot_be_read_is_the_one_finding(tmp_path):
    _parent, child = signed_child()
    missing = tmp_path / "dsset-missing"
    data = collect_zone_file(DomainSpec(CHILD), write_zone(tmp_path, child), missing, NOW)
    results = judge(data)

    assert results.pop("SIG02").message.startswith(f"{missing}: cannot be read")
    assert {r.outcome for r in results.values()} == {Outcome.SKIPPED}


# --- DENIAL10: the chain servers answer from ----------------------------------------------------


def add_stray_chain(signed: SignedZone, params: str = "1 0 10 AABB") -> None:
    for owner in ("0" * 32, "g" * 32, "v" * 32):
        rdata = dns.rdata.from_text("IN", "NSEC3", f"{params} {owner} A")
        signed.zone.replace_rdataset(name(owner), dns.rdataset.from_rdata(3600, rdata))


def test_a_stray_nsec3_chain_is_noted_not_walked(tmp_path):
    """Knot's ok.2nsec3: a complete chain for the NSEC3PARAM and leftovers of another."""
    _parent, child = signed_child(nsec3=NSEC3_PLAIN)
    add_stray_chain(child)
    data = from_file(tmp_path, child)
    result = judge(data)["DENIAL10"]

    assert fired(data) == {}
    assert [f.message for f in result.findings] == [
        "3 NSEC3 record(s) with parameters 1 10 AABB, which no NSEC3PARAM names: no server "
        "answers with them (a chain left over from a parameter change?); not walked",
        "NSEC3 1 0 - chain complete: 2 names walked"]


def test_an_nsec3param_naming_no_chain(tmp_path):
    _parent, child = signed_child(nsec3=NSEC3_PLAIN)
    set_record(child, CHILD, "NSEC3PARAM", "1 0 5 CAFE")
    messages = denial10(from_file(tmp_path, child))

    assert ("the NSEC3PARAM names the NSEC3 chain 1 5 CAFE, but the zone has no NSEC3 record "
            "with these parameters: a server using it has nothing to deny names with"
            in messages)
    assert any("no NSEC3PARAM naming their chain" in m for m in messages)


def opt_out_of_chain(signed: SignedZone, *names: str) -> None:
    """Take the names' NSEC3 records out of the chain, flagging the records that now cover
    them opt-out (re-signed)."""
    for text in names:
        before = unlink_nsec3(signed, name(text))
        fields = signed.zone.get_rdataset(before, dns.rdatatype.NSEC3)[0].to_text().split()
        fields[1] = "1"
        set_record(signed, before, "NSEC3", " ".join(fields))


DELEGATIONS_UNDER_AN_ENT = ("deleg1.ent 3600 IN NS ns.elsewhere.example.\n"
                            "deleg2.ent 3600 IN NS ns.elsewhere.example.\n")


def test_an_ent_in_an_opt_out_span_needs_its_nsec3_when_a_delegation_below_has_one(tmp_path):
    """Knot's nsec3_optout_ent.invalid and optout.ent.zone.2: the empty non-terminal `ent`
    is covered by an opt-out span, but an unsigned delegation below it has its own NSEC3:
    RFC 5155 §7.1 wants the ENT's record (a NODATA for it has nothing to match)."""
    _parent, child = signed_child(body=DELEGATIONS_UNDER_AN_ENT, nsec3=NSEC3_PLAIN)
    opt_out_of_chain(child, "ent", "deleg2.ent")

    [message] = denial10(from_file(tmp_path, child))
    assert message.startswith("ent.child.test. (hash ")
    assert ("(an opt-out span may leave out an empty non-terminal only when it leaves out the "
            "delegations below it too, and deleg1.ent.child.test. has its NSEC3 record)"
            in message)


def test_an_ent_made_only_by_opted_out_delegations_may_be_left_out(tmp_path):
    """Knot's nsec3_optout_ent.valid and .all."""
    _parent, child = signed_child(body=DELEGATIONS_UNDER_AN_ENT, nsec3=NSEC3_PLAIN)
    opt_out_of_chain(child, "ent", "deleg1.ent", "deleg2.ent")

    assert judge(from_file(tmp_path, child))["DENIAL10"].outcome is Outcome.PASSED


def test_the_probe_name_can_be_fixed_for_runs_that_must_repeat(tmp_path):
    _parent, child = signed_child()
    probe = dns.name.from_text("dnssec-conformance-corpus", CHILD)
    data = collect_zone_file(DomainSpec(CHILD), write_zone(tmp_path, child), None, NOW, probe)
    assert data.answers[data.servers[0]].nonexistent.qname == probe


def test_an_rrsig_over_an_rrsig_is_a_warning(tmp_path):
    """Knot's rrsig_signed: RRSIG records are never signed (RFC 4035 §2.2)."""
    parent, child = signed_child()
    www = name("www")
    signature = child.zone.get_rdataset(www, dns.rdatatype.RRSIG, dns.rdatatype.A)[0]
    child.zone.replace_rdataset(www, dns.rdataset.from_rdata(
        3600, signature.replace(type_covered=dns.rdatatype.RRSIG)))
    data = from_file(tmp_path, child, parent)

    assert fired(data) == {"SIG03": Outcome.WARNING}
    assert judge(data)["SIG03"].findings[0].message == (
        "an RRSIG at www.child.test. covers type RRSIG: RRSIG records are never signed (RFC "
        "4035 §2.2), validators ignore it")
