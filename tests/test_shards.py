"""Shards: a stable, even share of the domains per shard, and the processes of an Indexed
Job covering every domain exactly once."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from dnssec_conformance import fleet_command
from dnssec_conformance.config import shards

NAMES = [f"zone-{i:05d}.example" for i in range(4000)]
ASSIGNED = [2, 1, 3, 0, 0, 3, 0, 3, 2, 0, 2, 1]  # scale-00001.test ... scale-00012.test of 4


def test_every_domain_has_one_shard_and_the_shares_are_even():
    for count in (2, 4, 7, 16):
        sizes = Counter(shards.shard_of(name, count) for name in NAMES)
        assert set(sizes) == set(range(count))
        expected = len(NAMES) / count
        assert all(abs(size - expected) < 0.2 * expected for size in sizes.values()), sizes


def test_a_domain_keeps_its_shard_as_the_list_changes_and_case_does_not_matter():
    before = {name: shards.shard_of(name, 4) for name in NAMES}
    assert shards.shard_of("ZONE-00042.Example.", 4) == before["zone-00042.example"]
    # the assignment depends on the name alone: adding or removing domains moves nobody
    assert {name: shards.shard_of(name, 4) for name in NAMES[:1000]} == {
        name: before[name] for name in NAMES[:1000]}


def test_one_more_shard_moves_only_the_domains_it_takes():
    four = {name: shards.shard_of(name, 4) for name in NAMES}
    five = {name: shards.shard_of(name, 5) for name in NAMES}
    moved = [name for name in NAMES if four[name] != five[name]]
    assert all(five[name] == 4 for name in moved)  # to the new shard, from nowhere else
    assert 0.15 < len(moved) / len(NAMES) < 0.25  # about 1/5


def test_known_assignments_do_not_change_between_releases():
    # A zone keeps its shard across versions: the hash is part of the interface (a change
    # would move every zone's rollover history to another shard's view). Jump hash gives
    # the reference implementation's test vectors (Lamping and Veach; go-jump's tests).
    assert [shards.jump_hash(k, n) for k, n in ((1, 1), (42, 57), (0xDEAD10CC, 1),
                                                 (0xDEAD10CC, 666), (256, 1024))] == \
        [0, 43, 0, 361, 520]
    assert [shards.shard_of(f"scale-{i:05d}.test", 4) for i in range(1, 13)] == ASSIGNED


@pytest.mark.parametrize(("text", "message"), [
    ("4/4", "shard index 4 is not in 0..3"),
    ("1/0", "the number of shards must be 1 to"),
    ("one/four", "write INDEX/COUNT"),
])
def test_a_bad_shard_is_one_line(text, message):
    with pytest.raises(shards.ShardError, match=message):
        shards.parse(text)


def test_the_indexed_job_environment():
    assert shards.configured(None, {}) is None
    env = {shards.INDEX_ENV: "2", shards.COUNT_ENV: "4"}
    assert shards.configured(None, env) == shards.Shard(2, 4)
    assert shards.configured("auto", env) == shards.Shard(2, 4)
    assert shards.configured("1/3", env) == shards.Shard(1, 3)  # the option wins
    with pytest.raises(shards.ShardError, match="JOB_COMPLETION_INDEX is not set"):
        shards.configured(None, {shards.COUNT_ENV: "4"})
    with pytest.raises(shards.ShardError, match="DNSSEC_SHARD_COUNT is not set"):
        shards.configured("auto", {shards.INDEX_ENV: "0"})
    with pytest.raises(shards.ShardError, match=r"shard index 4 is not in 0\.\.3"):
        shards.configured(None, {shards.INDEX_ENV: "4", shards.COUNT_ENV: "4"})


def test_the_fleet_pod_of_index_n_merges_the_others_run_their_shard():
    args = ["--dir", "/fleet/job-7", "--domains", "/etc/d.yaml", "-m", "not expiry",
            "--results", "/fleet/results.json", "--html", "/fleet/report.html", "--wait", "200"]
    mode, run_args, _ = fleet_command.commands(
        args, {shards.INDEX_ENV: "1", shards.COUNT_ENV: "3"})
    assert mode == "run"
    assert run_args == ["-m", "not expiry", "--domains", "/etc/d.yaml", "--shard", "1/3",
                        "--results", "/fleet/job-7/shard-1/results.json",
                        "--save-snapshot", "/fleet/job-7/shard-1/snapshot.json"]
    mode, merge_args, keep = fleet_command.commands(
        args, {shards.INDEX_ENV: "3", shards.COUNT_ENV: "3"})
    assert mode == "merge" and keep == fleet_command.DEFAULT_KEEP_RUNS
    assert merge_args[:7] == ["/fleet/job-7", "--domains", "/etc/d.yaml", "--shards", "3",
                              "--snapshot", "/fleet/job-7/snapshot.json"]
    assert merge_args[7:] == ["--results", "/fleet/results.json", "--html",
                              "/fleet/report.html", "--wait", "200"]
    with pytest.raises(shards.ShardError, match=r"must be 0\.\.3"):
        fleet_command.commands(args, {shards.INDEX_ENV: "4", shards.COUNT_ENV: "3"})


def test_the_merge_pod_keeps_only_the_newest_runs(tmp_path):
    for age, name in enumerate(["job-4", "job-3", "job-2", "job-1"]):
        (tmp_path / name / "shard-0").mkdir(parents=True)
        os.utime(tmp_path / name, (1_000_000 - age * 100,) * 2)
    (tmp_path / "not-a-run").mkdir()
    removed = fleet_command.prune_runs(tmp_path / "job-4", keep=2)
    assert sorted(p.name for p in removed) == ["job-1", "job-2"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["job-3", "job-4", "not-a-run"]


def _collected(domains: Path, env: dict[str, str]) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-m", "dnssec_conformance", "--domains", str(domains),
         "--collect-only", "-q"], capture_output=True, text=True, timeout=120,
        env={**os.environ, **env}, cwd=domains.parent)
    assert result.returncode == 0, result.stdout + result.stderr
    return [line for line in result.stdout.splitlines() if "::" in line]


def test_n_processes_of_an_indexed_job_cover_every_domain_exactly_once(tmp_path):
    names = [f"zone-{i:03d}.example" for i in range(60)]
    domains = tmp_path / "domains.yaml"
    # never queried (--collect-only), and a dead loopback root all the same
    domains.write_text("root_hints: ['127.0.0.1:9']\ncanaries: {bogus: [bogus.example]}\n"
                       "domains:\n" + "".join(f"  - {n}\n" for n in names))
    with ThreadPoolExecutor(max_workers=2) as pool:
        parts = list(pool.map(lambda i: _collected(domains, {
            shards.INDEX_ENV: str(i), shards.COUNT_ENV: "4"}), range(4)))
    every = Counter(test for part in parts for test in part)
    assert set(every.values()) == {1}  # no test runs twice
    per_domain = Counter(m.group(1) for m in (re.search(r"\[(.+)\]$", t) for t in every) if m)
    assert set(per_domain) == {*names, "bogus.example"}  # every domain, each fully
    assert len({n for d, n in per_domain.items() if d != "bogus.example"}) == 1
    for index, part in enumerate(parts):
        subjects = {m.group(1) for m in (re.search(r"\[(.+)\]$", i) for i in part) if m}
        mine = {n for n in names if shards.shard_of(n, 4) == index}
        assert subjects - {"bogus.example"} == mine
        run_tests = [i for i in part if "[" not in i]  # CoreDNS, the local clock
        assert bool(run_tests) == (index == 0)
        assert ("bogus.example" in subjects) == (index == 0)
