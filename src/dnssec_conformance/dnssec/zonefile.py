"""File mode: a zone file checked in place of live servers (the signer's output in CI).

`collect_zone_file` reads the zone and builds the `ZoneData` the checks read, as if one
authoritative server served the file: it answers, with `authoritative.Responder`, the
questions the live collector asks every server. The DS file stands for the parent's DS set
as it is or will be, taken as given: there is no parent to validate it, and no ancestors.

The zone is read record by record, as name servers load it. A file that name servers would
refuse (unreadable, a syntax error, CNAME and other data, no SOA or NS at the apex) is not
checked: SIG02 reports why, with the file and the line, and every other check is skipped. A
record that is well formed but holds a value the DNS library refuses (a DS with the reserved
digest type 0, which BIND and NSD load) is left out and reported with its line; the rest of
the zone is checked.
"""

from __future__ import annotations

import binascii
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.tokenizer
import dns.zone
import dns.zonefile

from ..config.model import DomainSpec
from ..errors import ConformanceError
from ..probe.data import (
    ABSENT_TYPE,
    FileProblem,
    ServerAnswers,
    ZoneData,
    probe_name,
    zone_questions,
)
from ..probe.transport import FILE_PORT, Exchange, Server
from .authoritative import file_responder

# The DS TTL assumed for a record without one (dsset files have none): a day, what most
# TLDs publish; the longer guess is the safer one for the rollover timing checks.
DEFAULT_DS_TTL = 86400
# Reported one by one up to this many; a file that is not a zone file at all stops there.
MAX_PROBLEMS = 20
# Types of which a name holds one record at most: NSD and BIND refuse a zone with two (both
# load two NSEC records at one name: DENIAL10 reports that fork).
SINGLETONS = frozenset({dns.rdatatype.SOA, dns.rdatatype.CNAME, dns.rdatatype.DNAME})
# A CNAME may share its name only with these (RFC 2181 §10.1, RFC 4035 §2.5): as dnspython's
# NodeKind has it, and as NSD, BIND and Knot load zones.
CNAME_NEIGHBOURS = frozenset({dns.rdatatype.NSEC, dns.rdatatype.NSEC3, dns.rdatatype.KEY})


class ZoneFileError(ConformanceError):
    """A zone or DS file that cannot be used; the message names the file (and the line),
    `problems` every record that stood in the way (and those left out on the way)."""

    def __init__(self, message: str, problems: list[FileProblem] | None = None):
        super().__init__(message)
        self.problems = problems or [FileProblem(message, fatal=True)]


@dataclass
class LoadedZone:
    """The zone as read, and the records left out of it."""

    zone: dns.zone.Zone
    problems: list[FileProblem] = field(default_factory=list)

    @property
    def fatal(self) -> list[FileProblem]:
        return [p for p in self.problems if p.fatal]


class _LineTokenizer(dns.tokenizer.Tokenizer):
    """Remembers whether the last token handed out ended its line: after a bad record the
    reader must skip what is left of it, and only that."""

    at_line_end = True

    def get(self, want_leading: bool = False, want_comment: bool = False
            ) -> dns.tokenizer.Token:
        token = super().get(want_leading, want_comment)
        self.at_line_end = token.is_eol_or_eof()
        return token


def _kind(rdtype: int, covers: int) -> str | None:
    """"cname", "data", or None for the types a CNAME may have beside it."""
    if rdtype == dns.rdatatype.RRSIG:
        rdtype = covers
    if rdtype in CNAME_NEIGHBOURS:
        return None
    return "cname" if rdtype == dns.rdatatype.CNAME else "data"


