"""Extra good zones for measuring scale (`python -m lab up --scale N`): `scale-00001.test` ...

Each is a healthy zone like `good-ecdsa.test` (ECDSAP256SHA256 KSK+ZSK, NSEC, signatures from
now-1h to now+30d), served by ns1 and delegated with its DS from test. They share one key pair
and are signed in this process with dnspython (thousands of dnssec-signzone runs would make the
lab slow to build); they are listed in `domains-scale.yaml`, not in the ground truth.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import dns.dnssec
import dns.zone
from cryptography.hazmat.primitives.asymmetric import ec

from lab.build import BuiltZone, serial_of
from lab.zonefiles import leaf_zone, ns_name

SCALE_ROLE = "ns1"
HOUR, DAY = 3600, 86400


def scale_zone_names(count: int) -> list[str]:
    return [f"scale-{index:05d}.test." for index in range(1, count + 1)]


def build_scale_zones(run_dir: Path, now: datetime, count: int) -> tuple[BuiltZone, ...]:
    if count <= 0:
        return ()
    folder = Path("zones") / "scale"
    (run_dir / folder).mkdir(parents=True, exist_ok=True)
    ksk, zsk = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    keys = [(ksk, dns.dnssec.make_dnskey(ksk.public_key(), 13, flags=257)),
            (zsk, dns.dnssec.make_dnskey(zsk.public_key(), 13, flags=256))]
    serial = serial_of(now)
    moment = now.timestamp()
    built = []
    for number, name in enumerate(scale_zone_names(count), start=1):
        text = leaf_zone(name, serial=serial, nameservers=[ns_name(SCALE_ROLE)],
                         host_number=number % 250 + 1)
        zone = dns.zone.from_text(text, origin=name, relativize=False)
        dns.dnssec.sign_zone(zone, keys=keys, inception=moment - HOUR,
                             expiration=moment + 30 * DAY, dnskey_ttl=HOUR)
        path = folder / f"{name.rstrip('.')}.signed"
        (run_dir / path).write_text(zone.to_text(relativize=False))
        ds = dns.dnssec.make_ds(name, keys[0][1], 2)
        built.append(BuiltZone(
            zone=name, files={SCALE_ROLE: path}, serials={SCALE_ROLE: serial},
            nameservers=(ns_name(SCALE_ROLE),), ds_lines=(f"{name} {HOUR} IN DS {ds}",),
            commands=("# dnspython: sign_zone with the shared scale KSK+ZSK (ECDSAP256SHA256)",)))
    return tuple(built)


def scale_domains_yaml(resolver: str, root: str, trust_anchors: str, names: list[str]) -> str:
    lines = ["# Written by `python -m lab up --scale N`: the scale zones only (benchmarks).",
             f"resolvers: [{resolver}]", f"root_hints: [{root}]",
             f"trust_anchors: {trust_anchors}",
             "thresholds: {warning_days: 7, critical_days: 3}", "domains:"]
    lines += [f"  - name: {name.rstrip('.')}\n    records: [A]" for name in names]
    return "\n".join(lines) + "\n"
