"""The catalog: every check, its stable ID, and how to run one.

Adding a check touches its function (with `@register`), this catalog's module list, and its
scenario tests. IDs are never reused: a retired check keeps its ID in `RETIRED`.

A check returns its own findings, without its ID: `run` stamps it, and folds the findings
over the servers and adds the unusable servers' where the registration asks (`merge`,
`unusable`), so that every check does both the same way.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, Literal

from .analysis.evaluation import Evaluation
from .analysis.zone import SERVERS_ONLY, Unusable, merge_servers, unusable_servers
from .errors import NotApplicable
from .findings import Category, CheckResult, Finding, Severity, bounded
from .probe.data import ZoneData
from .probe.ntp import ClockReading

# A zone check reads a ZoneData; a run check (scope "run") reads a RunData: what the run
# measured once, outside any zone (the local clock).
CheckFunction = Callable[[Any, Evaluation], Iterable[Finding]]
# What a zone check's record shows besides its findings (the provider checks: the provider's
# view next to the DNS's), as fields added to the record: {"provider": {...}}.
DetailsFunction = Callable[[ZoneData, Evaluation], dict[str, Any]]
# resolver, canary, coredns: checks.resolver's own data (per domain, per canary, per run)
Scope = Literal["zone", "run", "resolver", "canary", "coredns"]
Need = Literal["key_history"]

# One module per family, named like the family's marker and its suite file
# (checks/<marker>.py, suites/test_<marker>.py).
FAMILIES = ("algorithm", "chain", "clock", "consistency", "denial", "expiry", "provider",
            "resolver", "rollover", "transfer")
CHECK_MODULES = tuple(f"dnssec_conformance.checks.{family}" for family in FAMILIES)
SUITES_PACKAGE = "dnssec_conformance.suites"
RETIRED: dict[str, str] = {}
# Finding codes any check may report: what the runner, the engine and the shared analyses
# say on a check's behalf.
COMMON_CODES = (
    "zone-does-not-exist", "discovery-failed",  # the zone does not exist, or was not found
    "internal-error", "waiver-expired", "findings-left-out",
    "server-unusable", "answer-unusable",  # a server, or one of its answers, is unusable
    "broken-above", "parent-ds-broken",  # the chain of trust breaks above the zone
    "not-proven", "proof-unchecked", "opt-out-only",  # a denial proof the check reads
)
# The check that reports a zone file that does not load; the others skip such a file.
ZONE_FILE_CHECK = "SIG02"

# What each family's checks read besides the apex SOA, DNSKEY and NS and the parent's DS (see
# `collect.ProbePlan`): the probe asks only that. A family not listed here gets everything.
FAMILY_NEEDS: dict[str, frozenset[str]] = {
    "expiry": frozenset({"records", "denial", "signing"}),
    "chain": frozenset({"records"}),
    "algorithm": frozenset({"records"}),
    "clock": frozenset({"records", "denial"}),
    "denial": frozenset({"denial"}),
    "resolver": frozenset({"records"}),  # judged against our validation of that RRset
    "consistency": frozenset({"records"}),
    "rollover": frozenset({"cds"}),
    "provider": frozenset({"provider", "denial"}),
    # each copy is judged against the live answers: the signing mode, the serials
    "transfer": frozenset({"transfer", "signing"}),
}
EVERYTHING = frozenset({"records", "denial", "cds", "signing", "provider", "transfer"})


@dataclass(frozen=True)
class CheckSpec:
    id: str
    name: str
    title: str
    category: Category
    severity: Severity  # the worst severity this check reports
    rfc: str
    marker: str  # the pytest marker of its family: expiry, chain, algorithm, clock, denial
    function: CheckFunction
    scope: Scope = "zone"
    subject: str = ""  # for run checks: what results.json names in the record's `domain`
    details: DetailsFunction | None = None
    # What the check reads besides its scope's data, for the engine to provide:
    # "key_history": the zone's key history between runs, in the evaluation.
    needs: frozenset[Need] = frozenset()
    # The codes of its findings (`expired`, `expires-soon`, ...), stable across versions:
    # results.json records each finding's as `ID/code`, domains.yaml's `severities:` keys on
    # them. COMMON_CODES may come from any check.
    codes: tuple[str, ...] = ()
    # What the runner does to the check's findings: fold those that differ only by server into
    # one (`merge`), then add the could-not-check findings of the servers and answers the
    # check reads (`unusable`: SERVERS_ONLY, EVERY_QUESTION or a tuple of types).
    merge: bool = False
    unusable: Unusable | None = None

    def code_ids(self) -> tuple[str, ...]:
        return tuple(f"{self.id}/{code}" for code in self.codes)

    @property
    def description(self) -> str:
        return _docstring_parts(self.function)[0]

    @property
    def remediation(self) -> str:
        return _docstring_parts(self.function)[1]


@functools.cache
def _docstring_parts(function: CheckFunction) -> tuple[str, str]:
    """A check's description and its remediation (one line), from its docstring."""
    doc = inspect.getdoc(function) or ""
    description, _, remediation = doc.partition("Remediation:")
    return description.strip(), " ".join(remediation.split())


