"""Whole live zones (`transfer:` in domains.yaml): each server's copy, taken by zone transfer
(AXFR, with TSIG) or by walking the NSEC chain, checked like a zone file.

Live questions sample a zone; the outage they miss is in the RRset nobody asks for (a
`_dmarc` TXT whose signature the signer stopped refreshing, a secondary that kept an old copy
of part of the zone). Each copy is judged as it is taken, by the zone-file rules: EXPIRY01,
EXPIRY02 and CLOCK01 over every signature (XFR02), SIG01, SIG03 and ALG02 over every RRset
(XFR03), DENIAL10 over the whole NSEC/NSEC3 chain (XFR04); then it is dropped, and only its
findings, counts and digests stay (`copies.TransferReport`). XFR01 says how each copy was
taken or why it could not be, XFR05 compares the copies.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import replace

import dns.rdatatype
import dns.zone

from ..analysis.evaluation import Evaluation
from ..analysis.signing_mode import signing_modes
from ..analysis.zone import merge_servers, unusable_servers
from ..catalog import findings_of, get, register
from ..dnssec.zonefile import answer_from_content
from ..errors import NotApplicable
from ..findings import Category, Finding, Severity, bounded
from ..probe.copies import CopyJudge, CopyVerdict, Method, TransferReport, serial_behind
from ..probe.data import ZoneData
from ..probe.transport import Server
from ._common import when
from .consistency import provider_groups

# The zone-file rules each check applies to every copy.
COPY_RULES: dict[str, tuple[str, ...]] = {
    "XFR02": ("EXPIRY01", "EXPIRY02", "CLOCK01"),
    "XFR03": ("SIG01", "SIG03", "ALG02"),
    "XFR04": ("DENIAL10",),
}
NO_TRANSFER = ("no `transfer:` for this domain in domains.yaml: the zone is checked through "
               "the live questions only")
ZONE_FILE = "a zone file is checked whole already (EXPIRY01, SIG01, DENIAL10)"


# --- judging one copy (called by the probe stage, as each copy is taken) -------------------


def copy_judge(evaluation: Evaluation, wanted: Collection[str]) -> CopyJudge:
    """The judge of each copy for a zone: the `wanted` transfer checks' rules, at the
    evaluation's instant and thresholds (see `copies.CopyJudge`)."""
    rules = {check: ids for check, ids in COPY_RULES.items() if check in wanted}
    thresholds = evaluation.thresholds

    def judge(live: ZoneData, server: Server, copy: dns.zone.Zone, method: Method,
              incomplete: str | None) -> CopyVerdict:
        data = copy_data(live, server, copy, method)
        unsigned = _unsigned_online_copy(live, server, copy)
        findings = {}
        for check, rule_ids in rules.items():
            if unsigned is not None:
                found = [Finding(Severity.INFO, unsigned, str(server), code="unsigned-copy",
                                 check=check)]
            elif check == "XFR04" and incomplete is not None:
                found = [Finding(Severity.INFO, f"the walk did not reach the end of the "
                                 f"chain ({incomplete}): the chain is not judged", str(server),
                                 code="walk-incomplete", check=check)]
            else:
                found = [_as(check, f) for rule in rule_ids
                         for f in _rule_findings(rule, data, evaluation)]
            findings[check] = tuple(bounded(found))
        return CopyVerdict(findings, evaluation.now,
                           (thresholds.warning_days, thresholds.critical_days,
                            evaluation.clock.skew_tolerance_s))

    return judge


def copy_data(live: ZoneData, server: Server, copy: dns.zone.Zone, method: Method
              ) -> ZoneData:
    """The copy as the zone-file rules read a zone file: the server answering from it alone.
    How the server signs is what its live answers showed: an online signer's copy carries
    signatures made when it was sent, which it renews on its own."""
    data = ZoneData(live.domain, collected_at=live.collected_at, source="file")
    answers = live.answers.get(server)
    probe = answers.nonexistent.qname if answers is not None and answers.nonexistent else None
    answer_from_content(data, server, copy, probe, transport=method)
    mode = signing_modes(live).get(server)
    data.memo["signing_modes"] = {server: mode} if mode is not None else {}
    return data


