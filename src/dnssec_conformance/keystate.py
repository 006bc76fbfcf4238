"""The key history kept between runs: which DNSKEYs and DS records a zone had, since when,
and at which servers. One JSON file per zone in the state directory (`--state-dir`).

The rollover checks need time the live data cannot show: how long a new key has been served
by every server, when an old DS left the parent. Each run observes the zone, folds the
observation into the zone's file (`advance`, a pure function) and hands the result to the
checks as a `History`. Times are the run's evaluated instant (`--at` included), in whole
seconds, so a rollover can be replayed. The file is written atomically; one that cannot be
read is moved aside and reported, never overwritten.
"""

from __future__ import annotations

import copy
import datetime
import fcntl
import hashlib
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import dns.dnssec
import dns.exception
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
from dns.rdtypes.ANY.DNSKEY import DNSKEY
from dns.rdtypes.ANY.DS import DS

from .analysis import served_rrsets
from .collect import ZoneData, authoritative_problem
from .errors import StateError
from .signatures import key_tag

STATE_FORMAT = 1
DEFAULT_STATE_DIR = "reports/state"
# Records of keys and DS gone for this long are dropped: every cache has long forgotten them.
FORGET_AFTER_S = 90 * 86400
LOCK_NAME = ".lock"


@dataclass
class KeyRecord:
    """One DNSKEY as the history knows it. Times are POSIX seconds of the runs that saw it."""

    dnskey: str  # the rdata in presentation format: DS records are matched against it
    first_seen: int
    last_seen: int
    present_since: int  # the start of its current (or last) stretch in the DNSKEY RRset
    removed_at: int | None = None  # the first run that found it gone from every server
    # The first run of the current stretch at which every server served it: the start of
    # its publication in the RFC 7583 sense. None while some server lacks it.
    everywhere_since: int | None = None
    ready_ttl: int = 0  # the DNSKEY TTL that caches may still apply when it got everywhere
    servers: dict[str, int] = field(default_factory=dict)  # server -> last run it served it
    # Until when some RRset was signed by it alone: the last run that saw it so, or, once it
    # stopped, the run that found it stopped (the change happened at the latest then).
    sole_signer_until: int | None = None
    sole_signer_ttl: int = 0  # the largest TTL of those RRsets
    signs_alone: bool = False  # as of the last run
    # A server that answered lacked it during this stretch: it cannot count as published
    # since the key history began, even if it was seen at the baseline.
    lacked: bool = False

    @property
    def key(self) -> DNSKEY:
        rdata = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.DNSKEY, self.dnskey)
        assert isinstance(rdata, DNSKEY)
        return rdata

    @property
    def tag(self) -> int:
        return key_tag(self.key)

    @property
    def algorithm(self) -> int:
        return int(self.key.algorithm)

    @property
    def flags(self) -> int:
        return int(self.key.flags)


@dataclass
class DsRecord:
    """One DS record of the zone at its parent."""

    ds: str  # the rdata in presentation format
    ttl: int
    first_seen: int
    last_seen: int
    present_since: int
    removed_at: int | None = None

    @property
    def rdata(self) -> DS:
        rdata = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.DS, self.ds)
        assert isinstance(rdata, DS)
        return rdata


@dataclass
class ZoneState:
    """Everything the history holds for one zone."""

    zone: str  # absolute name
    first_run: int  # the baseline: what was there then is taken as long established
    last_run: int
    previous_run: int | None = None
    runs: int = 1
    dnskey_ttl: int = 0  # the largest DNSKEY TTL served at the last run
    keys: dict[str, KeyRecord] = field(default_factory=dict)  # by fingerprint
    ds: dict[str, DsRecord] = field(default_factory=dict)  # by rdata text
    ds_observed: bool = False  # whether any run could ask the parent for the DS RRset

    @property
    def is_baseline(self) -> bool:
        return self.first_run == self.last_run

    def added_keys(self) -> list[KeyRecord]:
        """Keys that appeared at the last run (never at the baseline)."""
        if self.is_baseline:
            return []
        return [k for k in self.keys.values()
                if k.present_since == self.last_run and k.removed_at is None]

    def removed_keys(self) -> list[KeyRecord]:
        return [k for k in self.keys.values() if k.removed_at == self.last_run]

    def added_ds(self) -> list[DsRecord]:
        if self.is_baseline:
            return []
        return [d for d in self.ds.values()
                if d.present_since == self.last_run and d.removed_at is None]

    def removed_ds(self) -> list[DsRecord]:
        return [d for d in self.ds.values() if d.removed_at == self.last_run]

    def present_keys(self) -> list[KeyRecord]:
        return [k for k in self.keys.values() if k.removed_at is None]

    def ds_set_at(self, moment: int) -> list[DsRecord]:
        """The DS records the parent served at `moment`, as the runs saw them."""
        return [d for d in self.ds.values() if d.present_since <= moment
                and (d.removed_at is None or moment < d.removed_at)]


