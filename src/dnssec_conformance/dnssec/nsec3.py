"""Authenticated denial of existence with NSEC3 (RFC 5155 §8): the closest-encloser proof,
the next-closer cover, the wildcard cover, opt-out, and the type bitmaps, as a validator
checks them.

Pure logic over records already received: no network, no signature verification (the caller
verifies the RRSIGs). dnspython computes the hashes; which record matches or covers which
hash, and what that proves, is decided here. Hashing is bounded: parameters above
`MAX_ITERATIONS` are refused and reported, never hashed (a hostile or broken zone could
otherwise ask for 65535 iterations per name).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from dataclasses import dataclass

import dns.dnssec
import dns.name
import dns.rdatatype
import dns.rrset

from .nsec import (
    Proof,
    ancestors,
    bitmap_text,
    bitmap_types,
    settle,
    type_text,
    wildcard_at,
    wildcard_parent_of,
)

# RFC 5155 §10.3: the largest iteration count the RFC ever allowed (for 4096-bit keys).
# Above it we refuse to hash and say so: the answer cannot be checked, and every deployed
# validator treats it as insecure anyway.
MAX_ITERATIONS = 2500
SHA1 = 1
HASH_LENGTHS = {SHA1: 20}
OPT_OUT = 0x01
KNOWN_FLAGS = OPT_OUT


@dataclass(frozen=True, order=True)
class Nsec3Params:
    algorithm: int
    iterations: int
    salt: bytes

    @property
    def text(self) -> str:
        """As in NSEC3PARAM presentation format, flags left out: `1 0 -`."""
        return f"{self.algorithm} {self.iterations} {self.salt.hex().upper() or '-'}"


def hash_refusal(params: Nsec3Params) -> str | None:
    """Why names are not hashed with these parameters, or None when they are."""
    if params.algorithm not in HASH_LENGTHS:
        return (f"NSEC3 hash algorithm {params.algorithm} is unknown (1, SHA-1, is the only "
                "one defined): validators ignore these records")
    if params.iterations > MAX_ITERATIONS:
        return (f"NSEC3 iterations {params.iterations} exceed {MAX_ITERATIONS}, RFC 5155 "
                "§10.3's maximum: not hashed")
    return None


def nsec3_hash(name: dns.name.Name, params: Nsec3Params) -> bytes:
    """The raw hash of `name` (RFC 5155 §5). Raises ValueError for refused parameters."""
    refusal = hash_refusal(params)
    if refusal is not None:
        raise ValueError(refusal)
    text = dns.dnssec.nsec3_hash(name, params.salt, params.iterations, params.algorithm)
    return base64.b32hexdecode(text)


def hash_text(digest: bytes) -> str:
    return base64.b32hexencode(digest).decode("ascii").lower()


def hash_of_label(label: bytes) -> bytes | None:
    """The hash an NSEC3 owner's first label spells in base32hex, or None if it is not one."""
    try:
        return base64.b32hexdecode(label.upper())
    except (binascii.Error, ValueError):
        return None


@dataclass(frozen=True)
class Nsec3Record:
    """One NSEC3 record: hashes strictly between `owner_hash` and `next_hash` belong to no
    name, and the name hashing to `owner_hash` has exactly `types`."""

    owner: dns.name.Name
    owner_hash: bytes | None  # None when the first label is not base32hex
    next_hash: bytes
    flags: int
    params: Nsec3Params
    types: frozenset[int]

    @property
    def opt_out(self) -> bool:
        return bool(self.flags & OPT_OUT)

    @property
    def label(self) -> str:
        flags = ", opt-out" if self.opt_out else ""
        return (f"{self.owner} NSEC3 {hash_text(self.next_hash)} "
                f"({bitmap_text(self.types)}{flags})")

    def matches(self, digest: bytes) -> bool:
        return self.owner_hash == digest

    def covers(self, digest: bytes) -> bool:
        """Strictly inside the span; the last record of the chain wraps around."""
        if self.owner_hash is None:
            return False
        if self.owner_hash < self.next_hash:
            return self.owner_hash < digest < self.next_hash
        return digest > self.owner_hash or digest < self.next_hash

    @property
    def is_delegation(self) -> bool:
        return dns.rdatatype.NS in self.types and dns.rdatatype.SOA not in self.types


