"""The merge of a fleet's shards, on shard documents built in memory: the records of one run
when every shard reported, and a missing, partial, interrupted or foreign shard named and
never merged into `healthy`. Then the command on files, and the heartbeat at scale."""

from __future__ import annotations

import json
from pathlib import Path

from dnssec_conformance import merge_command
from dnssec_conformance.report import heartbeat, merge, metrics
from dnssec_conformance.report.results import build_document

from .fleet_documents import NOW, shard_document, single_run

DOMAINS = [f"zone-{i:03d}.example" for i in range(40)]
FAILING = {"zone-007.example": {"DS01": "failed"}, "zone-011.example": {"EXPIRY01": "warning"}}


def states_of(documents, **kwargs):
    files = [merge.ShardFile(Path(f"/fleet/shard-{d['shard']['index']}/results.json"), d)
             for d in documents]
    return merge.classify(files, **kwargs)


def test_the_merge_of_every_shard_is_the_single_run():
    records = single_run(DOMAINS, FAILING)
    single = build_document(records, evaluated_at=NOW, started_at=NOW, finished_at=NOW + 60,
                            domains_file="d.yaml", exit_status=1, interrupted=False)
    documents = [shard_document(records, DOMAINS, i, 4) for i in range(4)]
    count, run, states = states_of(documents)
    assert (count, run) == (4, "job-1")
    assert [s.status for s in states] == ["merged"] * 4
    merged = merge.merge_documents(states, count, run_id=run, now=NOW + 90)
    for key in ("status", "priority", "counts", "domains", "results", "evaluated_at"):
        assert merged[key] == single[key], key
    assert "incomplete" not in merged
    assert merged["probe"] == {"zones": 40, "queries": 400}
    assert merged["shards"]["by_index"][2]["status"] == "merged"


def test_a_missing_shard_is_named_and_its_domains_could_not_be_checked():
    records = single_run(DOMAINS)  # every domain healthy
    documents = [shard_document(records, DOMAINS, i, 4) for i in (0, 1, 3)]
    count, run, states = states_of(documents, count=4, domains=DOMAINS)
    merged = merge.merge_documents(states, count, run_id=run, now=NOW)
    assert merged["status"] == "critical" and merged["priority"] == "P1"
    assert merged["incomplete"] is True and merged["exit_status"] == 1
    [missing] = [s for s in merged["shards"]["by_index"] if s["status"] != "merged"]
    assert missing["index"] == 2 and missing["status"] == "missing"
    lost = [d for d in DOMAINS if states[2].expected and d in states[2].expected]
    assert lost and missing["unchecked_domains"] == len(lost)
    for domain in lost:
        summary = next(s for s in merged["domains"] if s["domain"] == domain)
        assert summary["outcomes"] == {"error": 3}
        record = next(r for r in merged["results"] if r["domain"] == domain)
        assert record["message"].startswith("not checked: shard 2 of 4 wrote no results.json")
    # the metrics say unknown (3) for those domains, and count the missing shard
    text = metrics.prometheus_text(merged)
    assert f'dnssec_domain_status{{domain="{lost[0]}",kind="domain"}} 3.0' in text
    assert "dnssec_run_shards_missing 1.0" in text
    body = heartbeat.build_body(merged, warning_days=7, critical_days=3)
    assert body["incomplete"] is True and body["shards"] == {"count": 4, "missing": [2]}
    assert body["status_counts"]["critical"] == len(lost)


def test_without_the_domains_file_a_missing_shard_is_still_never_healthy():
    records = single_run(DOMAINS)
    documents = [shard_document(records, DOMAINS, i, 4) for i in (0, 1, 2)]
    count, run, states = states_of(documents)  # the count comes from the shards
    merged = merge.merge_documents(states, count, run_id=run, now=NOW)
    assert merged["status"] == "critical" and merged["incomplete"] is True
    assert [s["index"] for s in merged["shards"]["by_index"] if s["status"] == "missing"] == [3]


def test_nothing_reported_is_unknown():
    count, run, states = states_of([], count=3, domains=DOMAINS)
    merged = merge.merge_documents(states, count, run_id=run, now=NOW)
    assert merged["status"] == "unknown" and merged["priority"] == "P1"
    assert [s["status"] for s in merged["shards"]["by_index"]] == ["missing"] * 3


