"""The chain family (marker `chain`, suite `suites/test_chain.py`): the delegation (a DS at
the parent exactly when the zone is signed, DS records that name a key which really signs the
zone's DNSKEY RRset: DS, KEY), signatures that verify (SIG01, SIG03), and, in file mode, a
zone file that loads (SIG02)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
from dns.rdtypes.ANY.DNSKEY import DNSKEY
from dns.rdtypes.ANY.DS import DS

from ..analysis.evaluation import Evaluation
from ..analysis.zone import (
    DENIAL_TYPES,
    EVERY_QUESTION,
    SERVERS_ONLY,
    all_zone_keys,
    chain_verdicts,
    dnskeys_at,
    ds_rrset,
    is_signed,
    merge_servers,
    parent_ds,
    served_key_sets,
    served_rrsets,
    unusable_servers,
)
from ..catalog import register
from ..dnssec.chain import ZONE_KEY_FLAG
from ..dnssec.signatures import Crypto, digest_matches, ds_matches, key_label, key_tag, verify_rrset
from ..dnssec.zonetree import rrset_of
from ..errors import NotApplicable
from ..findings import Category, Evidence, Finding, Security, Severity, joined
from ..probe.data import ZoneData, authoritative_problem
from ..probe.transport import Exchange
from ._common import chain_findings, trust_chain_findings


@register(id="DS01", name="secure-delegation", category=Category.MISSING_DS,
          title="A zone expected secure has a DS at its parent and a secure chain above it",
          severity=Severity.CRITICAL, rfc="RFC 4035 §5.2, RFC 4033 §5", marker="chain",
          codes=("chain-undecided", "file-unsigned-expected-secure", "insecure-above",
                 "island-of-security", "parent-ds-unchecked", "parent-not-found",
                 "secure-expected-insecure", "unsigned-expected-secure"))
def secure_delegation(zone: ZoneData, ev: Evaluation) -> Iterator[Finding]:
    """A signed zone without a DS record at its parent is an island of security: validators
    treat it as unsigned, so its signatures protect no one. A zone marked `expect: secure`
    that is unsigned, or whose parent chain is insecure, is the same failure seen from the
    operator's side. A zone marked `expect: insecure` that is unsigned with no DS passes.

    A zone file checked without a DS file (`ds:`) has no delegation to judge: the check is
    skipped, unless the file is unsigned while expected secure.

    Remediation: publish the DS of the zone's KSK at the parent (through the registrar or the
    parent's operator), or set `expect: insecure` if the zone is deliberately unsigned.
    """
    assert zone.apex is not None
    if zone.source == "file" and not zone.ds_answers:
        yield from _zone_file_without_ds(zone)
        return
    entries = parent_ds(zone, ev)
    answered = [e for e in entries if e.verdict.security is not Security.UNKNOWN]
    if zone.parent is not None and not answered:
        for entry in entries or ():
            yield Finding(Severity.ERROR, entry.verdict.message, str(entry.server),
                          entry.verdict.evidence, code="parent-ds-unchecked")
        if not entries:
            yield Finding(Severity.ERROR,
                          f"no server of the parent zone {zone.parent} could be found",
                          code="parent-not-found")
        return
    has_ds = ds_rrset(zone, ev) is not None
    signed = is_signed(zone)
    parent = chain_verdicts(zone, ev)
    above_insecure = next(((a, v) for a, v in parent if v.security is Security.INSECURE), None)
    unknown = next(((a, v) for a, v in parent if v.security is Security.UNKNOWN), None)
    if zone.domain.expect == "secure":
        if unknown is not None:
            yield Finding(Severity.ERROR, unknown[1].message,
                          evidence=unknown[1].evidence, code="chain-undecided")
        elif above_insecure is not None:
            yield Finding(Severity.CRITICAL,
                          f"the chain of trust is insecure above the zone: "
                          f"{above_insecure[1].message}", evidence=above_insecure[1].evidence,
                          code="insecure-above")
        elif not has_ds and signed:
            evidence = joined(*(e.exchange.evidence for e in answered))
            yield Finding(Severity.CRITICAL,
                          f"the zone is signed but its parent {zone.parent} has no DS for it "
                          "(island of security: validators treat it as unsigned)",
                          evidence=evidence, code="island-of-security")
        elif not has_ds and not signed:
            evidence = joined(*(e.exchange.evidence for e in answered))
            yield Finding(Severity.CRITICAL,
                          "the zone is unsigned and has no DS, but domains.yaml expects it "
                          "secure", evidence=evidence, code="unsigned-expected-secure")
    elif has_ds and signed:
        yield Finding(Severity.WARNING,
                      "domains.yaml expects this zone insecure, but it has a DS and is signed",
                      code="secure-expected-insecure")
    # not by @register: the early returns above report no unusable server
    yield from unusable_servers(zone)


def _answered(exchange: Exchange | None) -> bool:
    return exchange is not None and authoritative_problem(exchange) is None


def _algorithm_swapped(ds: DS, apex: dns.name.Name, key: DNSKEY) -> bool:
    return ds.algorithm != key.algorithm and digest_matches(ds, apex, key)


def _zone_file_without_ds(zone: ZoneData) -> Iterator[Finding]:
    if zone.domain.expect == "secure" and not is_signed(zone):
        yield Finding(Severity.CRITICAL,
                      "the zone file is unsigned (no DNSKEY RRset at the apex), but "
                      "domains.yaml expects the zone secure", str(zone.servers[0]),
                      code="file-unsigned-expected-secure")
        return
    raise NotApplicable("no DS file given (`ds:` in domains.yaml): the delegation is not "
                        "checked; name the parent's DS records (a dsset file) to check it")


@register(id="DS05", name="ds-absence-proven", category=Category.MISSING_DS,
          title="A parent that denies a DS proves the denial",
          severity=Severity.CRITICAL, rfc="RFC 4035 §5.2, RFC 5155 §8.6, RFC 6840 §4.4",
          marker="chain",
          codes=("ds-absence-unproven",), merge=True)
def ds_absence_proven(zone: ZoneData, ev: Evaluation) -> list[Finding]:
    """A signed parent that answers "no DS for this zone" must prove it with NSEC or NSEC3
    records it signed: the NSEC(3) at the delegation without DS in its bitmap, or (NSEC3
    opt-out) a cover of the delegation by an opt-out span. Validators accept an insecure
    delegation only with that proof, otherwise anyone could strip a zone of its security by
    forging "no DS"; without it they find the zone bogus. An unproven denial anywhere above
    the zone breaks it too.

    Remediation: at the parent, serve the zone's delegation from a correctly signed parent
    zone (re-sign it, regenerate its NSEC/NSEC3 chain, check that the delegation point has
    its NSEC or NSEC3 record); the parent's operator or registry has to fix it.
    """
    findings = []
    for entry in parent_ds(zone, ev):
        if entry.rrset is None and entry.verdict.security is Security.BOGUS \
                and entry.exchange.rcode == dns.rcode.NOERROR:
            findings.append(Finding(Severity.CRITICAL, entry.verdict.message,
                                    str(entry.server), entry.verdict.evidence,
                                    code="ds-absence-unproven"))
    # last, and folded alone: no finding of this check says what a break above says
    return findings + chain_findings(Category.MISSING_DS, chain_verdicts(zone, ev))


@register(id="DS02", name="ds-for-unsigned-zone", category=Category.MISSING_DS,
          title="A DS at the parent points at a zone that serves DNSKEYs and signatures",
          severity=Severity.CRITICAL, rfc="RFC 4035 §5.2, RFC 4035 §2.1", marker="chain",
          codes=("ds-without-dnskey", "ds-without-signatures"))
def ds_for_unsigned_zone(zone: ZoneData, ev: Evaluation) -> Iterator[Finding]:
    """With a DS at the parent, validators require the zone's DNSKEY RRset and signatures.
    A zone that serves none (signing turned off, a provider change that lost the keys) while
    the DS remains is bogus: every answer from it fails validation.

    Remediation: remove the DS at the parent first and wait out its TTL before unsigning, or
    re-enable signing with the key the DS names.
    """
    assert zone.apex is not None
    if ds_rrset(zone, ev) is None:
        return
    findings = []
    for answers in zone.usable_answers():
        dnskey = answers.get(zone.apex, dns.rdatatype.DNSKEY)
        soa = answers.get(zone.apex, dns.rdatatype.SOA)
        if not (_answered(dnskey) and _answered(soa)):
            continue  # a question that failed is unknown at this server, not absent
        keys = dnskeys_at(answers, zone.apex)
        signed_soa = soa is not None and soa.signatures(dns.rdatatype.SOA, zone.apex)
        if keys is None:
            findings.append(Finding(Severity.CRITICAL,
                                    f"the parent {zone.parent} has a DS for the zone, but the "
                                    "zone serves no DNSKEY RRset (bogus)", str(answers.server),
                                    dnskey.evidence() if dnskey else "", code="ds-without-dnskey"))
        elif not signed_soa:
            findings.append(Finding(Severity.CRITICAL,
                                    f"the parent {zone.parent} has a DS for the zone, but the "
                                    "zone serves no signatures (bogus)", str(answers.server),
                                    soa.evidence() if soa else "", code="ds-without-signatures"))
    # not by @register: with no DS (returned above), not even a silent server is reported
    yield from merge_servers(findings)
    yield from unusable_servers(zone, (dns.rdatatype.DNSKEY, dns.rdatatype.SOA))


@register(id="KEY01", name="ds-matches-dnskey", category=Category.KEY_MISMATCH,
          title="A DS at the parent matches a DNSKEY of the zone",
          severity=Severity.CRITICAL, rfc="RFC 4034 §5.1.4, RFC 4035 §5.2", marker="chain",
          codes=("ds-for-other-server", "ds-prepublished", "no-dnskey-matches-ds"))
def ds_matches_dnskey(zone: ZoneData, ev: Evaluation) -> Iterator[Finding]:
    """A validator follows the chain from a DS record to the DNSKEY whose digest it holds. If
    no DS digest matches any DNSKEY the zone serves (a key rolled without updating the
    parent, a typo in the registrar's form), the zone is bogus. A DS matching no key beside
    one that matches is normal during a rollover and only noted.

    Remediation: publish at the parent the DS of the KSK the zone serves now (e.g.
    `dnssec-dsfromkey` or `ldns-key2ds` on the live DNSKEY), then remove the stale DS.
    """
    assert zone.apex is not None
    ds = ds_rrset(zone, ev)
    if ds is None:
        return
    findings = []
    for answers, keys in served_key_sets(zone):
        # A DS whose digest is a key's under another algorithm number is ALG01's finding.
        unmatched = [d for d in ds if not any(ds_matches(d, zone.apex, k)
                                              or _algorithm_swapped(d, zone.apex, k)
                                              for k in keys)]
        evidence = joined(lambda: f";; DS at the parent:\n{ds.to_text()}",
                          answers.get(zone.apex, dns.rdatatype.DNSKEY).evidence)  # type: ignore[union-attr]
        tags = ", ".join(_ds_tag(d) for d in unmatched)
        wrong_tags = "".join(f"; DS {d.key_tag} carries the digest of {key_label(k)}, under "
                             "another key tag" for d in unmatched for k in keys
                             if digest_matches(d, zone.apex, k))
        if len(unmatched) == len(ds):
            findings.append(Finding(Severity.CRITICAL,
                                    "no DNSKEY matches any DS at the parent by key tag, "
                                    f"algorithm and digest (DS {tags}){wrong_tags}",
                                    str(answers.server), evidence, code="no-dnskey-matches-ds"))
            continue
        elsewhere = [d for d in unmatched if any(ds_matches(d, zone.apex, k)
                                                 for k in all_zone_keys(zone))]
        if elsewhere:
            findings.append(Finding(Severity.INFO,
                                    f"DS {', '.join(_ds_tag(d) for d in elsewhere)} names a key "
                                    "another server serves, not this one (multi-signer: each "
                                    "provider its own KSK?)", str(answers.server), evidence,
                                    code="ds-for-other-server"))
        unmatched = [d for d in unmatched if d not in elsewhere]
        if unmatched:
            wrong_tags = "".join(f"; DS {d.key_tag} carries the digest of {key_label(k)}, "
                                 "under another key tag" for d in unmatched for k in keys
                                 if digest_matches(d, zone.apex, k))
            findings.append(Finding(Severity.INFO,
                                    f"DS {', '.join(_ds_tag(d) for d in unmatched)} matches no "
                                    "DNSKEY (pre-published for a rollover, or stale?)"
                                    f"{wrong_tags}", str(answers.server), evidence,
                                    code="ds-prepublished"))
    # not by @register: with no DS (returned above), not even a silent server is reported
    yield from merge_servers(findings)
    yield from chain_findings(Category.KEY_MISMATCH, chain_verdicts(zone, ev))
    yield from unusable_servers(zone, (dns.rdatatype.DNSKEY,))


def _ds_tag(ds: DS) -> str:
    return f"{ds.key_tag}/alg {ds.algorithm}/digest {ds.digest_type}"


@register(id="KEY02", name="ds-key-signs-dnskey", category=Category.KEY_MISMATCH,
          title="The key a DS names signs the zone's DNSKEY RRset",
          severity=Severity.CRITICAL, rfc="RFC 4035 §5.2", marker="chain",
          codes=("ds-key-does-not-sign",))
def ds_key_signs_dnskey(zone: ZoneData, ev: Evaluation) -> Iterator[Finding]:
    """The DS proves one key; that key must sign the DNSKEY RRset so that the other keys are
    proven too. A DS that names a key which is published but does not sign the DNSKEY RRset
    (typically the ZSK's DS submitted instead of the KSK's) leaves the zone bogus.

    Remediation: submit the DS of the key that signs the DNSKEY RRset (the KSK, flags 257), or
    have the signer sign the DNSKEY RRset with the key the DS names.
    """
    assert zone.apex is not None
    ds = ds_rrset(zone, ev)
    if ds is None:
        return
    findings = []
    for answers, keys in served_key_sets(zone):
        named = [k for k in keys if any(ds_matches(d, zone.apex, k) for d in ds)]
        if not named:
            continue  # KEY01 (or ALG01) reports it
        exchange = answers.get(zone.apex, dns.rdatatype.DNSKEY)
        assert exchange is not None
        checks = verify_rrset(keys, exchange.signatures(dns.rdatatype.DNSKEY, zone.apex),
                              keys, zone.apex)
        if not any(c.key in named and c.crypto is Crypto.VALID for c in checks):
            labels = ", ".join(key_label(k) for k in named)
            findings.append(Finding(Severity.CRITICAL,
                                    f"the key the DS names ({labels}) does not sign the DNSKEY "
                                    "RRset", str(answers.server), exchange.evidence(),
                                    code="ds-key-does-not-sign"))
    # not by @register: with no DS (returned above), not even a silent server is reported
    yield from merge_servers(findings)
    yield from unusable_servers(zone, (dns.rdatatype.DNSKEY,))


@register(id="KEY03", name="ds-key-zone-flag", category=Category.KEY_MISMATCH,
          title="The key a DS names has the Zone Key flag",
          severity=Severity.CRITICAL, rfc="RFC 4034 §2.1.1, RFC 4035 §5.2", marker="chain",
          codes=("ds-key-not-zone-key",))
def ds_key_zone_flag(zone: ZoneData, ev: Evaluation) -> Iterator[Finding]:
    """Validators use only DNSKEYs with the Zone Key flag (bit 7) to verify signatures. A DS
    naming a key without it proves nothing: if it is the only one, the zone is bogus.

    Remediation: generate the KSK as a zone key (flags 257) and publish its DS.
    """
    assert zone.apex is not None
    ds = ds_rrset(zone, ev)
    if ds is None:
        return
    findings = []
    for answers, keys in served_key_sets(zone):
        named = [k for k in keys if any(ds_matches(d, zone.apex, k) for d in ds)]
        flagless = [k for k in named if not k.flags & ZONE_KEY_FLAG]
        if flagless:
            severity = Severity.CRITICAL if len(flagless) == len(named) else Severity.WARNING
            findings.append(Finding(severity,
                                    "the DS names key(s) without the Zone Key flag: "
                                    + ", ".join(f"{key_label(k)} flags {k.flags}"
                                                for k in flagless), str(answers.server),
                                    code="ds-key-not-zone-key"))
    # not by @register: with no DS (returned above), not even a silent server is reported
    yield from merge_servers(findings)
    yield from unusable_servers(zone, (dns.rdatatype.DNSKEY,))


@register(id="KEY04", name="dnskey-tag-collision", category=Category.KEY_MISMATCH,
          title="No two DNSKEYs of the zone share a key tag and algorithm",
          severity=Severity.WARNING, rfc="RFC 4034 §5.1.1, Appendix B; RFC 4035 §5.3.1",
          marker="chain",
          codes=("key-tag-collision",), merge=True, unusable=(dns.rdatatype.DNSKEY,))
def dnskey_tag_collision(zone: ZoneData, ev: Evaluation) -> list[Finding]:
    """An RRSIG and a DS name their key by key tag and algorithm; the tag is a checksum, not
    an identifier (RFC 4034 Appendix B), so two keys can share one. Validators then try
    each key with that tag (RFC 4035 §5.3.1): it works, but it costs them, and since KeyTrap
    (CVE-2023-50387) resolvers bound that work. Signers avoid colliding tags when they
    generate keys; a DNSKEY RRset with a collision is a warning.

    Remediation: replace one of the colliding keys with a newly generated one (a normal key
    rollover), so that every key of the zone has a tag of its own.
    """
    assert zone.apex is not None
    findings = []
    for answers in zone.usable_answers():
        keys = dnskeys_at(answers, zone.apex)
        groups: dict[tuple[int, int], list[DNSKEY]] = defaultdict(list)
        for key in keys or ():
            groups[(key_tag(key), int(key.algorithm))].append(key)
        exchange = answers.get(zone.apex, dns.rdatatype.DNSKEY)
        for (tag, algorithm), shared in sorted(groups.items()):
            if len(shared) > 1:
                findings.append(Finding(
                    Severity.WARNING,
                    f"{len(shared)} DNSKEYs share key tag {tag} with algorithm {algorithm} "
                    f"({', '.join(key_label(k) for k in shared)}): validators must try each "
                    "of them for every signature and DS with that tag",
                    str(answers.server), exchange.evidence() if exchange else "",
                                        code="key-tag-collision"))
    return findings


@register(id="SIG01", name="rrsig-verifies", category=Category.BAD_SIGNATURE,
          title="Every RRset carries an RRSIG that verifies with a published key",
          severity=Severity.CRITICAL, rfc="RFC 4035 §5.3, RFC 4034 §3.1", marker="chain",
          codes=("rrsig-invalid", "rrsig-key-missing", "rrsig-missing"),
          merge=True, unusable=EVERY_QUESTION)
def rrsig_verifies(zone: ZoneData, ev: Evaluation) -> list[Finding]:
    """Each RRset of a signed zone (NSEC and NSEC3 records aside: DENIAL05 checks those)
    must carry at least one RRSIG that verifies
    cryptographically with a key of the zone's DNSKEY RRset, whatever its validity dates
    (those are the expiry checks' business). An RRset with no RRSIG, signed only by a key that
    is not published, or whose only signatures do not verify (a corrupted signature, data
    changed after signing, a signer bug) is bogus. A failing signature beside one that
    verifies is a warning: validators try the next one.

    Remediation: re-sign the zone from its unsigned source with the published keys; look for
    whatever edits the signed zone after signing (a post-processing script, a broken transfer).
    """
    findings: list[Finding] = []
    if is_signed(zone):
        for served in served_rrsets(zone):
            if served.rrset.rdtype in DENIAL_TYPES:
                continue  # a bad signature on a denial record is the denial checks' (DENIAL05)
            verified = [c for c in served.checks if c.crypto is Crypto.VALID]
            if not served.checks:
                findings.append(Finding(Severity.CRITICAL,
                                        f"{served.label} has no RRSIG in a signed zone",
                                        str(served.server), served.exchange.evidence(),
                                        code="rrsig-missing"))
                continue
            severity = Severity.WARNING if verified else Severity.CRITICAL
            for check in served.checks:
                if check.crypto is Crypto.INVALID:
                    findings.append(Finding(severity,
                                            f"{check.label} does not verify",
                                            str(served.server), served.exchange.evidence(),
                                            code="rrsig-invalid"))
                elif check.crypto is Crypto.NO_KEY:
                    findings.append(Finding(
                        Severity.INFO if verified else Severity.CRITICAL,
                        f"{check.label}: no DNSKEY with key tag {check.rrsig.key_tag} is "
                        "published", str(served.server), served.exchange.evidence(),
                                            code="rrsig-key-missing"))
    findings.extend(trust_chain_findings(Category.BAD_SIGNATURE, zone, ev))
    return findings


@register(id="SIG03", name="rrsig-fits-rrset", category=Category.BAD_SIGNATURE,
          title="No RRSIG signs an RRSIG, and no RRset's TTL exceeds its RRSIG's original TTL",
          severity=Severity.WARNING, rfc="RFC 4035 §2.2, RFC 4034 §3.1.4, RFC 4035 §5.3.3",
          marker="chain",
          codes=("rrsig-over-rrsig", "ttl-above-original"), merge=True, unusable=SERVERS_ONLY)
def rrsig_fits_rrset(zone: ZoneData, ev: Evaluation) -> list[Finding]:
    """An RRSIG states the TTL the RRset had when it was signed (its Original TTL, RFC 4034
    §3.1.4). An RRset served with a longer TTL, the zone's own or the DS at the parent, was
    changed after signing: validators cache it no longer than the original TTL (RFC 4035
    §5.3.3), so the TTL the operator set is not the one in force. And RRSIG records are
    never signed themselves (RFC 4035 §2.2): an RRSIG covering type RRSIG is a signer bug
    that validators ignore. Both are warnings; a signature that does not verify is SIG01's.

    Remediation: set TTLs in the unsigned zone and re-sign, rather than editing the signed
    file (or the parent's DS TTL without re-signing); find the step that signs RRSIG records
    and remove it.
    """
    assert zone.apex is not None
    findings = []
    for served in served_rrsets(zone):
        finding = _ttl_above_original(served.rrset, served.rrsigs, served.label,
                                      str(served.server), served.exchange.evidence)
        if finding is not None:
            findings.append(finding)
    for entry in parent_ds(zone, ev):
        rrsigs = entry.exchange.signatures(dns.rdatatype.DS, zone.apex)
        if entry.rrset is not None:
            finding = _ttl_above_original(entry.rrset, rrsigs, f"{zone.apex} DS",
                                          str(entry.server), entry.exchange.evidence)
            if finding is not None:
                findings.append(finding)
    for owner, server, evidence in _signed_rrsigs(zone):
        findings.append(Finding(Severity.WARNING,
                                f"an RRSIG at {owner} covers type RRSIG: RRSIG records are "
                                "never signed (RFC 4035 §2.2), validators ignore it", server,
                                evidence, code="rrsig-over-rrsig"))
    return findings


def _ttl_above_original(rrset: dns.rrset.RRset, rrsigs: dns.rrset.RRset | None, label: str,
                        server: str, evidence: Evidence) -> Finding | None:
    # `evidence` may be the exchange's renderer: rendered only for an RRset that is reported
    originals = sorted({r.original_ttl for r in rrsigs or () if r.original_ttl < rrset.ttl})
    if not originals:
        return None
    stated = ", ".join(str(t) for t in originals)
    return Finding(Severity.WARNING,
                   f"{label} has TTL {rrset.ttl}, above the original TTL {stated} its RRSIG "
                   f"states: validators cache it for {originals[0]} s at most (changed "
                   "after signing?)", server, evidence, code="ttl-above-original")


def _signed_rrsigs(zone: ZoneData) -> list[tuple[dns.name.Name, str, str]]:
    """Where an RRSIG covers type RRSIG: in the answers, and anywhere in a zone file."""
    found: dict[dns.name.Name, tuple[dns.name.Name, str, str]] = {}
    for answers in zone.usable_answers():
        for exchange in (*answers.exchanges.values(), answers.nonexistent, answers.nodata):
            response = exchange.response if exchange is not None else None
            for rrset in (*response.answer, *response.authority) if response else ():
                if rrset.rdtype == dns.rdatatype.RRSIG and rrset.covers == dns.rdatatype.RRSIG:
                    assert exchange is not None
                    found.setdefault(rrset.name, (rrset.name, str(answers.server),
                                                  exchange.evidence()))
    if zone.file_content is not None and zone.servers:
        for owner, node in zone.file_content.nodes.items():
            rdataset = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.RRSIG,
                                         dns.rdatatype.RRSIG)
            if rdataset is not None:
                found.setdefault(owner, (owner, str(zone.servers[0]),
                                         f"{rrset_of(owner, rdataset).to_text()}"))
    return list(found.values())


@register(id="SIG02", name="zone-file-loads", category=Category.BAD_SIGNATURE,
          title="The zone file loads as name servers load it, every record readable",
          severity=Severity.CRITICAL, rfc="RFC 1035 §5.1, RFC 2181 §10.1, RFC 4034 §5.1",
          marker="chain",
          codes=("file-loads", "file-problem"))
def zone_file_loads(zone: ZoneData, ev: Evaluation) -> Iterator[Finding]:
    """A zone file (`zone_file:` in domains.yaml) is read record by record, as NSD, BIND and
    Knot load it. A file that cannot be read, text that does not parse, CNAME and other data
    at one name (RFC 2181 §10.1), or no SOA and NS at the apex: name servers refuse the whole
    zone, so nothing in it can be served or validated. That is this check's failure, with
    the file and the line of every such record; the other checks are skipped (they have no
    zone to judge), so one broken file is one finding. A record that is well formed but holds
    a value validators cannot use (a DS with the reserved digest type 0, which BIND and NSD
    load) is a warning: it is left out, and the rest of the zone is checked without it. The
    DS file is read here too. Live zones: skipped (their servers loaded them).

    Remediation: fix the records at the lines named (or the signer step that wrote them),
    then check the file with `named-checkzone` or `kzonecheck` before publishing it.
    """
    if zone.source != "file":
        raise NotApplicable("for zone files only (zone_file: in domains.yaml): a live zone is "
                            "loaded by its servers")
    for problem in zone.file_problems:
        yield Finding(Severity.CRITICAL if problem.fatal else Severity.WARNING,
                      str(problem), code="file-problem")
    if zone.discovery_failure is None and not zone.file_problems:
        yield Finding(Severity.INFO, "the zone file loads, every record read",
                      code="file-loads")
