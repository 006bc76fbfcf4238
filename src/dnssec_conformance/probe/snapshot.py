"""A snapshot: everything a run observed, as one versioned JSON file that can be judged again.

`--save-snapshot FILE` writes it; `--snapshot FILE` runs the selected checks on it with no
network (with `--at`, at any instant). Like `dnssec probe` and `grok`, observing and judging
are separate: a user attaches a snapshot to a bug report and we replay their exact view.

Format (version 1), documented in docs/snapshot.md:

    {"format": "dnssec-conformance-snapshot", "version": 1, "generator": "...",
     "created_at": "...Z", "domains_file": "...", "trust_anchors": "<DS/DNSKEY text>",
     "zones": [ZONE, ...], "ancestors": {"<apex>": {"dnskey": EX, "ds": EX}},
     "resolvers": [OBSERVATION, ...], "coredns": {...} | null, "clock": {...} | null}

Every DNS response is kept in wire format (base64) with the server asked, the question and its
flags, when it was sent and how long it took (EX below), so nothing is lost to a re-encoding;
a zone file is kept as the zone's text. The zones are streamed out as they are probed, so a
run's memory does not grow with the snapshot.

    EX = {"server": {"address", "port", "name"}, "qname", "qtype", "rd", "cd", "ad",
          "sent_at", "elapsed", "transport", "failure", "truncated", "response": base64 | null}
"""

from __future__ import annotations

import base64
import datetime
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

import dns.exception
import dns.message
import dns.name
import dns.rdatatype
import dns.zone

from .. import __version__
from ..config.model import DomainSpec, ResolverAddress
from ..errors import ConformanceError, CorefileError
from ..findings import Finding, Severity
from .copies import CopyDifferences, TransferReport
from .coredns.corefile import corefile_from_text
from .coredns.metrics import MetricsScrape
from .data import AncestorZone, FileProblem, ServerAnswers, SkippedServer, ZoneData
from .ntp import ClockReading
from .providers.view import view_from_dict
from .resolvers import CoreDnsView, Observation, ResolverTarget
from .transport import Exchange, Server

FORMAT = "dnssec-conformance-snapshot"
VERSION = 1


class SnapshotError(ConformanceError):
    """A snapshot file that cannot be read (missing, not JSON, another format or version)."""


# --- encoding ----------------------------------------------------------------------------------


def _server(server: Server) -> dict[str, Any]:
    return {"address": server.address, "port": server.port,
            "name": server.name.to_text() if server.name is not None else None}


def exchange_json(exchange: Exchange | None) -> dict[str, Any] | None:
    if exchange is None:
        return None
    wire = exchange.wire
    if wire is None and exchange.response is not None:
        try:
            wire = exchange.response.to_wire(max_size=0xFFFFFFFF)
        except dns.exception.DNSException:
            wire = None
    return {
        "server": _server(exchange.server), "qname": exchange.qname.to_text(),
        "qtype": dns.rdatatype.to_text(exchange.rdtype), "rd": exchange.recursive,
        "cd": exchange.checking_disabled, "ad": exchange.authenticated_data,
        "sent_at": exchange.sent_at, "elapsed": round(exchange.elapsed, 6),
        "transport": exchange.transport, "failure": exchange.failure,
        "truncated": exchange.truncated,
        "response": base64.b64encode(wire).decode("ascii") if wire is not None else None,
    }


def zone_json(zone: ZoneData) -> dict[str, Any]:
    content = zone.file_content
    return {
        "domain": zone.name.to_text(), "source": zone.source,
        "apex": zone.apex.to_text() if zone.apex is not None else None,
        "parent": zone.parent.to_text() if zone.parent is not None else None,
        "collected_at": zone.collected_at,
        "discovery_failure": zone.discovery_failure,
        "discovery_evidence": zone.discovery_evidence,
        "nonexistent": zone.nonexistent,
        "servers": [_server(s) for s in zone.servers],
        "unreachable": [_server(s) for s in zone.unreachable],
        "not_queried": [{"server": _server(s.server), "why": s.why, "kind": s.kind}
                        for s in zone.not_queried],
        "parent_ns": [n.to_text() for n in zone.parent_ns],
        "referral": exchange_json(zone.referral),
        "answers": [{"server": _server(a.server),
                     "exchanges": [exchange_json(e) for e in a.exchanges.values()],
                     "nonexistent": exchange_json(a.nonexistent),
                     "nodata": exchange_json(a.nodata),
                     "second_look": exchange_json(a.second_look),
                     "second_look_after_s": a.second_look_after_s}
                    for a in zone.answers.values()],
        "ds_answers": [exchange_json(e) for e in zone.ds_answers.values()],
        "ancestors": [a.apex.to_text() for a in zone.ancestors],
        "zone_text": content.to_text(relativize=False) if content is not None else None,
        "file_problems": [{"text": p.text, "fatal": p.fatal} for p in zone.file_problems],
        "provider": zone.provider.as_dict() if zone.provider is not None else None,
        "transfers": [transfer_json(r) for r in zone.transfers]
        if zone.transfers is not None else None,
        "walk_fallback": [exchange_json(e) for e in zone.walk_fallback],
    }


