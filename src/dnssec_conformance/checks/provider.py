"""Cloud DNS providers: what Route 53, Cloud DNS or Cloudflare say about signing the zone
(`providers/`), judged and compared with what the DNS really serves: the provider's status,
its keys, the DS the parent publishes for its KSK, its algorithms, its denial of existence.

A domain without `provider:` has nothing to compare: every check here is skipped. A provider
that could not be read is an `error` (could not check), never a verdict on the zone.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import dns.name
import dns.rdatatype
import dns.rrset
from dns.rdtypes.ANY.DNSKEY import DNSKEY
from dns.rdtypes.ANY.DS import DS

from ..analysis.evaluation import Evaluation
from ..analysis.zone import dnskeys_at, is_signed, merge_servers, parent_ds, unusable_servers
from ..catalog import register
from ..dnssec.signatures import digest_matches, key_label
from ..errors import NotApplicable
from ..findings import Category, Finding, Security, Severity
from ..probe.data import ServerAnswers, ZoneData, authoritative_problem, memoized
from ..probe.providers import KeyState, ProviderKey, ProviderView, ZoneState
from .algorithm import ALGORITHM_POLICY, RECOMMENDED_ALGORITHMS, RSA_ALGORITHMS

MIN_RSA_BITS = 2048
NO_PROVIDER = ("no `provider:` for this domain in domains.yaml: there is no provider view to "
               "compare with the DNS")


def provider_details(zone: ZoneData, ev: Evaluation) -> dict[str, Any]:
    """What results.json, the report and the heartbeat show for the domain: the provider's
    view next to the DNS's (the parent's DS set, the keys the servers serve)."""
    if zone.provider is None:
        return {}
    return {"provider": memoized(zone, ("provider_details", ev.now, ev.anchors.source),
                                 lambda: _details(zone, ev))}


def _details(zone: ZoneData, ev: Evaluation) -> dict[str, Any]:
    view = zone.provider
    assert view is not None
    keys = [{"role": k.role, "key_tag": k.key_tag, "algorithm": k.algorithm,
             "status": k.status, "state": str(k.state), "ds": list(k.ds)} for k in view.keys]
    details: dict[str, Any] = {
        "name": view.provider, "label": view.name, "zone": view.zone,
        "zone_name": view.zone_name, "status": view.status, "state": str(view.state),
        "status_message": view.status_message, "failure": view.failure, "keys": keys,
        "denial": view.denial, "dns": None, "ds_at_parent": None,
    }
    if zone.discovery_failure is not None or zone.apex is None:
        return details
    parent_sets = [e.rrset for e in parent_ds(zone, ev) if e.rrset is not None]
    parent = sorted({_ds_text(d) for rrset in parent_sets for d in rrset})
    served: list[str] = []
    for answers in zone.usable_answers():
        for key in dnskeys_at(answers, zone.apex) or ():
            if key_label(key) not in served:
                served.append(key_label(key))
    denial = sorted({d for a in zone.usable_answers() if (d := served_denial(a))})
    details["dns"] = {"parent_ds": parent, "dnskeys": served, "signed": is_signed(zone),
                      "denial": denial[0] if len(denial) == 1 else (denial or None)}
    if view.failure is None and view.active_ksks():
        wanted = {d for k in view.active_ksks() for d in k.ds_records()}
        details["ds_at_parent"] = any(d in wanted for rrset in parent_sets for d in rrset)
    return details


def _ds_text(ds: DS) -> str:
    return f"{ds.key_tag} {ds.algorithm} {ds.digest_type} {ds.digest.hex().upper()}"


def _view(zone: ZoneData) -> tuple[ProviderView | None, list[Finding]]:
    """The view to judge, or the could-not-check finding that replaces every verdict."""
    view = zone.provider
    if view is None:
        raise NotApplicable(NO_PROVIDER)
    if view.failure is not None:
        return None, [Finding(Severity.ERROR,
                              f"could not read the provider: {view.failure}",
                              code="provider-unreadable")]
    apex = zone.apex or zone.name
    if view.zone_name and dns.name.from_text(view.zone_name) != apex:
        return None, [Finding(Severity.ERROR,
                              f"{view.label} is {view.zone_name}, not {apex}: it is another "
                              "zone (check the provider's IDs in domains.yaml)",
                              evidence=view.evidence, code="provider-other-zone")]
    return view, []


def _said(view: ProviderView) -> str:
    return view.status + (f": {view.status_message}" if view.status_message else "")


@register(id="PROVIDER01", name="provider-signing-status", category=Category.PROVIDER,
          title="The DNS provider reports the zone signed, as domains.yaml expects",
          severity=Severity.CRITICAL,
          rfc="RFC 4035 §2; Route 53 DNSSECStatus, Cloud DNS dnssecConfig, Cloudflare "
              "DNSSEC states", marker="provider",
          details=provider_details,
          codes=("provider-other-zone", "provider-unreadable", "signing", "signing-problem",
                 "status-unknown", "transfer-mode", "unsigned-as-expected",
                 "unsigned-expected-secure"))
def provider_signing_status(zone: ZoneData, ev: Evaluation) -> Iterator[Finding]:
    """The provider's own signing status: Route 53's `ServeSignature`, Cloud DNS's
    `dnssecConfig.state`, Cloudflare's DNSSEC `status`. A zone expected secure whose provider
    does not sign it (Route 53 NOT_SIGNING, Cloud DNS off, Cloudflare disabled), is turning
    signing off (DELETING, pending-disabled), or waits for its DS at the registrar
    (Cloudflare pending) is critical: validators treat it as unsigned, or soon will. A
    provider reporting a signing failure (Route 53 ACTION_NEEDED or INTERNAL_FAILURE,
    Cloudflare error) is critical whatever the expectation, with the provider's own message:
    its signatures will expire unrenewed. Cloud DNS's transfer mode is noted.

    Remediation: fix what the provider's status message names (for Route 53 ACTION_NEEDED,
    usually the KMS key behind the KSK: re-enable it or restore the key policy that lets
    Route 53 use it), enable DNSSEC signing at the provider, or add the provider's DS at the
    registrar when it waits for it; set `expect: insecure` for a zone meant to be unsigned.
    """
    view, problems = _view(zone)
    if view is None:
        yield from problems
        return
    secure = zone.domain.expect == "secure"
    state, name, evidence = view.state, view.name, view.evidence
    if state is ZoneState.FAILING:
        yield Finding(Severity.CRITICAL,
                      f"{view.label} reports a signing problem ({_said(view)})",
                      evidence=evidence, code="signing-problem")
    elif state is ZoneState.UNKNOWN:
        yield Finding(Severity.WARNING,
                      f"{view.label} reports a DNSSEC status this version does not know "
                      f"({view.status or 'none'}): it cannot be judged", evidence=evidence,
                      code="status-unknown")
    elif state is ZoneState.SIGNING:
        expected = "" if secure else ", although domains.yaml expects the zone insecure"
        yield Finding(Severity.INFO,
                      f"{name} signs the zone ({view.status}){expected}", evidence=evidence,
                      code="signing")
    elif state is ZoneState.TRANSFER:
        yield Finding(Severity.INFO,
                      f"{name} signs the zone in transfer mode (a change of DNS operator)",
                      evidence=evidence, code="transfer-mode")
    else:
        what = {
            ZoneState.PENDING_DS: "signs the zone, but its DNSSEC is pending: the DS is still "
                                  "to be added at the registrar, so validators treat the zone "
                                  "as unsigned",
            ZoneState.NOT_SIGNING: "does not sign the zone",
            ZoneState.DELETING: "is removing the zone's signing",
            ZoneState.PENDING_DISABLED: "has DNSSEC turned off and waits for the DS to be "
                                        "removed at the registrar",
        }[state]
        if secure:
            yield Finding(Severity.CRITICAL,
                          f"{name} {what} ({_said(view)}), but domains.yaml expects the zone "
                          "secure", evidence=evidence, code="unsigned-expected-secure")
        else:
            yield Finding(Severity.INFO, f"{name} {what} ({view.status}), as "
                          "domains.yaml expects (insecure)", evidence=evidence,
                          code="unsigned-as-expected")


@register(id="PROVIDER02", name="provider-key-status", category=Category.PROVIDER,
          title="The DNS provider's signing keys are usable: an active KSK, none failing",
          severity=Severity.CRITICAL,
          rfc="RFC 6781 §4.1; Route 53 KeySigningKey.Status, Cloud DNS DnsKey.isActive",
          marker="provider",
          details=provider_details,
          codes=("key-failing", "key-status", "key-status-unknown", "no-active-ksk",
                 "no-active-zsk", "no-ksk-listed", "provider-other-zone", "provider-unreadable"))
def provider_key_status(zone: ZoneData, ev: Evaluation) -> Iterator[Finding]:
    """Each key as the provider reports it. A Route 53 KSK in ACTION_NEEDED (its customer
    managed KMS key disabled, deleted, or no longer usable by Route 53) or INTERNAL_FAILURE
    is critical: the DNSKEY RRset's signatures will not be renewed. A zone that is signed, or
    expected secure, whose KSKs are all INACTIVE (or that has none) has no key to sign its
    DNSKEY RRset: critical. Cloud DNS must also have an active zone-signing key. Inactive
    keys beside active ones are normal during a rollover and noted. Cloudflare reports no
    per-key status (its one key follows the zone's status, PROVIDER01): skipped.

    Remediation: for a Route 53 KSK in ACTION_NEEDED, re-enable its KMS key (or restore the
    key policy granting dnssec-route53.amazonaws.com kms:DescribeKey, kms:GetPublicKey and
    kms:Sign), or create a new KSK and roll to it; activate a KSK before deactivating the
    last active one.
    """
    view, problems = _view(zone)
    if view is None:
        yield from problems
        return
    if view.provider == "cloudflare":
        raise NotApplicable("Cloudflare reports no per-key status: its key follows the zone's "
                            "DNSSEC status (PROVIDER01)")
    evidence, name = view.evidence, view.name
    for key in view.keys:
        if key.state is KeyState.FAILING:
            message = f": {key.status_message}" if key.status_message else ""
            yield Finding(Severity.CRITICAL,
                          f"{name} {key.label} is {key.status}{message}", evidence=evidence,
                          code="key-failing")
        elif key.state is KeyState.UNKNOWN:
            yield Finding(Severity.WARNING,
                          f"{name} {key.label} has a status this version does not know "
                          f"({key.status or 'none'})", evidence=evidence, code="key-status-unknown")
    needed = view.signing or zone.domain.expect == "secure"
    ksks = view.ksks()
    active = [k for k in ksks if k.state is KeyState.ACTIVE]
    failing = [k for k in ksks if k.state is KeyState.FAILING]
    if needed and not active and not failing:
        if ksks:
            states = ", ".join(f"{k.label} {k.status}" for k in ksks)
            yield Finding(Severity.CRITICAL,
                          f"{name} has no active KSK ({states}): nothing signs the DNSKEY "
                          "RRset", evidence=evidence, code="no-active-ksk")
        elif view.signing:
            yield Finding(Severity.CRITICAL,
                          f"{name} reports signing ({view.status}) but lists no KSK",
                          evidence=evidence, code="no-ksk-listed")
    if view.provider == "clouddns" and view.signing and not any(
            k.role == "ZSK" and k.state is KeyState.ACTIVE for k in view.keys):
        yield Finding(Severity.CRITICAL,
                      f"{name} has no active zone-signing key: the zone's data is not signed",
                      evidence=evidence, code="no-active-zsk")
    for key in view.keys:
        if key.state in (KeyState.INACTIVE, KeyState.DELETING) and (active or not needed):
            yield Finding(Severity.INFO, f"{name} {key.label} is {key.status}",
                          evidence=evidence, code="key-status")
    for key in active:
        yield Finding(Severity.INFO, f"{name} {key.label} is {key.status}",
                      code="key-status")


@register(id="PROVIDER03", name="provider-ksk-ds-at-parent", category=Category.MISSING_DS,
          title="The parent serves the DS of the KSK the DNS provider signs with",
          severity=Severity.CRITICAL, rfc="RFC 4035 §5.2, RFC 4033 §5", marker="provider",
          details=provider_details,
          codes=("disabled-ds-remains", "ds-at-parent", "ds-mismatch", "ds-not-needed",
                 "no-ds-given", "parent-ds-unusable", "parent-not-found", "provider-other-zone",
                 "provider-unreadable", "unsigned-ds-remains"))
def provider_ksk_ds_at_parent(zone: ZoneData, ev: Evaluation) -> Iterator[Finding]:
    """The provider's active KSK (Route 53's `DSRecord`, Cloud DNS's key digests, Cloudflare's
    `ds`) must be what the parent points to: its DS among the DS records every server of the
    parent really serves. A provider that signs with a KSK whose DS the registrar never got
    leaves the zone an island of security (expected secure: critical); a parent DS for
    another key or another algorithm makes it bogus. While several KSKs are active (a
    rollover) one DS among them suffices. A parent that still serves a DS while the provider
    does not sign, or is removing its signing, is critical too: validators will reject the
    zone; Cloudflare's pending-disabled state (it signs until the DS is gone) is a warning.

    Remediation: add the provider's DS (as its console or API gives it, whole) at the
    registrar, and remove DS records of keys the provider no longer has; when turning DNSSEC
    off, remove the DS first and wait out its TTL before the provider stops signing.
    """
    view, problems = _view(zone)
    if view is None:
        yield from problems
        return
    if zone.parent is None:
        raise NotApplicable("the root zone has no parent to publish a DS")
    entries = parent_ds(zone, ev)
    for entry in entries:
        if entry.verdict.security is Security.UNKNOWN:
            yield Finding(Severity.ERROR,
                          f"could not get the DS set from this parent server: "
                          f"{entry.verdict.message}", str(entry.server), entry.exchange.evidence(),
                          code="parent-ds-unusable")
    answered = [e for e in entries if e.verdict.security is not Security.UNKNOWN]
    if not entries:
        yield Finding(Severity.ERROR,
                      f"no server of the parent zone {zone.parent} could be found",
                      code="parent-not-found")
    if view.state is ZoneState.UNKNOWN:
        return  # PROVIDER01 says the status cannot be judged
    findings = []
    for entry in answered:
        parent_set = list(entry.rrset or ())
        evidence = f"{view.evidence}\n\n{entry.exchange.evidence()}"
        if view.signing:
            findings += _signing_ds_findings(zone, view, parent_set, str(entry.server), evidence)
        elif parent_set:
            shown = ", ".join(_ds_text(d) for d in parent_set)
            if view.state is ZoneState.PENDING_DISABLED:
                findings.append(Finding(Severity.WARNING,
                                        f"{view.name} has DNSSEC turned off and signs until "
                                        f"the DS is removed at the registrar; the parent "
                                        f"{zone.parent} still serves DS {shown}",
                                        str(entry.server), evidence, code="disabled-ds-remains"))
            else:
                findings.append(Finding(Severity.CRITICAL,
                                        f"the parent {zone.parent} still serves DS {shown}, but "
                                        f"{view.name} does not sign the zone ({view.status}): "
                                        "validators will reject its answers",
                                        str(entry.server), evidence, code="unsigned-ds-remains"))
    # not by @register: the parent servers' could-not-check findings stay one per server
    yield from merge_servers(findings)


def _signing_ds_findings(zone: ZoneData, view: ProviderView, parent_set: list[DS],
                         server: str, evidence: str) -> list[Finding]:
    active = view.active_ksks()
    if not active:
        return []  # PROVIDER02 reports a signing provider without an active KSK
    with_ds = [k for k in active if k.ds_records()]
    if not with_ds:
        return [Finding(Severity.WARNING,
                        f"{view.name} gives no DS for its active KSK(s) "
                        f"{', '.join(k.label for k in active)}: nothing to compare with the "
                        "parent", evidence=view.evidence, code="no-ds-given")]
    pointed = [k for k in with_ds if any(d in parent_set for d in k.ds_records())]
    if pointed:
        findings = [Finding(Severity.INFO,
                            f"the parent {zone.parent} serves the DS of {view.name}'s "
                            f"{k.label}", server, code="ds-at-parent") for k in pointed]
        findings += [Finding(Severity.INFO,
                             f"{view.name}'s active {k.label} has no DS at the parent (its "
                             "DS is not needed while another active KSK has one: a rollover)",
                             server, code="ds-not-needed") for k in with_ds if k not in pointed]
        return findings
    wanted = "; ".join(f"{k.label}, DS {' or '.join(k.ds)}" for k in with_ds)
    serves = ", ".join(_ds_text(d) for d in parent_set) if parent_set else "no DS"
    hints = [h for k in with_ds for h in _mismatch_hints(view, k, parent_set)]
    message = (f"{view.name} signs with a key the parent does not point to: {wanted}; the "
               f"parent {zone.parent} serves {serves}" + (f" ({'; '.join(hints)})" if hints
                                                         else ""))
    # No DS at all for a zone meant to be insecure is what its owner wants: information.
    secure = zone.domain.expect == "secure"
    severity = Severity.CRITICAL if secure or parent_set else Severity.INFO
    return [Finding(severity, message, server, evidence, code="ds-mismatch")]


def _mismatch_hints(view: ProviderView, key: ProviderKey, parent_set: list[DS]) -> list[str]:
    """Why a parent DS with the provider key's tag is not its DS: the algorithm, or the
    digest."""
    hints = []
    for ds in parent_set:
        if ds.key_tag != key.key_tag:
            continue
        if key.algorithm is not None and ds.algorithm != key.algorithm:
            hints.append(f"the parent's DS {ds.key_tag} names algorithm {ds.algorithm}, "
                         f"{view.name}'s KSK is algorithm {key.algorithm}")
        else:
            hints.append(f"the parent's DS {ds.key_tag} has another digest than {view.name}'s "
                         "KSK")
    return hints


@register(id="PROVIDER04", name="provider-algorithm-policy", category=Category.ALGORITHM,
          title="The DNS provider's keys and key specs use algorithms validators accept",
          severity=Severity.CRITICAL, rfc="RFC 8624 §3.1, RFC 9904, RFC 9905",
          marker="provider",
          details=provider_details,
          codes=("algorithm-unknown", "deprecated-algorithm", "provider-other-zone",
                 "provider-unreadable", "short-rsa-key", "unimplemented-algorithm"))
def provider_algorithm_policy(zone: ZoneData, ev: Evaluation) -> Iterator[Finding]:
    """The algorithm policy of ALG03 and ALG05 applied to the provider's keys and, for
    Cloud DNS, to its `defaultKeySpecs` (what new keys will be made with, so a policy problem
    shows before a rollover publishes it): MUST NOT algorithms and algorithms validators do
    not implement are critical for a zone expected secure, the SHA-1 algorithms (RSASHA1,
    deprecated by RFC 9905) a warning, RSA keys under 2048 bits a warning (Cloud DNS makes
    1024-bit RSA zone-signing keys by default).

    Remediation: choose ECDSAP256SHA256 (13) at the provider (Cloud DNS: set the key specs
    while DNSSEC is off, or create the zone with them), or RSASHA256 with 2048-bit keys.
    """
    view, problems = _view(zone)
    if view is None:
        yield from problems
        return
    secure = zone.domain.expect == "secure"
    items = [(f"{view.name} {k.label}", k.algorithm, k.algorithm_name, k.key_length)
             for k in view.keys]
    items += [(f"{view.name} key spec for new {s.role}s", s.algorithm, s.algorithm_name,
               s.key_length) for s in view.key_specs]
    for what, algorithm, algorithm_name, key_length in items:
        if algorithm is None:
            yield Finding(Severity.WARNING,
                          f"{what}: algorithm {algorithm_name!r} is not one this version knows",
                          evidence=view.evidence, code="algorithm-unknown")
        elif algorithm in ALGORITHM_POLICY:
            label, severity, why = ALGORITHM_POLICY[algorithm]
            yield Finding(severity, f"{what} uses algorithm {algorithm} "
                          f"({label}): {why}", evidence=view.evidence, code="deprecated-algorithm")
        elif algorithm not in RECOMMENDED_ALGORITHMS:
            yield Finding(Severity.CRITICAL if secure else Severity.WARNING,
                          f"{what} uses algorithm {algorithm}, which validators do not "
                          "implement", evidence=view.evidence, code="unimplemented-algorithm")
        if algorithm in RSA_ALGORITHMS and key_length is not None and key_length < MIN_RSA_BITS:
            yield Finding(Severity.WARNING,
                          f"{what} is a {key_length}-bit RSA key (under {MIN_RSA_BITS})",
                          evidence=view.evidence, code="short-rsa-key")


def served_denial(answers: ServerAnswers) -> str | None:
    """"nsec" or "nsec3": what a server's negative answers prove with, None if neither."""
    kinds = set()
    for probe in (answers.nonexistent, answers.nodata):
        if probe is None or authoritative_problem(probe) is not None:
            continue
        assert probe.response is not None
        for rrset in probe.response.authority:
            if rrset.rdtype == dns.rdatatype.NSEC3:
                kinds.add("nsec3")
            elif rrset.rdtype == dns.rdatatype.NSEC:
                kinds.add("nsec")
    return kinds.pop() if len(kinds) == 1 else None


