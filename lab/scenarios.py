"""The lab's scenarios: one zone each, one fault each. The build, the ground truth and the
tests all read this list; change a scenario here and everything follows."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

from dnssec_conformance.findings import Category  # the results.json categories

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

Verdict = Literal["secure", "insecure", "bogus"]
Expectation = Literal["secure", "insecure"]
Signer = Literal["dnssec-signzone", "ldns-signzone"]


class Tamper(enum.StrEnum):
    """Edits made with dnspython to the signer's output, after signing."""

    NONE = "none"
    FLIP_APEX_A_SIGNATURE = "flip-apex-a-signature"
    EXPIRED_DNSKEY_SIGNATURE = "expired-dnskey-signature"
    DROP_NSEC = "drop-nsec"
    DS_WRONG_DIGEST = "ds-wrong-digest"
    DS_ALGORITHM_8 = "ds-algorithm-8"
    DS_WRONG_KEY_TAG = "ds-wrong-key-tag"
    NSEC_GAP = "nsec-gap"  # the NSEC of the apex NSEC's next name deleted: a gap after it
    NSEC3_NO_COVER = "nsec3-no-cover"  # every NSEC3's next hash = its own + 1, re-signed
    FLIP_NSEC_SIGNATURES = "flip-nsec-signatures"  # every RRSIG(NSEC) corrupted
    DROP_ZSK = "drop-zsk"  # the ZSK taken out of the DNSKEY RRset, the data still signed by it
    # the RRSIG over the deep `_dmarc` TXT taken from an expired signing run, in every copy
    EXPIRED_DEEP_SIGNATURE = "expired-deep-signature"


class DsKey(enum.StrEnum):
    """Which key the parent's DS is computed from."""

    KSK = "ksk"
    ZSK = "zsk"
    UNPUBLISHED = "unpublished"  # a KSK made only for the DS, never put in the zone


@dataclass(frozen=True)
class Window:
    """A signature validity period, relative to the moment the lab is built."""

    inception: timedelta = -HOUR
    expiration: timedelta = 30 * DAY


NORMAL_WINDOW = Window()
EXPIRED_WINDOW = Window(inception=-31 * DAY, expiration=-DAY)


@dataclass(frozen=True)
class Nsec3:
    iterations: int = 0
    salt: str = ""  # hex; empty means no salt
    opt_out: bool = False


@dataclass(frozen=True)
class Signing:
    """How a zone is signed: always a KSK and a ZSK of one algorithm."""

    algorithm: str = "ECDSAP256SHA256"
    bits: int | None = None  # RSA only
    signer: Signer = "dnssec-signzone"
    nsec3: Nsec3 | None = None
    window: Window = NORMAL_WINDOW
    # Algorithm of an extra ZSK published in the DNSKEY RRset whose private key is withheld
    # from the signer, so it signs nothing.
    idle_key_algorithm: str | None = None
    idle_key_bits: int | None = None


@dataclass(frozen=True)
class Delegation:
    """What test. says about the zone besides NS and glue."""

    ds_key: DsKey | None = DsKey.KSK  # None: no DS at all
    digest_type: int = 2  # 2 = SHA-256, 1 = SHA-1


@dataclass(frozen=True)
class StaleCopy:
    """A second server (ns2) serving an old copy of the zone, signed `age` ago (without the
    extra records `without` names: they were added since)."""

    age: timedelta
    window: Window
    without: tuple[str, ...] = ()


# The lab's TSIG key for zone transfers (its secret is made by `up`, in tsig.secret) and the
# environment variable domains.yaml names for it.
TSIG_KEY_NAME = "lab-xfr-key."
TSIG_ALGORITHM = "hmac-sha256"
TSIG_SECRET_ENV = "LAB_TSIG_SECRET"
# The deep RRset of the transfer scenarios, under the zone's apex.
DEEP_OWNER = "_dmarc"


@dataclass(frozen=True)
class Transfer:
    """Zone transfers from the lab's NSDs (`provide-xfr`), and what domains.yaml asks."""

    tsig: bool = False  # allowed with the lab's TSIG key only; else from loopback, no key
    allowed: bool = True  # False: refused to everyone (the NSEC walk's zone)
    walk: bool = False  # domains.yaml: walk the NSEC chain where no AXFR is given


class KeyChange(enum.StrEnum):
    """A key rollover caught in the middle (built by lab/keychanges.py)."""

    NEW_KSK_NOT_ON_NS2 = "new-ksk-not-on-ns2"  # ns1 has a new KSK, ns2 an hour-old copy
    DS_FOR_UNSERVED_KSK = "ds-for-unserved-ksk"  # a second DS, of a KSK no server serves
    CDS_OF_UNSERVED_KSK = "cds-of-unserved-ksk"  # CDS of an unpublished KSK, CDNSKEY of the KSK
    NS2_OTHER_ZSK = "ns2-other-zsk"  # ns2: a day-old copy signed with another ZSK
    SCRIPTED_ROLLOVER = "scripted-rollover"  # healthy; lab/rollover.py moves it through steps


ON_TWO_SERVERS = (KeyChange.NEW_KSK_NOT_ON_NS2, KeyChange.NS2_OTHER_ZSK)


