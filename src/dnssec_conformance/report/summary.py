"""A one-screen summary of a results.json: which domain failed which check, worst first, and
where the report is. `python -m dnssec_conformance.summary reports/results.json [--report PATH]`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from . import overview

SYMBOLS = ("FAIL", "WARN", "ERR ", "SKIP", "OK  ")  # by overview rank
LISTED_UNCHECKED = 3  # more could-not-check records than this on a subject: counted


def _checks_text(summary: Mapping[str, Any], records: list[Mapping[str, Any]]) -> str:
    problems = [r for r in records if r["outcome"] in ("failed", "warning")]
    unchecked = [r for r in records if r["outcome"] == "error"]
    waived = [r for r in records if r["outcome"] == "waived"]
    parts = [f"{r['check']}({r['outcome']})" for r in problems]
    if len(unchecked) > LISTED_UNCHECKED:
        parts.append(f"{len(unchecked)} checks could not run")
    else:
        parts += [f"{r['check']}(could not check)" for r in unchecked]
    parts += [f"{r['check']}(waived until {r.get('waiver', {}).get('until', '?')})"
              for r in waived]
    if parts:
        return " ".join(parts)
    outcomes = summary.get("outcomes", {})
    if outcomes and set(outcomes) == {"skipped"}:
        reasons = dict.fromkeys(str(r["message"]) for r in records)
        return "skipped: " + "; ".join(reasons)
    return "all checks passed"


def summarize(document: dict[str, Any]) -> list[str]:
    status = str(document["status"]).upper()
    priority = f", priority {document['priority']}" if document.get("priority") else ""
    lines = [f"DNSSEC conformance: {status}{priority} (as of {document['evaluated_at']})",
             overview.counts_line(document["domains"]), ""]
    by_subject: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for record in document["results"]:
        by_subject[record["domain"]].append(record)
    width = max((len(d["domain"]) for d in document["domains"]), default=10)

    def line(summary: Mapping[str, Any]) -> str:
        days = summary.get("days_left")
        left = f"{days:6.1f}d" if isinstance(days, int | float) else "      -"
        symbol = SYMBOLS[overview.rank_of(summary)]
        checks = _checks_text(summary, by_subject[summary["domain"]])
        return f"  {symbol} {summary['domain']:<{width}} {left}  {checks}"

    domains, others = overview.domains_and_others(document["domains"])
    listing = overview.fold_healthy(domains)
    lines += [line(s) for s in listing.shown]
    if listing.folded_healthy:
        names = ", ".join(str(s["domain"]) for s in listing.folded_healthy[:3])
        lines.append(f"  {SYMBOLS[overview.HEALTHY]} {len(listing.folded_healthy)} healthy "
                     f"domains, all checks passed ({names}, …)")
    if others:
        lines += ["", "  other subjects:"]
        lines += [line(s) for s in overview.worst_first(others)]
    groups, _single = overview.unchecked_groups(document["results"])
    if groups:
        lines += ["", "  could not check, the same reason each time:"]
        lines += [f"    {group.describe()}" for group in groups]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("results")
    parser.add_argument("--report", help="the HTML report to point at")
    args = parser.parse_args(argv)
    try:
        with open(args.results, encoding="utf-8") as handle:
            document = json.load(handle)
    except (OSError, ValueError) as exc:
        print(f"{args.results}: cannot read the results ({exc})", file=sys.stderr)
        return 1
    print("\n".join(summarize(document)))
    print(f"\nresults: {args.results}" + (f"\nreport:  {args.report}" if args.report else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
