"""The pytest plugin: `pytest --domains domains.yaml suites/`.

Registered through the `pytest11` entry point. It loads domains.yaml once (a bad file is a
usage error, before any test), parametrizes every suite test by its subject (the domain, or
the canary), orders the tests domain by domain, and hands the run to the engine
(`background.Engine`): it probes and judges each subject once, concurrently, while the tests
run, so that each test only looks up its verdict. On the controlling process it writes
reports/results.json at the end of every run, failed or interrupted.
"""

from __future__ import annotations

import gc
import hashlib
import os
import re
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from . import archive, heartbeat, junit, metrics, overview, report_html, shards
from .background import Engine, EngineError, Mode, describe
from .catalog import CheckSpec, all_checks, get
from .config import Config, Thresholds, load_config
from .context import parse_moment
from .errors import ConformanceError, one_line
from .findings import Severity
from .keystate import DEFAULT_STATE_DIR
from .probe.snapshot import Snapshot, merge_snapshots
from .publish import Destinations, Published, publish
from .results import DOMAIN, build_document, write_atomically
from .runner import RunRequest, Subject

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
DEFAULT_RESULTS = "reports/results.json"
DEFAULT_SHARD_RESULTS = "reports/shard-{shard}/results.json"
MAX_EVIDENCE_CHARS = 4000
# In one process, the engine runs in a process of its own from this many domains on: a second
# core then judges while pytest runs the tests (below it, starting a process costs more).
PROCESS_FROM_DOMAINS = 200
INTERRUPTED_WAIT_S = 3.0
# More failed tests than this and pytest prints no failure section (see pytest_sessionfinish).
MAX_FAILURE_TRACEBACKS = 500

CONFORMANCE = pytest.StashKey["Conformance | None"]()
PROBE_STATS = pytest.StashKey[dict[str, int]]()


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
                         f"{report_html.PROBLEMS_ONLY_FROM_DOMAINS} domains on)")
    parser.addini("dnssec_domains", "default domains.yaml for --domains", default="")


class Verdict:
    """One check on one subject, as a test sees it: `assert_passes()` looks its record up
    (waiting for the engine if it has not judged the subject yet)."""

    __slots__ = ("check_id", "conformance", "record", "subject")

    def __init__(self, conformance: Conformance, subject: Subject, check_id: str):
        self.conformance = conformance
        self.subject = subject
        self.check_id = check_id
        self.record: dict[str, Any] | None = None

    def __repr__(self) -> str:
        return f"Verdict({self.check_id}, {self.subject.name})"

    def assert_passes(self) -> dict[str, Any]:
        try:
            record = self.conformance.record(self.subject, self.check_id)
        except EngineError as exc:
            pytest.fail(f"{self.check_id} could not check {self.subject.name}: {exc}",
                        pytrace=False)
        self.record = record
        if record["outcome"] == "waived":
            pytest.xfail(waived_reason(record))
        if record["outcome"] in ("failed", "error"):
            pytest.fail(render_failure(record), pytrace=False)
        if record["outcome"] == "skipped":
            pytest.skip(record["message"])
        return record


