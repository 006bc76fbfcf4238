"""The probe engine (issue 11): a walk from the root that no resolver's verdict can stop,
concurrency that stays polite, a silent server that costs its timeout once, bounded
delegations, addresses no query may go to, and snapshots that replay a run record for record.
Real sockets throughout: the lab's NSD and Unbound, and small servers of our own on loopback.
"""

from __future__ import annotations

import asyncio
import json
import socketserver
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dns.flags
import dns.message
import dns.name
import dns.rdatatype
import pytest

from dnssec_conformance.catalog import all_checks
from dnssec_conformance.config.loading import load_config
from dnssec_conformance.config.model import QueryPolicy
from dnssec_conformance.engine.runner import Run, RunRequest, plan_subjects
from dnssec_conformance.probe.delegation import Delegations
from dnssec_conformance.probe.querier import Querier, forbidden_destination
from dnssec_conformance.probe.transport import Server

from .engine import lab_config_text

SOA = dns.rdatatype.SOA


# --- a server that counts what is in flight ----------------------------------------------------


class Counting:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = 0
        self.most = 0
        self.seen = 0


@contextmanager
def counting_server(delay: float) -> Iterator[tuple[Server, Counting]]:
    """A loopback server that answers every question (authoritatively, empty) after `delay`
    seconds, counting how many queries it holds at once."""
    counts = Counting()

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            data, sock = self.request
            with counts.lock:
                counts.now += 1
                counts.seen += 1
                counts.most = max(counts.most, counts.now)
            time.sleep(delay)
            response = dns.message.make_response(dns.message.from_wire(data))
            response.flags |= dns.flags.AA
            with counts.lock:
                counts.now -= 1
            sock.sendto(response.to_wire(), self.client_address)

    server = socketserver.ThreadingUDPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield Server("127.0.0.1", server.server_address[1]), counts
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def silent_server() -> Iterator[Server]:
    """A loopback UDP socket that reads every query and never answers."""
    import socket

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield Server("127.0.0.1", sock.getsockname()[1])
    finally:
        sock.close()


def names(count: int) -> list[dns.name.Name]:
    return [dns.name.from_text(f"zone{i}.example.") for i in range(count)]


def test_a_server_never_sees_more_than_the_per_server_bound():
    policy = QueryPolicy(timeout_s=5, retries=0, max_in_flight_per_server=3)

    async def ask_all(server: Server) -> list[bool]:
        querier = Querier(policy)
        try:
            found = await asyncio.gather(*(querier.ask(server, n, SOA) for n in names(30)))
            return [e.ok for e in found]
        finally:
            await querier.close()

    with counting_server(0.05) as (server, counts):
        answered = asyncio.run(ask_all(server))
    assert all(answered) and counts.seen == 30
    assert counts.most == 3  # concurrent, yet never more than the bound


def test_a_silent_server_costs_its_timeout_once_and_slows_no_one_else():
    policy = QueryPolicy(timeout_s=1.0, retries=0)

    async def ask_both(good: Server, silent: Server) -> tuple[float, float, list[str], str]:
        querier = Querier(policy)
        started = time.monotonic()
        try:
            good_done: list[float] = []

            async def good_one(name: dns.name.Name) -> None:
                exchange = await querier.ask(good, name, SOA)
                assert exchange.ok
                good_done.append(time.monotonic() - started)

            silent_asks = [querier.ask(silent, n, SOA) for n in names(5)]
            found = await asyncio.gather(*silent_asks, *(good_one(n) for n in names(5)))
            silent_failures = [e.failure or "" for e in found[:5]]
            later = time.monotonic()
            again = await querier.ask(silent, dns.name.from_text("later.example."), SOA)
            return max(good_done), time.monotonic() - later, silent_failures, again.failure or ""
        finally:
            await querier.close()

    with counting_server(0.0) as (good, _counts), silent_server() as silent:
        good_time, second_cost, failures, again = asyncio.run(ask_both(good, silent))
    assert good_time < 0.5  # the good server's answers did not wait for the silent one's
    assert all(f == "timeout after 1 s" for f in failures)
    assert second_cost < 0.1 and again.startswith("not asked: 127.0.0.1 did not answer earlier")


@pytest.mark.parametrize("address", ["255.255.255.255", "224.0.0.251", "ff02::fb", "fe80::1",
                                     "169.254.169.254", "0.0.0.0", "::", "::ffff:169.254.169.254",
                                     "240.0.0.1"])
