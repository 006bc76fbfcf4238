"""The real-world zone corpus (public signed zone files from other projects: the IANA root,
uri.arpa, Knot DNS's test zones, DNSViz's example) and our verdict on each zone.

The corpus lives outside the project, at `../shared/realworld-zones` (or where
$REALWORLD_ZONES says): it is public data written by others and is never copied here.
`docs/realworld-zones.md` is the table of verdicts, written by
`benchmarks/realworld_table.py` from real runs of kzonecheck, dnssec-verify,
ldns-verify-zone and this suite; `test_realworld_corpus.py` checks our column against fresh
runs. Each zone is judged at an instant inside its signatures' validity window, as a user
would with `--at`, and with a fixed name for the NXDOMAIN probe, so that verdicts repeat.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from pathlib import Path

import dns.name
import dns.rdatatype
import dns.zone

from dnssec_conformance import catalog
from dnssec_conformance.analysis.evaluation import Evaluation
from dnssec_conformance.catalog import zone_checks
from dnssec_conformance.config.anchors import TrustAnchors
from dnssec_conformance.config.model import DomainSpec
from dnssec_conformance.dnssec.zonefile import ZoneFileError, collect_zone_file, load_zone_file
from dnssec_conformance.findings import CheckResult, Outcome

REPO = Path(__file__).resolve().parent.parent
DAY = 86400
# Knot's semantic-check zones have no $ORIGIN: Knot's own tests load them as example.com.
KNOT_SEMANTIC_ORIGIN = dns.name.from_text("example.com.")
# The DS records each zone is checked against (file, relative to the corpus); the root's are
# the IANA KSKs in force at the time of the zone.
DS_FILES = {
    "root/root-2017082100.zone": "root/ds-root-19036",
    "root/root-2020090500.zone": "root/ds-root-20326",
    "root/root-2022021501.zone": "root/ds-root-20326",
    "root/root-2023051100.zone": "root/ds-root-20326",
    "other/uri.arpa.rfc8976.zone": "other/ds-uri.arpa.derived",
    "knot/basic/optout-example.zone": "knot/basic/ds-rfc5155-example.derived",
}
NOT_ZONES = ("SOURCES.md", "ds-")


def corpus_dir() -> Path | None:
    found = Path(os.environ.get("REALWORLD_ZONES", REPO.parent / "shared" / "realworld-zones"))
    return found if found.is_dir() else None


@dataclass(frozen=True)
class CorpusZone:
    path: str  # relative to the corpus
    origin: dns.name.Name
    ds: str | None  # relative to the corpus

    def spec(self) -> DomainSpec:
        return DomainSpec(self.origin, ())


def soa_owner(path: Path) -> dns.name.Name:
    """The owner of the first SOA record: the zone's origin (the corpus files' SOA owners are
    absolute)."""
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split(";")[0].split()
        if len(fields) > 3 and "SOA" in fields[1:4] and not line[0].isspace():
            return dns.name.from_text(fields[0])
    raise ValueError(f"{path}: no SOA record")


def corpus_zones(root: Path) -> list[CorpusZone]:
    zones = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if path.name.startswith(NOT_ZONES) or path.suffix == ".derived":
            continue
        relative = path.relative_to(root).as_posix()
        origin = (KNOT_SEMANTIC_ORIGIN if relative.startswith("knot/semantic/")
                  else soa_owner(path))
        zones.append(CorpusZone(relative, origin, DS_FILES.get(relative)))
    return zones


def judging_instant(path: Path, origin: dns.name.Name) -> int:
    """A day after the latest signature inception when every signature of the zone is valid
    then (the zone as its signer published it); else the middle of the overlap of most
    windows. Whole seconds, UTC."""
    try:
        zone = load_zone_file(path, origin).zone
    except ZoneFileError:  # a file that does not load is judged on the day the corpus was made
        return int(datetime.datetime(2026, 11, 30, tzinfo=datetime.UTC).timestamp())
    inceptions, expirations = [], []
    for node in zone.nodes.values():
        for rdataset in node.rdatasets:
            if rdataset.rdtype == dns.rdatatype.RRSIG:
                inceptions += [r.inception for r in rdataset]
                expirations += [r.expiration for r in rdataset]
    latest, earliest = max(inceptions), min(expirations)
    if latest + DAY < earliest:
        return latest + DAY
    inceptions.sort()
    return inceptions[len(inceptions) // 2] + DAY


def iso(instant: int) -> str:
    return datetime.datetime.fromtimestamp(instant, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def judge(root: Path, zone: CorpusZone, instant: int) -> dict[str, CheckResult]:
    probe = dns.name.from_text("dnssec-conformance-corpus", zone.origin)
    ds = root / zone.ds if zone.ds else None
    data = collect_zone_file(zone.spec(), root / zone.path, ds, instant, probe)
    evaluation = Evaluation(instant, TrustAnchors("none", {}, {}))
    return {check: catalog.run(check, data, evaluation) for check in zone_checks()}


def verdict_text(results: dict[str, CheckResult]) -> str:
    """`passes`, or the checks that did not pass by outcome: `failed: DENIAL10; warning:
    ALG05` (what the table shows and the test compares)."""
    parts = []
    for outcome in (Outcome.FAILED, Outcome.ERROR, Outcome.WARNING):
        checks = sorted(c for c, r in results.items() if r.outcome is outcome)
        if checks:
            parts.append(f"{outcome}: {', '.join(checks)}")
    return "; ".join(parts) or "passes"
