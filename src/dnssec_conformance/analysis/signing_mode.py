"""How each authoritative server signs: online (each answer signed when it is sent, as
Cloudflare, NS1, PowerDNS live-signing and Knot's onlinesign do) or pre-signed, told per
server from what it answered, never from a list of providers.

The evidence, strongest first:
- the denial for the random name the suite asks: an NSEC owned by that name (compact denial,
  RFC 9824), or NSEC/NSEC3 records hugging it (white lies, RFC 4470 and the NSEC3 form):
  no zone holds such records in advance, so they and their signatures were made for that
  very query, and their RRSIGs show the window the signer uses now;
- the apex SOA asked a second time: a pre-signed zone returns the same RRSIG, an online
  signer a new signature, and, when its window slides with the clock, a later expiration.
An online signer that caches its signatures (PowerDNS keeps weekly windows) and serves a
pre-computed NSEC chain shows neither; `signing: online` in domains.yaml says so instead.

An online signer renews a signature on its own, so what matters is not how many days a
signature it served has left but whether it is still being renewed: its window is in the
first half of its lifetime (or was seen sliding), and the signatures made now outlive what
resolvers cache. A signature past the middle of its window that did not move is treated as
pre-signed: a signer whose window stopped sliding counts down like any other.
"""

from __future__ import annotations

from dataclasses import dataclass

import dns.name
import dns.rdatatype
import dns.rrset
from dns.rdtypes.ANY.RRSIG import RRSIG

from ..dnssec import nsec, nsec3
from ..dnssec.signatures import SignatureCheck, sig_time
from ..probe.data import ServerAnswers, ZoneData, authoritative_problem, memoized
from ..probe.transport import Exchange, Server
from .zone import ServedRRset

# A synthesized NSEC3 spans a few hashes around the one it covers; a real chain of even a
# billion names leaves gaps near 2**130 wide. Anything narrower than this was made to order.
SYNTHESIZED_NSEC3_SPAN = 2**96


@dataclass(frozen=True)
class Window:
    """The validity period of one signature: what it signs and when it starts and ends."""

    label: str
    inception: int
    expiration: int

    @classmethod
    def of(cls, owner: dns.name.Name, rrsig: RRSIG, at: float) -> Window:
        covered = dns.rdatatype.to_text(rrsig.type_covered)
        return cls(f"RRSIG {owner} {covered} by {rrsig.key_tag}",
                   sig_time(rrsig.inception, at), sig_time(rrsig.expiration, at))

    def remaining(self, at: float) -> float:
        return self.expiration - at

    def elapsed(self, at: float) -> float:
        return at - self.inception

    def in_first_half(self, at: float) -> bool:
        """More of the window ahead than behind: what a signer renewing as it goes serves."""
        return self.remaining(at) > self.elapsed(at)

    def describe(self, at: float) -> str:
        return (f"inception {_hours(self.elapsed(at))} ago, expiration in "
                f"{_hours(self.remaining(at))}")


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h" if abs(seconds) < 3 * 86400 else \
        f"{seconds / 86400:.1f} days"


@dataclass(frozen=True)
class ServerSigning:
    """How one server signs, and what showed it."""

    server: Server
    online: bool
    declared: str | None  # domains.yaml's `signing:`, which decides when given
    evidence: tuple[str, ...]  # what showed online signing; empty: nothing did
    fresh: tuple[Window, ...]  # signatures proven made for the suite's queries
    slid_s: int | None  # how far the SOA signature's expiration moved between the looks
    second_look: str  # what the second look at the SOA showed, for the record
    served_at: float  # when the zone was collected: the moment these answers describe
    shown_by: tuple[Exchange, ...] = ()  # the answers the verdict rests on

    @property
    def dig(self) -> str:
        """The answers that showed the mode, as `dig` prints them."""
        return "\n\n".join(e.evidence() for e in self.shown_by)

    @property
    def how(self) -> str:
        """The mode and why, in one phrase for a finding."""
        seen = "; ".join(self.evidence) if self.evidence else self.second_look
        if self.declared is not None:
            mode = "online" if self.online else "pre-signed"
            return f"{mode} as domains.yaml says (signing: {self.declared}; seen: {seen})"
        if self.online:
            return f"online signing: {seen}"
        return f"pre-signed as far as the answers show ({seen})"

    @property
    def slides(self) -> bool:
        return self.slid_s is not None and self.slid_s > 0

    def renews(self, served: ServedRRset, check: SignatureCheck) -> bool:
        """Whether this signer replaces this signature on its own before it matters: it signs
        online, and the signature is in the first half of its window when served (or, for the
        SOA, its window was seen moving)."""
        if not self.online:
            return False
        if self.slides and served.rrset.rdtype == dns.rdatatype.SOA:
            return True
        window = Window(check.label, check.inception(self.served_at),
                        check.expiration(self.served_at))
        return window.in_first_half(self.served_at)


def signing_modes(zone: ZoneData) -> dict[Server, ServerSigning]:
    """How each usable server signs (memoized per zone)."""
    return memoized(zone, "signing_modes", lambda: {
        a.server: _server_signing(zone, a) for a in zone.usable_answers()})