def nsec3_records(rrsets: Iterable[dns.rrset.RRset]) -> list[Nsec3Record]:
    records = []
    for rrset in rrsets:
        if rrset.rdtype != dns.rdatatype.NSEC3:
            continue
        owner_hash = hash_of_label(rrset.name.labels[0]) if len(rrset.name.labels) > 1 \
            else None
        for rdata in rrset:
            params = Nsec3Params(rdata.algorithm, rdata.iterations, bytes(rdata.salt))
            types = frozenset(bitmap_types(rdata.windows))
            records.append(Nsec3Record(rrset.name, owner_hash, bytes(rdata.next),
                                       rdata.flags, params, types))
    return records


def parameters(rrsets: Iterable[dns.rrset.RRset]) -> set[Nsec3Params]:
    return {record.params for record in nsec3_records(rrsets)}


def _unusable(record: Nsec3Record, apex: dns.name.Name) -> str | None:
    """Why a validator ignores this record (RFC 5155 §8.1, §8.2), or None."""
    if record.owner == dns.name.root or record.owner.parent() != apex:
        return f"{record.owner} NSEC3 is not directly below the zone apex {apex}: ignored"
    if record.flags & ~KNOWN_FLAGS:
        return (f"{record.owner} NSEC3 has unknown flags {record.flags}: validators ignore it "
                "(RFC 5155 §8.2)")
    length = HASH_LENGTHS.get(record.params.algorithm)
    if length is None:
        return None  # a refusal, reported as such
    if record.owner_hash is None or len(record.owner_hash) != length:
        return (f"{record.owner} NSEC3: the owner's first label is not a base32hex "
                f"{length}-octet hash: ignored")
    if len(record.next_hash) != length:
        return (f"{record.label}: the next hashed owner is {len(record.next_hash)} octets, "
                f"not {length}: ignored")
    return None


class _Answer:
    """The usable NSEC3 records of one answer and hash lookups over them, with every hash
    computed once."""

    def __init__(self, apex: dns.name.Name, rrsets: Iterable[dns.rrset.RRset]):
        self.apex = apex
        self.records: list[Nsec3Record] = []
        self.ignored: list[str] = []
        self.refused: list[str] = []
        self._hashes: dict[tuple[dns.name.Name, Nsec3Params], bytes] = {}
        for record in nsec3_records(rrsets):
            reason = _unusable(record, apex)
            refusal = hash_refusal(record.params)
            if reason is not None:
                self.ignored.append(reason)
            elif refusal is not None:
                # An unknown algorithm makes validators ignore the record (RFC 5155 §8.1);
                # too many iterations only makes us refuse to check it.
                unknown = record.params.algorithm not in HASH_LENGTHS
                target = self.ignored if unknown else self.refused
                if refusal not in target:
                    target.append(refusal)
            else:
                self.records.append(record)

    def digest(self, name: dns.name.Name, params: Nsec3Params) -> bytes:
        key = (name, params)
        if key not in self._hashes:
            self._hashes[key] = nsec3_hash(name, params)
        return self._hashes[key]

    def hash_label(self, name: dns.name.Name) -> str:
        params = sorted({r.params for r in self.records})
        if not params:
            return ""
        return f"hash {hash_text(self.digest(name, params[0]))}"

    def named(self, name: dns.name.Name) -> str:
        return f"{name} ({self.hash_label(name)})"

    def matching(self, name: dns.name.Name) -> Nsec3Record | None:
        return next((r for r in self.records if r.matches(self.digest(name, r.params))), None)

    def covering(self, name: dns.name.Name) -> Nsec3Record | None:
        return next((r for r in self.records if r.covers(self.digest(name, r.params))), None)

    def misses(self, name: dns.name.Name, what: str) -> str:
        """Why no record covers `name`, with the record that comes nearest before its hash."""
        text = f"no NSEC3 record covers {what} {self.named(name)}"
        before = [r for r in self.records
                  if r.owner_hash is not None and r.owner_hash < self.digest(name, r.params)]
        # Hashes sort in a circle: before the smallest hash comes the chain's last record.
        nearest = max(before or self.records, key=lambda r: r.owner_hash or b"", default=None)
        if nearest is not None:
            text += f"; the nearest, {nearest.label}, ends before it"
        return text

    def unusable_proof(self, claim: str) -> Proof | None:
        """The verdict when the answer has no record to work with, else None."""
        if self.records:
            return None
        if self.refused:
            return settle(claim, self.refused + self.ignored, [], unchecked=True)
        return settle(claim, ["no usable NSEC3 record in the answer", *self.ignored], [])

    def settle(self, claim: str, problems: list[str], steps: list[str], *,
               closest_encloser: dns.name.Name | None = None, opt_out: bool = False) -> Proof:
        """The verdict, with the records set aside as context when the proof fails: a
        failure next to refused records is a could-not-check."""
        if problems and self.refused:
            return settle(claim, problems + self.refused, steps, unchecked=True)
        if problems:
            problems = problems + self.ignored
        return settle(claim, problems, steps, closest_encloser=closest_encloser,
                      opt_out=opt_out)