@dataclass(frozen=True)
class History:
    """What the checks see: the zone's state including this run, and how the file fared."""

    state: ZoneState | None  # None: no run of this zone could be recorded
    path: Path | None = None
    problem: str | None = None  # the file could not be read or written: a warning
    note: str | None = None  # why the state does not include this run: information
    observed: bool = True  # the state includes the observation at the evaluated instant


# --- observing a zone ------------------------------------------------------------------------


@dataclass(frozen=True)
class Observation:
    """The parts of one run's ZoneData that the history keeps."""

    servers: tuple[str, ...]  # every authoritative server asked
    keys_by_server: dict[str, tuple[DNSKEY, ...]]  # the servers that answered for DNSKEY
    dnskey_ttl: int
    ds: tuple[DS, ...] | None  # None: no parent server answered
    ds_ttl: int = 0
    # (key tag, algorithm) -> the largest TTL of the RRsets only that key signs
    sole_signers: dict[tuple[int, int], int] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        """Every server answered its DNSKEY RRset."""
        return bool(self.servers) and set(self.keys_by_server) == set(self.servers)


def observe(zone: ZoneData) -> Observation:
    """What this run saw of the zone's keys, its DS set and who signs what."""
    assert zone.apex is not None
    keys_by_server: dict[str, tuple[DNSKEY, ...]] = {}
    ttl = 0
    for answers in zone.usable_answers():
        exchange = answers.get(zone.apex, dns.rdatatype.DNSKEY)
        if exchange is None or authoritative_problem(exchange) is not None:
            continue
        rrset = exchange.answer(dns.rdatatype.DNSKEY, zone.apex)
        keys_by_server[str(answers.server)] = tuple(rrset or ())
        ttl = max(ttl, rrset.ttl if rrset is not None else 0)
    ds_rrset, ds_known = None, False
    for exchange in zone.ds_answers.values():
        if authoritative_problem(exchange) is None:
            ds_rrset, ds_known = exchange.answer(dns.rdatatype.DS, zone.apex), True
            break
    sole: dict[tuple[int, int], int] = {}
    for served in served_rrsets(zone):
        if served.rrset.rdtype == dns.rdatatype.DNSKEY:
            continue  # fetched with its own signatures: no cache mixes it with other keys
        signers = {(c.rrsig.key_tag, int(c.rrsig.algorithm)) for c in served.checks}
        if len(signers) == 1:
            (signer,) = signers
            longest = max([served.rrset.ttl, *(c.rrsig.original_ttl for c in served.checks)])
            sole[signer] = max(sole.get(signer, 0), longest)
    return Observation(
        servers=tuple(str(s) for s in zone.servers),
        keys_by_server=keys_by_server,
        dnskey_ttl=ttl,
        ds=tuple(ds_rrset or ()) if ds_known else None,
        ds_ttl=ds_rrset.ttl if ds_rrset is not None else 0,
        sole_signers=sole,
    )


def rdata_text(rdata: dns.rdata.Rdata) -> str:
    """Presentation format that reads back as the same rdata: the generic form (RFC 3597,
    `\\# 4 0101030d`) for what a server may send but the usual text cannot carry, such as
    a DNSKEY with an empty public key."""
    text = rdata.to_text()
    try:
        if dns.rdata.from_text(rdata.rdclass, rdata.rdtype, text) == rdata:
            return text
    except (dns.exception.DNSException, ValueError):
        pass
    return rdata.to_generic().to_text()


def fingerprint(key: DNSKEY) -> str:
    """SHA-256 of the DNSKEY rdata (flags, protocol, algorithm, public key)."""
    return hashlib.sha256(key.to_digestable()).hexdigest()


