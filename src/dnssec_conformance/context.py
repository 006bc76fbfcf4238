"""What a check needs besides the zone's data: the moment it judges, and the policy."""

from __future__ import annotations

from dataclasses import dataclass, field

from .anchors import TrustAnchors
from .config import ClockPolicy, Thresholds


@dataclass(frozen=True)
class Evaluation:
    """`now` is POSIX seconds: every time-based verdict is taken as of this instant."""

    now: float
    anchors: TrustAnchors
    thresholds: Thresholds = field(default_factory=Thresholds)
    clock: ClockPolicy = field(default_factory=ClockPolicy)
