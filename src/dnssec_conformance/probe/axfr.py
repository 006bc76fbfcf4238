"""Zone transfers (AXFR, RFC 5936) over TCP, signed with a TSIG key (RFC 8945) when one is
configured: the zone as one server holds it, whole.

dnspython reads each message (and checks its TSIG) and `dns.xfr.Inbound` follows the transfer
from the first SOA to the last; the records go straight into the copy's nodes. Whatever goes
wrong is a one-line `failure` naming the reason, never an exception: a refusal (REFUSED,
NOTAUTH, NOTIMP), a TSIG error the server reports (BADKEY, BADSIG, BADTIME with the clock
offset its answer carries), a TSIG of the server's that does not verify, a transfer that ends
before its closing SOA (truncated), stalls, runs too long or sends more records than allowed.

The request is signed with the instant given (`now`, this host's clock in a run): time is a
parameter here too, which is also how the tests show a server what a skewed clock sends.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import struct
import time
from dataclasses import dataclass

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.node
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.rdtypes.ANY.TSIG
import dns.tsig
import dns.xfr
import dns.zone

from ..config.model import TsigKey
from ..errors import ConformanceError
from ..times import utc_text
from .transport import Server

# How far apart the two clocks may be for a TSIG to hold (RFC 8945 §10 recommends 300 s).
FUDGE_S = 300


@dataclass
class Transfer:
    """One server's AXFR: the copy, or why there is none."""

    zone: dns.zone.Zone | None
    failure: str | None
    evidence: str  # the request, and the answer that ended it (for a failure), as dig shows it
    messages: int = 0
    records: int = 0
    elapsed: float = 0.0
    refused: bool = False  # the server answered REFUSED, NOTAUTH or NOTIMP (no TSIG error)


_TsigContext = dns.tsig.HMACTSig | dns.tsig.GSSTSig | None


class _TooLarge(ConformanceError):
    pass


class _CopyWriter:
    """The transaction manager `dns.xfr.Inbound` writes into: one transaction, the whole
    transfer, straight into the copy's nodes (dnspython's versioned zone transactions cost
    more than reading the wire on a large zone)."""

    def __init__(self, apex: dns.name.Name, max_records: int):
        self.zone = dns.zone.Zone(apex, relativize=False)
        self.max_records = max_records
        self.records = 0
        self.committed = False

    # -- the TransactionManager side --
    def origin_information(self) -> tuple[dns.name.Name, bool, dns.name.Name]:
        assert self.zone.origin is not None
        return self.zone.origin, False, self.zone.origin

    def writer(self, replacement: bool = False) -> _CopyWriter:
        return self

    # -- the Transaction side --
    def add(self, name: dns.name.Name, rdataset: dns.rdataset.Rdataset) -> None:
        if rdataset.rdclass != dns.rdataclass.IN:
            raise dns.exception.FormError(f"a record of class "
                                          f"{dns.rdataclass.to_text(rdataset.rdclass)} at "
                                          f"{name} in a class IN zone")
        self.records += len(rdataset)
        if self.records > self.max_records:
            raise _TooLarge
        node = self.zone.nodes.get(name)
        if node is None:
            node = self.zone.nodes[name] = dns.node.Node()
        kept = node.find_rdataset(rdataset.rdclass, rdataset.rdtype, rdataset.covers, True)
        kept.update_ttl(rdataset.ttl)
        for rdata in rdataset:
            kept.items.setdefault(rdata, None)

    def replace(self, name: dns.name.Name, rdataset: dns.rdataset.Rdataset) -> None:
        """The closing SOA (`Inbound` keeps the opening one aside until it comes)."""
        node = self.zone.nodes.get(name)
        old = node.get_rdataset(rdataset.rdclass, rdataset.rdtype, rdataset.covers) \
            if node is not None else None
        if node is not None and old is not None:
            self.records -= len(old)
            node.delete_rdataset(rdataset.rdclass, rdataset.rdtype, rdataset.covers)
        self.add(name, rdataset)

    def delete_exact(self, name: dns.name.Name, rdataset: dns.rdataset.Rdataset) -> None:
        raise dns.exception.FormError("a deletion in an AXFR")

    def commit(self) -> None:
        self.committed = True

    def rollback(self) -> None:
        pass


