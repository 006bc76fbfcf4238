"""The local clock against an NTP reference: every time verdict of a run depends on it."""

from __future__ import annotations

from dataclasses import dataclass

import ntplib

from ..config.model import split_ntp_server


@dataclass(frozen=True)
class ClockReading:
    """One NTP exchange: the local clock's offset from the server, or why there is none."""

    server: str
    offset_s: float | None = None  # server time minus local time
    delay_s: float | None = None
    stratum: int | None = None
    failure: str | None = None

    def evidence(self) -> str:
        if self.failure is not None:
            return f";; NTP query to {self.server}: {self.failure}"
        return (f";; NTP query to {self.server}: offset {self.offset_s:+.6f} s, "
                f"round-trip delay {self.delay_s:.6f} s, stratum {self.stratum}")


def read_clock(spec: str, timeout: float = 3.0) -> ClockReading:
    """Ask the NTP server once (NTPv4 client mode); never raises."""
    try:
        host, port = split_ntp_server(spec)
        response = ntplib.NTPClient().request(host, version=4, port=port, timeout=timeout)
    except ntplib.NTPException as exc:
        return ClockReading(spec, failure=f"no answer ({exc})")
    except (OSError, ValueError) as exc:
        return ClockReading(spec, failure=f"cannot reach it ({exc})")
    if response.stratum == 0 or response.leap == 3:
        return ClockReading(spec, failure="the server is not synchronized (stratum 0 / leap 3)")
    return ClockReading(spec, response.offset, response.delay, response.stratum)


