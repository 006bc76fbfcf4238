"""File mode's responder against a real authoritative server: NSD serves zones signed by
dnssec-signzone (NSEC, NSEC3 with opt-out, a DNAME at the apex) on loopback, and for every
question the responder gives the answer NSD gives: rcode, AA flag, the answer section, and
the SOA and NSEC/NSEC3 records of the authority section (or the referral's NS and DS).

A check judging a zone file must never judge an answer no server would give: CNAME chains,
DNAME (at the apex too), wildcards, empty non-terminals, referrals and opt-out are where an
invented answer would hide.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.rrset
import pytest

from dnssec_conformance.dnssec.authoritative import Responder
from dnssec_conformance.dnssec.zonefile import load_zone_file
from lab import configs, keys, processes, signing, tools
from lab.addresses import PORT, AddressPlan, prefix_from_env
from lab.scenarios import Nsec3, Window

BODY = """\
$TTL 3600
@ SOA ns1 hostmaster 1 7200 3600 1209600 300
@ NS ns1
ns1 A 192.0.2.1
www A 192.0.2.10
alias CNAME www
chain CNAME alias
outside CNAME www.example.net.
dangling CNAME nothere
*.wild A 192.0.2.20
host.wild AAAA 2001:db8::1
*.wildalias CNAME www
redirect DNAME target.example.net.
inner DNAME sub
x.sub A 192.0.2.30
deep.ent.b A 192.0.2.31
secure NS ns.secure
ns.secure A 192.0.2.40
secure DS 12345 13 2 {digest}
insecure NS ns.elsewhere.example.
deeper.insecure2.ent2 NS ns.elsewhere.example.
"""
DNAME_APEX_BODY = """\
$TTL 3600
@ SOA ns1.example.net. hostmaster.example.net. 1 7200 3600 1209600 300
@ NS ns1.example.net.
@ DNAME elsewhere.example.net.
@ A 192.0.2.50
"""
ZONES = {"xcheck-nsec.test.": (BODY, None),
         "xcheck-nsec3.test.": (BODY, Nsec3(opt_out=True)),
         "xcheck-dname.test.": (DNAME_APEX_BODY, Nsec3())}
QUESTIONS = {
    "BODY": [("@", "SOA"), ("@", "DNSKEY"), ("@", "NSEC3PARAM"), ("@", "TYPE65280"),
             ("www", "A"), ("www", "AAAA"), ("alias", "A"), ("alias", "CNAME"), ("chain", "A"),
             ("outside", "A"), ("dangling", "A"), ("a.wild", "A"), ("a.wild", "MX"),
             ("b.a.wild", "A"), ("host.wild", "A"), ("x.wildalias", "A"),
             ("foo.redirect", "A"), ("redirect", "DNAME"), ("redirect", "A"),
             ("x.inner", "A"), ("y.inner", "A"), ("sub", "A"), ("b", "A"), ("ent.b", "TXT"),
             ("nope", "A"), ("nope.sub", "A"), ("secure", "A"), ("secure", "DS"),
             ("host.secure", "A"), ("ns.secure", "A"), ("insecure", "A"), ("insecure", "DS"),
             ("deeper.insecure2.ent2", "A"), ("deeper.insecure2.ent2", "DS"),
             ("insecure2.ent2", "A"), ("ent2", "A")],
    "DNAME_APEX_BODY": [("@", "SOA"), ("@", "A"), ("@", "AAAA"), ("@", "DNAME"),
                        ("x", "A"), ("a.b", "TXT")],
}
# NSD 4 answers NXDOMAIN for the target of a DNAME-synthesized CNAME with the NSEC covering
# the wildcard only, not the one covering the target; RFC 4035 §3.1.3.2 asks for both, and
# the responder gives both: there NSD's authority section need only be part of ours.
NSD_SHORT_PROOFS = {("xcheck-nsec.test.", "y.inner", "A")}
# The suffix of the lab prefix this test's NSD listens on (the lab itself uses 0.x and 1.x).
SUFFIX = "12.53"


@dataclass(frozen=True)
class Served:
    address: str
    files: dict[str, Path]


def unsigned_text(zone: str, body: str, dnskeys: list[str]) -> str:
    text = body.replace("{digest}", "AB" * 32)
    return f"$ORIGIN {zone}\n" + text + "".join(f"{line}\n" for line in dnskeys)


@pytest.fixture(scope="module")
def nsd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    run_dir = tmp_path_factory.mktemp("responder-vs-nsd")
    address = f"{AddressPlan(prefix_from_env()).prefix}.{SUFFIX}"
    processes.check_privilege(address)
    processes.check_port_free(address)
    log = tools.CommandLog(run_dir)
    now = datetime.datetime.now(datetime.UTC)
    files: dict[str, Path] = {}
    served = []
    for zone, (body, nsec3) in ZONES.items():
        folder = Path(zone.rstrip("."))
        (run_dir / folder).mkdir()
        made = [keys.generate(log, zone, folder, algorithm="ECDSAP256SHA256", ksk=ksk,
                              ttl=3600) for ksk in (True, False)]
        unsigned = folder / "zone"
        (run_dir / unsigned).write_text(unsigned_text(zone, body, [k.dnskey_line
                                                                    for k in made]))
        signed = folder / "zone.signed"
        signing.sign(log, zone, unsigned, signed, keys=made, now=now, window=Window(),
                     nsec3=nsec3)
        files[zone] = run_dir / signed
        served.append(configs.ServedZone(zone, run_dir / signed, 1))
    server = configs.Server("nsd-xcheck", "xcheck", "nsd", address, run_dir, tuple(served))
    configs.write_config(server)
    processes.start(server)
    try:
        processes.wait_ready([server])
        yield Served(address, files)
    finally:
        processes.stop_all(run_dir)


def ask(address: str, qname: dns.name.Name, rdtype: dns.rdatatype.RdataType
        ) -> dns.message.Message:
    query = dns.message.make_query(qname, rdtype, want_dnssec=True, payload=4096)
    query.flags &= ~dns.flags.RD
    response = dns.query.udp(query, address, port=PORT, timeout=3)
    if response.flags & dns.flags.TC:
        response = dns.query.tcp(query, address, port=PORT, timeout=3)
    return response


def section(rrsets: list[dns.rrset.RRset], *, referral: bool = False) -> set[str]:
    """The records that make the answer, as text (TTLs included). In the authority section
    that is the SOA and the denial records, or a referral's NS and DS: NSD may add the apex
    NS RRset to positive answers, which proves nothing."""
    kept = set()
    for rrset in rrsets:
        covered = rrset.covers if rrset.rdtype == dns.rdatatype.RRSIG else rrset.rdtype
        if not referral and covered == dns.rdatatype.NS:
            continue
        lowered = dns.rrset.RRset(rrset.name.canonicalize(), rrset.rdclass, rrset.rdtype,
                                  rrset.covers)
        lowered.update(rrset)
        kept.add(lowered.to_text())
    return kept


def is_referral(response: dns.message.Message) -> bool:
    return not response.flags & dns.flags.AA and any(
        r.rdtype == dns.rdatatype.NS for r in response.authority)


@pytest.mark.parametrize("zone", sorted(ZONES))
def test_the_responder_answers_as_nsd_does(nsd: Served, zone: str):
    origin = dns.name.from_text(zone)
    responder = Responder(load_zone_file(nsd.files[zone], origin).zone)
    body = "BODY" if ZONES[zone][0] is BODY else "DNAME_APEX_BODY"
    asked = [*QUESTIONS[body], ("dnssec-conformance-probe", "A")]
    differences = []
    for relative, type_text in asked:
        qname = dns.name.from_text(relative, origin)
        rdtype = dns.rdatatype.from_text(type_text)
        theirs, ours = ask(nsd.address, qname, rdtype), responder.respond(qname, rdtype)
        referral = is_referral(theirs)
        seen = {
            "rcode": (dns.rcode.to_text(theirs.rcode()), dns.rcode.to_text(ours.rcode())),
            "AA": (bool(theirs.flags & dns.flags.AA), bool(ours.flags & dns.flags.AA)),
            "answer": (section(theirs.answer), section(ours.answer)),
            "authority": (section(theirs.authority, referral=referral),
                          section(ours.authority, referral=referral)),
        }
        if (zone, relative, type_text) in NSD_SHORT_PROOFS:
            nsd_says, we_say = seen.pop("authority")
            assert nsd_says < we_say, f"{qname} {type_text}: {nsd_says} / {we_say}"
        for part, (nsd_says, we_say) in seen.items():
            if nsd_says != we_say:
                differences.append(f"{qname} {type_text} {part}: NSD {nsd_says}, we {we_say}"
                                   f"\n;; NSD:\n{theirs}\n;; we:\n{ours}")
    assert not differences, "\n".join(differences)
