"""The run as a Nagios/Icinga plugin reports it: `dnssec-conformance --nagios`.

Plugin exit codes (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN) and the plugin output format:
one line `DNSSEC STATE - text | perfdata`, then one line per check that did not pass (the
long output), with the days left until the earliest signature expiry of every domain as
performance data (`'example.com'=12.40;@~:7;@~:3;;`: a warning at 7 days or less, critical at
3 or less, the domain's own thresholds). Following the plugin guidelines, a check that could
not run (a server that does not answer) is CRITICAL, like the results' status; UNKNOWN is for
a run that judged nothing: a bad domains.yaml or option, no test selected, an interrupted run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..config.model import Thresholds
from . import overview

OK, WARNING, CRITICAL, UNKNOWN = 0, 1, 2, 3
STATE_NAMES = ("OK", "WARNING", "CRITICAL", "UNKNOWN")
STATES = {"healthy": OK, "warning": WARNING, "critical": CRITICAL}
PROBLEMS = ("failed", "error", "warning")
MAX_NAMED = 3  # problem domains named on the first line
MAX_FIRST_LINE_PERFDATA = 1000  # characters; more goes to the lines after the long output


@dataclass(frozen=True)
class PluginOutput:
    state: int
    text: str  # every line, perfdata included


def _perf_label(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def _number(value: float) -> str:
    return f"{value:g}"


def perfdata(document: Mapping[str, Any],
             thresholds: Mapping[str, Thresholds] | None = None) -> list[str]:
    """Days left per domain with its thresholds, then the domains per status."""
    thresholds = thresholds or {}
    domains, _others = overview.domains_and_others(document["domains"])
    items = []
    for summary in sorted(domains, key=lambda s: str(s["domain"])):
        days = summary.get("days_left")
        if days is None:
            continue
        own = thresholds.get(str(summary["domain"]))
        limits = (f";@~:{_number(own.warning_days)};@~:{_number(own.critical_days)};;"
                  if own is not None else ";;;;")
        items.append(f"{_perf_label(str(summary['domain']))}={days:.2f}{limits}")
    ranks = [overview.rank_of(s) for s in domains]
    for rank, label in ((overview.FAILED, "domains_critical"),
                        (overview.WARNING, "domains_warning"),
                        (overview.UNCHECKED, "domains_unchecked"),
                        (overview.HEALTHY, "domains_healthy")):
        items.append(f"{label}={ranks.count(rank)};;;0;{len(domains)}")
    return items


def _first_line(state: int, document: Mapping[str, Any]) -> str:
    text = overview.counts_line(document["domains"])
    named = [s for s in overview.worst_first(document["domains"])
             if overview.rank_of(s) < overview.NOT_CHECKED][:MAX_NAMED]
    if named:
        problems: dict[str, list[str]] = {}
        for record in document["results"]:
            if record["outcome"] in PROBLEMS:
                problems.setdefault(str(record["domain"]), []).append(str(record["check"]))
        worst = "; ".join(f"{s['domain']} {' '.join(problems.get(str(s['domain']), []))}"
                          for s in named)
        text += f"; worst: {worst}"
    return f"DNSSEC {STATE_NAMES[state]} - {text}"


def _long_output(document: Mapping[str, Any]) -> list[str]:
    ranks = {s["domain"]: overview.rank_of(s) for s in document["domains"]}
    groups, singles = overview.unchecked_groups(document["results"])
    shown = [r for r in document["results"] if r["outcome"] in ("failed", "warning")]
    shown += singles
    shown.sort(key=lambda r: (ranks[r["domain"]], r["domain"], r["check"]))
    lines = [f"{r['outcome'].upper().replace('ERROR', 'UNCHECKED')}: {r['domain']} "
             f"{r['check']}: {r['message']}" for r in shown]
    lines += [f"UNCHECKED: {group.describe()}" for group in groups]
    waived = [r for r in document["results"] if r["outcome"] == "waived"]
    lines += [f"WAIVED: {r['domain']} {r['check']} until {r.get('waiver', {}).get('until')}"
              for r in waived]
    return lines


def render(document: Mapping[str, Any] | None, *,
           thresholds: Mapping[str, Thresholds] | None = None,
           problem: str = "") -> PluginOutput:
    """The plugin output of a finished run (`document`: its results.json). Without a
    document, or one that judged nothing, the state is UNKNOWN and `problem` says why."""
    if document is None or document["status"] not in STATES or document.get("interrupted"):
        why = problem or ("the run was interrupted" if document and document.get("interrupted")
                          else "nothing was checked")
        return PluginOutput(UNKNOWN, f"DNSSEC UNKNOWN - {' '.join(why.split())}\n")
    state = STATES[document["status"]]
    perf = perfdata(document, thresholds)
    first = _first_line(state, document)
    long_lines = _long_output(document) or [f"checks: {_counts(document)}"]
    if len(" ".join(perf)) <= MAX_FIRST_LINE_PERFDATA:
        lines = [f"{first} | {' '.join(perf)}", *long_lines]
    else:  # the multi-line form: the rest follows the long output after a second `|`
        lines = [f"{first} | {perf[0]}", *long_lines[:-1],
                 f"{long_lines[-1]} | {perf[1]}", *perf[2:]]
    return PluginOutput(state, "\n".join(lines) + "\n")


def _counts(document: Mapping[str, Any]) -> str:
    return ", ".join(f"{n} {o}" for o, n in sorted(document["counts"].items()))
