"""The HTML report: the dashboard builders on their own, then whole runs (one process and
xdist) that write report.html, junit.xml and results.json and send the heartbeat to a real
server on loopback, with the report opened in headless Chromium."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
import xml.etree.ElementTree as ElementTree
from dataclasses import replace
from html import escape
from pathlib import Path
from typing import Any

import pytest

from dnssec_conformance.config.model import Thresholds
from dnssec_conformance.probe.snapshot import SnapshotWriter
from dnssec_conformance.report import html as report_html
from dnssec_conformance.report.results import build_document

from .inmemory import DAY, NOW, anchors_for, build_zone, delegate, resign, zone_data
from .test_heartbeat import KEY, Receiver, records_for, serve, unreachable_records

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOT = ROOT / "reports" / "report-screenshot.png"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
THRESHOLDS = Thresholds(warning_days=7, critical_days=3)
SVG = "{http://www.w3.org/2000/svg}"


def document_of(records: list[dict[str, Any]]) -> dict[str, Any]:
    return build_document(records, evaluated_at=NOW, started_at=NOW, finished_at=NOW + 5,
                          domains_file="domains.yaml", exit_status=1, interrupted=False)


@pytest.fixture(scope="module")
def mixed() -> dict[str, Any]:
    records = [*records_for("good.test."),
               *records_for("soon.test.", expiration=NOW + 5 * DAY),
               *records_for("crit.test.", expiration=NOW + 2 * DAY),
               *unreachable_records("dark.test.")]
    # A run without the rollover checks: their panel is tested on its own below.
    return document_of([r for r in records if r["category"] != "rollover"])


# --- the builders ------------------------------------------------------------------------------


def test_dashboard_shows_status_time_grid_and_timeline(mixed):
    html = report_html.dashboard_html(mixed, thresholds=THRESHOLDS)
    assert html.startswith('<section id="dnssec-dashboard" data-status="critical">')
    assert '<span class="dnssec-badge">CRITICAL</span>' in html
    assert "priority P1" in html and "as of 2027-01-15T08:00:00Z" in html
    assert "4 domains: 1 critical, 1 warning, 1 could not check, 1 healthy" in html
    for domain, status in (("good.test", "healthy"), ("soon.test", "warning"),
                           ("crit.test", "critical"), ("dark.test", "critical")):
        assert f'data-domain="{domain}" data-status="{status}"' in html
    assert "EXPIRY01 failed" in html and "could not check" in html
    assert 'id="dnssec-rotation"' not in html  # no rollover check ran


def test_timeline_is_svg_with_a_bar_per_domain_against_the_thresholds(mixed):
    svg = report_html.expiry_timeline_svg(mixed["domains"], thresholds=THRESHOLDS,
                                          domain_thresholds={"good.test": Thresholds(14, 3)})
    root = ElementTree.fromstring(svg)  # well-formed: it is inlined as is
    rows = root.findall(f"{SVG}g")
    assert [r.get("data-domain") for r in rows] == ["crit.test", "soon.test", "good.test",
                                                    "dark.test"]  # soonest first, unknown last
    bars = {r.get("data-domain"): r.find(f"{SVG}rect[@class]") for r in rows}
    assert bars["crit.test"].get("class") == "dnssec-bar dnssec-critical"
    assert bars["soon.test"].get("class") == "dnssec-bar dnssec-warning"
    assert bars["good.test"].get("class") == "dnssec-bar dnssec-healthy"
    assert bars["dark.test"] is None and "no expiry data" in svg
    scale = float(bars["good.test"].get("width")) / 30  # units per day
    for band, days in (("critical", 3), ("warning", 7)):
        line = root.find(f"{SVG}line[@class='dnssec-threshold-{band}']")
        assert float(line.get("x1")) == pytest.approx(report_html.LABEL_WIDTH + days * scale,
                                                      abs=0.2)
    own_ticks = rows[2].findall(f"{SVG}line")  # good.test's own warning line at 14 days
    assert float(own_ticks[0].get("x1")) == pytest.approx(report_html.LABEL_WIDTH + 14 * scale,
                                                          abs=0.2)


def test_expired_and_far_signatures():
    domains = [{"domain": "gone.test", "days_left": -1.5, "status": "critical"},
               {"domain": "far.test", "days_left": 400.0, "status": "healthy"}]
    svg = report_html.expiry_timeline_svg(domains, thresholds=THRESHOLDS)
    ElementTree.fromstring(svg)
    assert "expired 1.5 d ago" in svg and "400.0 d" in svg and "»" in svg


def test_everything_is_escaped():
    hostile = "<script>alert(1)</script>"
    record = {"domain": "x.test", "check": "SIG01", "category": "bad-signature",
              "title": "t", "outcome": "failed", "severity": "critical",
              "message": f"bogus & {hostile}", "days_left": None,
              "findings": [{"severity": "critical", "message": hostile, "server": hostile,
                            "evidence": f";; ANSWER\nx.test. 300 IN TXT \"{hostile}\""}]}
    document = document_of([record, dict(record, domain=hostile)])
    outputs = [report_html.dashboard_html(document, thresholds=THRESHOLDS),
               report_html.evidence_html(record),
               "".join(report_html.result_cells({"domain": hostile, "check": "SIG01",
                                                 "category": hostile, "record": record}))]
    for html in outputs:
        assert hostile not in html and "&lt;script&gt;" in html
    assert "<details" in outputs[1] and "IN TXT &quot;&lt;script&gt;" in outputs[1]


def test_a_domains_evidence_is_shown_once_and_named_after():
    """A zone nobody can reach fails every check with the same exchanges: the first row of
    the domain shows them, the others name that row (a report of a fleet-wide outage stays
    readable, and its size and the memory to render it shrink)."""
    def record(domain: str, check: str) -> dict[str, Any]:
        return {"domain": domain, "check": check, "outcome": "error", "severity": "error",
                "message": "cannot find the zone", "findings": [
                    {"severity": "error", "message": "cannot find the zone", "server": "",
                     "evidence": ";; dig @192.0.2.1 test. NS\n;; no usable answer"}]}

    shown: dict[str, dict[str, str]] = {}
    first, second, other = (report_html.evidence_html(r, shown.setdefault(r["domain"], {}))
                            for r in (record("a.test", "EXPIRY01"), record("a.test", "SIG01"),
                                      record("b.test", "SIG01")))
    assert '<details class="dnssec-dig">' in first and "no usable answer" in first
    assert first.count("cannot find the zone") == 1  # the one finding is the message
    assert '<details' not in second and "no usable answer" not in second
    assert "DNS evidence: as shown for EXPIRY01 on a.test." in second
    assert '<details class="dnssec-dig">' in other  # another domain shows its own
    assert '<details class="dnssec-dig">' in report_html.evidence_html(record("a.test", "X"))


def test_days_left_cells_sort_by_number():
    def sort_value(days: float | None) -> str:
        cell = report_html.result_cells({"domain": "d", "check": "C", "category": "c",
                                         "record": {"severity": "info", "days_left": days}})[5]
        return cell.split(">", 1)[1]  # what pytest-html sorts on: the cell's inner HTML

    assert sorted([None, 12.0, -1.5, 2.4], key=sort_value) == [-1.5, 2.4, 12.0, None]
    other_test = report_html.result_cells(None)  # not a DNSSEC check: empty, aligned cells
    assert len(other_test) == len(report_html.COLUMNS)
    assert all(cell.endswith("></td>") for cell in other_test)


def test_rotation_events_panel_when_the_rollover_checks_ran(mixed):
    rollover = {"domain": "good.test", "check": "ROLL01", "title": "t", "category": "rollover",
                "outcome": "passed", "severity": "info", "message": "ok", "days_left": None,
                "findings": [{"severity": "info", "message": "new KSK 12345 published",
                              "server": None, "evidence": "", "event": True},
                             {"severity": "info", "message": "baseline: KSK 1 recorded",
                              "server": None, "evidence": "", "event": False}]}
    html = report_html.dashboard_html(document_of([*mixed["results"], rollover]),
                                      thresholds=THRESHOLDS)
    assert 'id="dnssec-rotation"' in html and "new KSK 12345 published" in html
    assert "baseline" not in html  # a first run's baseline is not an event


def test_environment_table_is_redacted():
    url = f"https://oneuptime.com/heartbeat/{KEY}"
    metadata = {"Python": "3.11", "ONEUPTIME_HEARTBEAT_URL": url, "my_heartbeat": "x",
                "Plugins": {"html": "4.2.0"}, "JOB": f"curl {url}"}
    report_html.redact_metadata(metadata, url)
    assert metadata["ONEUPTIME_HEARTBEAT_URL"] == metadata["my_heartbeat"] == "***"
    assert metadata["JOB"] == "curl https://oneuptime.com/heartbeat/***"
    assert metadata["Python"] == "3.11" and metadata["Plugins"] == {"html": "4.2.0"}


# --- whole runs --------------------------------------------------------------------------------

DOMAINS_YAML = """\
resolvers: ["127.0.0.1:9"]   # never asked: the runs judge snapshot.json
root_hints: ["127.0.0.1:9"]
trust_anchors: anchors.txt
query: {timeout_s: 0.2, retries: 0}
thresholds: {warning_days: 7, critical_days: 3}
domains:
  - name: good.test
    thresholds: {warning_days: 14}
  - soon.test
  - crit.test
