"""Unsigned zone file text: the root, the test. TLD and the scenario zones."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from lab.addresses import AddressPlan

DEFAULT_TTL = 3600

# SOA timers: EXPIRE is 14 days so that signatures shorter-lived than that are visible as
# "expire before SOA EXPIRE".
REFRESH, RETRY, EXPIRE, MINIMUM = 7200, 3600, 1209600, 3600

ROOT_NS = "a.root.test."
TLD_NS = "ns.tld.test."


def ns_name(role: str) -> str:
    """The host name of a scenario name server role: ns1 -> ns1.test."""
    return f"{role}.test."


@dataclass(frozen=True)
class ChildDelegation:
    """A delegation from test.: NS names and DS records (presentation lines)."""

    zone: str
    nameservers: tuple[str, ...]
    ds_lines: tuple[str, ...] = ()


def _soa(zone: str, mname: str, serial: int) -> str:
    rname = "hostmaster." + (zone if zone != "." else "test.")
    return f"{zone} SOA {mname} {rname} {serial} {REFRESH} {RETRY} {EXPIRE} {MINIMUM}"


def _header(zone: str, ttl: int) -> list[str]:
    return [f"$ORIGIN {zone}", f"$TTL {ttl}"]


def leaf_zone(
    zone: str,
    *,
    serial: int,
    nameservers: Sequence[str],
    host_number: int,
    ttl: int = DEFAULT_TTL,
    dnskey_lines: Iterable[str] = (),
) -> str:
    """A scenario zone: SOA, NS, an apex A and AAAA, and www with the same addresses."""
    lines = _header(zone, ttl)
    lines.append(_soa(zone, nameservers[0], serial))
    lines += [f"{zone} NS {ns}" for ns in nameservers]
    for owner in (zone, f"www.{zone}"):
        lines.append(f"{owner} A 192.0.2.{host_number}")
        lines.append(f"{owner} AAAA 2001:db8::{host_number:x}")
    lines += dnskey_lines
    return "\n".join(lines) + "\n"


def tld_zone(
    *,
    serial: int,
    plan: AddressPlan,
    children: Iterable[ChildDelegation],
    nameserver_roles: Iterable[str],
    dnskey_lines: Iterable[str],
) -> str:
    """test.: the addresses of every lab server, and one delegation per scenario zone."""
    zone = "test."
    addresses = plan.by_role()
    lines = _header(zone, DEFAULT_TTL)
    lines.append(_soa(zone, TLD_NS, serial))
    lines.append(f"{zone} NS {TLD_NS}")
    lines.append(f"{TLD_NS} A {plan.tld}")
    lines.append(f"{ROOT_NS} A {plan.root}")
    lines += [f"{ns_name(role)} A {addresses[role]}" for role in nameserver_roles]
    for child in children:
        lines += [f"{child.zone} NS {ns}" for ns in child.nameservers]
        lines += child.ds_lines
    lines += dnskey_lines
    return "\n".join(lines) + "\n"


def root_zone(
    *, serial: int, plan: AddressPlan, tld_ds_lines: Iterable[str], dnskey_lines: Iterable[str]
) -> str:
    """The lab's root: itself, the delegation of test. with its DS, and glue."""
    lines = _header(".", DEFAULT_TTL)
    lines.append(_soa(".", ROOT_NS, serial))
    lines.append(f". NS {ROOT_NS}")
    lines.append(f"test. NS {TLD_NS}")
    lines += tld_ds_lines
    lines.append(f"{ROOT_NS} A {plan.root}")
    lines.append(f"{TLD_NS} A {plan.tld}")
    lines += dnskey_lines
    return "\n".join(lines) + "\n"


def root_hints(plan: AddressPlan) -> str:
    return f". 3600000 NS {ROOT_NS}\n{ROOT_NS} 3600000 A {plan.root}\n"