class Denial(enum.StrEnum):
    """How the online signer denies a name (lab/online_responder.py)."""

    COMPACT = "compact"  # RFC 9824: NOERROR, an NSEC at the name with NXNAME
    NSEC_WHITE_LIES = "nsec-white-lies"  # RFC 4470: minimally covering NSEC records
    NSEC3_WHITE_LIES = "nsec3-white-lies"  # NSEC3 spanning hash - 1 .. hash + 1


class OnlineFault(enum.StrEnum):
    NONE = "none"
    # Every signature, the ones made for this very query included, carries one window fixed
    # 40 hours ago: the signer signs on but its window stopped moving with the clock.
    STOPPED_SLIDING = "stopped-sliding"
    # The positive RRsets come from a signature cache made 41 hours ago and never refreshed;
    # the denial is still synthesized and signed fresh.
    STALE_CACHE = "stale-cache"
    # The compact denial's bitmap lists the queried type.
    BITMAP_LISTS_QTYPE = "bitmap-lists-qtype"
    # White lies whose next name is \000.<name> (RFC 4470 §4's successor function): the
    # NSEC then says the denied name has a child, so it exists as an empty non-terminal.
    NEXT_NAME_BELOW = "next-name-below"
    # Multi-signer: the second provider's DNSKEY RRset lacks the first provider's ZSK.
    PROVIDER_LACKS_ZSK = "provider-lacks-zsk"


@dataclass(frozen=True)
class OnlineSigning:
    """A zone held unsigned by lab/onlinesigner.py and signed when each answer is sent, with
    a window sliding with the clock (inception now-1h, expiration now+49h) unless the fault
    says otherwise. With `second_provider` the zone is multi-signer (RFC 8901 model 2): a
    second signer process, its own KSK and ZSK, each DNSKEY RRset carrying both ZSKs, a DS
    for each KSK."""

    denial: Denial
    algorithm: str = "ECDSAP256SHA256"
    second_provider: Denial | None = None  # the second provider's denial style
    fault: OnlineFault = OnlineFault.NONE


@dataclass(frozen=True)
class Scenario:
    zone: str  # absolute, with the final dot
    categories: tuple[Category, ...]
    unbound: Verdict  # what Unbound 1.17 concluded when measured (see README)
    description: str
    how: str
    signing: Signing | None = field(default_factory=Signing)  # None: unsigned
    delegation: Delegation = field(default_factory=Delegation)
    tamper: Tamper = Tamper.NONE
    ttl: int = 3600
    stale_copy: StaleCopy | None = None
    expect: Expectation = "secure"
    severity: Literal["warning", "critical"] | None = None
    key_change: KeyChange | None = None
    # Records added to the unsigned zone besides the usual ones (presentation format).
    extra_records: tuple[str, ...] = ()
    # Signed when answered, by lab/onlinesigner.py (`signing` does not apply).
    online: OnlineSigning | None = None
    # Zone transfers (issue 16): the NSDs' `provide-xfr`, and `transfer:` in domains.yaml.
    transfer: Transfer | None = None
    mirrored: bool = False  # ns2 serves the very same file as ns1

    @property
    def display(self) -> str:
        return self.zone.rstrip(".")

    @property
    def nameservers(self) -> tuple[str, ...]:
        """The lab server roles that serve the zone (and its NS names, ns1.test. ...)."""
        if self.online is not None:
            return ("online1", "online2") if self.online.second_provider else ("online1",)
        two = self.stale_copy or self.key_change in ON_TWO_SERVERS or self.mirrored
        return ("ns1", "ns2") if two else ("ns1",)


@dataclass(frozen=True)
class ResolverScenario:
    """A resolver fault: a good zone asked through a resolver that does not validate."""

    zone: str
    resolver_role: str  # a key of LabInfo.servers
    categories: tuple[Category, ...]
    unbound: Verdict  # what that resolver tells: no AD bit means "insecure"
    description: str
    how: str
    expect: Expectation = "secure"


C = Category

SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        zone="good-ecdsa.test.",
        categories=(),
        unbound="secure",
        description="Control: ECDSAP256SHA256 KSK+ZSK, NSEC, DS SHA-256 of the KSK.",
        how="dnssec-keygen (ECDSAP256SHA256 KSK and ZSK); dnssec-signzone -x (only the KSK "
        "signs the DNSKEY RRset), signatures now-1h..now+30d; dnssec-dsfromkey -a SHA-256.",
    ),
    Scenario(
        zone="good-ed25519-nsec3.test.",
        categories=(),
        unbound="secure",
        description="Control: ED25519 KSK+ZSK, NSEC3 with 0 extra iterations and no salt "
        "(RFC 9276).",
        how="dnssec-keygen (ED25519); dnssec-signzone -x -3 - -H 0.",
        signing=Signing(algorithm="ED25519", nsec3=Nsec3()),
    ),
    Scenario(
        zone="good-rsa.test.",
        categories=(),
        unbound="secure",
        description="Control: RSASHA256 with 2048-bit KSK and ZSK, NSEC, signed by ldns.",
        how="dnssec-keygen -a RSASHA256 -b 2048; ldns-signzone (a second signer, so the "
        "project is proven on both signers' output); dnssec-dsfromkey -a SHA-256.",
        signing=Signing(algorithm="RSASHA256", bits=2048, signer="ldns-signzone"),
    ),
    Scenario(
        zone="unsigned.test.",
        categories=(),
        unbound="insecure",
        description="Control: an unsigned zone with no DS; the expectation is insecure.",
        how="No keys, no signing; test. proves the absence of a DS with its NSEC chain.",
        signing=None,
        delegation=Delegation(ds_key=None),
        expect="insecure",
    ),
    Scenario(
        zone="expired.test.",
        categories=(C.EXPIRED_RRSIG,),
        unbound="bogus",
        severity="critical",
        description="Every RRSIG expired a day ago (inception now-31d, expiration now-1d). "
        "Unbound allows 10% of the validity period as clock skew, capped at 24h, so these "
        "signatures are bogus to it from one second after the build on.",
        how="dnssec-signzone -P -s now-31d -e now-1d (-P: its own verification would "
        "reject expired signatures).",
        signing=Signing(window=EXPIRED_WINDOW),
    ),
    Scenario(
        zone="expiring-critical.test.",
        categories=(C.EXPIRED_RRSIG,),
        unbound="secure",
        severity="critical",
        description="Every RRSIG expires in 2 days: below the 3-day critical threshold. "
        "Also expires before SOA EXPIRE (14 days), an informational finding.",
        how="dnssec-signzone -s now-1h -e now+2d.",
        signing=Signing(window=Window(expiration=2 * DAY)),
    ),
    Scenario(
        zone="expiring-warning.test.",
        categories=(C.EXPIRED_RRSIG,),
        unbound="secure",
        severity="warning",
        description="Every RRSIG expires in 5 days: below the 7-day warning threshold, above "
        "the critical one. Also expires before SOA EXPIRE (14 days).",
        how="dnssec-signzone -s now-1h -e now+5d.",
        signing=Signing(window=Window(expiration=5 * DAY)),
    ),
    Scenario(
        zone="short-validity.test.",
        categories=(C.EXPIRED_RRSIG,),
        unbound="secure",
        description="Every RRset (DNSKEY included) has TTL 2592000 (30 days) while the "
        "signatures expire in 20 days: a cached copy outlives its signatures. 20 days is "
        "beyond the 7/3-day thresholds and beyond SOA EXPIRE.",
        how="$TTL 2592000 and dnssec-keygen -L 2592000; dnssec-signzone -e now+20d. As that "
        "signer does, the NSEC TTL is the SOA minimum (3600) and each RRSIG record's own TTL is "
        "capped at its validity period (1731600 s); its original-TTL field says 2592000.",
        signing=Signing(window=Window(expiration=20 * DAY)),
        ttl=2592000,
    ),
    Scenario(
        zone="expired-dnskey.test.",
        categories=(C.EXPIRED_RRSIG,),
        unbound="bogus",
        severity="critical",
        description="Only the RRSIG over the DNSKEY RRset is expired (now-31d..now-1d); every "
        "other signature is valid. Nothing below the DNSKEY RRset can be validated.",
        how="dnssec-signzone twice on the same input and keys: normally, and with -P -s "
        "now-31d -e now-1d; dnspython puts the expired run's RRSIG(DNSKEY) into the normal "
        "output.",
        tamper=Tamper.EXPIRED_DNSKEY_SIGNATURE,
    ),
    Scenario(
        zone="stale-secondary.test.",
        categories=(C.EXPIRED_RRSIG, C.CONSISTENCY),
        unbound="secure",
        description="Two NS: ns1 serves a fresh signed copy; ns2 serves a copy signed 35 "
        "days ago (SOA serial 35 days lower, RRSIGs expired 5 days ago), as a secondary that "
        "stopped transferring would. Unbound retries ns1 when ns2's answer is bogus. The "
        "serials differ between the servers, the root cause: a consistency finding too.",
        how="dnssec-signzone with the same keys twice: the ns1 copy normally; the ns2 copy "
        "from a zone with serial-3024000, with -P -s now-35d-1h -e now-5d.",
        stale_copy=StaleCopy(age=35 * DAY, window=Window(-35 * DAY - HOUR, -5 * DAY)),
    ),
    Scenario(
        zone="no-ds.test.",
        categories=(C.MISSING_DS,),
        unbound="insecure",
        description="A well-signed zone with no DS at the parent: an island of security. "
        "test. proves the DS absence, so validators treat it as insecure.",
        how="dnssec-signzone as for good-ecdsa.test; no DS added to test.",
        delegation=Delegation(ds_key=None),
    ),
    Scenario(
        zone="ds-unsigned.test.",
        categories=(C.MISSING_DS,),
        unbound="bogus",
        description="The parent has a DS but the zone is unsigned (no DNSKEY, no RRSIG): the "
        "chain of trust points at keys that are not there.",
        how="dnssec-keygen makes a KSK that is never published; dnssec-dsfromkey computes "
        "the DS that test. carries; the zone itself is not signed.",
        signing=None,
        delegation=Delegation(ds_key=DsKey.UNPUBLISHED),
    ),
    Scenario(
        zone="ds-mismatch.test.",
        categories=(C.KEY_MISMATCH,),
        unbound="bogus",
        description="The DS has the KSK's key tag and algorithm but a wrong digest (its last "
        "bytes are flipped). This is the lab's bogus canary.",
        how="dnssec-dsfromkey -a SHA-256, then dnspython XORs the last 4 digest bytes with 0xFF.",
        tamper=Tamper.DS_WRONG_DIGEST,
    ),
    Scenario(
        zone="ds-wrong-tag.test.",
        categories=(C.KEY_MISMATCH,),
        unbound="bogus",
        description="The DS carries the right digest and algorithm of the KSK, under another "
        "key tag: validators look the key up by tag and algorithm, so no DNSKEY matches.",
        how="dnssec-dsfromkey -a SHA-256, then dnspython adds 1 to the DS key tag.",
        tamper=Tamper.DS_WRONG_KEY_TAG,
    ),
    Scenario(
        zone="ds-zsk.test.",
        categories=(C.KEY_MISMATCH,),
        unbound="bogus",
        description="The DS is computed from the ZSK, which is in the DNSKEY RRset but does "
        "not sign it; only the KSK (which has no DS) signs the DNSKEY RRset.",
        how="dnssec-signzone -x (KSK-only DNSKEY signatures); dnssec-dsfromkey on the ZSK.",
        delegation=Delegation(ds_key=DsKey.ZSK),
    ),
    Scenario(
        zone="zsk-missing.test.",
        categories=(C.BAD_SIGNATURE, C.DENIAL),
        unbound="bogus",
        description="A botched ZSK rollover: every RRset is signed by the ZSK, which is not in "
        "the DNSKEY RRset any more (the KSK still signs that RRset, and the DS names the KSK). "
        "Its negative answers' NSEC records fail the same way (denial). A fresh Unbound answers "
        "even `NS` with SERVFAIL under CD=1 here: discovery must not depend on a resolver.",
        how="dnssec-signzone -x, then dnspython removes the ZSK from the DNSKEY RRset and "
        "re-signs that RRset with the KSK's private key.",
        tamper=Tamper.DROP_ZSK,
    ),
    Scenario(
        zone="bad-sig-a.test.",
        categories=(C.BAD_SIGNATURE,),
        unbound="bogus",
        description="The RRSIG over the apex A RRset is corrupted; everything else, the apex "
        "AAAA included, is valid.",
        how="dnssec-signzone, then dnspython XORs 4 bytes in the middle of the RRSIG(A) "
        "signature field with 0xFF.",
        tamper=Tamper.FLIP_APEX_A_SIGNATURE,
    ),
    Scenario(
        zone="ds-alg-mismatch.test.",
        categories=(C.ALGORITHM,),
        unbound="bogus",
        description="The DS's algorithm field says 8 (RSASHA256) while the key it names is "
        "algorithm 13; key tag and digest are those computed from the key.",
        how="dnssec-dsfromkey -a SHA-256 on the ECDSA KSK, then dnspython sets the DS "
        "algorithm field to 8.",
        tamper=Tamper.DS_ALGORITHM_8,
    ),
    Scenario(
        zone="rsasha1.test.",
        categories=(C.ALGORITHM,),
        unbound="secure",
        description="Signed only with RSASHA1 (algorithm 5, 2048-bit keys), DS SHA-256. "
        "Deprecated (RFC 8624: NOT RECOMMENDED to sign), yet Debian 12's Unbound still "
        "validates it.",
        how="dnssec-keygen -a RSASHA1 -b 2048 (it warns: deprecated); dnssec-signzone -x.",
        signing=Signing(algorithm="RSASHA1", bits=2048),
    ),
    Scenario(
        zone="sha1-ds.test.",
        categories=(C.ALGORITHM,),
        unbound="secure",
        description="A well-signed ECDSA zone whose only DS uses digest type 1 (SHA-1), "
        "which RFC 8624 says MUST NOT be published.",
        how="dnssec-signzone as for good-ecdsa.test; dnssec-dsfromkey -a SHA-1.",
        delegation=Delegation(digest_type=1),
    ),
    Scenario(
        zone="two-algs.test.",
        categories=(C.ALGORITHM,),
        unbound="secure",
        description="The DNSKEY RRset holds the ECDSA KSK and ZSK and an RSASHA256 ZSK, but "
        "every RRset is signed only by the ECDSA keys (RFC 4035 section 2.2 wants a "
        "signature by each algorithm). Only the ECDSA KSK has a DS, so validators that "
        "follow RFC 6840 section 5.11 still accept it.",
        how="dnssec-keygen -a RSASHA256 -b 2048 into a separate folder, its DNSKEY pasted into "
        "the zone; dnssec-signzone -x never sees its private key.",
        signing=Signing(idle_key_algorithm="RSASHA256", idle_key_bits=2048),
    ),
    Scenario(
        zone="rsa1024.test.",
        categories=(C.ALGORITHM,),
        unbound="secure",
        severity="warning",
        description="RSASHA256 with 1024-bit KSK and ZSK: too short by today's guidance.",
        how="dnssec-keygen -a RSASHA256 -b 1024; dnssec-signzone -x.",
        signing=Signing(algorithm="RSASHA256", bits=1024),
    ),
    Scenario(
        zone="future-inception.test.",
        categories=(C.CLOCK_SKEW,),
        unbound="secure",
        description="Every RRSIG has its inception 2 hours in the future (expiration "
        "now+30d): a signer with a fast clock. Unbound accepts it: its allowed skew is 10% "
        "of the validity period, clamped to val-sig-skew-min/max (1h..24h), here 24h. "
        "BIND's delv, which allows no skew, calls it bogus.",
        how="dnssec-signzone -P -s now+2h -e now+30d.",
        signing=Signing(window=Window(inception=2 * HOUR)),
    ),
    Scenario(
        zone="nsec-no-proof.test.",
        categories=(C.DENIAL,),
        unbound="bogus",
        description="Signed with NSEC, then every NSEC record and its RRSIG removed: NXDOMAIN "
        "and NODATA answers carry no proof. The positive RRsets (SOA, NS, DNSKEY, A, AAAA) "
        "still validate; the bogus verdict is for a name that does not exist.",
        how="dnssec-signzone, then dnspython deletes the NSEC and RRSIG(NSEC) RRsets.",
        tamper=Tamper.DROP_NSEC,
    ),
    Scenario(
        zone="nsec3-iterations.test.",
        categories=(C.DENIAL,),
        unbound="secure",
        description="NSEC3 with 50 extra iterations and salt AABBCCDD, against RFC 9276 (0 "
        "iterations, no salt). Unbound 1.17 still validates it: only above 150 iterations "
        "does it treat answers as insecure.",
        how="dnssec-signzone -x -3 AABBCCDD -H 50.",
        signing=Signing(nsec3=Nsec3(iterations=50, salt="AABBCCDD")),
    ),
    Scenario(
        zone="nsec-gap.test.",
        categories=(C.DENIAL,),
        unbound="bogus",
        description="An NSEC chain with a gap: the zone holds cdn.nsec-gap.test. and the NSEC "
        "owned by it is gone, so the chain runs apex -> cdn and then stops; nothing covers "
        "the names between cdn and www, where every probe name (dnssec-conformance-..., "
        "lab-nx-probe) sorts. NXDOMAIN answers carry the apex NSEC, which covers the "
        "wildcard but not the name. Every remaining signature verifies; NODATA at the apex "
        "is proven. Bogus for a name that does not exist; the apex A is secure.",
        how="dnssec-signzone -x (NSEC); dnspython deletes the NSEC and RRSIG(NSEC) of "
        "cdn.nsec-gap.test., the apex NSEC's next name. Nothing else is changed, so nothing "
        "needs re-signing.",
        tamper=Tamper.NSEC_GAP,
        extra_records=("cdn.nsec-gap.test. A 198.51.100.1",),
    ),
    Scenario(
        zone="nsec3-gap.test.",
        categories=(C.DENIAL,),
        unbound="bogus",
        description="An NSEC3 chain (0 iterations, no salt) whose records cover no hash: each "
        "record's next hashed owner is its own hash + 1, so every span is empty and the "
        "next closer name of any name that does not exist falls in a gap (so does the "
        "wildcard). Each record still matches its own name, so NODATA at the apex is "
        "proven, and the altered records are re-signed with the zone's ZSK: every signature "
        "verifies. Bogus for a name that does not exist; the apex A is secure.",
        how="dnssec-signzone -x -3 - -H 0; dnspython sets every NSEC3's next hashed owner "
        "to its owner hash + 1 and re-signs those RRsets with the ZSK's private key "
        "(dns.dnssec.sign, the original RRSIGs' inception and expiration).",
        signing=Signing(nsec3=Nsec3()),
        tamper=Tamper.NSEC3_NO_COVER,
    ),
    Scenario(
        zone="denial-bad-sig.test.",
        categories=(C.DENIAL,),
        unbound="bogus",
        description="Every RRSIG over an NSEC record is corrupted, so the NXDOMAIN and NODATA "
        "proofs are made of records that do not verify; the chain itself is right and every "
        "other signature verifies. Bogus for a name that does not exist; the apex A is "
        "secure.",
        how="dnssec-signzone -x (NSEC), then dnspython XORs 4 bytes in the middle of every "
        "RRSIG(NSEC) signature field with 0xFF.",
        tamper=Tamper.FLIP_NSEC_SIGNATURES,
    ),
    Scenario(
        zone="wildcard.test.",
        categories=(),
        unbound="secure",
        description="Control: NSEC, with *.wildcard.test. A. The suite's random probe name "
        "is answered by the wildcard (NOERROR, an A synthesized from it whose RRSIG has "
        "Labels 2) with the NSEC proving that no closer name exists.",
        how="dnssec-signzone -x (NSEC) on the usual zone plus *.wildcard.test. A "
        "198.51.100.1.",
        extra_records=("*.wildcard.test. A 198.51.100.1",),
    ),
    Scenario(
        zone="nsec3-optout.test.",
        categories=(),
        unbound="insecure",
        description="Control: NSEC3 with opt-out (0 iterations, no salt) and an unsigned "
        "delegation inside (insecure.nsec3-optout.test. NS, no DS), which gets no NSEC3 "
        "record. Positive answers validate; a name that does not exist falls in an opt-out "
        "span, which validators may only call insecure (RFC 5155 section 9.2): Unbound "
        "answers it NXDOMAIN without AD. The suite reports that as information.",
        how="dnssec-signzone -x -3 - -H 0 -A (-A: opt-out) on the usual zone plus "
        "insecure.nsec3-optout.test. NS ns1.test. (the child is not served; nobody asks it).",
        signing=Signing(nsec3=Nsec3(opt_out=True)),
        extra_records=("insecure.nsec3-optout.test. NS ns1.test.",),
    ),
    Scenario(
        zone="ksk-rollover-partial.test.",
        categories=(C.CONSISTENCY,),
        unbound="secure",
        description="A KSK rollover in progress: ns1 serves a new KSK beside the old one "
        "(both sign the DNSKEY RRset); ns2 is a secondary that missed it and serves the zone "
        "as it was an hour earlier (serial 3600 lower). The DS still names the old KSK, so "
        "every server validates; the servers differ in keys and serial, and the new KSK is "
        "not ready for a DS (noted by the rollover checks).",
        how="dnssec-keygen makes a second KSK; dnssec-signzone -x with both KSKs and the ZSK "
        "for ns1; for ns2 the zone without the new DNSKEY, serial-3600, signed with the old "
        "KSK and the ZSK.",
        key_change=KeyChange.NEW_KSK_NOT_ON_NS2,
    ),
    Scenario(
        zone="ds-prepublished.test.",
        categories=(C.ROLLOVER,),
        unbound="secure",
        severity="warning",
        description="The parent holds two DS records: the KSK's, and one for a KSK that no "
        "server serves yet (pre-published for a double-DS rollover, or left over). "
        "Validators use the first; the second must not become the only one before its key "
        "has been published everywhere.",
        how="dnssec-keygen makes a KSK that is never published; dnssec-dsfromkey puts its DS "
        "into test. beside the real KSK's.",
        key_change=KeyChange.DS_FOR_UNSERVED_KSK,
    ),
    Scenario(
        zone="cds-mismatch.test.",
        categories=(C.ROLLOVER,),
        unbound="secure",
        severity="critical",
        description="The zone publishes a CDS naming a key it does not serve (the DS of an "
        "unpublished KSK) and a CDNSKEY of its real KSK: the two disagree, and a parent "
        "applying the CDS (RFC 7344) would make the zone bogus. It validates today.",
        how="dnssec-dsfromkey on an unpublished KSK, the DS line turned into a CDS record; "
        "the KSK's DNSKEY line turned into a CDNSKEY; dnssec-signzone -x signs both with the "
        "KSK.",
        key_change=KeyChange.CDS_OF_UNSERVED_KSK,
    ),
    Scenario(
        zone="split-keys.test.",
        categories=(C.CONSISTENCY, C.ROLLOVER),
        unbound="secure",
        description="Two servers with different serials and keys: ns1 serves the zone signed "
        "with the KSK and a ZSK; ns2 serves a copy a day older (serial 86400 lower) signed "
        "with the KSK and another ZSK, each publishing only its own ZSK. Each server's "
        "answers validate with its own keys but not with the other's: a resolver that cached "
        "one server's DNSKEY RRset fails on the other's answers (Unbound retries the other "
        "server, so it may still validate).",
        how="dnssec-keygen makes a second ZSK (beside a copy of the KSK files); "
        "dnssec-signzone -x signs ns1's copy with the KSK and the ZSK, ns2's (serial-86400) "
        "with the KSK and the second ZSK.",
        key_change=KeyChange.NS2_OTHER_ZSK,
    ),
    Scenario(
        zone="online-compact.test.",
        categories=(),
        unbound="secure",
        description="Control: an online signer (as Cloudflare signs) answers every query with "
        "fresh signatures, inception an hour back and expiration 49 hours ahead, sliding with "
        "the clock, and denies names with compact denial (RFC 9824): NOERROR and an NSEC at "
        "the name itself, next name \\000.<name>, bitmap NSEC RRSIG NXNAME. The signatures "
        "expire in about 2 days, within the 3-day critical threshold, and that is healthy.",
        how="dnssec-keygen (ECDSAP256SHA256 KSK and ZSK); lab/onlinesigner.py at the online1 "
        "address signs each answer with dnspython (randomized ECDSA) when it sends it.",
        signing=None,
        online=OnlineSigning(denial=Denial.COMPACT),
    ),
    Scenario(
        zone="online-white-lies.test.",
        categories=(),
        unbound="secure",
        description="Control: an online signer with minimally covering NSEC records (RFC 4470 "
        "white lies): NXDOMAIN with an NSEC from just before the name to just after it "
        "(its first label with a zero octet appended) and one around the wildcard, both "
        "signed for the query; sliding 50-hour windows.",
        how="dnssec-keygen (ECDSAP256SHA256); lab/onlinesigner.py synthesizes and signs the "
        "NSEC records per query.",
        signing=None,
        online=OnlineSigning(denial=Denial.NSEC_WHITE_LIES),
    ),
    Scenario(
        zone="online-nsec3-white-lies.test.",
        categories=(),
        unbound="secure",
        description="Control: an online signer with NSEC3 white lies (as PowerDNS's narrow "
        "mode answers): the closest encloser's NSEC3 reaches one hash past its own, the next "
        "closer name and the wildcard are covered by records spanning their hash - 1 .. "
        "hash + 1; NSEC3PARAM 1 0 0 -, ED25519 keys (deterministic signatures), sliding "
        "50-hour windows.",
        how="dnssec-keygen -a ED25519; lab/onlinesigner.py hashes the names (0 iterations, no "
        "salt) and synthesizes and signs the NSEC3 records per query.",
        signing=None,
        online=OnlineSigning(denial=Denial.NSEC3_WHITE_LIES, algorithm="ED25519"),
    ),
    Scenario(
        zone="online-multi-signer.test.",
        categories=(),
        unbound="secure",
        description="Control: multi-signer (RFC 8901 model 2) with two online providers: "
        "online1 signs with its KSK and ZSK (compact denial), online2 with its own KSK and "
        "ZSK (NSEC white lies); each DNSKEY RRset holds its own KSK and both ZSKs, signed "
        "by its own KSK; test. holds a DS for each KSK. Different keys and signatures per "
        "server are the design.",
        how="dnssec-keygen twice (KSK+ZSK per provider); dnssec-dsfromkey on both KSKs; two "
        "lab/onlinesigner.py processes, each publishing the other's ZSK.",
        signing=None,
        online=OnlineSigning(denial=Denial.COMPACT, second_provider=Denial.NSEC_WHITE_LIES),
    ),
    Scenario(
        zone="online-stopped.test.",
        categories=(C.EXPIRED_RRSIG,),
        unbound="secure",
        severity="critical",
        description="An online signer whose window stopped sliding: it still signs every "
        "answer (fresh ECDSA signatures, denial synthesized per query), but every signature "
        "carries the window it had 39 hours ago, inception now-40h, expiration now+10h. "
        "Validators accept it for 10 more hours; then the zone goes bogus.",
        how="lab/onlinesigner.py with a frozen window (inception build-40h, expiration "
        "build+10h); compact denial.",
        signing=None,
        online=OnlineSigning(denial=Denial.COMPACT, fault=OnlineFault.STOPPED_SLIDING),
    ),
    Scenario(
        zone="online-stale-cache.test.",
        categories=(C.EXPIRED_RRSIG,),
        unbound="secure",
        severity="critical",
        description="An online signer that serves stale signatures: its positive RRsets "
        "(SOA, NS, DNSKEY, A, AAAA) come from a signature cache made 41 hours ago and never "
        "refreshed (inception now-41h, expiration now+9h, the same bytes every time), while "
        "the NSEC white lies it synthesizes are signed fresh. Valid for 9 more hours.",
        how="lab/onlinesigner.py with a cached window (build-41h..build+9h) for positive "
        "RRsets; NSEC white lies signed per query.",
        signing=None,
        online=OnlineSigning(denial=Denial.NSEC_WHITE_LIES, fault=OnlineFault.STALE_CACHE),
    ),
    Scenario(
        zone="online-compact-bad-bitmap.test.",
        categories=(C.DENIAL,),
        unbound="bogus",
        description="Compact denial whose NSEC bitmap lists the queried type: the NOERROR "
        "answer for a name that does not exist says the name has the type it denies. Bogus "
        "for a name that does not exist; the apex A is secure.",
        how="lab/onlinesigner.py, compact denial with the query type added to the bitmap of "
        "the synthesized NSEC.",
        signing=None,
        online=OnlineSigning(denial=Denial.COMPACT, fault=OnlineFault.BITMAP_LISTS_QTYPE),
    ),
    Scenario(
        zone="online-white-lies-below.test.",
        categories=(C.DENIAL,),
        unbound="bogus",
        description="NSEC white lies whose next name is \\000.<name>, the successor RFC 4470 "
        "section 4 suggests: the NSEC covering the denied name says a name below it exists, "
        "so the name is an empty non-terminal and the NXDOMAIN contradicts it. Unbound "
        "(nameerror proof failed) and delv reject it. Bogus for a name that does not exist; "
        "the apex A is secure.",
        how="lab/onlinesigner.py, NSEC white lies ending at \\000.<next closer name>.",
        signing=None,
        online=OnlineSigning(denial=Denial.NSEC_WHITE_LIES, fault=OnlineFault.NEXT_NAME_BELOW),
    ),
    Scenario(
        zone="online-multi-signer-missing-zsk.test.",
        categories=(C.CONSISTENCY, C.ROLLOVER),
        unbound="secure",
        description="Multi-signer as online-multi-signer.test, but online2's DNSKEY RRset "
        "lacks online1's ZSK: a resolver holding online2's keys cannot validate online1's "
        "answers (Unbound retries the other server, so it may still validate). online1's "
        "ZSK, not served everywhere, is not ready for use: a rollover finding too.",
        how="as online-multi-signer.test; online2 publishes only its own KSK and ZSK.",
        signing=None,
        online=OnlineSigning(denial=Denial.COMPACT, second_provider=Denial.NSEC_WHITE_LIES,
                             fault=OnlineFault.PROVIDER_LACKS_ZSK),
    ),
    Scenario(
        zone="deep-expiry.test.",
        categories=(C.EXPIRED_RRSIG, C.CONSISTENCY),
        unbound="secure",
        severity="critical",
        description="Every RRset the live questions ask is fine; the deep _dmarc TXT has an "
        "RRSIG that expired a day ago (the signer stopped refreshing it): only a whole copy "
        "shows it. ns1 and ns2 transfer the zone to the lab's TSIG key (lab-xfr-key., "
        "hmac-sha256); ns2 holds a copy a day older, without _mta-sts TXT (added since). The "
        "validating Unbound answers the apex A securely (a _dmarc TXT lookup is bogus).",
        how="dnssec-signzone twice with the same keys (now-1h..now+30d, and -P now-31d..now-1d); "
        "dnspython moves the expired run's RRSIG(TXT) at _dmarc into both copies; ns2's copy "
        "from a zone with serial-86400 signed now-1d-1h..now+29d; NSD provide-xfr "
        "127.0.0.0/8 lab-xfr-key.",
        extra_records=('_dmarc.deep-expiry.test. TXT "v=DMARC1; p=reject"',
                       '_mta-sts.deep-expiry.test. TXT "v=STSv1; id=20261130"'),
        tamper=Tamper.EXPIRED_DEEP_SIGNATURE,
        stale_copy=StaleCopy(age=DAY, window=Window(-DAY - HOUR, 29 * DAY),
                             without=('_mta-sts.deep-expiry.test. TXT "v=STSv1; id=20261130"',)),
        transfer=Transfer(tsig=True),
    ),
    Scenario(
        zone="walk-deep-expiry.test.",
        categories=(C.EXPIRED_RRSIG,),
        unbound="secure",
        severity="critical",
        description="As deep-expiry.test, on a server that refuses every transfer: the NSEC "
        "chain, walked name by name, lists _dmarc TXT, whose RRSIG expired a day ago. The "
        "chain passes a wildcard, an unsigned delegation (its NSEC comes in the referral) and "
        "an empty non-terminal.",
        how="dnssec-signzone twice with the same keys, the _dmarc RRSIG(TXT) from the expired "
        "run (dnspython); no provide-xfr in NSD.",
        extra_records=('_dmarc.walk-deep-expiry.test. TXT "v=DMARC1; p=none"',
                       "*.walk-deep-expiry.test. A 198.51.100.7",
                       "insecure.walk-deep-expiry.test. NS ns1.test.",
                       "x.y.walk-deep-expiry.test. A 198.51.100.8"),
        tamper=Tamper.EXPIRED_DEEP_SIGNATURE,
        transfer=Transfer(allowed=False, walk=True),
    ),
    Scenario(
        zone="transfer-open.test.",
        categories=(),
        unbound="insecure",
        description="Control: transferred without TSIG to loopback by ns1 and ns2 (the same "
        "file); NSEC3 opt-out (0 iterations, no salt) with an unsigned delegation, an empty "
        "non-terminal and a _dmarc TXT, all signed and fresh. Unbound answers a name that "
        "does not exist without AD (its NSEC3 has the opt-out flag), as for "
        "nsec3-optout.test.",
        how="dnssec-signzone -3 - -H 0 -A; NSD provide-xfr 127.0.0.0/8 NOKEY on both.",
        signing=Signing(nsec3=Nsec3(opt_out=True)),
        extra_records=('_dmarc.transfer-open.test. TXT "v=DMARC1; p=none"',
                       "insecure.transfer-open.test. NS ns1.test.",
                       "a.b.transfer-open.test. A 198.51.100.9"),
        transfer=Transfer(),
        mirrored=True,
    ),
    Scenario(
        zone="rollover.test.",
        categories=(),
        unbound="secure",
        description="The scripted KSK rollover: built healthy (KSK, ZSK, DS of the KSK) with "
        "the files of every step of a double-KSK rollover (publish, DS swap, removal); "
        "tests move it through the steps (lab/rollover.py) and put it back.",
        how="dnssec-keygen makes the next KSK beside the zone's keys; dnssec-signzone -x "
        "signs one zone file per step; a step's DS swap re-signs test. with the new DS.",
        key_change=KeyChange.SCRIPTED_ROLLOVER,
    ),
)

