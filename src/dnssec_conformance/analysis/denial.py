"""The denial answers of a zone as a validator reads them, computed once per zone for the
denial checks: each server's answer to the NXDOMAIN and NODATA probes, the NSEC or NSEC3
proof it carries (RFC 4035 §5.4, RFC 5155 §8) and what that proof establishes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import dns.flags
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset
from dns.rdtypes.ANY.DNSKEY import DNSKEY

from ..dnssec import nsec, nsec3
from ..dnssec.nsec import Proof, ProofStatus
from ..findings import Finding, Severity
from ..probe.data import ZoneData, authoritative_problem, memoized
from ..probe.transport import Exchange, Server
from .zone import DENIAL_TYPES, all_zone_keys, dnskeys_at

NSEC3_SHA1 = nsec3.SHA1
# The lowest NSEC3 iteration limit among widely deployed validators, past which they treat
# the zone's negative answers as insecure: Knot Resolver and PowerDNS Recursor 5, 50 extra
# iterations (Knot Resolver counts SHA-1 blocks, so salts over 44 octets halve it).
VALIDATOR_ITERATION_LIMIT = 50
# RFC 9824 (compact denial): a name denied by an NSEC at the name itself whose bitmap holds
# nothing but these; NXNAME is meta-type 128.
NXNAME = 128
COMPACT_DENIAL_TYPES = frozenset({dns.rdatatype.NSEC, dns.rdatatype.RRSIG, NXNAME})


@dataclass(frozen=True)
class Probe:
    """One of the two negative-answer queries at one server."""

    server: Server
    exchange: Exchange
    due: str  # "NXDOMAIN" for the random name, "NODATA" for the absent type at the apex

    @property
    def label(self) -> str:
        return f"{self.exchange.qname} {dns.rdatatype.to_text(self.exchange.rdtype)}"

    @property
    def usable(self) -> bool:
        return authoritative_problem(self.exchange) is None and not self.truncated

    @property
    def truncated(self) -> bool:
        response = self.exchange.response
        return response is not None and bool(response.flags & dns.flags.TC)

    @property
    def rcode(self) -> int | None:
        return self.exchange.rcode

    @property
    def denial(self) -> list[dns.rrset.RRset]:
        response = self.exchange.response
        return [r for r in response.authority if r.rdtype in DENIAL_TYPES] if response else []

    @property
    def answer(self) -> dns.rrset.RRset | None:
        """The RRset answering the query (or a CNAME), if any."""
        response = self.exchange.response
        for rrset in response.answer if response else []:
            if rrset.name == self.exchange.qname and rrset.rdtype != dns.rdatatype.RRSIG:
                return rrset
        return None

    def evidence(self, proof: Proof | None = None) -> str:
        text = self.exchange.evidence()
        if proof is not None and proof.steps:
            text += "\n;; PROOF:\n" + "\n".join(f";; {step}" for step in proof.steps)
        return text


def joined_evidence(exchange: Exchange, served: list[Probe]) -> str:
    return "\n\n".join([exchange.evidence(), *(p.evidence() for p in served)])


def probes(zone: ZoneData) -> list[Probe]:
    found = []
    for answers in zone.usable_answers():
        if answers.nonexistent is not None:
            found.append(Probe(answers.server, answers.nonexistent, "NXDOMAIN"))
        if answers.nodata is not None:
            found.append(Probe(answers.server, answers.nodata, "NODATA"))
    return found


def is_negative(probe: Probe) -> bool:
    return probe.rcode == dns.rcode.NXDOMAIN or (probe.rcode == dns.rcode.NOERROR
                                                 and probe.answer is None)


def combined(rrsets: list[dns.rrset.RRset], by_nsec: Callable[..., Proof],
             by_nsec3: Callable[..., Proof], *args: object) -> Proof | None:
    """The proof from the answer's NSEC records or from its NSEC3 records, whichever holds (a
    validator accepts either): `by_nsec(*args, rrsets)`. None when the answer has neither."""
    proofs = []
    if any(r.rdtype == dns.rdatatype.NSEC for r in rrsets):
        proofs.append(by_nsec(*args, rrsets))
    if any(r.rdtype == dns.rdatatype.NSEC3 for r in rrsets):
        proofs.append(by_nsec3(*args, rrsets))
    for status in (ProofStatus.PROVEN, ProofStatus.OPT_OUT, ProofStatus.UNCHECKED):
        for proof in proofs:
            if proof.status is status:
                return proof
    return proofs[0] if proofs else None


@dataclass(frozen=True)
class DenialVerdict:
    """What one probe's answer claims, and whether its records prove it."""

    probe: Probe
    # nxdomain, nodata, wildcard-nodata, name-nodata (compact denial), wildcard-answer,
    # signed-answer (synthesized and signed as the name itself), dname-answer, unproven
    # (NOERROR without records and without a proof of anything)
    claim: str
    proof: Proof | None  # None: the answer has no NSEC/NSEC3 records, or no proof applies


def verdicts(zone: ZoneData) -> list[DenialVerdict]:
    return memoized(zone, "denial_verdicts", lambda: _verdicts(zone))


