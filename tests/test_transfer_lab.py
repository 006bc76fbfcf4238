"""Whole live zones against the lab's NSDs (issue 16): AXFR with the lab's TSIG key and
without one, the NSEC walk where transfers are refused, an older copy on a second NSD, and
every way a transfer fails (wrong secret, unknown key, refused, skewed clock, truncated),
each one line naming the server and the reason. The TSIG secret appears in no output.

deep-expiry.test and walk-deep-expiry.test hide an expired RRSIG over `_dmarc` TXT, a name
the live questions never ask: only the transfer checks (and file mode, ldns-verify-zone and
dnssec-verify on the zone file, which claim to check the whole zone) may find it.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dns.flags
import dns.message
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import pytest

from dnssec_conformance import catalog
from dnssec_conformance.analysis.evaluation import Evaluation
from dnssec_conformance.catalog import zone_checks
from dnssec_conformance.config.anchors import TrustAnchors
from dnssec_conformance.config.loading import load_config
from dnssec_conformance.config.model import DomainSpec
from dnssec_conformance.dnssec.zonefile import collect_zone_file
from dnssec_conformance.engine.runner import Run, RunRequest, plan_subjects
from dnssec_conformance.probe.axfr import transfer
from dnssec_conformance.probe.transport import Server

TSIG = "{tsig: {name: lab-xfr-key., algorithm: hmac-sha256, secret_env: LAB_TSIG_SECRET}}"
DEEP = "_dmarc.deep-expiry.test. TXT RRSIG expired 1.0 days ago"
WALKED = "_dmarc.walk-deep-expiry.test. TXT RRSIG expired 1.0 days ago"


def domains_yaml(lab, folder: Path, entries: dict[str, str], extra: str = "") -> Path:
    lines = [f"resolvers: [{lab.validating_resolver}]", f"root_hints: [{lab.servers['root']}]",
             f"trust_anchors: {lab.trust_anchors}", extra, "domains:"]
    for name, transfer_text in entries.items():
        lines += [f"  - name: {name}", "    records: [A]"]
        if transfer_text:
            lines.append(f"    transfer: {transfer_text}")
    path = folder / "domains.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def records(path: Path, checks: list[str] | None = None, run_class: type[Run] = Run,
            **request: object) -> dict[str, dict[str, dict]]:
    """domain -> check -> results.json record, from a run of the engine; with the run's
    query statistics under "stats"."""
    config = load_config(path)
    found: dict[str, dict[str, dict]] = {}
    chosen = checks or [c for c in zone_checks() if c.startswith(("XFR", "EXPIRY01"))]
    run = run_class(RunRequest(config, request.pop("now", time.time()),  # type: ignore[arg-type]
                               plan_subjects(config, chosen), **request),
                    lambda subject, rs: found.setdefault(subject.name, {}).update(rs))
    stats = asyncio.run(run.run())
    found["stats"] = {"max_in_flight": stats.queries.max_in_flight_seen,
                      "per_kind": dict(stats.queries.per_kind)}
    return found


def messages(record: dict, severity: str | None = None) -> list[tuple[str, str]]:
    return [(f["message"], f.get("server") or "") for f in record["findings"]
            if severity is None or f["severity"] == severity]


@pytest.fixture(scope="module")
def lab_transfers(lab, tmp_path_factory) -> dict[str, dict[str, dict]]:
    """The three transfer zones as the lab's domains.yaml configures them, run once."""
    folder = tmp_path_factory.mktemp("transfers")
    path = domains_yaml(lab, folder, {"deep-expiry.test": TSIG,
                                      "walk-deep-expiry.test": "{walk: true}",
                                      "transfer-open.test": "true"})
    return records(path)


# --- what the copies show ---------------------------------------------------------------------


def test_the_deep_expiry_is_found_through_the_tsig_transfer_at_both_nsds(lab_transfers, lab):
    zone = lab_transfers["deep-expiry.test"]
    ns1, ns2 = f"ns1.test. ({lab.servers['ns1']})", f"ns2.test. ({lab.servers['ns2']})"

    assert zone["EXPIRY01"]["outcome"] == "passed"  # the live questions never ask _dmarc
    assert zone["XFR02"]["outcome"] == "failed"
    (message, servers), = messages(zone["XFR02"], "critical")
    assert message.startswith(DEEP) and servers == f"{ns1}, {ns2}"
    taken = messages(zone["XFR01"], "info")
    assert sorted(server for _, server in taken) == [ns1, ns2]
    assert all(m.startswith("AXFR with TSIG key lab-xfr-key.: serial ") for m, _ in taken)
    assert zone["XFR01"]["outcome"] == "passed"
    assert {zone[c]["outcome"] for c in ("XFR03", "XFR04")} == {"passed"}