class Conformance:
    """Per-process state of a run: the configuration, the moment judged, the engine."""

    def __init__(self, config: Config, now: float, *, domains_file: str,
                 state_dir: str, state_writable: bool, snapshot_in: str | None = None,
                 snapshot_out: str | None = None, engine: str = "auto",
                 on_demand: bool = False, shard: shards.Shard | None = None):
        self.config = config
        self.now = now
        self.domains_file = domains_file
        self.state_dir = state_dir
        self.state_writable = state_writable
        self.snapshot_in = snapshot_in
        self.snapshot_out = snapshot_out
        self.engine_mode = engine
        self.on_demand = on_demand  # an xdist worker: subjects are wanted as tests ask
        self.shard = shard  # None: every domain; else only this shard's
        self.shard_domains: list[Any] | None = None  # this shard's, once computed
        self.planned: dict[Subject, list[str]] = {}
        self.engine: Engine | None = None

    def plan(self, items: list[pytest.Item]) -> None:
        """What the selected tests will ask, in their order: the engine probes only that."""
        self.planned.clear()
        for item in items:
            verdict = verdict_of(item)
            if verdict is not None:
                self.planned.setdefault(verdict.subject, [])
                if verdict.check_id not in self.planned[verdict.subject]:
                    self.planned[verdict.subject].append(verdict.check_id)

    def start(self) -> None:
        if self.engine is not None or not self.planned:
            return
        request = RunRequest(
            self.config, self.now, tuple((s, tuple(c)) for s, c in self.planned.items()),
            state_dir=self.state_dir, state_writable=self.state_writable,
            snapshot_in=self.snapshot_in, snapshot_out=self.snapshot_out)
        self.engine = Engine(request, self._mode())
        if not self.on_demand:
            self.engine.want(self.planned)

    def _mode(self) -> Mode:
        if self.engine_mode != "auto":
            return "process" if self.engine_mode == "process" else "thread"
        domains = sum(1 for s in self.planned if s.kind == "domain")
        return "process" if domains >= PROCESS_FROM_DOMAINS and not self.on_demand \
            else "thread"

    def record(self, subject: Subject, check_id: str) -> dict[str, Any]:
        if self.engine is None:
            self.start()
        if self.engine is None:
            raise EngineError(f"{check_id} on {subject.name} was not planned")
        record = self.engine.records(subject).get(check_id)
        if record is None:
            raise EngineError(f"{check_id} on {subject.name} was not planned")
        return record

    def config_digest(self) -> str:
        """SHA-256 of the domains file: shards of one run read the same file."""
        try:
            return hashlib.sha256(Path(self.domains_file).read_bytes()).hexdigest()
        except OSError:
            return ""

    def finish(self, *, complete: bool, interrupted: bool) -> dict[str, Any]:
        """End the engine (it writes its snapshot); what it measured, for results.json.
        A run that ended early (-x, an interruption) judges nothing more; an interrupted
        one waits for it a few seconds at most (Kubernetes kills the pod soon after)."""
        if self.engine is None:
            return {}
        timeout = INTERRUPTED_WAIT_S if interrupted else None
        return describe(self.engine.finish(complete=complete, timeout=timeout))


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def _is_controller(config: pytest.Config) -> bool:
    """The xdist controller: it runs no test (its workers do)."""
    return not _is_worker(config) and config.getoption("dist", "no") != "no" \
        and bool(config.getoption("numprocesses", None))


def _moment(config: pytest.Config) -> float:
    if _is_worker(config) and "dnssec_now" in config.workerinput:  # type: ignore[attr-defined]
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
    if path is None or not _is_worker(config):
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
                       engine=config.getoption("engine"), on_demand=_is_worker(config),
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
        conformance = _conformance_of(config, path, now)
        check_waivers(conformance.config)
    except ConformanceError as exc:
        raise pytest.UsageError(str(exc)) from None
    except pytest.UsageError:
        raise
    except Exception as exc:  # a bug of ours: still one line, never a traceback
        raise pytest.UsageError(one_line(
            f"{path}: could not be read ({exc.__class__.__name__}: {exc}); this is a bug "
            "of dnssec-conformance, please report it with the file")) from None
    config.stash[CONFORMANCE] = conformance
    interrupt_on_sigterm(config)
    config.pluginmanager.register(_LongLivedHeap(config), "dnssec-heap")
    if not config.pluginmanager.is_registered(report_html):
        config.pluginmanager.register(report_html, "dnssec-report-html")
    config.pluginmanager.register(_Ordering(), "dnssec-ordering")
    if not _is_worker(config):
        shard = conformance.shard
        if shard is None:
            report_html.use_default_outputs(config)
        else:  # a shard's report and JUnit are the merge's, unless asked for
            _place_outputs(config, shard)
        results = Path(config.getoption("results") or
                       (DEFAULT_RESULTS if shard is None else DEFAULT_SHARD_RESULTS))
        if shard is not None:
            results = Path(shards.place(str(results), shard))
        config.pluginmanager.register(ResultsReporter(results, now, path, shard=shard),
                                      "dnssec-results")
        config.pluginmanager.register(junit.JunitWarnings(config), "dnssec-junit")


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
                    f"{domain.display} (this dnssec-conformance knows {_id_range(checks)}; "
                    "see docs/checks.md)")
            if spec.scope not in ("zone", "resolver"):
                raise pytest.UsageError(
                    f"{waiver.source}: waive: {waiver.check} is not judged per domain "
                    f"(it checks {spec.subject or spec.scope}): a domain cannot waive it")


