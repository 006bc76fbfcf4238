"""Computations over a zone's data that several checks share, done once per zone."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Final, Literal, TypeVar

import dns.name
import dns.rdatatype
import dns.rrset
from dns.rdtypes.ANY.DNSKEY import DNSKEY
from dns.rdtypes.ANY.DS import DS

from ..dnssec.authoritative import file_responder
from ..dnssec.chain import Verdict, ancestor_verdicts, ds_verdict, judge_signatures, keyset_verdict
from ..dnssec.signatures import SignatureCheck, verify_rrset
from ..dnssec.zonetree import canonical_order
from ..findings import Finding, Security, Severity, joined
from ..probe.data import ServerAnswers, ZoneData, authoritative_problem, memoized
from ..probe.transport import Exchange, Server
from .evaluation import Evaluation

T = TypeVar("T")
DENIAL_TYPES = (dns.rdatatype.NSEC, dns.rdatatype.NSEC3)


@dataclass(frozen=True)
class ServedRRset:
    """An RRset of the zone as one server serves it, with its RRSIGs and their checks."""

    server: Server
    rrset: dns.rrset.RRset
    rrsigs: dns.rrset.RRset | None
    checks: tuple[SignatureCheck, ...]
    exchange: Exchange

    @property
    def label(self) -> str:
        return f"{self.rrset.name} {dns.rdatatype.to_text(self.rrset.rdtype)}"


def dnskeys_at(answers: ServerAnswers, apex: dns.name.Name) -> dns.rrset.RRset | None:
    exchange = answers.get(apex, dns.rdatatype.DNSKEY)
    if exchange is None or authoritative_problem(exchange) is not None:
        return None
    return exchange.answer(dns.rdatatype.DNSKEY, apex)


def served_key_sets(zone: ZoneData) -> Iterator[tuple[ServerAnswers, dns.rrset.RRset]]:
    """Each usable server with the DNSKEY RRset it serves (those that serve none left out)."""
    assert zone.apex is not None
    for answers in zone.usable_answers():
        keys = dnskeys_at(answers, zone.apex)
        if keys is not None:
            yield answers, keys


def is_signed(zone: ZoneData) -> bool:
    """Whether any server serves a DNSKEY RRset at the apex."""
    assert zone.apex is not None
    return any(dnskeys_at(a, zone.apex) is not None for a in zone.usable_answers())


def all_zone_keys(zone: ZoneData) -> list[DNSKEY]:
    assert zone.apex is not None
    keys: list[DNSKEY] = []
    for answers in zone.usable_answers():
        for key in dnskeys_at(answers, zone.apex) or ():
            if key not in keys:
                keys.append(key)
    return keys


def served_rrsets(zone: ZoneData) -> list[ServedRRset]:
    """Every RRset of the zone's own data at every usable server, signatures verified against
    the DNSKEY RRset that same server serves."""
    return memoized(zone, "served_rrsets", lambda: _served_rrsets(zone))


def _served_rrsets(zone: ZoneData) -> list[ServedRRset]:
    assert zone.apex is not None
    result = _sampled_rrsets(zone)
    if zone.source == "file" and zone.file_content is not None:
        result += _whole_file_rrsets(zone, result)
    return result


def _whole_file_rrsets(zone: ZoneData, sampled: list[ServedRRset]) -> list[ServedRRset]:
    """In a zone file every authoritative RRset is at hand, not only what the live questions
    sample: each one's signatures get the same checks (expiry, verification, inception)."""
    assert zone.apex is not None and zone.servers
    apex = zone.apex
    responder = file_responder(zone)
    tree = responder.tree
    server = zone.servers[0]
    keys = list(dnskeys_at(zone.answers[server], zone.apex) or ()) if server in zone.answers \
        else []
    seen = {(r.rrset.name, r.rrset.rdtype) for r in sampled}
    extra = []
    # "file", or "axfr"/"walk" for a live server's whole copy judged as a file is
    soa = zone.answers[server].get(zone.apex, dns.rdatatype.SOA) if server in zone.answers \
        else None
    transport = soa.transport if soa is not None else "file"

    def add(exchange: Exchange, rrset: dns.rrset.RRset | None,
            rrsigs: dns.rrset.RRset | None) -> None:
        if rrset is not None:
            checks = verify_rrset(rrset, rrsigs, keys, apex)
            extra.append(ServedRRset(server, rrset, rrsigs, tuple(checks), exchange))

    denial = [(n, dns.rdatatype.NSEC3) for n in tree.nsec3_owners]
    denial += [(n, dns.rdatatype.NSEC) for n in tree.authoritative
               if tree.rdataset(n, dns.rdatatype.NSEC) is not None]
    for name, rdtype in sorted(denial, key=lambda item: (canonical_order(item[0]), item[1])):
        response = responder.denial_record(name, rdtype)
        if response is None or (name, rdtype) in seen:
            continue  # not served: a stray chain's records never reach a validator
        exchange = Exchange(server, name, rdtype, False, response, transport, None, 0.0)
        add(exchange, response.authority[0], exchange.signatures(rdtype, name, "authority"))
    for name in sorted(tree.authoritative, key=canonical_order):
        for rdataset in tree.zone.nodes[name].rdatasets:
            rdtype = rdataset.rdtype
            if rdtype in (dns.rdatatype.RRSIG, *DENIAL_TYPES) or (name, rdtype) in seen:
                continue
            if name in tree.cuts and rdtype != dns.rdatatype.DS:
                continue  # a delegation's NS is the child's, unsigned in the parent
            exchange = Exchange(server, name, rdtype, False, responder.respond(name, rdtype),
                                transport, None, 0.0)
            add(exchange, exchange.answer(rdtype, name), exchange.signatures(rdtype, name))
    return extra