@dataclass(frozen=True)
class _Encloser:
    name: dns.name.Name
    next_closer: dns.name.Name
    next_closer_cover: Nsec3Record


def _closest_encloser(answer: _Answer, qname: dns.name.Name, problems: list[str],
                      steps: list[str]) -> _Encloser | None:
    """RFC 5155 §8.3: the deepest ancestor with a matching NSEC3 is the closest encloser, and
    the next closer name (one label longer, towards the query) must be covered."""
    chain = ancestors(qname, answer.apex)
    for depth, name in enumerate(chain):
        match = answer.matching(name)
        if match is None:
            continue
        if depth == 0:
            problems.append(f"{match.label} matches {answer.named(qname)}: the name exists")
            return None
        if match.is_delegation or dns.rdatatype.DNAME in match.types:
            kind = "a DNAME" if dns.rdatatype.DNAME in match.types else "a delegation point"
            problems.append(f"{match.label} matches {name}, which is {kind}: it cannot be "
                            f"the closest encloser of {qname} (RFC 5155 §8.3)")
            return None
        steps.append(f"{match.label} matches the closest encloser {answer.named(name)}")
        next_closer = chain[depth - 1]
        cover = answer.covering(next_closer)
        if cover is None:
            problems.append(answer.misses(next_closer, "the next closer name"))
            return None
        steps.append(f"{cover.label} covers the next closer name {answer.named(next_closer)}")
        return _Encloser(name, next_closer, cover)
    problems.append(f"no NSEC3 record matches {answer.named(answer.apex)} or any other "
                    f"ancestor of {qname}: no closest encloser is proven")
    return None


def _type_absent(record: Nsec3Record, name: dns.name.Name, qtype: int,
                 problems: list[str]) -> None:
    if qtype in record.types:
        problems.append(f"the type bitmap of {record.label} has {type_text(qtype)}: it says "
                        f"{name} has {type_text(qtype)} records")
    if dns.rdatatype.CNAME in record.types and qtype != dns.rdatatype.CNAME:
        problems.append(f"the type bitmap of {record.label} has CNAME: {name} is an alias, "
                        "the answer should have followed it")


def prove_nxdomain(qname: dns.name.Name, apex: dns.name.Name,
                   rrsets: Iterable[dns.rrset.RRset]) -> Proof:
    """RFC 5155 §8.4 (Appendix B.1): a closest-encloser proof, the next closer name covered,
    and the wildcard at the closest encloser covered. With the opt-out flag on the next
    closer's cover the name may be an unsigned delegation: validators call it insecure."""
    claim = f"{qname} does not exist"
    answer = _Answer(apex, rrsets)
    if (verdict := answer.unusable_proof(claim)) is not None:
        return verdict
    problems: list[str] = []
    steps: list[str] = []
    encloser = _closest_encloser(answer, qname, problems, steps)
    if encloser is None:
        return answer.settle(claim, problems, steps)
    wildcard = wildcard_at(encloser.name)
    match = answer.matching(wildcard)
    if match is not None:
        problems.append(f"{match.label} matches the wildcard {answer.named(wildcard)}: the "
                        "answer should have been synthesized from it")
    elif (cover := answer.covering(wildcard)) is None:
        problems.append(answer.misses(wildcard, "the wildcard"))
    else:
        steps.append(f"{cover.label} covers the wildcard {answer.named(wildcard)}")
    return answer.settle(claim, problems, steps, closest_encloser=encloser.name,
                         opt_out=encloser.next_closer_cover.opt_out)


