"""File mode: a zone file checked in place of live servers (the signer's output in CI).

`collect_zone_file` reads the zone and builds the `ZoneData` the checks read, as if one
authoritative server served the file: it answers, with `authoritative.respond`, the questions
the live collector asks every server. The DS file stands for the parent's DS set as it is or
will be, taken as given: there is no parent to validate it, and no ancestors. A file that
cannot be read makes every check report it, with the file and the line.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.tokenizer
import dns.transaction
import dns.zone
import dns.zonefile

from .authoritative import respond
from .collect import ABSENT_TYPE, ServerAnswers, ZoneData, probe_name, zone_questions
from .config import DomainSpec
from .transport import FILE_PORT, Exchange, Server

# The DS TTL assumed for a record without one (dsset files have none): a day, what most
# TLDs publish; the longer guess is the safer one for the rollover timing checks.
DEFAULT_DS_TTL = 86400


class ZoneFileError(Exception):
    """A zone or DS file that cannot be used; the message names the file (and the line)."""


class _RecordTokenizer(dns.tokenizer.Tokenizer):
    """Remembers the line each record starts on. dnspython reports the line its tokenizer
    has reached, which is the next one when a record turns out bad only at its end."""

    record_line = 1

    def get(self, want_leading: bool = False, want_comment: bool = False
            ) -> dns.tokenizer.Token:
        # The zone reader asks for leading whitespace only at the start of a line.
        if want_leading and self.ungotten_token is None:
            self.record_line = self.line_number
        return super().get(want_leading, want_comment)


def shown_path(path: Path) -> str:
    """The path as findings name it: relative to the working directory when under it."""
    relative = os.path.relpath(path)
    return path.as_posix() if relative.startswith("..") else relative


def _read(path: Path, manager: dns.transaction.TransactionManager,
          default_ttl: int | None = None) -> None:
    shown = shown_path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ZoneFileError(f"{shown}: cannot be read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ZoneFileError(f"{shown}:{line}: not UTF-8 text (byte 0x{raw[exc.start]:02x})"
                            ) from None
    tokenizer = _RecordTokenizer(text, shown)
    try:
        with manager.writer(True) as txn:
            reader = dns.zonefile.Reader(tokenizer, dns.rdataclass.IN, txn, allow_include=True,
                                         default_ttl=default_ttl)
            reader.read()
    except dns.exception.SyntaxError as exc:
        raise ZoneFileError(_syntax_message(exc, shown, tokenizer.record_line)) from None
    except dns.exception.DNSException as exc:
        raise ZoneFileError(f"{shown}:{tokenizer.record_line}: {exc}") from None
    except OSError as exc:  # an $INCLUDE that cannot be read
        raise ZoneFileError(f"{shown}:{tokenizer.record_line}: {exc}") from None


def _syntax_message(exc: dns.exception.SyntaxError, shown: str, line: int) -> str:
    """dnspython words it "FILE:LINE: detail"; the line is replaced by the record's own, unless
    the problem is in an $INCLUDEd file."""
    text = str(exc)
    prefix, _, detail = text.partition(": ")
    if prefix.rpartition(":")[0] == shown and detail:
        return f"{shown}:{line}: {detail}"
    return text


def read_zone_file(path: Path, origin: dns.name.Name) -> dns.zone.Zone:
    """The zone in `path` with `origin` as its origin (relative names are relative to it);
    ZoneFileError when it does not parse or has no SOA and NS at the origin."""
    zone = dns.zone.Zone(origin, relativize=False)
    _read(path, zone)
    try:
        zone.check_origin()
    except dns.zone.NoSOA:
        raise ZoneFileError(f"{shown_path(path)}: no SOA record at {origin} (is this the zone "
                            f"file of {origin}?)") from None
    except dns.zone.NoNS:
        raise ZoneFileError(f"{shown_path(path)}: no NS records at {origin}") from None
    return zone


def read_ds_file(path: Path, apex: dns.name.Name) -> dns.rrset.RRset | None:
    """The DS RRset of `apex` in `path` (None when the file holds no DS): only DS records of
    the zone are allowed, with absolute owner names."""
    manager = dns.zonefile.RRSetsReaderManager(dns.name.root, False, dns.rdataclass.IN)
    _read(path, manager, default_ttl=DEFAULT_DS_TTL)
    found = None
    for rrset in manager.rrsets:
        if rrset.name != apex or rrset.rdtype != dns.rdatatype.DS:
            raise ZoneFileError(
                f"{shown_path(path)}: holds {rrset.name} {dns.rdatatype.to_text(rrset.rdtype)}"
                f": a DS file holds the DS records of {apex} only")
        found = rrset
    return found


def file_server(path: Path) -> Server:
    return Server(shown_path(path), FILE_PORT)


def _answer(server: Server, zone: dns.zone.Zone, qname: dns.name.Name,
            rdtype: dns.rdatatype.RdataType) -> Exchange:
    return Exchange(server, qname, rdtype, False, respond(zone, qname, rdtype), "file", None,
                    0.0)


def _given_ds(server: Server, apex: dns.name.Name, ds: dns.rrset.RRset | None) -> Exchange:
    """The DS file as an answer of the parent: the DS RRset, or NODATA when it has none."""
    query = dns.message.make_query(apex, dns.rdatatype.DS, want_dnssec=True)
    response = dns.message.make_response(query)
    response.flags |= dns.flags.AA
    if ds is not None:
        response.answer.append(ds)
    return Exchange(server, apex, dns.rdatatype.DS, False, response, "file", None, 0.0)


def collect_zone_file(domain: DomainSpec, zone_path: Path, ds_path: Path | None,
                      now: float | None = None) -> ZoneData:
    """The ZoneData of a zone file, as the checks read a live zone's (see the module doc)."""
    apex = domain.name
    server = file_server(zone_path)
    data = ZoneData(domain, collected_at=time.time() if now is None else now, source="file")
    try:
        zone = read_zone_file(zone_path, apex)
        ds = read_ds_file(ds_path, apex) if ds_path is not None else None
    except ZoneFileError as exc:
        data.discovery_failure = str(exc)
        return data
    data.apex = apex
    data.parent = apex.parent() if apex != dns.name.root else None
    data.servers = (server,)
    data.file_content = zone
    exchanges = {(owner, rdtype): _answer(server, zone, owner, rdtype)
                 for owner, rdtype in zone_questions(domain, apex)}
    data.answers[server] = ServerAnswers(server, exchanges,
                                         _answer(server, zone, probe_name(apex),
                                                 dns.rdatatype.A),
                                         _answer(server, zone, apex, ABSENT_TYPE))
    if ds_path is not None:
        data.ds_answers[file_server(ds_path)] = _given_ds(file_server(ds_path), apex, ds)
    return data
