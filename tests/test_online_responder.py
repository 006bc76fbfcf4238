"""The lab's online responder, without sockets: names beside names, NSEC3 hashes, and the
shape of its answers (RFC 9824's rcodes, RFC 4470's spans, truncation)."""

from __future__ import annotations

import dns.dnssec
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import pytest

from lab.online_responder import (
    NSEC3_WHITE_LIES,
    NSEC_WHITE_LIES,
    base32hex_decode,
    hash_text,
    predecessor,
    respond,
    successor_below,
    successor_beside,
)

from .inmemory import NOW, make_key
from .online_inmemory import signer

ZONE = dns.name.from_text("child.test.")


def name(text: str) -> dns.name.Name:
    return dns.name.from_text(text, ZONE)


@pytest.mark.parametrize("label", ["lab-nx-probe", "a", "*", "z9", "Mixed", "a\\000"])
def test_the_span_around_a_name_holds_it_and_its_subtree_and_little_else(label):
    target = name(label)
    before, after = predecessor(target), successor_beside(target)
    assert before < target < after
    assert before < name(f"deep.below.{label}") < after
    assert not after.is_subdomain(target)  # not an empty non-terminal claim
    assert successor_below(target).is_subdomain(target)


def test_a_decremented_octet_never_becomes_an_upper_case_letter():
    """'[' - 1 is 'Z', which sorts as 'z': the name would land after the target."""
    target = name("x[")
    assert predecessor(target) < target
    assert predecessor(target).labels[0].startswith(b"x@")


def test_hashes_survive_the_round_trip():
    digest = dns.dnssec.nsec3_hash(ZONE, None, 0, 1)
    value = int.from_bytes(base32hex_decode(digest), "big")
    assert hash_text(value) == digest


def ask(zone, qname, rdtype="A", *, dnssec=True, payload=1232, udp=False, flags=0):
    query = dns.message.make_query(qname, rdtype, want_dnssec=dnssec, payload=payload)
    query.flags &= ~dns.flags.RD
    if flags:
        query.use_edns(0, query.ednsflags | flags, payload)
    wire = respond([zone], query.to_wire(), udp=udp, now=NOW)
    assert wire is not None
    return dns.message.from_wire(wire)


def test_compact_denial_answers_noerror_to_a_validator_and_nxdomain_otherwise():
    zone = signer()
    assert ask(zone, name("nothing")).rcode() == dns.rcode.NOERROR
    assert ask(zone, name("nothing"), dnssec=False).rcode() == dns.rcode.NXDOMAIN
    restored = ask(zone, name("nothing"), flags=dns.flags.CO)  # RFC 9824 §4
    assert restored.rcode() == dns.rcode.NXDOMAIN
    nsec = next(r for r in restored.authority if r.rdtype == dns.rdatatype.NSEC)
    assert nsec.name == name("nothing") and nsec[0].next == name("\\000.nothing")


def test_white_lies_cover_the_next_closer_name_and_the_wildcard():
    reply = ask(signer(denial=NSEC_WHITE_LIES), name("a.b"))
    assert reply.rcode() == dns.rcode.NXDOMAIN
    spans = [(r.name, r[0].next) for r in reply.authority if r.rdtype == dns.rdatatype.NSEC]
    assert len(spans) == 2
    assert any(owner < name("b") < following for owner, following in spans)
    assert any(owner < name("*") < following for owner, following in spans)


def test_nsec3_white_lies_match_the_apex_and_cover_two_hashes():
    reply = ask(signer(denial=NSEC3_WHITE_LIES), name("nothing"))
    records = [r for r in reply.authority if r.rdtype == dns.rdatatype.NSEC3]
    assert len(records) == 3
    apex_hash = dns.dnssec.nsec3_hash(ZONE, None, 0, 1).lower().encode()
    assert any(r.name.labels[0].lower() == apex_hash for r in records)


def test_existing_data_is_signed_and_other_questions_are_refused():
    zone = signer()
    reply = ask(zone, name("www"))
    assert [r.rdtype for r in reply.answer] == [dns.rdatatype.A, dns.rdatatype.RRSIG]
    assert reply.flags & dns.flags.AA
    assert ask(zone, "elsewhere.test.").rcode() == dns.rcode.REFUSED
    assert ask(zone, ZONE, "ANY").rcode() == dns.rcode.NOTIMP


def test_a_udp_answer_too_large_for_the_buffer_is_truncated():
    zone = signer([make_key(8, ksk=True), make_key(8)])  # RSA: a DNSKEY answer over 512 octets
    assert ask(zone, ZONE, "DNSKEY", payload=512, udp=True).flags & dns.flags.TC
    assert not ask(zone, ZONE, "DNSKEY", payload=512).flags & dns.flags.TC  # over TCP
