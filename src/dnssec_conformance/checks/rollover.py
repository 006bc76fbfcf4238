"""Key rollovers: what changed since the last run, and whether each step of a rollover is
safe given RFC 7583's timing (a new key served everywhere for its TTL before it is relied
on; an old key kept until no cached DS or signature needs it), and CDS/CDNSKEY that a parent
may apply (RFC 7344, RFC 8078)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator

import dns.rdatatype
from dns.rdtypes.ANY.DNSKEY import DNSKEY
from dns.rdtypes.dnskeybase import DNSKEYBase
from dns.rdtypes.dsbase import DSBase

from ..analysis.evaluation import Evaluation
from ..analysis.keytiming import (
    Readiness,
    ServerKeys,
    answer_rrset,
    as_dnskey,
    cacheable_ds_sets,
    distinct_keys,
    ds_label,
    key_readiness,
    names_key,
    served_keys,
    unasked_servers,
)
from ..analysis.multi_signer import each_server_anchored
from ..analysis.zone import (
    EVERY_QUESTION,
    parent_ds,
    parent_ds_records,
    served_rrsets,
)
from ..catalog import register
from ..dnssec.signatures import Crypto, key_label
from ..findings import Category, Evidence, Finding, Severity, joined
from ..probe.data import ZoneData
from ..state.codec import stamp
from ..state.model import KeyRecord, describe_key, fingerprint

NO_HISTORY = ("no key history: give the run a state directory (--state-dir) to time "
              "rollover steps")


def _keys_text(keys: Iterable[DNSKEY]) -> str:
    return ", ".join(key_label(k) for k in keys)


def _readiness(zone: ZoneData, ev: Evaluation, served: list[ServerKeys]
               ) -> dict[str, tuple[DNSKEY, Readiness]]:
    margin = ev.thresholds.rollover_margin_s
    unasked = unasked_servers(zone, served)
    return {fingerprint(k): (k, key_readiness(k, served, ev.history, ev.now, margin, unasked))
            for k in distinct_keys(served)}


@register(id="ROLLOVER01", name="key-rotation", category=Category.ROLLOVER,
          title="Key changes since the last run are reported",
          severity=Severity.WARNING, rfc="RFC 7583 §3, RFC 6781 §4.1", marker="rollover",
          needs=("key_history",),
          codes=("baseline", "history-note", "history-problem", "key-change", "no-history"))
def key_rotation(zone: ZoneData, ev: Evaluation) -> Iterator[Finding]:
    """The zone's DNSKEY set (key tag, algorithm, flags, SHA-256 of the key) and its DS set
    at the parent are kept between runs in the state directory. Keys and DS records added or
    removed since the last run are reported as information, with when they were first and
    last seen and at which servers: a planned rollover leaves a trace, an unplanned one (a
    signer that generated a key on its own, a provider change) is noticed. The first run is a
    baseline, not an event. A state file that cannot be read is moved aside and reported as a
    warning: the run then starts a new baseline, and the rollover checks have no timing for
    the keys present at that moment.

    Remediation: nothing to do for an expected change. For an unexpected one, find out who
    changed the keys before the next rollover step; for a state file moved aside, look at it
    (`*.corrupt-*` in the state directory) and keep the directory on persistent storage.
    """
    history = ev.history
    if history is None:
        yield Finding(Severity.INFO, NO_HISTORY, code="no-history")
        return
    if history.problem:
        yield Finding(Severity.WARNING, history.problem, code="history-problem")
    state = history.state
    if state is None or not history.observed:
        if history.note:
            yield Finding(Severity.INFO, history.note, code="history-note")
        return
    present = state.present_keys()
    if state.is_baseline:
        keys = ", ".join(describe_key(k) for k in present) or "no key"
        yield Finding(Severity.INFO,
                      f"baseline: {keys} recorded in {history.path}; changes are reported "
                      "from the next run on", code="baseline")
    else:
        events = list(_key_events(state.added_keys(), state.removed_keys()))
        events += [f"DS added at the parent: {d.ds} (TTL {d.ttl} s)"
                   for d in state.added_ds()]
        events += [f"DS removed from the parent: {d.ds}, first seen {stamp(d.first_seen)}, "
                   f"last seen {stamp(d.last_seen)}" for d in state.removed_ds()]
        # Only changes are findings: the heartbeat and the report list each as an event.
        for event in events:
            yield Finding(Severity.INFO, event, event=True, code="key-change")
    if history.note:
        yield Finding(Severity.INFO, history.note, code="history-note")


def _key_events(added: list[KeyRecord], removed: list[KeyRecord]) -> Iterator[str]:
    for record in added:
        servers = ", ".join(s for s, t in sorted(record.servers.items())
                            if t == record.last_seen)
        back = (f" (back; first seen {stamp(record.first_seen)})"
                if record.first_seen != record.present_since else "")
        yield (f"key added: {describe_key(record)} flags {record.flags}, sha256 "
               f"{fingerprint(record.key)[:16]}…, first seen {stamp(record.present_since)}"
               f"{back} at {servers}")
    for record in removed:
        yield (f"key removed: {describe_key(record)} flags {record.flags}, sha256 "
               f"{fingerprint(record.key)[:16]}…, first seen {stamp(record.first_seen)}, "
               f"last seen {stamp(record.last_seen)}")


@register(id="ROLLOVER02", name="new-key-ready", category=Category.ROLLOVER,
          title="Zone data is signed only with keys every server has served for the DNSKEY "
                "TTL", severity=Severity.CRITICAL, rfc="RFC 7583 §3.2.1, RFC 6781 §4.1.1.1",
          marker="rollover",
          needs=("key_history",),
          codes=("key-not-ready", "key-ready", "signed-with-unready-key"),
          merge=True, unusable=EVERY_QUESTION)
def new_key_ready(zone: ZoneData, ev: Evaluation) -> list[Finding]:
    """A new key is ready for use only once every authoritative server serves it and it has
    been published for at least the DNSKEY TTL plus a margin (`thresholds.rollover_margin_s`,
    default 1 h): until then validators may hold a DNSKEY RRset without it, from before its
    publication or from a server that lacks it. An RRset signed only with keys that are not
    ready (a ZSK used right after its pre-publication, a signer that switched keys before the
    secondaries had them) fails for those validators: critical. Keys published but not used
    yet are reported with when they become ready, so the next step can be timed. The timing
    comes from the key history (the state directory); without one, only "served by every
    server" is judged. The DNSKEY RRset itself is left out: validators fetch it with its own
    signatures.

    Remediation: go back to signing with the previous key (keep both published) until the
    new key has been served by every server for the DNSKEY TTL; make every secondary transfer
    the zone (check NOTIFY and the transfer logs).
    """
    assert zone.apex is not None
    served = served_keys(zone)
    readiness = _readiness(zone, ev, served)
    in_use: set[str] = set()
    unready: dict[tuple[str, tuple[str, ...]], list[str]] = defaultdict(list)
    evidence: dict[str, Evidence] = {}
    for entry in served_rrsets(zone):
        if entry.rrset.rdtype == dns.rdatatype.DNSKEY:
            continue
        signers = {fingerprint(c.key) for c in entry.checks
                   if c.crypto is Crypto.VALID and c.key is not None}
        in_use |= signers
        if any(readiness[p][1].unknown for p in signers if p in readiness):
            continue  # a server did not answer: unusable_servers says so, no verdict here
        if signers and not any(readiness[p][1].ready for p in signers if p in readiness):
            unready[(str(entry.server), tuple(sorted(signers)))].append(entry.label)
            evidence.setdefault(str(entry.server), entry.exchange.evidence)
    findings = []
    for (server, prints), labels in unready.items():
        reasons = "; ".join(f"{key_label(readiness[p][0])}: {readiness[p][1].why}"
                            for p in prints if p in readiness)
        findings.append(Finding(
            Severity.CRITICAL,
            f"{', '.join(labels)} signed only with keys not ready for use ({reasons}): "
            "validators holding an older DNSKEY RRset, or one from a server without the key, "
            "cannot validate these answers", server, evidence[server],
                                code="signed-with-unready-key"))
    in_use |= _named_by_ds(zone, ev, served)
    findings += _pending_keys(readiness, in_use, ev)
    return findings


def _named_by_ds(zone: ZoneData, ev: Evaluation, served: list[ServerKeys]) -> set[str]:
    assert zone.apex is not None
    named = set()
    for ds in parent_ds_records(zone, ev):
        named |= {fingerprint(k) for k in distinct_keys(served) if names_key(ds, zone.apex, k)}
    return named


def _pending_keys(readiness: dict[str, tuple[DNSKEY, Readiness]], in_use: set[str],
                  ev: Evaluation) -> list[Finding]:
    """Published keys nothing relies on yet: when they become ready. A key that was there
    when the history began is not news, unless it is not ready."""
    state = ev.history.state if ev.history is not None else None
    findings = []
    for print_, (key, ready) in readiness.items():
        if print_ in in_use:
            continue
        record = state.keys.get(print_) if state is not None else None
        new = record is not None and state is not None and record.present_since > state.first_run
        if ready.unknown:
            continue
        if ready.ready and new:
            findings.append(Finding(Severity.INFO,
                                    f"{key_label(key)} is ready for use: {ready.why}",
                                    code="key-ready"))
        elif not ready.ready:
            findings.append(Finding(Severity.INFO,
                                    f"{key_label(key)} is published, not ready for use yet: "
                                    f"{ready.why}", code="key-not-ready"))
    return findings


@register(id="ROLLOVER03", name="ds-key-ready", category=Category.ROLLOVER,
          title="The parent's DS set names a key every server has served for the DNSKEY TTL",
          severity=Severity.CRITICAL, rfc="RFC 7583 §3.3.1, RFC 6781 §4.1.2",
          marker="rollover",
          needs=("key_history",),
          codes=("ds-key-not-ready", "ds-key-not-ready-yet", "ds-key-not-served", "multi-signer"),
          merge=True, unusable=(dns.rdatatype.DNSKEY,))
def ds_key_ready(zone: ZoneData, ev: Evaluation) -> list[Finding]:
    """A new DS at the parent is safe only when the key it names is ready: served by every
    authoritative server for the DNSKEY TTL plus the margin. A DS set whose only keys are not
    ready (the DS swapped before the new KSK reached every server, or too soon after it did)
    breaks validators that hold a DNSKEY RRset without that key: critical. A new DS beside
    one that still names a ready key is a rollover in progress and only noted; a DS naming a
    key that no server serves, beside a good one, is a warning: pre-published for a double-DS
    rollover, or left over, it must not be the only DS before its key is published. A DS set
    that names no served key at all is KEY01's finding. In a multi-signer zone (RFC 8901
    model 2) each provider's KSK is served by that provider only: the DS set carries the
    zone when every server's DNSKEY RRset is signed by a key of its own that a DS names.

    Remediation: keep (or put back) the DS of the previous KSK at the parent until the new
    KSK has been served by every server for the DNSKEY TTL; then swap the DS.
    """
    assert zone.apex is not None
    served = served_keys(zone)
    readiness = _readiness(zone, ev, served)
    keys = distinct_keys(served)
    findings: list[Finding] = []
    seen_sets: set[frozenset[str]] = set()
    for entry in parent_ds(zone, ev):
        if entry.rrset is None or frozenset(d.to_text() for d in entry.rrset) in seen_sets:
            continue
        seen_sets.add(frozenset(d.to_text() for d in entry.rrset))
        evidence = entry.exchange.evidence
        named = {ds.to_text(): (ds, [k for k in keys if names_key(ds, zone.apex, k)])
                 for ds in entry.rrset}
        carrying = [ds for ds, ks in named.values()
                    if any(readiness[fingerprint(k)][1].ready for k in ks)]
        naming = [(ds, ks) for ds, ks in named.values() if ks]
        if not naming:
            continue  # no DS names a served key: KEY01 (or ALG01) says so
        if not carrying and any(readiness[fingerprint(k)][1].unknown
                                for _, ks in naming for k in ks):
            continue  # not known while a server is silent: unusable_servers reports it
        if not carrying and each_server_anchored(zone.apex, served, entry.rrset):
            carrying = [ds for ds, _ in naming]
            findings.append(Finding(
                Severity.INFO,
                "each server's DNSKEY RRset is signed by a KSK of its own that a DS names: "
                "multi-signer (RFC 8901 model 2)", str(entry.server), code="multi-signer"))
        if not carrying:
            for ds, ks in naming:
                why = "; ".join(readiness[fingerprint(k)][1].why for k in ks)
                findings.append(Finding(
                    Severity.CRITICAL,
                    f"{ds_label(ds)} names {_keys_text(ks)}, which is not ready ({why}), and "
                    "no DS names a key that is: validators holding a DNSKEY RRset without it "
                    "fail (the DS changed before the new key was everywhere for its TTL)",
                    str(entry.server), evidence, code="ds-key-not-ready"))
            continue
        carried_by = ", ".join(f"DS {d.key_tag}" for d in carrying)
        for ds, ks in named.values():
            if ds in carrying:
                continue
            if ks:
                why = "; ".join(readiness[fingerprint(k)][1].why for k in ks)
                findings.append(Finding(
                    Severity.INFO,
                    f"{ds_label(ds)} names {_keys_text(ks)}, not ready yet ({why}); "
                    f"{carried_by} still carries the zone", str(entry.server),
                                        code="ds-key-not-ready-yet"))
            else:
                findings.append(Finding(
                    Severity.WARNING,
                    f"{ds_label(ds)} names a key no server serves (pre-published for a "
                    f"double-DS rollover, or left over?): keep {carried_by} and its key until "
                    "that key has been served everywhere for the DNSKEY TTL",
                    str(entry.server), evidence, code="ds-key-not-served"))
    return findings


@register(id="ROLLOVER04", name="key-removal-safe", category=Category.ROLLOVER,
          title="A key leaves the DNSKEY RRset only once no cached DS or signature needs it",
          severity=Severity.CRITICAL, rfc="RFC 7583 §3.2.1, §3.3.1; RFC 6781 §4.1",
          marker="rollover",
          needs=("key_history",),
          codes=("key-removable", "key-removed-too-early", "no-history", "sole-signer-removed"),
          merge=True, unusable=(dns.rdatatype.DNSKEY,))
def key_removal_safe(zone: ZoneData, ev: Evaluation) -> list[Finding]:
    """An old key may be removed only when no DS set that validators may still hold names
    only it: no DS at the parent refers to it, and the DS TTL (plus the margin) has passed
    since its DS disappeared. An old ZSK may be removed only when no RRset is signed with it
    alone, counting cached copies: the largest TTL of those RRsets (plus the margin) must have
    passed since the last one was seen. A key removed earlier, at any server, is critical:
    validators holding the old DS or the old signatures fail until their caches expire. For
    a key that is being retired the check tells when removing it becomes safe. Needs the key
    history (the state directory): it knows which keys were there and when DS records left.

    Remediation: publish the removed key again (unchanged) and wait: remove a KSK only once
    its DS has been gone from the parent for the DS TTL, a ZSK only once nothing signed with
    it alone can still be cached.
    """
    assert zone.apex is not None
    history = ev.history
    state = history.state if history is not None else None
    if state is None:
        return [Finding(Severity.INFO, NO_HISTORY, code="no-history")]
    margin = ev.thresholds.rollover_margin_s
    served = served_keys(zone)
    cached_sets = cacheable_ds_sets(state, ev.now, margin)
    findings: list[Finding] = []
    for entry in served:
        present = {fingerprint(k) for k in entry.keys}
        gone = [r for p, r in state.keys.items() if entry.label in r.servers and p not in present]
        for cached in cached_sets:
            ds_set = [r.rdata for r in cached.records]
            if not ds_set or any(names_key(d, zone.apex, k) for d in ds_set for k in entry.keys):
                continue
            needed = [r for r in gone if any(names_key(d, zone.apex, r.key) for d in ds_set)]
            if not needed:
                continue  # it names no key this server ever served: KEY01's finding
            if cached.until is None:
                served_until = "still at the parent"
                failing = "validators fail until it is replaced and its TTL has passed"
            else:
                served_until = f"at the parent until {stamp(cached.until)}"
                failing = (f"validators holding that DS set fail until "
                           f"{stamp(cached.cached_until(margin))}")
            findings.append(Finding(
                Severity.CRITICAL,
                f"{', '.join(describe_key(r) for r in needed)} removed while the DS set "
                f"{', '.join(ds_label(d) for d in ds_set)} ({served_until}) names no other "
                f"key: {failing}", entry.label, entry.exchange.evidence(),
                                    code="key-removed-too-early"))
        for record in gone:
            if record.sole_signer_until is None:
                continue
            cached_until = record.sole_signer_until + record.sole_signer_ttl + margin
            if ev.now < cached_until:
                findings.append(Finding(
                    Severity.CRITICAL,
                    f"{describe_key(record)} removed while RRsets signed with it alone (last "
                    f"seen {stamp(record.sole_signer_until)}, TTL {record.sole_signer_ttl} s) "
                    f"may still be cached: validators fail on them until {stamp(cached_until)}",
                    entry.label, entry.exchange.evidence(), code="sole-signer-removed"))
    findings += _retiring_keys(zone, ev, served)
    return findings


def _retiring_keys(zone: ZoneData, ev: Evaluation, served: list[ServerKeys]) -> list[Finding]:
    """For keys that were relied on and no longer are: when removing them becomes safe."""
    assert zone.apex is not None and ev.history is not None and ev.history.state is not None
    state, margin = ev.history.state, ev.thresholds.rollover_margin_s
    cached_sets = cacheable_ds_sets(state, ev.now, margin)
    current = cached_sets[-1].records if cached_sets and cached_sets[-1].until is None else ()
    findings = []
    for key in distinct_keys(served):
        record = state.keys.get(fingerprint(key))
        if record is None or any(names_key(d.rdata, zone.apex, key) for d in current):
            continue
        was_named = any(names_key(d.rdata, zone.apex, key) for d in state.ds.values())
        signs_alone = record.sole_signer_until is not None
        if not (was_named or signs_alone) or record.signs_alone:
            continue  # never relied on, or still signing alone
        blockers = []
        for cached in cached_sets:
            ds_set = [r.rdata for r in cached.records]
            if not any(names_key(d, zone.apex, key) for d in ds_set):
                continue
            others = [k for k in distinct_keys(served) if k != key]
            if not any(names_key(d, zone.apex, k) for d in ds_set for k in others):
                blockers.append(cached.cached_until(margin))
        if record.sole_signer_until is not None:
            blockers.append(record.sole_signer_until + record.sole_signer_ttl + margin)
        safe_from = max(blockers, default=0.0)
        if safe_from == float("inf"):
            continue  # still needed by the DS at the parent: not retiring after all
        text = "now" if ev.now >= safe_from else f"from {stamp(safe_from)}"
        findings.append(Finding(Severity.INFO,
                                f"{key_label(key)} is no longer relied on: removing it is "
                                f"safe {text}", code="key-removable"))
    return findings


@register(id="ROLLOVER05", name="cds-cdnskey", category=Category.ROLLOVER,
          title="CDS/CDNSKEY agree, name a key that signs the DNSKEY RRset, and are the same "
                "at every server", severity=Severity.CRITICAL,
          rfc="RFC 7344 §4, §4.1; RFC 8078 §4; draft-ietf-dnsop-cds-consistency",
          marker="rollover",
          needs=("key_history",),
          codes=("cds-cdnskey-disagree", "cds-signer-untrusted", "delete-as-expected",
                 "delete-requested", "delete-with-others", "malformed-delete", "names-unready-key",
                 "servers-disagree", "would-break"),
          merge=True, unusable=(dns.rdatatype.DNSKEY, dns.rdatatype.CDS, dns.rdatatype.CDNSKEY))
def cds_cdnskey(zone: ZoneData, ev: Evaluation) -> list[Finding]:
    """A parent that reads CDS/CDNSKEY (RFC 7344, RFC 8078) replaces the zone's DS set with
    them. They must match each other, be served identically by every server
    (draft-ietf-dnsop-cds-consistency: the parent ignores them otherwise) and name a key
    that signs the DNSKEY RRset at every server:
    applying a set that names no such key makes the zone bogus, which is critical. A set
    naming only keys that are not ready yet is a warning (a prompt parent would swap the DS
    too early), as is a CDS RRset not signed by a key the current DS names (RFC 7344 §4.1:
    parents ignore it). A delete request (CDS `0 0 0 00`, CDNSKEY `0 3 0 AA==`, RFC 8078 §4)
    makes the zone insecure once applied: critical for a zone expected secure. Algorithm 0
    in any other form is no delete request: parents ignore such a set (a warning).

    Remediation: publish CDS/CDNSKEY generated from the live KSK (`dnssec-dsfromkey -C`,
    or the signer's own CDS management), identical on every server; remove a delete request
    unless the zone is meant to go insecure.
    """
    assert zone.apex is not None
    served = {s.label: s for s in served_keys(zone)}
    findings: list[Finding] = []
    published: dict[str, tuple[list[DSBase], list[DNSKEYBase], Evidence]] = {}
    for answers in zone.usable_answers():
        cds_exchange = answers.get(zone.apex, dns.rdatatype.CDS)
        cdnskey_exchange = answers.get(zone.apex, dns.rdatatype.CDNSKEY)
        cds = list(answer_rrset(cds_exchange, zone.apex, dns.rdatatype.CDS) or ())
        cdnskey = list(answer_rrset(cdnskey_exchange, zone.apex, dns.rdatatype.CDNSKEY) or ())
        evidence = joined(*(e.evidence for e in (cds_exchange, cdnskey_exchange) if e))
        published[str(answers.server)] = (cds, cdnskey, evidence)
    if any(cds or cdnskey for cds, cdnskey, _ in published.values()):
        findings += _cds_differences(published)
        for server, (cds, cdnskey, evidence) in published.items():
            if server in served:
                findings += _judge_cds(zone, ev, served, served[server], cds, cdnskey, evidence)
    return findings


def _cds_differences(published: dict[str, tuple[list[DSBase], list[DNSKEYBase], Evidence]]
                     ) -> list[Finding]:
    variants: dict[frozenset[str], list[str]] = defaultdict(list)
    for server, (cds, cdnskey, _) in published.items():
        variants[frozenset([f"CDS {r.to_text()}" for r in cds]
                           + [f"CDNSKEY {r.to_text()}" for r in cdnskey])].append(server)
    if len(variants) < 2:
        return []
    described = "; ".join(f"{', '.join(servers)}: {len(records)} record(s)"
                          for records, servers in variants.items())
    evidence = joined(*(e for _, _, e in published.values()))
    return [Finding(Severity.WARNING,
                    f"the servers publish different CDS/CDNSKEY RRsets ({described}): a parent "
                    "ignores them until every server agrees", evidence=evidence,
                    code="servers-disagree")]


def _is_delete(record: DSBase | DNSKEYBase) -> bool:
    """The one delete form of each type (RFC 8078 §4): CDS `0 0 0 00`, CDNSKEY `0 3 0 AA==`."""
    if isinstance(record, DSBase):
        return (record.key_tag, int(record.algorithm), record.digest_type,
                record.digest) == (0, 0, 0, b"\x00")
    return (record.flags, record.protocol, int(record.algorithm), record.key) == (0, 3, 0,
                                                                                   b"\x00")


def _malformed_delete(records: list[DSBase | DNSKEYBase], server: str, evidence: Evidence
                      ) -> list[Finding]:
    """Algorithm 0 outside the exact delete form: neither a DS nor a delete request."""
    bad = [r for r in records if int(r.algorithm) == 0 and not _is_delete(r)]
    if not bad:
        return []
    shown = "; ".join(f"{dns.rdatatype.to_text(r.rdtype)} {r.to_text()}" for r in bad)
    return [Finding(Severity.WARNING,
                    f"{shown}: algorithm 0 but not the delete form (CDS 0 0 0 00, CDNSKEY "
                    "0 3 0 AA==, RFC 8078 §4): a parent takes it for neither a DS nor a delete "
                    "request, and ignores the set", server, evidence, code="malformed-delete")]


def _judge_cds(zone: ZoneData, ev: Evaluation, served: dict[str, ServerKeys],
               here: ServerKeys, cds: list[DSBase], cdnskey: list[DNSKEYBase],
               evidence: Evidence) -> list[Finding]:
    assert zone.apex is not None
    server = here.label
    if not cds and not cdnskey:
        return []
    records: list[DSBase | DNSKEYBase] = [*cds, *cdnskey]
    malformed = _malformed_delete(records, server, evidence)
    if malformed:
        return malformed
    deletes = [r for r in records if _is_delete(r)]
    if deletes:
        if len(deletes) < len(cds) + len(cdnskey):
            return [Finding(Severity.WARNING,
                            "a delete request (algorithm 0) beside other CDS/CDNSKEY records: "
                            "parents ignore the set (RFC 8078 §4)", server, evidence,
                            code="delete-with-others")]
        if zone.domain.expect == "secure":
            return [Finding(Severity.CRITICAL,
                            "the zone asks its parent to delete its DS (RFC 8078 §4 delete "
                            "CDS/CDNSKEY): once applied the zone is insecure, while "
                            "domains.yaml expects it secure", server, evidence,
                            code="delete-requested")]
        return [Finding(Severity.INFO,
                        "the zone asks its parent to delete its DS (RFC 8078 §4), as expected "
                        "for a zone meant to be insecure", server, evidence,
                        code="delete-as-expected")]
    findings = []
    cdnskeys = [as_dnskey(r) for r in cdnskey]
    if cds and cdnskey:
        lone_cds = [r for r in cds if not any(names_key(r, zone.apex, k) for k in cdnskeys)]
        lone_keys = [k for k in cdnskeys if not any(names_key(r, zone.apex, k) for r in cds)]
        if lone_cds or lone_keys:
            parts = [f"{ds_label(r)} matches no CDNSKEY" for r in lone_cds]
            parts += [f"CDNSKEY {key_label(k)} has no CDS" for k in lone_keys]
            findings.append(Finding(Severity.CRITICAL,
                                    f"CDS and CDNSKEY disagree ({'; '.join(parts)}): a parent "
                                    "may apply either", server, evidence,
                                    code="cds-cdnskey-disagree"))
    signers = here.signers_of_keyset(zone.apex)
    margin = ev.thresholds.rollover_margin_s
    servers = list(served.values())
    requests: list[tuple[str, list[DNSKEY]]] = []
    if cds:
        requests.append(("CDS", [k for k in here.keys
                                 if any(names_key(r, zone.apex, k) for r in cds)]))
    if cdnskey:
        requests.append(("CDNSKEY", [k for k in here.keys if k in cdnskeys]))
    for kind, targets in requests:
        usable = [k for k in targets if k in signers]
        if not usable:
            named = _keys_text(targets) or "no key the zone serves"
            findings.append(Finding(
                Severity.CRITICAL,
                f"applying the {kind} RRset would make the zone bogus: it names {named}, and "
                "no key it names signs the DNSKEY RRset", server, evidence, code="would-break"))
            continue
        unasked = unasked_servers(zone, servers)
        readiness = [key_readiness(k, servers, ev.history, ev.now, margin, unasked)
                     for k in usable]
        if not any(r.ready or r.unknown for r in readiness):
            findings.append(Finding(
                Severity.WARNING,
                f"the {kind} RRset names only {_keys_text(usable)}, not ready for use yet "
                f"({'; '.join(r.why for r in readiness)}): a parent applying it now swaps the "
                "DS too early", server, evidence, code="names-unready-key"))
    findings += _cds_signer(zone, ev, here, evidence)
    return findings


def _cds_signer(zone: ZoneData, ev: Evaluation, here: ServerKeys, evidence: Evidence
                ) -> list[Finding]:
    """RFC 7344 §4.1: the CDS/CDNSKEY RRsets are signed with a key the current DS names."""
    assert zone.apex is not None
    current = parent_ds_records(zone, ev)
    if not current:
        return []  # enrolment (RFC 8078 §3) has its own rules: not judged here
    trusted = [k for k in here.keys if any(names_key(d, zone.apex, k) for d in current)]
    findings = []
    for entry in served_rrsets(zone):
        if str(entry.server) != here.label or entry.rrset.rdtype not in (
                dns.rdatatype.CDS, dns.rdatatype.CDNSKEY):
            continue
        if not any(c.crypto is Crypto.VALID and c.key in trusted for c in entry.checks):
            findings.append(Finding(
                Severity.WARNING,
                f"{entry.label} is not signed by a key the current DS names "
                f"({_keys_text(trusted) or 'none served'}): parents following RFC 7344 §4.1 "
                "ignore it", here.label, evidence, code="cds-signer-untrusted"))
    return findings