def _verdicts(zone: ZoneData) -> list[DenialVerdict]:
    assert zone.apex is not None
    apex = zone.apex
    found = []
    for probe in probes(zone):
        if not probe.usable:
            continue
        qname, qtype, rrsets = probe.exchange.qname, probe.exchange.rdtype, probe.denial
        if probe.due == "NODATA":
            if probe.rcode == dns.rcode.NOERROR and probe.answer is None:
                found.append(DenialVerdict(probe, "nodata", combined(
                    rrsets, nsec.prove_nodata, nsec3.prove_nodata, qname, qtype, apex)))
            continue
        if dname_of(probe) is not None:
            found.append(DenialVerdict(probe, "dname-answer", None))
        elif probe.rcode == dns.rcode.NXDOMAIN:
            proof = combined(rrsets, nsec.prove_nxdomain, nsec3.prove_nxdomain, qname, apex)
            if proof is not None and not proof.proven and is_compact(probe, restored=True):
                found.append(DenialVerdict(probe, "name-nodata", combined(
                    rrsets, nsec.prove_nodata, nsec3.prove_nodata, qname, qtype, apex)))
            else:
                found.append(DenialVerdict(probe, "nxdomain", proof))
        elif probe.answer is not None:
            found.append(_wildcard_answer(probe, apex))
        else:
            found.append(_empty_answer(probe, apex))
    return found


def _empty_answer(probe: Probe, apex: dns.name.Name) -> DenialVerdict:
    """A NOERROR without records for a name that cannot exist: a wildcard without the type, a
    name denied by a NODATA at itself (RFC 9824 compact denial: an NSEC at the name says it
    exists; whether its bitmap proves the type absent is DENIAL04's), or a wrong rcode."""
    qname, qtype, rrsets = probe.exchange.qname, probe.exchange.rdtype, probe.denial
    at_name = combined(rrsets, nsec.prove_nodata, nsec3.prove_nodata, qname, qtype, apex)
    at_itself = any(r.owner == qname for r in nsec.nsec_records(rrsets))
    if at_name is not None and (at_name.proven or at_itself):
        return DenialVerdict(probe, "name-nodata", at_name)
    wildcard = combined(rrsets, nsec.prove_wildcard_nodata, nsec3.prove_wildcard_nodata,
                        qname, qtype, apex)
    if nsec.claimed_wildcard(qname, apex, rrsets) or nsec3.claimed_wildcard(qname, apex,
                                                                             rrsets):
        return DenialVerdict(probe, "wildcard-nodata", wildcard)
    return DenialVerdict(probe, "unproven", wildcard if wildcard is not None else at_name)


def dname_of(probe: Probe) -> dns.rrset.RRset | None:
    """The DNAME above the name that the answer was synthesized from, if any."""
    response = probe.exchange.response
    for rrset in response.answer if response else []:
        if rrset.rdtype == dns.rdatatype.DNAME and \
                probe.exchange.qname.is_subdomain(rrset.name):
            return rrset
    return None


def _wildcard_answer(probe: Probe, apex: dns.name.Name) -> DenialVerdict:
    answer = probe.answer
    assert answer is not None
    qname = probe.exchange.qname
    rrsigs = probe.exchange.signatures(answer.rdtype, qname)
    labels = min((s.labels for s in rrsigs or ()), default=None)
    if labels is None or labels >= len(qname.labels) - 1:
        return DenialVerdict(probe, "signed-answer", None)
    return DenialVerdict(probe, "wildcard-answer", combined(
        probe.denial, nsec.prove_wildcard_answer, nsec3.prove_wildcard_answer, qname, labels,
        apex))


def proof_findings(verdict: DenialVerdict, what: str) -> list[Finding]:
    """The finding for a proof that does not hold, holds only as opt-out, or could not be
    evaluated; none when it holds."""
    proof, probe = verdict.proof, verdict.probe
    if proof is None or proof.status is ProofStatus.PROVEN:
        return []
    server, evidence = str(probe.server), probe.evidence(proof)
    if proof.status is ProofStatus.OPT_OUT:
        return [Finding(Severity.INFO,
                        f"{probe.label}: {what} holds only through an NSEC3 opt-out span: "
                        "validators treat the answer as insecure (an unsigned delegation "
                        "could be there)", server, evidence, code="opt-out-only")]
    if proof.status is ProofStatus.UNCHECKED:
        return [Finding(Severity.ERROR,
                        f"could not check {what} for {probe.label}: {proof.reason}", server,
                        evidence, code="proof-unchecked")]
    return [Finding(Severity.CRITICAL,
                    f"{probe.label}: {what} is not proven: {proof.reason}", server, evidence,
                    code="not-proven")]


def keys_by_server(zone: ZoneData) -> dict[Server, list[DNSKEY]]:
    """The keys to verify each server's answers with: the DNSKEY RRset it serves itself."""
    assert zone.apex is not None
    return {a.server: list(dnskeys_at(a, zone.apex) or all_zone_keys(zone))
            for a in zone.usable_answers()}


def is_compact(probe: Probe, *, restored: bool = False) -> bool:
    """Whether the answer denies the name RFC 9824's way: an NSEC at the name with nothing
    but NSEC, RRSIG and NXNAME; `restored`: with NXNAME, which marks the rcode NXDOMAIN."""
    for record in nsec.nsec_records(probe.denial):
        if record.owner == probe.exchange.qname:
            if restored:  # whatever else the bitmap says is DENIAL04's to judge
                return NXNAME in record.types
            return record.types <= COMPACT_DENIAL_TYPES
    return False
