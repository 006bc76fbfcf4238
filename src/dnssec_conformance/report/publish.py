"""Where a finished run's outcome goes besides results.json: the heartbeat to OneUptime and
the metrics (a Prometheus file, a Pushgateway, OneUptime's OTLP endpoint). The plugin calls
this at the end of a run, `dnssec-conformance merge` at the end of a merge: one code path.

Nothing here raises for a destination that fails: each outcome is recorded in the document
(`heartbeat`, `metrics`) and printed as one line, secrets redacted.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import heartbeat, metrics


@dataclass(frozen=True)
class Destinations:
    heartbeat_url: str | None = None
    heartbeat_reason: str = ""  # why there is no heartbeat, when that is not "no URL"
    metrics_file: Path | None = None
    pushgateway: str | None = None
    otlp_endpoint: str | None = None
    otlp_token: str | None = None
    otlp_resource: tuple[tuple[str, str], ...] = ()


@dataclass
class Published:
    heartbeat: heartbeat.HeartbeatOutcome
    metrics: list[metrics.ExportOutcome]

    def lines(self) -> list[str]:
        return [self.heartbeat.summary(), *(m.summary() for m in self.metrics)]


def send_heartbeat(destinations: Destinations, document: dict[str, Any], *,
                   warning_days: float, critical_days: float) -> heartbeat.HeartbeatOutcome:
    if destinations.heartbeat_reason:
        url = destinations.heartbeat_url
        return heartbeat.HeartbeatOutcome(False, url=heartbeat.redact(url) if url else None,
                                          reason=destinations.heartbeat_reason)
    return heartbeat.report_run(destinations.heartbeat_url, document,
                                warning_days=warning_days, critical_days=critical_days)


def export_metrics(destinations: Destinations, document: dict[str, Any]
                   ) -> list[metrics.ExportOutcome]:
    outcomes = []
    if destinations.metrics_file is not None:
        path = destinations.metrics_file
        try:
            metrics.write_textfile(path, document)
            outcomes.append(metrics.ExportOutcome("file", str(path), True))
        except OSError as exc:
            outcomes.append(metrics.ExportOutcome("file", str(path), False,
                                                  exc.strerror or type(exc).__name__))
    if destinations.pushgateway:
        outcomes.append(metrics.push(destinations.pushgateway, document))
    if destinations.otlp_endpoint:
        outcomes.append(metrics.export_otlp(destinations.otlp_endpoint, document,
                                            token=destinations.otlp_token,
                                            resource=dict(destinations.otlp_resource)))
    return outcomes


def publish(destinations: Destinations, document: dict[str, Any], *, warning_days: float,
            critical_days: float) -> Published:
    """The heartbeat, then the metrics; their outcomes are added to `document`."""
    beat = send_heartbeat(destinations, document, warning_days=warning_days,
                          critical_days=critical_days)
    document["heartbeat"] = beat.as_record()
    exported = export_metrics(destinations, document)
    if exported:
        document["metrics"] = [m.as_record() for m in exported]
    return Published(beat, exported)
