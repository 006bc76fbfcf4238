"""The heartbeat to OneUptime: one JSON POST per run, to an incoming-request monitor.

The body keeps the field names of the monitoring guide's heartbeat scripts (`status`,
`timestamp`, `domains_checked`, `status_counts`, `warning_threshold_days`,
`critical_threshold_days`, `results`) so that alert rules written for them keep working, and
adds `priority` (P1-P4, the guide's alert priority matrix).

What OneUptime does with it, and what this module does about it:
- It answers 200 `{}` for any key, even a wrong one: a 200 proves nothing about arrival (the
  README says how to confirm it on the monitor's timeline).
- New monitors come with the criterion "body contains `error` -> offline", so the body never
  contains those five letters, whatever the status: the could-not-check outcome is called
  `unchecked` and messages are rewritten (`NOERROR` -> `NOERR`, `error` -> `err`).
- Older self-hosted releases record only POST: redirects are not followed (requests would
  turn the POST into a GET), a 3xx is reported instead.

The URL's path holds the monitor's secret key: only `redact(url)` is ever shown, and no
exception text (requests puts the URL in its messages) reaches a message.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from .. import __version__
from ..findings import Category
from .results import DOMAIN, UNKNOWN, kind_of, priority_of

__all__ = ["priority_of"]  # kept here too: the priority is the heartbeat's vocabulary

ENV_VAR = "ONEUPTIME_HEARTBEAT_URL"
DEADLINE_S = 30.0  # the whole heartbeat, retries included: a CronJob's schedule relies on it
ATTEMPT_TIMEOUT_S = 10.0
FIRST_BACKOFF_S = 0.5
MIN_ATTEMPT_S = 0.05  # less time than this left: another attempt cannot succeed
MAX_BODY_BYTES = 16 * 1024
MAX_CHECKS_PER_DOMAIN = 5
MAX_MESSAGE_CHARS = 200
# Room kept for `"domains_omitted":N,"problem_domains_omitted":N` at the end of a full body
OMITTED_FIELDS_BYTES = 64
REDACTED = "***"
UNCHECKED = "unchecked"  # results.json's `error` (could not check), under a name OneUptime's
#                          default criterion does not trip on
STATUS_ORDER = ("critical", "warning", UNKNOWN, "healthy")
ROLLOVER_CATEGORY = str(Category.ROLLOVER)
ERROR_WORD = re.compile(r"(err)or", re.IGNORECASE)
RETRIED_STATUSES = frozenset({408, 425, 429})
LIBRARY_LOGGERS = ("urllib3", "requests")
HEADERS = {"Content-Type": "application/json", "User-Agent": f"dnssec-conformance/{__version__}"}


def configured_url(option: str | None, environ: Mapping[str, str] = os.environ) -> str | None:
    """The heartbeat URL: `--heartbeat-url`, else $ONEUPTIME_HEARTBEAT_URL; blank is none."""
    url = (option or environ.get(ENV_VAR) or "").strip()
    return url or None


# --------------------------------------------------------------------------------------------
# Keeping the key secret
# --------------------------------------------------------------------------------------------


def redact(url: str) -> str:
    """The URL as it may be shown: scheme and host kept, the key path and any query string,
    credentials or fragment replaced. `https://oneuptime.com/heartbeat/KEY` becomes
    `https://oneuptime.com/heartbeat/***`."""
    try:
        parts = urlsplit(url.strip())
        host = parts.netloc.rpartition("@")[2]
    except ValueError:
        return REDACTED
    if not parts.scheme or not host:
        return REDACTED
    segments = [s for s in parts.path.split("/") if s]
    if segments and segments[0] == "heartbeat":
        path = "/heartbeat/" + (REDACTED if segments[1:] else "")
    else:
        path = "/" + (REDACTED if segments else "")
    query = f"?{REDACTED}" if parts.query or parts.fragment else ""
    return f"{parts.scheme}://{host}{path}{query}"


def secret_fragments(url: str) -> list[str]:
    """The pieces of `url` that `redact` hides, longest first, for scrubbing free text."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return [url.strip()]
    if not parts.scheme or not parts.netloc:
        return [url.strip()]
    userinfo, _, _ = parts.netloc.rpartition("@")
    fragments = {userinfo, parts.query, parts.fragment}
    fragments.update(s for s in parts.path.split("/") if s != "heartbeat")
    # Three characters or fewer cannot be a monitor key; scrubbing them would maul the text.
    return sorted((f for f in fragments if len(f) > 3), key=len, reverse=True)


