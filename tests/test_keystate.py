"""The key history between runs: a baseline, then a key added, then one removed; the state
file written atomically; a corrupt or unreadable file moved aside and reported, never
silently overwritten."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import dns.name
import pytest

from dnssec_conformance import catalog, files
from dnssec_conformance.analysis.keys_seen import observe
from dnssec_conformance.findings import Outcome, Severity
from dnssec_conformance.probe.data import ZoneData
from dnssec_conformance.state.codec import from_document, to_document
from dnssec_conformance.state.history import advance
from dnssec_conformance.state.model import History, fingerprint
from dnssec_conformance.state.store import StateDirectory, state_file_name

from .inmemory import (
    NOW,
    build_zone,
    dead,
    delegate,
    evaluation,
    make_key,
    parent_zone,
    zone_data,
)

HOUR = 3600
ZONE = "child.test."


def recorded(store: StateDirectory, data: ZoneData, now: float) -> History:
    """The run recorded as the engine records it: what it saw of the keys, None without apex."""
    return store.record_run(data.name, observe(data) if data.apex is not None else None, now)


@pytest.fixture(scope="module")
def keys():
    return {"ksk": make_key(13, ksk=True), "zsk": make_key(13), "new": make_key(13)}


def snapshot(keys, published=(), signing=("ksk", "zsk")):
    """The ZoneData of child.test. serving `signing` keys (signing) and `published` ones."""
    body = "".join(f"@ 3600 IN DNSKEY {keys[k].dnskey.to_text()}\n" for k in published)
    child = build_zone(ZONE, body, keys=[keys[k] for k in signing])
    parent = parent_zone()
    delegate(parent, child)
    return zone_data(child, parent), parent


def rotation(data, parent, history, now):
    return catalog.run("ROLLOVER01", data, replace(evaluation(parent, now), history=history))


def test_successive_runs_baseline_then_added_then_removed(tmp_path, keys):
    store = StateDirectory(tmp_path)
    data, parent = snapshot(keys)
    first = recorded(store, data, NOW)
    assert first.state is not None and first.state.is_baseline and first.problem is None
    assert first.state.added_keys() == [] and first.state.removed_keys() == []
    result = rotation(data, parent, first, NOW)
    assert result.outcome is Outcome.PASSED and "baseline" in result.message

    data, parent = snapshot(keys, published=("new",))
    second = recorded(store, data, NOW + HOUR)
    assert [fingerprint(k.key) for k in second.state.added_keys()] == [
        fingerprint(keys["new"].dnskey)]
    result = rotation(data, parent, second, NOW + HOUR)
    assert result.outcome is Outcome.PASSED
    (added,) = [f.message for f in result.findings if f.message.startswith("key added")]
    assert f"ZSK {dns.dnssec.key_id(keys['new'].dnskey)}/" in added
    assert "first seen 2027-01-15T09:00:00Z" in added and "ns1.test." in added

    data, parent = snapshot(keys, signing=("ksk", "new"))
    third = recorded(store, data, NOW + 2 * HOUR)
    (removed,) = third.state.removed_keys()
    assert fingerprint(removed.key) == fingerprint(keys["zsk"].dnskey)
    result = rotation(data, parent, third, NOW + 2 * HOUR)
    (message,) = [f.message for f in result.findings if f.message.startswith("key removed")]
    assert "first seen 2027-01-15T08:00:00Z, last seen 2027-01-15T09:00:00Z" in message
    assert not any(f.message.startswith("key added") for f in result.findings)

    fourth = recorded(store, data, NOW + 3 * HOUR)
    assert rotation(data, parent, fourth, NOW + 3 * HOUR).findings == [], "no change, no event"


def test_state_round_trips_through_its_file(tmp_path, keys):
    data, _ = snapshot(keys, published=("new",))
    state = advance(advance(None, observe(data), NOW, ZONE), observe(data), NOW + 60, ZONE)
    document = json.loads(json.dumps(to_document(state)))
    assert from_document(document, ZONE) == state
    assert document["first_run"] == "2027-01-15T08:00:00Z"
    assert {k["key_tag"] for k in document["keys"]} == {
        dns.dnssec.key_id(k.dnskey) for k in keys.values()}


def test_a_second_process_of_the_same_run_sees_the_same_changes(tmp_path, keys):
    store = StateDirectory(tmp_path)
    data, _ = snapshot(keys)
    recorded(store, data, NOW)
    data, _ = snapshot(keys, published=("new",))
    once = recorded(store, data, NOW + HOUR)
    again = recorded(store, data, NOW + HOUR)
    assert again.state == once.state and again.observed
    assert len(again.state.added_keys()) == 1


def test_the_state_is_written_atomically(tmp_path, keys, monkeypatch):
    store = StateDirectory(tmp_path)
    data, _ = snapshot(keys)
    recorded(store, data, NOW)
    path = tmp_path / "child.test.json"
    before = path.read_bytes()

    def crash(*_args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "replace", crash)
    history = recorded(store, snapshot(keys, published=("new",))[0], NOW + HOUR)
    assert history.problem is not None and "No space left on device" in history.problem
    assert path.read_bytes() == before, "a failed write leaves the previous state whole"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".lock", "child.test.json"]
    monkeypatch.undo()
    recorded(store, snapshot(keys, published=("new",))[0], NOW + HOUR)
    assert json.loads(path.read_text())["runs"] == 2


@pytest.mark.parametrize("content", [
    b"{\"format\": 1, \"zone\": \"child.test.\", \"first_run\": ",  # cut short mid-write
    b"\xff\xfe not text",
    b"[1, 2, 3]",
    b"{\"format\": 99}",
    json.dumps({"format": 1, "zone": "other.test."}).encode(),
])
def test_a_corrupt_state_file_is_moved_aside_and_reported(tmp_path, keys, content):
    path = tmp_path / "child.test.json"
    path.write_bytes(content)
    data, parent = snapshot(keys)
    history = recorded(StateDirectory(tmp_path), data, NOW)
    (aside,) = tmp_path.glob("child.test.json.corrupt-*")
    assert aside.read_bytes() == content, "the unusable file is kept as it was"
    assert history.problem is not None and aside.name in history.problem
    assert history.state is not None and history.state.is_baseline
    assert json.loads(path.read_text())["runs"] == 1
    result = rotation(data, parent, history, NOW)
    assert result.outcome is Outcome.WARNING
    assert any(f.severity is Severity.WARNING and aside.name in f.message
               for f in result.findings)


def test_a_state_file_that_cannot_be_moved_aside_is_left_untouched(tmp_path, keys,
                                                                    monkeypatch):
    path = tmp_path / "child.test.json"
    path.write_text("not json")

    def refuse(self, target):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "rename", refuse)
    history = recorded(StateDirectory(tmp_path), snapshot(keys)[0], NOW)
    assert path.read_text() == "not json"
    assert history.problem is not None and "left untouched" in history.problem


def test_an_unreadable_state_file_is_reported(tmp_path, keys, monkeypatch):
    path = tmp_path / "child.test.json"
    path.write_text("{}")
    real = Path.read_text

    def unreadable(self, *args, **kwargs):
        if self == path:
            raise PermissionError(13, "Permission denied")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", unreadable)
    history = recorded(StateDirectory(tmp_path), snapshot(keys)[0], NOW)
    assert history.problem is not None and "Permission denied" in history.problem
    assert list(tmp_path.glob("child.test.json.corrupt-*"))


def test_a_read_only_run_does_not_write(tmp_path, keys):
    data, _ = snapshot(keys)
    recorded(StateDirectory(tmp_path), data, NOW)
    before = (tmp_path / "child.test.json").read_bytes()
    history = recorded(StateDirectory(tmp_path, writable=False),
        snapshot(keys, published=("new",))[0], NOW + 3 * 86400)
    assert (tmp_path / "child.test.json").read_bytes() == before
    assert history.note is not None and "read-only" in history.note
    assert len(history.state.added_keys()) == 1, "the checks still judge the run as if recorded"


def test_a_run_before_the_last_recorded_one_changes_nothing(tmp_path, keys):
    data, parent = snapshot(keys)
    store = StateDirectory(tmp_path)
    recorded(store, data, NOW)
    before = (tmp_path / "child.test.json").read_bytes()
    history = recorded(store, snapshot(keys, published=("new",))[0], NOW - HOUR)
    assert not history.observed and "after the evaluated instant" in (history.note or "")
    assert (tmp_path / "child.test.json").read_bytes() == before
    result = rotation(data, parent, history, NOW - HOUR)
    assert result.outcome is Outcome.PASSED and "after the evaluated instant" in result.message


def test_an_undiscoverable_zone_records_nothing(tmp_path, keys):
    data, _ = snapshot(keys)
    data.apex = None
    history = recorded(StateDirectory(tmp_path), data, NOW)
    assert history.state is None and not history.observed
    assert not (tmp_path / "child.test.json").exists()


def test_without_a_state_directory_rotation_says_how_to_get_one(keys):
    data, parent = snapshot(keys)
    result = catalog.run("ROLLOVER01", data, evaluation(parent))
    assert result.outcome is Outcome.PASSED and "--state-dir" in result.message


def test_a_server_that_did_not_answer_does_not_make_keys_disappear(keys):
    data, _ = snapshot(keys)
    state = advance(None, observe(data), NOW, ZONE)
    answers = data.answers[next(iter(data.answers))]
    for key in list(answers.exchanges):
        answers.exchanges[key] = dead(answers.server, *key)
    data.memo.clear()
    later = advance(state, observe(data), NOW + HOUR, ZONE)
    assert later.removed_keys() == [] and len(later.present_keys()) == 2


@pytest.mark.parametrize(("zone", "name"), [
    ("example.com.", "example.com.json"), (".", "root.json"),
    ("Ex/ample.com.", "ex%2fample.com.json"), ("a b.test.", "a%20b.test.json"),
    (r"a\.b.test.", "a%2eb.test.json"), (r"\.\..test.", "%2e%2e.test.json"),
])
def test_state_file_names_stay_in_the_directory(zone, name):
    assert state_file_name(dns.name.from_text(zone)) == name