# --- folding an observation into the state (pure) ---------------------------------------------


def advance(state: ZoneState | None, seen: Observation, now: int, zone: str) -> ZoneState:
    """The state after a run at `now` saw `seen`. The input state is left untouched."""
    if state is None:
        new = ZoneState(zone, first_run=now, last_run=now, dnskey_ttl=seen.dnskey_ttl)
        prior_ttl = seen.dnskey_ttl
    else:
        answered = bool(seen.keys_by_server)
        new = replace(copy.deepcopy(state), previous_run=state.last_run, last_run=now,
                      runs=state.runs + 1,
                      dnskey_ttl=seen.dnskey_ttl if answered else state.dnskey_ttl)
        prior_ttl = state.dnskey_ttl
    if seen.keys_by_server:
        _advance_keys(new, seen, now, max(prior_ttl, seen.dnskey_ttl))
    for record in new.keys.values():
        ttl = seen.sole_signers.get((record.tag, record.algorithm))
        if ttl is not None:
            record.sole_signer_until, record.sole_signer_ttl, record.signs_alone = now, ttl, True
        elif record.signs_alone:
            record.sole_signer_until, record.signs_alone = now, False
    if seen.ds is not None:
        _advance_ds(new, seen, now)
    _forget_old(new, now)
    return new


def _advance_keys(state: ZoneState, seen: Observation, now: int, ready_ttl: int) -> None:
    serving: dict[str, tuple[DNSKEY, set[str]]] = {}
    for server, keys in seen.keys_by_server.items():
        for key in keys:
            serving.setdefault(fingerprint(key), (key, set()))[1].add(server)
    for print_, (key, servers) in serving.items():
        record = state.keys.get(print_)
        if record is None:
            record = KeyRecord(rdata_text(key), first_seen=now, last_seen=now,
                               present_since=now)
            state.keys[print_] = record
        elif record.removed_at is not None:  # back after an absence: a new stretch
            record.present_since, record.removed_at, record.everywhere_since = now, None, None
            record.lacked = False
        record.last_seen = now
        for server in servers:
            record.servers[server] = now
        if seen.complete and servers == set(seen.servers):
            if record.everywhere_since is None:
                # Seen at the baseline and never missing since (a server was silent then):
                # as long established as every other key of the baseline.
                since_baseline = record.present_since == state.first_run and not record.lacked
                record.everywhere_since = state.first_run if since_baseline else now
                record.ready_ttl = ready_ttl
        elif servers != set(seen.keys_by_server):
            record.everywhere_since, record.lacked = None, True  # a server that answered lacks it
        # else: on every server that answered, the others unknown: the stretch goes on
    if not seen.complete:
        return  # a server that did not answer may still serve the keys the others dropped
    for print_, record in state.keys.items():
        if print_ not in serving and record.removed_at is None:
            record.removed_at, record.everywhere_since = now, None


def _advance_ds(state: ZoneState, seen: Observation, now: int) -> None:
    assert seen.ds is not None
    state.ds_observed = True
    current = {ds.to_text(): ds for ds in seen.ds}
    for text in current:
        record = state.ds.get(text)
        if record is None:
            record = DsRecord(rdata_text(current[text]), seen.ds_ttl, first_seen=now,
                              last_seen=now, present_since=now)
            state.ds[text] = record
        elif record.removed_at is not None:
            record.present_since, record.removed_at = now, None
        record.last_seen, record.ttl = now, seen.ds_ttl
    for text, record in state.ds.items():
        if text not in current and record.removed_at is None:
            record.removed_at = now


def _forget_old(state: ZoneState, now: int) -> None:
    state.keys = {p: k for p, k in state.keys.items()
                  if k.removed_at is None or now - k.removed_at < FORGET_AFTER_S}
    state.ds = {t: d for t, d in state.ds.items()
                if d.removed_at is None or now - d.removed_at < FORGET_AFTER_S}


# --- the file ------------------------------------------------------------------------------


def stamp(moment: float | None) -> str | None:
    """A run's instant as the state file and the rollover messages write it (ISO 8601)."""
    if moment is None:
        return None
    when = datetime.datetime.fromtimestamp(int(moment), datetime.UTC)
    return when.isoformat(timespec="seconds").replace("+00:00", "Z")