class _NodeWriter:
    """What dnspython's zone-file reader writes to: records go straight into the zone's
    nodes (its transactions cost more than the parsing on a root zone), and CNAME beside
    other data is reported with both lines, as name servers report it."""

    def __init__(self, zone: dns.zone.Zone, loaded: LoadedZone):
        self.manager = zone
        self.zone = zone
        self.loaded = loaded
        self.where = ""  # FILE:LINE of the record being read
        self._kinds: dict[dns.name.Name, tuple[str, str]] = {}

    def check_put_rdataset(self, check: object) -> None:
        """The reader's own CNAME check is replaced by the one in `add`."""

    def _set_origin(self, origin: dns.name.Name) -> None:
        """$ORIGIN changes the names that follow, not the zone's origin."""

    def add_unicode(self, value: str) -> None:
        """$UNICODE changes only how names are written."""

    def add(self, name: dns.name.Name, ttl: int, rdata: dns.rdata.Rdata) -> None:
        kind = _kind(rdata.rdtype, rdata.covers())
        if kind is not None:
            first = self._kinds.setdefault(name, (kind, self.where))
            if first[0] != kind:
                self.loaded.problems.append(FileProblem(
                    f"{self.where}: CNAME and other data at {name} (the other record is at "
                    f"{first[1]}): name servers refuse to load the zone (RFC 2181 §10.1)",
                    fatal=True))
                self._kinds[name] = (kind, self.where)  # reported once per pair of kinds
        node = self.zone.nodes.get(name)
        if node is None:
            node = self.zone.nodes[name] = self.zone.node_factory()
        rdataset = node.find_rdataset(rdata.rdclass, rdata.rdtype, rdata.covers(), True)
        if rdata.rdtype in SINGLETONS and len(rdataset) \
                and rdata not in rdataset.items:
            self.loaded.problems.append(FileProblem(
                f"{self.where}: a second {dns.rdatatype.to_text(rdata.rdtype)} record at "
                f"{name}, a type that allows one: name servers refuse to load the zone",
                fatal=True))
            return
        rdataset.update_ttl(ttl)
        # What Rdataset.add does for a record of the right type (hashing it once, not twice),
        # without its replacing of singleton types: a second NSEC is kept, as servers do.
        rdataset.items.setdefault(rdata, None)


class _Loader(dns.zonefile.Reader):
    """dnspython's zone-file reader, one record at a time (see the module doc)."""

    def __init__(self, tokenizer: dns.tokenizer.Tokenizer, writer: _NodeWriter):
        super().__init__(tokenizer, dns.rdataclass.IN, writer,  # type: ignore[arg-type]
                         allow_include=True)
        self.writer = writer

    def _rr_line(self) -> None:
        filename, line = self.tok.where()
        self.writer.where = f"{filename}:{line}"
        try:
            super()._rr_line()
        except dns.exception.DNSException as exc:
            refused = _value_refused(exc)
            what = ("left out of the checks: the record is well formed, but its value is "
                    "invalid and validators cannot use it" if refused
                    else "name servers refuse to load the zone")
            self.writer.loaded.problems.append(FileProblem(
                f"{self.writer.where}: {_reason(exc)} ({what})", fatal=not refused))
            self._skip_rest()
            if len(self.writer.loaded.problems) >= MAX_PROBLEMS:
                raise _TooManyProblems from None

    def _skip_rest(self) -> None:
        """Consume what is left of the bad record, up to its end of line."""
        tok = self.tok
        if tok.ungotten_token is not None:
            if tok.get().is_eol_or_eof():
                return
        elif getattr(tok, "at_line_end", False):
            return
        while not tok.get().is_eol_or_eof():
            pass


class _TooManyProblems(ConformanceError):
    pass


def _value_refused(exc: BaseException) -> bool:
    """A record whose text is well formed but whose value dnspython's rdata classes refuse
    (they raise ValueError, reported as a syntax error), as opposed to text that does not
    parse at all (which name servers refuse too)."""
    cause = exc.__cause__
    return isinstance(cause, ValueError) and not isinstance(cause, (binascii.Error,
                                                                    UnicodeError))


def _reason(exc: dns.exception.DNSException) -> str:
    text = str(exc) or type(exc).__doc__ or "syntax error"
    return text.removeprefix("caught exception ")


def shown_path(path: Path) -> str:
    """The path as findings name it: relative to the working directory when under it."""
    relative = os.path.relpath(path)
    return path.as_posix() if relative.startswith("..") else relative


def _text_of(path: Path) -> str:
    shown = shown_path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ZoneFileError(f"{shown}: cannot be read: {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ZoneFileError(f"{shown}:{line}: not UTF-8 text (byte 0x{raw[exc.start]:02x})"
                            ) from None


def load_zone_file(path: Path, origin: dns.name.Name) -> LoadedZone:
    """The zone in `path` with `origin` as its origin (relative names are relative to it),
    and the records left out of it. ZoneFileError when name servers would not load it at
    all: it does not parse, it has CNAME and other data, or no SOA and NS at the origin."""
    shown = shown_path(path)
    zone = dns.zone.Zone(origin, relativize=False)
    loaded = LoadedZone(zone)
    writer = _NodeWriter(zone, loaded)
    reader = _Loader(_LineTokenizer(_text_of(path), shown), writer)
    try:
        reader.read()
    except _TooManyProblems:
        pass
    except dns.exception.DNSException as exc:  # a bad directive: dnspython says where
        raise ZoneFileError(str(exc)) from None
    except OSError as exc:  # an $INCLUDE that cannot be read
        raise ZoneFileError(f"{writer.where}: {exc}") from None
    if loaded.fatal:
        fatal = loaded.fatal
        more = f" (+{len(fatal) - 1} more)" if len(fatal) > 1 else ""
        raise ZoneFileError(f"{fatal[0]}{more}", loaded.problems)
    try:
        zone.check_origin()
    except dns.zone.NoSOA:
        raise ZoneFileError(f"{shown}: no SOA record at {origin} (is this the zone file of "
                            f"{origin}?)") from None
    except dns.zone.NoNS:
        raise ZoneFileError(f"{shown}: no NS records at {origin}") from None
    return loaded


