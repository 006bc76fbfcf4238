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
from typing import Any

import pytest

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


class JunitWarnings:
    """Adds the system-out of warning and waived checks to pytest's JUnit writer, on the
    controlling process, before the writer closes each test case (its teardown report)."""

    def __init__(self, config: pytest.Config):
        self.config = config

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        meta = getattr(report, "dnssec", None)
        record = meta.get("record") if meta else None
        if report.when != "teardown" or not record:
            return
        text = system_out(record)
        writer = _junit_writer(self.config)
        if not text or writer is None:
            return
        if getattr(writer, "logging", "no") in SYSTEM_OUT_LOGGING:
            report.sections.append((SECTION, text))  # pytest writes it with the rest
            return
        try:
            element = ElementTree.Element("system-out")
            element.text = _xml_text(text)
            writer.node_reporter(report).append(element)
        except AttributeError:  # a pytest whose writer changed shape: properties remain
            return


def _junit_writer(config: pytest.Config) -> Any:
    try:  # pytest's own key for its JUnit writer: private, so tolerate its absence
        from _pytest.junitxml import xml_key
    except ImportError:
        return None
    return config.stash.get(xml_key, None)


def _xml_text(text: str) -> str:
    try:
        from _pytest.junitxml import bin_xml_escape
    except ImportError:
        return "".join(c if c.isprintable() or c in "\n\t" else "?" for c in text)
    return bin_xml_escape(text)
