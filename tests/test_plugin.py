"""The plugin as users drive it: domains.yaml errors, selection, results.json, time travel,
xdist, and running installed outside this repository."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SUITES = Path(__file__).parent.parent / "suites"


def copy_suites(dest: Path) -> Path:
    target = dest / "suites"
    shutil.copytree(SUITES, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


@pytest.mark.parametrize(("text", "expected"), [
    ("domains:\n  - example.com\n  - name: a.example.com\n    expct: secure\n",
     "bad.yaml:4: domains[1].expct: unknown key (did you mean 'expect'?)"),
    ("thresholds: {warning_days: seven}\ndomains: [example.com]\n",
     "bad.yaml:1: thresholds.warning_days: expected a number"),
    ("domains:\n  - exa mple.com\n", "bad.yaml:2: domains[0]: invalid domain name"),
    ("domains: [example.com\n", "bad.yaml:"),
    ("domains: []\n", "bad.yaml:1: domains: the list is empty"),
    ("resolvers: [not-an-ip]\ndomains: [example.com]\n", "bad.yaml:1: resolvers[0]"),
    ("domains: [example.com]\nseverities:\n  ALG03/deprecated-algorithms: info\n",
     "bad.yaml:3: severities: unknown finding code 'ALG03/deprecated-algorithms' (did you "
     "mean 'ALG03/deprecated-algorithm'?)"),
])
def test_domains_yaml_errors_stop_the_run_with_one_line(pytester, text, expected):
    (pytester.path / "bad.yaml").write_text(text)
    copy_suites(pytester.path)
    result = pytester.runpytest_subprocess("--domains", "bad.yaml", "suites",
                                           "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.errlines if line.startswith("ERROR:")]
    assert len(errors) == 1 and expected in errors[0], result.errlines
    assert "Traceback" not in result.stdout.str() + result.stderr.str()
    assert not (pytester.path / "reports" / "results.json").exists()


def test_missing_domains_file(pytester):
    copy_suites(pytester.path)
    result = pytester.runpytest_subprocess("--domains", "nope.yaml", "suites")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert any("nope.yaml: file does not exist" in line for line in result.errlines)


def test_bad_at_value(pytester, lab):
    copy_suites(pytester.path)
    result = pytester.runpytest_subprocess("--domains", str(lab.domains_yaml), "--at", "tomorrow",
                                "suites")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert any("--at 'tomorrow'" in line for line in result.errlines)


def run_suites(pytester, lab, *args: str):
    copy_suites(pytester.path)
    result = pytester.runpytest_subprocess("--domains", str(lab.domains_yaml), "suites",
                                "-p", "no:cacheprovider", *args)
    document = json.loads((pytester.path / "reports" / "results.json").read_text())
    return result, document


def test_ids_are_domain_names_and_k_selects_a_domain(pytester, lab):
    result, document = run_suites(pytester, lab, "-k", "good-ecdsa.test", "-v")
    result.stdout.fnmatch_lines(["*test_rrsig_not_expired?good-ecdsa.test? PASSED*"])
    assert {r["domain"] for r in document["results"]} == {"good-ecdsa.test"}
    assert document["status"] == "healthy" and result.ret == 0


def test_m_selects_a_family(pytester, lab):
    result, document = run_suites(pytester, lab, "-m", "expiry", "-k", "expired.test")
    assert {r["check"] for r in document["results"]} == {"EXPIRY01", "EXPIRY02", "EXPIRY03",
                                                         "EXPIRY05"}
    assert {r["domain"] for r in document["results"]} == {"expired.test"}
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    record = next(r for r in document["results"] if r["check"] == "EXPIRY01")
    assert record["outcome"] == "failed" and record["category"] == "expired-rrsig"
    assert record["severity"] == "critical" and "expired" in record["message"]
    assert record["findings"][0]["evidence"].startswith(";; dig @")


def test_results_json_contract(pytester, lab):
    _result, document = run_suites(pytester, lab, "-k", "good-rsa.test or no-ds.test")
    assert document["schema_version"] == 1
    assert document["status"] == "critical"
    assert document["categories"] == [
        "expired-rrsig", "missing-ds", "key-mismatch", "bad-signature", "algorithm", "denial",
        "clock-skew", "resolver-ad", "consistency", "rollover", "provider"]
    for record in document["results"]:
        assert set(record) >= {"domain", "check", "category", "outcome", "severity",
                               "message", "days_left"}
        assert record["category"] in document["categories"]
        assert record["outcome"] in {"passed", "warning", "failed", "error", "skipped"}
        assert "\n" not in record["message"]
    summary = {d["domain"]: d["status"] for d in document["domains"]}
    assert summary == {"good-rsa.test": "healthy", "no-ds.test": "critical"}


def test_at_judges_as_of_another_instant(pytester, lab):
    result, document = run_suites(pytester, lab, "-k", "good-ecdsa.test and not_expired",
                                  "--at", "+24d")
    assert document["status"] == "warning" and result.ret == 0
    (record,) = document["results"]
    assert record["outcome"] == "warning" and 5 < record["days_left"] < 7


def test_results_are_written_when_the_run_is_interrupted(pytester, lab):
    copy_suites(pytester.path)
    (pytester.path / "suites" / "test_zz_interrupt.py").write_text(
        "import pytest\n\n\n@pytest.mark.dnssec_check('EXPIRY01')\n"
        "def test_interrupt(conformance):\n    raise KeyboardInterrupt\n")
    result = pytester.runpytest_subprocess("--domains", str(lab.domains_yaml), "suites",
                                "-k", "good-rsa.test", "-p", "no:randomly")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    document = json.loads((pytester.path / "reports" / "results.json").read_text())
    assert document["interrupted"] is True
    assert document["results"], "the checks measured before the interruption are kept"


def test_results_path_option(pytester, lab):
    copy_suites(pytester.path)
    pytester.runpytest_subprocess("--domains", str(lab.domains_yaml), "suites",
                                  "-k", "good-rsa.test", "--results", "out/r.json")
    assert json.loads((pytester.path / "out" / "r.json").read_text())["results"]


def test_xdist_gives_the_same_records(pytester, lab):
    _serial, serial = run_suites(pytester, lab, "-k", "expired or good")
    (pytester.path / "reports" / "results.json").unlink()
    result = pytester.runpytest_subprocess("--domains", str(lab.domains_yaml), "suites",
                                           "-k", "expired or good", "-n", "2", "-v")
    parallel = json.loads((pytester.path / "reports" / "results.json").read_text())
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    # Each domain's tests ran on one worker, so its data was fetched once.
    workers: dict[str, set[str]] = {}
    for line in result.outlines:
        found = re.match(r"\[(gw\d+)\] .*\[([^\]]+)\]", line)
        if found:
            workers.setdefault(found.group(2).split("@")[0], set()).add(found.group(1))
    assert workers and all(len(w) == 1 for w in workers.values()), workers

    def key(doc):
        return {(r["domain"], r["check"]): r["outcome"] for r in doc["results"]}

    assert key(parallel) == key(serial)


def test_plugin_works_installed_outside_the_repository(tmp_path, lab):
    """No conftest, no repo on sys.path: the pytest11 entry point alone."""
    copy_suites(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "--domains", str(lab.domains_yaml), "suites/",
         "-k", "good-ed25519-nsec3.test", "-q", "-p", "no:cacheprovider"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert (tmp_path / "reports" / "results.json").exists()


def test_a_suite_newer_than_the_package_is_a_one_line_usage_error(pytester):
    """A copied suite that names a check this version does not know (INTERNALERROR before)."""
    (pytester.path / "d.yaml").write_text("domains: [example.com]\n")
    suites = copy_suites(pytester.path)
    (suites / "test_future.py").write_text(
        "import pytest\n\n\n@pytest.mark.dnssec_check('FUTURE01')\n"
        "def test_future(conformance):\n    conformance.assert_passes()\n")
    result = pytester.runpytest_subprocess("--domains", "d.yaml", "suites",
                                           "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.errlines if line.startswith("ERROR:")]
    assert len(errors) == 1, result.errlines
    assert "test_future.py::test_future: unknown check ID 'FUTURE01'" in errors[0]
    text = result.stdout.str() + result.stderr.str()
    assert "INTERNALERROR" not in text and "Traceback" not in text


def test_without_a_domains_file_the_plugin_does_nothing(pytester, monkeypatch):
    """An unrelated project in the same virtualenv: no reports, no heartbeat, no summary."""
    monkeypatch.setenv("ONEUPTIME_HEARTBEAT_URL", "http://127.0.0.1:9/heartbeat/never")
    pytester.makepyfile(test_other="def test_other():\n    assert True\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.OK
    assert not (pytester.path / "reports").exists()
    text = result.stdout.str() + result.stderr.str()
    assert "heartbeat" not in text and "DNSSEC" not in text


def test_a_saved_snapshot_replays_through_the_plugin_in_either_engine(pytester, lab):
    """--save-snapshot, then --snapshot with --at set to the instant the live run judged:
    the same records, whether the engine runs in a thread or in a process of its own, and
    not a query sent (the replay's probe statistics count none). The rollover checks read the
    key history, which is not part of what a snapshot records."""
    selection = ("-k", "good-ecdsa.test or expired.test or nsec3-gap.test", "-m", "not rollover")
    result, live = run_suites(pytester, lab, *selection, "--save-snapshot", "snap.json",
                              "--results", "reports/results.json")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert live["probe"]["queries"] > 0
    for engine in ("thread", "process"):
        replay = pytester.runpytest_subprocess(
            "--domains", str(lab.domains_yaml), "suites", "-p", "no:cacheprovider",
            *selection, "--snapshot", "snap.json", "--at", live["evaluated_at"],
            "--engine", engine, "--results", f"replay-{engine}.json")
        assert replay.ret == pytest.ExitCode.TESTS_FAILED
        replayed = json.loads((pytester.path / f"replay-{engine}.json").read_text())
        assert replayed["results"] == live["results"], engine
        assert replayed.get("probe", {}).get("queries", 0) == 0


def test_a_snapshot_that_cannot_be_read_is_a_usage_error(pytester, lab):
    copy_suites(pytester.path)
    (pytester.path / "bad.json").write_text('{"format": "something else"}')
    result = pytester.runpytest_subprocess("--domains", str(lab.domains_yaml), "suites",
                                           "--snapshot", "bad.json", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "bad.json: not a dnssec-conformance snapshot" in result.stderr.str()