_REGISTRY: dict[str, CheckSpec] = {}


def register(*, id: str, name: str, title: str, category: Category, severity: Severity,
             rfc: str, marker: str, scope: Scope = "zone", subject: str = "",
             details: DetailsFunction | None = None, needs: Iterable[Need] = (),
             codes: Iterable[str] = (), merge: bool = False, unusable: Unusable | None = None
             ) -> Callable[[CheckFunction], CheckFunction]:
    def decorate(function: CheckFunction) -> CheckFunction:
        known = _REGISTRY.get(id)
        reloaded = known is not None and (known.function.__module__, known.function.__qualname__
                                          ) == (function.__module__, function.__qualname__)
        if (known is not None and not reloaded) or id in RETIRED:
            raise ValueError(f"check ID {id} is already taken")
        if "Remediation:" not in (function.__doc__ or ""):
            raise ValueError(f"check {id} has no 'Remediation:' in its docstring")
        if unusable is not None and scope != "zone":
            raise ValueError(f"check {id}: only a zone check reads authoritative servers")
        _REGISTRY[id] = CheckSpec(id, name, title, category, severity, rfc, marker, function,
                                  scope, subject, details, frozenset(needs),
                                  tuple(sorted({*codes, *COMMON_CODES})), merge, unusable)
        return function

    return decorate


_LOADED: list[bool] = []


def all_checks() -> dict[str, CheckSpec]:
    if not _LOADED:
        for module in CHECK_MODULES:
            importlib.import_module(module)
        _LOADED.append(True)
    return dict(sorted(_REGISTRY.items()))


def get(check_id: str) -> CheckSpec:
    if not _LOADED:
        all_checks()
    spec = _REGISTRY.get(check_id)
    if spec is None:
        raise KeyError(f"unknown check {check_id!r}")
    return spec


def run(check_id: str, data: Any, evaluation: Evaluation) -> CheckResult:
    """Run one check over what was observed, whatever its scope: a zone's `ZoneData`, a
    resolver `Survey` (per domain or canary), CoreDNS's view, or the run's `RunData`. Pure,
    deterministic for a given `evaluation`."""
    spec = get(check_id)
    if spec.scope == "zone":
        return _run_on_zone(spec, data, evaluation)
    # A survey names its domain or canary; CoreDNS and the clock are named by the check.
    subject = data.subject if spec.scope in ("resolver", "canary") else spec.subject
    result = CheckResult(subject, spec.id, spec.category)
    try:
        result.findings.extend(findings_of(spec, data, evaluation))
    except NotApplicable as exc:
        result.findings.clear()
        result.skipped_reason = str(exc)
    result.findings = _as_configured(spec, bounded(result.findings), evaluation)
    return result


def findings_of(spec: CheckSpec, data: Any, evaluation: Evaluation) -> list[Finding]:
    """What the check finds, as its registration asks: folded over the servers (`merge`),
    then the could-not-check findings of what it reads (`unusable`). Not yet stamped with
    its ID, nor bounded: `run` does that."""
    findings = list(spec.function(data, evaluation))
    if spec.merge:
        findings = merge_servers(findings)
    if isinstance(spec.unusable, tuple):
        findings += unusable_servers(data, spec.unusable)
    elif spec.unusable == SERVERS_ONLY:
        findings += unusable_servers(data)
    return findings


def _as_configured(spec: CheckSpec, findings: list[Finding], evaluation: Evaluation
                   ) -> list[Finding]:
    """Each finding under the check's ID, at the severity domains.yaml gives its code
    (`severities:`), if it gives one."""
    overrides = evaluation.severities
    stamped = []
    for finding in findings:
        if finding.check != spec.id:
            finding = replace(finding, check=spec.id)
        severity = overrides.get(f"{spec.id}/{finding.code}") if overrides else None
        if severity is not None and severity is not finding.severity:
            finding = replace(finding, severity=severity)
        stamped.append(finding)
    return stamped