def _sampled_rrsets(zone: ZoneData) -> list[ServedRRset]:
    assert zone.apex is not None
    result = []
    for answers in zone.usable_answers():
        keys = list(dnskeys_at(answers, zone.apex) or all_zone_keys(zone))
        exchanges = [e for e in answers.exchanges.values() if authoritative_problem(e) is None]
        for exchange in exchanges:
            rrset = exchange.answer(exchange.rdtype, exchange.qname)
            if rrset is None:
                continue
            rrsigs = exchange.signatures(exchange.rdtype, exchange.qname)
            checks = verify_rrset(rrset, rrsigs, keys, zone.apex)
            result.append(ServedRRset(answers.server, rrset, rrsigs, tuple(checks), exchange))
        for probe in (answers.nonexistent, answers.nodata):
            if probe is None or authoritative_problem(probe) is not None:
                continue
            assert probe.response is not None
            for rrset in probe.response.authority:
                if rrset.rdtype in DENIAL_TYPES and not any(
                        r.server == answers.server and r.rrset == rrset for r in result):
                    rrsigs = probe.signatures(rrset.rdtype, rrset.name, section="authority")
                    checks = verify_rrset(rrset, rrsigs, keys, zone.apex)
                    result.append(ServedRRset(answers.server, rrset, rrsigs, tuple(checks),
                                              probe))
    return result


@dataclass(frozen=True)
class ParentDS:
    """The DS RRset of the zone as one parent server serves it, and the verdict on it."""

    server: Server
    exchange: Exchange
    rrset: dns.rrset.RRset | None
    verdict: Verdict


def parent_ds(zone: ZoneData, evaluation: Evaluation) -> list[ParentDS]:
    return memoized(zone, ("parent_ds", evaluation.now, evaluation.anchors.source),
                    lambda: _parent_ds(zone, evaluation))


def _parent_ds(zone: ZoneData, evaluation: Evaluation) -> list[ParentDS]:
    assert zone.apex is not None
    if zone.source == "file":
        return [_given_ds(zone.apex, server, exchange)
                for server, exchange in zone.ds_answers.items()]
    chain = ancestor_verdicts(zone, evaluation.anchors, parent_moment(zone, evaluation))
    if not chain or zone.parent is None:
        return []
    parent = chain[-1][1]
    result = []
    for server, exchange in zone.ds_answers.items():
        rrset, verdict = ds_verdict(zone.apex, exchange, parent, zone.parent,
                                    parent_moment(zone, evaluation))
        result.append(ParentDS(server, exchange, rrset, verdict))
    return result


def _given_ds(apex: dns.name.Name, server: Server, exchange: Exchange) -> ParentDS:
    """A DS file (file mode): the DS set as the parent will publish it. No parent signs it
    here, so it is taken as proven; the checks judge the zone against it."""
    rrset = exchange.answer(dns.rdatatype.DS, apex)
    if rrset is None:
        verdict = Verdict(Security.INSECURE, None, f"the DS file {server} has no DS for {apex}",
                          exchange.evidence())
    else:
        verdict = Verdict(Security.SECURE, None, f"the DS set of {apex} as given by {server}",
                          exchange.evidence())
    return ParentDS(server, exchange, rrset, verdict)


def parent_ds_records(zone: ZoneData, evaluation: Evaluation) -> list[DS]:
    """Every DS record the parent's servers serve for the zone, server by server."""
    return [ds for entry in parent_ds(zone, evaluation) for ds in entry.rrset or ()]


def chain_verdicts(zone: ZoneData, evaluation: Evaluation) -> list[tuple[dns.name.Name, Verdict]]:
    return memoized(zone, ("chain", evaluation.now, evaluation.anchors.source),
                    lambda: ancestor_verdicts(zone, evaluation.anchors,
                                              parent_moment(zone, evaluation)))


