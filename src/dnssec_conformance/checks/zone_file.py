"""A zone file that loads: what name servers would refuse, and the records left out of the
checks (file mode only)."""

from __future__ import annotations

from collections.abc import Iterator

from ..analysis.evaluation import Evaluation
from ..catalog import register
from ..errors import NotApplicable
from ..findings import Category, Finding, Severity
from ..probe.data import ZoneData


@register(id="SIG02", name="zone-file-loads", category=Category.BAD_SIGNATURE,
          title="The zone file loads as name servers load it, every record readable",
          severity=Severity.CRITICAL, rfc="RFC 1035 §5.1, RFC 2181 §10.1, RFC 4034 §5.1",
          marker="chain")
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
        yield Finding("SIG02", Severity.CRITICAL if problem.fatal else Severity.WARNING,
                      str(problem))
    if zone.discovery_failure is None and not zone.file_problems:
        yield Finding("SIG02", Severity.INFO, "the zone file loads, every record read")
