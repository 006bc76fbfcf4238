"""What CI test views need of a DNSSEC run beyond pytest's JUnit XML.

A warning (a signature within `warning_days`, a policy warning) is a passed test to pytest,
and CI views draw passed tests green. So each check's test case carries properties (its check
ID and outcome, one `dnssec_warning` per warning finding, the waiver of a waived check) and a
`<system-out>` naming its warnings: CI views list both. A waived check is an xfail, which
JUnit already records as `<skipped type="pytest.xfail">` with the waiver's reason.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping
from typing import Any, cast

from .. import catalog

SHOWN_OUTCOMES = ("warning", "waived")
SECTION = "Captured stdout dnssec"  # when pytest writes system-out itself (junit_logging)
SYSTEM_OUT_LOGGING = ("system-out", "out-err", "all")


def properties(record: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The test case's properties for one results.json record."""
    listed = [("dnssec_check", str(record["check"])), ("dnssec_outcome", str(record["outcome"]))]
    for finding in record.get("findings", []):
        if finding["severity"] == "warning":
            where = f" [{finding['server']}]" if finding.get("server") else ""
            listed.append(("dnssec_warning",
                           f"{record['domain']} {record['check']}: {finding['message']}{where}"))
    waiver = record.get("waiver")
    if record["outcome"] == "waived" and waiver:
        listed.append(("dnssec_waiver", f"until {waiver['until']}: {waiver['reason']} "
                                        f"(the check {waiver['outcome']})"))
    return listed


def system_out(record: Mapping[str, Any]) -> str:
    """The text a CI view shows under a warning or waived test case; empty for the rest."""
    if record["outcome"] not in SHOWN_OUTCOMES:
        return ""
    lines = [f"{str(record['outcome']).upper()} {record['check']} on {record['domain']}: "
             f"{record['message']}"]
    lines += [f"  - {f['severity']}: {f['message']}" for f in record.get("findings", [])
              if f["severity"] != "info"]
    waiver = record.get("waiver")
    if waiver:
        lines.append(f"  waived until {waiver['until']}: {waiver['reason']}")
    if record.get("remediation"):
        lines.append(f"  Remediation: {record['remediation']}")
    return "\n".join(lines) + "\n"


def xml_text(text: str) -> str:
    try:
        from _pytest.junitxml import bin_xml_escape
    except ImportError:
        return "".join(c if c.isprintable() or c in "\n\t" else "?" for c in text)
    return bin_xml_escape(text)


# --------------------------------------------------------------------------------------------
# A JUnit file from records (a merge: no test ran in this process)
# --------------------------------------------------------------------------------------------


def node_id(record: Mapping[str, Any], tests: Mapping[str, tuple[str, str]]) -> str:
    """The node ID a single run gives the record's test (`test_expiry.py::test_x[a.test]`)."""
    module, function = tests.get(str(record["check"]), ("", str(record["check"])))
    parametrized = record.get("kind", "domain") in ("domain", "canary")
    name = f"{function}[{record['domain']}]" if parametrized else function
    return f"{module}::{name}" if module else name


def _failure_text(record: Mapping[str, Any]) -> str:
    lines = [f"{record['check']} {record['outcome']}: {record['message']}"]
    for finding in record.get("findings", []):
        where = f" [{finding['server']}]" if finding.get("server") else ""
        lines.append(f"  - {finding['severity']}: {finding['message']}{where}")
    return "\n".join(lines)


def junit_xml(records: list[Mapping[str, Any]], *, timestamp: str,
              tests: Mapping[str, tuple[str, str]] | None = None) -> bytes:
    """A JUnit XML document with one test case per record, as a single run writes it: a
    failed or could-not-check record is a failure, a waived one an xfail, a skipped one a
    skip; each carries the same properties and system-out as the run's own file."""
    tests = catalog.suite_tests() if tests is None else tests
    suite = ElementTree.Element("testsuite", name="pytest", timestamp=timestamp)
    counts = {"failures": 0, "skipped": 0}
    for record in sorted(records, key=lambda r: node_id(r, tests)):
        module, _, name = node_id(record, tests).rpartition("::")
        case = ElementTree.SubElement(suite, "testcase",
                                      classname=module.removesuffix(".py").replace("/", "."),
                                      name=name, time="0.000")
        listed = properties(record)
        if listed:
            holder = ElementTree.SubElement(case, "properties")
            for key, value in listed:
                ElementTree.SubElement(holder, "property", name=key, value=xml_text(value))
        outcome = record["outcome"]
        if outcome in ("failed", "error"):
            counts["failures"] += 1
            failure = ElementTree.SubElement(case, "failure",
                                             message=xml_text(str(record["message"])[:300]))
            failure.text = xml_text(_failure_text(record))
        elif outcome == "waived":
            counts["skipped"] += 1
            waiver = record.get("waiver") or {}
            ElementTree.SubElement(case, "skipped", type="pytest.xfail", message=xml_text(
                f"waived until {waiver.get('until')}: {waiver.get('reason')}"))
        elif outcome == "skipped":
            counts["skipped"] += 1
            ElementTree.SubElement(case, "skipped", type="pytest.skip",
                                   message=xml_text(str(record["message"])[:300]))
        text = system_out(record)
        if text:
            ElementTree.SubElement(case, "system-out").text = xml_text(text)
    suite.set("errors", "0")
    suite.set("failures", str(counts["failures"]))
    suite.set("skipped", str(counts["skipped"]))
    suite.set("tests", str(len(records)))
    suites = ElementTree.Element("testsuites", name="pytest tests")
    suites.append(suite)
    body = cast(bytes, ElementTree.tostring(suites, "utf-8"))
    return b'<?xml version="1.0" encoding="utf-8"?>' + body