def finding_json(finding: Finding) -> dict[str, Any]:
    return {"check": finding.check, "severity": finding.severity.label,
            "message": finding.message, "server": finding.server,
            "evidence": finding.evidence, "days_left": finding.days_left,
            "code": finding.code}


def transfer_json(report: TransferReport) -> dict[str, Any]:
    """What a server's whole copy showed (the copy itself is not kept: see docs/snapshot.md)."""
    differences = report.differences
    return {
        "server": _server(report.server), "method": report.method, "failure": report.failure,
        "axfr_failure": report.axfr_failure, "refused": report.refused,
        "tsig_key": report.tsig_key, "serial": report.serial, "names": report.names,
        "rrsets": report.rrsets, "records": report.records, "digest": report.digest,
        "data_digest": report.data_digest, "elapsed_s": report.elapsed_s,
        "judged_at": report.judged_at, "judged_with": list(report.judged_with),
        "findings": {check: [finding_json(f) for f in found]
                     for check, found in report.findings.items()},
        "differences": None if differences is None else {
            "reference": _server(differences.reference),
            "reference_serial": differences.reference_serial,
            "data": list(differences.data), "data_count": differences.data_count,
            "signatures": list(differences.signatures),
            "signatures_count": differences.signatures_count},
        "evidence": report.evidence,
    }


def observation_json(observation: Observation) -> dict[str, Any]:
    target = observation.resolver
    return {"resolver": {"host": target.address.host, "port": target.address.port,
                         "origin": target.origin},
            "validated": exchange_json(observation.validated),
            "unchecked": exchange_json(observation.unchecked)}


def coredns_json(view: CoreDnsView) -> dict[str, Any]:
    return {"corefile_path": view.corefile_path, "corefile_text": view.corefile_text,
            "corefile_error": view.corefile_error,
            "metrics": asdict(view.metrics) if view.metrics is not None else None,
            "servfail_share_warning": view.servfail_share_warning,
            "cache_hit_ratio_warning": view.cache_hit_ratio_warning,
            "stale_tolerance_s": view.stale_tolerance_s}


class SnapshotWriter:
    """Streams a snapshot to `path` (atomically: a temporary file renamed at `close`)."""

    def __init__(self, path: Path, *, domains_file: str | None, anchors_text: str):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, self._temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                               suffix=".tmp")
        self._file: IO[str] = os.fdopen(fd, "w", encoding="utf-8")
        self._ancestors: dict[str, dict[str, Any]] = {}
        self._first = True
        header = {"format": FORMAT, "version": VERSION,
                  "generator": f"dnssec-conformance {__version__}",
                  "created_at": _iso_now(), "domains_file": domains_file,
                  "trust_anchors": anchors_text}
        self._file.write(json.dumps(header)[:-1] + ', "zones": [\n')

    def add_zone(self, zone: ZoneData) -> None:
        for ancestor in zone.ancestors:
            self._ancestors.setdefault(ancestor.apex.to_text(), {
                "dnskey": exchange_json(ancestor.dnskey), "ds": exchange_json(ancestor.ds)})
        self._file.write(("" if self._first else ",\n") + json.dumps(zone_json(zone)))
        self._first = False

    def close(self, *, observations: list[Observation], coredns: CoreDnsView | None,
              clock: ClockReading | None) -> None:
        tail = {"ancestors": self._ancestors,
                "resolvers": [observation_json(o) for o in observations],
                "coredns": coredns_json(coredns) if coredns is not None else None,
                "clock": asdict(clock) if clock is not None else None}
        self._file.write("\n], " + json.dumps(tail)[1:] + "\n")
        self._file.close()
        os.replace(self._temporary, self.path)

    def abandon(self) -> None:
        self._file.close()
        Path(self._temporary).unlink(missing_ok=True)


def _iso_now() -> str:
    now = datetime.datetime.now(datetime.UTC)
    return now.isoformat(timespec="seconds").replace("+00:00", "Z")


# --- decoding ----------------------------------------------------------------------------------


def _server_of(data: dict[str, Any]) -> Server:
    name = data.get("name")
    return Server(str(data["address"]), int(data["port"]),
                  dns.name.from_text(name) if name else None)


