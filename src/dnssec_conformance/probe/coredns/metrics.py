"""CoreDNS's Prometheus metrics: one scrape, read with the Prometheus client's own parser,
and the two ratios the guide's dashboard shows (the SERVFAIL share, the cache hit ratio).

`scrape` never raises: an endpoint that is down, answers an HTTP error or serves something
that is not Prometheus text is a `MetricsScrape` with a `failure`, for the checks to report.
The counters run from CoreDNS's start, so the ratios are over the process's lifetime.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import requests
from prometheus_client.parser import text_string_to_metric_families

RESPONSES = "coredns_dns_responses_total"
CACHE_HITS = "coredns_cache_hits_total"
CACHE_MISSES = "coredns_cache_misses_total"
CACHE_REQUESTS = "coredns_cache_requests_total"
BUILD_INFO = "coredns_build_info"
ACCEPT = "text/plain;version=0.0.4"
MAX_BODY_CHARS = 20_000_000  # a CoreDNS exposition is tens of kilobytes


@dataclass(frozen=True)
class MetricsScrape:
    """The counters that matter from one scrape of a CoreDNS metrics endpoint."""

    url: str
    failure: str | None = None  # why there are no metrics; None when the scrape worked
    responses_by_rcode: dict[str, float] = field(default_factory=dict)  # summed over series
    cache_hits: float | None = None  # None: the endpoint exports no such counter
    cache_misses: float | None = None
    cache_requests: float | None = None
    version: str | None = None  # CoreDNS's, from coredns_build_info

    @property
    def is_coredns(self) -> bool:
        return bool(self.responses_by_rcode) or self.version is not None

    @property
    def responses(self) -> float:
        return sum(self.responses_by_rcode.values())

    @property
    def servfail_share(self) -> float | None:
        """SERVFAIL responses over all responses; None before the first response."""
        total = self.responses
        return self.responses_by_rcode.get("SERVFAIL", 0.0) / total if total else None

    @property
    def cache_lookups(self) -> float | None:
        if self.cache_hits is None:
            return None
        if self.cache_misses is not None:
            return self.cache_hits + self.cache_misses
        return self.cache_requests  # CoreDNS deprecates the misses counter for this one

    @property
    def cache_hit_ratio(self) -> float | None:
        """Cache hits over cache lookups; None without cache counters or lookups."""
        lookups = self.cache_lookups
        if self.cache_hits is None or not lookups:
            return None
        return self.cache_hits / lookups


def scrape(url: str, timeout_s: float = 5.0) -> MetricsScrape:
    """GET the endpoint and read it; every failure is a `MetricsScrape.failure`."""
    try:
        response = requests.get(url, timeout=timeout_s, headers={"Accept": ACCEPT})
    except requests.Timeout:
        return MetricsScrape(url, failure=f"no answer within {timeout_s:g} s")
    except requests.ConnectionError as error:
        return MetricsScrape(url, failure=f"cannot connect ({_reason(error)})")
    except requests.RequestException as error:
        return MetricsScrape(url, failure=f"request failed ({error.__class__.__name__}: "
                                          f"{_reason(error)})")
    if response.status_code != 200:
        return MetricsScrape(url, failure=f"HTTP {response.status_code} {response.reason}")
    content_type = response.headers.get("Content-Type", "")
    if "html" in content_type or "json" in content_type:
        return MetricsScrape(url, failure=f"not Prometheus text (Content-Type: {content_type})")
    return parse_exposition(response.text[:MAX_BODY_CHARS], url)


def parse_exposition(text: str, url: str) -> MetricsScrape:
    """Read Prometheus text exposition; text that does not parse is a failure, not a raise."""
    try:
        samples = [(s.name, s.labels, s.value)
                   for family in text_string_to_metric_families(text)
                   for s in family.samples]
    except (ValueError, TypeError, IndexError) as error:
        return MetricsScrape(url, failure=f"not Prometheus text ({_first_line(str(error))})")
    if not samples:
        return MetricsScrape(url, failure="an empty exposition: no metrics at all")
    by_rcode: dict[str, float] = {}
    for name, labels, value in samples:
        if name == RESPONSES:
            rcode = labels.get("rcode", "")
            by_rcode[rcode] = by_rcode.get(rcode, 0.0) + value
    version = next((labels.get("version") for name, labels, _ in samples
                    if name == BUILD_INFO), None)
    return MetricsScrape(
        url,
        responses_by_rcode=by_rcode,
        cache_hits=_total(samples, CACHE_HITS),
        cache_misses=_total(samples, CACHE_MISSES),
        cache_requests=_total(samples, CACHE_REQUESTS),
        version=version,
    )


def _total(samples: Iterable[tuple[str, dict[str, str], float]], name: str) -> float | None:
    values = [value for sample, _, value in samples if sample == name]
    return sum(values) if values else None


def _reason(error: BaseException) -> str:
    # requests nests the socket error a few levels down; its last words are the useful ones
    text = str(error)
    return _first_line(text.rsplit(": ", 1)[-1].rstrip(")'\"")) if text else "no detail"


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else text
    return line[:160]
