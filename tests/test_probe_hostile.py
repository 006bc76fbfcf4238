"""The probe engine against hostile delegations (issue 15), found by the fuzz campaign: each
test failed before its fix. Real sockets: the hostile universe (`hostile_dns.py`) on
loopback, with no spoiled answers (rate 0) and chosen hostile delegations."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import dns.name
import pytest

from dnssec_conformance.config.model import QueryPolicy
from dnssec_conformance.probe.delegation import Delegations, Location
from dnssec_conformance.probe.querier import Querier
from dnssec_conformance.probe.shared import CircularWait, SharedWork
from dnssec_conformance.probe.transport import Server
from lab.addresses import prefix_from_env

from .hostile_dns import Plan, serving
from .hostile_zones import FORBIDDEN_ADDRESSES, Universe

POLICY = QueryPolicy(timeout_s=0.3, retries=0)
# zone index -> its delegation (z0 stays clean)
DELEGATIONS = {1: "forbidden-glueless", 2: "glueless-cycle", 3: "address-flood",
               4: "forbidden-resolver"}


# Answers always spoiled: z5's delegation lost at the TLD, and the resolver no help (its
# answer about fuzz. is fine: the fallback climbs there, and the walk fails again below).
FORCED = {("tld", "z5.fuzz.", "NS"): "silence", ("resolver", "z5.fuzz.", "SOA"): "qr0"}


@pytest.fixture(scope="module")
def universe() -> Iterator[Universe]:
    with serving(prefix_from_env(), 15, 6, Plan(15, rate=0.0, forced=FORCED), time.time(),
                 delegations=DELEGATIONS) as (universe, _stats):
        yield universe


def locate(universe: Universe, name: str, *, resolver: bool = False,
           policy: QueryPolicy = POLICY) -> Location:
    async def walk() -> Location:
        querier = Querier(policy)
        hints = (Server(universe.addresses["root"], 53, dns.name.from_text("hint.")),)
        resolvers = (Server(universe.addresses["resolver"]),) if resolver else ()
        try:
            return await Delegations(querier, hints, resolvers, policy).locate(
                dns.name.from_text(name))
        finally:
            await querier.close()

    return asyncio.run(asyncio.wait_for(walk(), 30))


def test_one_key_in_two_shared_works_is_no_cycle():
    """A name's addresses waiting for the same name's location: two works, one key."""
    addresses, locations = SharedWork[str](), SharedWork[str]()

    async def location() -> str:
        await asyncio.sleep(0)
        return "located"

    async def address() -> str:
        return await locations.get("ns.example.", location)

    assert asyncio.run(addresses.get("ns.example.", address)) == "located"


def test_a_cycle_through_two_shared_works_is_found_not_waited_out():
    first, second = SharedWork[str](), SharedWork[str]()

    async def a() -> str:
        await asyncio.sleep(0)
        return await second.get("b", b)

    async def b() -> str:
        await asyncio.sleep(0)
        try:
            return await first.get("a", a)
        except CircularWait:
            return "circular"

    assert asyncio.run(asyncio.wait_for(first.get("a", a), 5)) == "circular"


def test_glueless_name_servers_are_found_by_the_walk_without_a_resolver(universe):
    """z1 is served by ns1 (glue) and a name in another zone whose addresses are forbidden:
    the walk finds them itself, and queries none of them."""
    location = locate(universe, "z1.fuzz.")
    assert location.failure is None
    cut = location.zone
    assert [s.address for s in cut.servers] == [universe.addresses["ns1"]]
    skipped = {s.server.address: s.kind for s in cut.skipped}
    assert skipped == dict.fromkeys(FORBIDDEN_ADDRESSES, "forbidden"), skipped


def test_name_servers_in_each_others_zones_are_a_circular_delegation(universe):
    location = locate(universe, "z2.fuzz.", resolver=True)
    assert location.zone.servers == ()
    (skipped,) = location.zone.skipped
    assert skipped.kind == "no-address"
    assert "depends on itself (a circular delegation" in skipped.why


def test_thousands_of_addresses_answered_over_tcp_are_bounded(universe):
    # 60 KB over TCP: a timeout a loaded machine meets in time
    location = locate(universe, "z3.fuzz.", policy=QueryPolicy(timeout_s=3.0, retries=0))
    cut = location.zone
    assert len(cut.servers) == 2 * POLICY.max_addresses_per_name
    (over_a,) = [s for s in cut.skipped if str(s.server) == "z3-a.hosts.fuzz."]
    assert over_a.kind == "bound" and over_a.why.startswith("5742 more address(es)")


def test_forbidden_addresses_from_the_resolver_are_not_queried(universe):
    location = locate(universe, "z4.fuzz.", resolver=True)
    assert [s.address for s in location.zone.servers] == [universe.addresses["ns1"]]
    assert {s.kind for s in location.zone.skipped} == {"forbidden"}


def test_a_resolver_that_cannot_rescue_the_walk_is_named(universe):
    """The TLD's referral lost, the walk falls back on the resolver, whose answers are no
    answers: the failure names the TLD server and the resolver."""
    location = locate(universe, "z5.fuzz.", resolver=True)
    assert location.failure is not None
    assert f"b.nic.fuzz. ({universe.addresses['tld']}): timeout" in location.failure
    assert (f"nor did the resolvers help: {universe.addresses['resolver']} gave no usable "
            "answer for z5.fuzz. SOA: an answer without the QR flag") in location.failure
    assert f";; SERVER: {universe.addresses['resolver']}" in location.evidence


def test_a_late_duplicate_is_not_blamed_on_a_later_timeout(monkeypatch):
    """A server answers the first question twice, then stays silent: the second question's
    timeout says nothing of the duplicate that arrived before it was even asked."""
    import socket
    import threading

    import dns.message
    import dns.rdatatype

    from dnssec_conformance.probe import querier as querier_module

    monkeypatch.setattr(querier_module, "SOCKETS_PER_FAMILY", 1)  # the same socket for both
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))

    def serve() -> None:
        wire, client = sock.recvfrom(4096)
        answer = dns.message.make_response(dns.message.from_wire(wire)).to_wire()
        sock.sendto(answer, client)
        sock.sendto(answer, client)  # the duplicate: a stray once the first is taken
        while True:
            try:
                sock.recvfrom(4096)  # silence from now on
            except OSError:
                return

    threading.Thread(target=serve, daemon=True).start()
    server = Server("127.0.0.1", sock.getsockname()[1])

    async def two_questions() -> list[str | None]:
        querier = Querier(QueryPolicy(timeout_s=0.5, retries=0))
        try:
            first = await querier.ask(server, dns.name.from_text("a.test."), dns.rdatatype.A)
            await asyncio.sleep(0.2)  # the duplicate is in
            second = await querier.ask(server, dns.name.from_text("b.test."), dns.rdatatype.A)
            return [first.failure, second.failure]
        finally:
            await querier.close()

    try:
        assert asyncio.run(two_questions()) == [None, "timeout after 0.5 s"]
    finally:
        sock.close()
