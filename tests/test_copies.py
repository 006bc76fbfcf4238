"""copies.py: what a whole copy holds, its digests, and the RRsets two copies disagree on,
named from one copy and the index of the other (which is all that stays of it)."""

from __future__ import annotations

import dns.name
import dns.rdataset
import dns.rdatatype
import dns.zone

from dnssec_conformance.probe.copies import (
    MAX_NAMED,
    CopyIndex,
    copy_entries,
    copy_stats,
    serial_behind,
)
from dnssec_conformance.probe.transport import Server

from .inmemory import DAY, NOW, build_zone, make_key

NS1 = Server("192.0.2.1", 53, dns.name.from_text("ns1.example."))
BODY = ('_dmarc 3600 IN TXT "v=DMARC1; p=reject"\n'
        "mail 3600 IN MX 10 mx.example.net.\n")


def copy(zone: dns.zone.Zone) -> dns.zone.Zone:
    """The same records, read back in another order (as another transfer delivers them)."""
    text = zone.to_text(relativize=False)
    lines = text.splitlines()
    return dns.zone.from_text("\n".join(reversed(lines)), origin=zone.origin,
                              relativize=False, check_origin=False)


def set_txt(zone: dns.zone.Zone, owner: str, text: str) -> None:
    node = zone.find_node(dns.name.from_text(owner))
    node.replace_rdataset(dns.rdataset.from_text("IN", "TXT", 3600, f'"{text}"'))


def test_a_copy_is_counted_and_its_digest_ignores_the_order_records_came_in() -> None:
    signed = build_zone("example.", BODY)

    stats, again = copy_stats(signed.zone), copy_stats(copy(signed.zone))

    assert stats == again
    assert (stats.names, stats.serial) == (len(signed.zone.nodes), 1)
    assert stats.rrsets == sum(len(n.rdatasets) for n in signed.zone.nodes.values())
    assert stats.records > stats.rrsets


def test_the_data_digest_ignores_what_a_signer_makes() -> None:
    keys = [make_key(13, ksk=True), make_key(13)]
    first = build_zone("example.", BODY, keys=keys)
    resigned = build_zone("example.", BODY, keys=keys, inception=NOW - 2 * DAY)

    a, b = copy_stats(first.zone), copy_stats(resigned.zone)

    assert a.digest != b.digest
    assert a.data_digest == b.data_digest


def test_differences_name_changed_added_and_removed_rrsets() -> None:
    keys = [make_key(13, ksk=True), make_key(13)]
    reference = build_zone("example.", BODY + 'new 3600 IN TXT "added"\n', keys=keys).zone
    other = build_zone("example.", BODY.replace("mx.example.net", "mx2.example.net")
                       + "old 3600 IN A 192.0.2.99\n", keys=keys).zone

    found = CopyIndex.of(reference, NS1).differences(copy_entries(other))

    assert found.reference == NS1 and found.reference_serial == 1
    assert found.data == ("mail.example. MX", f"new.example. TXT (only at {NS1})",
                          "old.example. A (only here)")
    assert found.data_count == 3
    # the NSEC chain and the signatures of the changed names differ too, as signer records
    assert "mail.example. RRSIG(MX)" in found.signatures
    assert all("RRSIG" in item or "NSEC" in item for item in found.signatures)


def test_identical_copies_have_no_differences() -> None:
    signed = build_zone("example.", BODY)

    found = CopyIndex.of(signed.zone, NS1).differences(copy_entries(copy(signed.zone)))

    assert found.none and found.data == () and found.signatures == ()


def test_a_signature_alone_is_a_signer_difference() -> None:
    keys = [make_key(13, ksk=True), make_key(13)]
    first = build_zone("example.", BODY, keys=keys)
    second = build_zone("example.", BODY, keys=keys, expiration=NOW + 20 * DAY)

    found = CopyIndex.of(first.zone, NS1).differences(copy_entries(second.zone))

    assert found.data_count == 0 and found.signatures_count > 0


def test_at_most_max_named_are_named_the_rest_counted() -> None:
    body = "".join(f"h{i} 3600 IN A 192.0.2.{i % 250 + 1}\n" for i in range(MAX_NAMED + 15))
    reference = build_zone("example.", "", keys=[]).zone
    other = build_zone("example.", body, keys=[]).zone

    found = CopyIndex.of(reference, NS1).differences(copy_entries(other))

    assert found.data_count == MAX_NAMED + 15
    assert len(found.data) == MAX_NAMED
    assert found.data[0].endswith("A (only here)")


def test_the_index_is_far_smaller_than_the_copy() -> None:
    body = "".join(f"h{i} 3600 IN A 192.0.2.1\n" for i in range(400))
    zone = build_zone("example.", body).zone

    index = CopyIndex.of(zone, NS1)
    held = sum(len(k) + len(v) for k, v in index._names.items())

    assert held < 120 * len(zone.nodes)
    set_txt(zone, "h5.example.", "changed")
    assert index.differences(copy_entries(zone)).data == ("h5.example. TXT (only here)",)


def test_serials_compare_in_serial_arithmetic() -> None:
    assert serial_behind(5, 2**32 - 5) == 10
    assert serial_behind(2**32 - 5, 5) == -10
    assert serial_behind(7, 7) == 0

