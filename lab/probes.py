"""What a resolver concludes about a zone: SERVFAIL is bogus, AD is secure, else insecure."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode

from lab.addresses import PORT

NX_LABEL = "lab-nx-probe"  # a name that exists in no lab zone
_RANK = {"secure": 0, "insecure": 1, "bogus": 2}  # anything else (timeout...) ranks above


@dataclass(frozen=True)
class Measurement:
    zone: str
    resolver: str
    probes: dict[str, str]  # "qname qtype" -> verdict

    @property
    def verdict(self) -> str:
        """The worst verdict over the probes: one bogus answer makes the zone bogus."""
        return max(self.probes.values(), key=lambda v: _RANK.get(v, len(_RANK)))


def ask(resolver: str, qname: str, qtype: str = "A", timeout_s: float = 5.0) -> str:
    query = dns.message.make_query(qname, qtype, want_dnssec=True)  # RD is set
    try:
        reply, _ = dns.query.udp_with_fallback(query, resolver, timeout=timeout_s, port=PORT)
    except dns.exception.Timeout:
        return "timeout"
    rcode = reply.rcode()
    if rcode == dns.rcode.SERVFAIL:
        return "bogus"
    if rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
        return dns.rcode.to_text(rcode).lower()
    return "secure" if reply.flags & dns.flags.AD else "insecure"


def probe_queries(zone: str) -> tuple[tuple[str, str], ...]:
    """The apex A RRset, and a name that does not exist (it exercises the denial proofs)."""
    return ((zone, "A"), (f"{NX_LABEL}.{zone}", "A"))


def measure(resolver: str, zones: list[str]) -> list[Measurement]:
    def one(zone: str) -> Measurement:
        probes = {f"{q} {t}": ask(resolver, q, t) for q, t in probe_queries(zone)}
        return Measurement(zone=zone, resolver=resolver, probes=probes)

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(one, zones))