def exchange_of(data: dict[str, Any] | None) -> Exchange | None:
    if data is None:
        return None
    wire = base64.b64decode(data["response"]) if data.get("response") else None
    response = None
    failure = data.get("failure")
    if wire is not None and failure is None:
        try:
            response = dns.message.from_wire(wire)
        except (dns.exception.DNSException, ValueError) as exc:
            failure = f"unparsable response ({exc.__class__.__name__}: {exc})"
    return Exchange(_server_of(data["server"]), dns.name.from_text(data["qname"]),
                    dns.rdatatype.from_text(data["qtype"]), bool(data["rd"]), response,
                    str(data.get("transport", "")), failure, float(data.get("elapsed", 0.0)),
                    checking_disabled=bool(data.get("cd", True)),
                    authenticated_data=bool(data.get("ad", False)), wire=wire,
                    sent_at=float(data.get("sent_at", 0.0)),
                    truncated=bool(data.get("truncated", _legacy_truncated(data))))


def _legacy_truncated(data: dict[str, Any]) -> bool:
    """A snapshot written before `truncated` existed said so only in its failure text: the
    two texts the querier of that version wrote, read back once, here."""
    failure = str(data.get("failure") or "")
    return failure == "truncated answer even over TCP" or (
        failure.startswith("timeout after ") and failure.endswith(" over TCP (after a "
                                                                  "truncated UDP answer)"))


def _finding_of(data: dict[str, Any]) -> Finding:
    return Finding(Severity[str(data["severity"]).upper()],
                   str(data["message"]), data.get("server"), str(data.get("evidence", "")),
                   data.get("days_left"), code=str(data.get("code") or ""),
                   check=str(data["check"]))


def _transfer_of(data: dict[str, Any]) -> TransferReport:
    found = data.get("differences")
    differences = None if found is None else CopyDifferences(
        _server_of(found["reference"]), found.get("reference_serial"),
        tuple(found.get("data", ())), int(found.get("data_count", 0)),
        tuple(found.get("signatures", ())), int(found.get("signatures_count", 0)))
    warning, critical, skew = (float(v) for v in data.get("judged_with", (0, 0, 0)))
    return TransferReport(
        _server_of(data["server"]), data.get("method"), failure=data.get("failure"),
        axfr_failure=data.get("axfr_failure"), refused=bool(data.get("refused", False)),
        tsig_key=data.get("tsig_key"), serial=data.get("serial"),
        names=int(data.get("names", 0)), rrsets=int(data.get("rrsets", 0)),
        records=int(data.get("records", 0)), digest=str(data.get("digest", "")),
        data_digest=str(data.get("data_digest", "")),
        elapsed_s=float(data.get("elapsed_s", 0.0)),
        judged_at=float(data.get("judged_at", 0.0)), judged_with=(warning, critical, skew),
        findings={check: tuple(_finding_of(f) for f in found)
                  for check, found in data.get("findings", {}).items()},
        differences=differences, evidence=str(data.get("evidence", "")))


