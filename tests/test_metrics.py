"""Metrics: Prometheus text (a file node_exporter reads, a Pushgateway push) and OTLP/HTTP to
a receiver on loopback that decodes the protobuf export as OneUptime does, with the token in
its header and nowhere in any output."""

from __future__ import annotations

import gzip
import json
import logging
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from prometheus_client.parser import text_string_to_metric_families

from dnssec_conformance import merge_command
from dnssec_conformance.report import metrics
from dnssec_conformance.report.results import build_document

from .fleet_documents import NOW, shard_document, single_run

TOKEN = "otlpT0ken-4f9a1c77"
DOMAINS = ["good.example", "late.example", "broken.example"]
FAILING = {"late.example": {"EXPIRY01": "warning"}, "broken.example": {"DS01": "failed"}}


def document() -> dict[str, Any]:
    records = single_run(DOMAINS, FAILING)
    doc = build_document(records, evaluated_at=NOW, started_at=NOW, finished_at=NOW + 42,
                         domains_file="d.yaml", exit_status=1, interrupted=False)
    doc["probe"] = {"zones": 3, "queries": 57}
    return doc


@dataclass
class Receiver:
    url: str
    status: int = 200
    requests: list[tuple[str, str, dict[str, str], bytes]] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    box: list[Receiver] = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            elif self.headers.get("Content-Encoding") == "deflate":
                body = zlib.decompress(body)
            box[0].requests.append((self.command, self.path,
                                     {k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(box[0].status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_POST = do_PUT = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    box.append(Receiver(f"http://127.0.0.1:{server.server_address[1]}"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield box[0]
    server.shutdown()
    server.server_close()


def gauges(body: bytes) -> dict[str, list[tuple[dict[str, str], float]]]:
    """The gauges of an OTLP export: name -> [(attributes, value)]."""
    request = ExportMetricsServiceRequest()
    request.ParseFromString(body)
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for resource in request.resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                for point in metric.gauge.data_points:
                    attributes = {a.key: a.value.string_value for a in point.attributes}
                    value = point.as_double if point.HasField("as_double") else point.as_int
                    found.setdefault(metric.name, []).append((attributes, value))
    return found


def test_the_prometheus_file_parses_and_holds_each_domain(tmp_path):
    path = tmp_path / "textfile" / "dnssec.prom"
    metrics.write_textfile(path, document())
    families = {f.name: f for f in text_string_to_metric_families(path.read_text())}
    days = {s.labels["domain"]: s.value for s in families["dnssec_domain_days_until_expiry"]
            .samples}
    assert days == {"good.example": 20.0, "late.example": 20.0, "broken.example": 20.0}
    status = {s.labels["domain"]: s.value for s in families["dnssec_domain_status"].samples}
    assert status == {"good.example": 0, "late.example": 1, "broken.example": 2,
                      "local-clock": 0}
    problems = [(s.labels["domain"], s.labels["check"], s.labels["outcome"])
                for s in families["dnssec_domain_check_problem"].samples]
    assert sorted(problems) == [("broken.example", "DS01", "failed"),
                                ("late.example", "EXPIRY01", "warning")]
    assert families["dnssec_run_duration_seconds"].samples[0].value == 42
    assert families["dnssec_run_domains"].samples[0].value == 3
    assert families["dnssec_run_queries"].samples[0].value == 57
    assert [p.name for p in path.parent.iterdir()] == ["dnssec.prom"]  # no temporary left


def test_a_pushgateway_push(receiver: Receiver):
    outcome = metrics.push(receiver.url, document())
    assert outcome.delivered, outcome
    [(method, path, _headers, body)] = receiver.requests
    assert (method, path) == ("PUT", "/metrics/job/dnssec-conformance")
    names = {f.name for f in text_string_to_metric_families(body.decode())}
    assert {"dnssec_domain_status", "dnssec_run_status"} <= names
    receiver.status = 500
    failed = metrics.push(receiver.url, document())
    assert not failed.delivered and failed.reason.startswith("HTTP 500")


def test_otlp_export_reaches_the_receiver_with_the_token_and_per_domain_gauges(receiver):
    endpoint = f"{receiver.url}/otlp/v1/metrics"
    outcome = metrics.export_otlp(endpoint, document(), token=TOKEN, timeout=5)
    assert outcome.delivered and outcome.status == 200, outcome
    [(method, path, headers, body)] = receiver.requests
    assert (method, path) == ("POST", "/otlp/v1/metrics")
    assert headers["x-oneuptime-token"] == TOKEN
    assert headers["content-type"] == "application/x-protobuf"
    found = gauges(body)
    assert {(tuple(sorted(a.items())), v) for a, v in found["dnssec_domain_days_until_expiry"]
            } == {((("domain", d),), 20.0) for d in DOMAINS}
    status = {a["domain"]: v for a, v in found["dnssec_domain_status"]}
    assert status["broken.example"] == 2 and status["good.example"] == 0
    [(problem, _one)] = [(a, v) for a, v in found["dnssec_domain_check_problem"]
                         if a["domain"] == "broken.example"]
    assert problem == {"domain": "broken.example", "check": "DS01", "category": "missing-ds",
                       "outcome": "failed"}
    assert found["dnssec_run_queries"] == [({}, 57)]


def test_a_refused_token_is_reported_and_never_shown(receiver, caplog):
    receiver.status = 401
    with caplog.at_level(logging.DEBUG):
        outcome = metrics.export_otlp(f"{receiver.url}/otlp/v1/metrics?key={TOKEN}",
                                      document(), token=TOKEN, timeout=3)
    assert not outcome.delivered and outcome.reason == "HTTP 401: check the token"
    assert outcome.where.endswith("/otlp/v1/metrics?***")
    assert TOKEN not in json.dumps(outcome.as_record()) + outcome.summary() + caplog.text


def test_a_merge_sends_metrics_everywhere_and_the_token_appears_nowhere(
        receiver, tmp_path, monkeypatch, capsys, caplog):
    records = single_run(DOMAINS, FAILING)
    for index in range(2):
        path = tmp_path / "fleet" / f"shard-{index}" / "results.json"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(shard_document(records, DOMAINS, index, 2)))
    monkeypatch.setenv(metrics.OTLP_TOKEN_ENV, TOKEN)
    monkeypatch.setenv(metrics.OTLP_ENDPOINT_ENV, f"{receiver.url}/otlp/v1/metrics")
    out = tmp_path / "out"
    with caplog.at_level(logging.DEBUG):
        code = merge_command.main([str(tmp_path / "fleet"), "--results", str(out / "r.json"),
                                   "--html", str(out / "r.html"), "--metrics-file",
                                   str(out / "m.prom"), "--pushgateway", receiver.url])
    printed = capsys.readouterr()
    assert code == 1  # broken.example failed DS01
    methods = sorted(r[0] for r in receiver.requests)
    assert methods == ["POST", "PUT"]  # OTLP and the Pushgateway
    assert "metrics: otlp http://127.0.0.1:" in printed.out
    document = json.loads((out / "r.json").read_text())
    assert [m["kind"] for m in document["metrics"]] == ["file", "pushgateway", "otlp"]
    assert all(m["sent"] for m in document["metrics"])
    for text in (printed.out, printed.err, caplog.text, *(p.read_text() for p in
                                                           out.iterdir())):
        assert TOKEN not in text
