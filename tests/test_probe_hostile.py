"""The probe engine against hostile delegations (issue 15), found by the fuzz campaign: each
test failed before its fix. Real sockets: the hostile universe (`hostile_dns.py`) on
loopback, with no spoiled answers (rate 0) and chosen hostile delegations."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import dns.name
import pytest

from dnssec_conformance.config import QueryPolicy
from dnssec_conformance.probe.delegation import Delegations, Location
from dnssec_conformance.probe.querier import Querier
from dnssec_conformance.probe.shared import CircularWait, SharedWork
from dnssec_conformance.transport import Server
from lab.addresses import prefix_from_env

from .hostile_dns import Plan, serving
from .hostile_zones import FORBIDDEN_ADDRESSES, Universe

POLICY = QueryPolicy(timeout_s=0.3, retries=0)
# zone index -> its delegation (z0 stays clean)
DELEGATIONS = {1: "forbidden-glueless", 2: "glueless-cycle", 3: "address-flood",
               4: "forbidden-resolver"}


# Answers always spoiled: z5's delegation lost at the TLD, and the resolver no help.
FORCED = {("tld", "z5.fuzz.", "NS"): "silence", ("resolver", "z5.fuzz.", "SOA"): "qr0",
          ("resolver", "fuzz.", "SOA"): "garbage"}


@pytest.fixture(scope="module")
def universe() -> Iterator[Universe]:
    with serving(prefix_from_env(), 15, 6, Plan(15, rate=0.0, forced=FORCED), time.time(),
                 delegations=DELEGATIONS) as (universe, _stats):
        yield universe


def locate(universe: Universe, name: str, *, resolver: bool = False) -> Location:
    async def walk() -> Location:
        querier = Querier(POLICY)
        hints = (Server(universe.addresses["root"], 53, dns.name.from_text("hint.")),)
        resolvers = (Server(universe.addresses["resolver"]),) if resolver else ()
        try:
            return await Delegations(querier, hints, resolvers, POLICY).locate(
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
    location = locate(universe, "z3.fuzz.")
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
