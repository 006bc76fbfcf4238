"""Building the zones of the rollover and consistency scenarios (`Scenario.key_change`): a
KSK and a ZSK as usual, plus the keys, server copies, DS and CDS records of a rollover caught
in the middle. The steps of the scripted rollover are signed here too (lab/rollover.py
applies them)."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from lab.build import BuiltZone, serial_of
from lab.keys import Key, ds_record, generate
from lab.rollover import STEP_DS, STEP_KSKS, Step, ds_file, step_file
from lab.scenarios import KeyChange, Scenario, Window
from lab.signing import sign
from lab.tools import CommandLog
from lab.zonefiles import leaf_zone, ns_name

ALGORITHM = "ECDSAP256SHA256"
HOUR_S = 3600
DAY_S = 86400


class KeyChangeBuilder:
    """Builds one `key_change` scenario zone (in its own worker thread, like _LeafBuilder)."""

    def __init__(self, scenario: Scenario, host_number: int, run_dir: Path, now: datetime):
        assert scenario.key_change is not None
        self.s = scenario
        self.change = scenario.key_change
        self.host_number = host_number
        self.run_dir = run_dir
        self.now = now
        self.log = CommandLog(run_dir)
        self.zone_dir = Path("zones") / scenario.display
        self.key_dir = Path("keys") / scenario.display
        (run_dir / self.zone_dir).mkdir(parents=True, exist_ok=True)

    def build(self) -> BuiltZone:
        ksk, zsk = self._key(ksk=True), self._key(ksk=False)
        serial = serial_of(self.now)
        primary, extra, ds_keys = [ksk, zsk], [], [ksk]
        secondary: tuple[int, list[Key]] | None = None  # ns2's copy: (age in s, its keys)
        match self.change:
            case KeyChange.NEW_KSK_NOT_ON_NS2:
                primary = [ksk, self._key(ksk=True), zsk]
                secondary = (HOUR_S, [ksk, zsk])
            case KeyChange.DS_FOR_UNSERVED_KSK:
                ds_keys.append(self._key(ksk=True, folder="unpublished"))
            case KeyChange.CDS_OF_UNSERVED_KSK:
                unpublished = self._key(ksk=True, folder="unpublished")
                extra = [self._ds_line(unpublished).replace(" IN DS ", " IN CDS ", 1),
                         ksk.dnskey_line.replace(" DNSKEY ", " CDNSKEY ", 1)]
                self.log.note("the DS line made a CDS record, the KSK's DNSKEY a CDNSKEY")
            case KeyChange.NS2_OTHER_ZSK:
                folder = self.key_dir / "ns2"
                other = self._key(ksk=False, folder="ns2")
                for suffix in (".key", ".private"):
                    shutil.copy(self.run_dir / self.key_dir / f"{ksk.basename}{suffix}",
                                self.run_dir / folder)
                self.log.note(f"cp {ksk.basename}.key/.private {folder}/ (the signer wants "
                              "its keys in one directory)")
                secondary = (DAY_S, [Key(folder, ksk.basename, ksk.dnskey_line), other])
        if self.change is KeyChange.SCRIPTED_ROLLOVER:
            files = {"ns1": self._rollover_steps(ksk, zsk, serial)}
        else:
            files = {"ns1": self._signed("zone", serial, primary, extra)}
        serials = {"ns1": serial}
        if secondary is not None:
            age, keys = secondary
            files["ns2"] = self._signed("ns2", serial - age, keys)
            serials["ns2"] = serial - age
        return BuiltZone(
            zone=self.s.zone,
            files=files,
            serials=serials,
            nameservers=tuple(ns_name(role) for role in self.s.nameservers),
            ds_lines=tuple(self._ds_line(k) for k in ds_keys),
            commands=tuple(self.log.lines),
        )

    def _rollover_steps(self, ksk: Key, zsk: Key, serial: int) -> Path:
        """One signed file per step (distinct serials, so that a reload shows), the DS of
        each KSK, and the served file: the first step's."""
        ksks = {"old": ksk, "next": self._key(ksk=True)}
        for name, key in ksks.items():
            (self.run_dir / ds_file(self.zone_dir, name)).write_text(self._ds_line(key) + "\n")
        for index, step in enumerate(Step):
            keys = [*(ksks[k] for k in STEP_KSKS[step]), zsk]
            signed = self._signed(f"step-{step}", serial + index, keys)
            assert signed == step_file(self.zone_dir, step)
        assert STEP_DS[Step.BEFORE] == "old"  # the DS that test. is built with
        served = self.zone_dir / "zone.signed"
        shutil.copy(self.run_dir / step_file(self.zone_dir, Step.BEFORE), self.run_dir / served)
        self.log.note(f"cp {step_file(self.zone_dir, Step.BEFORE)} {served}")
        return served

    def _key(self, *, ksk: bool, folder: str = "") -> Key:
        directory = self.key_dir / folder if folder else self.key_dir
        return generate(self.log, self.s.zone, directory, algorithm=ALGORITHM, ksk=ksk,
                        ttl=self.s.ttl)

    def _ds_line(self, key: Key) -> str:
        return ds_record(self.log, self.s.zone, key, digest_type=2)

    def _signed(self, stem: str, serial: int, keys: list[Key], extra: Sequence[str] = ()
                ) -> Path:
        """`stem.unsigned` with the keys' DNSKEYs (and `extra` records), signed into
        `stem.signed` by `keys` (which must share a directory)."""
        text = leaf_zone(self.s.zone, serial=serial,
                         nameservers=[ns_name(role) for role in self.s.nameservers],
                         host_number=self.host_number, ttl=self.s.ttl,
                         dnskey_lines=[*(k.dnskey_line for k in keys), *extra])
        unsigned = self.zone_dir / f"{stem}.unsigned"
        (self.run_dir / unsigned).write_text(text)
        signed = self.zone_dir / f"{stem}.signed"
        sign(self.log, self.s.zone, unsigned, signed, keys=keys, now=self.now, window=Window())
        return signed