def _run_on_zone(spec: CheckSpec, zone: ZoneData, evaluation: Evaluation) -> CheckResult:
    result = CheckResult(zone.domain.display, spec.id, spec.category)
    if spec.details is not None:
        result.details = spec.details(zone, evaluation)
    if zone.discovery_failure is not None and zone.source == "file":
        if spec.id != ZONE_FILE_CHECK:  # one broken file is one finding, in one place
            result.skipped_reason = (f"the zone file does not load ({ZONE_FILE_CHECK} says "
                                     "why): nothing to judge")
            return result
    elif zone.discovery_failure is not None:
        defect = zone.nonexistent
        severity = Severity.CRITICAL if defect else Severity.ERROR
        result.findings.append(Finding(severity, zone.discovery_failure,
                                       evidence=zone.discovery_evidence,
                                       code="zone-does-not-exist" if defect
                                       else "discovery-failed"))
        result.findings = _as_configured(spec, result.findings, evaluation)
        return result
    try:
        result.findings.extend(findings_of(spec, zone, evaluation))
    except NotApplicable as exc:
        result.findings.clear()
        result.skipped_reason = str(exc)
        return result
    days = [f.days_left for f in result.findings if f.days_left is not None]
    result.days_left = min(days) if days else None
    result.findings = _as_configured(spec, bounded(result.findings), evaluation)
    return result


@dataclass(frozen=True)
class RunData:
    """What a run measures once, outside any zone."""

    clock: ClockReading | None = None  # None: no NTP server configured


def needs_of(check_id: str) -> frozenset[str]:
    """The question groups a check reads (`collect.ProbePlan`)."""
    return FAMILY_NEEDS.get(get(check_id).marker, EVERYTHING)


def zone_checks() -> list[str]:
    return [i for i, spec in all_checks().items() if spec.scope == "zone"]


def suite_tests() -> dict[str, tuple[str, str]]:
    """Check ID -> (suite module file, test function), from the suites shipped with the
    package: the names pytest gives each check's test."""
    package = importlib.import_module(SUITES_PACKAGE)
    found: dict[str, tuple[str, str]] = {}
    for info in pkgutil.iter_modules(package.__path__):
        if not info.name.startswith("test_"):
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for name, function in vars(module).items():
            for mark in getattr(function, "pytestmark", []) if name.startswith("test_") else []:
                if mark.name == "dnssec_check" and mark.args:
                    found[str(mark.args[0])] = (f"{info.name}.py", name)
    return found


def source_of(spec: CheckSpec) -> str:
    """The check's file in the repository (`src/dnssec_conformance/checks/chain.py`)."""
    return "src/" + spec.function.__module__.replace(".", "/") + ".py"


def markdown_catalog() -> str:
    """The catalog as the docs list it (docs/checks.md is tested against this)."""
    lines = ["# Check catalog", "",
             "Generated from the code by `python -m dnssec_conformance.catalog`; a test keeps "
             "it in step.", "",
             "Every finding carries a code, `CHECK/code` in results.json (`EXPIRY01/expired`), "
             "stable across versions and wordings; domains.yaml's `severities:` sets your own "
             "level for one. Each check's codes are listed with it; any check may also report "
             "these: " + ", ".join(f"`{code}`" for code in COMMON_CODES) + ".", "",
             "| ID | name | category | worst severity | marker | RFC | title |",
             "|---|---|---|---|---|---|---|"]
    checks = all_checks()
    tests = suite_tests()
    for spec in checks.values():
        lines.append(f"| `{spec.id}` | {spec.name} | `{spec.category}` | "
                     f"{spec.severity.label} | `{spec.marker}` | {spec.rfc} | {spec.title} |")
    for spec in checks.values():
        scope = (f" Judged once per run; results.json names it `{spec.subject}`."
                 if spec.scope == "run" else "")
        lines += ["", f"## {spec.id} — {spec.title}", "",
                  f"Category `{spec.category}`, marker `{spec.marker}`, enforces {spec.rfc}."
                  + scope, "",
                  f"Code: `{source_of(spec)}` (`{spec.function.__name__}`); suite test: "
                  f"`suites/{tests[spec.id][0]}::{tests[spec.id][1]}`.", "",
                  "Finding codes: " + ", ".join(
                      f"`{spec.id}/{code}`" for code in spec.codes if code not in COMMON_CODES)
                  + " (and the common ones).",
                  "", spec.description, "", f"**Remediation:** {spec.remediation}"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    # Run as a script this file is `__main__`: the checks register in the imported module.
    from . import catalog

    print(catalog.markdown_catalog(), end="")
