"""The pytest plugin: `pytest --domains domains.yaml suites/`.

Registered through the `pytest11` entry point. It loads domains.yaml once (a bad file is a
usage error, before any test), parametrizes every suite test by its subject (the domain, or
the canary), orders the tests domain by domain, and hands the run to the engine
(`background.Engine`): it probes and judges each subject once, concurrently, while the tests
run, so that each test only looks up its verdict. On the controlling process it writes
reports/results.json at the end of every run, failed or interrupted.
"""

from __future__ import annotations

import difflib
import gc
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from ..analysis.evaluation import parse_moment
from ..catalog import all_checks, get
from ..config import shards
from ..config.loading import load_config
from ..config.model import Config
from ..errors import ConformanceError, one_line
from ..probe.snapshot import Snapshot, merge_snapshots
from ..report import archive, heartbeat, junit, metrics
from ..report import scale as report_scale
from ..state.model import DEFAULT_STATE_DIR
from .fixtures import (
    META,
    Ordering,
    conformance,
    id_range,
    pytest_collection_modifyitems,
    pytest_generate_tests,
    pytest_xdist_make_scheduler,
    verdict_of,
)
from .html_hooks import HTML_HOOKS, HtmlReportHooks, use_default_outputs
from .junit_hooks import JunitWarnings
from .reporter import DEFAULT_RESULTS, DEFAULT_SHARD_RESULTS, REPORTER, ResultsReporter
from .session import (
    CONFORMANCE,
    PROBE_STATS,
    PROCESS_FROM_DOMAINS,
    Conformance,
    is_controller,
    is_worker,
    shard_domains,
)

# Registered with this module (the entry point): the suite tests' fixture and the hooks that
# parametrize, mark, select and schedule them.
__all__ = ["conformance", "pytest_collection_modifyitems", "pytest_generate_tests",
           "pytest_xdist_make_scheduler"]

MARKERS = {
    "expiry": "signature expiry checks (run hourly)",
    "chain": "chain-of-trust checks: DS, keys, signatures (run every 5 minutes)",
    "algorithm": "algorithm and digest policy checks",
    "clock": "clock-skew checks",
    "denial": "NSEC/NSEC3 authenticated denial checks",
    "resolver": "checks of the resolvers pods use",
    "consistency": "consistency between authoritative servers",
    "rollover": "key rollover checks (run hourly)",
    "provider": "cloud DNS provider checks: its own view against the DNS's",
    "transfer": "whole zones (AXFR with TSIG, or the NSEC walk): every RRset of every server",
    "dnssec_check(id)": "the catalog ID of the check a test runs",
    "dnssec_not_in_shard": "a placeholder for a test with no subject in this shard",
}


