"""Asking many servers many questions at once, politely: the probe engine's transport.

One `Querier` serves a whole run. Queries go out over a few shared UDP sockets (answers are
matched to their query by source address, port and ID), fall back to TCP when truncated, and
are bounded twice: at most `max_in_flight_per_server` in flight to one server address, and
`max_in_flight` in all. Same rules as a single query (`transport.query_wire`): a bounded
timeout, bounded retries of a silent server, TCP on TC.

Everything a server sends is untrusted. An answer counts only if it is a response to the query
asked (QR, ID, opcode, question, class IN throughout); anything else is "no usable answer from
this server", named in the exchange. A server that has never answered and then times out is
taken as silent for the rest of the run: it costs its timeout once, not once per zone. Nothing
is ever sent to an address a delegation cannot legitimately use (broadcast, multicast,
link-local including cloud metadata, unspecified, reserved).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ipaddress
import random
import socket
import struct
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rdataclass
import dns.rdatatype

from ..config.model import QueryPolicy
from ..errors import ConformanceError
from .transport import Exchange, Server, answers_question, query_wire

SOCKETS_PER_FAMILY = 4
# A server that answered before and then lets this many questions in a row go unanswered has
# stopped: the rest of the run does not wait for it any more.
STOPPED_AFTER_TIMEOUTS = 5
RECEIVE_BUFFER = 4 * 1024 * 1024
MAX_TCP_MESSAGE = 65535


@functools.lru_cache(maxsize=65536)
def forbidden_destination(address: str) -> str | None:
    """Why no query may go to `address` (a delegation aiming our queries elsewhere), or None."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return f"{address!r} is not an IP address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_unspecified:
        return f"{address} is the unspecified address"
    if ip.is_multicast:
        return f"{address} is a multicast address"
    if ip.is_link_local:
        return f"{address} is a link-local address (cloud metadata services live there)"
    if isinstance(ip, ipaddress.IPv4Address) and (ip == ipaddress.IPv4Address(
            "255.255.255.255") or ip in ipaddress.IPv4Network("240.0.0.0/4")):
        return f"{address} is a broadcast or reserved address"
    return None


def routable(address: str) -> bool:
    """Whether this host has a route to `address` (many pods have no IPv6): connecting a UDP
    socket sends nothing, and fails at once without a route."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.connect((address, 53))
    except OSError:
        return False
    return True


@dataclass
class ServerHealth:
    answered: int = 0
    timed_out: int = 0  # questions in a row that got no answer, retries included
    silent_since: float | None = None  # set when it timed out without ever answering
    why: str = ""


@dataclass
class QueryStats:
    """What the run sent, for the benchmark and the run's metrics."""

    queries: int = 0  # datagrams and TCP queries sent, retries included
    tcp: int = 0
    timeouts: int = 0
    max_in_flight_seen: dict[tuple[str, int], int] = field(default_factory=dict)
    per_kind: Counter[str] = field(default_factory=Counter)


class _NoAnswer(ConformanceError):
    """No answer in time; `stray` says what did arrive from the server meanwhile, if any."""

    def __init__(self, stray: str | None):
        super().__init__(stray)
        self.stray = stray


class _Datagrams(asyncio.DatagramProtocol):
    """One shared UDP socket: hands each datagram to the query waiting for it."""

    def __init__(self, querier: Querier, index: int):
        self.querier = querier
        self.index = index
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        host, port = _normal(str(addr[0])), int(addr[1])
        if len(data) >= 2:
            key = (self.index, host, port, struct.unpack("!H", data[:2])[0])
            waiter = self.querier._pending.get(key)
            if waiter is not None and not waiter.done():
                waiter.set_result(data)
                return
        # Not an answer to a query of ours (another ID, too short, a duplicate): ignored, as a
        # resolver ignores it, but remembered, so that a timeout can say what did arrive.
        why = "a packet too short to be DNS" if len(data) < 12 else \
            "a packet whose ID matches no query in flight"
        self.querier._strays[(self.index, host, port)] = (time.monotonic(), why)

    def error_received(self, exc: Exception) -> None:
        pass  # ICMP errors reach the waiting query as its timeout; nothing to do here