def _server_signing(zone: ZoneData, answers: ServerAnswers) -> ServerSigning:
    assert zone.apex is not None
    at = zone.collected_at
    evidence: list[str] = []
    fresh: list[Window] = []
    made, kind = _synthesized_denial(zone.apex, answers.nonexistent)
    if made:
        assert answers.nonexistent is not None
        evidence.append(f"the denial of the random name {answers.nonexistent.qname} is "
                        f"{kind}, made and signed for that query")
        fresh += [Window.of(owner, rrsig, at) for owner, rrsig in made]
    slid, seen, resigned = _second_look(zone.apex, answers, at)
    if resigned:
        evidence.append(seen)
        fresh += resigned
    declared = zone.domain.signing if zone.source == "servers" else None
    online = declared == "online" or (declared is None and bool(evidence))
    shown_by = [answers.nonexistent] if made else []
    shown_by += [answers.get(zone.apex, dns.rdatatype.SOA), answers.second_look]
    return ServerSigning(answers.server, online, declared, tuple(evidence), tuple(fresh),
                         slid, seen, at, tuple(e for e in shown_by if e is not None))


def _signatures_over(exchange: Exchange, rrset: dns.rrset.RRset, section: str
                     ) -> list[tuple[dns.name.Name, RRSIG]]:
    rrsigs = exchange.signatures(rrset.rdtype, rrset.name, section=section)
    return [(rrset.name, r) for r in rrsigs or ()]


def _synthesized_denial(apex: dns.name.Name, exchange: Exchange | None
                        ) -> tuple[list[tuple[dns.name.Name, RRSIG]], str]:
    """The RRSIGs over denial records that can only have been made for the random name
    (with what kind of denial they are), or nothing."""
    if exchange is None or authoritative_problem(exchange) is not None:
        return [], ""
    assert exchange.response is not None
    qname = exchange.qname
    made = []
    kinds = []
    for rrset in exchange.response.authority:
        if rrset.rdtype == dns.rdatatype.NSEC:
            kind = _nsec_made_for(qname, apex, rrset)
        elif rrset.rdtype == dns.rdatatype.NSEC3:
            kind = _nsec3_made_for(qname, apex, rrset)
        else:
            continue
        if kind:
            kinds.append(kind)
            made += _signatures_over(exchange, rrset, "authority")
    return made, " and ".join(dict.fromkeys(kinds))


def _nsec_made_for(qname: dns.name.Name, apex: dns.name.Name, rrset: dns.rrset.RRset
                   ) -> str:
    for record in nsec.nsec_records([rrset]):
        if record.owner == qname:
            return "an NSEC at the name itself (compact denial, RFC 9824)"
        if record.covers(qname) and _hugs(record.owner, qname, apex) \
                and _hugs(record.next, qname, apex):
            return "a minimally covering NSEC (white lies, RFC 4470)"
    return ""


def _hugs(name: dns.name.Name, qname: dns.name.Name, apex: dns.name.Name) -> bool:
    """Whether `name` sits right beside the random `qname`: its label below the apex shares
    all but at most the last octet of the random label, which no zone's own names do."""
    if not name.is_subdomain(apex) or name == apex:
        return False
    ours = qname.relativize(apex).labels[-1].lower()
    theirs = name.relativize(apex).labels[-1].lower()
    shared = next((i for i, (a, b) in enumerate(zip(ours, theirs, strict=False)) if a != b),
                  min(len(ours), len(theirs)))
    return shared >= len(ours) - 1


def _nsec3_made_for(qname: dns.name.Name, apex: dns.name.Name, rrset: dns.rrset.RRset
                    ) -> str:
    for record in nsec3.nsec3_records([rrset]):
        if record.owner_hash is None or nsec3.hash_refusal(record.params) is not None:
            continue
        digest = nsec3.nsec3_hash(qname, record.params)
        span = (int.from_bytes(record.next_hash, "big")
                - int.from_bytes(record.owner_hash, "big")) % (2 ** (8 * len(digest)))
        if record.covers(digest) and span < SYNTHESIZED_NSEC3_SPAN:
            return "an NSEC3 spanning a few hashes around it (NSEC3 white lies)"
    return ""


def _second_look(apex: dns.name.Name, answers: ServerAnswers, at: float
                 ) -> tuple[int | None, str, list[Window]]:
    """How far the SOA signature's expiration moved between the two looks, what the second
    look showed, and the windows of the signatures it proved new."""
    first, second = answers.get(apex, dns.rdatatype.SOA), answers.second_look
    if first is None or second is None or authoritative_problem(second) is not None:
        return None, "no second look at the SOA", []
    before = {r for r in first.signatures(dns.rdatatype.SOA, apex) or ()}
    after = {r for r in second.signatures(dns.rdatatype.SOA, apex) or ()}
    gap = answers.second_look_after_s or 0.0
    if not after or before == after:
        return None, f"the SOA's RRSIG was the same when asked again {gap:.2f} s later", []
    new = [Window.of(apex, r, at) for r in after - before]
    old_end = max((sig_time(r.expiration, at) for r in before), default=None)
    new_end = max(w.expiration for w in new)
    moved = None if old_end is None else new_end - old_end
    if moved is not None and moved > 0:
        text = (f"the SOA's RRSIG expiration moved {moved} s forward when asked again "
                f"{gap:.2f} s later (a sliding window)")
    elif moved is not None and moved < 0:
        text = (f"the SOA came back {gap:.2f} s later with an RRSIG expiring {-moved} s "
                "earlier (several signers behind one address?)")
    else:
        text = f"the SOA came back {gap:.2f} s later with a new signature (same window)"
    return moved, text, new
