"""The run at a glance, as every human-facing output shows it: subjects worst first, healthy
domains counted rather than listed when there are many, the other subjects (canaries, CoreDNS,
this host's clock) apart from the domains, and identical could-not-check records grouped.

Pure functions of results.json data (see results.py), shared by the terminal summary, the
one-screen summary, the HTML report and the Nagios output.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .results import DOMAIN, JUDGED, kind_of

# Worst first, as the person paged reads them: a failure, a warning, a check that could not
# run, a subject nothing was judged for, then the healthy ones.
FAILED, WARNING, UNCHECKED, NOT_CHECKED, HEALTHY = range(5)
RANK_LABELS = ("critical", "warning", "could not check", "not checked", "healthy")
# More healthy domains than this are folded into one count.
HEALTHY_LISTED = 10
# The other subjects' names in sentences: results.json's `kind` -> (one, many)
KIND_WORDS = {"canary": ("canary", "canaries"), "coredns": ("CoreDNS", "CoreDNS"),
              "run": ("local clock", "local clocks"), DOMAIN: ("domain", "domains")}


def rank_of(summary: Mapping[str, Any]) -> int:
    """Where a subject (a domain summary of results.json) sorts: see RANK_LABELS."""
    outcomes = summary.get("outcomes") or {}
    if outcomes.get("failed"):
        return FAILED
    if outcomes.get("warning"):
        return WARNING
    if outcomes.get("error"):
        return UNCHECKED
    if not any(outcomes.get(str(o)) for o in JUDGED):
        return NOT_CHECKED
    return HEALTHY


def worst_first(summaries: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Subjects by rank, then soonest expiry, then name."""
    def key(summary: Mapping[str, Any]) -> tuple[int, bool, float, str]:
        days = summary.get("days_left")
        return (rank_of(summary), days is None, days if days is not None else 0.0,
                str(summary["domain"]))

    return sorted(summaries, key=key)


def domains_and_others(summaries: Iterable[Mapping[str, Any]]
                       ) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    domains: list[Mapping[str, Any]] = []
    others: list[Mapping[str, Any]] = []
    for summary in summaries:
        (domains if kind_of(summary) == DOMAIN else others).append(summary)
    return domains, others


@dataclass
class Listing:
    """Subjects to show one by one, and the healthy ones folded into a count."""

    shown: list[Mapping[str, Any]]
    folded_healthy: list[Mapping[str, Any]] = field(default_factory=list)


def fold_healthy(summaries: Iterable[Mapping[str, Any]], limit: int = HEALTHY_LISTED
                 ) -> Listing:
    ordered = worst_first(summaries)
    healthy = [s for s in ordered if rank_of(s) == HEALTHY]
    if len(healthy) <= limit:
        return Listing(ordered)
    return Listing([s for s in ordered if rank_of(s) != HEALTHY], healthy)


def counts_line(summaries: Sequence[Mapping[str, Any]]) -> str:
    """`36 domains: 2 critical, 1 warning, 33 healthy; also checked: 1 canary, CoreDNS`."""
    domains, others = domains_and_others(summaries)
    ranks = [rank_of(s) for s in domains]
    parts = [f"{ranks.count(rank)} {label}" for rank, label in enumerate(RANK_LABELS)
             if ranks.count(rank)]
    text = f"{len(domains)} {plural(len(domains), DOMAIN)}"
    text += f": {', '.join(parts)}" if parts else ""
    if others:
        text += "; also checked: " + other_subjects(others)
    return text


def other_subjects(others: Iterable[Mapping[str, Any]]) -> str:
    kinds: dict[str, int] = {}
    for summary in others:
        kinds[kind_of(summary)] = kinds.get(kind_of(summary), 0) + 1
    return ", ".join(f"{n} {plural(n, kind)}" if kind == "canary" else plural(n, kind)
                     for kind, n in kinds.items())


def plural(count: int, kind: str) -> str:
    one, many = KIND_WORDS.get(kind, (kind, kind))
    return one if count == 1 else many


# --------------------------------------------------------------------------------------------
# Could-not-check records that say the same thing
# --------------------------------------------------------------------------------------------


@dataclass
class UncheckedGroup:
    """Could-not-check records whose messages are the same once the subject's own name is
    taken out: one outage (a resolver down) seen by every check of every domain."""

    message: str  # with `<domain>` where each record had its subject's name
    records: list[Mapping[str, Any]] = field(default_factory=list)

    @property
    def subjects(self) -> list[str]:
        return list(dict.fromkeys(str(r["domain"]) for r in self.records))

    @property
    def checks(self) -> list[str]:
        return sorted({str(r["check"]) for r in self.records})

    def describe(self, names_shown: int = 3) -> str:
        subjects = self.subjects
        names = ", ".join(subjects[:names_shown])
        more = f" +{len(subjects) - names_shown} more" if len(subjects) > names_shown else ""
        return (f"{len(subjects)} {plural(len(subjects), DOMAIN)} × {len(self.checks)} "
                f"{'check' if len(self.checks) == 1 else 'checks'} "
                f"({len(self.records)} records): {self.message} [{names}{more}]")


def _general(message: str, subject: str) -> str:
    name = re.escape(subject.rstrip("."))
    return re.sub(rf"(?<![\w.-]){name}\.?(?![\w-])", "<domain>", message, flags=re.IGNORECASE)


def unchecked_groups(records: Iterable[Mapping[str, Any]], *, min_records: int = 2
                     ) -> tuple[list[UncheckedGroup], list[Mapping[str, Any]]]:
    """The could-not-check records grouped by what they say; groups smaller than
    `min_records` come back as single records (the second list), in order."""
    groups: dict[str, UncheckedGroup] = {}
    for record in records:
        if record["outcome"] != "error":
            continue
        message = _general(str(record["message"]), str(record["domain"]))
        groups.setdefault(message, UncheckedGroup(message)).records.append(record)
    big = [g for g in groups.values() if len(g.records) >= min_records]
    singles = [g.records[0] for g in groups.values() if len(g.records) < min_records]
    big.sort(key=lambda g: (-len(g.records), g.message))
    return big, singles