def signed_request(apex: dns.name.Name, tsig: TsigKey | None, now: float
                   ) -> tuple[bytes, int, dns.tsig.Key | None, bytes]:
    """The AXFR request's wire (RD=0, no EDNS), its ID, the key and the request MAC; the
    TSIG is dated `now`."""
    query = dns.message.make_query(apex, dns.rdatatype.AXFR)
    query.flags &= ~dns.flags.RD
    wire = query.to_wire()
    if tsig is None:
        return wire, query.id, None, b""
    key = dns.tsig.Key(tsig.name, tsig.secret, tsig.algorithm)
    blank = dns.rdtypes.ANY.TSIG.TSIG(dns.rdataclass.ANY, dns.rdatatype.TSIG, key.algorithm,
                                      0, FUDGE_S, b"", query.id, 0, b"")
    signed, _ctx = dns.tsig.sign(wire, key, blank, int(now), b"", None, True)
    record = io.BytesIO()
    key.name.to_wire(record)
    record.write(struct.pack("!HHI", dns.rdatatype.TSIG, dns.rdataclass.ANY, 0))
    rdata = io.BytesIO()
    signed.to_wire(rdata)
    record.write(struct.pack("!H", len(rdata.getvalue())) + rdata.getvalue())
    additional = struct.unpack("!H", wire[10:12])[0] + 1
    wire = wire[:10] + struct.pack("!H", additional) + wire[12:] + record.getvalue()
    return wire, query.id, key, signed.mac


def request_text(server: Server, apex: dns.name.Name, tsig: TsigKey | None) -> str:
    """The request as a dig command line (the secret stands as the variable that holds it)."""
    command = f";; dig @{server.address} -p {server.port} {apex} AXFR"
    if tsig is not None:
        command += f" -y {tsig.algorithm}:{tsig.name}:${tsig.secret_env}"
    return f"{command}\n;; SERVER: {server}"


async def transfer(server: Server, apex: dns.name.Name, tsig: TsigKey | None, *, now: float,
                   read_timeout: float, lifetime: float, max_records: int) -> Transfer:
    """The zone `apex` as `server` transfers it (see the module doc); never raises for what
    the network or the server does."""
    started = time.monotonic()
    writer = _CopyWriter(apex, max_records)
    state = _State(request_text(server, apex, tsig))
    try:
        async with asyncio.timeout(lifetime):
            await _run(server, apex, tsig, now, read_timeout, writer, state)
    except TimeoutError:
        state.failure = state.failure or (
            f"the transfer took longer than transfer.timeout_s ({lifetime:g} s): stopped "
            f"after {state.messages} message(s), {writer.records} record(s)")
    except _TooLarge:
        state.failure = (f"stopped after {max_records} records: more than "
                         f"transfer.max_records allows")
    failure = state.failure
    if failure is None and not writer.committed:
        failure = "the transfer ended without its closing SOA"
    evidence = state.evidence
    if failure is not None:
        evidence += f"\n;; transfer failed: {failure}"
    else:
        evidence += (f"\n;; XFR size: {writer.records} records (messages {state.messages})")
    return Transfer(writer.zone if failure is None else None, failure, evidence,
                    state.messages, writer.records, time.monotonic() - started, state.refused)


@dataclass
class _State:
    evidence: str
    failure: str | None = None
    refused: bool = False
    messages: int = 0


async def _run(server: Server, apex: dns.name.Name, tsig: TsigKey | None, now: float,
               read_timeout: float, writer: _CopyWriter, state: _State) -> None:
    wire, qid, key, mac = signed_request(apex, tsig, now)
    try:
        reader, stream = await asyncio.wait_for(
            asyncio.open_connection(server.address, server.port), read_timeout)
    except TimeoutError:
        state.failure = f"no TCP connection within {read_timeout:g} s"
        return
    except OSError as exc:
        state.failure = f"no TCP connection ({exc.__class__.__name__}: {exc.strerror or exc})"
        return
    try:
        stream.write(struct.pack("!H", len(wire)) + wire)
        await stream.drain()
        await _receive(reader, apex, tsig, key, mac, qid, read_timeout, writer, state)
    except OSError as exc:
        state.failure = f"the connection failed ({exc.__class__.__name__}: {exc})"
    finally:
        stream.close()
        with contextlib.suppress(Exception):
            await stream.wait_closed()


