"""Algorithms: what the DS says matches the key, every algorithm signs everything, and no
algorithm, digest or key size that validators reject or deprecate."""

from __future__ import annotations

from collections.abc import Iterator

import dns.rdatatype

from ..analysis.evaluation import Evaluation
from ..analysis.zone import (
    EVERY_QUESTION,
    chain_verdicts,
    dnskeys_at,
    ds_rrset,
    merge_servers,
    served_key_sets,
    served_rrsets,
    unusable_servers,
)
from ..catalog import register
from ..dnssec.chain import ZONE_KEY_FLAG
from ..dnssec.signatures import digest_matches, ds_matches, key_label, key_tag
from ..findings import Category, Finding, Severity
from ..probe.data import ZoneData
from ._common import chain_findings

REVOKE_FLAG = 0x0080
RSA_ALGORITHMS = {1, 5, 7, 8, 10}

# RFC 8624 §3.1 as updated by RFC 9904 (the IANA registry's recommendation columns) and
# RFC 9905 (deprecating SHA-1): algorithm number → (name, severity, why).
ALGORITHM_POLICY: dict[int, tuple[str, Severity, str]] = {
    1: ("RSAMD5", Severity.CRITICAL, "MUST NOT be used for signing or validation"),
    3: ("DSA", Severity.CRITICAL, "MUST NOT be used for signing or validation"),
    5: ("RSASHA1", Severity.WARNING, "SHA-1 based: deprecated (RFC 9905), and validators "
        "increasingly treat it as insecure"),
    6: ("DSA-NSEC3-SHA1", Severity.CRITICAL, "MUST NOT be used for signing or validation"),
    7: ("RSASHA1-NSEC3-SHA1", Severity.WARNING, "SHA-1 based: deprecated (RFC 9905), and "
        "validators increasingly treat it as insecure"),
    12: ("ECC-GOST", Severity.CRITICAL, "MUST NOT be used for signing (RFC 8624 §3.1)"),
}
RECOMMENDED_ALGORITHMS = {8, 10, 13, 14, 15, 16}

# DS digest types (RFC 8624 §3.3, RFC 9904, RFC 9905): 2 (SHA-256) and 4 (SHA-384) are fine.
DIGEST_NAMES = {0: "NULL", 1: "SHA-1", 2: "SHA-256", 3: "GOST R 34.11-94", 4: "SHA-384"}
GOOD_DIGESTS = {2, 4}


def rsa_modulus_bits(key: bytes) -> int | None:
    """The modulus size of an RSA DNSKEY (RFC 3110 §2), None if the key is malformed."""
    if not key:
        return None
    if key[0]:
        exponent_length, offset = key[0], 1
    else:
        if len(key) < 3:
            return None
        exponent_length, offset = int.from_bytes(key[1:3], "big"), 3
    modulus = key[offset + exponent_length:]
    return int.from_bytes(modulus, "big").bit_length() if modulus else None


@register(id="ALG01", name="ds-algorithm-matches-key", category=Category.ALGORITHM,
          title="Each DS names the algorithm of the DNSKEY it digests",
          severity=Severity.CRITICAL, rfc="RFC 4034 §5.1.2, RFC 4035 §5.2", marker="algorithm",
          codes=("ds-algorithm-mismatch",))
