"""A simulated Kubernetes Indexed Job against the lab: 4 shards and the merging pod (the
`fleet` command with $JOB_COMPLETION_INDEX 0..4), over the lab's scale zones and a few broken
scenario zones, against one process over the same domains at the same instant. The merge
gives the single run's records (exactly, when the shards judge the single run's own
observations; up to the random names each probe asks and the evidence's timings when they
probe for themselves), its heartbeat, JUnit test cases and report rows; the merged snapshot
replays to the merged records; a missing shard is named. The reports are opened in headless
Chromium: the problems on top, the healthy domains counted.

The module is named to run after those that judge the lab's zones as of its build time
(test_lab_scenarios, test_online_lab): its minute must not stand between the two."""

from __future__ import annotations

import datetime
import html
import json
import os
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from dnssec_conformance import merge_command
from dnssec_conformance.config import shards
from dnssec_conformance.report import heartbeat

from .test_heartbeat import Receiver, serve
from .test_report_html import chromium

BROKEN = ("expired.test", "expiring-warning.test", "ds-mismatch.test", "rsasha1.test",
          "nsec-gap.test", "good-ecdsa.test")
SHARDS = 4


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    yield from serve()


def command(*args: str, env: dict[str, str] | None = None, cwd: Path
            ) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "dnssec_conformance", *args], cwd=cwd,
                            env={**os.environ, **(env or {})}, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def finished(process: subprocess.Popen[str]) -> tuple[int, str]:
    out, _ = process.communicate(timeout=300)
    return process.returncode, out


@pytest.fixture(scope="module")
def fleet(lab, receiver: Receiver, tmp_path_factory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("fleet")
    lab_file = yaml.safe_load(lab.domains_yaml.read_text())
    scale = yaml.safe_load(lab.scale_domains_yaml.read_text())["domains"]
    config = {key: lab_file[key] for key in ("resolvers", "root_hints", "thresholds",
                                             "canaries")}
    config["trust_anchors"] = str(lab.domains_yaml.parent / lab_file["trust_anchors"])
    config["domains"] = [d for d in lab_file["domains"] if d["name"] in BROKEN] + scale
    domains = folder / "domains.yaml"
    domains.write_text(yaml.safe_dump(config))
    at = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=30)
          ).strftime("%Y-%m-%dT%H:%MZ")
    # The heartbeat URL is in every pod's environment, as the manifest sets it from a Secret
    env = {heartbeat.ENV_VAR: receiver.url, shards.COUNT_ENV: str(SHARDS),
           shards.RUN_ID_ENV: "dnssec-fleet-1"}
    single = command("--domains", str(domains), "--at", at, "--heartbeat-url", receiver.url,
                     "--results", "single/results.json", "--html", "single/report.html",
                     "--junitxml", "single/junit.xml", "--report-rows", "problems",
                     "--save-snapshot", "single/snapshot.json", cwd=folder)
    single_code, single_out = finished(single)
    single_posts = len(receiver.posts)
    started = time.monotonic()
    fleet_args = ["fleet", "--dir", "fleet/dnssec-fleet-1", "--domains", str(domains),
                  "--at", at, "--results", "merged/results.json", "--html",
                  "merged/report.html", "--junitxml", "merged/junit.xml", "--report-rows",
                  "problems", "--heartbeat-url", receiver.url, "--wait", "120"]
    merger = command(*fleet_args, env={**env, shards.INDEX_ENV: str(SHARDS)}, cwd=folder)
    outputs = []
    for first in range(0, SHARDS, 2):  # two at a time: the machine has two cores
        pods = [command(*fleet_args, env={**env, shards.INDEX_ENV: str(i)}, cwd=folder)
                for i in (first, first + 1)]
        outputs += [finished(p) for p in pods]
    merge_code, merge_out = finished(merger)
    return {"folder": folder, "domains": domains, "at": at, "single_code": single_code,
            "single_out": single_out, "single_posts": single_posts, "shards": outputs,
            "merge_code": merge_code, "merge_out": merge_out,
            "fleet_s": time.monotonic() - started}