class Snapshot:
    """A snapshot read back: zones by name, the resolvers' answers, CoreDNS and the clock."""

    def __init__(self, path: Path):
        self.path = path
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SnapshotError(f"{path}: no such snapshot file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise SnapshotError(f"{path}: cannot be read ({exc})") from None
        except json.JSONDecodeError as exc:
            raise SnapshotError(f"{path}:{exc.lineno}: not JSON ({exc.msg})") from None
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise SnapshotError(f"{path}: not a dnssec-conformance snapshot")
        if document.get("version") != VERSION:
            raise SnapshotError(f"{path}: snapshot version {document.get('version')!r}; this "
                                f"release reads version {VERSION}")
        self.document = document
        self._zones = {z["domain"]: z for z in document.get("zones", [])}
        self._ancestors: dict[str, AncestorZone] = {}

    @property
    def domains_file(self) -> str | None:
        return self.document.get("domains_file")

    def zone(self, domain: DomainSpec) -> ZoneData:
        data = self._zones.get(domain.name.to_text())
        if data is None:
            return ZoneData(domain, discovery_failure=(
                f"{domain.display} is not in the snapshot {self.path} (it was not checked "
                "by the run that recorded it)"))
        return self._zone_of(domain, data)

    def _zone_of(self, domain: DomainSpec, data: dict[str, Any]) -> ZoneData:
        zone = ZoneData(domain, collected_at=float(data["collected_at"]),
                        source=data.get("source", "servers"))
        zone.discovery_failure = data.get("discovery_failure")
        zone.discovery_evidence = data.get("discovery_evidence", "")
        # Before `nonexistent` was written, only the failure's wording said so.
        zone.nonexistent = bool(data.get("nonexistent", " does not exist (NXDOMAIN from "
                                         in (zone.discovery_failure or "")))
        if data.get("apex") is not None:
            zone.apex = dns.name.from_text(data["apex"])
        if data.get("parent") is not None:
            zone.parent = dns.name.from_text(data["parent"])
        zone.servers = tuple(_server_of(s) for s in data.get("servers", []))
        zone.unreachable = tuple(_server_of(s) for s in data.get("unreachable", []))
        zone.not_queried = tuple(SkippedServer(_server_of(s["server"]), s["why"],
                                               s.get("kind", "bound"))
                                 for s in data.get("not_queried", []))
        zone.parent_ns = tuple(dns.name.from_text(n) for n in data.get("parent_ns", []))
        zone.referral = exchange_of(data.get("referral"))
        for entry in data.get("answers", []):
            server = _server_of(entry["server"])
            exchanges = [e for e in map(exchange_of, entry["exchanges"]) if e is not None]
            zone.answers[server] = ServerAnswers(
                server, {(e.qname, e.rdtype): e for e in exchanges},
                exchange_of(entry.get("nonexistent")), exchange_of(entry.get("nodata")),
                exchange_of(entry.get("second_look")), entry.get("second_look_after_s"))
        for entry in data.get("ds_answers", []):
            exchange = exchange_of(entry)
            if exchange is not None:
                zone.ds_answers[exchange.server] = exchange
        zone.ancestors = tuple(self._ancestor(apex) for apex in data.get("ancestors", []))
        zone.file_problems = tuple(FileProblem(p["text"], bool(p["fatal"]))
                                   for p in data.get("file_problems", []))
        if data.get("provider") is not None:
            zone.provider = view_from_dict(data["provider"])
        if data.get("transfers") is not None:
            zone.transfers = tuple(_transfer_of(t) for t in data["transfers"])
        zone.walk_fallback = tuple(e for e in map(exchange_of, data.get("walk_fallback", []))
                                   if e is not None)
        if data.get("zone_text") is not None and zone.apex is not None:
            zone.file_content = dns.zone.from_text(data["zone_text"], origin=zone.apex,
                                                   relativize=False, check_origin=False)
        return zone

    def _ancestor(self, apex: str) -> AncestorZone:
        if apex not in self._ancestors:
            data = self.document.get("ancestors", {}).get(apex, {})
            self._ancestors[apex] = AncestorZone(dns.name.from_text(apex),
                                                 exchange_of(data.get("dnskey")),
                                                 exchange_of(data.get("ds")))
        return self._ancestors[apex]

    def observations(self) -> Iterator[Observation]:
        for entry in self.document.get("resolvers", []):
            resolver = entry["resolver"]
            target = ResolverTarget(ResolverAddress(resolver["host"], int(resolver["port"])),
                                    resolver["origin"])
            validated = exchange_of(entry["validated"])
            assert validated is not None
            yield Observation(target, validated, exchange_of(entry.get("unchecked")))

    def coredns(self) -> CoreDnsView | None:
        data = self.document.get("coredns")
        if data is None:
            return None
        corefile, error = None, data.get("corefile_error")
        if data.get("corefile_text") is not None and error is None:
            try:
                corefile = corefile_from_text(data["corefile_text"], data["corefile_path"])
            except CorefileError as exc:
                error = str(exc)
        metrics = MetricsScrape(**data["metrics"]) if data.get("metrics") else None
        return CoreDnsView(data.get("corefile_path"), corefile, error, metrics,
                           float(data["servfail_share_warning"]),
                           float(data["cache_hit_ratio_warning"]),
                           float(data["stale_tolerance_s"]), data.get("corefile_text"))

    def clock(self) -> ClockReading | None:
        data = self.document.get("clock")
        return ClockReading(**data) if data else None


def merge_snapshots(path: Path) -> None:
    """Merge the parts that xdist workers wrote (`FILE.part-gw0`, ...) into one snapshot."""
    parts = sorted(path.parent.glob(f"{path.name}.part-*"))
    if not parts:
        return
    merge_snapshot_documents([json.loads(part.read_text(encoding="utf-8")) for part in parts],
                             path)
    for part in parts:
        part.unlink()


def merge_snapshot_documents(documents: list[dict[str, Any]], path: Path) -> None:
    """Snapshots of disjoint sets of zones (xdist workers', a fleet's shards') as one file at
    `path`, written atomically: zones and ancestors together, each resolver answer once, the
    CoreDNS view and the clock reading of the first that has one."""
    merged = dict(documents[0])
    merged["zones"], merged["ancestors"], merged["resolvers"] = [], {}, []
    seen: set[tuple[Any, ...]] = set()
    for document in documents:
        merged["zones"] += document["zones"]
        merged["ancestors"].update(document["ancestors"])
        for entry in document["resolvers"]:
            asked = entry["validated"]
            key = (entry["resolver"]["host"], entry["resolver"]["port"], asked["qname"],
                   asked["qtype"])
            if key not in seen:
                seen.add(key)
                merged["resolvers"].append(entry)
        for part in ("coredns", "clock"):
            merged[part] = merged.get(part) or document.get(part)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(merged, handle)
        handle.write("\n")
    os.replace(temporary, path)
