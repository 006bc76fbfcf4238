"""Where a process under test sends packets, seen at the socket layer: loaded by every
Python process started with this folder on PYTHONPATH and FUZZ_SEND_LOG set (the product
run by `tests/fuzz_e2e.py`, its engine process and its xdist workers included).

An audit hook (PEP 578) sees every `socket.sendto`, `socket.sendmsg` and `socket.connect`
of the process, whatever code path makes it (asyncio's transports included). Each
destination that is not on loopback, or that no delegation may aim a query at (broadcast,
multicast, link-local, unspecified, reserved), is appended to the log at once, as
`FORBIDDEN <event> <host> <port>`; at exit the process appends `SENDS <pid> <count>`. The
classification is this file's own, independent of the product's. The process also appends
`PEAK <pid> <kB>`, its peak resident memory (VmHWM: this program's own, from its exec on).
"""

from __future__ import annotations

import atexit
import ipaddress
import os
import sys

_LOG = os.environ.get("FUZZ_SEND_LOG")
_EVENTS = frozenset({"socket.sendto", "socket.sendmsg", "socket.connect"})


def why_forbidden(host: str) -> str | None:
    try:
        ip = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return "not an address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_unspecified or ip.is_multicast or ip.is_link_local or ip.is_reserved \
            or ip == ipaddress.IPv4Address("255.255.255.255"):
        return "forbidden"
    if not ip.is_loopback:
        return "off loopback"
    return None


def _install(log: str) -> None:
    count = 0

    def write(line: str) -> None:
        with open(log, "a", encoding="utf-8") as out:
            out.write(line + "\n")

    def hook(event: str, args: tuple[object, ...]) -> None:
        nonlocal count
        if event not in _EVENTS:
            return
        try:
            address = args[1]
            if not isinstance(address, tuple) or not address:
                return  # a Unix socket, or sendmsg on a connected socket
            count += 1
            host = str(address[0])
            why = why_forbidden(host)
            if why is not None:
                port = address[1] if len(address) > 1 else "-"
                write(f"FORBIDDEN {event} {host} {port} ({why})")
        except Exception:  # an audit hook must never break the operation it watches
            return

    def at_exit() -> None:
        write(f"SENDS {os.getpid()} {count}")
        try:
            with open("/proc/self/status", encoding="ascii") as status:
                peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
        except (OSError, StopIteration):
            return
        write(f"PEAK {os.getpid()} {peak}")

    sys.addaudithook(hook)
    atexit.register(at_exit)


if _LOG:
    _install(_LOG)
