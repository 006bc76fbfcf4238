"""The real-world corpus table: every zone of ../shared/realworld-zones judged by kzonecheck,
dnssec-verify, ldns-verify-zone and this suite, at an instant inside the zone's signature
window, written to docs/realworld-zones.md.

    python benchmarks/realworld_table.py [CORPUS]   # default ../shared/realworld-zones

Needs kzonecheck (knot-dnssecutils), dnssec-verify (bind9-utils), ldns-verify-zone
(ldnsutils) and a C compiler (for dnssec-verify's clock, see othertools.py).
tests/test_realworld_corpus.py checks the "we say" column against fresh runs.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

import othertools  # noqa: E402

from tests import realworld  # noqa: E402

DOC = ROOT / "docs" / "realworld-zones.md"

# Why a verdict is what it is, where the tools differ or the zone is not what its name says.
NOTES = {
    "knot/basic/example.zone.nsec": "RSASHA1 (algorithm 5) keys, a 1024-bit ZSK: policy "
    "warnings (RFC 8624, RFC 9905)",
    "knot/basic/example.zone.nsec3": "NSEC3 with 10 iterations and a salt: RFC 9276 policy",
    "knot/basic/optout-example.zone": "RFC 5155's appendix A zone: 512-bit RSASHA1-NSEC3-SHA1 "
    "keys, 12 iterations and a salt: policy warnings only",
    "knot/basic/rdatacase.zone.signed": "RSASHA1 keys: policy warnings",
    "knot/semantic/cdnskey.cds": "the CDS/CDNSKEY name KSK 53851 (RSASHA256), which is "
    "published but signs nothing (the DNSKEY RRset is signed by an ECDSA KSK): a parent "
    "applying them makes the zone bogus (ROLLOVER05); the unused RSA keys break RFC 4035 "
    "§2.2 (ALG02). Knot checks only that CDS and CDNSKEY agree",
    "knot/semantic/cdnskey.delete.both": "a well-formed delete request (RFC 8078 §4) on a zone "
    "judged as expected secure (the default): critical by design; `expect: insecure` makes it "
    "information",
    "knot/semantic/cdnskey.delete.invalid.cdnskey": "CDNSKEY `0 3 0 BA==` is no delete "
    "request: the parent ignores the set (ROLLOVER05, a warning)",
    "knot/semantic/cdnskey.delete.invalid.cds": "CDS `0 0 0 01` is no delete request: the "
    "parent ignores the set (ROLLOVER05, a warning)",
    "knot/semantic/cdnskey.invalid": "CDS and CDNSKEY disagree, and name a key that signs "
    "nothing",
    "knot/semantic/cdnskey.invalid.param": "the CDS says algorithm 4: it matches no key",
    "knot/semantic/cdnskey.nocdnskey": "a CDS alone is allowed (RFC 7344 §4); it names a key "
    "that signs nothing",
    "knot/semantic/cdnskey.nocds": "a CDNSKEY alone is allowed (RFC 7344 §4); it names a key "
    "that signs nothing",
    "knot/semantic/cdnskey.nodnskey": "the CDS/CDNSKEY name a key the zone does not serve",
    "knot/semantic/cdnskey.orphan.cdnskey": "a CDNSKEY without its CDS",
    "knot/semantic/cdnskey.orphan.cds": "a CDS without its CDNSKEY",
    "knot/semantic/cname_extra_02.signed": "CNAME and other data: the file does not load in "
    "NSD, BIND or Knot, so it is one finding (SIG02) and every other check is skipped",
    "knot/semantic/delegation.signed": "the parent signed the delegation's NS and glue, and "
    "the NSEC3 bitmap of the unsigned delegation lists RRSIG: harmless to validators, a "
    "warning",
    "knot/semantic/different_signer_name.signed": "an NSEC signed by another zone's name",
    "knot/semantic/dname_apex_nsec3.signed": "a DNAME at the apex pointing under itself: "
    "names below it are redirected (RFC 6672), so the probe's answer is the DNAME's, not an "
    "NXDOMAIN",
    "knot/semantic/dnskey_keytags.many": "4 DNSKEYs with key tag 50687 (KEY04); kzonecheck "
    "3.2.6 has no text for its own finding",
    "knot/semantic/dnskey_keytags.more": "3 DNSKEYs with key tag 8746 (KEY04)",
    "knot/semantic/dnskey_param_error.signed": "DNSKEYs with protocol 2: their tags match no "
    "RRSIG, so nothing verifies",
    "knot/semantic/invalid_ds.signed": "the DS with digest type 0 (line 5) is left out and "
    "named (SIG02), the rest is checked: the DS RRset is unsigned and the delegation has no "
    "NSEC3; the test zone's NSEC3 signatures are dummies",
    "knot/semantic/missing.signed": "dummy signatures",
    "knot/semantic/no_error_delegation_bitmap.signed": "",
    "knot/semantic/no_error_nsec3_optout.signed": "",
    "knot/semantic/no_rrsig.signed": "",
    "knot/semantic/no_rrsig_with_delegation.signed": "",
    "knot/semantic/nsec3_chain_01.signed": "dummy signatures besides the broken link",
    "knot/semantic/nsec3_chain_02.signed": "",
    "knot/semantic/nsec3_chain_03.signed": "",
    "knot/semantic/nsec3_ds.signed": "a secure delegation left out of an opt-out span",
    "knot/semantic/nsec3_missing.signed": "",
    "knot/semantic/nsec3_optout.signed": "",
    "knot/semantic/nsec3_optout_ent.all": "",
    "knot/semantic/nsec3_optout_ent.invalid": "the ENT `ent` is covered by an opt-out span "
    "while `deleg1.ent` (unsigned) has its NSEC3: RFC 5155 §7.1 wants the ENT's record",
    "knot/semantic/nsec3_optout_ent.valid": "",
    "knot/semantic/nsec3_param_invalid.signed": "the only NSEC3PARAM has flags 4 (ignored by "
    "servers) and the records use algorithm 4 and mixed iterations",
    "knot/semantic/nsec_multiple.signed": "two NSEC records at one name (NSD and BIND load "
    "them): the chain forks",
    "knot/semantic/rrsig_rdata_ttl.signed": "the RRSIG's original TTL was edited: the "
    "signature no longer verifies (SIG01), and the TTL exceeds it (SIG03)",
    "knot/semantic/rrsig_signed.signed": "an RRSIG covering type RRSIG (SIG03)",
    "knot/validate/ok.2nsec3.zone": "a complete chain for the NSEC3PARAM and a record of "
    "another chain: the stray record is never served, only noted (DENIAL10 information); "
    "ldns-verify-zone walks the stray record too",
    "knot/validate/ok.2nsec3.zone.2": "the same, one name added",
    "knot/validate/optout.ent.zone.2": "the ENT `ent` left out under an opt-out span although "
    "`deleg.ent` has its NSEC3 (Knot's validating secondary rejects it)",
    "knot/validate/redundant.invalid.rrsig.zone.2": "a bad RRSIG beside a good one: validators "
    "use the good one (RFC 4035 §5.3.3), so a warning; Knot's validating secondary rejects "
    "the zone",
    "other/kskr-sentinel-root.zone.signed": "`sentinel.` is signed by KSK 28972 only: any "
    "zone key may sign (RFC 4035 §5.3.1) and the signature verifies",
    "other/knot-root-2014-resigned.zone": "RSASHA1 keys: policy warnings",
}


def cell(text: str) -> str:
    return text.replace("|", "/").replace("\n", " ") or "—"


def main() -> None:
    corpus = Path(sys.argv[1]) if len(sys.argv) > 1 else realworld.corpus_dir()
    if corpus is None:
        raise SystemExit("no corpus: give its folder, or put it at ../shared/realworld-zones")
    folder, shim = othertools.shim_in_tempdir()
    versions = [othertools.version(["kzonecheck", "-V"]),
                othertools.version(["dnssec-verify", "-V"]),
                othertools.version(["ldns-verify-zone", "-v"])]
    rows = []
    with folder:
        for zone in realworld.corpus_zones(corpus):
            instant = realworld.judging_instant(corpus / zone.path, zone.origin)
            runs = othertools.run_all(corpus / zone.path, zone.origin.to_text(), instant, shim)
            ours = realworld.verdict_text(realworld.judge(corpus, zone, instant))
            rows.append(f"| `{zone.path}` | `{zone.origin}` | {realworld.iso(instant)} | "
                        f"{cell(zone.ds or '')} | "
                        + " | ".join(cell(r.says) for r in runs)
                        + f" | {ours} | {cell(NOTES.get(zone.path, ''))} |")
            print(f"{zone.path}: {ours}", file=sys.stderr)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True, check=False).stdout.strip()
    heading = f"| {' | '.join(COLUMNS)} |\n|{'---|' * len(COLUMNS)}\n"
    DOC.write_text(HEADER.format(versions=", ".join(versions), commit=commit) + heading
                   + "\n".join(rows) + "\n", encoding="utf-8")
    print(f"wrote {DOC.relative_to(ROOT)}", file=sys.stderr)


HEADER = """\
# The real-world corpus: our verdicts beside Knot's, BIND's and ldns's

