"""Instants as every output writes them, in UTC: one formatter per form."""

from __future__ import annotations

import datetime


def iso_utc(timestamp: float) -> str:
    """ISO 8601 to the second: `2026-12-24T00:00:00Z` (results.json, the key history)."""
    moment = datetime.datetime.fromtimestamp(timestamp, datetime.UTC)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def utc_text(timestamp: float) -> str:
    """For messages: `2026-12-24 00:00:00Z`."""
    return datetime.datetime.fromtimestamp(timestamp, datetime.UTC).strftime(
        "%Y-%m-%d %H:%M:%SZ")