def test_the_older_copy_on_the_second_nsd_is_named_with_what_it_lacks(lab_transfers, lab):
    finding, = lab_transfers["deep-expiry.test"]["XFR05"]["findings"]

    assert finding["severity"] == "warning"
    assert finding["server"] == f"ns2.test. ({lab.servers['ns2']})"
    assert "an older copy: serial" in finding["message"]
    assert "86400 behind" in finding["message"]
    assert (f"_mta-sts.deep-expiry.test. TXT (only at ns1.test. ({lab.servers['ns1']}))"
            in finding["message"])


def test_the_walk_finds_the_same_deep_rrset_where_transfers_are_refused(lab_transfers, lab):
    zone = lab_transfers["walk-deep-expiry.test"]

    (message, server), = messages(zone["XFR02"], "critical")
    assert message.startswith(WALKED) and server == f"ns1.test. ({lab.servers['ns1']})"
    assert zone["XFR01"]["outcome"] == "passed"  # refused without TSIG: the walk stands in
    notes = [m for m, _ in messages(zone["XFR01"])]
    assert notes[0].startswith("AXFR: transfer refused (REFUSED)")
    assert notes[1].startswith("the NSEC walk: serial ")
    # the chain passes a wildcard, a delegation (its NSEC in the referral) and an ENT
    assert zone["XFR04"]["message"] == "ok (NSEC chain complete: 7 names walked)"
    assert zone["EXPIRY01"]["outcome"] == "passed"


def test_the_open_control_passes_every_transfer_check(lab_transfers):
    zone = lab_transfers["transfer-open.test"]

    assert {c: r["outcome"] for c, r in zone.items() if c.startswith("XFR")} == dict.fromkeys(
        ("XFR01", "XFR02", "XFR03", "XFR04", "XFR05"), "passed")
    assert zone["XFR01"]["message"].startswith("ok (AXFR: serial ")  # no TSIG
    assert zone["XFR04"]["message"].startswith("ok (NSEC3 1 0 - chain complete")
    assert zone["XFR05"]["message"].startswith("ok (the same copy as ns1.test.")


def test_one_copy_is_in_memory_at_a_time(lab, tmp_path, monkeypatch):
    """Five copies (three zones, two of them on two servers), taken by one run: each is
    judged and dropped before the next transfer starts."""
    import dnssec_conformance.probe.zones as zones

    held, most = [0], [0]
    real_transfer, real_judged = zones.transfer, zones._judged

    async def counted_transfer(*args, **kwargs):  # type: ignore[no-untyped-def]
        taken = await real_transfer(*args, **kwargs)
        if taken.zone is not None:
            held[0] += 1
            most[0] = max(most[0], held[0])
        return taken

    def counted_judged(*args, **kwargs):  # type: ignore[no-untyped-def]
        time.sleep(0.2)  # a judge slow enough for another zone's transfer to overlap it
        try:
            return real_judged(*args, **kwargs)
        finally:
            if args[4] == "axfr":  # (judge, data, server, copy, method, ...): dropped now
                held[0] -= 1

    monkeypatch.setattr(zones, "transfer", counted_transfer)
    monkeypatch.setattr(zones, "_judged", counted_judged)
    path = domains_yaml(lab, tmp_path, {"deep-expiry.test": TSIG, "transfer-open.test": "true",
                                        "walk-deep-expiry.test": "{walk: true}"})

    found = records(path, ["XFR01"])

    assert {found[z]["XFR01"]["outcome"] for z in ("deep-expiry.test", "transfer-open.test",
                                                   "walk-deep-expiry.test")} == {"passed"}
    assert most[0] == 1 and held[0] == 0


def test_file_mode_and_the_zone_checkers_catch_it_too(lab):
    """Nothing that claims to check the whole zone misses it: our file mode, ldns-verify-zone
    and dnssec-verify on the file ns1 serves."""
    zone_file = next((lab.run_dir / "zones" / "deep-expiry.test").glob("zone.tampered"))
    data = collect_zone_file(DomainSpec(dns.name.from_text("deep-expiry.test.")), zone_file,
                             None, time.time())
    result = catalog.run("EXPIRY01", data, Evaluation(time.time(), TrustAnchors("none", {}, {})))
    assert any(f.message.startswith(DEEP) for f in result.findings)
    ldns = subprocess.run(["ldns-verify-zone", str(zone_file)], capture_output=True, text=True)
    assert ldns.returncode != 0 and "expired" in (ldns.stdout + ldns.stderr).lower()
    verify = subprocess.run(["dnssec-verify", "-o", "deep-expiry.test", str(zone_file)],
                            capture_output=True, text=True)
    assert verify.returncode != 0


# --- how transfers fail: one line naming the server and the reason ----------------------------