"""
DAYS_LEFT = {"good.test": 30, "soon.test": 5, "crit.test": 2}


def write_snapshot(folder: Path) -> None:
    """Zones signed in memory as a snapshot the runs judge with `--snapshot` (signed around
    the real present, so that runs judge them as of now): a healthy zone, one within the
    warning threshold, one within the critical threshold."""
    now = time.time()
    parent = build_zone("test.", inception=now - DAY, expiration=now + 30 * DAY)
    children = {name: build_zone(f"{name}.", inception=now - DAY, expiration=now + days * DAY)
                for name, days in DAYS_LEFT.items()}
    for child in children.values():
        delegate(parent, child, sign=False)
    resign(parent, now)
    anchors = anchors_for(parent)
    (folder / "anchors.txt").write_text(anchors.to_text() + "\n")
    writer = SnapshotWriter(folder / "snapshot.json", domains_file="domains.yaml",
                            anchors_text=anchors.to_text())
    for child in children.values():
        writer.add_zone(replace(zone_data(child, parent), collected_at=now))
    writer.close(observations=[], coredns=None, clock=None)


SUITE = """\
import pytest


@pytest.mark.dnssec_check("EXPIRY01")
def test_rrsig_not_expired(conformance):
    conformance.assert_passes()


@pytest.mark.dnssec_check("SIG01")
def test_rrsig_verifies(conformance):
    conformance.assert_passes()