def _unsigned_online_copy(live: ZoneData, server: Server, copy: dns.zone.Zone) -> str | None:
    """An online signer may transfer its zone unsigned (it signs answers as it sends them):
    then the copy's data is compared, and there are no signatures to judge."""
    mode = signing_modes(live).get(server)
    if mode is None or not mode.online:
        return None
    if any(r.rdtype == dns.rdatatype.RRSIG for node in copy.nodes.values()
           for r in node.rdatasets):
        return None
    return ("the server signs online and its copy carries no signatures (they are made for "
            "each answer): the copy's signatures are not judged")


def _rule_findings(rule: str, data: ZoneData, evaluation: Evaluation) -> list[Finding]:
    try:
        return findings_of(get(rule), data, evaluation)
    except NotApplicable:
        return []


def _as(check: str, finding: Finding) -> Finding:
    """A zone-file rule's finding as the transfer check's, its evidence rendered now (the
    copy it reads is about to go); information keeps none."""
    evidence = "" if finding.severity is Severity.INFO else finding.evidence
    return replace(finding, check=check, evidence=evidence)


# --- the checks -----------------------------------------------------------------------------


def _reports(zone: ZoneData) -> tuple[TransferReport, ...] | None:
    """The reports on the zone's copies; None when the zone was not transferred (a snapshot
    recorded without the transfer checks). Not applicable without `transfer:`, or to a file."""
    if zone.source == "file":
        raise NotApplicable(ZONE_FILE)
    if zone.domain.transfer is None:
        raise NotApplicable(NO_TRANSFER)
    return zone.transfers


NOT_TRANSFERRED = ("the zone was not transferred in this run (a snapshot recorded by a run "
                   "that did not select the transfer checks?)")


def _copy_findings(zone: ZoneData, check: str) -> list[Finding]:
    """The check's findings on every copy, folded over the servers that share them; a server
    without a copy could not be checked."""
    reports = _reports(zone)
    if reports is None:
        return [Finding(Severity.ERROR, NOT_TRANSFERRED, code="not-transferred")]
    findings: list[Finding] = []
    for report in reports:
        if report.method is None:
            findings.append(Finding(Severity.ERROR, f"could not check: no copy of the "
                                    f"zone from this server ({report.failure})",
                                    str(report.server), report.evidence, code="no-copy"))
        elif check not in report.findings:
            findings.append(Finding(Severity.ERROR, f"the copy was not judged by {check} "
                                    "when it was taken (the run did not select it)",
                                    str(report.server), code="not-judged"))
        else:
            findings += report.findings[check]
    # not by @register: a zone not transferred (returned above) reports no silent server
    return [*merge_servers(findings), *unusable_servers(zone)]


@register(id="XFR01", name="transfer-complete", category=Category.CONSISTENCY,
          title="Every server gives its whole zone: by AXFR, or by the NSEC walk where allowed",
          severity=Severity.ERROR, rfc="RFC 5936 §2, RFC 8945 §5, RFC 4035 §2.3",
          marker="transfer",
          codes=("axfr-refused", "copy-taken", "no-copy", "not-judged", "not-transferred",
                 "transfer-failed", "unsigned-copy", "walk-failed", "walk-incomplete"))
def transfer_complete(zone: ZoneData, ev: Evaluation) -> Iterator[Finding]:
    """With `transfer:` in domains.yaml, each authoritative server is asked for the whole zone
    (AXFR over TCP, RFC 5936), signed with the configured TSIG key (RFC 8945), so that every
    RRset it serves is checked, not only the ones the live questions sample. Each copy taken
    is listed (how, serial, names, RRsets). A server that gives no copy is an `error` (could
    not check) naming the server and the reason in one line: the transfer refused (REFUSED,
    NOTAUTH, NOTIMP), a TSIG error the server reports (BADKEY: it does not know the key;
    BADSIG: its secret differs; BADTIME: the two clocks are further apart than the fudge,
    with the offset its answer shows), a server TSIG that does not verify, a transfer that
    ends before its closing SOA (truncated), stalls or runs too long. With `walk: true` a
    zone that uses NSEC is walked instead where no AXFR is given: a refusal without TSIG is
    then expected and noted; a walk that cannot be done (NSEC3, NSEC records made per query)
    or that stops early is an `error`.

    Remediation: allow transfers to this host for the key (NSD `provide-xfr`, BIND
    `allow-transfer`, Knot `acl` with `action: transfer`: see the README), check the key's
    name, algorithm and secret on both sides, and the time synchronisation (NTP) of both
    hosts for BADTIME; or set `walk: true` for a zone that uses NSEC.
    """
    reports = _reports(zone)
    if reports is None:
        yield Finding(Severity.ERROR, NOT_TRANSFERRED, code="not-transferred")
        return
    for report in reports:
        yield from _transfer_findings(report, zone)
    # not by @register: a zone not transferred (returned above) reports no silent server
    yield from unusable_servers(zone)