def scrub(text: str, url: str | None) -> str:
    """`text` with the URL shown redacted and every other secret piece of it replaced."""
    if not url:
        return text
    text = text.replace(url.strip(), redact(url))
    for fragment in secret_fragments(url):
        text = text.replace(fragment, REDACTED)
    return text


class _SecretFilter(logging.Filter):
    def __init__(self, url: str):
        super().__init__()
        self.url = url

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = scrub(message, self.url)
        if clean != message:
            record.msg, record.args = clean, ()
        return True


@contextmanager
def _library_logs_scrubbed(url: str) -> Iterator[None]:
    """urllib3 logs the request line (with the key) at DEBUG: `--log-cli-level=DEBUG` would
    print it. A filter on a logger sees only that logger's own records, hence one per
    logger."""
    names = {n for n in logging.root.manager.loggerDict if n.split(".")[0] in LIBRARY_LOGGERS}
    names.update({"urllib3.connectionpool", "urllib3.connection", "urllib3.util.retry",
                  "urllib3.poolmanager", *LIBRARY_LOGGERS})
    secret_filter = _SecretFilter(url)
    loggers = [logging.getLogger(name) for name in sorted(names)]
    for logger in loggers:
        logger.addFilter(secret_filter)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(secret_filter)


# --------------------------------------------------------------------------------------------
# The body
# --------------------------------------------------------------------------------------------


def without_error_word(text: str) -> str:
    """OneUptime's default criterion marks a monitor offline when the body contains `error`:
    `NOERROR` -> `NOERR`, `errors` -> `errs`, case kept."""
    return ERROR_WORD.sub(r"\1", text)


def _short(text: str) -> str:
    text = without_error_word(" ".join(str(text).split()))
    return text if len(text) <= MAX_MESSAGE_CHARS else text[:MAX_MESSAGE_CHARS - 1] + "…"