def prove_nodata(qname: dns.name.Name, qtype: int, apex: dns.name.Name,
                 rrsets: Iterable[dns.rrset.RRset]) -> Proof:
    """RFC 5155 §8.5 (Appendix B.2, B.2.1): the NSEC3 matching the name has neither the type
    nor CNAME. §8.6 for DS: the parent's NSEC3 at the delegation without DS, or a closest
    encloser proof whose next-closer cover has the opt-out flag (insecure)."""
    claim = f"{qname} has no {type_text(qtype)} records"
    answer = _Answer(apex, rrsets)
    if (verdict := answer.unusable_proof(claim)) is not None:
        return verdict
    problems: list[str] = []
    steps: list[str] = []
    match = answer.matching(qname)
    if match is not None:
        _type_absent(match, qname, qtype, problems)
        if qtype == dns.rdatatype.DS and dns.rdatatype.SOA in match.types:
            problems.append(f"{match.label} is the child zone's apex record (SOA in its "
                            "bitmap): only the parent's NSEC3 at the delegation denies a DS")
        elif qtype != dns.rdatatype.DS and match.is_delegation and qname != apex:
            problems.append(f"{match.label} is a delegation point (NS without SOA): the "
                            "answer should have been a referral")
        if not problems:
            steps.append(f"{match.label} matches {answer.named(qname)} without "
                         f"{type_text(qtype)} or CNAME")
        return answer.settle(claim, problems, steps)
    if qtype == dns.rdatatype.DS:
        encloser = _closest_encloser(answer, qname, problems, steps)
        if encloser is None:
            return answer.settle(claim, problems, steps)
        if not encloser.next_closer_cover.opt_out:
            problems.append(f"{encloser.next_closer_cover.label} covers the next closer name "
                            f"{encloser.next_closer} without the opt-out flag: no unsigned "
                            "delegation can be there (RFC 5155 §8.6)")
        return answer.settle(claim, problems, steps, closest_encloser=encloser.name,
                             opt_out=True)
    cover = answer.covering(qname)
    text = f"no NSEC3 record matches {answer.named(qname)}"
    if cover is not None:
        text += (f"; {cover.label} covers that hash, which says the name does not exist at "
                 "all (that is NXDOMAIN, not NODATA)")
    problems.append(text)
    return answer.settle(claim, problems, steps)


def prove_wildcard_nodata(qname: dns.name.Name, qtype: int, apex: dns.name.Name,
                          rrsets: Iterable[dns.rrset.RRset]) -> Proof:
    """RFC 5155 §8.7 (Appendix B.5): a closest-encloser proof for the name, and the NSEC3
    matching the wildcard at the closest encloser without the type or CNAME."""
    claim = f"{qname} has no {type_text(qtype)} records, not even from a wildcard"
    answer = _Answer(apex, rrsets)
    if (verdict := answer.unusable_proof(claim)) is not None:
        return verdict
    problems: list[str] = []
    steps: list[str] = []
    encloser = _closest_encloser(answer, qname, problems, steps)
    if encloser is None:
        return answer.settle(claim, problems, steps)
    wildcard = wildcard_at(encloser.name)
    match = answer.matching(wildcard)
    if match is None:
        problems.append(f"no NSEC3 record matches the wildcard {answer.named(wildcard)} at "
                        f"the closest encloser {encloser.name}")
    else:
        before = len(problems)
        _type_absent(match, wildcard, qtype, problems)
        if len(problems) == before:
            steps.append(f"{match.label} matches the wildcard {answer.named(wildcard)} "
                         f"without {type_text(qtype)} or CNAME")
    return answer.settle(claim, problems, steps, closest_encloser=encloser.name,
                         opt_out=encloser.next_closer_cover.opt_out)


