"""`make demo` twice gives the same summary. Each `lab up` builds new keys; the key history of
the rollover checks must go with the build it recorded, or the second demo reads every key
as replaced at once (ROLLOVER02-04 failing on the good controls).

Both demos run in a network namespace of their own (`unshare -n`, as root), with the lab and
the reports in a temporary folder: the session's lab on this machine's loopback is untouched.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENV_MARK = ".venv/.installed"


def summary_of(output: str) -> list[str]:
    """The one-screen summary, without its first line (the instant it was judged at)."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("DNSSEC conformance:"))
    end = next(i for i, line in enumerate(lines) if i > start and line.startswith("results:"))
    summary = lines[start + 1:end]
    assert len(summary) > 30, output[-3000:]
    return summary


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare"),
                    reason="needs root and unshare for a private network namespace")
def test_make_demo_twice_gives_the_same_summary(tmp_path):
    run_dir, reports = tmp_path / "run", tmp_path / "reports"
    # -o: the virtualenv is made already (the namespace has no network to remake it)
    make = (f"make -s -C {ROOT} -o {VENV_MARK} demo LAB_RUN_DIR={run_dir} "
            f"REPORTS={reports}")
    script = (f"ip link set lo up && {make} > {tmp_path}/first.txt 2>&1; "
              f"{make} > {tmp_path}/second.txt 2>&1; "
              f"LAB_RUN_DIR={run_dir} {ROOT}/.venv/bin/python -m lab down")
    completed = subprocess.run(["unshare", "-n", "sh", "-c", script], capture_output=True,
                               text=True, timeout=300)
    first = (tmp_path / "first.txt").read_text()
    second = (tmp_path / "second.txt").read_text()
    assert completed.returncode == 0, completed.stderr + first[-2000:] + second[-2000:]
    assert summary_of(first) == summary_of(second), second[-3000:]
    records = json.loads((reports / "results.json").read_text())["results"]
    for good in ("good-ecdsa.test", "good-rsa.test", "rollover.test"):
        outcomes = {r["check"]: r["outcome"] for r in records if r["domain"] == good}
        assert outcomes and set(outcomes.values()) <= {"passed", "skipped"}, (good, outcomes)
    assert (run_dir / "state").is_dir()  # the key history lives with the lab build
