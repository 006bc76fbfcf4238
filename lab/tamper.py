"""Deliberate faults: small dnspython edits to a signer's output or to a DS record."""

from __future__ import annotations

import base64
from pathlib import Path

import dns.dnssec
import dns.name
import dns.node
import dns.rdata
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.rrset
import dns.zone
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from dns.dnssectypes import Algorithm
from dns.rdtypes.ANY.DNSKEY import DNSKEY
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


def splice_signature(zone: dns.zone.Zone, donor: dns.zone.Zone, owner: dns.name.Name,
                     covered: dns.rdatatype.RdataType) -> None:
    """Replace the RRSIGs over `owner`'s `covered` RRset with the donor zone's."""
    sigs = donor.find_node(owner).find_rdataset(IN, RRSIG, covered)
    zone.find_node(owner).replace_rdataset(sigs)


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


def ds_with_key_tag(line: str, delta: int) -> str:
    """The same DS with its key tag moved by `delta`: the digest and algorithm stay right."""
    rrset, ds = _parse_ds(line)
    return _ds_text(rrset, ds.replace(key_tag=(ds.key_tag + delta) % 65536))


def ds_with_algorithm(line: str, algorithm: int) -> str:
    """The same DS with another algorithm number; the key tag and the digest are kept."""
    rrset, ds = _parse_ds(line)
    return _ds_text(rrset, ds.replace(algorithm=algorithm))


def drop_nsec_after_apex(zone: dns.zone.Zone) -> dns.name.Name:
    """Delete the NSEC (and its RRSIGs) of the name the apex NSEC points to, and return that
    name: the chain then stops there, and the span up to the following name is covered by no
    record. Every remaining record and signature is untouched."""
    nsec = _apex(zone).find_rdataset(IN, dns.rdatatype.NSEC)
    gap: dns.name.Name = next(iter(nsec)).next
    node = zone.find_node(gap)
    node.delete_rdataset(IN, dns.rdatatype.NSEC)
    node.delete_rdataset(IN, RRSIG, dns.rdatatype.NSEC)
    return gap


def flip_signatures_over(zone: dns.zone.Zone, covered: dns.rdatatype.RdataType) -> int:
    """Corrupt every RRSIG over `covered`, at every name; return how many names it touched."""
    touched = 0
    for node in zone.nodes.values():
        old = node.get_rdataset(IN, RRSIG, covered)
        if old is None:
            continue
        new = [rd.replace(signature=_flip(rd.signature, len(rd.signature) // 2 - 2))
               for rd in old]
        node.replace_rdataset(dns.rdataset.from_rdata_list(old.ttl, new))
        touched += 1
    return touched


PrivateKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


def load_private_key(path: Path) -> PrivateKey:
    """The private key of a dnssec-keygen `.private` file (ECDSAP256SHA256 or ED25519, the
    algorithms the lab re-signs with): its `PrivateKey:` field is the raw secret."""
    fields = dict(line.split(": ", 1) for line in path.read_text().splitlines() if ": " in line)
    algorithm = int(fields["Algorithm"].split()[0])
    secret = base64.b64decode(fields["PrivateKey"])
    if algorithm == Algorithm.ECDSAP256SHA256:
        return ec.derive_private_key(int.from_bytes(secret, "big"), ec.SECP256R1())
    if algorithm == Algorithm.ED25519:
        return ed25519.Ed25519PrivateKey.from_private_bytes(secret)
    raise ValueError(f"{path}: re-signing with algorithm {algorithm} is not supported")


def parse_dnskey(line: str) -> DNSKEY:
    """The DNSKEY rdata of a `.key` file's record line."""
    _owner, _ttl, _class, _type, *rdata = line.split()
    dnskey = dns.rdata.from_text(IN, dns.rdatatype.DNSKEY, " ".join(rdata))
    assert isinstance(dnskey, DNSKEY)
    return dnskey


def resign(zone: dns.zone.Zone, owner: dns.name.Name, rdtype: dns.rdatatype.RdataType,
           key: PrivateKey, dnskey: DNSKEY) -> None:
    """Replace the RRSIGs over one RRset with a fresh signature by `key`, keeping the old
    RRSIG's validity period."""
    assert zone.origin is not None
    node = zone.find_node(owner)
    rdataset = node.find_rdataset(IN, rdtype)
    old = node.find_rdataset(IN, RRSIG, rdtype)
    first = next(iter(old))
    rrsig = dns.dnssec.sign((owner, rdataset), key, zone.origin, dnskey,
                            inception=first.inception, expiration=first.expiration)
    node.replace_rdataset(dns.rdataset.from_rdata_list(old.ttl, [rrsig]))


def nsec3_cover_nothing(zone: dns.zone.Zone, key: PrivateKey, dnskey: DNSKEY) -> int:
    """Set every NSEC3's next hashed owner to its own owner hash + 1, so that no record
    covers any hash (each still matches its own name), and re-sign each altered RRset;
    return how many were altered."""
    altered = 0
    for owner, node in list(zone.nodes.items()):
        old = node.get_rdataset(IN, dns.rdatatype.NSEC3)
        if old is None:
            continue
        own = base64.b32hexdecode(owner.labels[0].upper())
        after = ((int.from_bytes(own, "big") + 1) % (1 << 8 * len(own))).to_bytes(len(own), "big")
        new = [rd.replace(next=after) for rd in old]
        node.replace_rdataset(dns.rdataset.from_rdata_list(old.ttl, new))
        resign(zone, owner, dns.rdatatype.NSEC3, key, dnskey)
        altered += 1
    return altered


def drop_zsk(zone: dns.zone.Zone, zsk: DNSKEY, ksk: PrivateKey, ksk_dnskey: DNSKEY) -> None:
    """A botched ZSK rollover: the ZSK taken out of the DNSKEY RRset (and that RRset re-signed
    with the KSK), while every other RRset stays signed by it."""
    assert zone.origin is not None
    node = _apex(zone)
    keys = node.find_rdataset(IN, dns.rdatatype.DNSKEY)
    node.replace_rdataset(dns.rdataset.from_rdata_list(keys.ttl, [k for k in keys if k != zsk]))
    resign(zone, zone.origin, dns.rdatatype.DNSKEY, ksk, ksk_dnskey)
