"""JUnit for CI test views: the system-out of warning and waived checks added to pytest's own
JUnit writer (the records' properties are added by the plugin's `makereport`)."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

import pytest

from ..report.junit import SECTION, SYSTEM_OUT_LOGGING, system_out, xml_text


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
            element.text = xml_text(text)
            writer.node_reporter(report).append(element)
        except AttributeError:  # a pytest whose writer changed shape: properties remain
            return


def _junit_writer(config: pytest.Config) -> Any:
    try:  # pytest's own key for its JUnit writer: private, so tolerate its absence
        from _pytest.junitxml import xml_key
    except ImportError:
        return None
    return config.stash.get(xml_key, None)