def _transfer_findings(report: TransferReport, zone: ZoneData) -> Iterator[Finding]:
    server = str(report.server)
    spec = zone.domain.transfer
    if report.axfr_failure is not None:
        expected = report.refused and spec is not None and spec.tsig is None
        yield Finding(Severity.INFO if expected else Severity.ERROR,
                      f"AXFR: {report.axfr_failure}" + (" (the NSEC walk stands in)"
                                                       if report.method else ""),
                      server, report.evidence, code="axfr-refused")
    if report.method is None:
        if report.axfr_failure is None:
            yield Finding(Severity.ERROR, report.failure or "no copy", server,
                          report.evidence, code="no-copy")
        elif report.failure:
            yield Finding(Severity.ERROR, report.failure, server, report.evidence,
                          code="transfer-failed")
        return
    if report.failure is not None:
        yield Finding(Severity.ERROR, f"walk: {report.failure}", server,
                      report.evidence, code="walk-failed")
    how = "AXFR" + (f" with TSIG key {report.tsig_key}" if report.tsig_key else "") \
        if report.method == "axfr" else "the NSEC walk"
    yield Finding(Severity.INFO,
                  f"{how}: serial {report.serial}, {report.names} names, {report.rrsets} "
                  f"RRsets ({report.records} records)", server, code="copy-taken")


@register(id="XFR02", name="transfer-rrsig-validity", category=Category.EXPIRED_RRSIG,
          title="Every signature of every server's whole zone is valid now and beyond the "
                "thresholds", severity=Severity.CRITICAL,
          rfc="RFC 4034 §3.1.5, RFC 4035 §5.3.1, §5.3.3", marker="transfer",
          codes=("earliest-expiry", "expired", "expired-and-served", "expires-critical",
                 "expires-soon", "inception-in-future", "no-copy", "not-judged", "not-transferred",
                 "renewed-online", "shorter-than-ttl", "unsigned-copy", "walk-incomplete"))
def transfer_rrsig_validity(zone: ZoneData, ev: Evaluation) -> Iterator[Finding]:
    """Every RRset of each server's copy (see XFR01), judged by the rules of EXPIRY01 (not
    expired, not within the warning and critical thresholds), EXPIRY02 (valid longer than the
    RRset's TTL) and CLOCK01 (no inception in the future): the one deep RRset whose signature
    the signer stopped refreshing (a `_dmarc` TXT, an MX on a sub-name, a delegation's NSEC)
    is found, named with its owner and the server, before resolvers answer SERVFAIL for it.
    A server that signs online (see EXPIRY05) is judged as it served its copy. Each copy is
    judged as it is taken, at the run's instant; a snapshot keeps these findings, not the
    copy, so a replay at another instant (or with other thresholds) skips this check.

    Remediation: re-sign the zone (or fix the signer that stopped refreshing part of it: an
    incremental signer that skips names, a signing policy that excludes a subtree) and make
    sure every secondary transfers the new version.
    """
    for report in _reports(zone) or ():
        if report.method is not None and "XFR02" in report.findings and (
                report.judged_at != ev.now or report.judged_with != _with(ev)):
            raise NotApplicable(
                f"the copies were judged when they were taken, at {when(report.judged_at)} "
                f"(warning {report.judged_with[0]:g} d, critical {report.judged_with[1]:g} d): "
                "a snapshot keeps those findings, not the copies; judge another instant with "
                "a live run (--at)")
    yield from _copy_findings(zone, "XFR02")