@pytest.mark.dnssec_check("KEY01")
def test_ds_matches_dnskey(conformance):
    conformance.assert_passes()
"""


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    (pytester.path / "domains.yaml").write_text(DOMAINS_YAML)
    write_snapshot(pytester.path)
    pytester.makepyfile(test_dnssec=SUITE)
    monkeypatch.delenv("ONEUPTIME_HEARTBEAT_URL", raising=False)
    return pytester


@pytest.fixture
def receiver() -> Any:
    yield from serve()


def run(project: pytest.Pytester, *args: str) -> pytest.RunResult:
    return project.runpytest_subprocess("--domains", "domains.yaml", "--snapshot",
                                        "snapshot.json", "-p", "no:cacheprovider", *args,
                                        timeout=180)


def output(result: pytest.RunResult) -> str:
    return result.stdout.str() + result.stderr.str()


def results_json(project: pytest.Pytester) -> dict[str, Any]:
    return json.loads((project.path / "reports" / "results.json").read_text())


def chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    if not Path(CHROMIUM).exists():
        pytest.fail("headless Chromium is needed: apt-get install chromium (make debs)")
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", f"--user-data-dir={profile}", "--window-size=1400,2000", *args],
        capture_output=True, text=True, timeout=120, check=True)


def test_critical_run_writes_every_report_sends_one_heartbeat_and_leaks_no_key(
        project, receiver: Receiver, monkeypatch, tmp_path):
    monkeypatch.setenv("ONEUPTIME_HEARTBEAT_URL", receiver.url)
    # DEBUG logs on the terminal: urllib3 logs the request line, key included, unless scrubbed.
    result = run(project, "-v", "--log-cli-level=DEBUG")
    assert result.ret == pytest.ExitCode.TESTS_FAILED, output(result)
    reports = project.path / "reports"
    html, junit, results = (reports / "report.html", reports / "junit.xml",
                            reports / "results.json")

    [post] = receiver.posts
    assert post.content_type == "application/json"
    body = post.json()
    assert body["status"] == "critical" and body["priority"] == "P2"
    assert body["domains_checked"] == 3
    assert body["status_counts"] == {"healthy": 1, "unknown": 0, "warning": 1, "critical": 1}
    assert [e["domain"] for e in body["results"]] == ["crit.test", "soon.test", "good.test"]

    document = results_json(project)
    assert document["heartbeat"] == {
        "sent": True, "attempts": 1, "status": 200,
        "url": receiver.url.replace(KEY, "***"), "reason": "",
        "elapsed_s": document["heartbeat"]["elapsed_s"]}
    assert f"heartbeat: sent to {receiver.url.replace(KEY, '***')}" in result.stdout.str()
    assert 'testsuite name="pytest"' in junit.read_text()

    assert '"POST /heartbeat/*** HTTP/1.1" 200' in result.stdout.str()  # urllib3's DEBUG line
    for text in (output(result), html.read_text(), results.read_text(), junit.read_text()):
        assert KEY not in text

    assert '<link href="assets' not in html.read_text()  # self-contained
    assert not (reports / "assets").exists()
    dom = chromium(tmp_path / "profile", "--virtual-time-budget=5000", "--dump-dom",
                   html.as_uri()).stdout
    assert '<section id="dnssec-dashboard" data-status="critical">' in dom
    assert dom.index('id="dnssec-dashboard"') < dom.index('id="environment"')  # at the top
    assert 'id="dnssec-expiry-timeline"' in dom
    for domain in ("good.test", "soon.test", "crit.test"):
        assert f'<td class="col-domain">{domain}</td>' in dom  # rows rendered by pytest-html
        assert f'data-domain="{domain}"' in dom
    assert dom.count('<td class="col-check">EXPIRY01</td>') == 3
    assert '<details class="dnssec-dig"><summary>DNS evidence</summary>' in dom
    assert KEY not in dom
    # The evidence of a failed check is shown once (folded), not again in the row's log.
    failed = next(r for r in json.loads(results.read_text())["results"]
                  if r["domain"] == "crit.test" and r["check"] == "EXPIRY01")
    first_line = failed["findings"][0]["evidence"].splitlines()[0]
    rendered = re.sub(r'data-jsonblob="[^"]*"', "", dom)  # pytest-html's data, not shown
    assert rendered.count(escape(first_line, quote=False)) == 1
    assert "Remediation:</strong> re-sign the zone" in dom
    # A warning is a warning in the table and in the dashboard's filter, not "passed".
    assert '<td class="col-outcome dnssec-outcome-warning">warning</td>' in dom
    assert 'data-outcome="warning"> <span class="dnssec-outcome-warning">1 warning' in dom
    SCREENSHOT.parent.mkdir(exist_ok=True)
    chromium(tmp_path / "profile", "--virtual-time-budget=5000", f"--screenshot={SCREENSHOT}",
             html.as_uri())
    assert SCREENSHOT.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_xdist_sends_exactly_one_heartbeat(project, receiver: Receiver):
    result = run(project, "-n", "2", f"--heartbeat-url={receiver.url}")
    assert result.ret == pytest.ExitCode.TESTS_FAILED, output(result)
    assert len(receiver.posts) == 1
    assert receiver.posts[0].json()["domains_checked"] == 3
    document = results_json(project)
    assert len(document["results"]) == 9 and document["heartbeat"]["sent"] is True
    assert (project.path / "reports" / "report.html").is_file()
    assert KEY not in output(result)
    # Given on the command line this time: no output file may echo it either.
    for written in ("report.html", "results.json", "junit.xml"):
        assert KEY not in (project.path / "reports" / written).read_text(), written


def test_warnings_exit_0_unless_fail_on_warning(project, receiver: Receiver):
    warning_only = ("-k", "soon", f"--heartbeat-url={receiver.url}")
    result = run(project, *warning_only)
    assert result.ret == pytest.ExitCode.OK, output(result)
    body = receiver.posts[-1].json()
    assert body["status"] == "warning" and body["priority"] == "P3"
    assert "error" not in receiver.posts[-1].body.decode().lower()

    result = run(project, *warning_only, "--fail-on", "warning")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert "exit status 1: warnings fail this run (--fail-on warning)" in result.stdout.str()
    assert results_json(project)["exit_status"] == 1
    assert receiver.posts[-1].json()["status"] == "warning"  # the verdict itself is unchanged


def test_healthy_run_without_url_notes_it_and_sends_nothing(project, receiver: Receiver):
    result = run(project, "-k", "good")
    assert result.ret == pytest.ExitCode.OK, output(result)
    result.stdout.fnmatch_lines(["heartbeat: not sent: no URL (set ONEUPTIME_HEARTBEAT_URL or "
                                 "--heartbeat-url)"])
    assert results_json(project)["heartbeat"]["sent"] is False
    assert receiver.requests == []


def test_healthy_body_over_http(project, receiver: Receiver):
    result = run(project, "-k", "good", f"--heartbeat-url={receiver.url}")
    assert result.ret == pytest.ExitCode.OK, output(result)
    body = receiver.posts[0].json()
    assert body["status"] == "healthy" and body["priority"] == "P4"
    assert "error" not in receiver.posts[0].body.decode().lower()


def test_a_failed_heartbeat_is_reported_without_changing_the_verdict(project):
    for receiver in serve([404]):  # a wrong path: not retried, so the run stays short
        result = run(project, "-k", "good", f"--heartbeat-url={receiver.url}")
        assert result.ret == pytest.ExitCode.OK, output(result)
        document = results_json(project)
        shown = receiver.url.replace(KEY, "***")
        assert document["status"] == "healthy"
        assert document["heartbeat"]["sent"] is False and document["heartbeat"]["status"] == 404
        assert document["heartbeat"]["url"] == shown
        assert f"heartbeat: NOT DELIVERED to {shown} after 1 attempt(s)" in result.stdout.str()
        assert KEY not in output(result)


def test_explicit_paths_win_and_runs_without_checks_write_no_default_reports(project):
    result = run(project, "-k", "good", "--html=out/mine.html", "--junitxml=out/mine.xml")
    assert result.ret == pytest.ExitCode.OK, output(result)
    assert (project.path / "out" / "mine.html").is_file()
    assert (project.path / "out" / "mine.xml").is_file()
    assert not (project.path / "reports" / "report.html").exists()
    assert not (project.path / "reports" / "junit.xml").exists()

    project.makepyfile(test_plain="def test_plain():\n    pass\n")
    result = run(project, "test_plain.py")  # a domains file, but no DNSSEC check ran
    assert result.ret == pytest.ExitCode.OK, output(result)
    assert not (project.path / "reports" / "report.html").exists()
    assert not (project.path / "reports" / "junit.xml").exists()


# --- what a run must not claim, and what it must show -------------------------------------------


def test_nothing_checked_is_unknown_and_sends_no_heartbeat(project, receiver: Receiver):
    result = run(project, "-k", "no-such-domain", f"--heartbeat-url={receiver.url}")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED, output(result)
    document = results_json(project)
    assert document["status"] == "unknown" and document["priority"] == "P1"
    assert document["results"] == []
    assert document["heartbeat"]["sent"] is False
    assert document["heartbeat"]["reason"] == "nothing was checked"
    assert receiver.requests == []


def test_a_run_whose_checks_were_all_skipped_is_unknown(project, receiver: Receiver):
    project.makepyfile(test_skipped="""