@functools.lru_cache(maxsize=65536)
def _normal(host: str) -> str:
    with contextlib.suppress(ValueError):
        ip = ipaddress.ip_address(host)
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ip)
    return host


class Querier:
    """The run's bounded, concurrent DNS client. Use inside one event loop; `close()` it."""

    def __init__(self, policy: QueryPolicy):
        self.policy = policy
        self.stats = QueryStats()
        self._pending: dict[tuple[int, str, int, int], asyncio.Future[bytes]] = {}
        # What last came from a server that answered no query in flight, and when
        self._strays: dict[tuple[int, str, int], tuple[float, str]] = {}
        self._sockets: dict[int, list[_Datagrams]] = {}
        self._opening: dict[int, asyncio.Lock] = {}
        self._server_slots: dict[tuple[str, int], asyncio.Semaphore] = {}
        self._in_flight: Counter[tuple[str, int]] = Counter()
        self._all_slots = asyncio.Semaphore(policy.max_in_flight)
        self.health: dict[tuple[str, int], ServerHealth] = {}

    async def close(self) -> None:
        for protocols in self._sockets.values():
            for protocol in protocols:
                if protocol.transport is not None:
                    protocol.transport.close()
        self._sockets.clear()

    # --- the one public operation ----------------------------------------------------------

    async def ask(self, server: Server, qname: dns.name.Name, rdtype: dns.rdatatype.RdataType,
                  *, recursive: bool = False, checking_disabled: bool = True,
                  authenticated_data: bool = False, kind: str = "zone") -> Exchange:
        """One question to one server (retrying a silent one), as an `Exchange`; never raises
        for anything the network or the server does."""
        sent_at = time.time()
        refused = forbidden_destination(server.address)
        key = (_normal(server.address), server.port)
        health = self.health.get(key)
        if health is None:
            health = self.health[key] = ServerHealth()
        if refused is None and health.silent_since is not None:
            refused = f"not asked: {health.why}"
        question = _Question(qname, rdtype, recursive, checking_disabled, authenticated_data)
        if refused is not None:
            return question.exchange(server, None, None, "", refused, 0.0, sent_at)
        slots = self._server_slots.get(key)
        if slots is None:
            slots = self._server_slots[key] = asyncio.Semaphore(
                self.policy.max_in_flight_per_server)
        async with self._all_slots, slots:
            sent_at = time.time()  # when it leaves: not counting the wait for a free slot
            self._in_flight[key] += 1
            if self._in_flight[key] > self.stats.max_in_flight_seen.get(key, 0):
                self.stats.max_in_flight_seen[key] = self._in_flight[key]
            started = time.monotonic()
            try:
                response, wire, transport, failure = await self._exchange(key, question,
                                                                          health, kind)
            finally:
                self._in_flight[key] -= 1
        if response is not None:
            health.answered += 1
            health.timed_out = 0
        return question.exchange(server, response, wire, transport, failure,
                                 time.monotonic() - started, sent_at,
                                 truncated=isinstance(failure, _TruncatedFailure))

    @contextlib.asynccontextmanager
    async def reserved(self, server: Server, kind: str = "transfer") -> AsyncIterator[str | None]:
        """One of the server's in-flight slots (and one of the run's), held for an exchange
        that is not one query (a zone transfer): it counts against the same politeness
        bounds. Yields why the server may not be contacted at all, or None."""
        refused = forbidden_destination(server.address)
        key = (_normal(server.address), server.port)
        slots = self._server_slots.get(key)
        if slots is None:
            slots = self._server_slots[key] = asyncio.Semaphore(
                self.policy.max_in_flight_per_server)
        if refused is not None:
            yield refused
            return
        async with self._all_slots, slots:
            self.stats.per_kind[kind] += 1
            yield None

    # --- one exchange: attempts over UDP, then TCP -----------------------------------------

    async def _exchange(self, key: tuple[str, int], question: _Question, health: ServerHealth,
                        kind: str
                        ) -> tuple[dns.message.Message | None, bytes | None, str, str | None]:
        failure = "no attempt made"
        timeout = self.policy.timeout_s
        for _attempt in range(self.policy.retries + 1):
            if health.silent_since is not None:
                return None, None, "", f"not asked: {health.why}"
            qid = random.randrange(65536)
            self.stats.queries += 1
            self.stats.per_kind[kind] += 1
            try:
                data = await self._udp(key, question.wire(qid), qid, timeout)
            except _NoAnswer as exc:
                failure = f"timeout after {timeout:g} s" + (
                    f" (meanwhile the server sent {exc.stray}, which is no answer)"
                    if exc.stray else "")
                self.stats.timeouts += 1
                continue
            except OSError as exc:
                return None, None, "", f"network error ({exc.__class__.__name__}: {exc})"
            response, failure = _read(question, data)
            if response is None:
                return None, data, "udp", failure
            if not response.flags & dns.flags.TC:
                return response, data, "udp", None
            return await self._tcp(key, question, timeout)
        health.timed_out += 1
        if health.silent_since is None and (health.answered == 0
                                             or health.timed_out >= STOPPED_AFTER_TIMEOUTS):
            health.silent_since = time.time()
            health.why = (f"{key[0]} did not answer earlier in this run "
                          f"({failure}, {self.policy.retries + 1} attempt(s))")
        return None, None, "", failure

    async def _udp(self, key: tuple[str, int], wire: bytes, qid: int, timeout: float) -> bytes:
        family = socket.AF_INET6 if ":" in key[0] else socket.AF_INET
        protocols = self._sockets.get(family) or await self._open(family)
        protocol = random.choice(protocols)
        pending_key = (protocol.index, key[0], key[1], qid)
        if pending_key in self._pending:  # that ID is in flight to that server already
            raise _NoAnswer(None)
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[bytes] = loop.create_future()
        self._pending[pending_key] = waiter
        timer = loop.call_later(timeout, _expire, waiter)
        asked = time.monotonic()
        try:
            assert protocol.transport is not None
            protocol.transport.sendto(wire, key)
            return await waiter
        except TimeoutError:
            # Only what arrived while this query waited (a late duplicate of an earlier
            # answer is no news about this one).
            stray = self._strays.pop((protocol.index, key[0], key[1]), None)
            raise _NoAnswer(stray[1] if stray and stray[0] >= asked else None) from None
        finally:
            timer.cancel()
            del self._pending[pending_key]

    async def _open(self, family: int) -> list[_Datagrams]:
        if family in self._sockets:
            return self._sockets[family]
        lock = self._opening.setdefault(family, asyncio.Lock())
        async with lock:
            if family not in self._sockets:
                loop = asyncio.get_running_loop()
                local = ("::", 0) if family == socket.AF_INET6 else ("0.0.0.0", 0)
                protocols = []
                for index in range(SOCKETS_PER_FAMILY):
                    _transport, protocol = await loop.create_datagram_endpoint(
                        functools.partial(_Datagrams, self, index + 100 * int(family)),
                        local_addr=local, family=family)
                    protocols.append(protocol)
                self._sockets[family] = protocols
        return self._sockets[family]

    async def _tcp(self, key: tuple[str, int], question: _Question, timeout: float
                   ) -> tuple[dns.message.Message | None, bytes | None, str, str | None]:
        self.stats.tcp += 1
        self.stats.queries += 1
        wire = question.wire(random.randrange(65536))
        writer = None
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(key[0], key[1])
                writer.write(struct.pack("!H", len(wire)) + wire)
                await writer.drain()
                length = struct.unpack("!H", await reader.readexactly(2))[0]
                data = await reader.readexactly(length)
        except TimeoutError:
            self.stats.timeouts += 1
            return None, None, "tcp", _TruncatedFailure(
                f"timeout after {timeout:g} s over TCP (after a truncated UDP answer)")
        except asyncio.IncompleteReadError as exc:
            return None, None, "tcp", (f"the TCP answer ended early ({len(exc.partial)} bytes "
                                       "of the announced length)")
        except OSError as exc:
            return None, None, "tcp", f"TCP failed ({exc.__class__.__name__}: {exc})"
        finally:
            if writer is not None:
                writer.close()
                with contextlib.suppress(Exception):
                    await writer.wait_closed()
        response, failure = _read(question, data, struct.unpack("!H", wire[:2])[0])
        if response is None:
            return None, data, "tcp", failure
        if response.flags & dns.flags.TC:
            return None, data, "tcp", _TruncatedFailure("truncated answer even over TCP")
        return response, data, "tcp", None


