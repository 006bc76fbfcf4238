"""The chain of trust, built from the trust anchor down to the zone, as a validator would.

Each step answers: is this zone's DNSKEY RRset secure, insecure or bogus, and if bogus, which
failure mode broke it? Nothing here trusts a resolver's AD flag: every signature is verified
with the keys the step above proved.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import dns.dnssec
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset
from dns.rdtypes.ANY.DNSKEY import DNSKEY

from ..config.anchors import TrustAnchors
from ..findings import Category, Evidence, Security
from ..probe.data import ZoneData, authoritative_problem
from ..probe.transport import Exchange
from . import nsec, nsec3
from .nsec import ProofStatus
from .signatures import (
    Crypto,
    SignatureCheck,
    digest_matches,
    ds_matches,
    key_label,
    key_tag,
    supported_digest,
    verify_rrset,
)

ZONE_KEY_FLAG = 0x0100


@dataclass(frozen=True)
class Verdict:
    security: Security
    category: Category | None = None  # the failure mode, for a bogus verdict
    message: str = ""
    evidence: Evidence = ""  # rendered when a finding that shows it is read
    keys: tuple[DNSKEY, ...] = ()  # the keys proven for the zone, when secure


def judge_signatures(checks: list[SignatureCheck], trusted: list[DNSKEY], what: str,
                     now: float) -> Verdict:
    """Whether some RRSIG by a trusted key verifies and is current; if not, why not."""
    by_trusted = [c for c in checks if c.key is not None and c.key in trusted]
    if not checks:
        return Verdict(Security.BOGUS, Category.BAD_SIGNATURE, f"{what} has no RRSIG")
    if not by_trusted:
        tags = ", ".join(sorted({str(c.rrsig.key_tag) for c in checks}))
        trusted_tags = ", ".join(sorted({str(key_tag(k)) for k in trusted})) or "none"
        return Verdict(Security.BOGUS, Category.BAD_SIGNATURE,
                       f"{what} is signed only by key tag(s) {tags}, not by a proven key "
                       f"(proven: {trusted_tags})")
    verified = [c for c in by_trusted if c.crypto is Crypto.VALID]
    if not verified:
        if all(c.crypto is Crypto.UNSUPPORTED for c in by_trusted):
            return Verdict(Security.BOGUS, Category.ALGORITHM,
                           f"{what}: signature algorithm not supported")
        return Verdict(Security.BOGUS, Category.BAD_SIGNATURE,
                       f"{what}: RRSIG does not verify ({by_trusted[0].label})")
    if any(c.current(now) for c in verified):
        return Verdict(Security.SECURE)
    if all(c.expiration(now) < now for c in verified):
        latest = max(c.expiration(now) for c in verified)
        return Verdict(Security.BOGUS, Category.EXPIRED_RRSIG,
                       f"{what}: every valid RRSIG has expired "
                       f"({(now - latest) / 86400:.1f} days ago)")
    return Verdict(Security.BOGUS, Category.CLOCK_SKEW,
                   f"{what}: RRSIG inception is in the future (signer clock ahead?)")


def keyset_verdict(apex: dns.name.Name, exchange: Exchange | None,
                   ds_rrset: dns.rrset.RRset | None, anchor_keys: list[DNSKEY] | None,
                   now: float) -> Verdict:
    """Prove a zone's DNSKEY RRset from its DS RRset (or from DNSKEY trust anchors)."""
    if exchange is None or authoritative_problem(exchange) is not None:
        why = "no server answered" if exchange is None else authoritative_problem(exchange)
        return Verdict(Security.UNKNOWN, None, f"{apex} DNSKEY could not be fetched: {why}",
                       exchange.evidence if exchange else "")
    evidence: Evidence = exchange.evidence
    dnskeys = exchange.answer(dns.rdatatype.DNSKEY, apex)
    if dnskeys is None:
        return Verdict(Security.BOGUS, Category.MISSING_DS,
                       f"{apex} has a DS at its parent but serves no DNSKEY", evidence)
    keys = list(dnskeys)
    if anchor_keys is not None:
        entry = [k for k in keys if k in anchor_keys]
        source = "the trust anchor"
    else:
        assert ds_rrset is not None
        usable = [ds for ds in ds_rrset if supported_digest(ds.digest_type)]
        if not usable:
            return Verdict(Security.INSECURE, None,
                           f"{apex}: no DS with a digest type a validator supports")
        entry = [k for k in keys if any(ds_matches(ds, apex, k) for ds in usable)]
        source = "the DS RRset"
        if not entry:
            digested = [(ds, k) for ds in usable for k in keys if digest_matches(ds, apex, k)]
            if any(ds.algorithm != k.algorithm for ds, k in digested):
                return Verdict(Security.BOGUS, Category.ALGORITHM,
                               f"{apex}: the DS algorithm field differs from the algorithm "
                               "of the DNSKEY its digest names", evidence)
            if digested:
                ds, key = digested[0]
                return Verdict(Security.BOGUS, Category.KEY_MISMATCH,
                               f"{apex}: DS {ds.key_tag} carries the digest of "
                               f"{key_label(key)} under another key tag: validators look "
                               "keys up by tag and algorithm, so no DNSKEY matches the DS "
                               "RRset", evidence)
            return Verdict(Security.BOGUS, Category.KEY_MISMATCH,
                           f"{apex}: no DNSKEY matches the DS RRset (key tag, algorithm, "
                           "digest)", evidence)
    zone_keys = [k for k in entry if k.flags & ZONE_KEY_FLAG]
    if not zone_keys:
        return Verdict(Security.BOGUS, Category.KEY_MISMATCH,
                       f"{apex}: the key(s) matching {source} lack the Zone Key flag", evidence)
    checks = verify_rrset(dnskeys, exchange.signatures(dns.rdatatype.DNSKEY, apex), keys, apex)
    if not any(c.key in zone_keys for c in checks):
        labels = ", ".join(key_label(k) for k in zone_keys)
        return Verdict(Security.BOGUS, Category.KEY_MISMATCH,
                       f"{apex}: the key(s) matching {source} ({labels}) do not sign the "
                       "DNSKEY RRset", evidence)
    verdict = judge_signatures(checks, zone_keys, f"{apex} DNSKEY", now)
    if verdict.security is not Security.SECURE:
        return Verdict(verdict.security, verdict.category, verdict.message, evidence)
    proven = tuple(k for k in keys if k.flags & ZONE_KEY_FLAG)
    return Verdict(Security.SECURE, None, f"{apex} DNSKEY proven by {source}", evidence, proven)


