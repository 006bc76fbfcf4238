"""Metrics of a run, from its results.json document: for Prometheus and for OneUptime (OTLP).

Per domain: the days until its earliest signature expiry, its status (0 healthy, 1 warning,
2 critical, 3 unknown: could not check or not checked), how many of its checks failed, and
one series per check that did not pass (by check ID). Per run: its duration, the domains
checked, the DNS queries sent, its overall status and when it finished.

- Prometheus text exposition through `prometheus_client`: a file for node_exporter's textfile
  collector (written atomically: a scrape never reads half a file), and a Pushgateway push.
- OTLP/HTTP (protobuf) through the OpenTelemetry SDK's exporter, to OneUptime
  (`https://<host>/otlp/v1/metrics` with the `x-oneuptime-token` header). The token comes from
  an environment variable only (a Secret in Kubernetes) and never appears in any output: the
  endpoint is shown without credentials or query, and the exporter's logs are scrubbed.
"""

from __future__ import annotations

import calendar
import os
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .. import __version__
from ..probe.providers.secrets import library_logs_scrubbed
from ..probe.providers.secrets import scrub as scrub_secrets
from . import overview
from .results import DOMAIN, kind_of

OTLP_ENDPOINT_ENV = "ONEUPTIME_OTLP_ENDPOINT"
OTLP_TOKEN_ENV = "ONEUPTIME_OTLP_TOKEN"
TOKEN_HEADER = "x-oneuptime-token"
PUSH_JOB = "dnssec-conformance"
TIMEOUT_S = 10.0
REDACTED = "***"
SERVICE_NAME = "dnssec-conformance"
# overview ranks -> the status gauge: 0 healthy, 1 warning, 2 critical, 3 unknown
STATUS_VALUES = {overview.FAILED: 2, overview.WARNING: 1, overview.UNCHECKED: 3,
                 overview.NOT_CHECKED: 3, overview.HEALTHY: 0}
RUN_STATUS_VALUES = {"healthy": 0, "warning": 1, "critical": 2, "unknown": 3}
PROBLEM_OUTCOMES = {"failed": "failed", "error": "unchecked", "warning": "warning"}


@dataclass(frozen=True)
class Sample:
    name: str
    value: float
    labels: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class MetricFamily:
    name: str
    help: str
    unit: str
    label_names: tuple[str, ...]
    samples: list[Sample] = field(default_factory=list)


def _epoch(iso: str | None) -> float | None:
    if not iso:
        return None
    try:
        return float(calendar.timegm(time.strptime(iso, "%Y-%m-%dT%H:%M:%SZ")))
    except ValueError:
        return None


def families(document: Mapping[str, Any]) -> list[MetricFamily]:
    """Every metric of a results document, as plain data (both exporters read this)."""
    def family(name: str, text: str, unit: str, *labels: str) -> MetricFamily:
        return MetricFamily(name, text, unit, labels)

    days = family("dnssec_domain_days_until_expiry",
                  "Days until the earliest RRSIG expiry of the domain, across its servers "
                  "(negative: expired)", "d", "domain")
    status = family("dnssec_domain_status",
                    "Domain status: 0 healthy, 1 warning, 2 critical, 3 unknown (could not "
                    "check)", "1", "domain", "kind")
    failed_count = family("dnssec_domain_failed_checks",
                          "Checks of the domain that failed or could not check", "1",
                          "domain")
    problem = family("dnssec_domain_check_problem",
                     "1 for each check of the domain that did not pass, by check ID and "
                     "outcome (failed, unchecked, warning)", "1",
                     "domain", "check", "category", "outcome")
    by_subject: dict[str, list[Mapping[str, Any]]] = {}
    for record in document.get("results", []):
        by_subject.setdefault(str(record["domain"]), []).append(record)
    for summary in document.get("domains", []):
        name = str(summary["domain"])
        kind = kind_of(summary)
        status.samples.append(Sample(status.name, STATUS_VALUES[overview.rank_of(summary)],
                                     (("domain", name), ("kind", kind))))
        if kind != DOMAIN:
            continue
        if summary.get("days_left") is not None:
            days.samples.append(Sample(days.name, float(summary["days_left"]),
                                       (("domain", name),)))
        records = by_subject.get(name, [])
        failing = [r for r in records if r["outcome"] in ("failed", "error")]
        failed_count.samples.append(Sample(failed_count.name, len(failing),
                                           (("domain", name),)))
        for record in records:
            outcome = PROBLEM_OUTCOMES.get(str(record["outcome"]))
            if outcome is not None:
                problem.samples.append(Sample(problem.name, 1, (
                    ("domain", name), ("check", str(record["check"])),
                    ("category", str(record["category"])), ("outcome", outcome))))
    started, finished = _epoch(document.get("started_at")), _epoch(document.get("finished_at"))
    run = [
        (family("dnssec_run_duration_seconds", "Wall time of the run", "s"),
         (finished - started) if started is not None and finished is not None else None),
        (family("dnssec_run_domains", "Domains checked by the run", "1"),
         sum(1 for s in document.get("domains", []) if kind_of(s) == DOMAIN)),
        (family("dnssec_run_queries", "DNS queries the run sent", "1"),
         (document.get("probe") or {}).get("queries")),
        (family("dnssec_run_status",
                "Run status: 0 healthy, 1 warning, 2 critical, 3 unknown", "1"),
         RUN_STATUS_VALUES.get(str(document.get("status")), 3)),
        (family("dnssec_run_finished_timestamp_seconds", "When the run finished (Unix time)",
                "s"), finished),
    ]
    shards = document.get("shards")
    if shards:
        run.append((family("dnssec_run_shards_missing",
                           "Shards of the run whose results are missing or partial", "1"),
                    sum(1 for s in shards.get("by_index", []) if s["status"] != "merged")))
    result = [days, status, failed_count, problem]
    for metric, value in run:
        if value is not None:
            metric.samples.append(Sample(metric.name, float(value)))
            result.append(metric)
    return result