@register(id="PROVIDER05", name="provider-denial-matches", category=Category.DENIAL,
          title="The servers prove non-existence the way the DNS provider is set to",
          severity=Severity.WARNING, rfc="RFC 4035 §3.1.3, RFC 5155 §7.2", marker="provider",
          details=provider_details,
          codes=("denial-method-differs", "provider-other-zone", "provider-unreadable"))
def provider_denial_matches(zone: ZoneData, ev: Evaluation) -> Iterator[Finding]:
    """Cloud DNS's `dnssecConfig.nonExistence` (and Cloudflare's `dnssec_use_nsec3`, where
    its API reports it) says whether the zone proves non-existence with NSEC or NSEC3. Servers
    that answer with the other kind are not serving what the provider signs: the delegation
    points at other servers, or a change has not reached them. Route 53 does not report its
    method: skipped.

    Remediation: check that the parent's NS records name the provider's name servers, and
    that the provider's setting is the one intended (Cloud DNS changes it only while DNSSEC
    is off).
    """
    view, problems = _view(zone)
    if view is None:
        yield from problems
        return
    if view.denial is None:
        raise NotApplicable(f"{view.name} does not report whether it serves NSEC or NSEC3")
    if not view.signing:
        return
    findings = []
    for answers in zone.usable_answers():
        served = served_denial(answers)
        if served is not None and served != view.denial:
            probe = answers.nonexistent or answers.nodata
            findings.append(Finding(Severity.WARNING,
                                    f"{view.name} is set to {view.denial.upper()}, but this "
                                    f"server proves non-existence with {served.upper()}",
                                    str(answers.server),
                                    probe.evidence() if probe is not None else "",
                                    code="denial-method-differs"))
    # not by @register: an unreadable provider (returned above) replaces every verdict
    yield from merge_servers(findings)
    yield from unusable_servers(zone)