# More failed tests than this and pytest prints no failure section (see pytest_sessionfinish).
MAX_FAILURE_TRACEBACKS = 500


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("dnssec-conformance", "DNSSEC conformance")
    group.addoption("--domains", metavar="PATH", default=None,
                    help="the domains.yaml to check (default: the dnssec_domains ini value)")
    group.addoption("--results", metavar="PATH", default=None,
                    help=f"where to write the results JSON (default: {DEFAULT_RESULTS})")
    group.addoption("--at", metavar="TIME", default=None,
                    help="judge every time-based check as of TIME: ISO 8601 "
                         "(2026-12-24T00:00Z) or an offset from now (+3d, +12h, -30m)")
    group.addoption("--heartbeat-url", metavar="URL", default=None,
                    help="OneUptime incoming-request URL to POST the run's outcome to "
                         f"(default: ${heartbeat.ENV_VAR}; none: no heartbeat)")
    group.addoption("--fail-on", choices=("failure", "warning"), default="failure",
                    help="exit 1 on failed checks (default), or on warnings too")
    group.addoption("--state-dir", metavar="PATH", default=None,
                    help="where each zone's key history is kept between runs, for the "
                         f"rollover checks (default: {DEFAULT_STATE_DIR}); a run with --at "
                         "or --snapshot only reads it, unless --state-dir is given")
    group.addoption("--save-snapshot", metavar="FILE", default=None,
                    help="also write everything the run observed (every DNS response, zone "
                         "files, resolvers, CoreDNS, the clock) to FILE, to judge it again")
    group.addoption("--snapshot", metavar="FILE", default=None,
                    help="judge a snapshot written by --save-snapshot instead of asking the "
                         "network (no query is sent; --at judges it at any instant)")
    group.addoption("--archive-dir", metavar="PATH", default=None,
                    help="keep the run's results.json, report and JUnit in PATH/DAY/ when its "
                         "findings are new (the first run of a day, or a change)")
    group.addoption("--archive-days", metavar="N", type=int,
                    default=archive.DEFAULT_KEEP_DAYS,
                    help="delete archived days older than N days (default: "
                         f"{archive.DEFAULT_KEEP_DAYS})")
    group.addoption("--engine", choices=("auto", "thread", "process"), default="auto",
                    help="where the probe engine runs: a thread of pytest's process, or a "
                         f"process of its own (auto: a process from {PROCESS_FROM_DOMAINS} "
                         "domains on)")
    group.addoption("--shard", metavar="I/N", default=None,
                    help="run shard I of N (0 <= I < N): a stable share of the domains by a "
                         "hash of the zone name (`auto`: from $JOB_COMPLETION_INDEX and "
                         f"${shards.COUNT_ENV}, a Kubernetes Indexed Job; the default when "
                         f"${shards.COUNT_ENV} is set). Output paths may hold {{shard}}; "
                         f"results default to {DEFAULT_SHARD_RESULTS}; merge the shards with "
                         "`dnssec-conformance merge`")
    group.addoption("--metrics-file", metavar="FILE", default=None,
                    help="write the run's metrics as Prometheus text to FILE (atomically; "
                         "for node_exporter's textfile collector)")
    group.addoption("--pushgateway", metavar="URL", default=None,
                    help="push the run's metrics to a Prometheus Pushgateway")
    group.addoption("--otlp-endpoint", metavar="URL", default=None,
                    help="send the run's metrics over OTLP/HTTP, e.g. "
                         "https://oneuptime.com/otlp/v1/metrics (default: "
                         f"${metrics.OTLP_ENDPOINT_ENV}; the token: ${metrics.OTLP_TOKEN_ENV})")
    group.addoption("--report-rows", choices=("auto", "all", "problems"), default="auto",
                    help="the HTML report's table: every check, or only those that did not "
                         "pass (auto: only those from "
                         f"{report_scale.PROBLEMS_ONLY_FROM_DOMAINS} domains on)")
    parser.addini("dnssec_domains", "default domains.yaml for --domains", default="")


def _moment(config: pytest.Config) -> float:
    if is_worker(config) and "dnssec_now" in config.workerinput:  # type: ignore[attr-defined]
        return float(config.workerinput["dnssec_now"])  # type: ignore[attr-defined]
    at = config.getoption("at")
    try:
        return parse_moment(at, time.time()) if at else time.time()
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None


def domains_path(config: pytest.Config) -> str | None:
    path = config.getoption("domains") or config.getini("dnssec_domains")
    return str(path) if path else None


def _snapshot_part(config: pytest.Config, path: str | None,
                   shard: shards.Shard | None = None) -> str | None:
    """Where this process writes its snapshot: the file itself, or (an xdist worker) a part
    the controller merges into it at the end."""
    if path is not None and shard is not None:
        path = shards.place(path, shard)
    if path is None or not is_worker(config):
        return path
    return f"{path}.part-{config.workerinput['workerid']}"  # type: ignore[attr-defined]


def _conformance_of(config: pytest.Config, path: str, now: float) -> Conformance:
    shard = shards.configured(config.getoption("shard"))
    loaded = load_config(path)
    replay = config.getoption("snapshot")
    if replay:
        Snapshot(Path(replay))  # a bad snapshot is a usage error now, not 300 failed tests
    given = config.getoption("state_dir")
    # A what-if run (--at) or a replay must not rewrite the history the regular runs rely on:
    # it only reads it, unless --state-dir says where to write.
    writable = given is not None or (config.getoption("at") is None and not replay)
    return Conformance(loaded, now, domains_file=path, state_dir=given or DEFAULT_STATE_DIR,
                       state_writable=writable, snapshot_in=replay,
                       snapshot_out=_snapshot_part(config, config.getoption("save_snapshot"),
                                                   shard),
                       engine=config.getoption("engine"), on_demand=is_worker(config),
                       shard=shard)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    for marker, text in MARKERS.items():
        config.addinivalue_line("markers", f"{marker}: {text}")
    config.stash[CONFORMANCE] = None
    path = domains_path(config)
    if not path:
        return  # not a DNSSEC run: the plugin writes, sends and changes nothing
    now = _moment(config)
    try:
        state = _conformance_of(config, path, now)
        check_waivers(state.config)
        check_severities(state.config)
    except ConformanceError as exc:
        raise pytest.UsageError(str(exc)) from None
    except pytest.UsageError:
        raise
    except Exception as exc:  # a bug of ours: still one line, never a traceback
        raise pytest.UsageError(one_line(
            f"{path}: could not be read ({exc.__class__.__name__}: {exc}); this is a bug "
            "of dnssec-conformance, please report it with the file")) from None
    config.stash[CONFORMANCE] = state
    interrupt_on_sigterm(config)
    config.pluginmanager.register(_LongLivedHeap(config), "dnssec-heap")
    config.pluginmanager.register(Ordering(), "dnssec-ordering")
    reporter: ResultsReporter | None = None
    defaulted: tuple[str, ...] = ()
    if not is_worker(config):
        shard = state.shard
        if shard is None:
            defaulted = use_default_outputs(config)
        else:  # a shard's report and JUnit are the merge's, unless asked for
            _place_outputs(config, shard)
        results = Path(config.getoption("results") or
                       (DEFAULT_RESULTS if shard is None else DEFAULT_SHARD_RESULTS))
        if shard is not None:
            results = Path(shards.place(str(results), shard))
        reporter = ResultsReporter(results, now, path, shard=shard)
        config.stash[REPORTER] = reporter
        config.pluginmanager.register(reporter, "dnssec-results")
        config.pluginmanager.register(JunitWarnings(config), "dnssec-junit")
    html = HtmlReportHooks(config, state, reporter, lambda: len(shard_domains(state)),
                           defaulted)
    config.stash[HTML_HOOKS] = html
    config.pluginmanager.register(html, "dnssec-report-html")


