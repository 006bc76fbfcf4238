"""The zone's structure: cuts, occluded names, empty non-terminals and the NSEC3 tree."""

from __future__ import annotations

import dns.name
import dns.zone

from dnssec_conformance.dnssec.zonetree import ZoneTree, below_cut, names_between, zone_cuts

ORIGIN = dns.name.from_text("example.")
TEXT = """\
@ 3600 IN SOA ns1 hostmaster 1 7200 3600 1209600 300
@ 3600 IN NS ns1
ns1 3600 IN A 192.0.2.1
a.b.c 3600 IN A 192.0.2.2
sub 3600 IN NS ns.sub
ns.sub 3600 IN A 192.0.2.3
deep.glue.sub 3600 IN A 192.0.2.4
x.y.sub 3600 IN TXT "occluded"
z.ent 3600 IN NS ns.elsewhere.
0p9mhaveqvm6t7vbl5lop2u3t2rp3tom 3600 IN NSEC3 1 0 0 - 0p9mhaveqvm6t7vbl5lop2u3t2rp3tom A
0p9mhaveqvm6t7vbl5lop2u3t2rp3tol 3600 IN A 192.0.2.5
0p9mhaveqvm6t7vbl5lop2u3t2rp3tol 3600 IN NSEC3 1 0 0 - 0p9mhaveqvm6t7vbl5lop2u3t2rp3tol A
"""


def name(text: str) -> dns.name.Name:
    return dns.name.from_text(text, ORIGIN)


def tree() -> ZoneTree:
    return ZoneTree(dns.zone.from_text(TEXT, ORIGIN, relativize=False))


def test_cuts_and_what_they_occlude():
    zone = tree()
    assert zone.cuts == {name("sub"), name("z.ent")}
    assert zone.occluded == {name("ns.sub"), name("deep.glue.sub"), name("x.y.sub")}
    assert zone.cut_above(name("deep.glue.sub")) == name("sub")
    assert zone.cut_above(name("sub")) is None  # the delegation point is the parent's
    assert zone.cut_above(name("a.b.c")) is None
    assert zone.cut_above(dns.name.from_text("elsewhere.")) is None


def test_empty_non_terminals_above_authoritative_names_only():
    zone = tree()
    # glue.sub and y.sub would be ENTs of the child zone, not of this one
    assert zone.empty_non_terminals == {name("b.c"), name("c"), name("ent")}
    assert zone.exists(name("b.c")) and zone.exists(name("sub"))
    assert not zone.exists(name("nope"))
    assert zone.closest_encloser(name("q.b.c")) == name("b.c")
    assert zone.closest_encloser(name("q.r.nope")) == ORIGIN


def test_nsec3_records_live_in_a_tree_of_their_own():
    """A hashed owner is no name of the zone, unless it also holds data (a Knot test zone
    puts an A record at one): then it is both."""
    zone = tree()
    only_nsec3, with_data = name("0p9mhaveqvm6t7vbl5lop2u3t2rp3tom"), \
        name("0p9mhaveqvm6t7vbl5lop2u3t2rp3tol")
    assert zone.nsec3_owners == {only_nsec3, with_data}
    assert only_nsec3 not in zone.data_names and with_data in zone.data_names
    assert zone.authoritative == {ORIGIN, name("ns1"), name("a.b.c"), name("sub"),
                                  name("z.ent"), with_data}


def test_the_simple_helpers_agree():
    zone = dns.zone.from_text(TEXT, ORIGIN, relativize=False)
    assert zone_cuts(zone) == {name("sub"), name("z.ent")}
    assert below_cut(name("deep.glue.sub"), zone_cuts(zone))
    assert not below_cut(name("sub"), zone_cuts(zone))
    assert names_between(name("a.b.c"), ORIGIN) == [name("b.c"), name("c")]