def ds_algorithm_matches_key(zone: ZoneData, ev: Evaluation) -> Iterator[Finding]:
    """A validator looks for the DNSKEY with the DS's key tag and algorithm. A DS whose digest
    is that of a key but whose algorithm field says another algorithm (a registrar form with
    the wrong algorithm picked) matches nothing: if it is the only DS, the zone is bogus.

    Remediation: re-submit the DS at the parent with the key's own algorithm number (copy the
    whole DS from `dnssec-dsfromkey` output rather than typing the fields).
    """
    assert zone.apex is not None
    ds = ds_rrset(zone, ev)
    if ds is None:
        return
    findings = []
    for answers, keys in served_key_sets(zone):
        full = [d for d in ds if any(ds_matches(d, zone.apex, k) for k in keys)]
        for d in ds:
            for key in keys:
                if digest_matches(d, zone.apex, key) and d.algorithm != key.algorithm:
                    findings.append(Finding(
                        Severity.WARNING if full else Severity.CRITICAL,
                        f"DS {d.key_tag} says algorithm {d.algorithm} but its digest is that of "
                        f"{key_label(key)} (algorithm {key.algorithm})", str(answers.server),
                        f";; DS at the parent:\n{ds.to_text()}", code="ds-algorithm-mismatch"))
    # not by @register: with no DS (returned above), not even a silent server is reported
    yield from merge_servers(findings)
    yield from chain_findings(Category.ALGORITHM, chain_verdicts(zone, ev))
    yield from unusable_servers(zone, (dns.rdatatype.DNSKEY,))


@register(id="ALG02", name="algorithm-signs-every-rrset", category=Category.ALGORITHM,
          title="Every algorithm in the DNSKEY RRset signs every RRset",
          severity=Severity.WARNING, rfc="RFC 4035 §2.2, RFC 6840 §5.11", marker="algorithm",
          codes=("algorithm-missing",), merge=True, unusable=EVERY_QUESTION)
def algorithm_signs_every_rrset(zone: ZoneData, ev: Evaluation) -> list[Finding]:
    """RFC 4035 §2.2: there MUST be an RRSIG for each RRset using at least one DNSKEY of each
    algorithm in the zone apex DNSKEY RRset. Validators following RFC 6840 §5.11 accept any
    one valid path, so this is a warning, but it is what breaks in a botched algorithm
    rollover (a new algorithm's key published before its signatures).

    Remediation: sign every RRset with every algorithm in the DNSKEY RRset, or remove the keys
    of an algorithm the zone is not signed with (following the algorithm-rollover order of
    RFC 6781 §4.1.4: signatures first, keys after).
    """
    assert zone.apex is not None
    findings = []
    keys_at = {a.server: dnskeys_at(a, zone.apex) for a in zone.usable_answers()}
    for served in served_rrsets(zone):
        keys = keys_at.get(served.server)
        if not keys:
            continue
        algorithms = {k.algorithm for k in keys
                      if k.flags & ZONE_KEY_FLAG and not k.flags & REVOKE_FLAG}
        signed_with = {s.algorithm for s in served.rrsigs or () if s.signer == zone.apex}
        missing = sorted(algorithms - signed_with)
        if signed_with and missing:
            findings.append(Finding(
                Severity.WARNING,
                f"{served.label} is not signed with algorithm(s) "
                f"{', '.join(str(a) for a in missing)} of the DNSKEY RRset",
                str(served.server), served.exchange.evidence(), code="algorithm-missing"))
    return findings


@register(id="ALG03", name="algorithm-policy", category=Category.ALGORITHM,
          title="No DNSKEY algorithm that validators reject or deprecate",
          severity=Severity.CRITICAL, rfc="RFC 8624 §3.1, RFC 9904, RFC 9905",
          marker="algorithm",
          codes=("deprecated-algorithm", "unimplemented-algorithm"), merge=True)
def algorithm_policy(zone: ZoneData, ev: Evaluation) -> list[Finding]:
    """Algorithms marked MUST NOT (RSAMD5, DSA, DSA-NSEC3-SHA1, ECC-GOST) are not validated by
    current resolvers: the zone is treated as insecure or bogus, so they are critical, as are
    algorithm numbers that no validator implements (unassigned or private) for a zone
    expected secure. The SHA-1 algorithms (RSASHA1, RSASHA1-NSEC3-SHA1) are deprecated by
    RFC 9905 and already treated as insecure by some validators: a warning.

    Remediation: roll to ECDSAP256SHA256 (13) or ED25519 (15), or RSASHA256 (8) with 2048-bit
    keys, following the algorithm-rollover procedure of RFC 6781 §4.1.4.
    """
    assert zone.apex is not None
    findings = []
    for answers in zone.usable_answers():
        keys = dnskeys_at(answers, zone.apex)
        for algorithm in sorted({k.algorithm for k in keys or ()}):
            tags = ", ".join(str(key_tag(k)) for k in keys or () if k.algorithm == algorithm)
            if algorithm in ALGORITHM_POLICY:
                name, severity, why = ALGORITHM_POLICY[algorithm]
                findings.append(Finding(severity,
                                        f"DNSKEY algorithm {algorithm} ({name}, key tags {tags}): "
                                        f"{why}", str(answers.server), code="deprecated-algorithm"))
            elif algorithm not in RECOMMENDED_ALGORITHMS:
                severity = (Severity.CRITICAL if zone.domain.expect == "secure"
                            else Severity.WARNING)
                findings.append(Finding(severity,
                                        f"DNSKEY algorithm {algorithm} (key tags {tags}) is not "
                                        "implemented by validators: they treat the zone as "
                                        "insecure", str(answers.server),
                                        code="unimplemented-algorithm"))
    return findings


