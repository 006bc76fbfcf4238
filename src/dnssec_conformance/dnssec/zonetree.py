"""The structure of a zone as its authoritative servers see it, computed once: the apex, the
delegation points (zone cuts), which names exist (with data, or as empty non-terminals) and
which are occluded below a cut.

Answering a query (`authoritative.py`), walking a denial chain (`walk/`) and checking every
RRset of a zone file (`analysis.py`) need the same notion of which names exist. Lookups are
by ancestry (a name's depth), never by scanning the zone, so a root zone's 22k records cost
one pass.
"""

from __future__ import annotations

import functools

import dns.name
import dns.node
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.rrset
import dns.zone

WILDCARD = dns.name.Name((b"*",))


def canonical_order(name: dns.name.Name) -> tuple[bytes, ...]:
    """A sort key giving RFC 4034 §6.1's canonical order (labels from the right, compared
    as lower-case octets), computed once per name: sorting large zones by it is several
    times faster than comparing Name objects pair by pair."""
    return tuple(label.lower() for label in reversed(name.labels))


def origin_of(zone: dns.zone.Zone) -> dns.name.Name:
    assert zone.origin is not None, "zones are read with their origin"
    return zone.origin


def names_between(name: dns.name.Name, origin: dns.name.Name) -> list[dns.name.Name]:
    """The ancestors of `name` strictly between it and `origin`, deepest first."""
    found = []
    while name != origin and name != dns.name.root and name.parent() != origin:
        name = name.parent()
        found.append(name)
    return found


def zone_cuts(zone: dns.zone.Zone) -> set[dns.name.Name]:
    """The delegation points: names below the apex with an NS RRset."""
    return {n for n, node in zone.nodes.items() if n != zone.origin
            and node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.NS) is not None}


def below_cut(name: dns.name.Name, cuts: set[dns.name.Name] | frozenset[dns.name.Name]
              ) -> bool:
    """Whether `name` lies under a delegation point (glue, or data occluded by the cut)."""
    while len(name) > 1:
        name = name.parent()
        if name in cuts:
            return True
    return False


def rrset_of(name: dns.name.Name, rdataset: dns.rdataset.Rdataset) -> dns.rrset.RRset:
    rrset = dns.rrset.RRset(name, rdataset.rdclass, rdataset.rdtype, rdataset.covers)
    rrset.ttl = rdataset.ttl
    # The records as they are: adding them one by one would hash each again (to wire form),
    # which is most of the cost of answering from a large zone.
    rrset.items = rdataset.items.copy()
    return rrset


Key = tuple[bytes, ...]


def _key(name: dns.name.Name) -> Key:
    """A name as a tuple of lower-cased labels: ancestors are its tails, found by slicing
    (cheaper than building Name objects for every ancestor of every name of a large zone)."""
    return tuple(label.lower() for label in name.labels)


def _is_nsec3_tree(rdataset: dns.rdataset.Rdataset) -> bool:
    return dns.rdatatype.NSEC3 in (rdataset.rdtype, rdataset.covers)


def has_data(node: dns.node.Node) -> bool:
    """Whether a node holds records of the zone's namespace. NSEC3 records (and their
    RRSIGs) live in a tree of their own, as servers keep them: their hashed owner names do
    not exist for queries (RFC 5155 §7.2.8)."""
    return any(not _is_nsec3_tree(r) for r in node.rdatasets)


class ZoneTree:
    """Which names of a zone exist and where its cuts are (see the module doc)."""

    def __init__(self, zone: dns.zone.Zone):
        self.zone = zone
        self.origin = origin_of(zone)
        self._origin_depth = len(self.origin)
        nodes = zone.nodes
        self.cuts: frozenset[dns.name.Name] = frozenset(
            n for n, node in nodes.items() if n != self.origin
            and node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.NS) is not None)
        self._cut_keys = frozenset(_key(n) for n in self.cuts)
        self.nsec3_owners: frozenset[dns.name.Name] = frozenset(
            n for n, node in nodes.items()
            if node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.NSEC3) is not None)
        # Names with records of their own in the zone's namespace (NSEC3 records aside);
        # occluded ones (below a cut: glue, or data the child owns) included.
        self.data_names: frozenset[dns.name.Name] = frozenset(
            n for n, node in nodes.items() if has_data(node))
        keys = {n: _key(n) for n in self.data_names}
        data_keys = frozenset(keys.values())
        self.occluded: frozenset[dns.name.Name] = frozenset(
            n for n, key in keys.items() if self._cut_above(key) is not None)
        ents: set[Key] = set()
        for name in self.data_names - self.occluded:
            key = keys[name]
            for depth in range(1, len(key) - self._origin_depth):
                ancestor = key[depth:]
                if ancestor in data_keys or ancestor in ents:
                    break  # its own ancestors are already accounted for
                ents.add(ancestor)
        self.empty_non_terminals: frozenset[dns.name.Name] = frozenset(
            dns.name.Name(key) for key in ents)

    def _cut_above(self, key: Key) -> Key | None:
        found = None
        for depth in range(1, len(key) - self._origin_depth):
            if key[depth:] in self._cut_keys:
                found = key[depth:]
        return found

    def cut_above(self, name: dns.name.Name) -> dns.name.Name | None:
        """The delegation point strictly above `name` (the highest, if cuts nest), if any:
        `name` is then glue or data occluded by the cut, the child zone's."""
        found = self._cut_above(_key(name)) if name.is_subdomain(self.origin) else None
        return dns.name.Name(found) if found is not None else None

    def is_occluded(self, name: dns.name.Name) -> bool:
        return self.cut_above(name) is not None

    def exists(self, name: dns.name.Name) -> bool:
        """Whether a query for `name` finds it: a name with data or an empty non-terminal."""
        return name in self.data_names or name in self.empty_non_terminals

    @functools.cached_property
    def authoritative(self) -> frozenset[dns.name.Name]:
        """The names with records the zone is authoritative for (delegation points
        included, occluded names and NSEC3-only owners left out)."""
        return self.data_names - self.occluded

    def closest_encloser(self, qname: dns.name.Name) -> dns.name.Name:
        """The longest existing ancestor of `qname` (itself when it exists)."""
        name = qname
        while name != self.origin and name != dns.name.root and not self.exists(name):
            name = name.parent()
        return name

    def rdataset(self, name: dns.name.Name, rdtype: dns.rdatatype.RdataType,
                 covers: dns.rdatatype.RdataType = dns.rdatatype.NONE
                 ) -> dns.rdataset.Rdataset | None:
        node = self.zone.nodes.get(name)
        if node is None:
            return None
        return node.get_rdataset(dns.rdataclass.IN, rdtype, covers)

    def rrset(self, name: dns.name.Name, rdtype: dns.rdatatype.RdataType,
              covers: dns.rdatatype.RdataType = dns.rdatatype.NONE) -> dns.rrset.RRset | None:
        rdataset = self.rdataset(name, rdtype, covers)
        return rrset_of(name, rdataset) if rdataset is not None else None