def _with(ev: Evaluation) -> tuple[float, float, float]:
    return (ev.thresholds.warning_days, ev.thresholds.critical_days, ev.clock.skew_tolerance_s)


@register(id="XFR03", name="transfer-rrsig-verifies", category=Category.BAD_SIGNATURE,
          title="Every RRset of every server's whole zone carries a signature that verifies",
          severity=Severity.CRITICAL, rfc="RFC 4035 §2.2, §5.3; RFC 4034 §3.1",
          marker="transfer",
          codes=("algorithm-missing", "no-copy", "not-judged", "not-transferred", "rrsig-invalid",
                 "rrsig-key-missing", "rrsig-missing", "rrsig-over-rrsig", "ttl-above-original",
                 "unsigned-copy", "walk-incomplete"))
def transfer_rrsig_verifies(zone: ZoneData, ev: Evaluation) -> Iterator[Finding]:
    """Every RRset of each server's copy (see XFR01), judged by the rules of SIG01 (an RRSIG
    that verifies with a key of the copy's own DNSKEY RRset), SIG03 (no TTL above the
    original TTL, no RRSIG over an RRSIG) and ALG02 (every algorithm of the DNSKEY RRset
    signs every RRset): data changed after signing, or a part of the zone signed with a key
    no longer published, is found wherever it is. The findings hold at any instant.

    Remediation: re-sign the zone from its unsigned source with the published keys; look
    for whatever edits the signed zone after signing, and for secondaries that serve a copy
    of their own.
    """
    yield from _copy_findings(zone, "XFR03")


@register(id="XFR04", name="transfer-denial-chain", category=Category.DENIAL,
          title="Every server's whole NSEC/NSEC3 chain is complete, closed and true to its "
                "names", severity=Severity.CRITICAL,
          rfc="RFC 4035 §2.3, RFC 4034 §4.1, RFC 5155 §7.1, §8", marker="transfer",
          codes=("chain-complete", "chain-problem", "file-unsigned", "more-chain-problems",
                 "no-copy", "not-judged", "not-transferred", "unsigned-copy", "walk-incomplete"))
def transfer_denial_chain(zone: ZoneData, ev: Evaluation) -> Iterator[Finding]:
    """Each server's copy (see XFR01) walked end to end by the rules of DENIAL10: every name
    covered, the chain closed, each bitmap equal to the types at its name, each record's
    RRSIG verifying. A walked copy holds what the chain lists, asked of the server: a type
    the bitmap lists that the server lacks shows here; one it serves but the bitmap omits
    cannot be seen by a walk. A walk that did not reach the end of the chain is not judged
    (XFR01 says why).

    Remediation: re-sign the zone from its unsigned source with a full signing run, and make
    every secondary transfer it; check the signer's output with `ldns-verify-zone` or
    `dnssec-verify` before publishing it.
    """
    yield from _copy_findings(zone, "XFR04")


@register(id="XFR05", name="transfer-copies-consistent", category=Category.CONSISTENCY,
          title="Every server holds the same zone: the same serial and the same records",
          severity=Severity.WARNING, rfc="RFC 1996, RFC 1982, RFC 5936 §6", marker="transfer",
          codes=("no-copy", "not-judged", "not-transferred", "nothing-to-compare", "older-copy",
                 "other-provider", "other-provider-differs", "same-copy", "same-serial-other-data",
                 "signed-separately", "unsigned-copy", "walk-incomplete"))
