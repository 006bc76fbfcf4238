"""The files `up` writes for the project: domains.yaml, trust anchors, ground truth."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lab.addresses import AddressPlan
from lab.build import BuiltLab
from lab.probes import Measurement
from lab.scenarios import (
    CANARIES,
    RESOLVER_SCENARIOS,
    SCENARIOS,
    TSIG_ALGORITHM,
    TSIG_KEY_NAME,
    TSIG_SECRET_ENV,
    Scenario,
)

DOMAINS_YAML = "domains.yaml"
NONVALIDATING_DOMAINS_YAML = "domains-nonvalidating.yaml"
FORWARDER_DOMAINS_YAML = "domains-forwarder.yaml"
SCALE_DOMAINS_YAML = "domains-scale.yaml"
# the resolver scenarios' domains.yaml, by the role of the resolver they go through
RESOLVER_DOMAINS_YAML = {
    "nonvalidating": NONVALIDATING_DOMAINS_YAML,
    "forwarder": FORWARDER_DOMAINS_YAML,
}
TRUST_ANCHORS = "trust-anchors.txt"
DELV_ANCHORS = "delv-anchors.conf"
GROUND_TRUTH = "ground-truth.json"
ROOT_HINTS = "root.hints"
TSIG_SECRET = "tsig.secret"  # the lab's TSIG key's secret, base64 (see lab/README.md)
# the canary zones, and a scenario zone that is bogus too (a second failure mode)
BOGUS_CANARIES = (*(c.display for c in CANARIES), "ds-mismatch.test")


def write_trust_anchors(run_dir: Path, ds_lines: Sequence[str]) -> Path:
    path = run_dir / TRUST_ANCHORS
    path.write_text("".join(f"{line}\n" for line in ds_lines))
    return path


def write_delv_anchors(run_dir: Path, ds_lines: Sequence[str]) -> Path:
    """The same anchors in named.conf syntax, for `delv -a`."""
    entries = []
    for line in ds_lines:
        owner, _ttl, _class, _type, tag, alg, digest_type, *digest = line.split()
        entries.append(f'    "{owner}" static-ds {tag} {alg} {digest_type} "{"".join(digest)}";')
    path = run_dir / DELV_ANCHORS
    path.write_text("trust-anchors {\n" + "\n".join(entries) + "\n};\n")
    return path


def write_tsig_secret(run_dir: Path) -> str:
    """A new secret for the lab's TSIG key (256 bits, base64, as tsig-keygen makes them),
    written where only root reads it; returned for the servers' configurations."""
    secret = base64.b64encode(os.urandom(32)).decode("ascii")
    path = run_dir / TSIG_SECRET
    path.touch(mode=0o600)
    path.write_text(secret + "\n")
    return secret


def _transfer_line(scenario: Scenario) -> str | None:
    """The domain's `transfer:` in domains.yaml, for the zones the lab transfers or walks."""
    setup = scenario.transfer
    if setup is None:
        return None
    if setup.tsig:
        return (f"    transfer: {{tsig: {{name: {TSIG_KEY_NAME}, algorithm: {TSIG_ALGORITHM}, "
                f"secret_env: {TSIG_SECRET_ENV}}}}}")
    return "    transfer: {walk: true}" if setup.walk else "    transfer: true"


def _domains_yaml(resolver: str, root: str, zones: Sequence[tuple[str, str]],
                  transfers: dict[str, str] | None = None) -> str:
    lines = [
        "# Written by `python -m lab up`: the lab's scenario zones (see lab/README.md).",
        f"resolvers: [{resolver}]",
        f"root_hints: [{root}]",
        f"trust_anchors: {TRUST_ANCHORS}",
        "thresholds: {warning_days: 7, critical_days: 3}",
    ]
    lines.append(f"canaries: {{bogus: [{', '.join(BOGUS_CANARIES)}]}}")
    lines.append("domains:")
    for name, expect in zones:
        lines += [f"  - name: {name}", "    records: [A]", f"    expect: {expect}"]
        if transfers and name in transfers:
            lines.append(transfers[name])
    return "\n".join(lines) + "\n"


def write_domains_yaml(run_dir: Path, plan: AddressPlan) -> Path:
    """Every scenario zone, checked through the validating resolver."""
    zones = [(s.display, s.expect) for s in SCENARIOS]
    transfers = {s.display: line for s in SCENARIOS if (line := _transfer_line(s))}
    path = run_dir / DOMAINS_YAML
    path.write_text(_domains_yaml(plan.validating, plan.root, zones, transfers))
    return path


def write_scale_domains_yaml(run_dir: Path, plan: AddressPlan, count: int) -> Path:
    from lab.scale import scale_domains_yaml, scale_zone_names

    path = run_dir / SCALE_DOMAINS_YAML
    names = scale_zone_names(count)
    path.write_text(scale_domains_yaml(plan.validating, plan.root, TRUST_ANCHORS, names)
                    if names else "")
    return path


def write_resolver_domains_yaml(run_dir: Path, plan: AddressPlan) -> list[Path]:
    """The resolver scenarios: good zones (and the canaries) through each resolver that does
    not validate or does not say so, one domains.yaml per resolver."""
    paths = []
    for role, name in RESOLVER_DOMAINS_YAML.items():
        zones = [(r.zone.rstrip("."), r.expect) for r in RESOLVER_SCENARIOS
                 if r.resolver_role == role]
        path = run_dir / name
        path.write_text(_domains_yaml(plan.by_role()[role], plan.root, zones))
        paths.append(path)
    return paths


def _observed(description: str, predicted: str, measured: Measurement) -> str:
    if measured.verdict == predicted:
        return description
    return (
        f"{description} Measured when the lab was built: Unbound says {measured.verdict}, "
        f"where lab/scenarios.py predicts {predicted}."
    )


def ground_truth_entries(
    plan: AddressPlan,
    built: BuiltLab,
    validating: Sequence[Measurement],
    nonvalidating: Sequence[Measurement],
) -> list[dict[str, Any]]:
    roles = plan.by_role()
    built_by_zone = {b.zone: b for b in built.leaves}
    measured = {m.zone: m for m in validating}
    entries: list[dict[str, Any]] = []
    for s in SCENARIOS:
        m = measured[s.zone]
        entries.append(
            {
                "zone": s.zone,
                "categories": [str(c) for c in s.categories],
                "expect": s.expect,
                "unbound": m.verdict,
                "severity": s.severity,
                "description": _observed(s.description, s.unbound, m),
                "how": s.how,
                "servers": {role: roles[role] for role in s.nameservers},
                "probes": m.probes,
                "commands": list(built_by_zone[s.zone].commands),
            }
        )
    plain = {(m.resolver, m.zone): m for m in nonvalidating}
    for r in RESOLVER_SCENARIOS:
        m = plain[(roles[r.resolver_role], r.zone)]
        entries.append(
            {
                "zone": r.zone,
                "resolver": roles[r.resolver_role],
                "domains_yaml": RESOLVER_DOMAINS_YAML[r.resolver_role],
                "categories": [str(c) for c in r.categories],
                "expect": r.expect,
                "unbound": m.verdict,
                "severity": None,
                "description": _observed(r.description, r.unbound, m),
                "how": r.how,
                "probes": m.probes,
            }
        )
    return entries


def write_ground_truth(run_dir: Path, entries: list[dict[str, Any]]) -> Path:
    path = run_dir / GROUND_TRUTH
    path.write_text(json.dumps(entries, indent=2) + "\n")
    return path