def _id_range(checks: dict[str, CheckSpec]) -> str:
    return f"{len(checks)} checks, {min(checks)} to {max(checks)}"


def interrupt_on_sigterm(config: pytest.Config) -> None:
    """SIGTERM (what Kubernetes sends at activeDeadlineSeconds and on eviction) ends the run
    the way Ctrl-C does: pytest stops, and the session's end writes results.json, the report
    and JUnit with what was done, marked interrupted. A second signal while they are being
    written is ignored (the pod's SIGKILL comes anyway)."""
    if threading.current_thread() is not threading.main_thread():
        return  # signal handlers belong to the main thread

    def stop(signum: int, frame: object) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if not _is_worker(config):
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

    previous = {signum: signal.signal(signum, later)
                for signum in (signal.SIGTERM, signal.SIGINT)}
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
    if pending == signal.SIGTERM and not _is_worker(session.config):
        _signal_children(pending)  # as the SIGTERM handler does (see interrupt_on_sigterm)
    raise KeyboardInterrupt(f"{signal.Signals(pending).name} received")


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist: every worker judges the same instant as the controller."""
    conformance = node.config.stash.get(CONFORMANCE, None)
    node.workerinput["dnssec_now"] = conformance.now if conformance else _moment(node.config)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """xdist: send all the tests of one domain to one worker, so that it is probed once.
    xdist's own `loadgroup` rewrites node IDs in a way pytest 9.2 no longer honours, so the
    grouping is ours: by the parametrized ID (`test_x[example.com]` -> example.com)."""
    if config.getoption("dist") != "load" or config.stash.get(CONFORMANCE, None) is None:
        return None  # the user chose a distribution mode, or this is not a suites run
    from xdist.scheduler import LoadScopeScheduling

    class DomainScheduling(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            found = re.search(r"\[([^\]]+)\]$", nodeid)
            return found.group(1) if found else nodeid

    return DomainScheduling(config, log)


def check_id_of(item: pytest.Item | Any) -> str | None:
    marker = item.get_closest_marker("dnssec_check")
    return str(marker.args[0]) if marker and marker.args else None


def _spec_of(definition: Any) -> CheckSpec | None:
    """The check a test is marked with (None: unmarked, or an ID this version does not know,
    which `pytest_collection_modifyitems` reports as a usage error once collection is done)."""
    check_id = check_id_of(definition)
    return all_checks().get(check_id) if check_id is not None else None


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test of a per-domain or per-canary check runs once per domain (or canary), named
    after it: `test_rrsig_not_expired[example.com]`."""
    if "conformance" not in metafunc.fixturenames:
        return
    spec = _spec_of(metafunc.definition)
    if spec is None or spec.scope not in ("zone", "resolver", "canary"):
        return
    state = metafunc.config.stash.get(CONFORMANCE, None)
    if state is None:
        return  # no domains file: the `conformance` fixture skips the test
    shard = state.shard
    if spec.scope == "canary":
        subjects = [Subject("canary", c.to_text(omit_final_dot=True))
                    for c in state.config.canaries.bogus]
        if shard is not None and not shard.owns_run_subjects:
            subjects = []
            _other_shards(metafunc, shard)
            return
        if not subjects:
            metafunc.parametrize("conformance", [pytest.param(
                None, id="no-canary",
                marks=pytest.mark.skip(reason="no canaries.bogus in domains.yaml"))])
            return
    else:
        subjects = [Subject("domain", d.display) for d in shard_domains(state)]
        if not subjects and shard is not None:
            _other_shards(metafunc, shard)
            return
    metafunc.parametrize("conformance", [Verdict(state, s, spec.id) for s in subjects],
                         ids=[s.name for s in subjects])


