"""The HTML report's DNSSEC parts: the dashboard at the top (overall status, a per-domain grid,
an RRSIG expiry timeline drawn as inline SVG, key rotation events), the table's DNSSEC cells
and each failed check's evidence. Pure functions of results.json data, used by the pytest-html
report (`plugin.html_hooks`) and the merged report (`report.page`) alike. Everything shown is
escaped: evidence is arbitrary DNS data.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any

from ..config.model import Thresholds
from . import heartbeat, overview
from . import scale as report_scale

MAX_EVIDENCE_CHARS = 8000
MAX_GRID_CHECKS = 6
REPORTED_OUTCOMES = ("failed", "error", "warning", "waived")
OUTCOME_LABELS = {"passed": "passed", "warning": "warning", "failed": "failed",
                  "error": "could not check", "skipped": "skipped", "waived": "waived"}
# The outcome filter of the dashboard, worst first (pytest-html's own filter knows only
# pytest's outcomes, where a warning is "passed" and a waiver "xfailed").
FILTERED_OUTCOMES = ("failed", "error", "warning", "waived", "passed", "skipped")
SECRET_METADATA_KEY = re.compile(r"ONEUPTIME|HEARTBEAT", re.IGNORECASE)
COLUMNS = (("domain", "Domain"), ("check", "Check"), ("outcome", "Outcome"),
           ("category", "Category"), ("severity", "Severity"), ("daysleft", "Days left"))

# The timeline's geometry, in SVG user units.
LABEL_WIDTH = 240
PLOT_WIDTH = 460
VALUE_WIDTH = 130
ROW_HEIGHT = 24
TOP_MARGIN = 30
BOTTOM_MARGIN = 26
TICK_STEPS = (1, 2, 5, 7, 10, 14, 30, 60, 90, 180, 365)

COLOURS = {"healthy": "#2e7d32", "warning": "#b26a00", "critical": "#c62828"}

PROBLEMS_ONLY_FROM_DOMAINS = report_scale.PROBLEMS_ONLY_FROM_DOMAINS
FOLDED_NAMES_SHOWN = 50  # names in the folded healthy cell's tooltip
TIMELINE_ROWS_AT_SCALE = 100  # problem domains drawn as bars when the rest is a histogram


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _days_text(days: float | None) -> str:
    if days is None:
        return "—"
    if days < 0:
        return f"expired {-days:.1f} d ago"
    return f"{days:.1f} d"


# --------------------------------------------------------------------------------------------
# Pure builders
# --------------------------------------------------------------------------------------------


def result_cells(meta: Mapping[str, Any] | None) -> list[str]:
    """The DNSSEC columns of one results-table row (empty cells for other tests)."""
    meta = meta or {}
    record = meta.get("record") or {}
    days = record.get("days_left")
    # pytest-html sorts a column by the cell's inner HTML as a string: a hidden, fixed-width
    # key in front makes "days left" sort by number, expired first and "no data" last.
    sort_key = "~" if days is None else f"{days + 100_000:012.3f}"
    days_cell = (f'<span class="dnssec-sortkey" hidden>{sort_key}</span>{_e(_days_text(days))}'
                 if meta else "")
    severity = record.get("severity", "")
    outcome = record.get("outcome", "")
    return [
        f'<td class="col-domain">{_e(meta.get("domain", ""))}</td>',
        f'<td class="col-check">{_e(meta.get("check", ""))}</td>',
        f'<td class="col-outcome dnssec-outcome-{_e(outcome)}">'
        f'{_e(OUTCOME_LABELS.get(outcome, outcome))}</td>',
        f'<td class="col-category">{_e(meta.get("category", ""))}</td>',
        f'<td class="col-severity dnssec-severity-{_e(severity)}">{_e(severity)}</td>',
        f'<td class="col-daysleft">{days_cell}</td>',
    ]


def evidence_html(record: Mapping[str, Any], shown: dict[str, str] | None = None) -> str:
    """A failed, warning or waived check's findings, how to fix them, and the DNS exchanges
    that show them folded under a <details> (the row's log no longer repeats them).

    `shown` (evidence text -> the check whose row shows it), kept per domain by the caller:
    exchanges an earlier row of the domain already shows are named, not repeated (a zone
    nobody can reach fails every check with the same evidence)."""
    lines = [f'<div class="dnssec-evidence"><p><strong>{_e(record["check"])} '
             f'{_e(OUTCOME_LABELS.get(record["outcome"], record["outcome"]))}</strong> on '
             f'{_e(record["domain"])}: {_e(record["message"])}</p>']
    waiver = record.get("waiver")
    if record["outcome"] == "waived" and waiver:
        lines.append(f'<p class="dnssec-waiver">Waived until {_e(waiver["until"])}: '
                     f'{_e(waiver["reason"])} (the check {_e(waiver["outcome"])})</p>')
    listed = [f for f in record.get("findings", []) if f["severity"] != "info"]
    # One finding that says no more than the line above is not said twice.
    if not (len(listed) == 1 and not listed[0].get("server")
            and listed[0]["message"] == record["message"]):
        lines.append("<ul>")
        for finding in listed:
            where = f' [{_e(finding["server"])}]' if finding.get("server") else ""
            lines.append(f'<li class="dnssec-finding">{_e(finding["severity"])}: '
                         f'{_e(finding["message"])}{where}</li>')
        lines.append("</ul>")
    evidence: list[str] = []
    for finding in listed:
        if finding.get("evidence") and finding["evidence"] not in evidence:
            evidence.append(finding["evidence"])
    if record.get("remediation"):
        lines.append(f'<p class="dnssec-remediation"><strong>Remediation:</strong> '
                     f'{_e(record["remediation"])}</p>')
    text = "\n\n".join(evidence)
    if evidence and shown is not None and text in shown:
        lines.append(f'<p class="dnssec-dig-same">DNS evidence: as shown for '
                     f'{_e(shown[text])} on {_e(record["domain"])}.</p>')
    elif evidence:
        if shown is not None:
            shown[text] = str(record["check"])
        if len(text) > MAX_EVIDENCE_CHARS:
            text = text[:MAX_EVIDENCE_CHARS] + "\n;; [evidence truncated]"
        lines.append('<details class="dnssec-dig"><summary>DNS evidence</summary>'
                     '<pre style="white-space:pre-wrap;font-size:12px;background:#f6f8fa;'
                     f'padding:6px;border:1px solid #ddd">{_e(text)}</pre></details>')
    lines.append("</div>")
    return "".join(lines)


def _tick_step(scale_max: float) -> int:
    return next((s for s in TICK_STEPS if scale_max / s <= 8), TICK_STEPS[-1])


def _band(days: float, thresholds: Thresholds) -> str:
    if days <= thresholds.critical_days:
        return "critical"
    return "warning" if days <= thresholds.warning_days else "healthy"


def expiry_timeline_svg(domains: Iterable[Mapping[str, Any]], *, thresholds: Thresholds,
                        domain_thresholds: Mapping[str, Thresholds] | None = None) -> str:
    """Days until the earliest RRSIG expiry per domain, against the warning and critical
    lines, as inline SVG. `domains` are results.json's domain summaries."""
    domain_thresholds = domain_thresholds or {}
    rows = sorted(domains, key=lambda d: (d.get("days_left") is None,
                                          d.get("days_left") or 0, d["domain"]))
    known = [d["days_left"] for d in rows if d.get("days_left") is not None]
    # Long validity periods would squash the thresholds: beyond the scale a bar is clipped
    # (its label gives the figure).
    scale_max = max(thresholds.warning_days * 1.5, thresholds.critical_days * 2, 1.0,
                    max(known, default=0.0))
    scale_max = float(math.ceil(min(scale_max, max(thresholds.warning_days * 4, 30.0))))
    step = _tick_step(scale_max)
    height = TOP_MARGIN + max(len(rows), 1) * ROW_HEIGHT + BOTTOM_MARGIN
    width = LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH
    plot_bottom = height - BOTTOM_MARGIN

    def x(days: float) -> float:
        return LABEL_WIDTH + max(0.0, min(days, scale_max)) / scale_max * PLOT_WIDTH

    parts = [f'<svg id="dnssec-expiry-timeline" xmlns="http://www.w3.org/2000/svg" '
             f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="Days until the earliest RRSIG expiry, per domain" '
             f'font-family="sans-serif" font-size="12">']
    for tick in range(0, int(scale_max) + 1, step):
        parts.append(f'<line x1="{x(tick):.1f}" y1="{TOP_MARGIN}" x2="{x(tick):.1f}" '
                     f'y2="{plot_bottom}" stroke="#eee"/>'
                     f'<text x="{x(tick):.1f}" y="{plot_bottom + 16}" text-anchor="middle" '
                     f'fill="#666">{tick} d</text>')
    if not rows:
        parts.append(f'<text x="{LABEL_WIDTH}" y="{TOP_MARGIN + 16}" fill="#666">'
                     'no domain checked</text>')
    for index, domain in enumerate(rows):
        top = TOP_MARGIN + index * ROW_HEIGHT
        middle = top + ROW_HEIGHT / 2 + 4
        name = str(domain["domain"])
        label = name if len(name) <= 34 else name[:33] + "…"
        days = domain.get("days_left")
        own = domain_thresholds.get(name, thresholds)
        parts.append(f'<g class="dnssec-timeline-row" data-domain="{_e(name)}">'
                     f'<title>{_e(name)}: {_e(_days_text(days))}</title>'
                     f'<text x="{LABEL_WIDTH - 8}" y="{middle}" text-anchor="end">'
                     f'{_e(label)}</text>'
                     f'<rect x="{LABEL_WIDTH}" y="{top + 5}" width="{PLOT_WIDTH}" '
                     f'height="{ROW_HEIGHT - 10}" fill="#f3f3f3"/>')
        if days is None:
            parts.append(f'<text x="{LABEL_WIDTH + 6}" y="{middle}" fill="#888">'
                         'no expiry data</text>')
        else:
            band = "critical" if days < 0 else _band(days, own)
            bar = max(x(days) - LABEL_WIDTH, 3.0)
            parts.append(f'<rect class="dnssec-bar dnssec-{band}" x="{LABEL_WIDTH}" '
                         f'y="{top + 5}" width="{bar:.1f}" height="{ROW_HEIGHT - 10}" '
                         f'fill="{COLOURS[band]}"/>')
            if days > scale_max:
                parts.append(f'<text x="{LABEL_WIDTH + PLOT_WIDTH - 4}" y="{middle}" '
                             'text-anchor="end" fill="#fff">»</text>')
            parts.append(f'<text x="{LABEL_WIDTH + PLOT_WIDTH + 8}" y="{middle}" '
                         f'fill="{COLOURS[band]}">{_e(_days_text(days))}</text>')
        if own != thresholds:  # this domain's own thresholds, as ticks on its row
            for value, band in ((own.warning_days, "warning"), (own.critical_days, "critical")):
                parts.append(f'<line x1="{x(value):.1f}" y1="{top + 2}" x2="{x(value):.1f}" '
                             f'y2="{top + ROW_HEIGHT - 2}" stroke="{COLOURS[band]}" '
                             'stroke-width="2"/>')
        parts.append("</g>")
    for value, band in ((thresholds.critical_days, "critical"),
                        (thresholds.warning_days, "warning")):
        anchor = "end" if band == "critical" else "start"
        nudge = -3 if band == "critical" else 3
        parts.append(f'<line class="dnssec-threshold-{band}" x1="{x(value):.1f}" '
                     f'y1="{TOP_MARGIN - 6}" x2="{x(value):.1f}" y2="{plot_bottom}" '
                     f'stroke="{COLOURS[band]}" stroke-width="1.5" stroke-dasharray="4 3"/>'
                     f'<text x="{x(value) + nudge:.1f}" y="{TOP_MARGIN - 10}" '
                     f'text-anchor="{anchor}" fill="{COLOURS[band]}">'
                     f'{band} {value:g} d</text>')
    parts.append("</svg>")
    return "".join(parts)


GRID_LABELS = ("CRITICAL", "WARNING", "COULD NOT CHECK", "NOT CHECKED", "HEALTHY")


def _grid_cell(summary: Mapping[str, Any], listed: Sequence[Mapping[str, Any]]) -> str:
    rank = overview.rank_of(summary)
    status = "skipped" if rank == overview.NOT_CHECKED else str(summary["status"])
    items = "".join(f'<li>{_e(r["check"])} {_e(OUTCOME_LABELS[r["outcome"]])}</li>'
                    for r in listed[:MAX_GRID_CHECKS])
    if len(listed) > MAX_GRID_CHECKS:
        items += f"<li>+{len(listed) - MAX_GRID_CHECKS} more</li>"
    passed = (summary.get("outcomes") or {}).get("passed", 0)
    detail = f"<ul>{items}</ul>" if items else f"<p>{passed} checks passed</p>"
    if rank == overview.NOT_CHECKED:
        detail = "<p>not checked (not configured)</p>"
    days = summary.get("days_left")
    days_text = f" · {_e(_days_text(days))}" if days is not None else ""
    return (f'<div class="dnssec-cell dnssec-{_e(status)}" '
            f'data-domain="{_e(summary["domain"])}" data-status="{_e(status)}">'
            f'<div class="dnssec-cell-domain">{_e(summary["domain"])}</div>'
            f'<div class="dnssec-cell-status">{GRID_LABELS[rank]}{days_text}</div>'
            f"{detail}</div>")


def status_grid_html(document: Mapping[str, Any]) -> str:
    """One cell per domain, worst first (critical, warning, could not check, not checked,
    healthy): its status, days left and the checks that did not pass. Many healthy domains
    are one count; canaries, CoreDNS and the local clock follow apart from the domains."""
    problems: dict[str, list[Mapping[str, Any]]] = {}
    for record in document["results"]:
        if record["outcome"] in REPORTED_OUTCOMES:
            problems.setdefault(record["domain"], []).append(record)
    domains, others = overview.domains_and_others(document["domains"])
    listing = overview.fold_healthy(domains)
    cells = [_grid_cell(s, problems.get(s["domain"], [])) for s in listing.shown]
    if listing.folded_healthy:
        names = ", ".join(str(s["domain"]) for s in listing.folded_healthy[:FOLDED_NAMES_SHOWN])
        if len(listing.folded_healthy) > FOLDED_NAMES_SHOWN:
            names += f" … +{len(listing.folded_healthy) - FOLDED_NAMES_SHOWN} more"
        cells.append(f'<div class="dnssec-cell dnssec-healthy dnssec-folded" '
                     f'data-status="healthy" title="{_e(names)}">'
                     f'<div class="dnssec-cell-domain">{len(listing.folded_healthy)} healthy '
                     'domains</div><div class="dnssec-cell-status">HEALTHY</div>'
                     '<p>every check passed</p></div>')
    html = f'<div class="dnssec-grid">{"".join(cells)}</div>'
    if others:
        other_cells = "".join(_grid_cell(s, problems.get(s["domain"], []))
                              for s in overview.worst_first(others))
        html += ('<h4 class="dnssec-others">Also checked: '
                 f'{_e(overview.other_subjects(others))}</h4>'
                 f'<div class="dnssec-grid" id="dnssec-other-subjects">{other_cells}</div>')
    return html


def unchecked_groups_html(records: Sequence[Mapping[str, Any]]) -> str:
    """Could-not-check records that say the same thing, once each (one outage, not a wall
    of identical rows)."""
    groups, _singles = overview.unchecked_groups(records)
    if not groups:
        return ""
    items = "".join(f"<li>{_e(group.describe(names_shown=5))}</li>" for group in groups)
    return ('<div class="dnssec-panel" id="dnssec-unchecked"><h3>Could not check, the same '
            f'reason each time</h3><ul>{items}</ul></div>')


def outcome_filter_html(counts: Mapping[str, int]) -> str:
    """Checkboxes that show or hide the table's rows by DNSSEC outcome (warnings included,
    which pytest-html's own filter counts as passed)."""
    boxes = "".join(
        f'<label><input type="checkbox" class="dnssec-filter" checked '
        f'data-outcome="{_e(o)}"{"" if counts.get(o) else " disabled"}> '
        f'<span class="dnssec-outcome-{_e(o)}">{counts.get(o, 0)} '
        f"{_e(OUTCOME_LABELS[o])}</span></label>" for o in FILTERED_OUTCOMES)
    return f'<div id="dnssec-outcome-filter">Show checks: {boxes}</div>'


def providers_html(domains: Iterable[Mapping[str, Any]]) -> str:
    """Per domain with a provider: what the provider says next to what the DNS serves."""
    rows = []
    for summary in domains:
        provider = summary.get("provider")
        if not provider:
            continue
        if provider.get("failure"):
            says = f'<span class="dnssec-severity-error">could not read: ' \
                   f'{_e(provider["failure"])}</span>'
            ksk_ds = parent = match = "—"
        else:
            message = provider.get("status_message")
            says = _e(provider.get("status") or "—") + (f": {_e(message)}" if message else "")
            ksk_ds = "<br>".join(
                f'{_e(k.get("role"))} {_e(k.get("key_tag"))} {_e(k.get("status"))}: '
                + ("<br>".join(f"<code>{_e(d)}</code>" for d in k.get("ds", [])) or "no DS")
                for k in provider.get("keys", []) if k.get("role") == "KSK") or "no KSK"
            dns_view = provider.get("dns") or {}
            parent = "<br>".join(f"<code>{_e(d)}</code>"
                                 for d in dns_view.get("parent_ds", [])) or "no DS"
            at_parent = provider.get("ds_at_parent")
            match = {True: "yes", False: "<strong>no</strong>", None: "—"}[at_parent]
        rows.append(f'<tr data-domain="{_e(summary["domain"])}"><td>{_e(summary["domain"])}'
                    f'</td><td>{_e(provider.get("label"))} {_e(provider.get("zone"))}</td>'
                    f"<td>{says}</td><td>{ksk_ds}</td><td>{parent}</td><td>{match}</td></tr>")
    return ('<table class="dnssec-providers"><thead><tr><th>domain</th><th>provider</th>'
            "<th>the provider says</th><th>its KSK and DS</th><th>the parent serves</th>"
            f'<th>parent points to it</th></tr></thead><tbody>{"".join(rows)}</tbody></table>')


def rotation_events_html(events: Sequence[Mapping[str, Any]]) -> str:
    if not events:
        return '<p class="dnssec-muted">No key rotation event reported.</p>'
    items = "".join(f'<li><strong>{_e(e["domain"])}</strong> {_e(e["check"])} '
                    f'({_e(e["severity"])}): {_e(e["message"])}</li>' for e in events)
    return f'<ul class="dnssec-events">{items}</ul>'


DASHBOARD_CSS = """
#dnssec-dashboard{font-family:sans-serif;margin:12px 0 20px;padding:12px 16px;
  border:1px solid #ddd;border-radius:6px;background:#fff}
#dnssec-dashboard,.dnssec-evidence{color:#222}
#dnssec-dashboard h2{margin:0 0 8px}
#dnssec-dashboard h3{margin:0 0 8px;font-size:15px;color:#333}
.dnssec-overall{display:flex;flex-wrap:wrap;gap:8px 18px;align-items:center;padding:10px 12px;
  border-radius:6px;color:#fff;margin-bottom:12px}
.dnssec-overall .dnssec-badge{font-size:22px;font-weight:bold;letter-spacing:1px}
.dnssec-overall.dnssec-healthy{background:#2e7d32}
.dnssec-overall.dnssec-warning{background:#b26a00}
.dnssec-overall.dnssec-critical{background:#c62828}
.dnssec-overall.dnssec-unknown{background:#555}
.dnssec-panels{display:flex;flex-wrap:wrap;gap:16px}
.dnssec-panel{border:1px solid #e3e3e3;border-radius:6px;padding:10px 12px;flex:1 1 380px}
.dnssec-grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(210px,1fr));gap:8px}
.dnssec-cell{border-left:6px solid #999;background:#fafafa;padding:6px 8px;font-size:13px}
.dnssec-cell ul{margin:4px 0 0;padding-left:18px}.dnssec-cell p{margin:4px 0 0;color:#555}
.dnssec-cell-domain{font-weight:bold;word-break:break-all}
.dnssec-cell.dnssec-healthy{border-color:#2e7d32}
.dnssec-cell.dnssec-warning{border-color:#b26a00}
.dnssec-cell.dnssec-critical{border-color:#c62828}
.dnssec-healthy .dnssec-cell-status{color:#2e7d32}
.dnssec-warning .dnssec-cell-status{color:#b26a00}
.dnssec-critical .dnssec-cell-status{color:#c62828}
.dnssec-muted{color:#666}
.dnssec-providers{border-collapse:collapse;font-size:13px}
.dnssec-providers td,.dnssec-providers th{border:1px solid #e3e3e3;padding:3px 6px;
  vertical-align:top;text-align:left}.dnssec-providers code{word-break:break-all}
td.dnssec-severity-critical{color:#c62828;font-weight:bold}
td.dnssec-severity-error{color:#c62828}td.dnssec-severity-warning{color:#b26a00}
.dnssec-cell.dnssec-skipped{border-color:#999}.dnssec-others{margin:12px 0 6px;font-size:14px}
.dnssec-outcome-failed{color:#c62828;font-weight:bold}.dnssec-outcome-error{color:#c62828}
.dnssec-outcome-warning{color:#b26a00;font-weight:bold}.dnssec-outcome-waived{color:#6a1b9a}
.dnssec-remediation,.dnssec-waiver{margin:4px 0}
#dnssec-outcome-filter{margin-top:12px}#dnssec-outcome-filter label{margin-right:12px}
"""

# The outcome filter hides rows through classes on <body>: pytest-html redraws its table on
# every sort and filter, and the rule keeps applying to the rows it draws.
FILTER_CSS = "".join(
    f"body.dnssec-hide-{o} #results-table tbody:has(td.dnssec-outcome-{o}){{display:none}}"
    for o in FILTERED_OUTCOMES)
FILTER_SCRIPT = ("<script>(function(){var boxes=document.querySelectorAll("
                 "'input.dnssec-filter');boxes.forEach(function(b){b.addEventListener("
                 "'change',function(){document.body.classList.toggle('dnssec-hide-'+"
                 "b.dataset.outcome,!b.checked);});});})();</script>")

# The summary section comes after pytest-html's environment table: move the dashboard up to
# just below the report's title lines (without scripts it stays in the summary).
MOVE_TO_TOP = ("<script>(function(){var d=document.getElementById('dnssec-dashboard');"
               "var t=document.getElementById('title');var p=t&&t.nextElementSibling;"
               "if(d&&p){p.parentNode.insertBefore(d,p.nextSibling);}})();</script>")


def expiry_panel_html(domains: Sequence[Mapping[str, Any]], *, thresholds: Thresholds,
                      domain_thresholds: Mapping[str, Thresholds] | None,
                      at_scale: bool) -> str:
    """Days left per domain as bars; at scale, bars for the domains that are not healthy
    (the soonest first) and a histogram of every domain."""
    if not at_scale:
        return ('<div class="dnssec-panel" id="dnssec-expiry"><h3>RRSIG expiry timeline</h3>'
                + expiry_timeline_svg(domains, thresholds=thresholds,
                                      domain_thresholds=domain_thresholds) + "</div>")
    problems = [d for d in overview.worst_first(domains)
                if overview.rank_of(d) != overview.HEALTHY and d.get("days_left") is not None]
    problems.sort(key=lambda d: (d["days_left"], d["domain"]))
    shown = problems[:TIMELINE_ROWS_AT_SCALE]
    more = (f'<p class="dnssec-muted">+{len(problems) - len(shown)} more domains that are not '
            "healthy: see the grid</p>" if len(problems) > len(shown) else "")
    bars = (expiry_timeline_svg(shown, thresholds=thresholds,
                                domain_thresholds=domain_thresholds) if shown else
            '<p class="dnssec-muted">Every domain with expiry data is healthy.</p>')
    return ('<div class="dnssec-panel" id="dnssec-expiry"><h3>Days left, every domain</h3>'
            + report_scale.days_histogram_svg(domains, thresholds)
            + f"<h3>Domains that are not healthy, soonest expiry first</h3>{bars}{more}</div>")


def dashboard_html(document: Mapping[str, Any], *, thresholds: Thresholds,
                   domain_thresholds: Mapping[str, Thresholds] | None = None,
                   only_problems: bool = False) -> str:
    """The dashboard for a results document: the guide's layout, from this run's data.
    `only_problems`: the table below lists only the checks that did not pass (a large run),
    and the timeline is a histogram with bars for the domains that are not healthy."""
    status = document["status"]
    domains, _others = overview.domains_and_others(document["domains"])
    counts = ", ".join(f"{n} {OUTCOME_LABELS.get(o, o)}"
                       for o, n in sorted(document["counts"].items()))
    records = document["results"]
    events = heartbeat.rotation_events(records)
    rollover_ran = any(r["category"] == heartbeat.ROLLOVER_CATEGORY for r in records)
    panels = [
        '<div class="dnssec-panel" id="dnssec-domain-status"><h3>Domain validation status'
        f'</h3>{status_grid_html(document)}</div>',
        expiry_panel_html(domains, thresholds=thresholds, domain_thresholds=domain_thresholds,
                          at_scale=only_problems),
        unchecked_groups_html(records),
    ]
    if any(d.get("provider") for d in domains):
        panels.append('<div class="dnssec-panel" id="dnssec-providers"><h3>DNS providers: '
                      f'their view and the DNS\'s</h3>{providers_html(domains)}</div>')
    if rollover_ran:
        panels.append('<div class="dnssec-panel" id="dnssec-rotation"><h3>Key rotation '
                      f'events</h3>{rotation_events_html(events)}</div>')
    return (
        f'<section id="dnssec-dashboard" data-status="{_e(status)}">'
        f"<style>{DASHBOARD_CSS}{FILTER_CSS}{report_scale.FILTER_BOX_CSS}</style>"
        f"<h2>DNSSEC health</h2>{incomplete_html(document)}"
        f'<div class="dnssec-overall dnssec-{_e(status)}">'
        f'<span class="dnssec-badge">{_e(status.upper())}</span>'
        f'<span>priority {_e(document.get("priority") or heartbeat.priority_of(records))}'
        f'</span><span>as of {_e(document["evaluated_at"])}</span>'
        f'<span>run {_e(document["started_at"])} → {_e(document["finished_at"])}</span>'
        f'<span>{_e(overview.counts_line(document["domains"]))}</span>'
        f"<span>checks: {_e(counts)}</span></div>"
        f'<div class="dnssec-panels">{"".join(panels)}</div>'
        f'{outcome_filter_html(document["counts"])}{report_scale.FILTER_BOX}'
        f'{report_scale.listing_note(document["counts"], only_problems)}'
        f"{MOVE_TO_TOP}{FILTER_SCRIPT}{report_scale.FILTER_BOX_SCRIPT}</section>"
    )


def incomplete_html(document: Mapping[str, Any]) -> str:
    """A merged run whose shards did not all report: which, and why, above everything."""
    fleet = document.get("shards") or {}
    absent = [s for s in fleet.get("by_index", []) if s.get("status") != "merged"]
    if not absent:
        return ""
    items = "".join(f'<li data-shard="{_e(s["index"])}">shard {_e(s["index"])} of '
                    f'{_e(fleet.get("count"))}: {_e(s.get("reason", ""))}</li>' for s in absent)
    return ('<div class="dnssec-overall dnssec-critical" id="dnssec-incomplete">'
            f"<strong>INCOMPLETE: {len(absent)} of {_e(fleet.get('count'))} shards did not "
            f"report everything</strong><ul>{items}</ul></div>")


def redact_metadata(metadata: dict[str, Any], url: str | None) -> None:
    """pytest-html's environment table: hide heartbeat-looking keys and the URL anywhere."""
    for key, value in list(metadata.items()):
        if SECRET_METADATA_KEY.search(str(key)):
            metadata[key] = heartbeat.REDACTED
        elif isinstance(value, dict):
            redact_metadata(value, url)
        elif isinstance(value, str):
            metadata[key] = heartbeat.scrub(value, url)
