"""Waivers: a domain's accepted findings (`waive:` in domains.yaml), each until its date.

An active waiver turns a failed or warning check into `waived`: still shown everywhere, with
its findings and the reason, but no longer raising the run's status. It never hides a check
that could not run (`error`): being blind is not a finding anyone accepted. From its `until`
day on, a waiver is expired: the check counts again, and the stale entry is itself a warning
on that check, so that it gets renewed or removed.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..findings import CheckResult, Finding, Outcome, Severity, Waiver

WAIVABLE = (Outcome.FAILED, Outcome.WARNING)


def waiver_for(check: str, waivers: Iterable[Waiver]) -> Waiver | None:
    return next((w for w in waivers if w.check == check), None)


def apply_waiver(result: CheckResult, waivers: Iterable[Waiver], now: float) -> CheckResult:
    """`result` with its domain's waiver of this check applied (in place), as of `now`."""
    waiver = waiver_for(result.check, waivers)
    if waiver is None or result.judged_outcome is Outcome.SKIPPED:
        return result
    if not waiver.active(now):
        where = f" ({waiver.source})" if waiver.source else ""
        result.findings.append(Finding(
            Severity.WARNING,
            f"the waiver of {result.check} expired on {waiver.until.isoformat()}{where}: "
            f"{waiver.reason!r} no longer applies; renew or remove it in domains.yaml",
            code="waiver-expired", check=result.check))
    elif result.judged_outcome in WAIVABLE:
        result.waiver = waiver
    return result


def waived_reason(result: CheckResult) -> str:
    """One line for pytest's xfail reason and the reports."""
    waiver = result.waiver
    if waiver is None:
        return ""
    return (f"waived until {waiver.until.isoformat()}: {waiver.reason} "
            f"({result.judged_outcome}: {result.message})")
