"""Building the online-signed zones (`Scenario.online`): keys by dnssec-keygen, DS records by
dnssec-dsfromkey, the unsigned zone, and per provider a zone spec (JSON) that tells
lab/onlinesigner.py how to sign and deny when it answers."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from lab.build import BuiltZone, serial_of
from lab.keys import Key, ds_record, generate
from lab.scenarios import Denial, OnlineFault, Scenario
from lab.tools import CommandLog
from lab.zonefiles import leaf_zone, ns_name

HOUR_S = 3600
# A window like Cloudflare's: an hour back, about two days ahead, moving with the clock.
SLIDING_WINDOW = {"kind": "sliding", "inception_offset": -HOUR_S, "lifetime": 50 * HOUR_S}
STOPPED_AGO_S = 39 * HOUR_S  # when online-stopped.test's window stopped moving
CACHED_AGO_S = 40 * HOUR_S  # when online-stale-cache.test's signature cache was made


class OnlineZoneBuilder:
    """Builds one online scenario zone (in its own worker thread, like _LeafBuilder)."""

    def __init__(self, scenario: Scenario, host_number: int, run_dir: Path, now: datetime):
        assert scenario.online is not None
        self.s = scenario
        self.online = scenario.online
        self.host_number = host_number
        self.run_dir = run_dir
        self.now = now
        self.log = CommandLog(run_dir)
        self.zone_dir = Path("zones") / scenario.display
        self.key_dir = Path("keys") / scenario.display
        (run_dir / self.zone_dir).mkdir(parents=True, exist_ok=True)

    def build(self) -> BuiltZone:
        roles = self.s.nameservers
        keys = {role: self._provider_keys(role) for role in roles}
        serial = serial_of(self.now)
        unsigned = self.zone_dir / "zone.unsigned"
        (self.run_dir / unsigned).write_text(leaf_zone(
            self.s.zone, serial=serial, nameservers=[ns_name(r) for r in roles],
            host_number=self.host_number, ttl=self.s.ttl, dnskey_lines=self.s.extra_records))
        denials = {"online1": self.online.denial, "online2": self.online.second_provider}
        files = {}
        for role in roles:
            others = [k[1] for r, k in keys.items() if r != role]
            if role == "online2" and self.online.fault is OnlineFault.PROVIDER_LACKS_ZSK:
                others = []
            denial = denials[role]
            assert denial is not None
            files[role] = self._write_spec(role, unsigned, keys[role], others, denial)
            self.log.note(f"lab/onlinesigner.py at {role}: {denial} denial, "
                          f"{self._window_note()}; publishes "
                          f"{', '.join(k.basename for k in others) or 'no other key'} "
                          "besides its own")
        return BuiltZone(
            zone=self.s.zone,
            files=files,
            serials=dict.fromkeys(roles, serial),
            nameservers=tuple(ns_name(r) for r in roles),
            ds_lines=tuple(ds_record(self.log, self.s.zone, k[0], digest_type=2)
                           for k in keys.values()),
            commands=tuple(self.log.lines),
        )

    def _provider_keys(self, role: str) -> tuple[Key, Key]:
        folder = self.key_dir / role
        ksk, zsk = (generate(self.log, self.s.zone, folder, algorithm=self.online.algorithm,
                             ksk=ksk, ttl=self.s.ttl) for ksk in (True, False))
        return ksk, zsk

    def _window_note(self) -> str:
        match self.online.fault:
            case OnlineFault.STOPPED_SLIDING:
                return "every signature dated build-40h..build+10h (the window stopped)"
            case OnlineFault.STALE_CACHE:
                return "positive RRsets signed once, build-41h..build+9h (a stale cache)"
        return "windows now-1h..now+49h at each answer"

    def _windows(self) -> dict[str, Any]:
        built = int(self.now.timestamp())
        start = built - STOPPED_AGO_S - HOUR_S
        match self.online.fault:
            case OnlineFault.STOPPED_SLIDING:
                return {"window": {"kind": "frozen", "inception": start,
                                   "expiration": start + 50 * HOUR_S}}
            case OnlineFault.STALE_CACHE:
                cached = built - CACHED_AGO_S - HOUR_S
                return {"window": SLIDING_WINDOW,
                        "cached_window": {"kind": "frozen", "inception": cached,
                                          "expiration": cached + 50 * HOUR_S}}
        return {"window": SLIDING_WINDOW}

    def _write_spec(self, role: str, unsigned: Path, own: tuple[Key, Key],
                    published: list[Key], denial: Denial) -> Path:
        def absolute(path: Path) -> str:
            return str((self.run_dir / path).resolve())

        spec: dict[str, Any] = {
            "zone": self.s.zone,
            "zone_file": absolute(unsigned),
            "keys": [{"private": absolute(k.directory / f"{k.basename}.private"),
                      "dnskey": k.dnskey_line, "ksk": index == 0}
                     for index, k in enumerate(own)],
            "published": [k.dnskey_line for k in published],
            "denial": str(denial),
            "randomized": self.online.algorithm != "ED25519",
            **self._windows(),
        }
        if self.online.fault is OnlineFault.BITMAP_LISTS_QTYPE:
            spec["fault"] = "bitmap-lists-qtype"
        elif self.online.fault is OnlineFault.NEXT_NAME_BELOW:
            spec["fault"] = "next-below"
        path = self.zone_dir / f"{role}.json"
        (self.run_dir / path).write_text(json.dumps(spec, indent=2) + "\n")
        return path
