"""What a suite test sees: the `conformance` fixture (a `SubjectVerdict`: one check on one
subject, looked up from the engine), the parametrization by subject, the ordering of tests
subject by subject, the family markers, the shards' deselection and the xdist scheduling by
domain."""

from __future__ import annotations

import re
from typing import Any

import pytest

from ..catalog import CheckSpec, all_checks
from ..config import shards
from ..config.model import Config
from ..engine.background import EngineError
from ..engine.runner import Subject
from ..findings import Severity
from .session import CONFORMANCE, Conformance, is_controller, shard_domains

MAX_EVIDENCE_CHARS = 4000


class SubjectVerdict:
    """One check on one subject, as a test sees it: `assert_passes()` looks its record up
    (waiting for the engine if it has not judged the subject yet)."""

    __slots__ = ("check_id", "conformance", "record", "subject")

    def __init__(self, conformance: Conformance, subject: Subject, check_id: str):
        self.conformance = conformance
        self.subject = subject
        self.check_id = check_id
        self.record: dict[str, Any] | None = None

    def __repr__(self) -> str:
        return f"SubjectVerdict({self.check_id}, {self.subject.name})"

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


def id_range(checks: dict[str, CheckSpec]) -> str:
    return f"{len(checks)} checks, {min(checks)} to {max(checks)}"


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
    metafunc.parametrize("conformance", [SubjectVerdict(state, s, spec.id) for s in subjects],
                         ids=[s.name for s in subjects])


NOT_IN_SHARD = "dnssec_not_in_shard"


def _other_shards(metafunc: pytest.Metafunc, shard: shards.Shard) -> None:
    """A test with no subject in this shard: one placeholder, deselected after collection
    (an empty parametrization would show as a skipped test)."""
    metafunc.parametrize("conformance", [pytest.param(
        None, id=f"not-in-shard-{shard.index}", marks=pytest.mark.dnssec_not_in_shard)])


@pytest.fixture
def conformance(request: pytest.FixtureRequest) -> SubjectVerdict:
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


VERDICT = pytest.StashKey["SubjectVerdict | None"]()


META = pytest.StashKey[dict[str, Any]]()  # what a test's reports carry (`report.dnssec`)


def verdict_of(item: pytest.Item) -> SubjectVerdict | None:
    """The verdict a test looks up (found once per test)."""
    if VERDICT not in item.stash:
        item.stash[VERDICT] = _find_verdict(item)
    return item.stash[VERDICT]


def _find_verdict(item: pytest.Item) -> SubjectVerdict | None:
    callspec = getattr(item, "callspec", None)
    verdict = callspec.params.get("conformance") if callspec is not None else None
    if isinstance(verdict, SubjectVerdict):
        return verdict
    funcargs = getattr(item, "funcargs", None) or {}
    found = funcargs.get("conformance")
    if isinstance(found, SubjectVerdict):
        return found
    state = item.config.stash.get(CONFORMANCE, None)
    spec = _spec_of(item)
    if state is None or spec is None or "conformance" not in getattr(item, "fixturenames", ()):
        return None
    if spec.scope in ("coredns", "run"):
        return SubjectVerdict(state, Subject("coredns" if spec.scope == "coredns" else "run",
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
                f"{id_range(checks)}): run the suites shipped with the package "
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


class Ordering:
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
                is_controller(session.config):
            return
        verdicts = (verdict_of(item) for item in session.items)
        state.plan((v.subject, v.check_id) for v in verdicts if v is not None)
        state.start()


def subject_order(config: Config) -> list[Subject]:
    """Domains in the file's order, then the canaries, CoreDNS and the local clock."""
    subjects = [Subject("domain", d.display) for d in config.domains]
    subjects += [Subject("canary", c.to_text(omit_final_dot=True))
                 for c in config.canaries.bogus]
    from ..checks.clock import CLOCK_SUBJECT
    from ..checks.resolver import COREDNS_SUBJECT

    return [*subjects, Subject("coredns", COREDNS_SUBJECT), Subject("run", CLOCK_SUBJECT)]


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