import pytest


@pytest.mark.dnssec_check("DS02")
def test_no_ds_for_unsigned_zone(conformance):
    pytest.skip("not configured")
""")
    result = run(project, "test_skipped.py", f"--heartbeat-url={receiver.url}")
    assert result.ret == pytest.ExitCode.OK, output(result)
    document = results_json(project)
    assert {r["outcome"] for r in document["results"]} == {"skipped"}
    assert document["status"] == "unknown"
    assert {d["status"] for d in document["domains"]} == {"unknown"}
    assert receiver.requests == []
    assert "3 domains: 3 not checked" in result.stdout.str()


def test_a_what_if_run_sends_no_heartbeat_unless_asked_on_its_command_line(
        project, receiver: Receiver, monkeypatch):
    monkeypatch.setenv("ONEUPTIME_HEARTBEAT_URL", receiver.url)
    result = run(project, "--at", "+1d")  # critical: crit.test expires within 3 days
    assert result.ret == pytest.ExitCode.TESTS_FAILED, output(result)
    assert receiver.requests == []
    document = results_json(project)
    assert document["status"] == "critical" and document["heartbeat"]["sent"] is False
    assert "(--at)" in document["heartbeat"]["reason"]
    assert "heartbeat: not sent: a what-if run (--at)" in result.stdout.str()

    result = run(project, "--at", "+1d", f"--heartbeat-url={receiver.url}")
    [post] = receiver.posts
    assert post.json()["status"] == "critical"


def test_warnings_are_visible_in_junit(project):
    result = run(project, "-k", "soon", "-v")
    assert result.ret == pytest.ExitCode.OK, output(result)
    result.stdout.fnmatch_lines(["*test_rrsig_not_expired?soon.test? WARNING*",
                                 "*2 passed*1 warned*"])
    root = ElementTree.parse(project.path / "reports" / "junit.xml").getroot()
    (case,) = [c for c in root.iter("testcase") if "test_rrsig_not_expired" in c.get("name")]
    properties = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert properties["dnssec_check"] == "EXPIRY01"
    assert properties["dnssec_outcome"] == "warning"
    assert "within the warning threshold" in properties["dnssec_warning"]
    (system_out,) = case.findall("system-out")
    assert system_out.text.startswith("WARNING EXPIRY01 on soon.test:")
    assert "Remediation:" in system_out.text
    passed = [c for c in root.iter("testcase") if c is not case]
    assert all(not c.findall("system-out") for c in passed)  # only warnings are called out
    assert all(p.get("value") == "passed" for c in passed for p in c.iter("property")
               if p.get("name") == "dnssec_outcome")


WAIVERS = """\
    waive:
      - {check: EXPIRY01, reason: "re-signing moves to the new signer on Monday", until: 2099-01-01}
