"""What a check says about a zone: findings, their severities, and a check's outcome."""

from __future__ import annotations

import datetime
import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
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
    # A cloud DNS provider's own state (its signing status, its keys) that no DNS answer shows
    PROVIDER = "provider"


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
    WAIVED = "waived"  # failed or warned, and accepted by an active waiver in domains.yaml


@dataclass(frozen=True)
class Waiver:
    """A finding accepted for a while: one `waive:` entry of a domain in domains.yaml."""

    check: str
    reason: str
    until: datetime.date  # the first day (UTC) on which it no longer applies
    source: str = ""  # where it is written, "domains.yaml:12", for messages

    def active(self, now: float) -> bool:
        day = datetime.datetime.fromtimestamp(now, datetime.UTC).date()
        return day < self.until


Evidence = str | Callable[[], str]


def rendered(evidence: Evidence) -> str:
    return evidence() if callable(evidence) else evidence


def joined(*parts: Evidence) -> Evidence:
    """Evidence made of several parts, blank-line separated, rendered only when read."""
    return lambda: "\n\n".join(text for text in map(rendered, parts) if text)


@dataclass(frozen=True)
class Finding:
    """One observation of a check: a problem, a could-not-check, or an information.

    `evidence` may be given as a function that renders it: it is called the first time the
    evidence is read, so that what no report shows (the evidence of a passing check) is never
    rendered. Read, it is always the text."""

    severity: Severity
    message: str
    server: str | None = None  # "ns1.example.com. (192.0.2.1)" where the finding is per server
    evidence: Evidence = ""  # dig-like text: the query, the server, the records involved
    days_left: float | None = None  # for expiry findings: days until the signature expires
    event: bool = False  # a change to list as an event (a key added or removed), not a state
    # What kind of finding it is, stable across versions and wordings: results.json records
    # it as `CHECK/code` (`EXPIRY01/expired`); domains.yaml's `severities:` keys on it.
    code: str = ""
    # The check's ID: stamped by the runner (`catalog.run`), so a check never gives it; given
    # only where a finding is made or read back outside a check's run.
    check: str = field(default="", kw_only=True)

    def __getattribute__(self, name: str) -> Any:
        value = object.__getattribute__(self, name)
        if name == "evidence" and callable(value):
            value = value()
            object.__setattr__(self, "evidence", value)
        return value

    @property
    def raw_evidence(self) -> Evidence:
        """The evidence as given (a renderer is not called)."""
        return object.__getattribute__(self, "evidence")  # type: ignore[no-any-return]

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
    # Fields added to the record besides the findings: {"provider": {...}} (the provider
    # checks show the provider's view next to the DNS's).
    details: dict[str, Any] = field(default_factory=dict)
    waiver: Waiver | None = None  # an active waiver of this check (see waivers.apply_waiver)

    @property
    def outcome(self) -> Outcome:
        judged = self.judged_outcome
        if self.waiver is not None and judged in (Outcome.FAILED, Outcome.WARNING):
            return Outcome.WAIVED
        return judged

    @property
    def judged_outcome(self) -> Outcome:
        """What the findings say, before any waiver."""
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


# What one check's record may carry, so that results.json, the report and JUnit stay bounded
# whatever a hostile zone sends (thousands of servers or records, huge RRsets): the most
# severe findings are kept, and every cut says what it left out.
MAX_FINDINGS = 100
MAX_MESSAGE_CHARS = 2000
MAX_EVIDENCE_CHARS = 8192
MAX_RESULT_EVIDENCE_CHARS = 32768


def bounded(findings: list[Finding]) -> list[Finding]:
    """`findings` within the bounds above: at most MAX_FINDINGS (the most severe, in their
    order, and one more saying how many were left out), each message one line and cut to its
    share, as each evidence, with a note of what was cut."""
    if len(findings) > MAX_FINDINGS:
        ranked = sorted(range(len(findings)), key=lambda i: findings[i].severity, reverse=True)
        keep = set(ranked[:MAX_FINDINGS])
        left_out = [findings[i] for i in ranked[MAX_FINDINGS:]]
    else:
        keep, left_out = set(range(len(findings))), []
    budget = MAX_RESULT_EVIDENCE_CHARS
    result = []
    for index, finding in enumerate(findings):
        if index not in keep:
            continue
        message = finding.message
        if finding.severity is Severity.INFO:
            # Information carries no evidence in any output: leave it unrendered.
            evidence = finding.raw_evidence
        else:
            evidence = cut(rendered(finding.evidence), min(MAX_EVIDENCE_CHARS, budget), "evidence")
            budget = max(0, budget - len(evidence))
        if len(message.splitlines()) > 1:  # quoting a library's or a server's text
            message = " ".join(message.split())
        message = cut(message, MAX_MESSAGE_CHARS, "message", one_line=True)
        if message != finding.message or evidence is not finding.raw_evidence:
            finding = replace(finding, evidence=evidence, message=message)
        result.append(finding)
    if left_out:
        worst = max(f.severity for f in left_out)
        result.append(Finding(Severity.INFO,
                              f"{len(left_out)} more finding(s) left out, none more severe "
                              f"than those shown (the worst left out: {worst.label})",
                              code="findings-left-out", check=left_out[0].check))
    return result


def cut(text: str, limit: int, what: str, *, one_line: bool = False) -> str:
    """`text` cut to about `limit` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    if one_line:
        return f"{text[:limit]}… [{what} cut: {len(text) - limit} characters left out]"
    head = text[:limit]
    if "\n" in head:
        head = head[:head.rindex("\n")]
    kept = f"{head}\n" if head else ""
    return (f"{kept};; [{what} cut: {len(text) - len(head)} of {len(text)} characters left "
            "out]")


class Security(enum.StrEnum):
    """A zone's DNSSEC status as a validator sees it (RFC 4035 §4.3)."""

    SECURE = "secure"
    INSECURE = "insecure"
    BOGUS = "bogus"
    UNKNOWN = "unknown"  # the data needed to decide could not be fetched
