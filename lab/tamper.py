"""Deliberate faults: small dnspython edits to a signer's output or to a DS record."""

from __future__ import annotations

from pathlib import Path

import dns.name
import dns.node
import dns.rdata
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.rrset
import dns.zone
from dns.rdtypes.ANY.DS import DS

IN = dns.rdataclass.IN
RRSIG = dns.rdatatype.RRSIG


def load(path: Path, zone: str) -> dns.zone.Zone:
    return dns.zone.from_file(str(path), origin=zone, relativize=False)


def save(zone: dns.zone.Zone, path: Path) -> None:
    zone.to_file(str(path), sorted=True, relativize=False)


def _flip(data: bytes, start: int, count: int = 4) -> bytes:
    end = start + count
    return data[:start] + bytes(b ^ 0xFF for b in data[start:end]) + data[end:]


def _apex(zone: dns.zone.Zone) -> dns.node.Node:
    assert zone.origin is not None  # zones are always loaded with their origin
    return zone.find_node(zone.origin)


def flip_apex_signature(zone: dns.zone.Zone, covered: dns.rdatatype.RdataType) -> None:
    """Corrupt the signature bytes of the apex RRSIGs over one type; nothing else changes."""
    node = _apex(zone)
    old = node.find_rdataset(IN, RRSIG, covered)
    new = [rd.replace(signature=_flip(rd.signature, len(rd.signature) // 2 - 2)) for rd in old]
    node.replace_rdataset(dns.rdataset.from_rdata_list(old.ttl, new))


def drop_nsec(zone: dns.zone.Zone) -> int:
    """Remove every NSEC RRset and its signatures; return how many names lost one."""
    dropped = 0
    for node in zone.nodes.values():
        if node.get_rdataset(IN, dns.rdatatype.NSEC) is not None:
            node.delete_rdataset(IN, dns.rdatatype.NSEC)
            node.delete_rdataset(IN, RRSIG, dns.rdatatype.NSEC)
            dropped += 1
    return dropped


def splice_apex_signature(
    zone: dns.zone.Zone, donor: dns.zone.Zone, covered: dns.rdatatype.RdataType
) -> None:
    """Replace the apex RRSIGs over `covered` with the donor zone's (same RRset, other dates)."""
    sigs = _apex(donor).find_rdataset(IN, RRSIG, covered)
    _apex(zone).replace_rdataset(sigs)


def _parse_ds(line: str) -> tuple[dns.rrset.RRset, DS]:
    rrset = dns.rrset.from_text_list(*_split_ds(line))
    ds = next(iter(rrset))
    assert isinstance(ds, DS)
    return rrset, ds


def _split_ds(line: str) -> tuple[str, int, str, str, list[str]]:
    owner, ttl, rdclass, rdtype, *rdata = line.split()
    return owner, int(ttl), rdclass, rdtype, [" ".join(rdata)]


def _ds_text(rrset: dns.rrset.RRset, ds: dns.rdata.Rdata) -> str:
    assert isinstance(ds, DS)
    # the layout dnssec-dsfromkey prints, upper-case digest included
    fields = f"{ds.key_tag} {int(ds.algorithm)} {ds.digest_type} {ds.digest.hex().upper()}"
    return f"{rrset.name} {rrset.ttl} IN DS {fields}"


def ds_wrong_digest(line: str) -> str:
    """The same DS with its last 4 digest bytes flipped: key tag and algorithm stay right."""
    rrset, ds = _parse_ds(line)
    wrong = ds.replace(digest=_flip(ds.digest, len(ds.digest) - 4))
    return _ds_text(rrset, wrong)


def ds_with_algorithm(line: str, algorithm: int) -> str:
    """The same DS with another algorithm number; the key tag and the digest are kept."""
    rrset, ds = _parse_ds(line)
    return _ds_text(rrset, ds.replace(algorithm=algorithm))
