"""What a check says about a zone: findings, their severities, and a check's outcome."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any


class Category(enum.StrEnum):
    """The failure-mode families: a fixed set, part of the results.json contract."""

    EXPIRED_RRSIG = "expired-rrsig"
    MISSING_DS = "missing-ds"
    KEY_MISMATCH = "key-mismatch"
    BAD_SIGNATURE = "bad-signature"
    ALGORITHM = "algorithm"
    DENIAL = "denial"
    CLOCK_SKEW = "clock-skew"
    RESOLVER_AD = "resolver-ad"
    CONSISTENCY = "consistency"
    ROLLOVER = "rollover"


class Severity(enum.IntEnum):
    """How bad a finding is. ERROR means "could not check": unknown is not healthy."""

    INFO = 1
    WARNING = 2
    ERROR = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        return self.name.lower()


class Outcome(enum.StrEnum):
    PASSED = "passed"
    WARNING = "warning"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"


Evidence = str | Callable[[], str]


@dataclass(frozen=True)
class Finding:
    """One observation of a check: a problem, a could-not-check, or an information.

    `evidence` may be given as a function that renders it: it is called the first time the
    evidence is read, so that what no report shows (the evidence of a passing check) is never
    rendered. Read, it is always the text."""

    check: str
    severity: Severity
    message: str
    server: str | None = None  # "ns1.example.com. (192.0.2.1)" where the finding is per server
    evidence: Evidence = ""  # dig-like text: the query, the server, the records involved
    days_left: float | None = None  # for expiry findings: days until the signature expires
    event: bool = False  # a change to list as an event (a key added or removed), not a state

    def __getattribute__(self, name: str) -> Any:
        value = object.__getattribute__(self, name)
        if name == "evidence" and callable(value):
            value = value()
            object.__setattr__(self, "evidence", value)
        return value

    def describe(self) -> str:
        where = f" [{self.server}]" if self.server else ""
        return f"{self.severity.label}: {self.message}{where}"


@dataclass
class CheckResult:
    """The verdict of one check on one domain, as results.json records it."""

    domain: str
    check: str
    category: Category
    findings: list[Finding] = field(default_factory=list)
    days_left: float | None = None  # the expiry checks fill it in: the earliest across servers
    skipped_reason: str | None = None

    @property
    def outcome(self) -> Outcome:
        return outcome_of(self.findings, skipped=self.skipped_reason is not None)

    @property
    def severity(self) -> Severity | None:
        return max((f.severity for f in self.findings), default=None)

    @property
    def message(self) -> str:
        """One line: the most severe finding, and how many more there are."""
        if self.skipped_reason is not None:
            return self.skipped_reason
        ranked = sorted(self.findings, key=lambda f: f.severity, reverse=True)
        if not ranked or (ranked[0].severity is Severity.INFO and self.outcome is Outcome.PASSED):
            info = ranked[0].message if ranked else ""
            return f"ok ({info})" if info else "ok"
        head = ranked[0]
        text = head.message + (f" at {head.server}" if head.server else "")
        more = len([f for f in ranked if f.severity > Severity.INFO]) - 1
        return text + (f" (+{more} more)" if more > 0 else "")


def outcome_of(findings: Iterable[Finding], *, skipped: bool = False) -> Outcome:
    """Failed beats could-not-check beats warning: a server we could not ask never hides a
    failure that another server shows."""
    if skipped:
        return Outcome.SKIPPED
    severities = {f.severity for f in findings}
    if Severity.CRITICAL in severities:
        return Outcome.FAILED
    if Severity.ERROR in severities:
        return Outcome.ERROR
    if Severity.WARNING in severities:
        return Outcome.WARNING
    return Outcome.PASSED