# --------------------------------------------------------------------------------------------
# Prometheus
# --------------------------------------------------------------------------------------------


def prometheus_registry(document: Mapping[str, Any]) -> Any:
    from prometheus_client import CollectorRegistry
    from prometheus_client.core import GaugeMetricFamily

    data = families(document)

    class _Collector:
        def collect(self) -> Iterator[Any]:
            for metric in data:
                gauge = GaugeMetricFamily(metric.name, metric.help, labels=metric.label_names)
                for sample in metric.samples:
                    gauge.add_metric([value for _, value in sample.labels], sample.value)
                yield gauge

    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Collector())
    return registry


def prometheus_text(document: Mapping[str, Any]) -> str:
    from prometheus_client import generate_latest

    return generate_latest(prometheus_registry(document)).decode("utf-8")


def write_textfile(path: Path, document: Mapping[str, Any]) -> None:
    """For node_exporter's textfile collector: written to a temporary file, then renamed."""
    from prometheus_client import write_to_textfile

    path.parent.mkdir(parents=True, exist_ok=True)
    write_to_textfile(str(path), prometheus_registry(document))


# --------------------------------------------------------------------------------------------
# What became of each export
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportOutcome:
    """One metrics destination: `where` never holds a secret."""

    kind: str  # file, pushgateway, otlp
    where: str
    delivered: bool
    reason: str = ""
    status: int | None = None

    def as_record(self) -> dict[str, Any]:
        return {"kind": self.kind, "where": self.where, "sent": self.delivered,
                "status": self.status, "reason": self.reason}

    def summary(self) -> str:
        if self.delivered:
            code = f" (HTTP {self.status})" if self.status else ""
            return f"metrics: {self.kind} {self.where}{code}"
        return f"metrics: {self.kind} {self.where}: NOT SENT: {self.reason}"