def _moment(text: Any) -> int:
    if not isinstance(text, str):
        raise StateError(f"expected a time, found {text!r}")
    try:
        when = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise StateError(f"bad time {text!r}") from None
    if when.tzinfo is None:
        raise StateError(f"time without a time zone: {text!r}")
    return int(when.timestamp())


def _optional_moment(text: Any) -> int | None:
    return None if text is None else _moment(text)


def _integer(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise StateError(f"expected an integer, found {value!r}")
    return value


def to_document(state: ZoneState) -> dict[str, Any]:
    """The JSON document of a state: stable order, readable times."""
    keys = []
    for print_, record in sorted(state.keys.items(), key=lambda i: (i[1].first_seen, i[0])):
        keys.append({
            "sha256": print_,
            "key_tag": record.tag,
            "algorithm": record.algorithm,
            "flags": record.flags,
            "dnskey": record.dnskey,
            "first_seen": stamp(record.first_seen),
            "last_seen": stamp(record.last_seen),
            "present_since": stamp(record.present_since),
            "removed_at": stamp(record.removed_at),
            "everywhere_since": stamp(record.everywhere_since),
            "ready_ttl": record.ready_ttl,
            "servers": {s: stamp(t) for s, t in sorted(record.servers.items())},
            "sole_signer_until": stamp(record.sole_signer_until),
            "sole_signer_ttl": record.sole_signer_ttl,
            "signs_alone": record.signs_alone,
            "lacked": record.lacked,
        })
    ds = [{"ds": r.ds, "ttl": r.ttl, "first_seen": stamp(r.first_seen),
           "last_seen": stamp(r.last_seen), "present_since": stamp(r.present_since),
           "removed_at": stamp(r.removed_at)}
          for r in sorted(state.ds.values(), key=lambda r: (r.first_seen, r.ds))]
    return {
        "format": STATE_FORMAT,
        "zone": state.zone,
        "first_run": stamp(state.first_run),
        "last_run": stamp(state.last_run),
        "previous_run": stamp(state.previous_run),
        "runs": state.runs,
        "dnskey_ttl": state.dnskey_ttl,
        "ds_observed": state.ds_observed,
        "keys": keys,
        "ds": ds,
    }


def from_document(document: Any, zone: str) -> ZoneState:
    """Parse a state document; StateError says what is wrong with it."""
    if not isinstance(document, dict):
        raise StateError("not a JSON object")
    if document.get("format") != STATE_FORMAT:
        raise StateError(f"unknown format {document.get('format')!r} (expected {STATE_FORMAT})")
    if document.get("zone") != zone:
        raise StateError(f"it is the state of {document.get('zone')!r}, not of {zone}")
    try:
        state = ZoneState(
            zone=zone,
            first_run=_moment(document["first_run"]),
            last_run=_moment(document["last_run"]),
            previous_run=_optional_moment(document["previous_run"]),
            runs=_integer(document["runs"]),
            dnskey_ttl=_integer(document["dnskey_ttl"]),
            ds_observed=bool(document["ds_observed"]),
        )
        for entry in document["keys"]:
            record = KeyRecord(
                dnskey=str(entry["dnskey"]),
                first_seen=_moment(entry["first_seen"]),
                last_seen=_moment(entry["last_seen"]),
                present_since=_moment(entry["present_since"]),
                removed_at=_optional_moment(entry["removed_at"]),
                everywhere_since=_optional_moment(entry["everywhere_since"]),
                ready_ttl=_integer(entry["ready_ttl"]),
                servers={str(s): _moment(t) for s, t in dict(entry["servers"]).items()},
                sole_signer_until=_optional_moment(entry["sole_signer_until"]),
                sole_signer_ttl=_integer(entry["sole_signer_ttl"]),
                signs_alone=bool(entry["signs_alone"]),
                lacked=bool(entry.get("lacked", False)),  # added later: absent in old files
            )
            if fingerprint(record.key) != entry["sha256"]:
                raise StateError(f"the sha256 of key {entry['key_tag']} does not match its key")
            state.keys[entry["sha256"]] = record
        for entry in document["ds"]:
            record_ds = DsRecord(
                ds=str(entry["ds"]), ttl=_integer(entry["ttl"]),
                first_seen=_moment(entry["first_seen"]), last_seen=_moment(entry["last_seen"]),
                present_since=_moment(entry["present_since"]),
                removed_at=_optional_moment(entry["removed_at"]))
            state.ds[record_ds.rdata.to_text()] = record_ds
    except StateError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, dns.exception.DNSException) as exc:
        raise StateError(f"malformed ({exc.__class__.__name__}: {exc})") from None
    return state