Signed zone files nobody on this project wrote (four IANA root zones, uri.arpa, Knot DNS's
validation and semantic-check test zones, DNSViz's example; their provenance is in
`../shared/realworld-zones/SOURCES.md`), each checked in file mode by this suite and by three
zone checkers, at the instant in the "judged at" column (inside the zone's signature
window: `pytest --at` for us, `-t` for kzonecheck and ldns-verify-zone, a shifted clock for
dnssec-verify). Written by `benchmarks/realworld_table.py` from real runs
({versions}; this suite at {commit}); `tests/test_realworld_corpus.py` checks the "we say"
column against fresh runs whenever the corpus is at `../shared/realworld-zones`.

How to read it:

- "we say" lists the checks that did not pass, by outcome (`failed` is critical). Policy
  warnings are ours by design: ALG03/ALG05 (RSASHA1, RSA under 2048 bits: RFC 8624, RFC
  9905), DENIAL02 (NSEC3 iterations or salt: RFC 9276). They are not validation failures.
- Knot's semantic-check zones (`knot/semantic/`) are fixtures for one error each, and most
  carry dummy signatures besides it: Knot's own tests count only the error a fixture is
  for, so every tool reports more than that on them. kzonecheck runs with `-d on`.
- dnssec-verify runs with `-z` (which key signs what is BIND's policy, not validation).
- ldns-verify-zone 1.8.3 compares RRSIG times as signed 32-bit numbers: an expiration after
  2038 reads as "earlier than inception" (most Knot zones expire in 2040-2084). Its
  "original of NSEC3 hashed name could not be found" is its answer to any NSEC3 record
  outside the chain it walks, stray chains included.
- The NXDOMAIN probe is `dnssec-conformance-corpus.<zone>` (fixed, so that verdicts repeat).

"""
COLUMNS = ("zone", "origin", "judged at", "DS given", "kzonecheck", "dnssec-verify",
           "ldns-verify-zone", "we say", "why")


if __name__ == "__main__":
    main()