def test_no_query_goes_where_a_delegation_cannot_point(address):
    assert forbidden_destination(address) is not None

    async def ask() -> str:
        querier = Querier(QueryPolicy(timeout_s=0.5, retries=0))
        try:
            exchange = await querier.ask(Server(address), dns.name.root, SOA)
            return exchange.failure or ""
        finally:
            await querier.close()

    assert asyncio.run(ask()).startswith(address)  # refused before any packet
    assert forbidden_destination("127.0.0.1") is None and forbidden_destination("::1") is None


def test_a_delegation_with_thousands_of_addresses_is_bounded_and_reported():
    """The hostile delegation of issue 15: 3,750 addresses for each of two NS names."""
    policy = QueryPolicy(max_addresses_per_name=4, max_addresses_per_zone=6)

    async def cut() -> object:
        querier = Querier(policy)
        try:
            delegations = Delegations(querier, (), policy=policy)
            ns = (dns.name.from_text("ns1.hosting.example."),
                  dns.name.from_text("ns2.hosting.example."))
            candidates = [(Server(f"127.{i // 250 + 1}.{i % 250}.{n + 1}", 53, name),
                           f"127.{i // 250 + 1}.{i % 250}.{n + 1}")
                          for n, name in enumerate(ns) for i in range(3750)]
            candidates.append((Server("169.254.169.254", 53, ns[0]), "169.254.169.254"))
            started = time.monotonic()
            result = delegations._bounded(dns.name.from_text("zone.example."), None, ns,
                                          candidates, None, "a test")
            return result, time.monotonic() - started
        finally:
            await querier.close()

    result, seconds = asyncio.run(cut())
    assert seconds < 2
    assert [s.address for s in result.servers][:4] == [f"127.1.{i}.1" for i in range(4)]
    assert len(result.servers) == 6
    kinds = [(s.kind, str(s.server)) for s in result.skipped]
    assert ("bound", "ns1.hosting.example.") in kinds and ("bound", "ns2.hosting.example.") \
        in kinds
    assert len(result.skipped) == 2  # counted, not listed
    counted = sum(int(s.why.split()[0]) for s in result.skipped)
    assert counted == 2 * 3750 + 1 - 6


# --- the walk and the lab ----------------------------------------------------------------------


def run_records(config_path: Path, **request: object) -> dict[tuple[str, str], dict]:
    config = load_config(config_path)
    found: dict[tuple[str, str], dict] = {}

    def keep(subject, records) -> None:
        for check, record in records.items():
            found[(f"{subject.kind}:{subject.name}", check)] = record

    run = Run(RunRequest(config, request.pop("now", time.time()),  # type: ignore[arg-type]
                         plan_subjects(config, list(all_checks())), **request), keep)
    stats = asyncio.run(run.run())
    found[("stats", "")] = {"resolver_queries": stats.queries.per_kind["resolver"]}
    return found


def test_a_botched_zsk_rollover_is_a_bad_signature_not_a_discovery_error(lab, tmp_path):
    """zsk-missing.test: RRsets signed by a ZSK the DNSKEY RRset lacks. Through the lab's
    Unbound, `dig +cd NS` answers SERVFAIL for it: a discovery that leaned on the resolver
    turned every check into an error and blamed the resolver."""
    path = tmp_path / "domains.yaml"
    path.write_text(lab_config_text(lab, ["zsk-missing.test"]))
    records = run_records(path)
    zone = {check: r for (subject, check), r in records.items()
            if subject == "domain:zsk-missing.test"}
    assert {c for c, r in zone.items() if r["outcome"] == "error"} == set()
    sig = zone["SIG01"]
    assert sig["outcome"] == "failed" and sig["category"] == "bad-signature"
    assert "no DNSKEY with key tag" in sig["message"]
    assert zone["RESOLVER01"]["outcome"] == "passed"  # Unbound rightly refuses a bogus zone
    assert records[("stats", "")]["resolver_queries"] == 0  # the walk needed no resolver


def test_every_lab_verdict_replays_from_its_snapshot(lab, tmp_path):
    """Every lab zone, canary and resolver observation: the verdicts from a snapshot equal
    the live run's, record for record (evidence included), judged at the same instant."""
    now = time.time()
    snapshot = tmp_path / "lab.snapshot.json"
    live = run_records(lab.domains_yaml, now=now, snapshot_out=str(snapshot))
    replayed = run_records(lab.domains_yaml, now=now, snapshot_in=str(snapshot))
    live.pop(("stats", "")), replayed.pop(("stats", ""))
    assert len(live) > 1000
    assert replayed == live
    document = json.loads(snapshot.read_text())
    assert document["format"] == "dnssec-conformance-snapshot" and document["version"] == 1
    assert {z["domain"] for z in document["zones"]} >= {"good-ecdsa.test.", "expired.test."}


