"""The pytest plugin: `pytest --domains domains.yaml suites/`.

Registered through the `pytest11` entry point. It loads domains.yaml once (a bad file is a
usage error, before any test), parametrizes every suite test by domain, collects each zone
once per process (xdist keeps a domain's tests on one worker), and on the controlling process
writes reports/results.json at the end of every run, failed or interrupted.
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import dns.name
import pytest

from . import archive, heartbeat, junit, overview, report_html
from .analysis import zone_security
from .anchors import TrustAnchors, load_anchors
from .catalog import CheckSpec, RunData, all_checks, get, run_check, run_run_check
from .checks.resolver import judge
from .collect import Collector, ZoneData
from .config import Config, DomainSpec, Thresholds, load_config, resolver_addresses
from .context import Evaluation, parse_moment
from .errors import ConformanceError, one_line
from .findings import Category, CheckResult, Outcome, Severity
from .keystate import DEFAULT_STATE_DIR, History, StateDirectory
from .ntp import read_clock
from .resolvers import ResolverRun
from .results import DOMAIN, build_document, record_of, write_atomically
from .waivers import apply_waiver, waived_reason
from .zonefile import collect_zone_file

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
    "dnssec_check(id)": "the catalog ID of the check a test runs",
}
DEFAULT_RESULTS = "reports/results.json"
MAX_EVIDENCE_CHARS = 4000

CONFORMANCE = pytest.StashKey["Conformance | None"]()
RESULT = pytest.StashKey[CheckResult]()


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
                         "only reads it, unless --state-dir is given")
    group.addoption("--archive-dir", metavar="PATH", default=None,
                    help="keep the run's results.json, report and JUnit in PATH/DAY/ when its "
                         "findings are new (the first run of a day, or a change)")
    group.addoption("--archive-days", metavar="N", type=int,
                    default=archive.DEFAULT_KEEP_DAYS,
                    help="delete archived days older than N days (default: "
                         f"{archive.DEFAULT_KEEP_DAYS})")
    parser.addini("dnssec_domains", "default domains.yaml for --domains", default="")


class Conformance:
    """Per-process state of a run: the configuration, the moment judged, the zone cache."""

    def __init__(self, config: Config, anchors: TrustAnchors, now: float,
                 state: StateDirectory | None = None):
        self.config = config
        self.anchors = anchors
        self.now = now
        self.state = state
        self._histories: dict[str, History] = {}
        self._collector: Collector | None = None
        self._zones: dict[str, ZoneData] = {}
        self._run_data: RunData | None = None
        self._resolver_run: ResolverRun | None = None

    @property
    def collector(self) -> Collector:
        if self._collector is None:
            self._collector = Collector(resolver_addresses(self.config), self.config.query)
        return self._collector

    def zone(self, domain: DomainSpec) -> ZoneData:
        key = domain.name.to_text()
        if key not in self._zones and domain.zone_file is not None:
            self._zones[key] = collect_zone_file(domain, domain.zone_file, domain.ds_file)
        elif key not in self._zones:
            self._zones[key] = self.collector.collect(domain)
        return self._zones[key]

    def evaluation(self, domain: DomainSpec | None = None) -> Evaluation:
        thresholds = domain.thresholds if domain is not None else self.config.thresholds
        return Evaluation(self.now, self.anchors, thresholds, self.config.clock)

    def zone_evaluation(self, domain: DomainSpec) -> Evaluation:
        """The evaluation of a zone check: with the zone's key history, recorded (and
        written to the state directory) once per process."""
        key = domain.name.to_text()
        # A zone file is not published yet: it is no observation of the zone's keys.
        if self.state is not None and domain.zone_file is None and key not in self._histories:
            self._histories[key] = self.state.record_run(self.zone(domain), self.now)
        evaluation = self.evaluation(domain)
        return replace(evaluation, history=self._histories.get(key))

    def run_data(self) -> RunData:
        """What the run measures outside any zone: the local clock against NTP."""
        if self._run_data is None:
            ntp = self.config.clock.ntp
            self._run_data = RunData(read_clock(ntp, self.config.query.timeout_s)
                                     if ntp else None)
        return self._run_data

    @property
    def resolvers(self) -> ResolverRun:
        """The resolvers pods use and CoreDNS: each asked (or read) once per process."""
        if self._resolver_run is None:
            self._resolver_run = ResolverRun(self.config)
        return self._resolver_run


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def _moment(config: pytest.Config) -> float:
    if _is_worker(config) and "dnssec_now" in config.workerinput:  # type: ignore[attr-defined]
        return float(config.workerinput["dnssec_now"])  # type: ignore[attr-defined]
    at = config.getoption("at")
    try:
        return parse_moment(at, time.time()) if at else time.time()
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None


def _state_directory(config: pytest.Config) -> StateDirectory:
    """The key history's directory. A time-travel run (--at) must not rewrite the history
    that the regular runs rely on: it only reads it, unless --state-dir says where to write."""
    given = config.getoption("state_dir")
    writable = given is not None or config.getoption("at") is None
    return StateDirectory(Path(given or DEFAULT_STATE_DIR), writable=writable)


def domains_path(config: pytest.Config) -> str | None:
    path = config.getoption("domains") or config.getini("dnssec_domains")
    return str(path) if path else None


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
        loaded = load_config(path)
        check_waivers(loaded)
        conformance = Conformance(loaded, load_anchors(loaded.trust_anchors), now,
                                  _state_directory(config))
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
    if not config.pluginmanager.is_registered(report_html):
        config.pluginmanager.register(report_html, "dnssec-report-html")
    if not _is_worker(config):
        report_html.use_default_outputs(config)
        results = Path(config.getoption("results") or DEFAULT_RESULTS)
        config.pluginmanager.register(ResultsReporter(results, now, path), "dnssec-results")
        config.pluginmanager.register(junit.JunitWarnings(config), "dnssec-junit")


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
    config.add_cleanup(lambda: signal.signal(signal.SIGTERM, previous))


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


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist: every worker judges the same instant as the controller."""
    conformance = node.config.stash.get(CONFORMANCE, None)
    node.workerinput["dnssec_now"] = conformance.now if conformance else _moment(node.config)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """xdist: send all the tests of one domain to one worker, so that its data is fetched
    once. xdist's own `loadgroup` rewrites node IDs in a way pytest 9.2 no longer honours, so
    the grouping is ours: by the parametrized ID (`test_x[example.com]` -> example.com)."""
    if config.getoption("dist") != "load" or config.stash.get(CONFORMANCE, None) is None:
        return None  # the user chose a distribution mode, or this is not a suites run
    from xdist.scheduler import LoadScopeScheduling

    class DomainScheduling(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            found = re.search(r"\[([^\]]+)\]$", nodeid)
            return found.group(1) if found else nodeid

    return DomainScheduling(config, log)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "canary" in metafunc.fixturenames:
        state = metafunc.config.stash.get(CONFORMANCE, None)
        canaries = list(state.config.canaries.bogus) if state else []
        none = pytest.param(None, id="no-canary",
                            marks=pytest.mark.skip(reason="no canaries.bogus in domains.yaml"))
        metafunc.parametrize("canary", [
            pytest.param(c, id=c.to_text(omit_final_dot=True)) for c in canaries] or [none])
    if "domain" not in metafunc.fixturenames:
        return
    conformance = metafunc.config.stash.get(CONFORMANCE, None)
    domains = list(conformance.config.domains) if conformance else []
    metafunc.parametrize("domain", [pytest.param(d, id=d.display) for d in domains])


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each check's test with its family, before `-m` selects. A test marked with a
    check this version does not know (suites newer than the package) is a usage error."""
    checks = all_checks()
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


@pytest.fixture(scope="session")
def dnssec_conformance(request: pytest.FixtureRequest) -> Conformance:
    """The run's state; fails with a usage hint when no domains file was given."""
    conformance = request.config.stash.get(CONFORMANCE, None)
    if conformance is None:
        pytest.skip("no domains file: pass --domains PATH (or set dnssec_domains)")
    return conformance


@pytest.fixture
def zone(dnssec_conformance: Conformance, domain: DomainSpec) -> ZoneData:
    """The domain's collected DNS data, fetched once per process and shared by its checks."""
    return dnssec_conformance.zone(domain)


@pytest.fixture
def evaluation(request: pytest.FixtureRequest, dnssec_conformance: Conformance,
               domain: DomainSpec) -> Evaluation:
    """The instant and policy a zone check judges with; the rollover checks also get the
    zone's key history (so only runs that select them read or write the state directory)."""
    check_id = check_id_of(request.node)
    if check_id is not None and get(check_id).category is Category.ROLLOVER:
        return dnssec_conformance.zone_evaluation(domain)
    return dnssec_conformance.evaluation(domain)


class CheckRunner:
    """Runs the check a test is marked with, and turns its outcome into the test's."""

    def __init__(self, item: pytest.Item, check_id: str, zone: ZoneData,
                 evaluation: Evaluation):
        self.item = item
        self.check_id = check_id
        self.zone = zone
        self.evaluation = evaluation

    def run(self) -> CheckResult:
        result = run_check(self.check_id, self.zone, self.evaluation)
        self.item.stash[RESULT] = result
        return result

    def assert_passes(self) -> CheckResult:
        result = waive(self.item, self.run())
        if result.outcome is Outcome.WAIVED:
            pytest.xfail(waived_reason(result))
        if result.outcome in (Outcome.FAILED, Outcome.ERROR):
            pytest.fail(render_failure(result), pytrace=False)
        if result.outcome is Outcome.SKIPPED:
            pytest.skip(result.message)
        return result


def waive(item: pytest.Item, result: CheckResult) -> CheckResult:
    """The domain's waiver of this check applied to `result` (see waivers.py)."""
    callspec = getattr(item, "callspec", None)
    domain = callspec.params.get("domain") if callspec is not None else None
    conformance = item.config.stash.get(CONFORMANCE, None)
    if isinstance(domain, DomainSpec) and domain.waivers and conformance is not None:
        apply_waiver(result, domain.waivers, conformance.now)
    return result


def check_id_of(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker("dnssec_check")
    return str(marker.args[0]) if marker and marker.args else None


@pytest.fixture
def conformance(request: pytest.FixtureRequest, zone: ZoneData,
                evaluation: Evaluation) -> CheckRunner:
    """`conformance.assert_passes()` runs the test's `@pytest.mark.dnssec_check(ID)`."""
    check_id = check_id_of(request.node)
    if check_id is None:
        raise pytest.UsageError(f"{request.node.nodeid}: mark it @pytest.mark.dnssec_check(ID)")
    return CheckRunner(request.node, check_id, zone, evaluation)


class RunCheckRunner(CheckRunner):
    """Runs a run-scoped check (scope "run": measured once per run, not per zone)."""

    def __init__(self, item: pytest.Item, check_id: str, data: RunData,
                 evaluation: Evaluation):
        self.item, self.check_id, self.data, self.evaluation = item, check_id, data, evaluation

    def run(self) -> CheckResult:
        result = run_run_check(self.check_id, self.data, self.evaluation)
        self.item.stash[RESULT] = result
        return result


@pytest.fixture
def run_conformance(request: pytest.FixtureRequest,
                    dnssec_conformance: Conformance) -> CheckRunner:
    """Like `conformance`, for the checks of the run as a whole (the local clock)."""
    check_id = check_id_of(request.node)
    if check_id is None:
        raise pytest.UsageError(f"{request.node.nodeid}: mark it @pytest.mark.dnssec_check(ID)")
    return RunCheckRunner(request.node, check_id, dnssec_conformance.run_data(),
                          dnssec_conformance.evaluation())


class ObservedCheckRunner(CheckRunner):
    """Runs a resolver, canary or CoreDNS check (checks.resolver) over what the run observed."""

    def __init__(self, item: pytest.Item, check_id: str, subject: str, data: Any,
                 evaluation: Evaluation):
        self.item, self.check_id, self.evaluation = item, check_id, evaluation
        self.subject, self.data = subject, data

    def run(self) -> CheckResult:
        result = judge(self.check_id, self.subject, self.data, self.evaluation)
        self.item.stash[RESULT] = result
        return result


class SkippedCheckRunner(CheckRunner):
    """A check that does not apply to its subject: recorded as skipped, with the reason."""

    def __init__(self, item: pytest.Item, check_id: str, subject: str, reason: str):
        self.item, self.check_id, self.subject, self.reason = item, check_id, subject, reason

    def run(self) -> CheckResult:
        spec = get(self.check_id)
        result = CheckResult(self.subject, spec.id, spec.category, skipped_reason=self.reason)
        self.item.stash[RESULT] = result
        return result


def _marked_check(request: pytest.FixtureRequest) -> str:
    check_id = check_id_of(request.node)
    if check_id is None:
        raise pytest.UsageError(f"{request.node.nodeid}: mark it @pytest.mark.dnssec_check(ID)")
    return check_id


@pytest.fixture
def resolver_conformance(request: pytest.FixtureRequest, dnssec_conformance: Conformance,
                         domain: DomainSpec) -> CheckRunner:
    """Like `conformance`, for a check of what each resolver answers for the domain."""
    if domain.zone_file is not None:
        return SkippedCheckRunner(request.node, _marked_check(request), domain.display,
                                  "a zone file is checked as a file: no resolver serves it")
    evaluation = dnssec_conformance.evaluation(domain)
    verdict = zone_security(dnssec_conformance.zone(domain), evaluation)
    survey = replace(dnssec_conformance.resolvers.domain_survey(domain), verdict=verdict)
    return ObservedCheckRunner(request.node, _marked_check(request), domain.display, survey,
                               evaluation)


@pytest.fixture
def canary_conformance(request: pytest.FixtureRequest, dnssec_conformance: Conformance,
                       canary: dns.name.Name) -> CheckRunner:
    """Like `conformance`, for a check of what each resolver answers for a bogus canary."""
    evaluation = dnssec_conformance.evaluation()
    zone = dnssec_conformance.zone(DomainSpec(canary, ("A",)))
    survey = replace(dnssec_conformance.resolvers.canary_survey(canary),
                     verdict=zone_security(zone, evaluation))
    return ObservedCheckRunner(request.node, _marked_check(request), survey.subject, survey,
                               evaluation)


@pytest.fixture
def coredns_conformance(request: pytest.FixtureRequest,
                        dnssec_conformance: Conformance) -> CheckRunner:
    """Like `conformance`, for a check of CoreDNS's Corefile or metrics (record "coredns")."""
    check_id = _marked_check(request)
    return ObservedCheckRunner(request.node, check_id, get(check_id).subject,
                               dnssec_conformance.resolvers.coredns,
                               dnssec_conformance.evaluation())


def _observed_subject(spec: CheckSpec, callspec: Any) -> str | None:
    """The record's `domain` for a canary check (the canary) or a CoreDNS check."""
    if spec.scope == "coredns":
        return spec.subject
    canary = callspec.params.get("canary") if callspec is not None else None
    if spec.scope == "canary" and isinstance(canary, dns.name.Name):
        return canary.to_text(omit_final_dot=True)
    return None


def render_failure(result: CheckResult) -> str:
    lines = [f"{result.check} {result.outcome}: {result.message}"]
    ranked = sorted(result.findings, key=lambda f: f.severity, reverse=True)
    for finding in ranked:
        lines.append(f"  - {finding.describe()}")
    evidence = [f.evidence for f in ranked if f.evidence and f.severity >= Severity.ERROR]
    if evidence:
        text = "\n\n".join(dict.fromkeys(evidence))
        if len(text) > MAX_EVIDENCE_CHARS:
            text = text[:MAX_EVIDENCE_CHARS] + "\n;; [evidence truncated]"
        lines += ["", text]
    return "\n".join(lines)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> pytest.TestReport:
    report: pytest.TestReport = yield
    check_id = check_id_of(item)
    if check_id is None:
        return report
    spec = get(check_id)
    callspec = getattr(item, "callspec", None)
    domain = callspec.params.get("domain") if callspec is not None else None
    if isinstance(domain, DomainSpec):
        subject, kind = domain.display, DOMAIN
    elif spec.scope == "run":
        subject, kind = spec.subject, "run"
    elif (observed := _observed_subject(spec, callspec)) is not None:
        subject, kind = observed, spec.scope
    else:
        return report
    result = item.stash.get(RESULT, None)
    record = (record_of(result, spec.title, remediation=spec.remediation, kind=kind)
              if result is not None else None)
    report.dnssec = {  # type: ignore[attr-defined]  (travels to the xdist controller)
        "domain": subject, "kind": kind, "check": spec.id, "category": str(spec.category),
        "title": spec.title, "remediation": spec.remediation, "record": record,
    }
    if report.when == "call" and record is not None:
        # JUnit takes the test case's properties from its teardown report, made from these
        item.user_properties.extend(junit.properties(record))
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

    def __init__(self, path: Path, evaluated_at: float, domains_file: str | None):
        self.path = path
        self.evaluated_at = evaluated_at
        self.domains_file = domains_file
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
        write_atomically(self.path, document)
        self.document = document
        # results.json is written before the heartbeat (up to 30 s): a killed job keeps it.
        conformance = session.config.stash.get(CONFORMANCE, None)
        thresholds = conformance.config.thresholds if conformance else Thresholds()
        self.heartbeat_outcome = self._heartbeat(session.config, document, thresholds)
        document["heartbeat"] = self.heartbeat_outcome.as_record()
        write_atomically(self.path, document)

    @staticmethod
    def _heartbeat(config: pytest.Config, document: dict[str, Any], thresholds: Thresholds
                   ) -> heartbeat.HeartbeatOutcome:
        """A what-if run (--at) judges another instant than now: its verdict must not page
        anyone, so only a --heartbeat-url given on its command line sends it."""
        option = config.getoption("heartbeat_url")
        url = heartbeat.configured_url(option)
        if config.getoption("at") and url and not option:
            return heartbeat.HeartbeatOutcome(
                False, url=heartbeat.redact(url),
                reason="a what-if run (--at) sends no heartbeat unless --heartbeat-url is "
                       "given on its command line")
        return heartbeat.report_run(url, document, warning_days=thresholds.warning_days,
                                    critical_days=thresholds.critical_days)

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
        if getattr(self, "failed_on_warnings", False):
            tr.write_line("exit status 1: warnings fail this run (--fail-on warning)")


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