async def _receive(reader: asyncio.StreamReader, apex: dns.name.Name, tsig: TsigKey | None,
                   key: dns.tsig.Key | None, mac: bytes, qid: int, read_timeout: float,
                   writer: _CopyWriter, state: _State) -> None:
    context: _TsigContext = None
    with dns.xfr.Inbound(writer, dns.rdatatype.AXFR) as inbound:  # type: ignore[arg-type]
        done = False
        while not done:
            try:
                length = struct.unpack("!H", await asyncio.wait_for(reader.readexactly(2),
                                                                    read_timeout))[0]
                data = await asyncio.wait_for(reader.readexactly(length), read_timeout)
            except TimeoutError:
                state.failure = (f"no answer within {read_timeout:g} s" if not state.messages
                                 else f"the transfer stalled: no message for {read_timeout:g} "
                                      f"s after {state.messages} message(s), "
                                      f"{writer.records} record(s)")
                return
            except asyncio.IncompleteReadError:
                state.failure = (
                    "the server closed the connection without answering" if not state.messages
                    else f"truncated transfer: the server closed the connection after "
                         f"{state.messages} message(s), {writer.records} record(s), before "
                         "the closing SOA")
                return
            message = _read(data, apex, tsig, key, mac, context, state)
            if message is None:
                return
            state.messages += 1
            problem = _mismatch(message, qid)
            if problem is None and message.flags & dns.flags.TC:
                problem = (f"truncated transfer: message {state.messages} has the TC flag "
                           "(truncated) over TCP")
            if problem is not None:
                state.failure = problem
                state.evidence += "\n" + _shown(message)
                return
            try:
                done = inbound.process_message(message)
            except dns.xfr.TransferError as exc:
                state.failure = _refusal(exc.rcode)
                state.refused = exc.rcode in (dns.rcode.REFUSED, dns.rcode.NOTAUTH,
                                              dns.rcode.NOTIMP)
                state.evidence += "\n" + _shown(message)
                return
            except dns.exception.FormError as exc:
                state.failure = _form_error(str(exc), state.messages)
                state.evidence += "\n" + _shown(message)
                return
            except dns.exception.DNSException as exc:
                state.failure = (f"malformed transfer (message {state.messages}: "
                                 f"{exc.__class__.__name__}: {exc})")
                return
            context = message.tsig_ctx
            if state.messages == 1:
                state.evidence += "\n" + _head(message)


def _read(data: bytes, apex: dns.name.Name, tsig: TsigKey | None, key: dns.tsig.Key | None,
          mac: bytes, context: _TsigContext, state: _State) -> dns.message.Message | None:
    """One message of the transfer, its TSIG checked; None (and the failure set) when it
    cannot be used."""
    try:
        return dns.message.from_wire(data, keyring=key, request_mac=mac, xfr=True,
                                     tsig_ctx=context, multi=True)
    except dns.tsig.PeerError as exc:
        state.failure = _tsig_error(exc, data, tsig)
    except dns.message.UnknownTSIGKey:
        state.failure = ("the answer is signed with a TSIG key this request did not use"
                         if tsig is not None else
                         "the answer carries a TSIG although the request was not signed")
    except dns.tsig.BadSignature:
        state.failure = (f"the server's TSIG does not verify with the key {_key(tsig)}: the "
                         "server holds another secret for it, or the answer was altered")
    except dns.tsig.BadTime:
        state.failure = (f"the server's TSIG is dated more than {FUDGE_S} s away from this "
                         "host's clock: check the time synchronisation (NTP) of both")
    except (dns.tsig.BadKey, dns.tsig.BadAlgorithm):
        state.failure = (f"the server signed its answer with another key or algorithm than "
                         f"{_key(tsig)}")
    except dns.exception.DNSException as exc:
        state.failure = f"unparsable message in the transfer ({exc.__class__.__name__}: {exc})"
    except (ValueError, TypeError, IndexError, KeyError, UnicodeError) as exc:
        state.failure = f"unparsable message in the transfer ({exc.__class__.__name__}: {exc})"
    unchecked = _unchecked(data)
    if unchecked is not None:
        state.evidence += "\n" + _shown(unchecked)
    return None


def _unchecked(data: bytes) -> dns.message.Message | None:
    """The message as sent, its TSIG read but not checked (to show it, and for BADTIME the
    server's clock)."""
    try:
        return dns.message.from_wire(data, keyring=False, xfr=True)
    except Exception:  # what could not be read is named in the failure already
        return None