def document(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


PROBE_NAME = re.compile(r"dnssec-conformance-[0-9a-f]{10}")


def observed_alike(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records as two separate probes of the same zones see them: each asks its own random
    name that cannot exist, and its evidence shows its own answers' IDs and timings."""
    text = PROBE_NAME.sub("<probe>", json.dumps(records))
    alike = json.loads(text)
    for record in alike:
        for finding in record["findings"]:
            finding["evidence"] = bool(finding["evidence"])
    return alike


def test_shards_judging_the_same_observations_merge_into_exactly_the_single_run(fleet):
    folder = fleet["folder"]
    snapshot = folder / "single" / "snapshot.json"
    for first in range(0, SHARDS, 2):
        pods = [command("--domains", str(fleet["domains"]), "--snapshot", str(snapshot),
                        "--at", fleet["at"], "--shard", f"{i}/{SHARDS}", "--results",
                        "exact/shard-{shard}/results.json", cwd=folder)
                for i in (first, first + 1)]
        for pod in pods:
            code, out = finished(pod)
            assert code == 1 or "failed" not in out, out
    code = merge_command.main([str(folder / "exact"), "--results",
                               str(folder / "exact-merged.json")])
    assert code == 1
    merged = document(folder / "exact-merged.json")
    single = document(folder / "single" / "results.json")
    for key in ("status", "priority", "counts", "domains", "results", "evaluated_at"):
        assert merged[key] == single[key], key


def test_the_merged_run_has_the_single_runs_records_and_heartbeat(fleet, receiver):
    folder = fleet["folder"]
    assert fleet["single_code"] == 1, fleet["single_out"]  # expired.test fails
    for code, out in fleet["shards"]:
        assert code in (0, 1), out
        assert "heartbeat: not sent: a " in out, out[-3000:]  # (a what-if run, a shard)
    assert fleet["merge_code"] == 1, fleet["merge_out"]
    assert f"merged {SHARDS} of {SHARDS} shards" in fleet["merge_out"]
    single = document(folder / "single" / "results.json")
    merged = document(folder / "merged" / "results.json")
    for key in ("status", "priority", "counts", "domains", "evaluated_at"):
        assert merged[key] == single[key], key
    assert observed_alike(merged["results"]) == observed_alike(single["results"])
    domains = {s["domain"]: s["status"] for s in merged["domains"] if s["kind"] == "domain"}
    assert len(domains) == len(BROKEN) + 24
    assert domains["expired.test"] == "critical" and domains["good-ecdsa.test"] == "healthy"
    assert merged["shards"]["run_id"] == "dnssec-fleet-1"
    assert [s["status"] for s in merged["shards"]["by_index"]] == ["merged"] * SHARDS
    # one heartbeat for the single run, one for the fleet: the shards sent none
    assert fleet["single_posts"] == 1 and len(receiver.posts) == 2
    one, fleet_body = receiver.posts[0].json(), receiver.posts[1].json()
    one.pop("timestamp")
    fleet_body.pop("timestamp")
    assert fleet_body.pop("shards") == {"count": SHARDS, "missing": []}
    assert json.loads(PROBE_NAME.sub("<probe>", json.dumps(fleet_body))) == \
        json.loads(PROBE_NAME.sub("<probe>", json.dumps(one)))


def test_the_merged_junit_and_report_rows_are_the_single_runs(fleet):
    folder = fleet["folder"]

    def cases(path: Path) -> dict[str, str]:
        found = {}
        for case in ElementTree.parse(path).iter("testcase"):
            outcome = "passed"
            for tag in ("failure", "error", "skipped"):
                if case.find(tag) is not None:
                    outcome = tag
            properties = {p.get("name"): p.get("value") for p in case.iter("property")}
            found[f"{case.get('classname')}::{case.get('name')}"] = \
                f"{outcome} {properties.get('dnssec_outcome')}"
        return found

    assert cases(folder / "merged" / "junit.xml") == cases(folder / "single" / "junit.xml")
    # the rows of each report's table: pytest-html's data for one, the merged table's cells
    single_html = (folder / "single" / "report.html").read_text()
    blob = json.loads(html.unescape(re.search(r'data-jsonblob="([^"]*)"', single_html)[1]))
    single_rows = set(blob["tests"])
    merged_html = (folder / "merged" / "report.html").read_text()
    merged_rows = {html.unescape(m) for m in re.findall(r'<td class="col-testId">([^<]*)</td>',
                                                        merged_html)}
    assert merged_rows == single_rows
    assert len(single_rows) < 0.2 * sum(document(folder / "single" / "results.json")
                                        ["counts"].values())  # only the problems


def test_the_merged_snapshot_replays_to_the_same_records(fleet):
    folder = fleet["folder"]
    snapshot = folder / "fleet" / "dnssec-fleet-1" / "snapshot.json"
    assert snapshot.is_file()
    code, out = finished(command("--domains", str(fleet["domains"]), "--snapshot",
                                 str(snapshot), "--at", fleet["at"], "--results",
                                 "replay/results.json", "--html", "replay/report.html",
                                 cwd=folder))
    assert code == 1, out
    replay = document(folder / "replay" / "results.json")
    merged = document(folder / "merged" / "results.json")
    assert replay["results"] == merged["results"]


def test_a_missing_shard_is_critical_and_named(fleet, capsys):
    folder = fleet["folder"]
    shard_two = folder / "fleet" / "dnssec-fleet-1" / "shard-2"
    hidden = folder / "hidden-2"
    shard_two.rename(hidden)
    try:
        code = merge_command.main([str(folder / "fleet" / "dnssec-fleet-1"), "--results",
                                   str(folder / "partial" / "results.json"), "--domains",
                                   str(fleet["domains"]), "--shards", str(SHARDS)])
    finally:
        hidden.rename(shard_two)
    out = capsys.readouterr().out
    assert code == 1 and "shard 2 of 4 missing: wrote no results.json" in out
    partial = document(folder / "partial" / "results.json")
    assert partial["status"] == "critical" and partial["incomplete"] is True
    unchecked = [s for s in partial["domains"] if s["outcomes"].keys() == {"error"}]
    assert unchecked and all(shards.shard_of(s["domain"], SHARDS) == 2 for s in unchecked)


def test_chromium_shows_the_problems_on_top_and_counts_the_healthy_domains(fleet, tmp_path):
    folder = fleet["folder"]
    for name in ("merged", "single"):
        dom = chromium(tmp_path / f"profile-{name}", "--virtual-time-budget=5000",
                       "--dump-dom", (folder / name / "report.html").as_uri()).stdout
        assert re.search(r'class="dnssec-cell-domain">2\d healthy domains</div>', dom), name
        assert 'id="dnssec-days-histogram"' in dom
        assert 'id="dnssec-filter-box"' in dom and 'id="dnssec-listing-note"' in dom
        outcomes = re.findall(r'<td class="col-outcome dnssec-outcome-(\w+)">', dom)
        assert outcomes and "passed" not in outcomes and "skipped" not in outcomes, name
        grid = dom[dom.index('id="dnssec-domain-status"'):]
        assert grid.index('data-domain="expired.test"') < grid.index("healthy domains")
