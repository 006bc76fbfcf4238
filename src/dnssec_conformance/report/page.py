"""The HTML report of a merged fleet run, built from its records: no test ran in the merging
process, so pytest-html's hooks never fire. It keeps the look of a single run's report by
being made of the same parts: pytest-html's own style sheet (read from the installed
pytest-html), its page layout and results-table markup (title, summary, one `<tbody
class="results-table-row">` per test with the collapsible row and the extras row), the same
dashboard (`report_html.dashboard_html`), the same DNSSEC cells (`result_cells`) and the same
evidence (`evidence_html`). Rows are listed as a single run lists them: every check, or only
those that did not pass from `report_scale.PROBLEMS_ONLY_FROM_DOMAINS` domains on.
What it leaves out is pytest-html's script (its sort and outcome checkboxes): the
dashboard's own outcome filter and filter box work on this table as on pytest-html's.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from html import escape
from importlib import resources
from typing import Any

from .. import __version__, catalog
from ..config.model import Thresholds
from . import junit, overview
from . import scale as report_scale
from .html import COLUMNS, dashboard_html, evidence_html, result_cells

TITLE = "DNSSEC conformance report"
PYTEST_OUTCOMES = {"passed": "Passed", "warning": "Passed", "failed": "Failed",
                   "error": "Failed", "skipped": "Skipped", "waived": "XFailed"}
PAGE_CSS = ("#results-table tbody.results-table-row .extras-row td{padding:4px 8px}"
            ".dnssec-merge-note{color:#555}")


def pytest_html_css() -> str:
    """pytest-html's own style sheet, so that the page looks like its reports."""
    try:
        return (resources.files("pytest_html") / "resources" / "style.css").read_text(
            encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        return ""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def header_cells() -> list[str]:
    base = ['<th class="sortable" data-column-type="result">Result</th>',
            '<th class="sortable" data-column-type="testId">Test</th>']
    dnssec = [f'<th class="sortable" data-column-type="{name}">{label}</th>'
              for name, label in COLUMNS]
    return [*base, *dnssec, '<th class="sortable" data-column-type="duration">Duration</th>',
            "<th>Links</th>"]


def row_html(record: Mapping[str, Any], tests: Mapping[str, tuple[str, str]],
             columns: int, shown: dict[str, str] | None = None) -> str:
    outcome = PYTEST_OUTCOMES.get(str(record["outcome"]), str(record["outcome"]).title())
    meta = {"domain": record["domain"], "check": record["check"],
            "category": record["category"], "record": record}
    cells = [f'<td class="col-result">{_e(outcome)}</td>',
             f'<td class="col-testId">{_e(junit.node_id(record, tests))}</td>',
             *result_cells(meta), '<td class="col-duration">—</td>',
             '<td class="col-links"></td>']
    extras = ""
    if record["outcome"] in ("failed", "error", "warning", "waived"):
        extras = (f'<tr class="extras-row"><td class="extra" colspan="{columns}">'
                  f'<div class="extraHTML">{evidence_html(record, shown)}</div></td></tr>')
    return (f'<tbody class="results-table-row {_e(outcome.lower())}">'
            f'<tr class="collapsible">{"".join(cells)}</tr>{extras}</tbody>')


def merged_report_html(document: Mapping[str, Any], *, thresholds: Thresholds,
                       domain_thresholds: Mapping[str, Thresholds] | None = None,
                       rows: str = "auto", source: str = "") -> str:
    """The whole page for a (merged) results document."""
    domains, _others = overview.domains_and_others(document["domains"])
    only_problems = report_scale.problems_only(rows, len(domains))
    tests = catalog.suite_tests()
    header = header_cells()
    worst = {s["domain"]: overview.rank_of(s) for s in document["domains"]}
    order = {"failed": 0, "error": 1, "warning": 2, "waived": 3, "passed": 4, "skipped": 5}
    records = sorted((r for r in document["results"]
                      if report_scale.listed(r, only_problems)),
                     key=lambda r: (worst.get(r["domain"], 9), order.get(r["outcome"], 9),
                                    r["domain"], r["check"]))
    shown: dict[str, dict[str, str]] = {}  # domain -> evidence -> the check showing it
    body = "".join(row_html(r, tests, len(header), shown.setdefault(r["domain"], {}))
                   for r in records)
    if not records:
        body = (f'<tbody class="results-table-row"><tr id="not-found-message"><td colspan='
                f'"{len(header)}">No results found.</td></tr></tbody>')
    dashboard = dashboard_html(document, thresholds=thresholds,
                               domain_thresholds=domain_thresholds,
                               only_problems=only_problems)
    generated = datetime.datetime.now(datetime.UTC).strftime("%d-%b-%Y at %H:%M:%S UTC")
    fleet = document.get("shards") or {}
    merged_from = (f" from {fleet.get('count')} shards" if fleet.get("count") else "")
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"/>'
        f'<title id="head-title">{_e(TITLE)}</title>'
        f'<style type="text/css">{pytest_html_css()}{PAGE_CSS}</style></head><body>'
        f'<h1 id="title">{_e(TITLE)}</h1>'
        f'<p class="dnssec-merge-note">Report generated on {_e(generated)} by '
        f"dnssec-conformance v{_e(__version__)} merge{_e(merged_from)}"
        f'{" of " + _e(source) if source else ""}.</p>'
        f'<div class="summary"><div class="summary__data"><h2>Summary</h2>'
        f'<div class="additional-summary prefix">{dashboard}</div>'
        f'<p class="run-count">{len(document["results"])} checks; {len(records)} listed.</p>'
        "</div></div>"
        f'<table id="results-table"><thead id="results-table-head"><tr>{"".join(header)}'
        f"</tr></thead>{body}</table></body></html>")