@register(id="PROVIDER06", name="provider-ksk-served", category=Category.KEY_MISMATCH,
          title="The servers serve the KSK the DNS provider signs with",
          severity=Severity.CRITICAL, rfc="RFC 4035 §5.2, RFC 7583 §3", marker="provider",
          details=provider_details,
          codes=("active-key-not-served", "active-key-not-served-here", "provider-other-zone",
                 "provider-unreadable"))
def provider_ksk_served(zone: ZoneData, ev: Evaluation) -> Iterator[Finding]:
    """Every authoritative server must serve, in the zone's DNSKEY RRset, the active KSK the
    provider reports. When the parent's DS points to that key and a server does not serve it,
    validators asking that server find no key for the DS: critical (bogus). A missing key the
    parent does not point to is a warning: these servers are not signed by this provider (the
    delegation names other servers), or a key just added has not reached them yet.

    Remediation: make the parent's NS records name the provider's name servers; if the key
    was just created, wait until every server serves it before publishing its DS.
    """
    view, problems = _view(zone)
    if view is None:
        yield from problems
        return
    if not view.signing:
        return
    assert zone.apex is not None
    parent = [d for e in parent_ds(zone, ev) if e.rrset is not None
              for d in e.rrset]
    findings = []
    for key in view.active_ksks():
        record, ds = key.dnskey_record(), key.ds_records()
        if record is None and not ds:
            continue
        pointed = any(d in parent for d in ds)
        for answers in zone.usable_answers():
            served = dnskeys_at(answers, zone.apex)
            if served is not None and _serves(served, zone.apex, record, ds):
                continue
            exchange = answers.get(zone.apex, dns.rdatatype.DNSKEY)
            if pointed:
                findings.append(Finding(
                    Severity.CRITICAL,
                    f"{view.name}'s active {key.label} is not in the DNSKEY RRset this server "
                    "serves, and the parent's DS points to it: validators find no key (bogus)",
                    str(answers.server), exchange.evidence() if exchange else "",
                                        code="active-key-not-served"))
            else:
                findings.append(Finding(
                    Severity.WARNING,
                    f"{view.name}'s active {key.label} is not in the DNSKEY RRset this server "
                    f"serves: the server is not signed by {view.name}, or the key has not "
                    "reached it yet", str(answers.server), exchange.evidence() if exchange else "",
                                        code="active-key-not-served-here"))
    # not by @register: an unreadable provider (returned above) replaces every verdict
    yield from merge_servers(findings)
    yield from unusable_servers(zone)


def _serves(served: dns.rrset.RRset, apex: dns.name.Name, record: DNSKEY | None,
            ds: list[DS]) -> bool:
    return any((record is not None and key == record)
               or any(digest_matches(d, apex, key) for d in ds) for key in served)
