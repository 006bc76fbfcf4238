"""Building the lab's zones from scratch: keys, zone files, signatures, DS records.

Everything is relative to one moment (`now`), so signature windows are exact, and every
path is relative to the run directory, so the recorded commands read well.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import dns.name
import dns.rdatatype
import dns.zone

from lab import tamper
from lab.addresses import AddressPlan
from lab.keys import Key, ds_record, generate
from lab.scenarios import (
    CANARIES,
    DEEP_OWNER,
    EXPIRED_WINDOW,
    SCENARIOS,
    DsKey,
    Scenario,
    Tamper,
    Window,
)
from lab.signing import sign
from lab.tools import CommandLog
from lab.zonefiles import ChildDelegation, leaf_zone, ns_name, root_zone, tld_zone

INFRA_ALGORITHM = "ECDSAP256SHA256"


@dataclass(frozen=True)
class BuiltZone:
    zone: str
    # server role -> the zone file it serves (relative to run dir); for the online signer,
    # the zone spec it signs and answers from
    files: dict[str, Path]
    serials: dict[str, int]  # server role -> the SOA serial of that file
    nameservers: tuple[str, ...]
    ds_lines: tuple[str, ...]  # what the parent publishes; empty for no DS
    commands: tuple[str, ...]


@dataclass(frozen=True)
class BuiltLab:
    now: datetime
    leaves: tuple[BuiltZone, ...]
    tld: BuiltZone
    root: BuiltZone

    @property
    def trust_anchor_lines(self) -> tuple[str, ...]:
        return self.root.ds_lines

    def zones_by_role(self) -> dict[str, list[tuple[str, Path, int]]]:
        """Server role -> (zone, file, serial) for every zone that server serves."""
        served: dict[str, list[tuple[str, Path, int]]] = {}
        for built in (self.root, self.tld, *self.leaves):
            for role, path in built.files.items():
                served.setdefault(role, []).append((built.zone, path, built.serials[role]))
        return served


def serial_of(now: datetime) -> int:
    return int(now.timestamp())


class _LeafBuilder:
    """Builds one scenario zone; each instance runs in its own worker thread."""

    def __init__(self, scenario: Scenario, host_number: int, run_dir: Path, now: datetime):
        self.s = scenario
        self.host_number = host_number
        self.now = now
        self.log = CommandLog(run_dir)
        self.run_dir = run_dir
        self.zone_dir = Path("zones") / scenario.display
        self.key_dir = Path("keys") / scenario.display
        (run_dir / self.zone_dir).mkdir(parents=True, exist_ok=True)
        self.keys: list[Key] = []
        self.published: list[str] = []  # DNSKEY lines written into the unsigned zone
        self.ds_key: Key | None = None

    def build(self) -> BuiltZone:
        self._make_keys()
        serial = serial_of(self.now)
        unsigned = self._write_unsigned("zone", serial)
        files = {"ns1": self._sign_primary(unsigned)}
        serials = {"ns1": serial}
        if self.s.stale_copy is not None:
            stale_serial = serial - int(self.s.stale_copy.age.total_seconds())
            stale = self._write_unsigned("stale", stale_serial, self.s.stale_copy.without)
            files["ns2"] = self._sign(stale, "stale.signed", self.s.stale_copy.window)
            if self.s.tamper is Tamper.EXPIRED_DEEP_SIGNATURE:
                files["ns2"] = self._deep_signature_expired(files["ns2"], "stale.tampered")
            serials["ns2"] = stale_serial
        if self.s.mirrored:
            files["ns2"], serials["ns2"] = files["ns1"], serial
        return BuiltZone(
            zone=self.s.zone,
            files=files,
            serials=serials,
            nameservers=tuple(ns_name(role) for role in self.s.nameservers),
            ds_lines=self._ds_lines(),
            commands=tuple(self.log.lines),
        )

    def _make_keys(self) -> None:
        s, signing = self.s, self.s.signing
        if signing is not None:
            for ksk in (True, False):
                key = generate(
                    self.log,
                    s.zone,
                    self.key_dir,
                    algorithm=signing.algorithm,
                    ksk=ksk,
                    ttl=s.ttl,
                    bits=signing.bits,
                )
                self.keys.append(key)
            if signing.signer == "dnssec-signzone":
                self.published += [k.dnskey_line for k in self.keys]
            if signing.idle_key_algorithm is not None:
                idle = generate(
                    self.log,
                    s.zone,
                    self.key_dir / "idle",
                    algorithm=signing.idle_key_algorithm,
                    ksk=False,
                    ttl=s.ttl,
                    bits=signing.idle_key_bits,
                )
                self.published.append(idle.dnskey_line)
        match s.delegation.ds_key:
            case DsKey.KSK:
                self.ds_key = self.keys[0]
            case DsKey.ZSK:
                self.ds_key = self.keys[1]
            case DsKey.UNPUBLISHED:
                self.ds_key = generate(
                    self.log,
                    s.zone,
                    self.key_dir / "unpublished",
                    algorithm=INFRA_ALGORITHM,
                    ksk=True,
                    ttl=s.ttl,
                )
            case None:
                self.ds_key = None

    def _write_unsigned(self, stem: str, serial: int, without: tuple[str, ...] = ()) -> Path:
        extra = [r for r in self.s.extra_records if r not in without]
        text = leaf_zone(
            self.s.zone,
            serial=serial,
            nameservers=[ns_name(role) for role in self.s.nameservers],
            host_number=self.host_number,
            ttl=self.s.ttl,
            dnskey_lines=[*self.published, *extra],
        )
        path = self.zone_dir / f"{stem}.unsigned"
        (self.run_dir / path).write_text(text)
        return path

    def _sign(self, unsigned: Path, name: str, window: Window) -> Path:
        signing = self.s.signing
        assert signing is not None
        signed = self.zone_dir / name
        sign(
            self.log,
            self.s.zone,
            unsigned,
            signed,
            keys=self.keys,
            now=self.now,
            window=window,
            signer=signing.signer,
            nsec3=signing.nsec3,
        )
        return signed

    def _sign_primary(self, unsigned: Path) -> Path:
        if self.s.signing is None:
            return unsigned
        signed = self._sign(unsigned, "zone.signed", self.s.signing.window)
        match self.s.tamper:
            case Tamper.FLIP_APEX_A_SIGNATURE:
                zone = self._load(signed)
                tamper.flip_apex_signature(zone, dns.rdatatype.A)
                self.log.note("dnspython: flip 4 bytes of the apex RRSIG(A) signature")
            case Tamper.EXPIRED_DNSKEY_SIGNATURE:
                donor = self._sign(unsigned, "expired-run.signed", EXPIRED_WINDOW)
                zone = self._load(signed)
                tamper.splice_apex_signature(zone, self._load(donor), dns.rdatatype.DNSKEY)
                self.log.note("dnspython: RRSIG(DNSKEY) taken from expired-run.signed")
            case Tamper.EXPIRED_DEEP_SIGNATURE:
                return self._deep_signature_expired(signed, "zone.tampered")
            case Tamper.DROP_NSEC:
                zone = self._load(signed)
                dropped = tamper.drop_nsec(zone)
                self.log.note(f"dnspython: delete NSEC and RRSIG(NSEC) at {dropped} names")
            case Tamper.NSEC_GAP:
                zone = self._load(signed)
                gap = tamper.drop_nsec_after_apex(zone)
                self.log.note(f"dnspython: delete the NSEC and RRSIG(NSEC) of {gap}")
            case Tamper.FLIP_NSEC_SIGNATURES:
                zone = self._load(signed)
                count = tamper.flip_signatures_over(zone, dns.rdatatype.NSEC)
                self.log.note(f"dnspython: flip 4 bytes of the RRSIG(NSEC) at {count} names")
            case Tamper.NSEC3_NO_COVER:
                zone = self._load(signed)
                zsk = self.keys[1]
                key = tamper.load_private_key(
                    self.run_dir / zsk.directory / f"{zsk.basename}.private")
                count = tamper.nsec3_cover_nothing(zone, key, tamper.parse_dnskey(zsk.dnskey_line))
                self.log.note(f"dnspython: next hashed owner := owner hash + 1 in {count} "
                              f"NSEC3 records, re-signed with {zsk.basename}")
            case Tamper.DROP_ZSK:
                zone = self._load(signed)
                ksk, zsk = self.keys[0], self.keys[1]
                tamper.drop_zsk(zone, tamper.parse_dnskey(zsk.dnskey_line),
                                tamper.load_private_key(
                                    self.run_dir / ksk.directory / f"{ksk.basename}.private"),
                                tamper.parse_dnskey(ksk.dnskey_line))
                self.log.note(f"dnspython: remove {zsk.basename} from the DNSKEY RRset, "
                              f"re-sign it with {ksk.basename}")
            case _:
                return signed
        tampered = self.zone_dir / "zone.tampered"
        tamper.save(zone, self.run_dir / tampered)
        return tampered

    def _deep_signature_expired(self, signed: Path, name: str) -> Path:
        """`signed` with the RRSIG over the deep TXT taken from a run signed with an expired
        window (the donor is signed once, from the current zone: the TXT is the same)."""
        donor = self.zone_dir / "expired-run.signed"
        if not (self.run_dir / donor).exists():
            unsigned = self.zone_dir / "zone.unsigned"
            self._sign(unsigned, donor.name, EXPIRED_WINDOW)
        zone = self._load(signed)
        owner = dns.name.from_text(DEEP_OWNER, dns.name.from_text(self.s.zone))
        tamper.splice_signature(zone, self._load(donor), owner, dns.rdatatype.TXT)
        self.log.note(f"dnspython: RRSIG(TXT) at {owner} taken from expired-run.signed")
        tampered = self.zone_dir / name
        tamper.save(zone, self.run_dir / tampered)
        return tampered

    def _load(self, path: Path) -> dns.zone.Zone:
        return tamper.load(self.run_dir / path, self.s.zone)

    def _ds_lines(self) -> tuple[str, ...]:
        if self.ds_key is None:
            return ()
        line = ds_record(
            self.log, self.s.zone, self.ds_key, digest_type=self.s.delegation.digest_type
        )
        if self.s.tamper is Tamper.DS_WRONG_DIGEST:
            line = tamper.ds_wrong_digest(line)
            self.log.note("dnspython: flip the last 4 bytes of the DS digest")
        elif self.s.tamper is Tamper.DS_ALGORITHM_8:
            line = tamper.ds_with_algorithm(line, 8)
            self.log.note("dnspython: set the DS algorithm field to 8")
        elif self.s.tamper is Tamper.DS_WRONG_KEY_TAG:
            line = tamper.ds_with_key_tag(line, 1)
            self.log.note("dnspython: add 1 to the DS key tag")
        return (line,)


def _build_infra(
    run_dir: Path, zone: str, role: str, now: datetime, text_for_keys: Callable[[list[str]], str]
) -> BuiltZone:
    """Sign the root or test. with an ECDSA KSK+ZSK, like a well-run registry."""
    log = CommandLog(run_dir)
    name = "root" if zone == "." else zone.rstrip(".")
    zone_dir, key_dir = Path("zones") / name, Path("keys") / name
    (run_dir / zone_dir).mkdir(parents=True, exist_ok=True)
    keys = [
        generate(log, zone, key_dir, algorithm=INFRA_ALGORITHM, ksk=ksk, ttl=3600)
        for ksk in (True, False)
    ]
    unsigned = zone_dir / "zone.unsigned"
    (run_dir / unsigned).write_text(text_for_keys([k.dnskey_line for k in keys]))
    signed = zone_dir / "zone.signed"
    sign(log, zone, unsigned, signed, keys=keys, now=now, window=Window())
    ds = ds_record(log, zone, keys[0], digest_type=2)
    return BuiltZone(
        zone=zone,
        files={role: signed},
        serials={role: serial_of(now)},
        nameservers=(),
        ds_lines=(ds,),
        commands=tuple(log.lines),
    )


def _build_leaf(scenario: Scenario, host_number: int, run_dir: Path, now: datetime
                ) -> BuiltZone:
    if scenario.key_change is not None:
        from lab.keychanges import KeyChangeBuilder  # it builds on this module

        return KeyChangeBuilder(scenario, host_number, run_dir, now).build()
    if scenario.online is not None:
        from lab.online_zones import OnlineZoneBuilder  # it builds on this module

        return OnlineZoneBuilder(scenario, host_number, run_dir, now).build()
    return _LeafBuilder(scenario, host_number, run_dir, now).build()


def build_all(run_dir: Path, plan: AddressPlan, now: datetime, scale: int = 0) -> BuiltLab:
    """Every scenario and canary zone in parallel (and `scale` extra good zones), then test.
    with their DS, then the root."""
    from lab.scale import build_scale_zones  # it builds on this module

    workers = min(8, 2 * (os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        leaves = tuple(
            pool.map(
                lambda item: _build_leaf(item[1], item[0] + 1, run_dir, now),
                enumerate((*SCENARIOS, *CANARIES)),
            )
        )
    leaves += build_scale_zones(run_dir, now, scale)
    children = [ChildDelegation(b.zone, b.nameservers, b.ds_lines) for b in leaves]
    roles = sorted({role for s in SCENARIOS for role in s.nameservers})
    serial = serial_of(now)
    tld = _build_infra(
        run_dir,
        "test.",
        "tld",
        now,
        lambda dnskeys: tld_zone(
            serial=serial,
            plan=plan,
            children=children,
            nameserver_roles=roles,
            dnskey_lines=dnskeys,
        ),
    )
    root = _build_infra(
        run_dir,
        ".",
        "root",
        now,
        lambda dnskeys: root_zone(
            serial=serial, plan=plan, tld_ds_lines=tld.ds_lines, dnskey_lines=dnskeys
        ),
    )
    return BuiltLab(now=now, leaves=leaves, tld=tld, root=root)