def shard_domains(state: Conformance) -> list[Any]:
    """The domains of the file this process checks: all, or its shard's (hashed once)."""
    if state.shard is None:
        return list(state.config.domains)
    if state.shard_domains is None:
        state.shard_domains = [d for d in state.config.domains
                               if state.shard.owns_domain(d.display)]
    return state.shard_domains


NOT_IN_SHARD = "dnssec_not_in_shard"


def _other_shards(metafunc: pytest.Metafunc, shard: shards.Shard) -> None:
    """A test with no subject in this shard: one placeholder, deselected after collection
    (an empty parametrization would show as a skipped test)."""
    metafunc.parametrize("conformance", [pytest.param(
        None, id=f"not-in-shard-{shard.index}", marks=pytest.mark.dnssec_not_in_shard)])


@pytest.fixture
def conformance(request: pytest.FixtureRequest) -> Verdict:
    """`conformance.assert_passes()` runs the test's `@pytest.mark.dnssec_check(ID)`. Tests of
    per-domain checks get it by parametrization; this fixture serves the checks judged once
    per run (CoreDNS, the local clock)."""
    state = request.config.stash.get(CONFORMANCE, None)
    if state is None:
        pytest.skip("no domains file: pass --domains PATH (or set dnssec_domains)")
    verdict = verdict_of(request.node)
    if verdict is None:
        raise pytest.UsageError(f"{request.node.nodeid}: mark it @pytest.mark.dnssec_check(ID)")
    return verdict


VERDICT = pytest.StashKey["Verdict | None"]()
META = pytest.StashKey[dict[str, Any]]()  # what a test's reports carry (`report.dnssec`)


def verdict_of(item: pytest.Item) -> Verdict | None:
    """The verdict a test looks up (found once per test)."""
    if VERDICT not in item.stash:
        item.stash[VERDICT] = _find_verdict(item)
    return item.stash[VERDICT]


def _find_verdict(item: pytest.Item) -> Verdict | None:
    callspec = getattr(item, "callspec", None)
    verdict = callspec.params.get("conformance") if callspec is not None else None
    if isinstance(verdict, Verdict):
        return verdict
    funcargs = getattr(item, "funcargs", None) or {}
    found = funcargs.get("conformance")
    if isinstance(found, Verdict):
        return found
    state = item.config.stash.get(CONFORMANCE, None)
    spec = _spec_of(item)
    if state is None or spec is None or "conformance" not in getattr(item, "fixturenames", ()):
        return None
    if spec.scope in ("coredns", "run"):
        return Verdict(state, Subject("coredns" if spec.scope == "coredns" else "run",
                                      spec.subject), spec.id)
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each check's test with its family, before `-m` selects. A test marked with a
    check this version does not know (suites newer than the package) is a usage error.
    A shard drops the tests of other shards' subjects (the run's own subjects: shard 0's)."""
    checks = all_checks()
    _deselect_other_shards(config, items)
    for item in items:
        check_id = check_id_of(item)
        if check_id is None:
            continue
        if check_id not in checks:
            raise pytest.UsageError(
                f"{item.nodeid}: unknown check ID {check_id!r} (this dnssec-conformance knows "
                f"{_id_range(checks)}): run the suites shipped with the package "
                "(dnssec-conformance, or pytest --pyargs dnssec_conformance.suites)")
        item.add_marker(checks[check_id].marker)


