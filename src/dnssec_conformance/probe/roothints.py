"""The IANA root servers' addresses (root-servers.net, as the root hints file lists them): where
the walk down to a zone starts unless domains.yaml gives `root_hints`."""

from __future__ import annotations

import dns.name

from .transport import Server

IANA_ROOT_SERVERS: tuple[tuple[str, str, str], ...] = (
    ("a", "198.41.0.4", "2001:503:ba3e::2:30"),
    ("b", "170.247.170.2", "2801:1b8:10::b"),
    ("c", "192.33.4.12", "2001:500:2::c"),
    ("d", "199.7.91.13", "2001:500:2d::d"),
    ("e", "192.203.230.10", "2001:500:a8::e"),
    ("f", "192.5.5.241", "2001:500:2f::f"),
    ("g", "192.112.36.4", "2001:500:12::d0d"),
    ("h", "198.97.190.53", "2001:500:1::53"),
    ("i", "192.36.148.17", "2001:7fe::53"),
    ("j", "192.58.128.30", "2001:503:c27::2:30"),
    ("k", "193.0.14.129", "2001:7fd::1"),
    ("l", "199.7.83.42", "2001:500:9f::42"),
    ("m", "202.12.27.33", "2001:dc3::35"),
)


def iana_root_servers() -> tuple[Server, ...]:
    servers = []
    for letter, ipv4, ipv6 in IANA_ROOT_SERVERS:
        name = dns.name.from_text(f"{letter}.root-servers.net.")
        servers += [Server(ipv4, 53, name), Server(ipv6, 53, name)]
    return tuple(servers)
