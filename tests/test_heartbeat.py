"""The OneUptime heartbeat: its body from real check results, the priority mapping, and
delivery to a real HTTP server on loopback (retries, the time bound, redirects), with the
URL's key kept out of every message and log."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from dnssec_conformance import catalog
from dnssec_conformance.catalog import zone_checks
from dnssec_conformance.report import heartbeat
from dnssec_conformance.report.results import build_document, record_of

from .inmemory import (
    DAY,
    NOW,
    SERVER,
    build_zone,
    dead,
    delegate,
    evaluation,
    parent_zone,
    zone_data,
)

KEY = "k3yS3cr3tZZ9q"


# --- a heartbeat receiver on loopback ----------------------------------------------------------


@dataclass
class Received:
    method: str
    path: str
    content_type: str
    body: bytes

    def json(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class Receiver:
    """What the server answers (one status per request, the last one repeated) and saw."""

    url: str
    statuses: list[int] = field(default_factory=lambda: [200])
    requests: list[Received] = field(default_factory=list)

    @property
    def posts(self) -> list[Received]:
        return [r for r in self.requests if r.method == "POST"]


def serve(statuses: list[int] | None = None) -> Iterator[Receiver]:
    receiver: Receiver

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            receiver.requests.append(Received(self.command, self.path,
                                              self.headers.get("Content-Type", ""),
                                              self.rfile.read(length)))
            index = min(len(receiver.requests), len(receiver.statuses)) - 1
            status = receiver.statuses[index]
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", f"/heartbeat/{KEY}-moved")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")  # OneUptime's answer, whatever the key

        do_POST = do_GET = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver = Receiver(f"http://127.0.0.1:{server.server_address[1]}/heartbeat/{KEY}",
                        statuses or [200])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from serve()


@pytest.fixture
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(heartbeat, "FIRST_BACKOFF_S", 0.05)


# --- documents from real check results ---------------------------------------------------------


def records_for(origin: str, **zone_options: Any) -> list[dict[str, Any]]:
    parent = parent_zone()
    child = build_zone(origin, **zone_options)
    delegate(parent, child)
    data = zone_data(child, parent)
    ev = evaluation(parent)
    return [record_of(catalog.run(check, data, ev)) for check in zone_checks()]


def unreachable_records(origin: str) -> list[dict[str, Any]]:
    parent = parent_zone()
    child = build_zone(origin)
    delegate(parent, child)
    data = zone_data(child, parent)
    answers = data.answers[SERVER]
    for key in list(answers.exchanges):
        answers.exchanges[key] = dead(SERVER, *key)
    return [record_of(catalog.run(check, data, evaluation(parent))) for check in zone_checks()]


def document_of(records: list[dict[str, Any]]) -> dict[str, Any]:
    return build_document(records, evaluated_at=NOW, started_at=NOW, finished_at=NOW + 5,
                          domains_file="domains.yaml", exit_status=0, interrupted=False)


def body_of(records: list[dict[str, Any]]) -> dict[str, Any]:
    return heartbeat.build_body(document_of(records), warning_days=7, critical_days=3)


@pytest.fixture(scope="module")
def healthy() -> list[dict[str, Any]]:
    return records_for("good.test.")


@pytest.fixture(scope="module")
def warning() -> list[dict[str, Any]]:
    return records_for("soon.test.", expiration=NOW + 5 * DAY)


@pytest.fixture(scope="module")
def critical() -> list[dict[str, Any]]:
    return records_for("crit.test.", expiration=NOW + 2 * DAY)


def test_healthy_body(healthy):
    body = body_of(healthy)
    assert body["status"] == "healthy" and body["priority"] == "P4"
    assert body["timestamp"] == "2027-01-15T08:00:05Z"
    assert body["domains_checked"] == 1
    assert body["status_counts"] == {"healthy": 1, "unknown": 0, "warning": 0, "critical": 0}
    assert body["warning_threshold_days"] == 7 and body["critical_threshold_days"] == 3
    [entry] = body["results"]
    assert entry["domain"] == "good.test" and entry["status"] == "healthy"
    assert entry["days_until_expiry"] == pytest.approx(30, abs=0.01)
    assert entry["failed"] == [] and entry["warnings"] == []


def test_warning_body(warning):
    body = body_of(warning)
    assert body["status"] == "warning" and body["priority"] == "P3"
    [entry] = body["results"]
    assert entry["days_until_expiry"] == pytest.approx(5, abs=0.01)
    assert entry["failed"] == []
    assert [w["check"] for w in entry["warnings"]] == ["EXPIRY01"]
    assert entry["warnings"][0] == {
        "check": "EXPIRY01", "category": "expired-rrsig", "severity": "warning",
        "message": entry["warnings"][0]["message"]}
    assert "within the warning threshold" in entry["warnings"][0]["message"]


def test_critical_body_within_critical_days_is_p2(critical):
    body = body_of(critical)
    assert body["status"] == "critical" and body["priority"] == "P2"
    [entry] = body["results"]
    assert [f["check"] for f in entry["failed"]] == ["EXPIRY01"]
    assert entry["failed"][0]["severity"] == "critical"


def test_expired_signature_is_p1():
    body = body_of(records_for("gone.test.", inception=NOW - 31 * DAY, expiration=NOW - DAY))
    assert body["status"] == "critical" and body["priority"] == "P1"
    assert body["results"][0]["days_until_expiry"] < 0


def test_signature_shorter_lived_than_its_ttl_is_p2():
    records = records_for("ttl.test.", ttl=30 * DAY, expiration=NOW + 20 * DAY)
    assert {r["check"] for r in records if r["outcome"] == "failed"} == {"EXPIRY02"}
    assert body_of(records)["priority"] == "P2"


def test_could_not_check_is_p1_and_called_unchecked():
    body = body_of(unreachable_records("dark.test."))
    assert body["status"] == "critical" and body["priority"] == "P1"
    severities = {f["severity"] for f in body["results"][0]["failed"]}
    assert severities == {"unchecked"}
    assert body["check_counts"]["unchecked"] > 0


def test_priority_mapping_over_mixed_runs(healthy, warning, critical):
    assert heartbeat.priority_of(healthy) == "P4"
    assert heartbeat.priority_of(healthy + warning) == "P3"
    assert heartbeat.priority_of(healthy + warning + critical) == "P2"
    validation_failure = dict(critical[0], check="KEY01", category="key-mismatch",
                              outcome="failed", severity="critical")
    assert heartbeat.priority_of([*critical, validation_failure]) == "P1"
    assert heartbeat.priority_of([]) == "P1"  # nothing judged: unknown, never healthy


def test_the_word_error_never_reaches_a_body(healthy, warning, critical):
    """OneUptime's default criterion marks a monitor offline on `error` anywhere in the
    body: not in key names, outcomes, severities or messages, whatever the status."""
    noisy = dict(warning[0], outcome="warning", severity="warning",
                 message="NSEC3 iterations: ERROR-prone setting; NOERROR answer with errors")
    for records in (healthy, warning, [*warning, noisy], critical,
                    unreachable_records("dark.test.")):
        text = heartbeat.encode(body_of(records)).decode()
        assert "error" not in text.lower(), text
    scrubbed = heartbeat.without_error_word(noisy["message"])
    assert scrubbed == "NSEC3 iterations: ERR-prone setting; NOERR answer with errs"


def test_body_is_compact_json_as_oneuptime_matches_it(critical):
    text = heartbeat.encode(body_of(critical)).decode()
    assert '"status":"critical"' in text and '"priority":"P2"' in text


def test_body_stays_small_for_many_broken_domains(critical):
    records = []
    for index in range(300):
        for check in range(12):
            records.append(dict(critical[0], domain=f"d{index:03}.example", check=f"X{check:02}",
                                outcome="failed", message="m" * 1000))
    body = body_of(records)
    assert len(heartbeat.encode(body)) <= heartbeat.MAX_BODY_BYTES
    assert body["domains_checked"] == 300 and body["status_counts"]["critical"] == 300
    assert body["domains_omitted"] == 300 - len(body["results"]) > 0
    entry = body["results"][0]
    assert len(entry["failed"]) == heartbeat.MAX_CHECKS_PER_DOMAIN
    assert entry["checks_omitted"] == 12 - heartbeat.MAX_CHECKS_PER_DOMAIN
    assert all(len(f["message"]) <= heartbeat.MAX_MESSAGE_CHARS for f in entry["failed"])


def test_worst_domains_are_listed_first(healthy, warning, critical):
    body = body_of(healthy + warning + critical)
    assert [e["status"] for e in body["results"]] == ["critical", "warning", "healthy"]


# --- the URL and its key -----------------------------------------------------------------------


@pytest.mark.parametrize(("url", "shown"), [
    (f"https://oneuptime.com/heartbeat/{KEY}", "https://oneuptime.com/heartbeat/***"),
    (f"https://status.example.net:8443/heartbeat/{KEY}?x={KEY}",
     "https://status.example.net:8443/heartbeat/***?***"),
    (f"https://user:{KEY}@host.example/heartbeat/{KEY}", "https://host.example/heartbeat/***"),
    (f"https://host.example/oneuptime/heartbeat/{KEY}", "https://host.example/***"),
    (f"http://[::1]:8080/heartbeat/{KEY}#{KEY}", "http://[::1]:8080/heartbeat/***?***"),
    (f"oneuptime.com/heartbeat/{KEY}", "***"),
    (KEY, "***"),
    ("https://host.example", "https://host.example/"),
])
def test_redact(url, shown):
    assert heartbeat.redact(url) == shown
    assert KEY not in heartbeat.redact(url)
    assert KEY not in heartbeat.scrub(f"posting to {url} failed", url)


def test_configured_url_prefers_the_option():
    environ = {heartbeat.ENV_VAR: "https://a.example/heartbeat/1234"}
    assert heartbeat.configured_url(None, environ) == "https://a.example/heartbeat/1234"
    assert heartbeat.configured_url("https://b.example/x", environ) == "https://b.example/x"
    assert heartbeat.configured_url(None, {heartbeat.ENV_VAR: "  "}) is None
    assert heartbeat.configured_url(None, {}) is None


def assert_key_absent(outcome: heartbeat.HeartbeatOutcome) -> None:
    assert KEY not in repr(outcome)
    assert KEY not in json.dumps(outcome.as_record())
    assert KEY not in outcome.summary()


# --- delivery ----------------------------------------------------------------------------------


def test_delivers_one_json_post(receiver, critical):
    body = body_of(critical)
    outcome = heartbeat.send(receiver.url, body)
    assert outcome.delivered and outcome.attempts == 1 and outcome.status == 200
    assert outcome.url == receiver.url.replace(KEY, "***")
    [post] = receiver.requests
    assert post.method == "POST" and post.path == f"/heartbeat/{KEY}"
    assert post.content_type == "application/json"
    assert post.json() == body
    assert_key_absent(outcome)


def test_retries_503_then_succeeds(fast_backoff, healthy):
    for receiver in serve([503, 503, 200]):
        outcome = heartbeat.send(receiver.url, body_of(healthy))
        assert outcome.delivered and outcome.attempts == 3 and outcome.status == 200
        assert len(receiver.posts) == 3
        assert_key_absent(outcome)


def test_persistent_5xx_gives_up_within_the_deadline(fast_backoff, healthy):
    for receiver in serve([500]):
        outcome = heartbeat.send(receiver.url, body_of(healthy), deadline=1.5)
        assert not outcome.delivered and outcome.status == 500
        assert outcome.attempts == len(receiver.posts) > 2
        assert outcome.elapsed_s <= 1.5 + 0.2
        assert "HTTP 500" in outcome.reason and "NOT DELIVERED" in outcome.summary()
        assert_key_absent(outcome)


def test_a_server_that_never_answers_ends_within_the_bound(healthy):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # the kernel accepts connections; nobody ever reads or answers
    url = f"http://127.0.0.1:{silent.getsockname()[1]}/heartbeat/{KEY}"
    try:
        started = time.monotonic()
        outcome = heartbeat.send(url, body_of(healthy), deadline=1.5)
        elapsed = time.monotonic() - started
    finally:
        silent.close()
    assert not outcome.delivered and outcome.status is None
    assert elapsed < 1.5 + 0.5
    assert "timed out" in outcome.reason or "no answer" in outcome.reason
    assert_key_absent(outcome)


def test_connection_refused_is_retried_then_reported(fast_backoff, healthy):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    outcome = heartbeat.send(f"http://127.0.0.1:{port}/heartbeat/{KEY}", body_of(healthy),
                             deadline=1.0)
    assert not outcome.delivered and outcome.attempts > 1
    assert outcome.reason.startswith("could not connect")
    assert_key_absent(outcome)


def test_client_errors_are_not_retried(healthy):
    for receiver in serve([404]):
        outcome = heartbeat.send(receiver.url, body_of(healthy))
        assert not outcome.delivered and outcome.attempts == 1 and outcome.status == 404
        assert len(receiver.posts) == 1


def test_redirects_are_not_followed(healthy):
    """A followed redirect turns the POST into a GET: older self-hosted OneUptime releases
    record only POST, so the heartbeat would silently not arrive."""
    for receiver in serve([301]):
        outcome = heartbeat.send(receiver.url, body_of(healthy))
        assert not outcome.delivered and outcome.status == 301
        assert [r.method for r in receiver.requests] == ["POST"]
        assert "redirect" in outcome.reason
        assert_key_absent(outcome)


def test_an_invalid_url_never_raises_nor_shows_the_key(healthy):
    outcome = heartbeat.send(f"htp:/oneuptime.com/heartbeat/{KEY}", body_of(healthy),
                             deadline=1.0)
    assert not outcome.delivered and outcome.attempts == 1
    assert_key_absent(outcome)


def test_library_debug_logs_do_not_show_the_key(receiver, healthy, caplog):
    with caplog.at_level(logging.DEBUG):
        assert heartbeat.send(receiver.url, body_of(healthy)).delivered
    assert "POST /heartbeat/***" in caplog.text  # urllib3 logged the request line, scrubbed
    assert KEY not in caplog.text


def test_report_run_sends_nothing_without_url_or_results(receiver, healthy):
    document = document_of(healthy)
    no_url = heartbeat.report_run(None, document, warning_days=7, critical_days=3)
    assert not no_url.delivered and no_url.attempts == 0
    assert no_url.summary() == ("heartbeat: not sent: no URL (set ONEUPTIME_HEARTBEAT_URL or "
                                "--heartbeat-url)")
    empty = heartbeat.report_run(receiver.url, document_of([]), warning_days=7,
                                 critical_days=3)
    assert not empty.delivered and empty.reason == "nothing was checked"
    assert receiver.requests == []
    sent = heartbeat.report_run(receiver.url, document, warning_days=7, critical_days=3)
    assert sent.delivered and receiver.posts[0].json()["status"] == "healthy"


def test_an_interrupted_run_sends_what_it_did_marked_incomplete(receiver, healthy):
    """SIGTERM or SIGINT: whatever was checked, the rest is unknown, never healthy."""
    for document in (dict(document_of(healthy), interrupted=True),
                     dict(document_of([]), interrupted=True)):
        outcome = heartbeat.report_run(receiver.url, document, warning_days=7,
                                       critical_days=3)
        assert outcome.delivered
    bodies = [post.json() for post in receiver.posts]
    assert [(b["status"], b["priority"], b["incomplete"]) for b in bodies] == [
        ("critical", "P1", True), ("critical", "P1", True)]
    assert bodies[0]["domains_checked"] == 1 and bodies[1]["domains_checked"] == 0


def test_domains_are_counted_as_domains_and_each_check_says_how_to_fix_it(critical):
    canary = dict(critical[0], domain="bogus-canary.test", kind="canary", check="RESOLVER02",
                  outcome="passed", severity="none")
    clock = dict(critical[0], domain="local-clock", kind="run", check="CLOCK02",
                 outcome="skipped", severity="none")
    fixed = [dict(r, remediation="re-sign the zone") for r in critical]
    body = body_of([*fixed, canary, clock])
    assert body["domains_checked"] == 1
    assert body["status_counts"] == {"healthy": 0, "unknown": 0, "warning": 0, "critical": 1}
    assert body["other_subjects_checked"] == {"canary": 1, "run": 1}
    entries = {e["domain"]: e for e in body["results"]}
    assert entries["bogus-canary.test"]["kind"] == "canary"
    assert entries["local-clock"]["status"] == "unknown"  # skipped: not checked, not healthy
    assert entries["crit.test"]["failed"][0]["remediation"] == "re-sign the zone"
    assert "kind" not in entries["crit.test"]