@register(id="ALG04", name="ds-digest-policy", category=Category.ALGORITHM,
          title="The parent's DS records use a recommended digest type",
          severity=Severity.CRITICAL, rfc="RFC 8624 §3.3, RFC 9904, RFC 9905",
          marker="algorithm",
          codes=("no-mandatory-digest", "several-digest-types", "sha1-only"))
def ds_digest_policy(zone: ZoneData, ev: Evaluation) -> Iterator[Finding]:
    """DS digest type 2 (SHA-256) is mandatory to implement and 4 (SHA-384) is fine. A DS set
    with only SHA-1 (1) digests is deprecated (RFC 9905) and a warning; NULL (0) and GOST (3)
    are MUST NOT, and a DS set with nothing else leaves validators without a usable DS:
    critical. A SHA-1 DS beside a SHA-256 one is noted.

    Remediation: publish a SHA-256 DS (`dnssec-dsfromkey -2`) and withdraw the SHA-1/GOST ones.
    """
    ds = ds_rrset(zone, ev)
    if ds is None:
        return
    types = {d.digest_type for d in ds}
    names = ", ".join(f"{t} ({DIGEST_NAMES.get(t, 'unassigned')})" for t in sorted(types))
    evidence = f";; DS at the parent:\n{ds.to_text()}"
    if types & GOOD_DIGESTS:
        if types - GOOD_DIGESTS:
            yield Finding(Severity.INFO,
                          f"DS digest types {names}: retire all but SHA-256/SHA-384",
                          evidence=evidence, code="several-digest-types")
    elif types == {1}:
        yield Finding(Severity.WARNING,
                      "the only DS digest type is 1 (SHA-1), deprecated by RFC 9905",
                      evidence=evidence, code="sha1-only")
    else:
        yield Finding(Severity.CRITICAL,
                      f"DS digest types {names}: none that validators must support",
                      evidence=evidence, code="no-mandatory-digest")


@register(id="ALG05", name="rsa-key-size", category=Category.ALGORITHM,
          title="RSA keys are at least 2048 bits", severity=Severity.WARNING,
          rfc="RFC 8624 §3.1, NIST SP 800-57", marker="algorithm",
          codes=("short-rsa-key",), merge=True)
def rsa_key_size(zone: ZoneData, ev: Evaluation) -> list[Finding]:
    """RSA keys under 2048 bits are below current recommendations (factoring 1024-bit
    moduli is within reach of well-funded attackers) and some validators refuse them.

    Remediation: roll the key to a 2048-bit (or larger) RSA key, or better to
    ECDSAP256SHA256 (13).
    """
    assert zone.apex is not None
    findings = []
    for answers in zone.usable_answers():
        for key in dnskeys_at(answers, zone.apex) or ():
            if key.algorithm not in RSA_ALGORITHMS:
                continue
            bits = rsa_modulus_bits(key.key)
            if bits is not None and bits < 2048:
                findings.append(Finding(Severity.WARNING,
                                        f"{key_label(key)} is a {bits}-bit RSA key (under 2048)",
                                        str(answers.server), code="short-rsa-key"))
    return findings


