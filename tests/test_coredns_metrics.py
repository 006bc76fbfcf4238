"""The CoreDNS metrics checks (RESOLVER06, RESOLVER07) against a real HTTP server on loopback
serving the exposition text CoreDNS 1.11 writes, and the endpoint failures they must survive."""

from __future__ import annotations

import contextlib
import socket
import string
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from dnssec_conformance import catalog
from dnssec_conformance.analysis.evaluation import Evaluation
from dnssec_conformance.findings import Outcome, Severity
from dnssec_conformance.probe.coredns.metrics import parse_exposition, scrape
from dnssec_conformance.probe.resolvers import CoreDnsView

DATA = Path(__file__).parent / "data"
PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"
EVALUATION = Evaluation(0.0, None, None, None)  # type: ignore[arg-type]  (unused here)


def exposition(*, noerror: int = 48213, nxdomain: int = 31870, servfail: int = 212,
               hits_success: int = 40127, hits_denial: int = 25210, misses: int = 15000,
               cache: bool = True) -> str:
    """A CoreDNS 1.11.1 /metrics page (abridged: the Go runtime and process families cut)."""
    values = {"noerror_forward": noerror // 2, "noerror_kubernetes": noerror - noerror // 2,
              "nxdomain": nxdomain, "servfail": servfail, "hits_success": hits_success,
              "hits_denial": hits_denial, "misses": misses,
              "requests": hits_success + hits_denial + misses}
    text = string.Template((DATA / "coredns-1.11-metrics.prom").read_text()).substitute(values)
    if cache:
        cache_text = (DATA / "coredns-1.11-cache-metrics.prom").read_text()
        text += string.Template(cache_text).substitute(values)
    return text


PAGES: dict[str, tuple[int, str, str]] = {
    "/metrics": (200, PROMETHEUS_TEXT, exposition()),
    "/failing": (200, PROMETHEUS_TEXT, exposition(servfail=4100)),
    "/cold": (200, PROMETHEUS_TEXT, exposition(hits_success=900, hits_denial=100,
                                               misses=9000)),
    "/nocache": (200, PROMETHEUS_TEXT, exposition(cache=False)),
    "/fresh": (200, PROMETHEUS_TEXT, exposition(noerror=0, nxdomain=0, servfail=0,
                                                hits_success=0, hits_denial=0, misses=0)
               .replace('rcode="REFUSED",server="dns://:53",view="",zone="."} 3',
                        'rcode="REFUSED",server="dns://:53",view="",zone="."} 0')),
    "/html": (200, "text/html; charset=utf-8", "<html><body><h1>Grafana</h1></body></html>"),
    "/garbage": (200, "text/plain", "this is not { prometheus text\n"),
    "/not-coredns": (200, PROMETHEUS_TEXT,
                     "# TYPE node_load1 gauge\nnode_load1 0.42\n"),
}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/slow":
            time.sleep(1.5)
        status, content_type, body = PAGES.get(self.path, (404, "text/plain",
                                                           "404 page not found\n"))
        data = body.encode()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # /slow's client left
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def checked(url: str, timeout_s: float = 2.0, **thresholds: float) -> dict[str, object]:
    view = CoreDnsView(None, metrics=scrape(url, timeout_s), **thresholds)  # type: ignore[arg-type]
    return {check: catalog.run(check, view, EVALUATION)
            for check in ("RESOLVER06", "RESOLVER07")}


def test_healthy_coredns_passes_with_both_ratios(endpoint: str) -> None:
    results = checked(f"{endpoint}/metrics")

    servfail, cache = results["RESOLVER06"], results["RESOLVER07"]
    assert servfail.outcome is Outcome.PASSED and cache.outcome is Outcome.PASSED
    assert servfail.domain == "coredns"
    # 212 SERVFAIL of 48213 + 31870 + 212 + 3 responses
    assert "SERVFAIL is 0.26% of CoreDNS's responses (212 of 80298" in servfail.message
    # (40127 + 25210) hits of those and 15000 misses
    assert "the cache answers 81.3% of lookups (65337 hits of 80337" in cache.message


def test_the_scrape_reads_every_series(endpoint: str) -> None:
    metrics = scrape(f"{endpoint}/metrics")
    assert metrics.failure is None and metrics.version == "1.11.1"
    assert metrics.responses_by_rcode == {"NOERROR": 48213.0, "NXDOMAIN": 31870.0,
                                          "SERVFAIL": 212.0, "REFUSED": 3.0}
    assert (metrics.cache_hits, metrics.cache_misses, metrics.cache_requests) == (
        65337.0, 15000.0, 80337.0)


def test_a_high_servfail_share_is_a_warning(endpoint: str) -> None:
    results = checked(f"{endpoint}/failing")
    assert results["RESOLVER06"].outcome is Outcome.WARNING
    assert "warning above 1.00%" in results["RESOLVER06"].message


def test_thresholds_are_configurable(endpoint: str) -> None:
    results = checked(f"{endpoint}/failing", servfail_share_warning=0.1,
                      cache_hit_ratio_warning=0.9)
    assert results["RESOLVER06"].outcome is Outcome.PASSED
    assert results["RESOLVER07"].outcome is Outcome.WARNING


def test_a_cold_cache_is_a_warning(endpoint: str) -> None:
    result = checked(f"{endpoint}/cold")["RESOLVER07"]
    assert result.outcome is Outcome.WARNING and "10.0% of lookups" in result.message


def test_no_cache_counters_means_no_cache_plugin(endpoint: str) -> None:
    results = checked(f"{endpoint}/nocache")
    assert results["RESOLVER06"].outcome is Outcome.PASSED
    assert results["RESOLVER07"].outcome is Outcome.WARNING
    assert "cache plugin is not enabled" in results["RESOLVER07"].message


def test_a_fresh_coredns_has_nothing_to_judge_yet(endpoint: str) -> None:
    results = checked(f"{endpoint}/fresh")
    assert results["RESOLVER06"].message == "ok (no responses counted yet)"
    assert results["RESOLVER07"].message == "ok (no cache lookups counted yet)"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(("path", "expected"), [
    ("/html", "not Prometheus text (Content-Type: text/html"),
    ("/garbage", "not Prometheus text"),
    ("/nothing-here", "HTTP 404"),
    ("/slow", "no answer within 0.5 s"),
    ("/not-coredns", "exports no coredns_dns_responses_total"),
])
def test_a_bad_endpoint_is_an_error_not_a_crash(endpoint: str, path: str,
                                                expected: str) -> None:
    for result in checked(f"{endpoint}{path}", timeout_s=0.5).values():
        assert result.outcome is Outcome.ERROR  # type: ignore[attr-defined]
        assert result.findings[0].severity is Severity.ERROR  # type: ignore[attr-defined]
        assert expected in result.message, result.message  # type: ignore[attr-defined]


def test_an_endpoint_that_is_down_is_an_error() -> None:
    url = f"http://127.0.0.1:{closed_port()}/metrics"
    for result in checked(url).values():
        assert result.outcome is Outcome.ERROR  # type: ignore[attr-defined]
        assert f"metrics endpoint {url}: cannot connect" in result.message  # type: ignore[attr-defined]


def test_parse_exposition_never_raises() -> None:
    for text in ("", "{}", "\x00\x01", "a b c d\n", 'x{a="b} 1\n'):
        assert parse_exposition(text, "u").failure is not None
