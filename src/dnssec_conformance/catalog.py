"""The catalog: every check, its stable ID, and how to run one.

Adding a check touches its function (with `@register`), this catalog's module list, and its
scenario tests. IDs are never reused: a retired check keeps its ID in `RETIRED`.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .collect import ZoneData
from .context import Evaluation
from .findings import Category, CheckResult, Finding, Severity

CheckFunction = Callable[[ZoneData, Evaluation], Iterable[Finding]]

CHECK_MODULES = (
    "dnssec_conformance.checks.expiry",
    "dnssec_conformance.checks.delegation",
    "dnssec_conformance.checks.signature",
    "dnssec_conformance.checks.algorithm",
    "dnssec_conformance.checks.clock",
    "dnssec_conformance.checks.denial",
)
RETIRED: dict[str, str] = {}


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

    @property
    def description(self) -> str:
        doc = inspect.getdoc(self.function) or ""
        return doc.split("Remediation:")[0].strip()

    @property
    def remediation(self) -> str:
        doc = inspect.getdoc(self.function) or ""
        _, _, tail = doc.partition("Remediation:")
        return " ".join(tail.split())


_REGISTRY: dict[str, CheckSpec] = {}


def register(*, id: str, name: str, title: str, category: Category, severity: Severity,
             rfc: str, marker: str) -> Callable[[CheckFunction], CheckFunction]:
    def decorate(function: CheckFunction) -> CheckFunction:
        known = _REGISTRY.get(id)
        reloaded = known is not None and (known.function.__module__, known.function.__qualname__
                                          ) == (function.__module__, function.__qualname__)
        if (known is not None and not reloaded) or id in RETIRED:
            raise ValueError(f"check ID {id} is already taken")
        if "Remediation:" not in (function.__doc__ or ""):
            raise ValueError(f"check {id} has no 'Remediation:' in its docstring")
        _REGISTRY[id] = CheckSpec(id, name, title, category, severity, rfc, marker, function)
        return function

    return decorate


def all_checks() -> dict[str, CheckSpec]:
    for module in CHECK_MODULES:
        importlib.import_module(module)
    return dict(sorted(_REGISTRY.items()))


def get(check_id: str) -> CheckSpec:
    checks = all_checks()
    if check_id not in checks:
        raise KeyError(f"unknown check {check_id!r}")
    return checks[check_id]


def run_check(check_id: str, zone: ZoneData, evaluation: Evaluation) -> CheckResult:
    """Run one check over collected data: pure, deterministic for a given `evaluation`."""
    spec = get(check_id)
    result = CheckResult(zone.domain.display, spec.id, spec.category)
    if zone.discovery_failure is not None:
        severity = Severity.CRITICAL if "does not exist" in zone.discovery_failure \
            else Severity.ERROR
        result.findings.append(Finding(spec.id, severity, zone.discovery_failure,
                                       evidence=zone.discovery_evidence))
        return result
    result.findings.extend(spec.function(zone, evaluation))
    days = [f.days_left for f in result.findings if f.days_left is not None]
    result.days_left = min(days) if days else None
    return result


def markdown_catalog() -> str:
    """The catalog as the docs list it (docs/checks.md is tested against this)."""
    lines = ["# Check catalog", "",
             "Generated from the code by `python -m dnssec_conformance.catalog`; a test keeps "
             "it in step.", "",
             "| ID | name | category | worst severity | marker | RFC | title |",
             "|---|---|---|---|---|---|---|"]
    checks = all_checks()
    for spec in checks.values():
        lines.append(f"| `{spec.id}` | {spec.name} | `{spec.category}` | "
                     f"{spec.severity.label} | `{spec.marker}` | {spec.rfc} | {spec.title} |")
    for spec in checks.values():
        lines += ["", f"## {spec.id} — {spec.title}", "",
                  f"Category `{spec.category}`, marker `{spec.marker}`, enforces {spec.rfc}.",
                  "", spec.description, "", f"**Remediation:** {spec.remediation}"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    # Run as a script this file is `__main__`: the checks register in the imported module.
    from dnssec_conformance import catalog

    print(catalog.markdown_catalog(), end="")
