"""Answering a query from a zone's records the way an authoritative server does (RFC 1034
§4.3.2 with RFC 4035 §3.1, RFC 5155 §7.2 and RFC 6672): the RRset and its RRSIGs; a CNAME,
followed inside the zone; a DNAME above the name, with the CNAME it synthesizes; a referral
at a delegation point, with the DS or the proof that there is none; an answer synthesized
from a wildcard; or a negative answer with the SOA and its NSEC or NSEC3 proof.

This is what lets a zone file be checked like a live zone (file mode), and the project's tests
answer from zones signed in memory: no check may judge an answer a real server would not
give. The NSEC3 records served are those of the chain the NSEC3PARAM names (RFC 5155 §4):
records of other parameters (a chain left over from a parameter change) are never served.
"""

from __future__ import annotations

import bisect

import dns.dnssec
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.zone
from dns.rdtypes.ANY.CNAME import CNAME

from ..probe.data import ZoneData, memoized
from .nsec3 import Nsec3Params, hash_of_label, nsec3_records
from .zonetree import WILDCARD, ZoneTree, canonical_order, names_between, origin_of, rrset_of

__all__ = ["WILDCARD", "Responder", "names_between", "origin_of", "respond", "rrset_of",
           "served_nsec3_params"]

# CNAMEs and DNAMEs followed inside the zone for one answer, as servers bound the chains
# they build (a DNAME pointing under itself would go on until the name is too long).
MAX_CHAIN = 12


def announced_nsec3_params(zone: dns.zone.Zone) -> list[Nsec3Params]:
    """The NSEC3 parameters the apex NSEC3PARAM RRset announces. Records with flags other
    than 0 are ignored, as RFC 5155 §4.2 tells servers to."""
    param = zone.get_rdataset(origin_of(zone), dns.rdatatype.NSEC3PARAM) or ()
    return [Nsec3Params(p.algorithm, p.iterations, bytes(p.salt)) for p in param
            if p.flags == 0]


def served_nsec3_params(zone: dns.zone.Zone, tree: ZoneTree | None = None
                        ) -> Nsec3Params | None:
    """The NSEC3 chain servers answer from: the first one the NSEC3PARAM announces that has
    records (RFC 5155 §4). Without one, a zone with an NSEC chain is answered with NSEC; a
    zone with only NSEC3 records from the chain of the lowest parameters, a server's best
    effort (DENIAL07 and DENIAL10 report the NSEC3PARAM). None: the zone has no NSEC3
    records, or answers with NSEC."""
    tree = tree or ZoneTree(zone)
    chain = (tree.rrset(owner, dns.rdatatype.NSEC3) for owner in tree.nsec3_owners)
    present = {r.params for r in nsec3_records(rrset for rrset in chain if rrset is not None)}
    announced = next((p for p in announced_nsec3_params(zone) if p in present), None)
    if announced is not None or not present:
        return announced
    has_nsec = any(tree.rdataset(n, dns.rdatatype.NSEC) is not None
                   for n in tree.authoritative)
    return None if has_nsec else min(present)