def _deselect_other_shards(config: pytest.Config, items: list[pytest.Item]) -> None:
    state = config.stash.get(CONFORMANCE, None)
    shard = state.shard if state is not None else None
    if shard is None:
        return
    checks = all_checks()
    dropped: list[pytest.Item] = []
    kept: list[pytest.Item] = []
    for item in items:
        check_id = check_id_of(item)
        spec = checks.get(check_id) if check_id else None
        other = item.get_closest_marker(NOT_IN_SHARD) is not None or (
            spec is not None and spec.scope in ("coredns", "run")
            and not shard.owns_run_subjects)
        (dropped if other else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


class _Ordering:
    """Once `-k`/`-m` have selected: the selected tests ordered subject by subject (the
    engine judges the subjects in that order, so a subject's tests run back to back while the
    next subjects are probed), and the engine started on exactly what they ask."""

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config: pytest.Config,
                                      items: list[pytest.Item]) -> None:
        state = config.stash.get(CONFORMANCE, None)
        if state is None:
            return
        rank = {subject: index for index, subject in enumerate(subject_order(state.config))}
        keyed = []
        for index, item in enumerate(items):
            verdict = verdict_of(item)
            keyed.append((rank.get(verdict.subject, -1) if verdict else -1, index, item))
        items[:] = [item for _rank, _index, item in sorted(keyed, key=lambda k: k[:2])]

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> None:
        """Tests are about to run (collection went well): start the engine on what they ask."""
        state = session.config.stash.get(CONFORMANCE, None)
        if state is None or session.config.option.collectonly or \
                _is_controller(session.config):
            return
        state.plan(session.items)
        state.start()


def subject_order(config: Config) -> list[Subject]:
    """Domains in the file's order, then the canaries, CoreDNS and the local clock."""
    subjects = [Subject("domain", d.display) for d in config.domains]
    subjects += [Subject("canary", c.to_text(omit_final_dot=True))
                 for c in config.canaries.bogus]
    from .checks.clock import CLOCK_SUBJECT
    from .checks.resolver import COREDNS_SUBJECT

    return [*subjects, Subject("coredns", COREDNS_SUBJECT), Subject("run", CLOCK_SUBJECT)]


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
    if _is_worker(config):
        config.workeroutput["dnssec_probe"] = stats  # type: ignore[attr-defined]
    elif stats:
        _add_stats(config, stats)
    if _is_controller(config) and state.snapshot_out:
        merge_snapshots(Path(state.snapshot_out))
    if not _is_worker(config) and session.testsfailed > MAX_FAILURE_TRACEBACKS \
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


_SEVERITY_RANK = {s.label: int(s) for s in Severity}


def waived_reason(record: dict[str, Any]) -> str:
    """One line for pytest's xfail reason: the waiver, and what it accepts."""
    waiver = record.get("waiver") or {}
    return (f"waived until {waiver.get('until')}: {waiver.get('reason')} "
            f"({waiver.get('outcome')}: {record['message']})")


def render_failure(record: dict[str, Any]) -> str:
    """A failed or could-not-check record as the test's failure text."""
    lines = [f"{record['check']} {record['outcome']}: {record['message']}"]
    ranked = sorted(record["findings"], key=lambda f: _SEVERITY_RANK.get(f["severity"], 0),
                    reverse=True)
    for finding in ranked:
        where = f" [{finding['server']}]" if finding.get("server") else ""
        lines.append(f"  - {finding['severity']}: {finding['message']}{where}")
    evidence = [f["evidence"] for f in ranked if f.get("evidence")
                and _SEVERITY_RANK.get(f["severity"], 0) >= Severity.ERROR]
    if evidence:
        text = "\n\n".join(dict.fromkeys(evidence))
        if len(text) > MAX_EVIDENCE_CHARS:
            text = text[:MAX_EVIDENCE_CHARS] + "\n;; [evidence truncated]"
        lines += ["", text]
    return "\n".join(lines)


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