def rotation_events(records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """What the key-rollover checks reported: each key or DS change (a finding flagged as an
    event), and each rollover problem; a first run's baseline is neither."""
    events = []
    for record in records:
        if record["category"] != ROLLOVER_CATEGORY or record["outcome"] == "skipped":
            continue
        for finding in record.get("findings", []):
            if not finding.get("event") and finding["severity"] == "info":
                continue
            events.append({"domain": record["domain"], "check": record["check"],
                           "severity": finding["severity"], "message": finding["message"],
                           "server": finding.get("server")})
    return events


def _check_entry(record: Mapping[str, Any]) -> dict[str, Any]:
    severity = UNCHECKED if record["outcome"] == "error" else record["severity"]
    entry = {"check": record["check"], "category": record["category"],
             "severity": without_error_word(severity), "message": _short(record["message"])}
    if record.get("remediation"):
        entry["remediation"] = _short(record["remediation"])
    waiver = record.get("waiver")
    if record["outcome"] == "waived" and waiver:
        entry["waived_until"] = waiver["until"]
        entry["reason"] = _short(waiver["reason"])
    return entry


def _domain_entry(summary: Mapping[str, Any], records: list[Mapping[str, Any]]
                  ) -> dict[str, Any]:
    failed = [r for r in records if r["outcome"] in ("failed", "error")]
    warnings = [r for r in records if r["outcome"] == "warning"]
    waived = [r for r in records if r["outcome"] == "waived"]
    listed_failed = failed[:MAX_CHECKS_PER_DOMAIN]
    listed_warnings = warnings[:MAX_CHECKS_PER_DOMAIN - len(listed_failed)]
    listed_waived = waived[:MAX_CHECKS_PER_DOMAIN - len(listed_failed) - len(listed_warnings)]
    days_left = summary.get("days_left")
    entry: dict[str, Any] = {
        "domain": summary["domain"],
        "status": summary["status"],
        "days_until_expiry": round(days_left, 2) if days_left is not None else None,
        "failed": [_check_entry(r) for r in listed_failed],
        "warnings": [_check_entry(r) for r in listed_warnings],
    }
    if waived:
        entry["waived"] = [_check_entry(r) for r in listed_waived]
    if kind_of(summary) != DOMAIN:
        entry["kind"] = kind_of(summary)
    omitted = (len(failed) + len(warnings) + len(waived)
               - len(listed_failed) - len(listed_warnings) - len(listed_waived))
    if omitted:
        entry["checks_omitted"] = omitted
    if summary.get("provider"):
        entry["provider"] = provider_entry(summary["provider"])
    return entry


def _short_ds(text: str) -> str:
    """A DS as "tag algorithm digest-type" and the digest's first 16 hex digits."""
    fields = text.split()
    if len(fields) == 4 and len(fields[3]) > 16:
        return f"{' '.join(fields[:3])} {fields[3][:16]}…"
    return text


def provider_entry(provider: Mapping[str, Any]) -> dict[str, Any]:
    """The provider's view next to the DNS's (results.json's domain `provider`), compact: the
    provider's status and active KSK DS, the DS the parent serves, and whether they meet."""
    entry: dict[str, Any] = {"name": provider.get("label"), "zone": provider.get("zone")}
    if provider.get("failure"):
        entry["status"] = UNCHECKED
        entry["reason"] = _short(provider["failure"])
        return entry
    entry["status"] = _short(provider.get("status") or "")
    if provider.get("status_message"):
        entry["status_message"] = _short(provider["status_message"])
    entry["ksk_ds"] = [_short_ds(ds) for key in provider.get("keys", [])
                       if key.get("role") == "KSK" and key.get("state") in ("active", "failing")
                       for ds in key.get("ds", [])][:4]
    dns_view = provider.get("dns") or {}
    entry["parent_ds"] = [_short_ds(ds) for ds in dns_view.get("parent_ds", [])][:4]
    entry["ds_at_parent"] = provider.get("ds_at_parent")
    return entry


def encode(body: Mapping[str, Any]) -> bytes:
    """Compact, as OneUptime re-serializes it: `"status":"critical"` appears as such."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def build_body(document: Mapping[str, Any], *, warning_days: float, critical_days: float
               ) -> dict[str, Any]:
    """The heartbeat body for a results document (see results.build_document)."""
    records = document["results"]
    by_domain: dict[str, list[Mapping[str, Any]]] = {}
    for record in records:
        by_domain.setdefault(record["domain"], []).append(record)
    summaries = sorted(document["domains"],
                       key=lambda s: (STATUS_ORDER.index(s["status"]), s["domain"]))
    # Domains are counted as domains; canaries, CoreDNS and the local clock apart.
    domains = [s for s in summaries if kind_of(s) == DOMAIN]
    others = Counter(kind_of(s) for s in summaries if kind_of(s) != DOMAIN)
    outcomes = Counter(r["outcome"] for r in records)
    body: dict[str, Any] = {
        "status": document["status"],
        "priority": priority_of(records),
        "timestamp": document["finished_at"],
        "evaluated_at": document["evaluated_at"],
        "domains_checked": len(domains),
        "status_counts": {s: sum(1 for d in domains if d["status"] == s)
                          for s in reversed(STATUS_ORDER)},
        "other_subjects_checked": dict(others),
        "check_counts": {"passed": outcomes["passed"], "warning": outcomes["warning"],
                         "failed": outcomes["failed"], UNCHECKED: outcomes["error"],
                         "skipped": outcomes["skipped"], "waived": outcomes["waived"]},
        "rotation_events": len(rotation_events(records)),
        "warning_threshold_days": warning_days,
        "critical_threshold_days": critical_days,
        "results": [],
    }
    fleet = document.get("shards")
    if fleet:
        body["shards"] = {"count": fleet.get("count"), "missing": [
            s["index"] for s in fleet.get("by_index", []) if s.get("status") != "merged"]}
    if document.get("incomplete"):
        body["incomplete"] = True
    _add_entries(body, summaries, by_domain)
    return body


def _add_entries(body: dict[str, Any], summaries: list[Mapping[str, Any]],
                 by_domain: Mapping[str, list[Mapping[str, Any]]]) -> None:
    """Worst subjects first, each in full while the body stays under the cap; then every
    problem subject (not healthy) that is left by name only, with the IDs of its checks that
    did not pass; then the counts of what is left out (`problem_domains_omitted`,
    `domains_omitted`): no problem domain is dropped silently."""
    size = len(encode(body)) + OMITTED_FIELDS_BYTES
    for summary in summaries:
        entry = _domain_entry(summary, by_domain.get(summary["domain"], []))
        entry_size = len(encode(entry)) + 1
        if size + entry_size > MAX_BODY_BYTES:
            break
        body["results"].append(entry)
        size += entry_size
    else:
        return
    rest = summaries[len(body["results"]):]
    left: list[Mapping[str, Any]] = []
    for summary in rest:
        if summary["status"] == "healthy":
            continue
        entry = _named_entry(summary, by_domain.get(summary["domain"], []))
        entry_size = len(encode(entry)) + 1
        if left or size + entry_size > MAX_BODY_BYTES:
            left.append(summary)
            continue
        body["results"].append(entry)
        size += entry_size
    body["domains_omitted"] = len(summaries) - len(body["results"])
    if left:
        body["problem_domains_omitted"] = len(left)


def _named_entry(summary: Mapping[str, Any], records: list[Mapping[str, Any]]
                 ) -> dict[str, Any]:
    """A problem subject that no longer fits in full: its name, status and check IDs."""
    days_left = summary.get("days_left")
    entry: dict[str, Any] = {
        "domain": summary["domain"], "status": summary["status"],
        "days_until_expiry": round(days_left, 2) if days_left is not None else None,
        "checks": [r["check"] for r in records
                   if r["outcome"] in ("failed", "error", "warning")][:MAX_CHECKS_PER_DOMAIN],
    }
    if kind_of(summary) != DOMAIN:
        entry["kind"] = kind_of(summary)
    return entry


# --------------------------------------------------------------------------------------------
# Sending
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeartbeatOutcome:
    """What became of the heartbeat. `url` is redacted; `reason` never holds the key."""

    delivered: bool
    attempts: int = 0
    status: int | None = None  # the last HTTP status received
    url: str | None = None
    reason: str = ""
    elapsed_s: float = 0.0

    def as_record(self) -> dict[str, Any]:
        """The `heartbeat` field of results.json."""
        return {"sent": self.delivered, "attempts": self.attempts, "status": self.status,
                "url": self.url, "reason": self.reason, "elapsed_s": round(self.elapsed_s, 3)}

    def summary(self) -> str:
        """One line for the terminal."""
        if self.delivered:
            tries = "1 attempt" if self.attempts == 1 else f"{self.attempts} attempts"
            return f"heartbeat: sent to {self.url} (HTTP {self.status}, {tries})"
        if not self.attempts:
            return f"heartbeat: not sent: {self.reason}"
        return (f"heartbeat: NOT DELIVERED to {self.url} after {self.attempts} attempt(s) in "
                f"{self.elapsed_s:.1f} s: {self.reason} (the DNSSEC verdict is unchanged)")


@dataclass
class _Attempt:
    status: int | None = None
    reason: str = "no answer"
    retry: bool = True


def _post_once(url: str, payload: bytes, timeout: float) -> _Attempt:
    """One POST, bounded by `timeout` even if the server trickles its answer: requests'
    timeouts apply per socket operation, so the POST runs in a daemon thread that is
    abandoned when the time is up."""
    attempt = _Attempt()

    def post() -> None:
        try:
            response = requests.post(url, data=payload, timeout=timeout,
                                     allow_redirects=False, headers=HEADERS)
            response.close()
        except requests.Timeout:
            attempt.reason = f"timed out after {timeout:.1f} s"
        except requests.ConnectionError as exc:
            attempt.reason = f"could not connect ({type(exc).__name__})"
        except (requests.RequestException, ValueError) as exc:
            attempt.reason, attempt.retry = f"invalid URL or request ({type(exc).__name__})", False
        else:
            attempt.status = code = response.status_code
            if 200 <= code < 300:
                attempt.reason, attempt.retry = "", False
            elif 300 <= code < 400:
                attempt.reason = (f"HTTP {code} redirect, not followed: a redirected POST "
                                  "becomes a GET; use the final URL (https?)")
                attempt.retry = False
            elif code >= 500 or code in RETRIED_STATUSES:
                attempt.reason = f"HTTP {code}"
            else:
                attempt.reason, attempt.retry = f"HTTP {code}: check the URL", False

    worker = threading.Thread(target=post, name="dnssec-heartbeat", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():  # the abandoned thread may still write into `attempt`
        return _Attempt(reason=f"no answer within {timeout:.1f} s")
    return attempt


def send(url: str, body: Mapping[str, Any], *, deadline: float = DEADLINE_S
         ) -> HeartbeatOutcome:
    """POST `body` to `url`, retrying connection failures, timeouts and 5xx with exponential
    backoff, all within `deadline` seconds. Never raises."""
    started = time.monotonic()
    shown = redact(url)
    try:
        payload = encode(body)
    except (TypeError, ValueError) as exc:
        return HeartbeatOutcome(False, 0, None, shown, f"body not JSON ({type(exc).__name__})")
    attempts = 0
    attempt = _Attempt()
    backoff = FIRST_BACKOFF_S
    with _library_logs_scrubbed(url):
        while True:
            remaining = deadline - (time.monotonic() - started)
            if remaining < MIN_ATTEMPT_S:
                break
            attempts += 1
            attempt = _post_once(url, payload, min(ATTEMPT_TIMEOUT_S, remaining))
            if not attempt.retry:
                break
            pause = min(backoff, deadline - (time.monotonic() - started) - MIN_ATTEMPT_S)
            if pause <= 0:
                break
            time.sleep(pause)
            backoff *= 2
    delivered = attempt.status is not None and 200 <= attempt.status < 300
    reason = scrub(attempt.reason, url) if attempts else "no time left to try"
    return HeartbeatOutcome(delivered, attempts, attempt.status, shown, reason,
                            time.monotonic() - started)


# An interrupted run's heartbeat must leave the pod's grace period (30 s by default) for the
# rest: results.json, the report and JUnit are written before it.
INTERRUPTED_DEADLINE_S = 5.0


def report_run(url: str | None, document: Mapping[str, Any], *, warning_days: float,
               critical_days: float, deadline: float = DEADLINE_S) -> HeartbeatOutcome:
    """Send the heartbeat of a finished run, or say why not. A run that checked nothing sends
    nothing: the monitor's "not received" criterion then fires, rather than a `healthy` that
    checked nothing. An interrupted run (SIGTERM, SIGINT) sends what it did, marked
    `"incomplete": true` with the status `critical` (what it did not check is unknown),
    within INTERRUPTED_DEADLINE_S: the pod's grace period is running."""
    if not url:
        return HeartbeatOutcome(False, reason=f"no URL (set {ENV_VAR} or --heartbeat-url)")
    interrupted = bool(document.get("interrupted"))
    if not interrupted and (not document["results"] or document["status"] == UNKNOWN):
        return HeartbeatOutcome(False, url=redact(url), reason="nothing was checked")
    body = build_body(document, warning_days=warning_days, critical_days=critical_days)
    if interrupted:
        body["incomplete"] = True
        body["status"], body["priority"] = "critical", "P1"  # what was not checked: unknown
        deadline = min(deadline, INTERRUPTED_DEADLINE_S)
    return send(url, body, deadline=deadline)
