"""A one-screen summary of a results.json: which domain failed which check, and where the
report is. `python -m dnssec_conformance.summary reports/results.json [--report PATH]`."""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from typing import Any

SYMBOLS = {"healthy": "OK  ", "warning": "WARN", "critical": "FAIL"}


def summarize(document: dict[str, Any]) -> list[str]:
    lines = [f"DNSSEC conformance: {document['status'].upper()} "
             f"(as of {document['evaluated_at']}, {len(document['domains'])} domains)", ""]
    problems: dict[str, list[str]] = defaultdict(list)
    skipped: dict[str, list[str]] = defaultdict(list)
    for record in document["results"]:
        if record["outcome"] in ("failed", "error", "warning"):
            problems[record["domain"]].append(f"{record['check']}({record['outcome']})")
        elif record["outcome"] == "skipped":
            skipped[record["domain"]].append(record["message"])
    width = max((len(d["domain"]) for d in document["domains"]), default=10)
    for summary in document["domains"]:
        days = summary.get("days_left")
        left = f"{days:6.1f}d" if isinstance(days, int | float) else "      -"
        outcomes = summary.get("outcomes", {})
        if problems.get(summary["domain"]):
            checks = " ".join(problems[summary["domain"]])
        elif outcomes and set(outcomes) == {"skipped"}:
            checks = "skipped: " + "; ".join(dict.fromkeys(skipped[summary["domain"]]))
        else:
            checks = "all checks passed"
        symbol = "SKIP" if checks.startswith("skipped:") else SYMBOLS[summary["status"]]
        lines.append(f"  {symbol} {summary['domain']:<{width}} {left}  "
                     f"{checks}")
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