class ResultsReporter:
    """Collects one record per (domain, check) and writes results.json at session end.

    Registered on the controlling process only: xdist workers forward their reports here.
    """

    def __init__(self, path: Path, evaluated_at: float, domains_file: str | None, *,
                 shard: shards.Shard | None = None):
        self.path = path
        self.evaluated_at = evaluated_at
        self.domains_file = domains_file
        self.shard = shard
        self.started_at = time.time()
        self.records: dict[tuple[str, str], dict[str, Any]] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        meta = getattr(report, "dnssec", None)
        if not meta:
            return
        key = (meta["domain"], meta["check"])
        if meta.get("record") is not None:
            self.records[key] = meta["record"]
        elif report.failed and key not in self.records:
            self.records[key] = self._synthetic(meta, "error", _first_line(report))
        elif report.skipped and key not in self.records:
            self.records[key] = self._synthetic(meta, "skipped", _first_line(report))

    @staticmethod
    def _synthetic(meta: dict[str, Any], outcome: str, message: str) -> dict[str, Any]:
        return {"domain": meta["domain"], "kind": meta.get("kind", DOMAIN),
                "check": meta["check"], "title": meta["title"],
                "category": meta["category"], "outcome": outcome,
                "severity": "error" if outcome == "error" else "none",
                "message": message, "days_left": None,
                "remediation": meta.get("remediation", ""), "findings": []}

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self.failed_on_warnings = (
            session.config.getoption("fail_on") == "warning" and exitstatus == 0
            and any(r["outcome"] == "warning" for r in self.records.values()))
        if self.failed_on_warnings:
            session.exitstatus = exitstatus = pytest.ExitCode.TESTS_FAILED
        document = build_document(
            list(self.records.values()), evaluated_at=self.evaluated_at,
            started_at=self.started_at, finished_at=time.time(),
            domains_file=self.domains_file, exit_status=int(exitstatus),
            interrupted=int(exitstatus) == int(pytest.ExitCode.INTERRUPTED))
        probe = session.config.stash.get(PROBE_STATS, None)
        if probe:
            document["probe"] = probe
        conformance = session.config.stash.get(CONFORMANCE, None)
        if self.shard is not None and conformance is not None:
            document["shard"] = shard_block(conformance, self.shard)
        write_atomically(self.path, document)
        self.document = document
        # results.json is written before the heartbeat (up to 30 s): a killed job keeps it.
        thresholds = conformance.config.thresholds if conformance else Thresholds()
        self.published = publish(destinations(session.config, self.shard), document,
                                 warning_days=thresholds.warning_days,
                                 critical_days=thresholds.critical_days)
        self.heartbeat_outcome = self.published.heartbeat
        write_atomically(self.path, document)

    def keep_in_archive(self, config: pytest.Config) -> archive.ArchiveOutcome | None:
        """Once the report and JUnit are written (after every pytest_sessionfinish)."""
        directory = config.getoption("archive_dir")
        document = getattr(self, "document", None)
        if not directory or document is None or getattr(self, "archived", None):
            return getattr(self, "archived", None)
        outputs = [self.path, *(Path(p) for p in (config.getoption("htmlpath", None),
                                                   config.getoption("xmlpath", None)) if p)]
        self.archived = archive.archive_run(outputs, document, Path(directory),
                                            now=time.time(),
                                            keep_days=max(1, config.getoption("archive_days")))
        return self.archived

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        self.keep_in_archive(config)  # a run without a terminal summary (-p no:terminal)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        archived = self.keep_in_archive(terminalreporter.config)
        document = getattr(self, "document", None)
        beat: heartbeat.HeartbeatOutcome | None = getattr(self, "heartbeat_outcome", None)
        if document is None or not document["results"]:
            if beat is not None and beat.url:  # a URL was given, yet nothing to send
                terminalreporter.write_line(beat.summary())
            return
        tr = terminalreporter
        tr.section("DNSSEC conformance")
        for line in summary_lines(document):
            tr.write_line(line[:MAX_SUMMARY_LINE])
        tr.write_line(f"results: {self.path}")
        if archived is not None:
            tr.write_line(archived.summary())
        if beat is not None:
            tr.write_line(beat.summary())
        published: Published | None = getattr(self, "published", None)
        for outcome in published.metrics if published is not None else []:
            tr.write_line(outcome.summary())
        if getattr(self, "failed_on_warnings", False):
            tr.write_line("exit status 1: warnings fail this run (--fail-on warning)")


