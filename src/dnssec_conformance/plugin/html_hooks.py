"""pytest-html with DNSSEC columns, each failed check's evidence attached, and the dashboard at
the top; the default report and JUnit paths; secrets kept out of the environment table.

One `HtmlReportHooks` per run, registered by `hooks.pytest_configure` on every process with
what it reads (the run's state, the results reporter on the controller): no lookups by name,
no import back into the plugin. The evidence is attached where the test runs (an xdist
worker too), by the plugin's one `makereport` wrapper calling `annotate`; the pytest-html
hooks fire on the controller only. The HTML itself is `report.html`'s.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from html import escape
from typing import TYPE_CHECKING, Any

import pytest

from ..report import heartbeat
from ..report import scale as report_scale
from ..report.html import (
    COLUMNS,
    REPORTED_OUTCOMES,
    dashboard_html,
    evidence_html,
    redact_metadata,
    result_cells,
)
from ..report.results import build_document

if TYPE_CHECKING:
    from .reporter import ResultsReporter
    from .session import Conformance

DEFAULT_HTML = "reports/report.html"
DEFAULT_JUNIT = "reports/junit.xml"
FIRST_COLUMN = 2  # after pytest-html's Result and Test columns


def use_default_outputs(config: pytest.Config) -> tuple[str, ...]:
    """On the controller of a run with a domains file: a self-contained reports/report.html
    and reports/junit.xml unless --html / --junitxml say otherwise. Returns those chosen."""
    chosen = []
    if not config.getoption("htmlpath", None) and config.pluginmanager.hasplugin("html"):
        config.option.htmlpath = DEFAULT_HTML
        config.option.self_contained_html = True
        chosen.append("html")
    if not config.getoption("xmlpath", None) and config.pluginmanager.hasplugin("junitxml"):
        config.option.xmlpath = DEFAULT_JUNIT
        chosen.append("junit")
    return tuple(chosen)


HTML_HOOKS = pytest.StashKey["HtmlReportHooks"]()


class HtmlReportHooks:
    """The report's hooks for one run. `reporter` is None on an xdist worker (it writes no
    report); `domain_count` is called once, when the table's listing is first decided."""

    def __init__(self, config: pytest.Config, conformance: Conformance,
                 reporter: ResultsReporter | None, domain_count: Callable[[], int],
                 defaulted_outputs: tuple[str, ...] = ()):
        self.config = config
        self.conformance = conformance
        self.reporter = reporter
        self.domain_count = domain_count
        self.defaulted_outputs = defaulted_outputs
        self._only_problems: bool | None = None
        self._shown: dict[str, dict[str, str]] = {}  # domain -> evidence -> the check showing it

    def only_problems(self) -> bool:
        """Whether this run's table lists only the checks that did not pass (decided once)."""
        if self._only_problems is None:
            self._only_problems = report_scale.problems_only(
                self.config.getoption("report_rows", "auto"), self.domain_count())
        return self._only_problems

    def annotate(self, report: pytest.TestReport, meta: dict[str, Any]) -> None:
        """Called by the plugin's `makereport` once `report.dnssec` is set: whether the row
        is listed, and the evidence of a check that did not pass, as a pytest-html extra."""
        record = meta.get("record")
        if report.when != "call":
            return
        meta["listed"] = report_scale.listed(record, self.only_problems())
        if record and record["outcome"] in REPORTED_OUTCOMES:
            from pytest_html import extras  # type: ignore[import-untyped]

            report.extras = [*getattr(report, "extras", []),  # type: ignore[attr-defined]
                             extras.html(evidence_html(
                                 record, self._shown.setdefault(record["domain"], {})))]

    # --- default outputs ----------------------------------------------------------------------

    def _records(self) -> list[dict[str, Any]]:
        return list(self.reporter.records.values()) if self.reporter is not None else []

    def _drop_unused_default_outputs(self) -> None:
        """A run that checked no domain (the project's own tests: conftest.py supplies a
        default domains file) writes none of the default reports."""
        chosen, config = self.defaulted_outputs, self.config
        if not chosen or self._records():
            return
        if "html" in chosen:
            from pytest_html.basereport import BaseReport  # type: ignore[import-untyped]

            for plugin in config.pluginmanager.get_plugins():
                if isinstance(plugin, BaseReport):
                    config.pluginmanager.unregister(plugin)
        if "junit" in chosen:
            try:  # pytest's own key for its JUnit writer: private, so tolerate its absence
                from _pytest.junitxml import xml_key
            except ImportError:
                return
            xml = config.stash.get(xml_key, None)
            if xml is not None:
                del config.stash[xml_key]
                config.pluginmanager.unregister(xml)
        self.defaulted_outputs = ()

    @pytest.hookimpl(wrapper=True)
    def pytest_runtestloop(self, session: pytest.Session) -> Generator[None, object, object]:
        try:
            return (yield)
        finally:
            self._drop_unused_default_outputs()

    # --- the environment table ----------------------------------------------------------------

    def _heartbeat_url(self) -> str | None:
        return heartbeat.configured_url(self.config.getoption("heartbeat_url", None))

    def _redact_environment(self) -> None:
        try:
            from pytest_metadata.plugin import metadata_key  # type: ignore[import-untyped]
        except ImportError:
            return
        metadata = self.config.stash.get(metadata_key, None)
        if metadata is not None:
            redact_metadata(metadata, self._heartbeat_url())

    @pytest.hookimpl(optionalhook=True)
    def pytest_metadata(self, metadata: dict[str, Any]) -> None:
        redact_metadata(metadata, self._heartbeat_url())

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self) -> None:
        self._redact_environment()  # before pytest-html and the -v header read it

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self) -> None:
        self._redact_environment()  # xdist workers' metadata arrives at node-down

    # --- pytest-html ------------------------------------------------------------------------

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_report_title(self, report: Any) -> None:
        report.title = "DNSSEC conformance report"

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_table_header(self, cells: list[str]) -> None:
        cells[FIRST_COLUMN:FIRST_COLUMN] = [
            f'<th class="sortable" data-column-type="{name}">{label}</th>'
            for name, label in COLUMNS]

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_table_row(self, report: pytest.TestReport, cells: list[str]) -> None:
        meta = getattr(report, "dnssec", None)
        # A passed or skipped check of a large run: counted, not listed. A passed setup or
        # teardown is never listed by pytest-html: its row is not built either.
        if meta is not None and ((report.when == "call" and meta.get("listed") is False)
                                 or (report.when != "call" and report.passed)):
            del cells[:]
            return
        cells[FIRST_COLUMN:FIRST_COLUMN] = result_cells(meta)

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_table_html(self, report: pytest.TestReport, data: list[str]) -> None:
        """A failed check's log is its findings and evidence again: the row's extras show
        them (evidence folded), so the log keeps only what else was captured."""
        meta = getattr(report, "dnssec", None)
        record = meta.get("record") if meta else None
        if report.when != "call" or not record or record["outcome"] not in REPORTED_OUTCOMES:
            return
        longrepr = escape(report.longreprtext) + "\n" if report.longreprtext else None
        if longrepr is not None and longrepr in data and report.failed:
            data.remove(longrepr)

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_summary(self, prefix: list[str], summary: list[str],
                                    postfix: list[str], session: pytest.Session) -> None:
        records, reporter, conformance = self._records(), self.reporter, self.conformance
        if not records or reporter is None:
            return
        document = build_document(
            records, evaluated_at=reporter.evaluated_at, started_at=reporter.started_at,
            finished_at=time.time(), domains_file=reporter.domains_file,
            exit_status=int(session.exitstatus), interrupted=False)
        prefix.append(dashboard_html(
            document, thresholds=conformance.config.thresholds,
            domain_thresholds={d.display: d.thresholds for d in conformance.config.domains},
            only_problems=self.only_problems()))
