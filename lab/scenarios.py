"""The lab's scenarios: one zone each, one fault each. The build, the ground truth and the
tests all read this list; change a scenario here and everything follows."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

Verdict = Literal["secure", "insecure", "bogus"]
Expectation = Literal["secure", "insecure"]
Signer = Literal["dnssec-signzone", "ldns-signzone"]


class Category(enum.StrEnum):
    """The failure-mode categories a checker reports (the project's results.json names)."""

    EXPIRED_RRSIG = "expired-rrsig"
    MISSING_DS = "missing-ds"
    KEY_MISMATCH = "key-mismatch"
    BAD_SIGNATURE = "bad-signature"
    ALGORITHM = "algorithm"
    DENIAL = "denial"
    CLOCK_SKEW = "clock-skew"
    RESOLVER_AD = "resolver-ad"


class Tamper(enum.StrEnum):
    """Edits made with dnspython to the signer's output, after signing."""

    NONE = "none"
    FLIP_APEX_A_SIGNATURE = "flip-apex-a-signature"
    EXPIRED_DNSKEY_SIGNATURE = "expired-dnskey-signature"
    DROP_NSEC = "drop-nsec"
    DS_WRONG_DIGEST = "ds-wrong-digest"
    DS_ALGORITHM_8 = "ds-algorithm-8"


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
    """A second server (ns2) serving an old copy of the zone, signed `age` ago."""

    age: timedelta
    window: Window


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

    @property
    def display(self) -> str:
        return self.zone.rstrip(".")

    @property
    def nameservers(self) -> tuple[str, ...]:
        """The lab server roles that serve the zone (and its NS names, ns1.test. ...)."""
        return ("ns1", "ns2") if self.stale_copy else ("ns1",)


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
        categories=(C.EXPIRED_RRSIG,),
        unbound="secure",
        description="Two NS: ns1 serves a fresh signed copy; ns2 serves a copy signed 35 "
        "days ago (SOA serial 35 days lower, RRSIGs expired 5 days ago), as a secondary that "
        "stopped transferring would. Unbound retries ns1 when ns2's answer is bogus. The "
        "serials also differ between the servers.",
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
        zone="ds-zsk.test.",
        categories=(C.KEY_MISMATCH,),
        unbound="bogus",
        description="The DS is computed from the ZSK, which is in the DNSKEY RRset but does "
        "not sign it; only the KSK (which has no DS) signs the DNSKEY RRset.",
        how="dnssec-signzone -x (KSK-only DNSKEY signatures); dnssec-dsfromkey on the ZSK.",
        delegation=Delegation(ds_key=DsKey.ZSK),
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