def test_partial_interrupted_and_foreign_shards():
    records = single_run(DOMAINS)
    documents = [shard_document(records, DOMAINS, i, 4) for i in range(4)]
    # shard 1 lost some of its domains' records (a pod killed while writing, a bad copy)
    kept = documents[1]["shard"]["domains"][2:]
    documents[1]["results"] = [r for r in documents[1]["results"] if r["domain"] in kept]
    documents[2]["interrupted"] = True
    documents[3]["shard"]["run_id"] = "job-0"  # an older run's file, not this run's shard 3
    count, run, states = states_of(documents, run_id="job-1")
    by_index = {s.index: s for s in states}
    assert by_index[1].status == "partial" and "has no records for 2 of its" in \
        by_index[1].reason
    assert by_index[2].status == "interrupted"
    assert by_index[3].status == "missing" and "of another run (job-0)" in by_index[3].reason
    merged = merge.merge_documents(states, count, run_id=run, now=NOW)
    assert merged["status"] == "critical" and merged["incomplete"] is True
    assert merged["interrupted"] is False  # the merge was not
    assert merge.describe(states, count)[0].startswith("shard 1 of 4 partial: has no records")


def test_the_command_merges_files_and_names_a_missing_shard(tmp_path, capsys):
    records = single_run(DOMAINS, FAILING)
    for index in (0, 1, 2):
        path = tmp_path / "fleet" / f"shard-{index}" / "results.json"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(shard_document(records, DOMAINS, index, 4)))
    (tmp_path / "fleet" / "shard-3").mkdir()
    (tmp_path / "fleet" / "shard-3" / "results.json").write_text("{not json")
    domains = tmp_path / "d.yaml"
    domains.write_text("root_hints: ['127.0.0.1:9']\ndomains:\n"
                       + "".join(f"  - {d}\n" for d in DOMAINS))
    out = tmp_path / "out"
    code = merge_command.main([str(tmp_path / "fleet"), "--results", str(out / "r.json"),
                               "--html", str(out / "report.html"), "--junitxml",
                               str(out / "junit.xml"), "--domains", str(domains),
                               "--shards", "4", "--metrics-file", str(out / "m.prom")])
    printed = capsys.readouterr().out
    assert code == 1
    assert "merged 3 of 4 shards" in printed
    assert "shard-3/results.json: could not be read (JSONDecodeError)" in printed
    assert "shard 3 of 4 missing: wrote no results.json" in printed
    document = json.loads((out / "r.json").read_text())
    assert document["status"] == "critical" and document["shards"]["count"] == 4
    assert "heartbeat: not sent: no URL" in printed and document["heartbeat"]["sent"] is False
    html = (out / "report.html").read_text()
    assert 'id="dnssec-incomplete"' in html and "shard 3 of 4" in html
    assert (out / "junit.xml").read_text().startswith('<?xml version="1.0" encoding="utf-8"?>')
    assert "dnssec_run_shards_missing 1.0" in (out / "m.prom").read_text()


def test_bad_merge_options_are_one_line(tmp_path, capsys):
    assert merge_command.main([str(tmp_path / "nowhere"), "--results", "r.json"]) == 4
    assert capsys.readouterr().err.strip() == f"ERROR: {tmp_path / 'nowhere'}: no such directory"
    bad = tmp_path / "bad.yaml"
    bad.write_text("domains: [example.com]\nexpct: 1\n")
    assert merge_command.main([str(tmp_path), "--results", "r.json", "--domains",
                               str(bad)]) == 4
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "expct" in error


def test_the_heartbeat_names_every_problem_domain_up_to_the_cap_then_counts_the_rest():
    domains = [f"d{i:04d}.example" for i in range(1500)]
    failing = {d: {"DS01": "failed", "SIG01": "error", "EXPIRY01": "warning"}
               for d in domains[::2]}  # 750 problem domains, each with long messages
    records = single_run(domains, failing)
    for record in records:
        if record["outcome"] != "passed":
            record["message"] = f"{record['check']} on {record['domain']}: " + "x" * 300
    document = build_document(records, evaluated_at=NOW, started_at=NOW,
                              finished_at=NOW + 1, domains_file="d.yaml", exit_status=1,
                              interrupted=False)
    body = heartbeat.build_body(document, warning_days=7, critical_days=3)
    assert len(heartbeat.encode(body)) <= heartbeat.MAX_BODY_BYTES
    problems = {d for d in failing}
    named = [e["domain"] for e in body["results"]]
    assert set(named) <= problems  # no healthy domain takes a problem domain's place
    full = [e for e in body["results"] if "failed" in e]
    by_name = [e for e in body["results"] if "checks" in e]
    assert full and by_name  # in full first, then by name with the checks' IDs
    assert by_name[0]["checks"] == ["DS01", "EXPIRY01", "SIG01"]
    assert len(named) + body["problem_domains_omitted"] == len(problems)
    assert body["domains_omitted"] == 1501 - len(named)  # the local clock too


def test_a_heartbeat_that_fits_lists_everything_in_full():
    records = single_run(DOMAINS[:5], FAILING)
    document = build_document(records, evaluated_at=NOW, started_at=NOW, finished_at=NOW,
                              domains_file=None, exit_status=0, interrupted=False)
    body = heartbeat.build_body(document, warning_days=7, critical_days=3)
    assert len(body["results"]) == 6 and "domains_omitted" not in body
    assert "problem_domains_omitted" not in body