class _LongLivedHeap:
    """A run of thousands of domains holds every test item and every report to the end, and
    the garbage collector's full passes walk all of them again and again (and pytest forces
    five more at exit): seconds of a large run. What lives that long is moved out of the
    collector's sight (`gc.freeze`) once collected and again at the end; `gc.unfreeze` gives
    it back as the last thing the run does (the plugin's cleanup, registered first, runs
    last), so an in-process run (pytester) leaks nothing."""

    def __init__(self, config: pytest.Config):
        config.add_cleanup(gc.unfreeze)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self) -> None:
        gc.freeze()

    def pytest_unconfigure(self) -> None:
        gc.freeze()


def _place_outputs(config: pytest.Config, shard: shards.Shard) -> None:
    """A shard's own --html / --junitxml paths, with {shard} replaced."""
    for option in ("htmlpath", "xmlpath"):
        value = config.getoption(option, None)
        if value:
            setattr(config.option, option, shards.place(str(value), shard))


def check_waivers(config: Config) -> None:
    """Every waiver names a check of the catalog that is judged per domain."""
    checks = all_checks()
    for domain in config.domains:
        for waiver in domain.waivers:
            spec = checks.get(waiver.check)
            if spec is None:
                raise pytest.UsageError(
                    f"{waiver.source}: waive: unknown check ID {waiver.check!r} for "
                    f"{domain.display} (this dnssec-conformance knows {id_range(checks)}; "
                    "see docs/checks.md)")
            if spec.scope not in ("zone", "resolver"):
                raise pytest.UsageError(
                    f"{waiver.source}: waive: {waiver.check} is not judged per domain "
                    f"(it checks {spec.subject or spec.scope}): a domain cannot waive it")


