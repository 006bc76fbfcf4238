"""What a check needs besides the zone's data: the moment it judges, and the policy."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..config.anchors import TrustAnchors
from ..config.model import ClockPolicy, Thresholds
from ..findings import Severity

if TYPE_CHECKING:
    from ..state.model import History


@dataclass(frozen=True)
class Evaluation:
    """`now` is POSIX seconds: every time-based verdict is taken as of this instant."""

    now: float
    anchors: TrustAnchors
    thresholds: Thresholds = field(default_factory=Thresholds)
    clock: ClockPolicy = field(default_factory=ClockPolicy)
    # The zone's key history (the state directory), for the rollover checks; None: no state.
    history: History | None = None
    # domains.yaml's `severities:`: finding code ("ALG03/deprecated-algorithm") -> severity.
    severities: Mapping[str, Severity] = field(default_factory=dict, hash=False, compare=False)


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_moment(text: str, now: float) -> float:
    """`--at` values: an ISO 8601 instant (UTC unless it says otherwise), or an offset from
    now such as `+3d`, `+12h`, `-30m`, `+1w`. Raises ValueError with a usable message."""
    import datetime
    import re

    spec = text.strip()
    offset = re.fullmatch(r"([+-])(\d+(?:\.\d+)?)([smhdw])", spec)
    if offset:
        sign = 1 if offset.group(1) == "+" else -1
        return now + sign * float(offset.group(2)) * _UNITS[offset.group(3)]
    try:
        moment = datetime.datetime.fromisoformat(spec)
    except ValueError:
        raise ValueError(f"--at {text!r}: expected an ISO 8601 time such as "
                         "2026-12-24T00:00Z, or an offset such as +3d, +12h, -30m") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.timestamp()
