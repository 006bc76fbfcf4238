"""Trust anchors: the IANA root KSKs built in, or DS/DNSKEY records from a file."""

from __future__ import annotations

from dataclasses import dataclass

import dns.exception
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.zonefile

from ..errors import TrustAnchorError
from .model import IANA_ROOT

# https://data.iana.org/root-anchors/root-anchors.xml: KSK-2017 (20326) and KSK-2024 (38696).
# Every root KSK ever published fits in a few KiB: anything far larger is not an anchor file.
MAX_ANCHOR_FILE_BYTES = 1024 * 1024

IANA_ROOT_DS = """
. 86400 IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D
. 86400 IN DS 38696 8 2 683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16
"""


@dataclass(frozen=True)
class TrustAnchors:
    """DS and DNSKEY anchors by zone name, and where they came from."""

    source: str
    ds: dict[dns.name.Name, dns.rrset.RRset]
    dnskey: dict[dns.name.Name, dns.rrset.RRset]

    def names(self) -> set[dns.name.Name]:
        return set(self.ds) | set(self.dnskey)

    def to_text(self) -> str:
        return "\n".join(r.to_text() for r in [*self.ds.values(), *self.dnskey.values()])


def parse_anchors(text: str, source: str) -> TrustAnchors:
    try:
        rrsets = dns.zonefile.read_rrsets(text, name=None, default_ttl=3600, origin=dns.name.root,
                                          relativize=False, rdclass=None,
                                          default_rdclass=dns.rdataclass.IN)
    except (dns.exception.DNSException, ValueError) as exc:
        raise TrustAnchorError(f"{source}: not a file of DS/DNSKEY records ({exc})") from None
    ds: dict[dns.name.Name, dns.rrset.RRset] = {}
    dnskey: dict[dns.name.Name, dns.rrset.RRset] = {}
    for rrset in rrsets:
        if rrset.rdtype == dns.rdatatype.DS:
            ds.setdefault(rrset.name, dns.rrset.RRset(rrset.name, rrset.rdclass, rrset.rdtype))
            ds[rrset.name].update(rrset)
        elif rrset.rdtype == dns.rdatatype.DNSKEY:
            dnskey.setdefault(rrset.name,
                              dns.rrset.RRset(rrset.name, rrset.rdclass, rrset.rdtype))
            dnskey[rrset.name].update(rrset)
        else:
            raise TrustAnchorError(
                f"{source}: {rrset.name} {dns.rdatatype.to_text(rrset.rdtype)}: only DS and "
                "DNSKEY records can be trust anchors")
    if not ds and not dnskey:
        raise TrustAnchorError(f"{source}: holds no DS or DNSKEY record")
    return TrustAnchors(source, ds, dnskey)


def load_anchors(spec: str) -> TrustAnchors:
    """`spec` is "iana-root" or the path of a file of DS/DNSKEY records."""
    if spec == IANA_ROOT:
        return parse_anchors(IANA_ROOT_DS, "the built-in IANA root anchors")
    try:
        with open(spec, "rb") as handle:
            raw = handle.read(MAX_ANCHOR_FILE_BYTES + 1)
    except OSError as exc:
        raise TrustAnchorError(f"{spec}: cannot read the trust anchors ({exc.strerror})") from None
    if len(raw) > MAX_ANCHOR_FILE_BYTES:
        raise TrustAnchorError(f"{spec}: larger than {MAX_ANCHOR_FILE_BYTES // 1024} KiB: not a "
                               "file of trust anchors")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise TrustAnchorError(f"{spec}:{line}: not a text file of DS/DNSKEY records (byte "
                               f"0x{raw[exc.start]:02x} is not UTF-8)") from None
    return parse_anchors(text, spec)