# --- whole runs through the plugin -------------------------------------------------------------


def lab_run(pytester: pytest.Pytester, lab, resolvers: str, root: str, *args: str
            ) -> tuple[pytest.RunResult, dict, float]:
    """The suites over every lab zone, with the resolvers and root hints given."""
    import shutil

    text = lab.domains_yaml.read_text()
    lines = [line for line in text.splitlines()
             if not line.startswith(("resolvers:", "root_hints:", "trust_anchors:"))]
    (pytester.path / "domains.yaml").write_text(
        f"resolvers: [{resolvers}]\nroot_hints: [{root}]\ntrust_anchors: {lab.trust_anchors}\n"
        "query: {timeout_s: 1, retries: 1}\n" + "\n".join(lines) + "\n")
    shutil.copytree(Path(__file__).parent.parent / "suites", pytester.path / "suites")
    started = time.monotonic()
    result = pytester.runpytest_subprocess("--domains", "domains.yaml", "suites",
                                           "-p", "no:cacheprovider", *args, timeout=300)
    elapsed = time.monotonic() - started
    return result, json.loads((pytester.path / "reports" / "results.json").read_text()), elapsed


def test_a_dead_resolver_costs_one_timeout_and_is_reported_once(pytester, lab):
    """Issue 13's outage: every domain's resolver check is a could-not-check naming the dead
    resolver, grouped in one line; the walk needs no resolver, so every other verdict stands;
    the dead resolver costs one timeout (with its retry), and the report and results are
    written."""
    from .test_heartbeat import serve

    for receiver in serve():
        result, document, elapsed = lab_run(pytester, lab, "127.0.0.1:9",
                                            lab.servers["root"],
                                            f"--heartbeat-url={receiver.url}")
        assert len(receiver.posts) == 1
    records = document["results"]
    resolver = [r for r in records if r["check"] == "RESOLVER01"]
    assert resolver and all(r["outcome"] == "error" for r in resolver)
    assert all("resolver unreachable" in r["message"] for r in resolver)
    good = {r["check"]: r["outcome"] for r in records if r["domain"] == "good-ecdsa.test"}
    assert good["DS01"] == "passed" and good["EXPIRY01"] == "passed"
    assert elapsed < 60  # one timeout (twice, with the retry), not one per domain
    grouped = [line for line in result.outlines
               if line.startswith("  unchecked") and "resolver unreachable" in line]
    assert len(grouped) == 1, result.outlines[-40:]  # every domain and canary, in one line
    assert (pytester.path / "reports" / "report.html").is_file()


def test_a_fleet_that_cannot_be_reached_ends_quickly_with_its_outputs(pytester, lab):
    """Neither the root hints nor the resolver answer: every check of every domain could not
    check. The run still ends at once with its outputs, and pytest's per-test failure section
    (quadratic in the number of failures) is left out in favour of the DNSSEC summary."""
    result, document, elapsed = lab_run(pytester, lab, "127.0.0.1:9", "127.0.0.1:9")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    outcomes = {r["outcome"] for r in document["results"]}
    assert "error" in outcomes and outcomes <= {"error", "skipped"}
    assert document["status"] == "critical"
    assert elapsed < 60
    text = result.stdout.str()
    assert "= FAILURES =" not in text and "DNSSEC conformance" in text


def test_only_what_the_selected_checks_read_is_asked(lab, tmp_path):
    """`-m expiry` needs no CDS, `-m rollover` no negative answers: the plan follows the
    selected checks, and the probe asks nothing else."""
    from dnssec_conformance.catalog import get
    from dnssec_conformance.engine.runner import probe_plan, probe_zones

    checks = all_checks()
    expiry = probe_plan([c for c in checks if get(c).marker == "expiry"])
    rollover = probe_plan([c for c in checks if get(c).marker == "rollover"])
    assert (expiry.records, expiry.denial, expiry.signing, expiry.cds) == (True, True, True,
                                                                         False)
    assert (rollover.cds, rollover.denial, rollover.records) == (True, False, False)
    path = tmp_path / "domains.yaml"
    path.write_text(lab_config_text(lab, ["good-ecdsa.test"]))
    zone = probe_zones(load_config(path), plan=expiry)["good-ecdsa.test"]
    [answers] = zone.answers.values()
    asked = {dns.rdatatype.to_text(t) for _owner, t in answers.exchanges}
    assert asked == {"SOA", "DNSKEY", "NS", "NSEC3PARAM", "A"}
    assert answers.nonexistent is not None and answers.second_look is not None