def parent_moment(zone: ZoneData, evaluation: Evaluation) -> float:
    """When the data above the zone (its parent's DS, the ancestors' keys) is judged: as of
    the evaluation, but never later than it was fetched. Parents re-sign on their own
    schedule (.com's DS signatures live a week, the root's two), so a what-if run (`--at`)
    days ahead would otherwise find every chain broken above the zones it is asked about."""
    fetched = zone.collected_at
    return min(evaluation.now, fetched) if fetched else evaluation.now


def ds_rrset(zone: ZoneData, evaluation: Evaluation) -> dns.rrset.RRset | None:
    """The DS RRset the parent serves (the first parent server that answered it)."""
    for entry in parent_ds(zone, evaluation):
        if entry.rrset is not None:
            return entry.rrset
    return None


# `unusable_servers(zone, EVERY_QUESTION)`: the check reads every answer of the zone.
EVERY_QUESTION: tuple[dns.rdatatype.RdataType, ...] = ()
# What a check's registration asks the runner for (`@register(unusable=...)`): the servers
# that gave nothing usable (SERVERS_ONLY), or also their unusable answers to these questions
# (EVERY_QUESTION, or a tuple of types).
SERVERS_ONLY: Final = "servers"
Unusable = tuple[dns.rdatatype.RdataType, ...] | Literal["servers"]


def unusable_servers(zone: ZoneData,
                     questions: Iterable[dns.rdatatype.RdataType] | None = None) -> list[Finding]:
    """A could-not-check finding for each authoritative server that gave nothing usable and,
    at the servers that did answer, for each of the check's `questions` (EVERY_QUESTION: all
    that were asked) whose answer is unusable: data a server did not deliver is unknown
    there, never absent."""
    findings = []
    wanted = None if questions is None else tuple(questions)
    for answers in zone.answers.values():
        if answers.failure is not None:
            evidence = joined(*(e.evidence for e in answers.exchanges.values()))
            findings.append(Finding(Severity.ERROR,
                                    f"could not check this server: {answers.failure}",
                                    str(answers.server), evidence, code="server-unusable"))
            continue
        if wanted is None:
            continue
        for (owner, rdtype), exchange in answers.exchanges.items():
            problem = authoritative_problem(exchange)
            if problem is None or (wanted and rdtype not in wanted):
                continue
            findings.append(Finding(Severity.ERROR,
                                    f"could not check {owner} {dns.rdatatype.to_text(rdtype)} "
                                    f"at this server: {problem}", str(answers.server),
                                    exchange.evidence(), code="answer-unusable"))
    return findings


def merge_servers(findings: Iterable[Finding]) -> list[Finding]:
    """Fold findings that differ only by server into one naming every server."""
    groups: dict[tuple[object, ...], list[Finding]] = defaultdict(list)
    for finding in findings:
        groups[(finding.check, finding.severity, finding.message)].append(finding)
    merged = []
    for group in groups.values():
        first = group[0]
        servers = [f.server for f in group if f.server]
        server = ", ".join(dict.fromkeys(servers)) if servers else None
        days = [f.days_left for f in group if f.days_left is not None]
        merged.append(replace(first, server=server, days_left=min(days) if days else None,
                              evidence=first.raw_evidence))
    return merged


def zone_security(zone: ZoneData, evaluation: Evaluation) -> Security:
    """Our own verdict on the zone as a validator would reach it: secure, insecure, bogus (at
    any of its servers), or unknown when the data to decide could not be fetched."""
    return memoized(zone, ("security", evaluation.now, evaluation.anchors.source),
                    lambda: _zone_security(zone, evaluation))


def _zone_security(zone: ZoneData, evaluation: Evaluation) -> Security:
    if zone.discovery_failure is not None or zone.apex is None:
        return Security.UNKNOWN
    for _apex, verdict in chain_verdicts(zone, evaluation):
        if verdict.security is not Security.SECURE:
            return verdict.security
    decisive = [e for e in parent_ds(zone, evaluation)
                if e.verdict.security is not Security.UNKNOWN]
    if not decisive:
        return Security.UNKNOWN
    if any(e.verdict.security is Security.BOGUS for e in decisive):
        return Security.BOGUS
    ds = next((e.rrset for e in decisive if e.rrset is not None), None)
    if ds is None:
        return Security.INSECURE
    served = served_rrsets(zone)
    for answers in zone.usable_answers():
        keys = keyset_verdict(zone.apex, answers.get(zone.apex, dns.rdatatype.DNSKEY), ds,
                              None, evaluation.now)
        if keys.security is not Security.SECURE:
            return keys.security
        for entry in served:
            if entry.server != answers.server or entry.rrset.rdtype in DENIAL_TYPES:
                continue
            verdict = judge_signatures(list(entry.checks), list(keys.keys), entry.label,
                                       evaluation.now)
            if verdict.security is not Security.SECURE:
                return verdict.security
    return Security.SECURE