def read_zone_file(path: Path, origin: dns.name.Name) -> dns.zone.Zone:
    """The zone in `path` (see `load_zone_file`), records the DNS library refuses left out."""
    return load_zone_file(path, origin).zone


def read_ds_file(path: Path, apex: dns.name.Name) -> dns.rrset.RRset | None:
    """The DS RRset of `apex` in `path` (None when the file holds no DS): only DS records of
    the zone are allowed, with absolute owner names."""
    shown = shown_path(path)
    manager = dns.zonefile.RRSetsReaderManager(dns.name.root, False, dns.rdataclass.IN)
    tokenizer = _LineTokenizer(_text_of(path), shown)
    try:
        with manager.writer(True) as txn:
            dns.zonefile.Reader(tokenizer, dns.rdataclass.IN, txn,
                                default_ttl=DEFAULT_DS_TTL).read()
    except dns.exception.DNSException as exc:
        raise ZoneFileError(str(exc) if str(exc).startswith(shown)
                            else f"{shown}: {exc}") from None
    found = None
    for rrset in manager.rrsets:
        if rrset.name != apex or rrset.rdtype != dns.rdatatype.DS:
            raise ZoneFileError(
                f"{shown}: holds {rrset.name} {dns.rdatatype.to_text(rrset.rdtype)}"
                f": a DS file holds the DS records of {apex} only")
        found = rrset
    return found


def file_server(path: Path) -> Server:
    return Server(shown_path(path), FILE_PORT)


def _given_ds(server: Server, apex: dns.name.Name, ds: dns.rrset.RRset | None) -> Exchange:
    """The DS file as an answer of the parent: the DS RRset, or NODATA when it has none."""
    query = dns.message.make_query(apex, dns.rdatatype.DS, want_dnssec=True)
    response = dns.message.make_response(query)
    response.flags |= dns.flags.AA
    if ds is not None:
        response.answer.append(ds)
    return Exchange(server, apex, dns.rdatatype.DS, False, response, "file", None, 0.0)


def collect_zone_file(domain: DomainSpec, zone_path: Path, ds_path: Path | None,
                      now: float | None = None, probe: dns.name.Name | None = None
                      ) -> ZoneData:
    """The ZoneData of a zone file, as the checks read a live zone's (see the module doc).
    `probe`: the name asked for the NXDOMAIN proof (default: a random one, as live), for
    runs that must give the same verdicts every time."""
    apex = domain.name
    server = file_server(zone_path)
    data = ZoneData(domain, collected_at=time.time() if now is None else now, source="file")
    try:
        loaded = load_zone_file(zone_path, apex)
        ds = read_ds_file(ds_path, apex) if ds_path is not None else None
    except ZoneFileError as exc:
        data.discovery_failure = str(exc)
        data.file_problems = tuple(exc.problems)
        return data
    data.file_problems = tuple(loaded.problems)
    answer_from_content(data, server, loaded.zone, probe)
    if ds_path is not None:
        data.ds_answers[file_server(ds_path)] = _given_ds(file_server(ds_path), apex, ds)
    return data


def answer_from_content(data: ZoneData, server: Server, content: dns.zone.Zone,
                        probe: dns.name.Name | None = None, transport: str = "file") -> None:
    """Make `data` the zone `content`, served by `server` alone: the answers to every question
    a live server is asked, given by `authoritative.Responder` as a server would give them.
    `transport` says where the content came from: "file", or a whole copy of a live server's
    zone ("axfr", "walk"), which is judged as a zone file is."""
    apex = data.domain.name
    data.apex = apex
    data.parent = apex.parent() if apex != dns.name.root else None
    data.servers = (server,)
    data.file_content = content
    responder = file_responder(data)

    def answer(qname: dns.name.Name, rdtype: dns.rdatatype.RdataType) -> Exchange:
        return Exchange(server, qname, rdtype, False, responder.respond(qname, rdtype),
                        transport, None, 0.0)

    exchanges = {(owner, rdtype): answer(owner, rdtype)
                 for owner, rdtype in zone_questions(data.domain, apex)}
    data.answers[server] = ServerAnswers(server, exchanges,
                                         answer(probe or probe_name(apex), dns.rdatatype.A),
                                         answer(apex, ABSENT_TYPE))
