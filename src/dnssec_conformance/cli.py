"""The `dnssec-conformance` command (also `python -m dnssec_conformance`).

    dnssec-conformance --domains d.yaml [--nagios] [pytest options]
    dnssec-conformance SUBCOMMAND [arguments]

The default mode runs pytest on the suites shipped inside the package
(`dnssec_conformance.suites`), so a domains file is all a user needs; every pytest option
applies (-m, -k, -n, --at, --html, ...). A first argument that names a subcommand runs that
instead: `SUBCOMMANDS` maps each name to its handler, so another mode (a merge of shards,
say) is one entry there.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import sys
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from . import __version__
from .config.model import Thresholds
from .report import nagios

SUITES_PACKAGE = "dnssec_conformance.suites"
# pytest's cache would write .pytest_cache into the user's folder (a read-only root file
# system in the container): the command runs without it.
RUN_DEFAULTS = ("-p", "no:cacheprovider")
NAGIOS_OPTION = "--nagios"
USAGE = f"""\
usage: dnssec-conformance --domains FILE [{NAGIOS_OPTION}] [pytest options]
       dnssec-conformance run --domains FILE ...   (the same, named)
       dnssec-conformance --domains FILE --shard I/N ...   (shard I of N of the domains)
       dnssec-conformance merge DIR --results FILE [--html FILE] [--junitxml FILE] ...
       dnssec-conformance fleet --dir DIR --domains FILE ...   (a pod of k8s-fleet.yaml)
       dnssec-conformance --version

Runs every DNSSEC check shipped with this package (pytest on {SUITES_PACKAGE}) against the
domains of FILE. Select checks with pytest's -m (expiry, chain, algorithm, clock, denial,
resolver, rollover, consistency) and -k (a domain, a check); judge another instant with
--at +3d. Writes reports/results.json, reports/report.html and reports/junit.xml.

  {NAGIOS_OPTION}    answer as a Nagios/Icinga plugin: one status line with performance
               data (days left per domain), exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN

Every option of `pytest --help` applies; the DNSSEC ones are under "DNSSEC conformance".
"""


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in SUBCOMMANDS:
        return SUBCOMMANDS[args[0]](args[1:])
    if args[:1] == ["--version"]:
        print(f"dnssec-conformance {__version__}")
        return 0
    if args[:1] in (["-h"], ["--help"]):
        print(USAGE)
        return 0
    return run(args)


def run(args: list[str]) -> int:
    """The default mode: pytest on the packaged suites, with the user's options."""
    nagios_mode = NAGIOS_OPTION in args
    # Test IDs relative to the suites (test_expiry.py::...), not to wherever they are installed
    given_rootdir = any(a == "--rootdir" or a.startswith("--rootdir=") for a in args)
    rootdir = [] if given_rootdir else [f"--rootdir={suites_directory()}"]
    pytest_args = [*RUN_DEFAULTS, *rootdir, *(a for a in args if a != NAGIOS_OPTION),
                   "--pyargs", SUITES_PACKAGE]
    if not nagios_mode:
        return int(pytest.main(pytest_args))
    return run_as_nagios_plugin(pytest_args)


def suites_directory() -> str:
    spec = importlib.util.find_spec(SUITES_PACKAGE)
    assert spec is not None and spec.submodule_search_locations
    return str(next(iter(spec.submodule_search_locations)))


class _RunOutcome:
    """Takes the finished run's results.json document and thresholds from the plugin, as
    the run ends (in process: the file on disk may be an older run's)."""

    def __init__(self) -> None:
        self.document: dict[str, Any] | None = None
        self.thresholds: dict[str, Thresholds] = {}

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        from .plugin.reporter import REPORTER
        from .plugin.session import CONFORMANCE

        reporter = config.stash.get(REPORTER, None)
        self.document = getattr(reporter, "document", None)
        conformance = config.stash.get(CONFORMANCE, None)
        if conformance is not None:
            self.thresholds = {d.display: d.thresholds for d in conformance.config.domains}


def run_as_nagios_plugin(pytest_args: list[str]) -> int:
    """Run quietly, then print the plugin output and exit with the plugin state."""
    outcome = _RunOutcome()
    errors = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(errors):
        try:
            code = int(pytest.main(pytest_args, plugins=[outcome]))
        except Exception as exc:  # an internal error is UNKNOWN, never a traceback
            code, problem = -1, f"internal error: {type(exc).__name__}: {exc}"
    problem = "" if code != -1 else problem
    if code == pytest.ExitCode.USAGE_ERROR:
        problem = next((line.removeprefix("ERROR: ").strip()
                        for line in errors.getvalue().splitlines()
                        if line.startswith("ERROR:")), "bad options or domains file")
    elif code == pytest.ExitCode.NO_TESTS_COLLECTED:
        problem = "no check selected (-k/-m matched nothing)"
    elif code == pytest.ExitCode.INTERNAL_ERROR:
        problem = "internal error (run without --nagios to see it)"
    output = nagios.render(outcome.document if not problem else None,
                           thresholds=outcome.thresholds, problem=problem)
    sys.stdout.write(output.text)
    return output.state


def merge(args: list[str]) -> int:
    from . import merge_command

    return merge_command.main(args)


def fleet(args: list[str]) -> int:
    from . import fleet_command

    return fleet_command.main(args)


SUBCOMMANDS: dict[str, Callable[[list[str]], int]] = {
    "run": run,
    "merge": merge,
    "fleet": fleet,
}