def _key(tsig: TsigKey | None) -> str:
    return f"{tsig.name} ({tsig.algorithm})" if tsig is not None else "(none)"


def _tsig_error(exc: dns.tsig.PeerError, data: bytes, tsig: TsigKey | None) -> str:
    if isinstance(exc, dns.tsig.PeerBadKey):
        return (f"TSIG error BADKEY: the server does not know the key {_key(tsig)}: check the "
                "key's name and algorithm in its configuration")
    if isinstance(exc, dns.tsig.PeerBadSignature):
        return (f"TSIG error BADSIG: the request's signature does not verify at the server: "
                f"its secret for {_key(tsig)} differs from the one in "
                f"${tsig.secret_env if tsig else '?'}")
    if isinstance(exc, dns.tsig.PeerBadTime):
        return "TSIG error BADTIME: " + _clock_offset(_unchecked(data))
    if isinstance(exc, dns.tsig.PeerBadTruncation):
        return "TSIG error BADTRUNC: the server refuses the truncated MAC"
    return f"TSIG error: {exc}"


def _clock_offset(message: dns.message.Message | None) -> str:
    """What a BADTIME answer says of the two clocks: its Other Data holds the server's time
    (RFC 8945 §5.2.3), its Time Signed the time this host signed the request with."""
    record = message.tsig[0] if message is not None and message.tsig else None
    if record is None or len(record.other) != 6:
        return ("the server finds the request's time outside the allowed fudge, and does "
                "not say its own time: check the time synchronisation (NTP) of both hosts")
    server_time = int.from_bytes(record.other, "big")
    offset = server_time - record.time_signed
    side = "behind" if offset < 0 else "ahead of"
    return (f"the server's clock reads {utc_text(server_time)}, {abs(offset)} s "
            f"({abs(offset) / 3600:.1f} h) {side} this host's ({utc_text(record.time_signed)} "
            f"when the request was signed; fudge {record.fudge} s): fix the time "
            "synchronisation (NTP) of the one that is off")




def _mismatch(message: dns.message.Message, qid: int) -> str | None:
    if message.id != qid:
        return "an answer with the ID of another query"
    if not message.flags & dns.flags.QR:
        return "an answer without the QR flag (not a response)"
    if message.opcode() != dns.opcode.QUERY:
        return f"an answer with opcode {dns.opcode.to_text(message.opcode())}"
    return None


def _refusal(rcode: int) -> str:
    text = dns.rcode.Rcode.to_text(rcode)
    if rcode == dns.rcode.REFUSED:
        return "transfer refused (REFUSED): the server does not allow this host (or this key)"
    if rcode == dns.rcode.NOTAUTH:
        return ("transfer refused (NOTAUTH): the server does not allow this host (or this "
                "key), or is not authoritative for the zone")
    if rcode == dns.rcode.NOTIMP:
        return "transfer not implemented by the server (NOTIMP)"
    return f"transfer failed: the server answered {text}"


def _form_error(text: str, messages: int) -> str:
    if text == "missing TSIG":
        return ("the server's answer carries no TSIG: the transfer is not authenticated "
                "(does the server know the key?)")
    if text.startswith("No answer or RRset not for zone origin") or text.startswith(
            "first RRset is not an SOA"):
        return "the answer does not start with the zone's SOA: the server does not transfer it"
    return f"malformed transfer (message {messages}: {text})"


def _head(message: dns.message.Message) -> str:
    """The first message's header and SOA, as the evidence of a transfer that worked."""
    flags = dns.flags.to_text(message.flags).lower()
    lines = [f";; ->>HEADER<<- opcode: QUERY, status: {dns.rcode.to_text(message.rcode())}, "
             f"flags: {flags}; via tcp"]
    if message.answer:
        lines.append(message.answer[0].to_text())
    return "\n".join(lines)


def _shown(message: dns.message.Message) -> str:
    flags = dns.flags.to_text(message.flags).lower()
    lines = [f";; ->>HEADER<<- opcode: {dns.opcode.to_text(message.opcode())}, status: "
             f"{dns.rcode.to_text(message.rcode())}, flags: {flags}; via tcp"]
    for rrset in message.answer[:3]:
        lines.append(rrset.to_text())
    if message.tsig:
        lines.append(f";; TSIG PSEUDOSECTION:\n{message.tsig.to_text()}")
    return "\n".join(lines)