class Responder:
    """Answers queries from one zone; build it once and ask it many questions."""

    def __init__(self, zone: dns.zone.Zone, tree: ZoneTree | None = None):
        self.zone = zone
        self.tree = tree or ZoneTree(zone)
        self.origin = self.tree.origin
        self.nsec_owners = sorted(
            (n for n in self.tree.authoritative
             if self.tree.rdataset(n, dns.rdatatype.NSEC) is not None), key=canonical_order)
        self.nsec3_params = served_nsec3_params(zone, self.tree)
        chain: list[tuple[bytes, dns.name.Name]] = []
        if self.nsec3_params is not None:
            for owner in self.tree.nsec3_owners:
                rrset = self.tree.rrset(owner, dns.rdatatype.NSEC3)
                digest = hash_of_label(owner.labels[0])
                if rrset is not None and digest is not None and any(
                        r.params == self.nsec3_params for r in nsec3_records([rrset])):
                    chain.append((digest, owner))
        chain.sort()
        self._nsec3_hashes = [digest for digest, _ in chain]
        self._nsec3_owners = [owner for _, owner in chain]
        self._in_chain = frozenset(self._nsec3_owners)

    @property
    def uses_nsec3(self) -> bool:
        return self.nsec3_params is not None

    def respond(self, qname: dns.name.Name, rdtype: dns.rdatatype.RdataType
                ) -> dns.message.Message:
        query = dns.message.make_query(qname, rdtype, want_dnssec=True)
        response = dns.message.make_response(query)
        if not qname.is_subdomain(self.origin):
            response.set_rcode(dns.rcode.REFUSED)
            return response
        response.flags |= dns.flags.AA
        name: dns.name.Name | None = qname
        seen: set[dns.name.Name] = set()
        while name is not None and name.is_subdomain(self.origin) and name not in seen \
                and len(seen) < MAX_CHAIN:
            seen.add(name)
            name = self._lookup(response, name, rdtype)
        return response

    def denial_record(self, owner: dns.name.Name, rdtype: dns.rdatatype.RdataType
                      ) -> dns.message.Message | None:
        """The NSEC or NSEC3 record at `owner` and its RRSIGs as negative answers and
        referrals carry them (in the authority section), if the zone serves it: the NSEC of
        an authoritative name, or an NSEC3 record of the served chain. (Asked for directly,
        a hashed NSEC3 owner does not exist, RFC 5155 §7.2.8, and a delegation point's NSEC
        comes with a referral.)"""
        query = dns.message.make_query(owner, rdtype, want_dnssec=True)
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        if rdtype == dns.rdatatype.NSEC3 and owner in self._in_chain:
            self._add_nsec3(response, owner)
        elif rdtype == dns.rdatatype.NSEC and owner in self.tree.authoritative:
            self._add_authority(response, owner, rdtype)
        return response if response.authority else None

    # --- one step of the lookup: returns the name to go on with (a CNAME target) ----------

    def _lookup(self, response: dns.message.Message, qname: dns.name.Name,
                rdtype: dns.rdatatype.RdataType) -> dns.name.Name | None:
        # Down from the apex: the first cut or DNAME on the way decides (RFC 1034 §4.3.2
        # step 3b, RFC 6672 §3.2).
        path = [self.origin, *reversed(names_between(qname, self.origin))]
        if qname != self.origin:
            path.append(qname)
        for name in path:
            if name in self.tree.cuts and not (name == qname and rdtype == dns.rdatatype.DS):
                self._referral(response, name)
                return None
            if name != qname and self.tree.rdataset(name, dns.rdatatype.DNAME) is not None:
                return self._dname(response, qname, name)
        if qname in self.tree.data_names:
            return self._at_name(response, qname, rdtype)
        if qname in self.tree.empty_non_terminals:
            self._negative(response, self._nodata_proof(qname))
            return None
        encloser = self.tree.closest_encloser(qname)
        wildcard = WILDCARD.concatenate(encloser)
        if wildcard in self.tree.data_names:
            return self._from_wildcard(response, qname, rdtype, encloser, wildcard)
        self._negative(response, self._nxdomain_proof(qname, encloser), nxdomain=True)
        return None

    def _at_name(self, response: dns.message.Message, qname: dns.name.Name,
                 rdtype: dns.rdatatype.RdataType) -> dns.name.Name | None:
        if self._answer(response, qname, qname, rdtype):
            return None
        if rdtype != dns.rdatatype.CNAME and self._answer(response, qname, qname,
                                                          dns.rdatatype.CNAME):
            return self._cname_target(qname)
        self._negative(response, self._nodata_proof(qname))
        return None

    def _from_wildcard(self, response: dns.message.Message, qname: dns.name.Name,
                       rdtype: dns.rdatatype.RdataType, encloser: dns.name.Name,
                       wildcard: dns.name.Name) -> dns.name.Name | None:
        """RFC 4035 §3.1.3.3, RFC 5155 §7.2.6: the wildcard's RRset under the query name,
        with the proof that no closer name exists; or the wildcard NODATA proof."""
        if self._answer(response, wildcard, qname, rdtype):
            self._add_denial(response, self._no_closer_proof(qname, encloser))
            return None
        if rdtype != dns.rdatatype.CNAME and self._answer(response, wildcard, qname,
                                                          dns.rdatatype.CNAME):
            self._add_denial(response, self._no_closer_proof(qname, encloser))
            return self._cname_target(wildcard)
        proof = self._no_closer_proof(qname, encloser)
        if self.uses_nsec3:
            proof += [self._nsec3_match(encloser), self._nsec3_match(wildcard)]
        else:
            proof.append(self._nsec_for(wildcard))
        self._negative(response, proof)
        return None

    def _answer(self, response: dns.message.Message, source: dns.name.Name,
                owner: dns.name.Name, rdtype: dns.rdatatype.RdataType) -> bool:
        return self._add(response.answer, source, rdtype, owner)

    def _cname_target(self, source: dns.name.Name) -> dns.name.Name | None:
        cname = self.tree.rdataset(source, dns.rdatatype.CNAME)
        return next(iter(cname)).target if cname else None

    def _dname(self, response: dns.message.Message, qname: dns.name.Name,
               owner: dns.name.Name) -> dns.name.Name | None:
        """RFC 6672 §3.2: the DNAME and its RRSIGs, and the CNAME it synthesizes for the
        query name (unsigned, with the DNAME's TTL); YXDOMAIN when the new name is too long."""
        self._answer(response, owner, owner, dns.rdatatype.DNAME)
        dname = self.tree.rdataset(owner, dns.rdatatype.DNAME)
        assert dname is not None
        try:
            target = qname.relativize(owner).concatenate(next(iter(dname)).target)
        except dns.name.NameTooLong:
            response.set_rcode(dns.rcode.YXDOMAIN)
            return None
        response.answer.append(dns.rrset.from_rdata(
            qname, dname.ttl, CNAME(dns.rdataclass.IN, dns.rdatatype.CNAME, target)))
        return target

    def _referral(self, response: dns.message.Message, cut: dns.name.Name) -> None:
        """RFC 4035 §3.1.4: the delegation's NS, and its signed DS or the proof that it has
        none; glue in the additional section. The answer is not authoritative."""
        if not response.answer:
            response.flags &= ~dns.flags.AA
        ns = self.tree.rdataset(cut, dns.rdatatype.NS)
        assert ns is not None
        response.authority.append(rrset_of(cut, ns))
        if not self._add_authority(response, cut, dns.rdatatype.DS):
            self._add_denial(response, self._nodata_proof(cut))
        for target in sorted({r.target for r in ns}):
            for glue_type in (dns.rdatatype.A, dns.rdatatype.AAAA):
                glue = self.tree.rdataset(target, glue_type)
                if glue is not None:
                    response.additional.append(rrset_of(target, glue))

    def _negative(self, response: dns.message.Message,
                  proof: list[dns.name.Name | None], *, nxdomain: bool = False) -> None:
        if nxdomain:
            response.set_rcode(dns.rcode.NXDOMAIN)
        if self._add_authority(response, self.origin, dns.rdatatype.SOA):
            # RFC 2308 §3: the SOA of a negative answer lives no longer than its MINIMUM.
            soa = self.tree.rdataset(self.origin, dns.rdatatype.SOA)
            assert soa is not None
            limit = min(soa.ttl, next(iter(soa)).minimum)
            for rrset in response.authority[-2:]:
                if rrset.name == self.origin and dns.rdatatype.SOA in (rrset.rdtype,
                                                                         rrset.covers):
                    rrset.ttl = min(rrset.ttl, limit)
        self._add_denial(response, proof)

    # --- proofs: the owners of the NSEC or NSEC3 records that prove a denial --------------

    def _nsec_for(self, name: dns.name.Name) -> dns.name.Name | None:
        """The NSEC owner at or before `name`: its match, or the record covering it."""
        if not self.nsec_owners:
            return None
        return self.nsec_owners[bisect.bisect_right(self.nsec_owners, name) - 1]

    def _hash(self, name: dns.name.Name) -> bytes:
        assert self.nsec3_params is not None
        params = self.nsec3_params
        # Whatever the algorithm field says: a server can only ever have hashed with SHA-1.
        text = dns.dnssec.nsec3_hash(name, params.salt, params.iterations, 1)
        digest = hash_of_label(text.encode())
        assert digest is not None
        return digest

    def _nsec3_match(self, name: dns.name.Name) -> dns.name.Name | None:
        """The NSEC3 owner matching the hash of `name`; the covering one when none matches (a
        server's best effort over an inconsistent chain)."""
        digest = self._hash(name)
        index = bisect.bisect_left(self._nsec3_hashes, digest)
        if index < len(self._nsec3_hashes) and self._nsec3_hashes[index] == digest:
            return self._nsec3_owners[index]
        return self._nsec3_cover(name)

    def _nsec3_cover(self, name: dns.name.Name) -> dns.name.Name | None:
        """The NSEC3 owner whose span the hash of `name` falls into: the last owner before
        it, wrapping to the last of the chain."""
        if not self._nsec3_owners:
            return None
        index = bisect.bisect_left(self._nsec3_hashes, self._hash(name))
        return self._nsec3_owners[index - 1]

    def _has_nsec3(self, name: dns.name.Name) -> bool:
        digest = self._hash(name)
        index = bisect.bisect_left(self._nsec3_hashes, digest)
        return index < len(self._nsec3_hashes) and self._nsec3_hashes[index] == digest

    def _nodata_proof(self, name: dns.name.Name) -> list[dns.name.Name | None]:
        """The NSEC (RFC 4035 §3.1.3.1) or NSEC3 (RFC 5155 §7.2.3) of the name; for a name
        an opt-out chain leaves out (an unsigned delegation, or an empty non-terminal above
        only such), the closest provable encloser and the opt-out record covering the next
        closer name (RFC 5155 §7.2.4, §7.2.7), as NSD answers."""
        if not self.uses_nsec3:
            return [self._nsec_for(name)]
        if self._has_nsec3(name) or name == self.origin:
            return [self._nsec3_match(name)]
        encloser = next((a for a in names_between(name, self.origin) if self._has_nsec3(a)),
                        self.origin)
        return [self._nsec3_match(encloser),
                self._nsec3_cover(_next_closer(name, encloser))]

    def _nxdomain_proof(self, qname: dns.name.Name, encloser: dns.name.Name
                        ) -> list[dns.name.Name | None]:
        wildcard = WILDCARD.concatenate(encloser)
        if self.uses_nsec3:
            return [self._nsec3_match(encloser),
                    self._nsec3_cover(_next_closer(qname, encloser)),
                    self._nsec3_cover(wildcard)]
        return [self._nsec_for(qname), self._nsec_for(wildcard)]

    def _no_closer_proof(self, qname: dns.name.Name, encloser: dns.name.Name
                         ) -> list[dns.name.Name | None]:
        if self.uses_nsec3:
            return [self._nsec3_cover(_next_closer(qname, encloser))]
        return [self._nsec_for(qname)]

    def _add_denial(self, response: dns.message.Message,
                    owners: list[dns.name.Name | None]) -> None:
        """The NSEC or NSEC3 records owned by `owners` (each once) and their RRSIGs."""
        rdtype = dns.rdatatype.NSEC3 if self.uses_nsec3 else dns.rdatatype.NSEC
        for owner in dict.fromkeys(o for o in owners if o is not None):
            if rdtype == dns.rdatatype.NSEC3:
                self._add_nsec3(response, owner)
            else:
                self._add_authority(response, owner, rdtype)

    def _add_nsec3(self, response: dns.message.Message, owner: dns.name.Name) -> None:
        """The owner's NSEC3 records of the served chain only (RFC 5155 §7.2)."""
        rdataset = self.tree.rdataset(owner, dns.rdatatype.NSEC3)
        if rdataset is None:
            return
        served = [r for r in rdataset if self.nsec3_params == Nsec3Params(
            r.algorithm, r.iterations, bytes(r.salt))]
        rrset = dns.rrset.from_rdata_list(owner, rdataset.ttl, served)
        response.authority.append(rrset)
        sigs = self.tree.rdataset(owner, dns.rdatatype.RRSIG, dns.rdatatype.NSEC3)
        if sigs is not None:
            response.authority.append(rrset_of(owner, sigs))

    def _add_authority(self, response: dns.message.Message, name: dns.name.Name,
                       rdtype: dns.rdatatype.RdataType) -> bool:
        return self._add(response.authority, name, rdtype, name)

    def _add(self, section: list[dns.rrset.RRset], source: dns.name.Name,
             rdtype: dns.rdatatype.RdataType, owner: dns.name.Name) -> bool:
        """The RRset at `source` and its RRSIGs, under `owner` (a wildcard's, synthesized)."""
        rdataset = self.tree.rdataset(source, rdtype)
        if rdataset is None:
            return False
        section.append(rrset_of(owner, rdataset))
        sigs = self.tree.rdataset(source, dns.rdatatype.RRSIG, rdtype)
        if sigs is not None:
            section.append(rrset_of(owner, sigs))
        return True


def _next_closer(qname: dns.name.Name, encloser: dns.name.Name) -> dns.name.Name:
    return qname.split(len(encloser) + 1)[1]


def respond(zone: dns.zone.Zone, qname: dns.name.Name, rdtype: dns.rdatatype.RdataType,
            ) -> dns.message.Message:
    """An authoritative answer from `zone` (see the module doc). Indexes the zone on every
    call: to ask many questions, keep a `Responder`."""
    return Responder(zone).respond(qname, rdtype)


def file_responder(zone: ZoneData) -> Responder:
    """The responder over a zone file's content, built once per zone (file mode only)."""
    content = zone.file_content
    assert content is not None, "file mode only"
    return memoized(zone, "file_responder", lambda: Responder(content))
