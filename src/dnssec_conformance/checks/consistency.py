"""Consistency between a zone's authoritative servers: the same keys, the same version of the
zone, the same NS set, and signatures every server's keys can verify.

Resolvers pick any server and cache what it said: a difference between servers is what one
resolver sees and another does not. A server that cannot be asked is an `error` for that
server; the others are still compared.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

import dns.rdatatype
from dns.rdtypes.ANY.DNSKEY import DNSKEY

from ..analysis.evaluation import Evaluation
from ..analysis.keytiming import answer_rrset, served_keys
from ..analysis.multi_signer import anchored_keys, each_server_anchored, is_other_providers_ksk
from ..analysis.zone import EVERY_QUESTION, ds_rrset, served_rrsets, unusable_servers
from ..catalog import register
from ..dnssec.signatures import Crypto, key_label
from ..findings import Category, Evidence, Finding, Severity
from ..probe.copies import serial_behind
from ..probe.data import ZoneData, authoritative_problem
from ..probe.delegation import resolver_problem
from ..probe.transport import Exchange


@register(id="CONSIST01", name="dnskey-rrset-consistent", category=Category.CONSISTENCY,
          title="Every server serves the same DNSKEY RRset", severity=Severity.WARNING,
          rfc="RFC 7583 §3, RFC 1996", marker="consistency",
          codes=("dnskey-set-differs", "no-route", "not-checked", "other-signer-key"))
def dnskey_rrset_consistent(zone: ZoneData, ev: Evaluation) -> Iterator[Finding]:
    """A secondary that missed a new DNSKEY (or still serves one the primary removed) hands
    resolvers a different key set than the others: harmless while nothing relies on the
    difference, fatal once a DS or a signature does (the rollover checks judge that). Each
    server lacking a key that another serves is reported. In a multi-signer zone (RFC 8901
    model 2) each provider signs its DNSKEY RRset with its own KSK, each with a DS at the
    parent: another provider's KSK missing there is listed as information (a missing ZSK is
    not excused: CONSIST04 judges what it breaks). Name-server addresses this host has no
    route to (IPv6 from a pod without it) are listed as information: not checked.

    Remediation: make the lagging servers transfer the current zone (check NOTIFY, the
    transfer ACLs and the secondaries' logs) before the next rollover step.
    """
    assert zone.apex is not None
    findings = []
    served = served_keys(zone)
    ds_set = list(ds_rrset(zone, ev) or ())
    union: list[DNSKEY] = []
    for entry in served:
        union.extend(k for k in entry.keys if k not in union)
    for entry in served:
        missing = [k for k in union if k not in entry.keys]
        providers = [k for k in missing
                     if is_other_providers_ksk(zone.apex, k, entry, served, ds_set)]
        missing = [k for k in missing if k not in providers]
        if missing:
            holders = {str(e.server) for e in served if any(k in e.keys for k in missing)}
            findings.append(Finding(
                Severity.WARNING,
                f"its DNSKEY RRset lacks {', '.join(key_label(k) for k in missing)} (served by "
                f"{', '.join(sorted(holders))})", entry.label, entry.exchange.evidence(),
                                    code="dnskey-set-differs"))
        if providers:
            findings.append(Finding(
                Severity.INFO,
                f"its DNSKEY RRset lacks {', '.join(key_label(k) for k in providers)}, another "
                "signer's own KSK with a DS at the parent, and is signed by its own: "
                "multi-signer (RFC 8901 model 2)", entry.label, code="other-signer-key"))
    yield from findings
    # not by @register: the servers not asked at all come after the unusable ones
    yield from unusable_servers(zone, (dns.rdatatype.DNSKEY,))
    for server in zone.unreachable:
        # Typically an IPv6 address from a pod without IPv6: say which servers went unchecked.
        yield Finding(Severity.INFO,
                      "not checked: this host has no route to this address", str(server),
                      code="no-route")
    for skipped in zone.not_queried:
        # An address no resolver should use, or a name without any, is a broken delegation;
        # addresses beyond the bounds are only counted (a hostile delegation can list 10,000).
        severity = Severity.INFO if skipped.kind == "bound" else Severity.WARNING
        yield Finding(severity, f"not checked: {skipped.why}", str(skipped.server),
                      code="not-checked")


@register(id="CONSIST02", name="soa-serial-consistent", category=Category.CONSISTENCY,
          title="Every server serves the same SOA serial (or one within the allowed lag)",
          severity=Severity.WARNING, rfc="RFC 1982, RFC 1996, RFC 1034 §4.3.5",
          marker="consistency",
          codes=("multi-signer-serials", "serial-behind"), unusable=(dns.rdatatype.SOA,))
def soa_serial_consistent(zone: ZoneData, ev: Evaluation) -> list[Finding]:
    """Servers on different serials serve different versions of the zone: during a key
    rollover one of them misses the new key or still has the old one, and a stale copy's
    signatures run out while the primary's are fresh. A server whose serial is behind the
    newest by more than `thresholds.serial_lag` (serial units, default 0) is reported;
    serials compare in RFC 1982 arithmetic, so a wrapped serial is still newer.

    Remediation: find why the server does not transfer the zone (NOTIFY, ACLs, a broken
    TSIG key, a hidden primary it cannot reach); raise `serial_lag` for zones that change
    faster than their secondaries follow.

    In a multi-signer zone (RFC 8901 model 2: each provider's DNSKEY RRset anchored by a KSK
    of its own that the parent's DS set names) each provider numbers its own versions
    (RFC 8901 §3.1): serials are compared among the servers of one provider, and differences
    between providers are only noted.
    """
    assert zone.apex is not None
    serials: dict[str, tuple[int, Exchange]] = {}
    for answers in zone.usable_answers():
        exchange = answers.get(zone.apex, dns.rdatatype.SOA)
        soa = answer_rrset(exchange, zone.apex, dns.rdatatype.SOA)
        if soa is not None and exchange is not None:
            serials[str(answers.server)] = (soa[0].serial, exchange)
    findings = []
    providers = provider_groups(zone, ev)
    for group in providers.values() if providers else [set(serials)]:
        # In the servers' own order, not the set's: a tie names the same server every run.
        findings += _serial_lags({s: value for s, value in serials.items() if s in group},
                                 ev.thresholds.serial_lag)
    if len(providers) > 1 and len({serial for serial, _ in serials.values()}) > 1:
        shown = ", ".join(f"{server} {serial}" for server, (serial, _) in serials.items())
        findings.append(Finding(Severity.INFO,
                                f"multi-signer: each provider keeps its own SOA serial ({shown})",
                                code="multi-signer-serials"))
    return findings


def _serial_lags(serials: dict[str, tuple[int, Exchange]], lag: int) -> list[Finding]:
    if not serials:
        return []
    newest_server, (newest, _) = next(iter(serials.items()))
    for server, (serial, _) in serials.items():
        if serial_behind(serial, newest) > 0:
            newest_server, newest = server, serial
    findings = []
    for server, (serial, exchange) in serials.items():
        behind = serial_behind(newest, serial)
        if behind > lag:
            findings.append(Finding(
                Severity.WARNING,
                f"SOA serial {serial} is {behind} behind the newest, {newest} "
                f"({newest_server}); allowed lag {lag}", server, exchange.evidence,
                code="serial-behind"))
    return findings


def provider_groups(zone: ZoneData, ev: Evaluation) -> dict[frozenset[str], set[str]]:
    """The servers grouped by the KSKs that anchor their DNSKEY RRsets, when the zone is
    multi-signer (RFC 8901 model 2); empty otherwise."""
    assert zone.apex is not None
    ds = ds_rrset(zone, ev)
    served = served_keys(zone)
    if ds is None or not each_server_anchored(zone.apex, served, ds):
        return {}
    groups: dict[frozenset[str], set[str]] = defaultdict(set)
    for entry in served:
        anchors = frozenset(k.to_text() for k in anchored_keys(zone.apex, entry, ds))
        groups[anchors].add(str(entry.server))
    return dict(groups)


@register(id="CONSIST03", name="ns-rrset-consistent", category=Category.CONSISTENCY,
          title="Every server serves the same NS RRset, the one the parent delegates to",
          severity=Severity.WARNING, rfc="RFC 1034 §4.2.2, RFC 2181 §5, RFC 7477 §1",
          marker="consistency",
          codes=("delegated-ns-missing", "ns-not-delegated", "ns-set-lacks"),
          merge=True, unusable=(dns.rdatatype.NS,))
def ns_rrset_consistent(zone: ZoneData, ev: Evaluation) -> list[Finding]:
    """The apex NS RRset is the zone's own list of its servers; resolvers replace the
    parent's delegation with it. Servers that disagree send resolvers to different server
    sets, which hides a server from some of them and keeps a retired one alive for others.
    The parent's delegation (its NS set, read from its referral) must name the same servers:
    a server only the zone lists is never asked by a resolver that starts from the parent,
    and one only the parent lists is a lame delegation waiting to happen (or a retired server
    still taking queries).

    Remediation: make every server serve the current zone; when moving servers, change the
    NS RRset at every server (and the delegation at the parent) in one release.
    """
    assert zone.apex is not None
    sets: dict[str, tuple[set[str], Exchange]] = {}
    for answers in zone.usable_answers():
        exchange = answers.get(zone.apex, dns.rdatatype.NS)
        if exchange is None or authoritative_problem(exchange) is not None:
            continue
        rrset = exchange.answer(dns.rdatatype.NS, zone.apex)
        sets[str(answers.server)] = ({r.target.to_text() for r in rrset or ()}, exchange)
    union = set().union(*(names for names, _ in sets.values())) if sets else set()
    findings = []
    for server, (names, exchange) in sets.items():
        missing = sorted(union - names)
        if missing:
            holders = sorted(s for s, (n, _) in sets.items() if set(missing) & n)
            findings.append(Finding(
                Severity.WARNING,
                f"its NS RRset lacks {', '.join(missing)} (listed by {', '.join(holders)})",
                server, exchange.evidence(), code="ns-set-lacks"))
    if zone.parent_ns and sets:
        findings += _parent_delegation_differences(zone, sets)
    return findings


def _parent_delegation_differences(zone: ZoneData, sets: dict[str, tuple[set[str], Exchange]]
                                   ) -> list[Finding]:
    delegated = {n.to_text().lower() for n in zone.parent_ns}
    evidence = zone.referral.evidence if zone.referral is not None else ""
    findings = []
    for server, (listed, _exchange) in sets.items():
        names = {name.lower() for name in listed}
        only_child = sorted(names - delegated)
        only_parent = sorted(delegated - names)
        if only_child:
            findings.append(Finding(
                Severity.WARNING,
                f"its NS RRset lists {', '.join(only_child)}, which the parent {zone.parent} "
                "does not delegate to: resolvers starting from the parent never ask it",
                server, evidence, code="ns-not-delegated"))
        if only_parent:
            findings.append(Finding(
                Severity.WARNING,
                f"the parent {zone.parent} delegates to {', '.join(only_parent)}, which its "
                "NS RRset does not list (a retired or forgotten server?)", server, evidence,
                                    code="delegated-ns-missing"))
    return findings


@register(id="CONSIST04", name="signing-keys-consistent", category=Category.CONSISTENCY,
          title="Each server's signatures verify with every server's DNSKEY RRset",
          severity=Severity.CRITICAL, rfc="RFC 4035 §5.3.1, RFC 8901 §2",
          marker="consistency",
          codes=("signed-with-different-keys", "signer-key-not-published"),
          merge=True, unusable=EVERY_QUESTION)
def signing_keys_consistent(zone: ZoneData, ev: Evaluation) -> list[Finding]:
    """A resolver caches the DNSKEY RRset from one server and may get an RRset from another.
    When a server's RRset is signed only with keys another server's DNSKEY RRset lacks (a
    secondary still on the keys before a ZSK rollover, two signers that do not publish each
    other's keys), a resolver holding that other key set cannot validate it: critical.
    Servers signing with different keys that every server publishes (the multi-signer model
    of RFC 8901) are only noted. The DNSKEY RRset itself is left out: it travels with its own
    signatures.

    Remediation: serve one signed version of the zone everywhere (fix the transfers); in a
    multi-signer setup publish every signer's ZSK in every server's DNSKEY RRset.
    """
    keysets = {str(e.server): e.keys for e in served_keys(zone)}
    lacking: dict[tuple[str, str, tuple[str, ...]], list[str]] = defaultdict(list)
    evidence: dict[str, Evidence] = {}
    signer_sets: dict[str, set[frozenset[str]]] = defaultdict(set)
    for served in served_rrsets(zone):
        if served.rrset.rdtype == dns.rdatatype.DNSKEY:
            continue
        signers = [c.key for c in served.checks if c.crypto is Crypto.VALID and c.key]
        if not signers:
            continue  # SIG01's finding
        server = str(served.server)
        signer_sets[served.label].add(frozenset(key_label(k) for k in signers))
        for other, keys in keysets.items():
            if other != server and not any(k in keys for k in signers):
                labels = tuple(sorted({key_label(k) for k in signers}))
                lacking[(server, other, labels)].append(served.label)
                evidence.setdefault(server, served.exchange.evidence)
    findings = []
    for (server, other, labels), rrsets in lacking.items():
        findings.append(Finding(
            Severity.CRITICAL,
            f"{', '.join(rrsets)} signed only with {', '.join(labels)}, which the DNSKEY "
            f"RRset of {other} lacks: resolvers holding that server's keys cannot validate "
            "these answers", server, evidence[server], code="signer-key-not-published"))
    differing = sorted(label for label, sets in signer_sets.items() if len(sets) > 1)
    if differing and not findings:
        findings.append(Finding(Severity.INFO,
                                f"servers sign {', '.join(differing)} with different keys, "
                                "all of which every server publishes (multi-signer)",
                                code="signed-with-different-keys"))
    return findings


@register(id="CONSIST05", name="every-answer-usable", category=Category.CONSISTENCY,
          title="Every server answers every question usably", severity=Severity.ERROR,
          rfc="RFC 1035 §4.1, RFC 3597 §3, RFC 4035 §3.1", marker="consistency",
          codes=("parent-ds-unusable", "resolver-fallback-unusable", "second-soa-unusable"))
def every_answer_usable(zone: ZoneData, ev: Evaluation) -> Iterator[Finding]:
    """Each authoritative server of the zone is asked SOA, DNSKEY, NS, NSEC3PARAM, CDS,
    CDNSKEY and the configured records, then the SOA once more (the online-signer look), and
    each server of the parent the zone's DS (the two negative-answer probes are the denial
    checks', DENIAL03/04/08, which report their failures). Every answer must be usable: a
    DNS message that parses, answers the question asked, is authoritative (AA) and has the
    rcode NOERROR or NXDOMAIN. A timeout, a refusal, SERVFAIL, FORMERR or NOTIMP for a type
    the server does not know (RFC 3597 requires serving unknown types), a message that does
    not parse or answers another question: resolvers that reach this server get nothing for
    that question, and the checks that need it could not check it there. Each one is
    reported with the server, the question and the reason, as could not check (error):
    never a silent pass. When the walk from the root found no usable answer above the zone
    and fell back on the configured resolvers, each unusable answer they gave on the way is
    a warning (the zone was found all the same).

    Remediation: ask the server the same question (`dig @SERVER +norec +dnssec NAME TYPE`)
    and fix what it answers: a firewall or middlebox that drops or rewrites DNS (large
    answers, TCP, unknown types), a server software too old for DNSSEC types, or a server
    not configured for the zone.
    """
    # not by @register: the unusable answers come first, then this check's own
    yield from unusable_servers(zone, EVERY_QUESTION)
    for answers in zone.answers.values():
        second = answers.second_look
        problem = authoritative_problem(second) if second is not None else None
        if second is not None and problem is not None and answers.failure is None:
            yield Finding(Severity.ERROR,
                          f"could not check {second.qname} SOA asked a second time at this "
                          f"server: {problem}", str(answers.server), second.evidence(),
                          code="second-soa-unusable")
    for server, exchange in zone.ds_answers.items():
        problem = authoritative_problem(exchange)
        if problem is not None and not server.is_file:
            yield Finding(Severity.ERROR,
                          f"could not check {exchange.qname} DS at this server of the parent "
                          f"{zone.parent}: {problem}", str(server), exchange.evidence(),
                          code="parent-ds-unusable")
    for exchange in zone.walk_fallback:
        yield Finding(Severity.WARNING,
                      "the walk to the zone fell back on the resolvers (no server above it "
                      f"answered usably), and {resolver_problem(exchange, server=False)}",
                      str(exchange.server), exchange.evidence(), code="resolver-fallback-unusable")