def state_file_name(zone: dns.name.Name) -> str:
    """`example.com.json`; `root.json` for the root. Characters outside [a-z0-9._-] are
    escaped, so that no zone name can leave the state directory."""
    labels = zone.relativize(dns.name.root).labels
    if not labels:
        return "root.json"
    escaped = [re.sub(rb"[^a-z0-9_-]", lambda m: b"%%%02x" % m.group()[0], label.lower())
               for label in labels]
    return b".".join(escaped).decode("ascii") + ".json"


@dataclass(frozen=True)
class StateDirectory:
    """Where the zones' state files live, and whether this run may write them."""

    path: Path
    writable: bool = True

    def record_run(self, zone: ZoneData, now: float) -> History:
        """Fold this run's observation of `zone` into its state file (when writable) and
        return the history the checks judge with. Safe between processes: the read, the
        update and the write happen under a lock, and a second process of the same run (same
        instant) finds the run already recorded."""
        from .results import write_atomically

        moment = int(now)
        file = self.path / state_file_name(zone.name)
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            return _in_memory(zone, moment, file,
                              f"cannot create the state directory {self.path}: {exc}")
        with _locked(self.path / LOCK_NAME):
            state, problem, may_write = read_state(file, zone.name.to_text())
            if zone.apex is None:
                return History(state, file, problem, "the zone could not be found: no key "
                               "history recorded by this run", observed=False)
            if state is not None and state.last_run > moment:
                return History(state, file, problem,
                               f"the key history was last updated at {stamp(state.last_run)}, "
                               "after the evaluated instant: this run does not change it",
                               observed=False)
            if state is not None and state.last_run == moment:
                return History(state, file, problem)  # another process of this run wrote it
            updated = advance(state, observe(zone), moment, zone.name.to_text())
            note = None
            if not self.writable:
                note = (f"read-only run (--at without --state-dir): {file} was read, "
                        "not written")
            elif may_write:
                try:
                    write_atomically(file, to_document(updated))
                except OSError as exc:
                    problem = f"could not write the key history {file}: {exc}"
            return History(updated, file, problem, note)


def _in_memory(zone: ZoneData, moment: int, file: Path, problem: str) -> History:
    if zone.apex is None:
        return History(None, file, problem, observed=False)
    return History(advance(None, observe(zone), moment, zone.name.to_text()), file, problem)


def read_state(file: Path, zone: str) -> tuple[ZoneState | None, str | None, bool]:
    """(state or None, the problem to report, whether the file may be written). A file that
    cannot be used is moved aside, so that writing a new one loses nothing."""
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, None, True
    except (OSError, UnicodeDecodeError) as exc:
        why = f"unreadable: {exc}"
    else:
        try:
            return from_document(json.loads(text), zone), None, True
        except json.JSONDecodeError as exc:
            why = f"not JSON: {exc}"
        except StateError as exc:
            why = str(exc)
    aside = _aside_name(file)
    try:
        file.rename(aside)
    except OSError as exc:
        return None, (f"the key history {file} cannot be used ({why}) and could not be moved "
                      f"aside ({exc}): it is left untouched and this run keeps no history"), False
    return None, (f"the key history {file} could not be used ({why}); it was moved aside to "
                  f"{aside.name} and this run starts a new baseline"), True


def _aside_name(file: Path) -> Path:
    now = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    candidate = file.with_name(f"{file.name}.corrupt-{now}")
    counter = 1
    while candidate.exists():
        candidate = file.with_name(f"{file.name}.corrupt-{now}-{counter}")
        counter += 1
    return candidate


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def describe_key(record: KeyRecord) -> str:
    role = "KSK" if record.flags & 0x0001 else "ZSK"
    algorithm = dns.dnssec.algorithm_to_text(record.algorithm)
    return f"{role} {record.tag}/{algorithm}"