def shown_url(url: str) -> str:
    """An endpoint as it may be shown: scheme, host and path; no credentials, no query."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return REDACTED
    if not parts.scheme or not parts.netloc:
        return REDACTED
    host = parts.netloc.rpartition("@")[2]
    query = f"?{REDACTED}" if parts.query or parts.fragment else ""
    return f"{parts.scheme}://{host}{parts.path}{query}"


def _secrets_of(url: str, token: str | None) -> list[str]:
    pieces = [token or ""]
    try:
        parts = urlsplit(url)
        pieces += [parts.netloc.rpartition("@")[0], parts.query, parts.fragment]
    except ValueError:
        pieces.append(url)
    return sorted((p for p in pieces if len(p) > 3), key=len, reverse=True)


def scrub(text: str, secrets: list[str]) -> str:
    return scrub_secrets(text, secrets)


def _logs_scrubbed(secrets: list[str], libraries: tuple[str, ...]) -> Any:
    return library_logs_scrubbed(lambda: secrets, libraries)


def push(gateway: str, document: Mapping[str, Any], *, job: str = PUSH_JOB,
         timeout: float = TIMEOUT_S) -> ExportOutcome:
    """A Pushgateway push (PUT: the job's metrics are replaced by this run's)."""
    from prometheus_client import push_to_gateway

    where = shown_url(gateway)
    secrets = _secrets_of(gateway, None)
    try:
        with _logs_scrubbed(secrets, ("urllib3", "prometheus_client")):
            push_to_gateway(gateway, job=job, registry=prometheus_registry(document),
                            timeout=timeout)
    except Exception as exc:  # an unreachable gateway is a line, never a crash
        status = getattr(exc, "code", None)
        reason = f"HTTP {status}" if isinstance(status, int) else type(exc).__name__
        reason += f": {scrub(str(getattr(exc, 'reason', '') or ''), secrets)}".rstrip(": ")
        return ExportOutcome("pushgateway", where, False, reason[:200],
                             status if isinstance(status, int) else None)
    return ExportOutcome("pushgateway", where, True)


# --------------------------------------------------------------------------------------------
# OTLP (OneUptime)
# --------------------------------------------------------------------------------------------


def otlp_token(environ: Mapping[str, str] = os.environ) -> str | None:
    return environ.get(OTLP_TOKEN_ENV, "").strip() or None


def configured_otlp_endpoint(option: str | None, environ: Mapping[str, str] = os.environ
                             ) -> str | None:
    return (option or environ.get(OTLP_ENDPOINT_ENV) or "").strip() or None


def export_otlp(endpoint: str, document: Mapping[str, Any], *, token: str | None,
                timeout: float = TIMEOUT_S,
                resource: Mapping[str, str] | None = None) -> ExportOutcome:
    """One OTLP/HTTP export of every metric (protobuf), through the SDK's exporter."""
    import requests
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.metrics import CallbackOptions, Observation
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import MetricExportResult, PeriodicExportingMetricReader
    from opentelemetry.sdk.resources import Resource

    where = shown_url(endpoint)
    secrets = _secrets_of(endpoint, token)
    statuses: list[int] = []
    results: list[Any] = []
    session = requests.Session()
    session.hooks["response"].append(lambda response, *a, **k: statuses.append(
        response.status_code))

    class _Recording(OTLPMetricExporter):
        def export(self, metrics_data: Any, timeout_millis: float | None = 10_000,
                   **kwargs: Any) -> Any:
            result = super().export(metrics_data, timeout_millis=timeout_millis, **kwargs)
            results.append(result)
            return result

    headers = {TOKEN_HEADER: token} if token else {}
    data = families(document)
    with _logs_scrubbed(secrets, ("opentelemetry", "urllib3", "requests")):
        try:
            exporter = _Recording(endpoint=endpoint, headers=headers, timeout=timeout,
                                  session=session)
            reader = PeriodicExportingMetricReader(exporter,
                                                   export_interval_millis=float("inf"),
                                                   export_timeout_millis=timeout * 1000)
            attributes = {"service.name": SERVICE_NAME, "service.version": __version__,
                          **(resource or {})}
            provider = MeterProvider(metric_readers=[reader],
                                     resource=Resource.create(attributes))
            meter = provider.get_meter("dnssec_conformance", __version__)
            for metric in data:
                def observe(options: CallbackOptions, metric: MetricFamily = metric
                            ) -> list[Observation]:
                    return [Observation(s.value, dict(s.labels)) for s in metric.samples]

                meter.create_observable_gauge(metric.name, callbacks=[observe],
                                              unit=metric.unit, description=metric.help)
            provider.force_flush(timeout_millis=timeout * 1000)
            provider.shutdown(timeout_millis=timeout * 1000)
        except Exception as exc:
            return ExportOutcome("otlp", where, False,
                                 scrub(f"{type(exc).__name__}: {exc}", secrets)[:200])
        finally:
            session.close()
    status = statuses[-1] if statuses else None
    delivered = bool(results) and all(r == MetricExportResult.SUCCESS for r in results)
    if delivered:
        return ExportOutcome("otlp", where, True, status=status)
    if not results:
        reason = "nothing was exported"
    elif status is None:
        reason = "could not connect"
    else:
        reason = f"HTTP {status}" + (": check the token" if status in (401, 403) else "")
    return ExportOutcome("otlp", where, False, reason, status)
