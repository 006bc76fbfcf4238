"""The denial family (marker `denial`, suite `suites/test_denial.py`): negative answers carry
NSEC or NSEC3 records whose signatures verify and that prove what the answer says, checked as
a validator checks them (RFC 4035 §5.4, RFC 5155 §8), with NSEC3 parameters that validators
accept; in file mode, the whole denial chain (DENIAL10).

Every authoritative server is asked for a random name under the apex (NXDOMAIN is due) and
for a private-use type at the apex (NODATA is due); what each answer proves is computed once
per zone in `analysis.denial`, the proofs themselves are `dnssec.nsec` and `dnssec.nsec3`.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Iterator

import dns.flags
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset
from dns.rdtypes.ANY.DNSKEY import DNSKEY
from dns.rdtypes.ANY.NSEC3PARAM import NSEC3PARAM

from ..analysis.denial import (
    NSEC3_SHA1,
    VALIDATOR_ITERATION_LIMIT,
    DenialVerdict,
    Probe,
    dname_of,
    is_compact,
    is_negative,
    joined_evidence,
    keys_by_server,
    probes,
    proof_findings,
    verdicts,
)
from ..analysis.evaluation import Evaluation
from ..analysis.zone import DENIAL_TYPES, SERVERS_ONLY, is_signed, served_rrsets
from ..catalog import register
from ..dnssec import nsec3
from ..dnssec.authoritative import file_responder
from ..dnssec.signatures import Crypto, verify_rrset
from ..dnssec.walk import ChainWalk, walk_denial_chains
from ..errors import NotApplicable
from ..findings import Category, Finding, Severity
from ..probe.data import ZoneData, authoritative_problem, memoized
from ..probe.transport import Server


@register(id="DENIAL01", name="negative-answer-proof", category=Category.DENIAL,
          title="A negative answer carries signed NSEC or NSEC3 records",
          severity=Severity.CRITICAL, rfc="RFC 4035 §3.1.3, RFC 5155 §7.2", marker="denial",
          codes=("denial-records-missing", "denial-rrsig-missing"),
          merge=True, unusable=SERVERS_ONLY)
def negative_answer_proof(zone: ZoneData, ev: Evaluation) -> list[Finding]:
    """Each server is asked for a random name under the apex, which cannot exist, and for a
    private-use type (65280) at the apex, which it does not have. In a signed zone both
    negative answers must carry NSEC or NSEC3 records with their RRSIGs in the authority
    section; without them validators cannot prove the name or the type absent and fail the
    lookup (SERVFAIL for every typo and every NXDOMAIN-based probe). Whether the records
    prove the answer is DENIAL03 and DENIAL04; whether their signatures verify, DENIAL05.

    Remediation: re-sign the zone with NSEC or NSEC3 enabled (the signer's denial chain must
    not be stripped by post-processing or by the serving software's configuration).
    """
    if zone.apex is None:
        return []
    findings: list[Finding] = []
    for probe in probes(zone) if is_signed(zone) else ():
        if not probe.usable or not is_negative(probe):
            continue
        server, evidence = str(probe.server), probe.evidence
        if not probe.denial:
            absent = "name" if probe.due == "NXDOMAIN" else "type"
            findings.append(Finding(Severity.CRITICAL,
                                    f"{probe.label}: negative answer without NSEC or NSEC3 "
                                    f"records: validators cannot prove the {absent} absent",
                                    server, evidence, code="denial-records-missing"))
            continue
        for rrset in probe.denial:
            if probe.exchange.signatures(rrset.rdtype, rrset.name, section="authority") is None:
                findings.append(Finding(Severity.CRITICAL,
                                        f"{rrset.name} {dns.rdatatype.to_text(rrset.rdtype)} "
                                        "in a negative answer has no RRSIG", server, evidence,
                                        code="denial-rrsig-missing"))
    return findings


def validator_cost(params: nsec3.Nsec3Params) -> int:
    """SHA-1 compressions per name as Knot Resolver prices them: one per 64 octets of (20-octet
    hash + salt), for each of the iterations + 1."""
    return (params.iterations + 1) * ((len(params.salt) + 19) // 64 + 1)


@register(id="DENIAL02", name="nsec3-parameters", category=Category.DENIAL,
          title="NSEC3 uses no extra iterations and no salt",
          severity=Severity.CRITICAL, rfc="RFC 9276 §3.1, §3.2; RFC 5155 §10.3",
          marker="denial",
          codes=("nsec3-algorithm-unknown", "nsec3-iterations", "nsec3-iterations-over-maximum",
                 "nsec3-iterations-over-validators", "nsec3-salt"),
          merge=True, unusable=SERVERS_ONLY)
def nsec3_parameters(zone: ZoneData, ev: Evaluation) -> list[Finding]:
    """RFC 9276: NSEC3 iterations MUST be 0 and the salt SHOULD be empty; extra iterations
    cost validators CPU and buy no privacy. Either is a warning. Past the limits of widely
    deployed validators the zone's negative answers are treated as insecure (or SERVFAIL),
    which is critical. Those limits, on extra iterations: Knot Resolver, 50 (lib/dnssec/nsec3.h
    `kr_nsec3_limited`; it prices SHA-1 blocks, so a salt over 44 octets halves the limit);
    PowerDNS Recursor 5.0 and later, 50 (`nsec3-max-iterations`, lowered from 150 in pdns
    pull request 13478); systemd-resolved, 100 (`NSEC3_ITERATIONS_MAX`, 2024); BIND 9.16.16
    and later, 150 (CHANGES entry 5630, GL #2445); Unbound 1.13.2 and later, 150
    (`val-nsec3-keysize-iterations` "1024 150 2048 150 4096 150"). The lowest, Knot Resolver's
    rule, is the one applied. Above 2500 iterations (RFC 5155 §10.3's maximum) the denial
    checks refuse to hash the records at all. An unknown NSEC3 hash algorithm is critical
    too: validators ignore such records (RFC 5155 §8.1). Only the NSEC3 records that the
    servers hand out count here; the apex NSEC3PARAM is DENIAL07's.

    Remediation: re-sign with NSEC3 parameters `1 0 0 -` (SHA-1, no opt-out unless needed,
    0 iterations, no salt), e.g. `dnssec-signzone -3 - -H 0` or `ldns-signzone -n -t 0`.
    """
    if zone.apex is None:
        return []
    findings = []
    for probe in probes(zone):
        if not probe.usable:
            continue
        server, evidence = str(probe.server), probe.evidence
        for params in sorted(nsec3.parameters(probe.denial)):
            if params.algorithm != NSEC3_SHA1:
                findings.append(Finding(Severity.CRITICAL,
                                        f"NSEC3 hash algorithm {params.algorithm} is unknown "
                                        "to validators: they ignore these records", server,
                                        evidence, code="nsec3-algorithm-unknown"))
            if params.iterations > nsec3.MAX_ITERATIONS:
                findings.append(Finding(Severity.CRITICAL,
                                        f"NSEC3 iterations {params.iterations} exceed "
                                        f"{nsec3.MAX_ITERATIONS}, RFC 5155 §10.3's maximum: "
                                        "validators treat negative answers as insecure (not "
                                        "hashed here)", server, evidence,
                                        code="nsec3-iterations-over-maximum"))
            elif validator_cost(params) > VALIDATOR_ITERATION_LIMIT + 1:
                findings.append(Finding(Severity.CRITICAL,
                                        f"NSEC3 iterations {params.iterations} (salt "
                                        f"{len(params.salt)} octets) exceed what validators "
                                        f"accept (Knot Resolver and PowerDNS Recursor: "
                                        f"{VALIDATOR_ITERATION_LIMIT}): negative answers are "
                                        "treated as insecure or fail", server, evidence,
                                        code="nsec3-iterations-over-validators"))
            elif params.iterations > 0:
                findings.append(Finding(Severity.WARNING,
                                        f"NSEC3 iterations {params.iterations}: RFC 9276 asks "
                                        "for 0", server, evidence, code="nsec3-iterations"))
            if params.salt:
                findings.append(Finding(Severity.WARNING,
                                        f"NSEC3 salt {params.salt.hex().upper()}: RFC 9276 "
                                        "asks for none", server, evidence, code="nsec3-salt"))
    return findings


@register(id="DENIAL03", name="nxdomain-proof", category=Category.DENIAL,
          title="The NXDOMAIN answer proves the name absent",
          severity=Severity.CRITICAL, rfc="RFC 4035 §5.4, RFC 5155 §8.4", marker="denial",
          merge=True, unusable=SERVERS_ONLY)
def nxdomain_proof(zone: ZoneData, ev: Evaluation) -> list[Finding]:
    """The NXDOMAIN for the random name must prove, as a validator checks it, that the name
    does not exist and that no wildcard could have answered for it. NSEC (RFC 4035 §5.4): a
    record covering the name (not from a delegation point, RFC 6840 §4.1, and whose next
    name is not below the name, which would make it an existing empty non-terminal), and a
    record covering the wildcard at the closest encloser. NSEC3 (RFC 5155 §8.4): a record
    matching the closest encloser, one covering the next closer name, one covering the
    wildcard at the closest encloser. A gap in the chain, a wrong hash, a record missing
    from the answer: validators find the answer bogus and fail the lookup. When the next
    closer name is covered only by an opt-out span the NXDOMAIN is merely insecure: reported
    as information. Records that cannot be hashed (over 2500 iterations) are a could-not-check.

    Remediation: re-sign the zone so that the NSEC/NSEC3 chain is complete and matches the
    zone's names (a signer that edits the chain incrementally, or a zone file changed after
    signing, leaves gaps); make sure every server serves the same, freshly signed version.
    """
    if zone.apex is None:
        return []
    findings = []
    for verdict in verdicts(zone) if is_signed(zone) else ():
        if verdict.claim == "nxdomain":
            findings += proof_findings(verdict, "the NXDOMAIN")
    return findings


@register(id="DENIAL04", name="nodata-proof", category=Category.DENIAL,
          title="The NODATA answer proves the type absent",
          severity=Severity.CRITICAL, rfc="RFC 4035 §5.4, RFC 5155 §8.5, §8.7",
          marker="denial",
          codes=("nodata-name-has-records",), merge=True, unusable=SERVERS_ONLY)
def nodata_proof(zone: ZoneData, ev: Evaluation) -> list[Finding]:
    """The NODATA answer for a type the apex does not have must carry the NSEC or NSEC3
    record of the apex, and its type bitmap must have neither the type nor CNAME (RFC 4035
    §5.4, RFC 5155 §8.5). When a wildcard answers the random name without the asked type, the
    wildcard NODATA proof applies (RFC 4035 §3.1.3.4, RFC 5155 §8.7): the name itself is
    covered (NSEC) or a closest-encloser proof is given (NSEC3), and the wildcard's record has
    neither the type nor CNAME. A random name denied by a NODATA at itself (RFC 9824 compact
    denial, as online signers answer) is held to the same rule: the NSEC at the name must
    not list the queried type or CNAME. A bitmap that lists the type, or an answer without
    the matching record, is bogus to validators.

    Remediation: re-sign the zone so that each NSEC/NSEC3 bitmap lists exactly the types at
    its name, and make sure the server returns the record matching the name in NODATA
    answers (a server that returns a covering record instead has a broken chain index).
    """
    if zone.apex is None:
        return []
    findings = []
    signed = is_signed(zone)
    for verdict in verdicts(zone) if signed else ():
        if verdict.claim == "nodata":
            findings += proof_findings(verdict, "the NODATA")
        elif verdict.claim == "wildcard-nodata":
            findings += proof_findings(verdict, "the wildcard NODATA")
        elif verdict.claim == "name-nodata":
            findings += proof_findings(verdict,
                                       "the NODATA at the name itself (compact denial)")
    for probe in probes(zone) if signed else ():
        if probe.usable and probe.due == "NODATA" and probe.answer is not None:
            findings.append(Finding(Severity.ERROR,
                                    f"could not check the NODATA proof: {probe.label} has "
                                    "records", str(probe.server), probe.evidence(),
                                    code="nodata-name-has-records"))
    return findings


@register(id="DENIAL05", name="denial-signatures", category=Category.DENIAL,
          title="The NSEC and NSEC3 records of the answers carry RRSIGs that verify",
          severity=Severity.CRITICAL, rfc="RFC 4035 §5.4, RFC 5155 §8.1", marker="denial",
          codes=("denial-rrsig-invalid", "denial-rrsig-invalid-other-valid",
                 "denial-rrsig-key-missing", "signed-by-other-zone", "wildcard-rrsig-missing"),
          merge=True, unusable=SERVERS_ONLY)
def denial_signatures(zone: ZoneData, ev: Evaluation) -> list[Finding]:
    """A denial proof holds only if the NSEC/NSEC3 records in it are authentic: each must
    carry an RRSIG by the zone that verifies with a key of the zone's DNSKEY RRset (the one
    the same server serves). A corrupted signature, a signature by an unpublished key, or one
    by another signer name makes the proof bogus. Validity dates are the expiry checks'
    (EXPIRY01, CLOCK01) business; a missing RRSIG in a negative answer is DENIAL01's, in a
    wildcard answer this check's. A failing signature beside one that verifies is a warning.

    Remediation: re-sign the zone with its published keys (NSEC/NSEC3 records are signed like
    any RRset by the ZSK); look for whatever rewrites the chain after signing.
    """
    if zone.apex is None:
        return []
    findings = []
    keys = keys_by_server(zone)
    for probe in probes(zone) if is_signed(zone) else ():
        if probe.usable:
            findings += _denial_signature_findings(zone.apex, probe, keys[probe.server])
    return findings


def _denial_signature_findings(apex: dns.name.Name, probe: Probe, keys: list[DNSKEY]
                               ) -> list[Finding]:
    findings = []
    server, evidence = str(probe.server), probe.evidence
    for rrset in probe.denial:
        label = f"{rrset.name} {dns.rdatatype.to_text(rrset.rdtype)}"
        rrsigs = probe.exchange.signatures(rrset.rdtype, rrset.name, section="authority")
        if rrsigs is None:
            if probe.answer is not None:
                findings.append(Finding(Severity.CRITICAL,
                                        f"{label} in a wildcard answer has no RRSIG", server,
                                        evidence, code="wildcard-rrsig-missing"))
            continue
        checks = verify_rrset(rrset, rrsigs, keys, apex)
        if not checks:
            signers = ", ".join(sorted({str(s.signer) for s in rrsigs}))
            findings.append(Finding(Severity.CRITICAL,
                                    f"{label} is signed by {signers}, not by the zone {apex}",
                                    server, evidence, code="signed-by-other-zone"))
            continue
        verified = any(c.crypto is Crypto.VALID for c in checks)
        for check in checks:
            if check.crypto is Crypto.INVALID and verified:
                findings.append(Finding(Severity.WARNING,
                                        f"{check.label} does not verify (another one does)",
                                        server, evidence, code="denial-rrsig-invalid-other-valid"))
            elif check.crypto is Crypto.INVALID:
                findings.append(Finding(Severity.CRITICAL,
                                        f"{check.label} does not verify: the denial proof is "
                                        "bogus", server, evidence, code="denial-rrsig-invalid"))
            elif check.crypto is Crypto.NO_KEY:
                findings.append(Finding(Severity.INFO if verified else Severity.CRITICAL,
                                        f"{check.label}: no DNSKEY with key tag "
                                        f"{check.rrsig.key_tag} is published", server,
                                        evidence, code="denial-rrsig-key-missing"))
    return findings


def _methods(probe: Probe) -> frozenset[str]:
    return frozenset(dns.rdatatype.to_text(r.rdtype) for r in probe.denial)


@register(id="DENIAL06", name="denial-method-consistency", category=Category.DENIAL,
          title="The zone uses one denial method, NSEC or NSEC3, at every server",
          severity=Severity.WARNING, rfc="RFC 5155 §10.4, RFC 4035 §2.3", marker="denial",
          codes=("mixed-answer", "mixed-server", "servers-disagree"),
          merge=True, unusable=SERVERS_ONLY)
def denial_method_consistency(zone: ZoneData, ev: Evaluation) -> list[Finding]:
    """A zone's negative answers use NSEC or NSEC3, not both: an answer that mixes them, or
    servers that serve one and the other, mean two signed versions of the zone are live (an
    unfinished NSEC to NSEC3 transition, RFC 5155 §10.4, or a secondary that did not
    transfer the re-signed zone). Validators accept either method answer by answer (each
    proof is checked by DENIAL03 and DENIAL04), so this is a warning: the next change to the
    zone can break the version nobody looks at.

    Remediation: finish the transition (or roll it back) on the signer, and make every
    secondary transfer the current version (compare SOA serials across servers).
    """
    if zone.apex is None:
        return []
    findings = []
    per_server: dict[Server, set[str]] = defaultdict(set)
    for probe in probes(zone) if is_signed(zone) else ():
        if not probe.usable:
            continue
        probe_methods = _methods(probe)
        per_server[probe.server] |= probe_methods
        if len(probe_methods) > 1:
            findings.append(Finding(Severity.WARNING,
                                    f"{probe.label}: the answer mixes NSEC and NSEC3 records",
                                    str(probe.server), probe.evidence(), code="mixed-answer"))
    for server, methods in per_server.items():
        if len(methods) > 1:
            findings.append(Finding(Severity.WARNING,
                                    "the server's negative answers use both NSEC and NSEC3",
                                    str(server), code="mixed-server"))
    distinct = {frozenset(m) for m in per_server.values() if m}
    if len(distinct) > 1:
        summary = "; ".join(f"{'+'.join(sorted(m))} at {s}"
                            for s, m in sorted(per_server.items()) if m)
        findings.append(Finding(Severity.WARNING,
                                f"servers disagree on the denial method: {summary}",
                                code="servers-disagree"))
    return findings


def _param_text(rdata: NSEC3PARAM) -> str:
    return f"{rdata.algorithm} {rdata.flags} {rdata.iterations} {rdata.salt.hex().upper() or '-'}"


@register(id="DENIAL07", name="nsec3param-consistency", category=Category.DENIAL,
          title="NSEC3PARAM agrees with the NSEC3 records and across servers",
          severity=Severity.WARNING, rfc="RFC 5155 §4, §7.3", marker="denial",
          codes=("nsec3-other-parameters", "nsec3param-flags", "nsec3param-missing",
                 "nsec3param-unusable", "nsec3param-unused", "servers-disagree"),
          merge=True, unusable=SERVERS_ONLY)
def nsec3param_consistency(zone: ZoneData, ev: Evaluation) -> list[Finding]:
    """The NSEC3PARAM record at the apex tells authoritative servers, and the signers and
    secondaries that load the zone, which NSEC3 chain to use (RFC 5155 §4, §7.3). It must be
    present when the answers use NSEC3, name the parameters the served NSEC3 records have,
    have flags 0 (servers ignore an NSEC3PARAM with other flags, RFC 5155 §4.1.2), be absent
    from an NSEC zone, and be the same at every server. Validators never read it, so a
    disagreement is a warning: answers validate today, but a server or a secondary that picks
    its chain by NSEC3PARAM may serve no proof, or another chain, tomorrow.

    Remediation: let the signer manage NSEC3PARAM (do not carry one over by hand from an
    older zone file); after changing NSEC3 parameters wait until the new chain is complete
    and every server serves it; re-transfer stale secondaries.
    """
    if zone.apex is None:
        return []
    apex = zone.apex
    findings = []
    announced: dict[Server, frozenset[str]] = {}
    served_by: dict[Server, list[Probe]] = defaultdict(list)
    for probe in probes(zone):
        if probe.usable:
            served_by[probe.server].append(probe)
    for answers in zone.usable_answers() if is_signed(zone) else ():
        exchange = answers.get(apex, dns.rdatatype.NSEC3PARAM)
        if exchange is None:
            continue
        server = str(answers.server)
        if authoritative_problem(exchange) is not None:
            findings.append(Finding(Severity.ERROR,
                                    f"could not check NSEC3PARAM: "
                                    f"{authoritative_problem(exchange)}", server,
                                    exchange.evidence(), code="nsec3param-unusable"))
            continue
        rrset = exchange.answer(dns.rdatatype.NSEC3PARAM, apex)
        params = list(rrset or ())
        announced[answers.server] = frozenset(_param_text(p) for p in params)
        served = served_by[answers.server]
        nsec3_params = set().union(*(nsec3.parameters(p.denial) for p in served)) \
            if served else set()
        uses_nsec = any(dns.rdatatype.NSEC in (r.rdtype for r in p.denial) for p in served)
        evidence = functools.partial(joined_evidence, exchange, served)
        for param in params:
            if param.flags != 0:
                findings.append(Finding(Severity.WARNING,
                                        f"NSEC3PARAM {_param_text(param)} has flags "
                                        f"{param.flags}: servers ignore an NSEC3PARAM whose "
                                        "flags are not 0 (RFC 5155 §4.1.2)", server, evidence,
                                        code="nsec3param-flags"))
        usable = {nsec3.Nsec3Params(p.algorithm, p.iterations, bytes(p.salt)) for p in params
                  if p.flags == 0}
        if nsec3_params and not params:
            findings.append(Finding(Severity.WARNING,
                                    "NSEC3 records are served but the apex has no NSEC3PARAM",
                                    server, evidence, code="nsec3param-missing"))
        elif nsec3_params and usable and not nsec3_params <= usable:
            stray = ", ".join(p.text for p in sorted(nsec3_params - usable))
            findings.append(Finding(Severity.WARNING,
                                    f"NSEC3 records use parameters {stray} but NSEC3PARAM "
                                    f"says {', '.join(sorted(announced[answers.server]))}",
                                    server, evidence, code="nsec3-other-parameters"))
        if params and uses_nsec and not nsec3_params:
            findings.append(Finding(Severity.WARNING,
                                    f"NSEC3PARAM {', '.join(sorted(announced[answers.server]))}"
                                    " is at the apex but the negative answers use NSEC",
                                    server, evidence, code="nsec3param-unused"))
    if len(set(announced.values())) > 1:
        summary = "; ".join(f"{', '.join(sorted(v)) or 'none'} at {s}"
                            for s, v in sorted(announced.items()))
        findings.append(Finding(Severity.WARNING,
                                f"servers disagree on NSEC3PARAM: {summary}",
                                code="servers-disagree"))
    return findings


def _rcode_findings(probe: Probe, verdict: DenialVerdict | None) -> Iterable[Finding]:
    server = str(probe.server)
    exchange = probe.exchange
    if exchange.response is None:
        failure = exchange.failure or "no answer"
        if exchange.truncated:
            yield Finding(Severity.CRITICAL,
                          f"{probe.label}: {failure}: validators cannot get the denial proof",
                          server, exchange.evidence(), code="truncated")
        else:
            yield Finding(Severity.ERROR,
                          f"could not check the answer for {probe.label}: {failure}", server,
                          exchange.evidence(), code="answer-unusable")
        return
    evidence = probe.evidence
    rcode = dns.rcode.to_text(exchange.response.rcode())
    if probe.truncated:
        yield Finding(Severity.CRITICAL,
                      f"{probe.label}: the {probe.due} answer is truncated (TC) even over "
                      f"{exchange.transport or 'the transport used'}", server, evidence,
                      code="truncated-over-tcp")
        return
    if exchange.response.rcode() not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
        due = "NXDOMAIN" if probe.due == "NXDOMAIN" else "NODATA (NOERROR, no records)"
        yield Finding(Severity.CRITICAL,
                      f"{probe.label}: {rcode} where {due} was due", server, evidence,
                      code="wrong-rcode")
        return
    if not exchange.response.flags & dns.flags.AA:
        yield Finding(Severity.CRITICAL,
                      f"{probe.label}: {rcode} without the AA flag: the server does not answer "
                      "for the zone's names authoritatively", server, evidence,
                      code="not-authoritative")
        return
    if probe.due == "NODATA" and exchange.response.rcode() == dns.rcode.NXDOMAIN:
        yield Finding(Severity.CRITICAL,
                      f"{probe.label}: NXDOMAIN for the zone apex, which exists: NODATA was "
                      "due", server, evidence, code="nxdomain-for-apex")
    if verdict is not None and verdict.claim == "unproven":
        why = "" if verdict.proof is None else \
            f" (and no NODATA is proven either: {verdict.proof.reason})"
        yield Finding(Severity.CRITICAL,
                      f"{probe.label}: NOERROR with no records where NXDOMAIN was due{why}",
                      server, probe.evidence(verdict.proof), code="noerror-for-nxdomain")
    elif verdict is not None and verdict.claim == "name-nodata" and verdict.proof is not None \
            and verdict.proof.proven:
        how = ("compact denial of existence (RFC 9824), which validators accept"
               if is_compact(probe) else "the denial validates as NODATA")
        yield Finding(Severity.INFO,
                      f"{probe.label}: {rcode} with an NSEC at the name itself where an "
                      f"NXDOMAIN proof was due: {how}", server, probe.evidence(verdict.proof),
                      code="compact-denial")


@register(id="DENIAL08", name="negative-answer-rcode", category=Category.DENIAL,
          title="Negative answers have the right rcode and arrive whole",
          severity=Severity.CRITICAL, rfc="RFC 1035 §4.1.1, RFC 2308 §2, RFC 4035 §3.1.3",
          marker="denial",
          codes=("answer-unusable", "compact-denial", "noerror-for-nxdomain", "not-authoritative",
                 "nxdomain-for-apex", "truncated", "truncated-over-tcp", "wrong-rcode"),
          merge=True, unusable=SERVERS_ONLY)
def negative_answer_rcode(zone: ZoneData, ev: Evaluation) -> list[Finding]:
    """The random name must get NXDOMAIN, and the absent type at the apex NOERROR without
    records (NODATA), both with the AA flag. NOERROR without records for the random name is
    wrong unless a wildcard answers it (checked by DENIAL04) or the answer denies the name
    with a NODATA proof at the name itself (RFC 9824 compact denial, as some online signers
    answer: information). SERVFAIL, REFUSED or any other rcode, NXDOMAIN for the apex, an
    answer truncated even over TCP: validators cannot obtain or cannot use the proof.
    A probe that timed out is a could-not-check.

    Remediation: fix the serving software's configuration for the zone (a zone that failed to
    load, a wrong `notify`/`allow-query`, middleware rewriting answers); make sure TCP port 53
    is open to the server so that large signed answers can be fetched.
    """
    if zone.apex is None:
        return []
    findings: list[Finding] = []
    if is_signed(zone):
        by_probe = {id(v.probe.exchange): v for v in verdicts(zone)}
        for probe in probes(zone):
            findings += _rcode_findings(probe, by_probe.get(id(probe.exchange)))
    return findings


@register(id="DENIAL09", name="wildcard-answer-proof", category=Category.DENIAL,
          title="A wildcard answer proves that no closer name exists",
          severity=Severity.CRITICAL, rfc="RFC 4035 §5.3.4, RFC 5155 §8.8", marker="denial",
          codes=("dname-answer", "synthesized-online", "wildcard-proof-missing",
                 "wildcard-rrsig-invalid", "wildcard-rrsig-missing"),
          merge=True, unusable=SERVERS_ONLY)
def wildcard_answer_proof(zone: ZoneData, ev: Evaluation) -> list[Finding]:
    """When a wildcard answers the random name, the answer is positive but still needs a
    denial: its RRSIG's Labels field shows the wildcard it came from, and the authority
    section must prove that no name closer to the query exists (NSEC: a record covering the
    name whose closest encloser is the wildcard's parent, RFC 4035 §5.3.4; NSEC3: a record
    covering the next closer name, RFC 5155 §8.8). Without that proof validators reject the
    answer, since an attacker could replay the wildcard over names that exist. The RRSIG
    over the answer must verify too. An answer signed as the name itself (a server that
    synthesizes every name and signs it on the fly) needs no denial, nor does a CNAME
    synthesized from a DNAME above the name (unsigned by design, RFC 4035 §3.2.4):
    information.

    Remediation: serve the NSEC/NSEC3 proof with wildcard answers (a signer or server that
    drops it is broken; upgrade or report it), or remove the wildcard if it is not intended.
    """
    if zone.apex is None:
        return []
    findings = []
    keys = keys_by_server(zone)
    for verdict in verdicts(zone) if is_signed(zone) else ():
        probe = verdict.probe
        if verdict.claim == "dname-answer":
            dname = dname_of(probe)
            findings.append(Finding(Severity.INFO,
                                    f"{probe.label}: answered through the DNAME at "
                                    f"{dname.name if dname else '?'}: no denial to check",
                                    str(probe.server), probe.evidence(), code="dname-answer"))
            continue
        if verdict.claim not in ("wildcard-answer", "signed-answer"):
            continue
        answer = probe.answer
        assert answer is not None
        server, evidence = str(probe.server), probe.evidence(verdict.proof)
        rrsigs = probe.exchange.signatures(answer.rdtype, answer.name)
        kind = dns.rdatatype.to_text(answer.rdtype)
        if rrsigs is None:
            findings.append(Finding(Severity.CRITICAL,
                                    f"{probe.label}: the {kind} answer for a name that cannot "
                                    "exist has no RRSIG", server, evidence,
                                    code="wildcard-rrsig-missing"))
            continue
        checks = verify_rrset(answer, rrsigs, keys[probe.server], zone.apex)
        if checks and not any(c.crypto is Crypto.VALID for c in checks):
            findings.append(Finding(Severity.CRITICAL,
                                    f"{probe.label}: no RRSIG over the {kind} answer verifies",
                                    server, evidence, code="wildcard-rrsig-invalid"))
        if verdict.claim == "signed-answer":
            findings.append(Finding(Severity.INFO,
                                    f"{probe.label}: answered with {kind} records signed as "
                                    "the name itself (synthesized on the fly): no denial to "
                                    "check", server, evidence, code="synthesized-online"))
        elif verdict.proof is None:
            findings.append(Finding(Severity.CRITICAL,
                                    f"{probe.label}: a wildcard answer without the NSEC or "
                                    "NSEC3 records proving that no closer name exists: "
                                    "validators reject it", server, evidence,
                                    code="wildcard-proof-missing"))
        else:
            findings += proof_findings(verdict, "the wildcard answer")
    return findings


# A broken signer can break every link: the first problems say what happened.
MAX_REPORTED = 25


@register(id="DENIAL10", name="denial-chain-complete", category=Category.DENIAL,
          title="The zone file's whole NSEC/NSEC3 chain is complete, closed and true to its "
                "names", severity=Severity.CRITICAL,
          rfc="RFC 4035 §2.3, RFC 4034 §4.1, RFC 5155 §7.1, §8", marker="denial",
          codes=("chain-complete", "chain-problem", "file-unsigned", "more-chain-problems"))
def denial_chain_complete(zone: ZoneData, ev: Evaluation) -> Iterator[Finding]:
    """A zone file (`zone_file:` in domains.yaml) is walked end to end, as `ldns-verify-zone`
    and `dnssec-verify` do. NSEC (RFC 4035 §2.3): every name with authoritative data and
    every delegation point has one NSEC record, each points to the next name in canonical
    order and the last back to the apex, names below a zone cut have none, and each bitmap
    lists exactly the types at its name plus NSEC and RRSIG. NSEC3 (RFC 5155 §7.1): every
    such name and every empty non-terminal, hashed with the chain's parameters, has its
    NSEC3 record, except unsigned delegations (and the empty non-terminals only they make)
    inside an opt-out span; the records link in hash order and close the loop, and each
    bitmap lists the types at its name. Every chain record carries an RRSIG that verifies
    with the zone's keys (validity dates are EXPIRY01's). A name the chain skips is a name
    validators would accept a denial of; a bitmap that lacks a type lets an attacker deny
    records that exist. The live negative-answer checks (DENIAL01-09) see only the records
    their probes get back, so a hole elsewhere shows only here. Live zones: skipped.

    Remediation: re-sign the zone from its unsigned source with a full (not incremental)
    signing run, and do not edit the signed file afterwards; check the signer's output with
    `ldns-verify-zone` or `dnssec-verify` before publishing it.
    """
    if zone.source != "file" or zone.file_content is None:
        raise NotApplicable("for zone files only (zone_file: in domains.yaml): a live zone's "
                            "chain can only be sampled (DENIAL03-05)")
    walk: ChainWalk = memoized(zone, "denial_chain_walk", lambda: _walk(zone))
    server = str(zone.servers[0]) if zone.servers else None
    if not walk.signed:
        yield Finding(Severity.INFO, "the zone file is unsigned: no denial chain "
                      "to walk", server, code="file-unsigned")
        return
    for problem in walk.problems[:MAX_REPORTED]:
        yield Finding(problem.severity, problem.message, server, problem.evidence,
                      code="chain-problem")
    hidden = walk.problems[MAX_REPORTED:]
    if hidden:
        worst = max(p.severity for p in hidden)
        yield Finding(worst, f"{len(hidden)} more problems in the denial chain "
                      "(the first ones are listed)", server, code="more-chain-problems")
    if all(p.severity is Severity.INFO for p in walk.problems):
        yield Finding(Severity.INFO, f"{', '.join(walk.walked)} chain complete: "
                      f"{walk.names} names walked", server, code="chain-complete")


def _walk(zone: ZoneData) -> ChainWalk:
    """The walk, on the responder's view of the zone, reusing the signatures the whole-file
    checks verified."""
    assert zone.file_content is not None
    verified = {(s.rrset.name, int(s.rrset.rdtype)): s.checks for s in served_rrsets(zone)
                if s.rrset.rdtype in DENIAL_TYPES and s.server in zone.servers}
    return walk_denial_chains(zone.file_content, file_responder(zone).tree, verified)
