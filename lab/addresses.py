"""The lab's address plan: every server sits on a fixed suffix under a configurable prefix."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from lab.errors import LabError

DEFAULT_PREFIX = "127.77"
PORT = 53

_PREFIX = re.compile(r"127\.(\d{1,3})")


def prefix_from_env(explicit: str | None = None) -> str:
    """The prefix to use: an explicit argument, else $LAB_PREFIX, else 127.77."""
    return explicit or os.environ.get("LAB_PREFIX") or DEFAULT_PREFIX


@dataclass(frozen=True)
class AddressPlan:
    """Where each server listens. Only 127.X prefixes: the lab never leaves loopback."""

    prefix: str = DEFAULT_PREFIX

    def __post_init__(self) -> None:
        match = _PREFIX.fullmatch(self.prefix)
        if match is None or int(match.group(1)) > 255:
            raise LabError(
                f"bad address prefix {self.prefix!r}: use two octets inside 127.0.0.0/8, "
                "e.g. 127.77"
            )

    def _at(self, suffix: str) -> str:
        return f"{self.prefix}.{suffix}"

    @property
    def root(self) -> str:
        return self._at("0.1")

    @property
    def tld(self) -> str:
        return self._at("0.2")

    @property
    def ns1(self) -> str:
        return self._at("1.1")

    @property
    def ns2(self) -> str:
        return self._at("1.2")

    @property
    def online1(self) -> str:
        return self._at("2.1")

    @property
    def online2(self) -> str:
        return self._at("2.2")

    @property
    def validating(self) -> str:
        return self._at("0.53")

    @property
    def nonvalidating(self) -> str:
        return self._at("0.54")

    @property
    def forwarder(self) -> str:
        return self._at("0.55")

    def by_role(self) -> dict[str, str]:
        """Server role -> address, the map LabInfo.servers exposes."""
        return {
            "root": self.root,
            "tld": self.tld,
            "ns1": self.ns1,
            "ns2": self.ns2,
            "online1": self.online1,
            "online2": self.online2,
            "validating": self.validating,
            "nonvalidating": self.nonvalidating,
            "forwarder": self.forwarder,
        }