def xfr01(path: Path, **kwargs: object) -> tuple[str, list[tuple[str, str]]]:
    found = records(path, ["XFR01"], **kwargs)
    record = next(r for name, r in found.items() if name != "stats")["XFR01"]
    return record["outcome"], messages(record, "error")


def test_a_wrong_secret_is_badsig(lab, tmp_path, monkeypatch):
    monkeypatch.setenv("LAB_TSIG_SECRET", base64.b64encode(b"not the lab's secret!").decode())
    path = domains_yaml(lab, tmp_path, {"deep-expiry.test": TSIG})

    outcome, errors = xfr01(path)

    assert outcome == "error" and len(errors) == 2  # ns1 and ns2
    for message, server in errors:
        assert message.startswith("TSIG error BADSIG: the request's signature does not verify "
                                  "at the server: its secret for lab-xfr-key. (hmac-sha256) "
                                  "differs from the one in $LAB_TSIG_SECRET")
        assert server.startswith(("ns1.test.", "ns2.test."))
        assert "\n" not in message


def test_an_unknown_key_is_badkey(lab, tmp_path):
    path = domains_yaml(lab, tmp_path, {"deep-expiry.test": TSIG.replace(
        "lab-xfr-key.", "other-key.")})

    outcome, errors = xfr01(path)

    assert outcome == "error"
    assert errors[0][0].startswith("TSIG error BADKEY: the server does not know the key "
                                   "other-key. (hmac-sha256)")


def test_a_refused_transfer_without_a_walk_is_an_error(lab, tmp_path):
    path = domains_yaml(lab, tmp_path, {"walk-deep-expiry.test": "true"})

    outcome, errors = xfr01(path)

    assert outcome == "error"
    assert errors == [("transfer refused (REFUSED): the server does not allow this host (or "
                       "this key)", f"ns1.test. ({lab.servers['ns1']})")]


def test_a_skewed_clock_is_badtime_with_the_offset_named(lab, tmp_path):
    class SkewedRun(Run):
        def start(self) -> None:
            super().start()
            self.prober.clock = lambda: time.time() + 7200  # this host's clock 2 h ahead

    path = domains_yaml(lab, tmp_path, {"deep-expiry.test": TSIG})

    outcome, errors = xfr01(path, run_class=SkewedRun)

    assert outcome == "error"
    message = errors[0][0]
    assert message.startswith("TSIG error BADTIME: the server's clock reads ")
    assert " behind this host's (" in message
    offset = int(message.split(", ")[1].split(" s ")[0])
    assert 7195 <= offset <= 7205 and "(2.0 h)" in message


def test_the_walk_stays_within_the_per_server_bound(lab, tmp_path):
    path = domains_yaml(lab, tmp_path, {"walk-deep-expiry.test": "{walk: true, axfr: false}"},
                        extra="query: {max_in_flight_per_server: 2}")

    found = records(path, ["XFR01", "XFR02"])

    zone = found["walk-deep-expiry.test"]
    assert zone["XFR01"]["outcome"] == "passed"
    assert messages(zone["XFR02"], "critical")[0][0].startswith(WALKED)
    assert found["stats"]["per_kind"]["walk"] > 10
    assert found["stats"]["max_in_flight"][(lab.servers["ns1"], 53)] <= 2


def test_a_walk_stopped_early_still_judges_what_it_walked(lab, tmp_path):
    path = domains_yaml(lab, tmp_path, {"walk-deep-expiry.test":
                                        "{walk: true, axfr: false, walk_max_names: 3}"})

    zone = records(path)["walk-deep-expiry.test"]

    assert zone["XFR01"]["outcome"] == "error"
    assert "stopped after 3 names (transfer.walk_max_names)" in zone["XFR01"]["message"]
    assert messages(zone["XFR02"], "critical")[0][0].startswith(WALKED)  # apex, *, _dmarc
    assert "the walk did not reach the end of the chain" in zone["XFR04"]["message"]


def test_an_nsec3_zone_cannot_be_walked(lab, tmp_path):
    path = domains_yaml(lab, tmp_path, {"transfer-open.test": "{walk: true, axfr: false}"})

    outcome, errors = xfr01(path)

    assert outcome == "error"
    assert {m for m, _ in errors} == {"no walk: the zone uses NSEC3 (hashed names): its chain "
                                      "cannot be walked"}


def test_nsec_records_made_per_query_cannot_be_walked(lab, tmp_path):
    """The lab's online signer answers with compact denial (RFC 9824): the apex NSEC points
    to the name right after it, whatever the zone holds."""
    path = domains_yaml(lab, tmp_path, {"online-compact.test": "{walk: true, axfr: false}"})

    outcome, errors = xfr01(path)

    assert outcome == "error"
    message, server = errors[0]
    assert message.startswith("walk: the NSEC record at online-compact.test. points to "
                              "\\000.online-compact.test., the name right after it")
    assert "cannot be walked" in message and server.startswith("online1.test.")