def _expire(waiter: asyncio.Future[bytes]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError())


@dataclass(frozen=True)
class _Question:
    qname: dns.name.Name
    rdtype: dns.rdatatype.RdataType
    recursive: bool
    checking_disabled: bool
    authenticated_data: bool

    def wire(self, qid: int) -> bytes:
        return query_wire(self.qname, self.rdtype, qid, recursive=self.recursive,
                          checking_disabled=self.checking_disabled,
                          authenticated_data=self.authenticated_data)

    def exchange(self, server: Server, response: dns.message.Message | None,
                 wire: bytes | None, transport: str, failure: str | None, elapsed: float,
                 sent_at: float, *, truncated: bool = False) -> Exchange:
        return Exchange(server, self.qname, self.rdtype, self.recursive, response, transport,
                        str(failure) if failure is not None else None, elapsed,
                        self.checking_disabled, self.authenticated_data, wire=wire,
                        sent_at=sent_at, truncated=truncated)


class _TruncatedFailure(str):
    """Why a truncated answer has no complete version (TCP timed out, or was truncated too):
    a failure text that also says so, for `Exchange.truncated`."""


def _read(question: _Question, data: bytes, qid: int | None = None
          ) -> tuple[dns.message.Message | None, str]:
    """The response in `data`, or None and why it is no usable answer to `question` (over UDP
    its ID was matched already; over TCP `qid` is checked)."""
    try:
        response = dns.message.from_wire(data)
    except (dns.message.ShortHeader, dns.message.TrailingJunk, dns.exception.FormError) as exc:
        return None, f"unparsable response ({exc.__class__.__name__}: {exc})"
    except dns.exception.DNSException as exc:
        return None, f"bad response ({exc.__class__.__name__}: {exc})"
    except (ValueError, TypeError, IndexError, KeyError, UnicodeError) as exc:
        return None, f"unparsable response ({exc.__class__.__name__}: {exc})"
    if qid is not None and response.id != qid:
        return None, "an answer with the ID of another query"
    if not response.flags & dns.flags.QR:
        return None, "an answer without the QR flag (not a response)"
    if response.opcode() != dns.opcode.QUERY:
        return None, f"an answer with opcode {dns.opcode.to_text(response.opcode())}"
    if not answers_question(response, question.qname, question.rdtype):
        return None, "an answer that does not match the query (wrong question section)"
    for section in (response.answer, response.authority, response.additional):
        for rrset in section:
            if rrset.rdclass != dns.rdataclass.IN:
                return None, (f"an answer with records of class "
                              f"{dns.rdataclass.to_text(rrset.rdclass)} ({rrset.name} "
                              f"{dns.rdatatype.to_text(rrset.rdtype)}) in a class IN answer")
    return response, ""


def ask(server: Server, qname: dns.name.Name, rdtype: dns.rdatatype.RdataType, *,
        recursive: bool = False, timeout: float = 3.0, retries: int = 1,
        checking_disabled: bool = True, authenticated_data: bool = False) -> Exchange:
    """One question, asked from synchronous code (a script, a test): see `Querier.ask`."""
    async def one() -> Exchange:
        querier = Querier(QueryPolicy(timeout_s=timeout, retries=retries))
        try:
            return await querier.ask(server, qname, rdtype, recursive=recursive,
                                     checking_disabled=checking_disabled,
                                     authenticated_data=authenticated_data)
        finally:
            await querier.close()

    return asyncio.run(one())