"""
EXPIRED_WAIVER = """\
    waive:
      - {check: KEY01, reason: "old DS cleanup", until: 2020-01-01}
"""


def test_waivers_active_and_expired(project, receiver: Receiver, tmp_path):
    text = DOMAINS_YAML.replace("  - crit.test\n", "  - name: crit.test\n" + WAIVERS)
    text = text.replace("    thresholds: {warning_days: 14}\n",
                        "    thresholds: {warning_days: 14}\n" + EXPIRED_WAIVER)
    (project.path / "domains.yaml").write_text(text)
    result = run(project, f"--heartbeat-url={receiver.url}", "-rA")
    # crit.test's failure is waived; good.test's expired waiver is a warning: exit 0
    assert result.ret == pytest.ExitCode.OK, output(result)
    document = results_json(project)
    records = {(r["domain"], r["check"]): r for r in document["results"]}
    waived = records[("crit.test", "EXPIRY01")]
    assert waived["outcome"] == "waived" and waived["severity"] == "critical"
    assert waived["waiver"] == {"reason": "re-signing moves to the new signer on Monday",
                                "until": "2099-01-01", "outcome": "failed"}
    expired = records[("good.test", "KEY01")]
    assert expired["outcome"] == "warning"
    assert "the waiver of KEY01 expired on 2020-01-01 (domains.yaml:" in expired["message"]
    assert document["status"] == "warning" and document["counts"]["waived"] == 1
    statuses = {d["domain"]: d["status"] for d in document["domains"]}
    assert statuses == {"crit.test": "healthy", "good.test": "warning", "soon.test": "warning"}
    # heartbeat, terminal, JUnit and HTML all say "waived"
    body = receiver.posts[0].json()
    crit = next(e for e in body["results"] if e["domain"] == "crit.test")
    assert crit["failed"] == [] and crit["waived"][0]["waived_until"] == "2099-01-01"
    assert body["check_counts"]["waived"] == 1
    assert "waived    crit.test" in result.stdout.str()
    result.stdout.fnmatch_lines(["XFAIL *test_rrsig_not_expired?crit.test? - waived until "
                                 "2099-01-01: re-signing moves*"])
    root = ElementTree.parse(project.path / "reports" / "junit.xml").getroot()
    (case,) = [c for c in root.iter("testcase")
               if c.get("name") == "test_rrsig_not_expired[crit.test]"]
    (skipped,) = case.findall("skipped")
    assert skipped.get("type") == "pytest.xfail" and "waived until 2099-01-01" in skipped.get(
        "message")
    html = (project.path / "reports" / "report.html").read_text()
    assert "Waived until 2099-01-01" in html
    assert "dnssec-outcome-waived" in html  # the row's outcome cell (in pytest-html's data)


def test_an_unknown_check_id_in_a_waiver_is_a_usage_error(project):
    text = DOMAINS_YAML.replace("  - crit.test\n", "  - name: crit.test\n" + WAIVERS.replace(
        "EXPIRY01", "EXPIRY99"))
    (project.path / "domains.yaml").write_text(text)
    result = run(project)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.errlines if line.startswith("ERROR:")]
    assert len(errors) == 1 and errors[0].startswith("ERROR: domains.yaml:12: waive: unknown "
                                                      "check ID 'EXPIRY99' for crit.test")
    assert "Traceback" not in output(result)