@contextmanager
def cut_short_server(first: dns.message.Message, *, truncated: bool = False
                     ) -> Iterator[Server]:
    """A loopback TCP server that answers an AXFR with one message (a real zone's start)
    and closes the connection before the closing SOA; or sets TC on that message."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        with contextlib.suppress(OSError):
            connection, _ = listener.accept()
            with connection:
                length = struct.unpack("!H", connection.recv(2))[0]
                query = dns.message.from_wire(connection.recv(length))
                first.id = query.id
                if truncated:
                    first.flags |= dns.flags.TC
                wire = first.to_wire()
                connection.sendall(struct.pack("!H", len(wire)) + wire)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield Server("127.0.0.1", listener.getsockname()[1])
    finally:
        listener.close()
        thread.join(2)


def first_message(lab) -> dns.message.Message:
    """The start of transfer-open.test as ns1 sends it: its SOA and a few more records of
    the apex, without the closing SOA."""
    apex = dns.name.from_text("transfer-open.test.")
    taken = asyncio.run(transfer(Server(lab.servers["ns1"]), apex, None, now=time.time(),
                                 read_timeout=3, lifetime=10, max_records=10_000))
    assert taken.zone is not None
    node = taken.zone.find_node(apex)
    soa = node.find_rdataset(dns.rdataclass.IN, dns.rdatatype.SOA)
    others = [r for r in node.rdatasets if r.rdtype != dns.rdatatype.SOA][:3]
    message = dns.message.make_response(dns.message.make_query(apex, dns.rdatatype.AXFR))
    for rdataset in (soa, *others):
        message.answer.append(dns.rrset.from_rdata_list(apex, rdataset.ttl, list(rdataset)))
    return message


@pytest.mark.parametrize(("truncated", "expected"), [
    (False, "truncated transfer: the server closed the connection after 1 message(s), "),
    (True, "truncated transfer: message 1 has the TC flag (truncated) over TCP"),
])
def test_a_truncated_transfer_is_one_line(lab, truncated, expected):
    with cut_short_server(first_message(lab), truncated=truncated) as server:
        taken = asyncio.run(transfer(server, dns.name.from_text("transfer-open.test."), None,
                                     now=time.time(), read_timeout=2, lifetime=5,
                                     max_records=100))

    assert taken.zone is None
    assert taken.failure.startswith(expected)
    assert "\n" not in taken.failure


# --- the secret never shows ------------------------------------------------------------------


def test_the_tsig_secret_appears_in_no_output(lab, tmp_path):
    """A run with the right secret (deep-expiry.test) and a wrong one (BADSIG, for
    walk-deep-expiry.test's key): neither secret, in base64 or decoded, is in the terminal,
    results.json, the HTML report, JUnit, the logs or the snapshot."""
    right = os.environ["LAB_TSIG_SECRET"]
    wrong = base64.b64encode(b"a wrong secret for the lab's key").decode()
    path = domains_yaml(lab, tmp_path, {"deep-expiry.test": TSIG,
                                        "walk-deep-expiry.test": TSIG.replace(
                                            "LAB_TSIG_SECRET", "H16_WRONG_SECRET")})
    env = dict(os.environ, H16_WRONG_SECRET=wrong)
    reports = tmp_path / "reports"
    completed = subprocess.run(
        [sys.executable, "-m", "dnssec_conformance", "--domains", str(path), "-m", "transfer",
         "--results", str(reports / "results.json"), f"--html={reports / 'report.html'}",
         f"--junitxml={reports / 'junit.xml'}", "--save-snapshot", str(reports / "s.json"),
         "-o", "log_cli=true", "--log-cli-level=DEBUG", "-rA", "-v"],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    outputs = {"stdout": completed.stdout, "stderr": completed.stderr}
    outputs |= {str(p.relative_to(tmp_path)): p.read_text(errors="replace")
                for p in tmp_path.rglob("*") if p.is_file()}
    document = json.loads(outputs["reports/results.json"])
    by = {(r["domain"], r["check"]): r for r in document["results"]}

    assert by[("deep-expiry.test", "XFR02")]["outcome"] == "failed"
    assert "BADSIG" in by[("walk-deep-expiry.test", "XFR01")]["message"]
    forms = {right, wrong, base64.b64decode(right).hex(), base64.b64decode(wrong).hex(),
             base64.b64decode(wrong).decode()}
    leaks = {name for name, text in outputs.items() for form in forms if form in text}
    assert leaks == set()
    assert "$H16_WRONG_SECRET" in outputs["reports/results.json"]  # the evidence names it
