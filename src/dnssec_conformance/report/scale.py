"""What keeps the HTML report readable (and small) at thousands of domains: a histogram of the
domains' days left instead of one bar each, a filter box over domains and checks, and the
decision to list only the checks that did not pass.

Pure functions of results.json data, used by the pytest-html report and by the merged report
alike. Everything shown is escaped.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any

from ..config.model import Thresholds

# From this many domains on the report lists only the checks that did not pass (and the
# timeline becomes a histogram); results.json keeps every record.
PROBLEMS_ONLY_FROM_DOMAINS = 200
LISTED_OUTCOMES = frozenset({"failed", "error", "warning", "waived"})
HISTOGRAM_WIDTH = 760
HISTOGRAM_HEIGHT = 190
COLOURS = {"healthy": "#2e7d32", "warning": "#b26a00", "critical": "#c62828",
           "none": "#888"}
LONGER_EDGES = (14, 21, 30, 45, 60, 90)


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def problems_only(mode: str, domains: int) -> bool:
    """`--report-rows`: all, problems, or auto (problems from PROBLEMS_ONLY_FROM_DOMAINS)."""
    if mode == "all":
        return False
    return mode == "problems" or domains >= PROBLEMS_ONLY_FROM_DOMAINS


def listed(record: Mapping[str, Any] | None, only_problems: bool) -> bool:
    """Whether a record gets a row of the results table."""
    return not only_problems or record is None or record.get("outcome") in LISTED_OUTCOMES


def bins(thresholds: Thresholds) -> list[tuple[float | None, float | None, str]]:
    """The histogram's bins, (low, high] in days: expired, within the critical threshold,
    within the warning threshold, then wider bins, then no data."""
    critical, warning = float(thresholds.critical_days), float(thresholds.warning_days)
    edges = sorted({0.0, critical, max(warning, critical)}
                   | {float(e) for e in LONGER_EDGES if e > warning})
    result: list[tuple[float | None, float | None, str]] = [(None, 0.0, "critical")]
    for low, high in itertools.pairwise(edges):
        band = "critical" if high <= critical else "warning" if high <= warning else "healthy"
        result.append((low, high, band))
    result.append((edges[-1], math.inf, "healthy"))
    return result


def _bin_label(low: float | None, high: float | None) -> str:
    if low is None:
        return "expired"
    if high is None:
        return "no data"
    if math.isinf(high):
        return f">{low:g} d"
    return f"{low:g}–{high:g} d"


def histogram_counts(days: Iterable[float | None], thresholds: Thresholds
                     ) -> list[tuple[str, str, int]]:
    """(label, band, count) per bin; a domain with no expiry data is counted apart."""
    edges = bins(thresholds)
    counts = [0] * len(edges)
    missing = 0
    for value in days:
        if value is None:
            missing += 1
            continue
        for index, (low, high, _band) in enumerate(edges):
            if (low is None and value <= 0) or (low is not None and high is not None
                                                 and low < value <= high):
                counts[index] += 1
                break
    rows = [(_bin_label(low, high), band, count)
            for (low, high, band), count in zip(edges, counts, strict=True)]
    rows.append(("no data", "none", missing))
    return rows


def days_histogram_svg(domains: Sequence[Mapping[str, Any]], thresholds: Thresholds) -> str:
    """How many domains have how many days left until their earliest RRSIG expiry."""
    rows = histogram_counts((d.get("days_left") for d in domains), thresholds)
    top = max((count for _, _, count in rows), default=0) or 1
    bar_width = HISTOGRAM_WIDTH / len(rows)
    plot_top, plot_bottom = 24, HISTOGRAM_HEIGHT - 36
    parts = [f'<svg id="dnssec-days-histogram" xmlns="http://www.w3.org/2000/svg" '
             f'width="{HISTOGRAM_WIDTH}" height="{HISTOGRAM_HEIGHT}" '
             f'viewBox="0 0 {HISTOGRAM_WIDTH} {HISTOGRAM_HEIGHT}" role="img" '
             f'aria-label="Domains by days until their earliest RRSIG expiry" '
             f'font-family="sans-serif" font-size="12">']
    for index, (label, band, count) in enumerate(rows):
        height = (plot_bottom - plot_top) * count / top
        left = index * bar_width
        parts.append(
            f'<g class="dnssec-histogram-bin" data-bin="{_e(label)}" data-count="{count}">'
            f'<title>{_e(label)}: {count} domains</title>'
            f'<rect x="{left + 4:.1f}" y="{plot_bottom - height:.1f}" '
            f'width="{bar_width - 8:.1f}" height="{height:.1f}" fill="{COLOURS[band]}"/>'
            f'<text x="{left + bar_width / 2:.1f}" y="{plot_bottom - height - 4:.1f}" '
            f'text-anchor="middle">{count}</text>'
            f'<text x="{left + bar_width / 2:.1f}" y="{plot_bottom + 16}" '
            f'text-anchor="middle" fill="#444">{_e(label)}</text></g>')
    parts.append(f'<line x1="0" y1="{plot_bottom}" x2="{HISTOGRAM_WIDTH}" y2="{plot_bottom}" '
                 'stroke="#999"/>')
    parts.append(f'<text x="0" y="{HISTOGRAM_HEIGHT - 4}" fill="#666">domains by days left '
                 f'(critical ≤ {thresholds.critical_days:g} d, warning ≤ '
                 f'{thresholds.warning_days:g} d)</text></svg>')
    return "".join(parts)


# The filter box hides grid cells, timeline rows and table rows whose text does not contain
# what is typed. pytest-html redraws its table on every sort and filter: the rule is applied
# again to whatever it draws.
FILTER_BOX = (
    '<div id="dnssec-filter"><label>Filter domains and checks: <input type="search" '
    'id="dnssec-filter-box" placeholder="e.g. example.com or EXPIRY01" size="40"></label> '
    '<span id="dnssec-filter-count"></span></div>')
FILTER_BOX_SCRIPT = """<script>(function(){
var box=document.getElementById('dnssec-filter-box');if(!box){return;}
var count=document.getElementById('dnssec-filter-count');
function apply(){var q=box.value.trim().toLowerCase();var shown=0,all=0;
document.querySelectorAll('#results-table tbody.results-table-row').forEach(function(row){
var cells=row.querySelector('tr');
var text=(cells?cells.textContent:row.textContent).toLowerCase();
var hit=!q||text.indexOf(q)>=0;row.classList.toggle('dnssec-filtered',!hit);
all++;if(hit){shown++;}});
document.querySelectorAll('.dnssec-cell[data-domain],.dnssec-timeline-row,'
+'tr[data-domain]').forEach(function(el){
var name=(el.dataset.domain||'').toLowerCase();var text=el.textContent.toLowerCase();
el.classList.toggle('dnssec-filtered',!!q&&name.indexOf(q)<0&&text.indexOf(q)<0);});
count.textContent=q?(shown+' of '+all+' rows'):'';}
box.addEventListener('input',apply);
var table=document.getElementById('results-table');
if(table&&window.MutationObserver){new MutationObserver(function(){if(box.value){apply();}})
.observe(table,{childList:true});}})();</script>"""
FILTER_BOX_CSS = (".dnssec-filtered{display:none !important}"
                  "#dnssec-filter{margin-top:10px}#dnssec-filter-count{color:#666}")


def listing_note(counts: Mapping[str, int], only_problems: bool) -> str:
    """Under the dashboard: what the table below lists."""
    if not only_problems:
        return ""
    hidden = {o: counts.get(o, 0) for o in ("passed", "skipped") if counts.get(o)}
    if not hidden:
        return ""
    what = " and ".join(f"{n:,} {o}" for o, n in hidden.items())
    return (f'<p id="dnssec-listing-note" class="dnssec-muted">The table lists only the checks '
            f"that did not pass; {_e(what)} checks are counted above, not listed (every record "
            "is in results.json).</p>")