def ds_verdict(child: dns.name.Name, exchange: Exchange | None, parent: Verdict,
               parent_apex: dns.name.Name, now: float
               ) -> tuple[dns.rrset.RRset | None, Verdict]:
    """The DS RRset of `child` as one parent server serves it, proven with the parent's keys.

    Returns the DS RRset (None when the parent says there is none) and the verdict on it.
    """
    if exchange is None or authoritative_problem(exchange) is not None:
        why = "no server answered" if exchange is None else authoritative_problem(exchange)
        return None, Verdict(Security.UNKNOWN, None, f"{child} DS could not be fetched: {why}",
                             exchange.evidence if exchange else "")
    evidence: Evidence = exchange.evidence
    if exchange.rcode == dns.rcode.NXDOMAIN:
        return None, Verdict(Security.BOGUS, Category.MISSING_DS,
                             f"the parent {parent_apex} says {child} does not exist", evidence)
    ds_rrset = exchange.answer(dns.rdatatype.DS, child)
    if ds_rrset is None:
        return None, absent_ds_verdict(child, exchange, parent, parent_apex, now)
    if parent.security is not Security.SECURE:
        return ds_rrset, Verdict(parent.security, parent.category, parent.message, evidence)
    checks = verify_rrset(ds_rrset, exchange.signatures(dns.rdatatype.DS, child),
                          parent.keys, parent_apex)
    verdict = judge_signatures(checks, list(parent.keys), f"{child} DS at {parent_apex}", now)
    return ds_rrset, Verdict(verdict.security, verdict.category, verdict.message, evidence)


# The zones of a run share their ancestors (the same objects): their chain is judged once.
_ANCESTRIES: OrderedDict[tuple[object, ...], tuple[object, list[tuple[dns.name.Name, Verdict]]]] \
    = OrderedDict()
ANCESTRIES_KEPT = 64