def prove_wildcard_answer(qname: dns.name.Name, rrsig_labels: int, apex: dns.name.Name,
                          rrsets: Iterable[dns.rrset.RRset]) -> Proof:
    """RFC 5155 §8.8 (Appendix B.4): an answer synthesized from a wildcard (its RRSIG's Labels
    field is shorter than the name) needs the next closer name covered: the name itself does
    not exist, and the right wildcard answered."""
    encloser = wildcard_parent_of(qname, rrsig_labels)
    wildcard = wildcard_at(encloser)
    claim = f"no name closer to {qname} than the wildcard {wildcard} exists"
    answer = _Answer(apex, rrsets)
    if (verdict := answer.unusable_proof(claim)) is not None:
        return verdict
    problems: list[str] = []
    steps: list[str] = []
    chain = ancestors(qname, apex)
    if encloser not in chain[1:]:
        problems.append(f"the RRSIG Labels field {rrsig_labels} does not name a wildcard "
                        f"above {qname} in the zone {apex}")
        return answer.settle(claim, problems, steps)
    next_closer = chain[chain.index(encloser) - 1]
    match = answer.matching(next_closer)
    cover = answer.covering(next_closer)
    if match is not None:
        problems.append(f"{match.label} matches the next closer name "
                        f"{answer.named(next_closer)}: it exists, so the wildcard should not "
                        "have answered")
    elif cover is None:
        problems.append(answer.misses(next_closer, "the next closer name"))
    else:
        steps.append(f"{cover.label} covers the next closer name {answer.named(next_closer)}")
    return answer.settle(claim, problems, steps, closest_encloser=encloser,
                         opt_out=cover is not None and cover.opt_out)


def prove_unsigned_delegation(delegation: dns.name.Name, apex: dns.name.Name,
                              rrsets: Iterable[dns.rrset.RRset]) -> Proof:
    """RFC 5155 §8.9 (Appendix B.3): a referral to an unsigned child is proven by the NSEC3
    matching the delegation (NS, no DS), or, under opt-out, by a closest-encloser proof
    whose next-closer cover has the opt-out flag."""
    claim = f"{delegation} is an unsigned delegation (no DS)"
    answer = _Answer(apex, rrsets)
    if (verdict := answer.unusable_proof(claim)) is not None:
        return verdict
    problems: list[str] = []
    steps: list[str] = []
    match = answer.matching(delegation)
    if match is not None:
        if dns.rdatatype.DS in match.types:
            problems.append(f"the type bitmap of {match.label} has DS: the delegation is "
                            "signed")
        if dns.rdatatype.NS not in match.types or dns.rdatatype.SOA in match.types:
            problems.append(f"{match.label} is not a delegation point (NS without SOA)")
        if not problems:
            steps.append(f"{match.label} matches {answer.named(delegation)}: NS without DS")
        return answer.settle(claim, problems, steps)
    encloser = _closest_encloser(answer, delegation, problems, steps)
    if encloser is None:
        return answer.settle(claim, problems, steps)
    if not encloser.next_closer_cover.opt_out:
        problems.append(f"{encloser.next_closer_cover.label} covers the next closer name "
                        f"{encloser.next_closer} without the opt-out flag: no unsigned "
                        "delegation can be there")
    return answer.settle(claim, problems, steps, closest_encloser=encloser.name,
                         opt_out=True)


def claimed_wildcard(qname: dns.name.Name, apex: dns.name.Name,
                     rrsets: Iterable[dns.rrset.RRset]) -> dns.name.Name | None:
    """A wildcard that could answer for `qname` and that the answer says exists (an NSEC3
    matching its hash), or None; None too when the records cannot be hashed."""
    answer = _Answer(apex, rrsets)
    for name in ancestors(qname, apex)[1:]:
        if answer.matching(wildcard_at(name)) is not None:
            return wildcard_at(name)
    return None

