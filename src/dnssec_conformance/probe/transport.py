"""One question to one server and what came back: the `Exchange` every check reads.

Authoritative queries go out with RD=0, DO=1, CD=1 and a 1232-byte EDNS buffer (see
`query_wire`), over UDP with a fallback to TCP when the answer is truncated, a bounded timeout
and a bounded number of retries (`probe.querier`). Every outcome, good or bad, is an
`Exchange`: a timeout, a refused connection or a garbage packet is data for the checks, never
an exception escaping to the caller.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import cast

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset

# Every rdata type dnspython knows, loaded up front: otherwise the first record of an odd
# class (a hostile class-ANY A record) is cached as the generic type for every later A record
# the process reads.
dns.rdata.load_all_types()

EDNS_PAYLOAD = 1232
# The port of a zone file read in place of a server (file mode): its address is the path.
FILE_PORT = 0
# A live server's whole zone, judged as a file is: the exchange's `transport` says how it was
# taken (probe/axfr.py, probe/nsec_walk.py), and evidence says so.
COPY_TRANSPORTS = {"axfr": "the zone transfer (AXFR) from", "walk": "the NSEC walk of"}


@dataclass(frozen=True, order=True)
class Server:
    """An address to send queries to, with the NS name it was found under (if any)."""

    address: str
    port: int = 53
    name: dns.name.Name | None = None

    @property
    def is_file(self) -> bool:
        return self.port == FILE_PORT

    def __str__(self) -> str:
        if not self.address and self.name is not None:
            return str(self.name)  # a name server name whose addresses were not queried
        if self.is_file:
            return f"{self.address} (file)"
        host = f"[{self.address}]" if ":" in self.address else self.address
        addr = host if self.port == 53 else f"{host}:{self.port}"
        return f"{self.name} ({addr})" if self.name is not None else addr


@dataclass(frozen=True)
class Exchange:
    """One query to one server and what came back (or did not)."""

    server: Server
    qname: dns.name.Name
    rdtype: dns.rdatatype.RdataType
    recursive: bool
    response: dns.message.Message | None
    transport: str  # "udp", "tcp" or "" when nothing came back
    failure: str | None  # why there is no usable response; None when there is one
    elapsed: float
    checking_disabled: bool = True  # the query's CD bit
    authenticated_data: bool = False  # the query's AD bit (RFC 6840 §5.7)
    # The response as received (what a snapshot keeps), and when the query was sent (POSIX).
    wire: bytes | None = field(default=None, repr=False, compare=False)
    sent_at: float = field(default=0.0, compare=False)
    # The answer came truncated and no complete one followed over TCP: validators cannot get
    # it either (the failure says how).
    truncated: bool = field(default=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.failure is None and self.response is not None

    @property
    def rcode(self) -> dns.rcode.Rcode | None:
        if "_rcode" not in self.__dict__:  # read once: checks ask it again and again
            object.__setattr__(self, "_rcode",
                               self.response.rcode() if self.response is not None else None)
        return self.__dict__["_rcode"]  # type: ignore[no-any-return]

    def answer(self, rdtype: dns.rdatatype.RdataType, owner: dns.name.Name | None = None
               ) -> dns.rrset.RRset | None:
        return self._find(self.response.answer if self.response else [], rdtype, owner)

    def signatures(self, covers: dns.rdatatype.RdataType, owner: dns.name.Name | None = None,
                   section: str = "answer") -> dns.rrset.RRset | None:
        if self.response is None:
            return None
        rrsets = getattr(self.response, section)
        owner = owner or self.qname
        for rrset in rrsets:
            if (rrset.rdtype == dns.rdatatype.RRSIG and rrset.covers == covers
                    and rrset.name == owner):
                return cast(dns.rrset.RRset, rrset)
        return None

    def _find(self, rrsets: list[dns.rrset.RRset], rdtype: dns.rdatatype.RdataType,
              owner: dns.name.Name | None) -> dns.rrset.RRset | None:
        owner = owner or self.qname
        for rrset in rrsets:
            if rrset.rdtype == rdtype and rrset.name == owner:
                return rrset
        return None

    def query_text(self) -> str:
        if self.server.is_file:
            qtype = dns.rdatatype.to_text(self.rdtype)
            return (f"{self.qname} {qtype} answered from the zone file {self.server.address}, "
                    "as an authoritative server would answer it")
        if self.transport in COPY_TRANSPORTS:
            qtype = dns.rdatatype.to_text(self.rdtype)
            return (f"{self.qname} {qtype} answered from {COPY_TRANSPORTS[self.transport]} "
                    f"{self.server}, as the server would answer it")
        flags = "+norec +dnssec" if not self.recursive else "+dnssec"
        flags += " +cd" if self.checking_disabled else ""
        flags += " +adflag" if self.authenticated_data else ""
        qtype = dns.rdatatype.to_text(self.rdtype)
        return f"dig @{self.server.address} -p {self.server.port} {self.qname} {qtype} {flags}"

    def evidence(self) -> str:
        """The exchange as `dig` would show it (rendered once, then kept)."""
        cached: str | None = self.__dict__.get("_evidence")
        if cached is None:
            cached = self._render_evidence()
            object.__setattr__(self, "_evidence", cached)
        return cached

    def _render_evidence(self) -> str:
        lines = [f";; {self.query_text()}", f";; SERVER: {self.server}"]
        if self.failure is not None:
            lines.append(f";; no usable answer: {self.failure}")
            return "\n".join(lines)
        assert self.response is not None
        msg = self.response
        flags = dns.flags.to_text(msg.flags).lower()
        lines.append(
            f";; ->>HEADER<<- opcode: {dns.opcode.to_text(msg.opcode())}, "
            f"status: {dns.rcode.to_text(msg.rcode())}, flags: {flags}; via {self.transport}"
        )
        for title, section in (("ANSWER", msg.answer), ("AUTHORITY", msg.authority),
                               ("ADDITIONAL", msg.additional)):
            if section:
                lines.append(f";; {title} SECTION:")
                lines.extend(rrset.to_text() for rrset in section)
        return "\n".join(lines)


# Header flags of a query (RFC 1035 §4.1.1, RFC 4035 §3.2): RD, AD, CD.
_RD, _AD, _CD = 0x0100, 0x0020, 0x0010
# The OPT pseudo-RR (RFC 6891): root owner, type 41, the UDP payload size as its class, and
# the DO bit (RFC 3225) in its TTL field; no options.
_OPT = b"\x00" + struct.pack("!HHIH", dns.rdatatype.OPT, EDNS_PAYLOAD, 0x8000, 0)


def query_wire(qname: dns.name.Name, rdtype: dns.rdatatype.RdataType, qid: int, *,
               recursive: bool, checking_disabled: bool = True,
               authenticated_data: bool = False) -> bytes:
    """A query as it goes on the wire: class IN, EDNS0 with a 1232-byte buffer and DO=1; RD
    for a resolver, CD=1 unless asking a resolver for its own verdict, AD to ask for it."""
    flags = (_RD if recursive else 0) | (_CD if checking_disabled else 0) \
        | (_AD if authenticated_data else 0)
    return (struct.pack("!HHHHHH", qid, flags, 1, 0, 0, 1) + cast(bytes, qname.to_wire())
            + struct.pack("!HH", rdtype, dns.rdataclass.IN) + _OPT)


def answers_question(response: dns.message.Message, qname: dns.name.Name,
                     rdtype: dns.rdatatype.RdataType) -> bool:
    """Whether the response's question is ours (an error answer may leave it out)."""
    if not response.question:
        return response.rcode() in (dns.rcode.FORMERR, dns.rcode.SERVFAIL, dns.rcode.NOTIMP,
                                    dns.rcode.REFUSED)
    return len(response.question) == 1 and response.question[0].name == qname \
        and response.question[0].rdtype == rdtype \
        and response.question[0].rdclass == dns.rdataclass.IN
