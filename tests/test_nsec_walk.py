"""probe/nsec_walk.py: which links of an NSEC chain a walk cannot follow (the walk itself
runs against the lab's NSD in test_transfer_lab.py)."""

from __future__ import annotations

import dns.name

from dnssec_conformance.probe.nsec_walk import _bad_link


def test_a_walk_stops_at_links_that_cannot_be_followed() -> None:
    apex = dns.name.from_text("example.")
    www = dns.name.from_text("www.example.")
    seen = {apex}

    assert _bad_link(apex, dns.name.from_text("\\000.example."), apex, seen).startswith(
        "the NSEC record at example. points to \\000.example., the name right after it")
    assert "points outside the zone" in _bad_link(www, dns.name.from_text("other."), apex, seen)
    assert "goes back" in _bad_link(www, dns.name.from_text("a.example."), apex, seen)
    assert _bad_link(www, apex, apex, seen) is None  # the chain closes
    assert _bad_link(apex, www, apex, seen) is None