def check_severities(config: Config) -> None:
    """Every `severities:` key is a finding code of the catalog (docs/checks.md lists them)."""
    known = {code for spec in all_checks().values() for code in spec.code_ids()}
    for override in config.severities:
        if override.code not in known:
            close = difflib.get_close_matches(override.code, known, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else " (see docs/checks.md)"
            raise pytest.UsageError(f"{override.source}: severities: unknown finding code "
                                    f"{override.code!r}{hint}")


def interrupt_on_sigterm(config: pytest.Config) -> None:
    """SIGTERM (what Kubernetes sends at activeDeadlineSeconds and on eviction) ends the run
    the way Ctrl-C does: pytest stops, and the session's end writes results.json, the report
    and JUnit with what was done, marked interrupted. A second signal while they are being
    written is ignored (the pod's SIGKILL comes anyway)."""
    if threading.current_thread() is not threading.main_thread():
        return  # signal handlers belong to the main thread

    def stop(signum: int, frame: object) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if not is_worker(config):
            _signal_children(signum)  # xdist workers: they stop their queries too
        raise KeyboardInterrupt(f"{signal.Signals(signum).name} received")

    previous = signal.signal(signal.SIGTERM, stop)

    def restore() -> None:
        signal.signal(signal.SIGTERM, previous)

    config.add_cleanup(restore)


def _signal_children(signum: int) -> None:
    """Pass a signal on to this process's children (Linux /proc): Kubernetes signals only
    the container's first process, and a worker waiting out a query timeout would hold
    the end of the run (and its reports) for that long."""
    me = str(os.getpid())
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
            if fields[1] == me:
                os.kill(int(stat.parent.name), signum)
        except (OSError, IndexError, ValueError):
            continue


# A signal that came while the session was starting (xdist bringing its workers up).
PENDING_SIGNAL = pytest.StashKey[int]()


@pytest.hookimpl(wrapper=True)
def pytest_sessionstart(session: pytest.Session) -> Any:
    """A signal during the session's start (under xdist: seconds of starting workers) is
    acted on once it has started: pytest ends a session interrupted in its start without
    the session's end, which writes results.json, the report, JUnit and the heartbeat."""
    config = session.config
    if config.stash.get(CONFORMANCE, None) is None \
            or threading.current_thread() is not threading.main_thread():
        return (yield)

    def later(signum: int, frame: object) -> None:
        # Not passed on yet: a worker signalled while it starts dies in its bootstrap.
        config.stash.setdefault(PENDING_SIGNAL, signum)

    # A signal the run was started with ignored (a background job of a script) stays ignored.
    previous = {signum: signal.signal(signum, later)
                for signum in (signal.SIGTERM, signal.SIGINT)
                if signal.getsignal(signum) is not signal.SIG_IGN}
    try:
        return (yield)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@pytest.hookimpl(tryfirst=True)
def pytest_collection(session: pytest.Session) -> None:
    pending = session.config.stash.get(PENDING_SIGNAL, None)
    if pending is None:
        return
    if pending == signal.SIGTERM and not is_worker(session.config):
        _signal_children(pending)  # as the SIGTERM handler does (see interrupt_on_sigterm)
    raise KeyboardInterrupt(f"{signal.Signals(pending).name} received")


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist: every worker judges the same instant as the controller."""
    conformance = node.config.stash.get(CONFORMANCE, None)
    node.workerinput["dnssec_now"] = conformance.now if conformance else _moment(node.config)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Let the engine end (it writes its snapshot) before the results are written."""
    config = session.config
    state = config.stash.get(CONFORMANCE, None)
    if state is None:
        return
    ended = int(exitstatus) in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) \
        and not session.shouldstop and not session.shouldfail
    stats = state.finish(complete=ended,
                         interrupted=int(exitstatus) == int(pytest.ExitCode.INTERRUPTED))
    if is_worker(config):
        config.workeroutput["dnssec_probe"] = stats  # type: ignore[attr-defined]
    elif stats:
        _add_stats(config, stats)
    if is_controller(config) and state.snapshot_out:
        merge_snapshots(Path(state.snapshot_out))
    if not is_worker(config) and session.testsfailed > MAX_FAILURE_TRACEBACKS \
            and config.option.tbstyle not in ("no", "line"):
        # pytest's failure section pairs every failure with every report (quadratic): with
        # a whole fleet failing (a network outage) it would run for hours. The DNSSEC summary,
        # results.json and the report say it all.
        config.option.tbstyle = "no"


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """xdist: add up what the workers' engines measured."""
    stats = getattr(node, "workeroutput", {}).get("dnssec_probe")
    if stats:
        _add_stats(node.config, stats)


def _add_stats(config: pytest.Config, stats: dict[str, int]) -> None:
    total = config.stash.get(PROBE_STATS, {})
    for key, value in stats.items():
        total[key] = total.get(key, 0) + value
    config.stash[PROBE_STATS] = total


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Any:
    """Each check's test report carries its results.json record (to the xdist controller
    too): the results file, the HTML report, JUnit and the heartbeat are built from it."""
    report: pytest.TestReport = yield
    verdict = verdict_of(item)
    if verdict is None:
        return report
    meta = item.stash.get(META, None)
    if meta is None:  # one per test, shared by its three reports (thousands are kept)
        spec = get(verdict.check_id)
        meta = item.stash[META] = {
            "domain": verdict.subject.name, "kind": verdict.subject.kind, "check": spec.id,
            "category": spec.category.value, "title": spec.title,
            "remediation": spec.remediation, "record": None,
        }
    meta["record"] = verdict.record
    report.dnssec = meta  # type: ignore[attr-defined]
    html = item.config.stash.get(HTML_HOOKS, None)
    if html is not None:
        html.annotate(report, meta)
    if report.when == "call" and verdict.record is not None:
        # JUnit takes the test case's properties from its teardown report, made from these
        item.user_properties.extend(junit.properties(verdict.record))
    return report


def pytest_report_teststatus(report: pytest.TestReport) -> tuple[str, str, Any] | None:
    """A check that passed with warnings shows as WARNING (W) on the terminal, not PASSED."""
    meta = getattr(report, "dnssec", None)
    record = meta.get("record") if meta else None
    if report.when == "call" and report.passed and record and record["outcome"] == "warning":
        return "warned", "W", ("WARNING", {"yellow": True})
    return None
