"""Authenticated denial of existence: negative answers carry signed NSEC/NSEC3 records, and
NSEC3 parameters that validators accept."""

from __future__ import annotations

from collections.abc import Iterator

import dns.rcode
import dns.rdatatype

from ..analysis import is_signed, merge_servers, unusable_servers
from ..catalog import register
from ..collect import ZoneData, authoritative_problem
from ..context import Evaluation
from ..findings import Category, Finding, Severity

# The lowest NSEC3 iteration limit among widely deployed validators: above it answers are
# treated as insecure (or SERVFAIL). systemd-resolved: 100 (2024, citing RFC 9276 §3.2);
# Unbound (val-nsec3-keysize-iterations), BIND 9.18, Knot Resolver, PowerDNS Recursor: 150.
VALIDATOR_ITERATION_LIMIT = 100
NSEC3_SHA1 = 1


@register(id="DENIAL01", name="negative-answer-proof", category=Category.DENIAL,
          title="A negative answer carries signed NSEC or NSEC3 records",
          severity=Severity.CRITICAL, rfc="RFC 4035 §3.1.3, RFC 5155 §7.2", marker="denial")
def negative_answer_proof(zone: ZoneData, ev: Evaluation) -> Iterator[Finding]:
    """Each server is asked for a random name under the apex, which cannot exist. In a signed
    zone the answer must be NXDOMAIN with NSEC or NSEC3 records and their RRSIGs in the
    authority section; without them validators cannot prove the name absent and fail the
    lookup (SERVFAIL for every typo and every NXDOMAIN-based probe).

    Remediation: re-sign the zone with NSEC or NSEC3 enabled (the signer's denial chain must
    not be stripped by post-processing or by the serving software's configuration).
    """
    if zone.apex is None or not is_signed(zone):
        return
    findings = []
    for answers in zone.usable_answers():
        probe = answers.nonexistent
        if probe is None or authoritative_problem(probe) is not None:
            continue
        assert probe.response is not None
        server, evidence = str(answers.server), probe.evidence()
        denial = [r for r in probe.response.authority
                  if r.rdtype in (dns.rdatatype.NSEC, dns.rdatatype.NSEC3)]
        rcode = probe.response.rcode()
        if rcode == dns.rcode.NOERROR and probe.response.answer:
            continue  # a wildcard answered: the wildcard proofs are the denial suite's work
        if rcode == dns.rcode.NOERROR:
            findings.append(Finding("DENIAL01", Severity.CRITICAL,
                                    f"{probe.qname} A: NOERROR with no records where NXDOMAIN "
                                    "was due", server, evidence))
        if not denial:
            findings.append(Finding("DENIAL01", Severity.CRITICAL,
                                    "negative answer without NSEC or NSEC3 records: "
                                    "validators cannot prove the name absent", server, evidence))
            continue
        unsigned = [r for r in denial
                    if probe.signatures(r.rdtype, r.name, section="authority") is None]
        if unsigned:
            findings.append(Finding("DENIAL01", Severity.CRITICAL,
                                    f"{unsigned[0].name} "
                                    f"{dns.rdatatype.to_text(unsigned[0].rdtype)} in a negative "
                                    "answer has no RRSIG", server, evidence))
    yield from merge_servers(findings)
    yield from unusable_servers(zone, "DENIAL01")


@register(id="DENIAL02", name="nsec3-parameters", category=Category.DENIAL,
          title="NSEC3 uses no extra iterations and no salt",
          severity=Severity.CRITICAL, rfc="RFC 9276 §3.1, §3.2; RFC 5155 §10.3",
          marker="denial")
def nsec3_parameters(zone: ZoneData, ev: Evaluation) -> Iterator[Finding]:
    """RFC 9276: NSEC3 iterations MUST be 0 and the salt SHOULD be empty; extra iterations
    cost validators CPU and buy no privacy. Above 100 iterations (systemd-resolved's limit;
    Unbound, BIND 9.18, Knot Resolver and PowerDNS Recursor treat more than 150 as insecure)
    validators stop protecting the zone's negative answers, so that is critical. An unknown
    NSEC3 hash algorithm is critical too: validators cannot use the chain.

    Remediation: re-sign with NSEC3 parameters `1 0 0 -` (SHA-1, no opt-out unless needed,
    0 iterations, no salt), e.g. `dnssec-signzone -3 - -H 0` or `ldns-signzone -n -t 0`.
    """
    if zone.apex is None:
        return
    findings = []
    for answers in zone.usable_answers():
        probe = answers.nonexistent
        if probe is None or probe.response is None:
            continue
        params = {(rdata.algorithm, rdata.iterations, rdata.salt)
                  for rrset in probe.response.authority if rrset.rdtype == dns.rdatatype.NSEC3
                  for rdata in rrset}
        for algorithm, iterations, salt in sorted(params):
            server, evidence = str(answers.server), probe.evidence()
            if algorithm != NSEC3_SHA1:
                findings.append(Finding("DENIAL02", Severity.CRITICAL,
                                        f"NSEC3 hash algorithm {algorithm} is unknown to "
                                        "validators", server, evidence))
            if iterations > VALIDATOR_ITERATION_LIMIT:
                findings.append(Finding("DENIAL02", Severity.CRITICAL,
                                        f"NSEC3 iterations {iterations} exceed what validators "
                                        f"accept (>{VALIDATOR_ITERATION_LIMIT}): negative "
                                        "answers are treated as insecure or fail", server,
                                        evidence))
            elif iterations > 0:
                findings.append(Finding("DENIAL02", Severity.WARNING,
                                        f"NSEC3 iterations {iterations}: RFC 9276 asks for 0",
                                        server, evidence))
            if salt:
                findings.append(Finding("DENIAL02", Severity.WARNING,
                                        f"NSEC3 salt {salt.hex().upper()}: RFC 9276 asks for "
                                        "none", server, evidence))
    yield from merge_servers(findings)