def absent_ds_verdict(child: dns.name.Name, exchange: Exchange, parent: Verdict,
                      parent_apex: dns.name.Name, now: float) -> Verdict:
    """A parent that answers "no DS" proves it, as a validator requires (RFC 4035 §5.2,
    RFC 5155 §8.6): with NSEC or NSEC3 records, signed by the parent's keys, that deny the DS
    at the delegation (or, under NSEC3 opt-out, cover it). Proven: an insecure delegation.
    Not proven: validators find the delegation bogus (a forged "no DS" would otherwise strip
    any zone of its security)."""
    evidence: Evidence = exchange.evidence
    if parent.security is not Security.SECURE:
        return Verdict(Security.INSECURE, None, f"no DS for {child} at the parent "
                       f"{parent_apex}", evidence)
    assert exchange.response is not None
    denial = [r for r in exchange.response.authority
              if r.rdtype in (dns.rdatatype.NSEC, dns.rdatatype.NSEC3)]
    unproven = (f"the parent {parent_apex} says {child} has no DS but does not prove it: "
                "validators find the delegation bogus")
    if not denial:
        return Verdict(Security.BOGUS, Category.MISSING_DS,
                       f"{unproven} (no NSEC or NSEC3 record in its answer)", evidence)
    for rrset in denial:
        checks = verify_rrset(rrset, exchange.signatures(rrset.rdtype, rrset.name,
                                                         section="authority"),
                              parent.keys, parent_apex)
        verdict = judge_signatures(checks, list(parent.keys),
                                   f"{rrset.name} {dns.rdatatype.to_text(rrset.rdtype)}", now)
        if verdict.security is not Security.SECURE:
            return Verdict(Security.BOGUS, verdict.category or Category.MISSING_DS,
                           f"{unproven} ({verdict.message})", evidence)
    uses_nsec3 = any(r.rdtype == dns.rdatatype.NSEC3 for r in denial)
    prove = nsec3.prove_nodata if uses_nsec3 else nsec.prove_nodata
    proof = prove(child, dns.rdatatype.DS, parent_apex, denial)
    if proof.status is ProofStatus.NOT_PROVEN:
        return Verdict(Security.BOGUS, Category.MISSING_DS, f"{unproven} ({proof.reason})",
                       evidence)
    if proof.status is ProofStatus.UNCHECKED:
        return Verdict(Security.INSECURE, None, f"no DS for {child} at the parent "
                       f"{parent_apex}; its proof cannot be evaluated ({proof.reason}): "
                       "validators treat the delegation as insecure", evidence)
    return Verdict(Security.INSECURE, None, f"no DS for {child} at the parent {parent_apex} "
                   f"({proof.describe()})", evidence)


def ancestor_verdicts(zone: ZoneData, anchors: TrustAnchors, now: float
                      ) -> list[tuple[dns.name.Name, Verdict]]:
    """Walk from the top of the zone's ancestry down to its parent (once per ancestry, anchors
    and instant: zones below the same parent share it)."""
    key = (*(id(a) for a in zone.ancestors), id(anchors), now)
    kept = _ANCESTRIES.get(key)
    if kept is not None:
        _ANCESTRIES.move_to_end(key)
        return list(kept[1])
    verdicts = _ancestor_verdicts(zone, anchors, now)
    # The key's objects are kept alive with the entry, so their ids cannot be reused meanwhile.
    _ANCESTRIES[key] = ((zone.ancestors, anchors), verdicts)
    if len(_ANCESTRIES) > ANCESTRIES_KEPT:
        _ANCESTRIES.popitem(last=False)
    return list(verdicts)


def _ancestor_verdicts(zone: ZoneData, anchors: TrustAnchors, now: float
                       ) -> list[tuple[dns.name.Name, Verdict]]:
    verdicts: list[tuple[dns.name.Name, Verdict]] = []
    above: Verdict | None = None
    above_apex: dns.name.Name | None = None
    for ancestor in zone.ancestors:
        verdict = step_verdict(ancestor.apex, ancestor.dnskey, ancestor.ds, above, above_apex,
                               anchors, now)
        verdicts.append((ancestor.apex, verdict))
        above, above_apex = verdict, ancestor.apex
    return verdicts


def step_verdict(apex: dns.name.Name, dnskey: Exchange | None, ds: Exchange | None,
                 above: Verdict | None, above_apex: dns.name.Name | None,
                 anchors: TrustAnchors, now: float) -> Verdict:
    """One link of the chain: a zone proven by an anchor, or by its parent's DS."""
    if apex in anchors.dnskey or apex in anchors.ds:
        anchor_keys = list(anchors.dnskey[apex]) if apex in anchors.dnskey else None
        anchor_ds = anchors.ds.get(apex)
        return keyset_verdict(apex, dnskey, anchor_ds, anchor_keys, now)
    if above is None or above_apex is None:
        return Verdict(Security.UNKNOWN, None,
                       f"no trust anchor covers {apex} (trust anchors: {anchors.source})")
    if above.security is not Security.SECURE:
        return above
    ds_rrset, verdict = ds_verdict(apex, ds, above, above_apex, now)
    if verdict.security is not Security.SECURE:
        return verdict
    return keyset_verdict(apex, dnskey, ds_rrset, None, now)


def parent_verdict(zone: ZoneData, anchors: TrustAnchors, now: float) -> Verdict | None:
    verdicts = ancestor_verdicts(zone, anchors, now)
    return verdicts[-1][1] if verdicts else None


def dnssec_algorithm(number: int) -> str:
    return dns.dnssec.algorithm_to_text(number)