def transfer_copies_consistent(zone: ZoneData, ev: Evaluation) -> Iterator[Finding]:
    """The copies of the servers (see XFR01) compared with the newest one, by their serial
    and a digest of every RRset, naming the RRsets that differ (the first 20 of each kind).
    A server behind by more than `thresholds.serial_lag`, or one with the same serial and
    other data (a copy changed without a new serial: transfers will never repair it), is a
    warning. DNSSEC records (RRSIG, NSEC, NSEC3, NSEC3PARAM, DNSKEY, CDS, CDNSKEY) that alone
    differ between copies of the same data and serial are information: servers that sign on
    their own (online signers, RFC 8901 multi-signer providers) differ there by design, and
    CONSIST01 and CONSIST04 judge whether the keys agree and verify each other's signatures.
    In a multi-signer zone each provider numbers its own versions (RFC 8901 §3.1): a copy of
    another provider than the newest copy's is compared by its data alone (its serial lag is
    CONSIST02's, per provider).

    Remediation: find why the server holds another copy (NOTIFY, transfer ACLs, a broken
    TSIG key, a hidden primary it cannot reach, a secondary edited by hand) and have it
    transfer the zone again; change a zone only with a new serial.
    """
    taken = _reports(zone)
    if taken is None:
        yield Finding(Severity.ERROR, NOT_TRANSFERRED, code="not-transferred")
        return
    reports = [r for r in taken if r.method is not None]
    if len(reports) < 2:
        yield Finding(Severity.INFO, f"{len(reports)} copy of the zone: nothing to "
                      "compare" if reports else "no copy of the zone to compare",
                      code="nothing-to-compare")
        yield from unusable_servers(zone)
        return
    reference = reports[0]
    providers = list(provider_groups(zone, ev).values())
    for report in reports[1:]:
        own = any({str(report.server), str(reference.server)} <= group for group in providers)
        if providers and not own:
            yield _another_provider(report, reference, zone)
        else:
            yield _compared(report, reference, ev)
    # not by @register: a zone not transferred (returned above) reports no silent server
    yield from unusable_servers(zone)


def _compared(report: TransferReport, reference: TransferReport, ev: Evaluation) -> Finding:
    server = str(report.server)
    differences = report.differences
    if differences is None or report.digest == reference.digest:
        return Finding(Severity.INFO, f"the same copy as {reference.server} (serial "
                       f"{report.serial}, digest {report.digest[:16]})", server, code="same-copy")
    named = _named(differences.data, differences.data_count, "RRset(s) differ")
    signed = _named(differences.signatures, differences.signatures_count,
                    "DNSSEC record set(s) differ (signatures, denial, keys)")
    what = "; ".join(p for p in (named, signed) if p)
    if report.serial is not None and reference.serial is not None \
            and report.serial != reference.serial:
        behind = serial_behind(reference.serial, report.serial)
        lag = ev.thresholds.serial_lag
        severity = Severity.WARNING if abs(behind) > lag else Severity.INFO
        where = f"{behind} behind" if behind > 0 else f"{-behind} ahead of"
        return Finding(severity,
                       f"an older copy: serial {report.serial}, {where} {reference.serial} at "
                       f"{reference.server} (allowed lag {lag}): {what}", server, code="older-copy")
    if differences.data_count:
        return Finding(Severity.WARNING,
                       f"the same serial {report.serial} as {reference.server} with other "
                       f"data (changed without a new serial): {what}", server,
                       code="same-serial-other-data")
    return Finding(Severity.INFO,
                   f"the same serial and data as {reference.server}, signed separately: "
                   f"{what}", server, code="signed-separately")


def _another_provider(report: TransferReport, reference: TransferReport, zone: ZoneData
                      ) -> Finding:
    """A multi-signer zone (RFC 8901 model 2): another provider numbers and signs its own
    versions (CONSIST02 compares serials within each provider); only the data must agree."""
    server = str(report.server)
    differences = report.differences
    named = differences.data if differences is not None else ()
    data = tuple(d for d in named if d != f"{zone.apex} SOA")
    count = differences.data_count - (len(named) - len(data)) if differences is not None else 0
    if count:
        return Finding(Severity.WARNING,
                       f"another provider's copy (multi-signer) with other data than "
                       f"{reference.server}'s: {_named(data, count, 'RRset(s) differ')}",
                       server, code="other-provider-differs")
    return Finding(Severity.INFO,
                   f"another provider's copy (multi-signer, RFC 8901): its own serial "
                   f"{report.serial} and DNSSEC records, the same data as {reference.server}",
                   server, code="other-provider")


def _named(items: tuple[str, ...], count: int, what: str) -> str:
    if not count:
        return ""
    more = f" (+{count - len(items)} more)" if count > len(items) else ""
    return f"{count} {what}: {', '.join(items)}{more}"


__all__ = ["COPY_RULES", "copy_data", "copy_judge"]

