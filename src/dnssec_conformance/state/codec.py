"""The key history's JSON form (one file per zone): written with every time as ISO 8601, read
back with every field checked (`StateError` says what is wrong)."""

from __future__ import annotations

import datetime
from typing import Any

import dns.dnssec
import dns.exception
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype

from ..errors import StateError
from ..times import iso_utc
from .model import STATE_FORMAT, DsRecord, KeyRecord, ZoneState, fingerprint

# --- the file ------------------------------------------------------------------------------


def stamp(moment: float | None) -> str | None:
    """A run's instant as the state file and the rollover messages write it (ISO 8601)."""
    if moment is None:
        return None
    return iso_utc(int(moment))


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
