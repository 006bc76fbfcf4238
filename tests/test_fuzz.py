"""Fuzzing that stays: a few hundred hostile inputs per CI run, each seed printed so that a
failure reproduces (`FUZZ_SEED=N pytest tests/test_fuzz.py`; Hypothesis prints its own
reproduction blob). The release campaign runs the same generators far longer:
`make fuzz` (fuzz/campaign.py).

- the real product, end to end, against the seeded hostile DNS universe;
- domains.yaml: generated and mutated files through the loader the plugin uses;
- DNS answers spoiled at the record and wire level through every check, the key history
  and the results record.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import dns.rdatatype
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dnssec_conformance.errors import ConformanceError

from .fuzz_inputs import config_files, spoiled_responses

SEED = int(os.environ.get("FUZZ_SEED") or random.SystemRandom().randrange(100_000))
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES") or 150)
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])


def test_the_product_holds_against_a_hostile_universe(tmp_path: Path) -> None:
    """Two runs of the real product (a pytest subprocess) against the universe, 10 zones
    each, 30 % of their servers' answers spoiled; the second with the probe engine's faults
    too (hostile delegations, class ANY, forbidden addresses). ~120 hostile answers, ~20 s;
    every send checked at the socket layer."""
    from .fuzz_e2e import run_case

    print(f"fuzz seed {SEED} (reproduce: FUZZ_SEED={SEED} pytest tests/test_fuzz.py)")
    results = [run_case(SEED + offset, tmp_path / f"seed-{SEED + offset}", zones=10,
                        rate=0.3, bound_s=120, lead_faults=bool(offset))
               for offset in (0, 1)]
    for result in results:
        print(result.summary())
    hostile = sum(r.hostile for r in results)
    assert hostile >= 40, f"only {hostile} hostile answers: the plan did not bite"
    assert all(r.sends > 0 for r in results), "the send guard saw nothing: is it loaded?"
    violations = [f"seed {r.seed}: {v}" for r in results for v in r.violations]
    assert violations == [], f"FUZZ_SEED={SEED}: " + "; ".join(violations)


@FUZZ
@given(data=config_files())
def test_any_domains_yaml_is_loaded_or_refused_in_one_line(tmp_path_factory, data: bytes
                                                           ) -> None:
    from dnssec_conformance.config.anchors import load_anchors
    from dnssec_conformance.config.loading import load_config

    folder = tmp_path_factory.mktemp("config")
    (folder / "anchors.bin").write_bytes(bytes(range(256)) * 4)
    (folder / "anchors.empty").write_bytes(b"")
    (folder / "anchors.a").write_text("example. 300 IN A 192.0.2.1\n")
    path = folder / "domains.yaml"
    path.write_bytes(data)
    try:
        config = load_config(path)
        load_anchors(config.trust_anchors)
    except ConformanceError as error:
        message = str(error)
        assert len(message.splitlines()) == 1, message
        assert message.startswith(str(path)) or message.startswith(str(folder)), message


@pytest.fixture(scope="module")
def signed_zone():
    from .inmemory import build_zone, delegate, parent_zone

    parent = parent_zone()
    child = build_zone("child.test.", "sub 300 IN NS ns.sub\nns.sub 300 IN A 192.0.2.9\n",
                       nsec3="1 0 0 -")
    delegate(parent, child)
    return parent, child


QUESTIONS = ["SOA", "DNSKEY", "NS", "NSEC3PARAM", "CDS", "CDNSKEY", "A", "probe", "nodata"]


# dnspython draws message IDs from `random` while Hypothesis replays: harmless here.
@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
@FUZZ
@given(data=st.data())
def test_spoiled_answers_never_crash_a_check(signed_zone, data) -> None:
    """Record- and wire-level damage to one to three of a server's answers: every check, the
    key history and the results record take it; every message stays one line."""
    from dnssec_conformance import catalog
    from dnssec_conformance.analysis.keys_seen import observe
    from dnssec_conformance.catalog import zone_checks
    from dnssec_conformance.probe.data import ServerAnswers
    from dnssec_conformance.probe.transport import Exchange
    from dnssec_conformance.report.results import record_of
    from dnssec_conformance.state.codec import from_document, to_document
    from dnssec_conformance.state.history import advance

    from .inmemory import NOW, SERVER2, evaluation, zone_data

    parent, child = signed_zone
    zone = zone_data(child, parent, servers={SERVER2: child}, records=("A",))
    answers = zone.answers[SERVER2]
    exchanges = dict(answers.exchanges)
    probes = {"probe": answers.nonexistent, "nodata": answers.nodata}
    for question in data.draw(st.lists(st.sampled_from(QUESTIONS), min_size=1, max_size=3,
                                       unique=True)):
        exchange = probes.get(question) or exchanges[
            (child.origin, dns.rdatatype.from_text(question))]
        assert exchange is not None and exchange.response is not None
        message, how = data.draw(spoiled_responses(exchange.response))
        spoiled = Exchange(exchange.server, exchange.qname, exchange.rdtype, False, message,
                           "udp" if message is not None else "",
                           None if message is not None else f"unparsable response ({how})",
                           0.01)
        if question in probes:
            probes[question] = spoiled
        else:
            exchanges[(exchange.qname, exchange.rdtype)] = spoiled
    zone.answers[SERVER2] = ServerAnswers(SERVER2, exchanges, probes["probe"],
                                          probes["nodata"])
    ev = evaluation(parent)
    for check in zone_checks():
        result = catalog.run(check, zone, ev)
        record = record_of(result)
        assert all(len(f["message"].splitlines()) <= 1 for f in record["findings"]), record
    state = advance(None, observe(zone), NOW, "child.test.")
    from_document(to_document(state), "child.test.")