RESOLVER_SCENARIOS: tuple[ResolverScenario, ...] = (
    ResolverScenario(
        zone="good-ecdsa.test.",
        resolver_role="nonvalidating",
        categories=(C.RESOLVER_AD,),
        unbound="insecure",
        description="A secure zone asked through a resolver that does not validate: answers "
        "never carry the AD bit, as with a Kubernetes CoreDNS forwarding to a non-validating "
        "upstream.",
        how='Unbound with module-config: "iterator" and no trust anchor.',
    ),
    ResolverScenario(
        zone="good-ecdsa.test.",
        resolver_role="forwarder",
        categories=(C.RESOLVER_AD,),
        unbound="insecure",
        description="A secure zone asked through a forwarder in front of the validating "
        "resolver that clears the AD flag: bogus answers still fail upstream, but no answer "
        "reaches the client marked validated.",
        how="dnsmasq without --proxy-dnssec (so it clears AD), no cache, forwarding to the "
        "validating Unbound.",
    ),
)

# Zones that exist to be bogus: listed under `canaries.bogus`, never under `domains`. Built
# and served like the scenarios, measured by `up`, absent from ground-truth.json.
CANARIES: tuple[Scenario, ...] = (
    Scenario(
        zone="bogus-canary.test.",
        categories=(C.BAD_SIGNATURE,),
        unbound="bogus",
        description="The bogus canary: its apex A RRset has a corrupted signature, so a "
        "validating resolver answers it SERVFAIL and, with CD=1, returns the A record.",
        how="dnssec-signzone, then dnspython flips 4 bytes of the apex RRSIG(A) signature.",
        tamper=Tamper.FLIP_APEX_A_SIGNATURE,
    ),
)


def by_zone() -> dict[str, Scenario]:
    """Scenario lookup by absolute zone name."""
    return {s.zone: s for s in SCENARIOS}
