"""Our verdicts on the real-world corpus are the ones docs/realworld-zones.md shows: every zone
of ../shared/realworld-zones (public signed zone files of the IANA root, uri.arpa, Knot DNS and
DNSViz) judged in file mode at the instant the table gives, with the DS file it names.

The table's other columns (kzonecheck, dnssec-verify, ldns-verify-zone) are real runs of those
tools by benchmarks/realworld_table.py, which rewrites the table. Skipped when the corpus is
absent (it is public data kept beside the project, never in it).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

import dns.name
import pytest

from .realworld import REPO, CorpusZone, corpus_dir, corpus_zones, judge, verdict_text

TABLE = REPO / "docs" / "realworld-zones.md"
CORPUS = corpus_dir()
pytestmark = pytest.mark.skipif(CORPUS is None, reason="no ../shared/realworld-zones here")


@dataclass(frozen=True)
class Row:
    zone: CorpusZone
    instant: int
    we_say: str


def table_rows() -> list[Row]:
    rows = []
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        if not line.startswith("| `"):
            continue
        cells = [c.strip() for c in line.strip("|").split(" | ")]
        path, origin, judged, ds, we_say = (cells[0].strip("`"), cells[1].strip("`"),
                                            cells[2], cells[3], cells[7])
        instant = int(datetime.datetime.fromisoformat(judged).timestamp())
        zone = CorpusZone(path, dns.name.from_text(origin), None if ds == "—" else ds)
        rows.append(Row(zone, instant, we_say))
    return rows


ROWS = table_rows()


def test_the_table_lists_the_whole_corpus():
    assert CORPUS is not None
    assert [r.zone for r in ROWS] == corpus_zones(CORPUS)


@pytest.mark.parametrize("row", ROWS, ids=[r.zone.path for r in ROWS])
def test_our_verdict_is_the_table_s(row: Row):
    assert CORPUS is not None
    assert verdict_text(judge(Path(CORPUS), row.zone, row.instant)) == row.we_say


def test_the_corpus_s_misses_are_found_and_its_false_alarms_gone():
    """The zones issue 12 named: a valid zone raising nothing above policy warnings, and each
    defect found by the check that owns it."""
    by_path = {r.zone.path: r.we_say for r in ROWS}
    valid = ["knot/validate/ok.2nsec3.zone", "knot/validate/ok.2nsec3.zone.2",
             "knot/semantic/dname_apex_nsec3.signed", "knot/semantic/nsec3_optout_ent.valid",
             "knot/semantic/nsec3_optout_ent.all", "root/root-2017082100.zone",
             "root/root-2020090500.zone", "root/root-2022021501.zone",
             "root/root-2023051100.zone"]
    assert [p for p in valid if "failed" in by_path[p]] == []
    found = {"knot/validate/optout.ent.zone.2": "failed: DENIAL10",
             "knot/semantic/nsec3_optout_ent.invalid": "failed: DENIAL10",
             "knot/semantic/dnskey_keytags.many": "warning: KEY04",
             "knot/semantic/rrsig_signed.signed": "SIG03",
             "knot/semantic/rrsig_rdata_ttl.signed": "SIG03",
             "knot/semantic/cdnskey.delete.invalid.cds": "ROLLOVER05",
             "knot/semantic/cname_extra_02.signed": "failed: SIG02",
             "knot/semantic/invalid_ds.signed": "SIG02"}
    assert {p: v for p, v in found.items() if v not in by_path[p]} == {}