def shard_block(conformance: Conformance, shard: shards.Shard) -> dict[str, Any]:
    """results.json's `shard`: which share of which file this run checked, so that a merge
    can tell a complete shard from a partial one."""
    block = {"index": shard.index, "count": shard.count, "run_id": shards.run_id(),
             "domains_file_sha256": conformance.config_digest(),
             "owns_run_subjects": shard.owns_run_subjects,
             "domains": [d.display for d in shard_domains(conformance)]}
    if conformance.snapshot_out:
        block["snapshot"] = str(Path(conformance.snapshot_out).resolve())
    return block


def destinations(config: pytest.Config, shard: shards.Shard | None) -> Destinations:
    """Where the run's outcome goes. A what-if run (--at) judges another instant than now:
    its verdict must not page anyone, so only a --heartbeat-url given on its command line
    sends it. A shard's outcome is the merge's: the same rule."""
    option = config.getoption("heartbeat_url")
    url = heartbeat.configured_url(option)
    reason = ""
    if url and not option and config.getoption("at"):
        reason = ("a what-if run (--at) sends no heartbeat unless --heartbeat-url is given on "
                  "its command line")
    elif url and not option and shard is not None:
        reason = (f"a shard sends no heartbeat ({shard.label}): `dnssec-conformance merge` "
                  "sends the run's, unless --heartbeat-url is given on its command line")
    otlp_option = config.getoption("otlp_endpoint")
    endpoint = metrics.configured_otlp_endpoint(otlp_option)
    if endpoint and not otlp_option and (shard is not None or config.getoption("at")):
        endpoint = None  # the same rule for the metrics: only when asked on the command line
    metrics_file = config.getoption("metrics_file")
    if metrics_file and shard is not None:
        metrics_file = shards.place(metrics_file, shard)
    return Destinations(heartbeat_url=url, heartbeat_reason=reason,
                        metrics_file=Path(metrics_file) if metrics_file else None,
                        pushgateway=config.getoption("pushgateway"),
                        otlp_endpoint=endpoint, otlp_token=metrics.otlp_token())


SUMMARY_ORDER = {"failed": 0, "warning": 1, "error": 2, "waived": 3}
MAX_SUMMARY_LINE = 200


def summary_lines(document: dict[str, Any]) -> list[str]:
    """The terminal's summary: every check that did not pass, subjects worst first, the
    could-not-check records that say the same thing as one line, healthy domains counted."""
    lines = [f"status: {document['status']}, priority {document['priority']} "
             f"(as of {document['evaluated_at']})", overview.counts_line(document["domains"])]
    ranks = {s["domain"]: overview.rank_of(s) for s in document["domains"]}
    groups, _singles = overview.unchecked_groups(document["results"])
    grouped = {id(record) for group in groups for record in group.records}
    shown = sorted((r for r in document["results"]
                    if r["outcome"] in SUMMARY_ORDER and id(r) not in grouped),
                   key=lambda r: (ranks[r["domain"]], SUMMARY_ORDER[r["outcome"]],
                                  r["domain"], r["check"]))
    for record in shown:
        outcome = "unchecked" if record["outcome"] == "error" else record["outcome"]
        message = record["message"]
        if record["outcome"] == "waived" and record.get("waiver"):
            waiver = record["waiver"]
            message = f"until {waiver['until']}: {waiver['reason']} ({waiver['outcome']})"
        lines.append(f"  {outcome:<9} {record['domain']:<32} {record['check']:<10} {message}")
    lines += [f"  unchecked {group.describe()}" for group in groups]
    return lines


def _first_line(report: pytest.TestReport) -> str:
    text = report.longreprtext.strip().splitlines()
    return text[-1][:300] if text else report.outcome
