"""The zones of the hostile universe (`hostile_dns.py`): a root, the TLD `fuzz.`, a zone of
name-server addresses `hosts.fuzz.`, and the checked zones `zN.fuzz.`, all signed in memory.

Each checked zone may carry absurd data signed into it (`ZONE_FAULTS`: RRSIG dates and fields,
empty, huge or unknown DNSKEYs, NSEC3 with huge iterations and salts, a DS with a wrong key
tag, CNAME and DNAME games) and, in campaigns that ask for them, a hostile delegation
(`DELEGATION_FAULTS`): name servers whose addresses are thousands (answered TC, then over TCP),
addresses no query may ever go to (as glue, from the hosts zone, from the zone's own NS set or
from the resolver), glueless name servers that depend on each other, and servers that answer
questions below the apex with referrals to the same servers or back up the tree.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field

import dns.dnssec
import dns.name
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.zone
from cryptography.hazmat.primitives.asymmetric import ec

from dnssec_conformance.dnssec.authoritative import Responder

TLD = dns.name.from_text("fuzz.")
HOSTS = dns.name.from_text("hosts.fuzz.")
CANARY = dns.name.from_text("canary.fuzz.")  # bogus: its DS names no key (a wrong key tag)
DAY = 86400
ZONE_FAULTS = ("none", "rrsig-dates", "rrsig-fields", "dnskey-empty", "dnskey-huge",
               "dnskey-unknown-algorithm", "nsec3-huge", "ds-wrong-tag", "cname-games",
               "dname-apex", "nsec-loop")
# What a hostile delegation can try to make the product do (the probe engine's part).
DELEGATION_FAULTS = ("address-flood", "address-flood-resolver", "forbidden-glue",
                     "forbidden-glueless", "forbidden-child-ns", "forbidden-resolver",
                     "glueless-cycle", "referral-loop")
DELEGATION_SHARE = 0.4  # of the checked zones, when a campaign asks for delegation faults
# Addresses no delegation may make us query: broadcast, cloud metadata (link-local),
# multicast, unspecified, reserved, link-local IPv6, IPv6 multicast and unspecified, and the
# metadata address again in IPv4-mapped form.
FORBIDDEN_V4 = ("255.255.255.255", "169.254.169.254", "224.0.0.1", "239.255.255.250",
                "0.0.0.0", "240.0.0.1")
FORBIDDEN_V6 = ("fe80::1", "ff02::1", "::", "::ffff:169.254.169.254")
FORBIDDEN_ADDRESSES = FORBIDDEN_V4 + FORBIDDEN_V6
# The giant delegation: 3,750 addresses per name server name (all a 64 KiB TCP
# message holds of A records); as many AAAA records as fit.
FLOOD_A = 3750
FLOOD_AAAA = 2000


@dataclass
class Keys:
    ksk: tuple[object, object]
    zsk: tuple[object, object]


@dataclass
class Universe:
    """The zones and who serves them: the root at the root address, `fuzz.` at the TLD
    address, `hosts.fuzz.`, the bogus `canary.fuzz.` and every zN.fuzz. at ns1 and ns2; the
    resolver answers from all of them, and claims to have validated every answer (AD). The
    hostile delegations are data: addresses only the resolver gives, names whose addresses
    flood, zones whose servers answer below the apex with referrals."""

    prefix: str
    zones: dict[dns.name.Name, dns.zone.Zone]
    root_key: object
    addresses: dict[str, str]
    checked: list[dns.name.Name] = field(default_factory=list)  # the zones domains.yaml lists
    zone_faults: dict[dns.name.Name, str] = field(default_factory=dict)
    delegation_faults: dict[dns.name.Name, str] = field(default_factory=dict)
    # name -> addresses the resolver (only) gives for it; the authoritative data has none
    resolver_addresses: dict[dns.name.Name, tuple[str, ...]] = field(default_factory=dict)
    # names answered with thousands of addresses -> which flood (each name its own)
    flood_names: dict[dns.name.Name, int] = field(default_factory=dict)
    loop_zones: set[dns.name.Name] = field(default_factory=set)  # referrals below the apex
    cycle_zones: set[dns.name.Name] = field(default_factory=set)  # glueless, each other's
    _responders: dict[dns.name.Name, Responder] = field(default_factory=dict, repr=False)

    @property
    def children(self) -> list[dns.name.Name]:
        return list(self.checked)

    def zone_for(self, qname: dns.name.Name, served: set[dns.name.Name] | None = None
                 ) -> dns.zone.Zone | None:
        best = None
        for origin in self.zones:
            if (served is None or origin in served) and qname.is_subdomain(origin) and (
                    best is None or len(origin) > len(best)):
                best = origin
        return self.zones[best] if best is not None else None

    def responder(self, zone: dns.zone.Zone) -> Responder:
        """The zone's responder, built once (the zones never change once built)."""
        assert zone.origin is not None
        responder = self._responders.get(zone.origin)
        if responder is None:
            responder = self._responders[zone.origin] = Responder(zone)
        return responder

    def flood(self, rdtype: int, which: int = 0) -> list[str]:
        """The addresses of a flooding name: a real server's among thousands of loopback
        addresses nothing listens on (a query to them stays on this host, and times out);
        `which` (0 or 1) picks the real server and a range of its own."""
        base = 200 + 15 * which
        if rdtype == dns.rdatatype.A:
            return [self.addresses[("ns1", "ns2")[which]]] + [
                f"{self.prefix}.{base + i // 256}.{i % 256}" for i in range(1, FLOOD_A)]
        return [f"::ffff:{self.prefix}.{base + i // 256}.{i % 256}" for i in range(FLOOD_AAAA)]


def _keys() -> Keys:
    pairs = []
    for flags in (257, 256):
        private = ec.generate_private_key(ec.SECP256R1())
        pairs.append((private, dns.dnssec.make_dnskey(private.public_key(), 13, flags=flags)))
    return Keys(pairs[0], pairs[1])


def _sign(zone: dns.zone.Zone, keys: Keys, now: float, nsec3: str | None = None) -> None:
    if nsec3 is not None:
        from .inmemory import Key, sign_nsec3

        sign_nsec3(zone, [Key(*keys.ksk), Key(*keys.zsk)], nsec3, inception=now - DAY,
                   expiration=now + 30 * DAY, dnskey_ttl=300)
        return
    dns.dnssec.sign_zone(zone, keys=[keys.ksk, keys.zsk], inception=now - DAY,
                         expiration=now + 30 * DAY, dnskey_ttl=300,
                         policy=dns.dnssec.allow_all_policy)


def _address_records(owner: str, addresses: tuple[str, ...] | list[str]) -> str:
    return "".join(f"{owner} 300 IN {'AAAA' if ':' in a else 'A'} {a}\n" for a in addresses)


@dataclass
class _Delegation:
    """How the TLD delegates one zone, what the zone's own NS set says, and the records each
    of the TLD, the hosts zone and the zone itself gets for it."""

    parent_ns: list[str]
    child_ns: list[str]
    tld: str = ""
    hosts: str = ""
    child: str = ""


def _delegation(index: int, fault: str, universe: Universe) -> _Delegation:
    normal = ["ns1.nic.fuzz.", "ns2.nic.fuzz."]
    zone = f"z{index}.fuzz."
    name = dns.name.from_text
    forbidden = FORBIDDEN_ADDRESSES
    match fault:
        case "address-flood":
            ns = [f"z{index}-a.hosts.fuzz.", f"z{index}-b.hosts.fuzz."]
            universe.flood_names.update((name(n), which) for which, n in enumerate(ns))
            return _Delegation(ns, ns, hosts=_address_records(
                ns[0], [universe.addresses["ns1"]]) + _address_records(
                ns[1], [universe.addresses["ns2"]]))
        case "address-flood-resolver":
            ns = [f"z{index}-ra.hosts.fuzz.", f"z{index}-rb.hosts.fuzz."]
            for which, n in enumerate(ns):  # not in the hosts zone: the resolver answers
                universe.flood_names[name(n)] = which
                universe.resolver_addresses[name(n)] = ()
            return _Delegation(ns, ns)
        case "forbidden-glue":
            bad = f"bad.{zone}"
            ns = [*normal, bad]
            return _Delegation(ns, ns, tld=_address_records(bad, forbidden),
                               child=_address_records(bad, forbidden))
        case "forbidden-glueless":
            bad = f"z{index}-f.hosts.fuzz."
            return _Delegation([normal[0], bad], [normal[0], bad],
                               hosts=_address_records(bad, forbidden))
        case "forbidden-child-ns":
            bad = f"z{index}-c.hosts.fuzz."
            return _Delegation(normal, [*normal, bad], hosts=_address_records(bad, forbidden))
        case "forbidden-resolver":
            bad = f"z{index}-q.hosts.fuzz."
            universe.resolver_addresses[name(bad)] = forbidden
            return _Delegation([normal[0], bad], [normal[0], bad])
        case "glueless-cycle":
            # zN is served by a name in zN-peer, and zN-peer by a name in zN: no glue.
            peer = f"z{index}-peer.fuzz."
            universe.cycle_zones.update((name(zone), name(peer)))
            return _Delegation([f"ns.{peer}"], normal, tld=f"{peer} 300 IN NS ns.{zone}\n")
        case "referral-loop":
            universe.loop_zones.add(name(zone))
            return _Delegation(normal, [*normal, f"ns.loop.{zone}"])
    return _Delegation(normal, normal)


def build_universe(prefix: str, count: int, seed: int, now: float, *,
                   delegation_faults: bool = False, delegations: dict[int, str] | None = None
                   ) -> Universe:
    """`count` checked zones (z0 clean), their data faults drawn from `seed`; with
    `delegation_faults` a share of them behind a hostile delegation, or the ones
    `delegations` names (zone index -> fault)."""
    rng = random.Random(f"{seed}:zones")
    hostile = random.Random(f"{seed}:delegations")
    # The universe's /24 under the lab prefix; FUZZ_BLOCK moves it, so that two campaigns
    # of one engineer can run side by side. Flooded addresses live in .200-.229.
    block = f"{prefix}.{os.environ.get('FUZZ_BLOCK', '250')}"
    addresses = {"root": f"{block}.1", "tld": f"{block}.2", "ns1": f"{block}.11",
                 "ns2": f"{block}.12", "resolver": f"{block}.53", "elsewhere": f"{block}.99"}
    universe = Universe(prefix, {}, None, addresses)
    tld_keys, root_keys, hosts_keys = _keys(), _keys(), _keys()
    tld_body = ("@ 300 IN SOA b.nic hostmaster 1 7200 3600 1209600 300\n@ 300 IN NS b.nic\n"
                f"b.nic 300 IN A {addresses['tld']}\na.nic 300 IN A {addresses['root']}\n"
                f"ns1.nic 300 IN A {addresses['ns1']}\nns2.nic 300 IN A {addresses['ns2']}\n"
                "hosts 300 IN NS ns1.nic\nhosts 300 IN NS ns2.nic\n")
    hosts_body = ""
    for index in range(count):
        fault = rng.choice(ZONE_FAULTS) if index else "none"  # z0: a clean control zone
        origin = dns.name.from_text(f"z{index}.fuzz.")
        delegation = (delegations or {}).get(index, "none")
        if delegation_faults and index and hostile.random() < DELEGATION_SHARE:
            delegation = hostile.choice(DELEGATION_FAULTS)
        if delegation != "none":
            universe.delegation_faults[origin] = delegation
        plan = _delegation(index, delegation, universe)
        keys = _keys()
        universe.zones[origin] = _child_zone(origin, fault, keys, now, rng, plan)
        universe.zone_faults[origin] = fault
        universe.checked.append(origin)
        tld_body += "".join(f"z{index} 300 IN NS {ns}\n" for ns in plan.parent_ns) + plan.tld
        hosts_body += plan.hosts
        ds = dns.dnssec.make_ds(origin, keys.ksk[1], 2)
        if fault == "ds-wrong-tag":
            ds = ds.replace(key_tag=(ds.key_tag + 1) % 65536)
        tld_body += f"z{index} 300 IN DS {ds.to_text()}\n"
    canary_keys = _keys()
    universe.zones[CANARY] = _child_zone(CANARY, "none", canary_keys, now, rng,
                                         _Delegation([], ["ns1.nic.fuzz.", "ns2.nic.fuzz."]))
    canary_ds = dns.dnssec.make_ds(CANARY, canary_keys.ksk[1], 2)
    tld_body += ("canary 300 IN NS ns1.nic.fuzz.\ncanary 300 IN NS ns2.nic.fuzz.\ncanary 300 IN "
                 f"DS {canary_ds.replace(key_tag=(canary_ds.key_tag + 1) % 65536).to_text()}\n")
    hosts = dns.zone.from_text(
        "@ 300 IN SOA ns1.nic.fuzz. hostmaster.fuzz. 1 7200 3600 1209600 300\n"
        "@ 300 IN NS ns1.nic.fuzz.\n@ 300 IN NS ns2.nic.fuzz.\n" + hosts_body,
        origin=HOSTS, relativize=False)
    _sign(hosts, hosts_keys, now)
    universe.zones[HOSTS] = hosts
    tld_body += f"hosts 300 IN DS {dns.dnssec.make_ds(HOSTS, hosts_keys.ksk[1], 2).to_text()}\n"
    tld = dns.zone.from_text(tld_body, origin=TLD, relativize=False)
    _sign(tld, tld_keys, now)
    universe.zones[TLD] = tld
    tld_ds = dns.dnssec.make_ds(TLD, tld_keys.ksk[1], 2)
    root = dns.zone.from_text(
        "@ 300 IN SOA a.nic.fuzz. hostmaster.fuzz. 1 7200 3600 1209600 300\n"
        "@ 300 IN NS a.nic.fuzz.\n"
        f"fuzz. 300 IN NS b.nic.fuzz.\nfuzz. 300 IN DS {tld_ds.to_text()}\n"
        f"b.nic.fuzz. 300 IN A {addresses['tld']}\na.nic.fuzz. 300 IN A {addresses['root']}\n",
        origin=dns.name.root, relativize=False)
    _sign(root, root_keys, now)
    universe.zones[dns.name.root] = root
    universe.root_key = root_keys.ksk[1]
    return universe


def _child_zone(origin: dns.name.Name, fault: str, keys: Keys, now: float,
                rng: random.Random, delegation: _Delegation) -> dns.zone.Zone:
    body = ("@ 300 IN SOA ns1.nic.fuzz. hostmaster.fuzz. 1 7200 3600 1209600 300\n"
            + "".join(f"@ 300 IN NS {ns}\n" for ns in delegation.child_ns)
            + "@ 300 IN A 192.0.2.10\n@ 300 IN MX 10 mail\nmail 300 IN A 192.0.2.25\n"
            "@ 300 IN TXT \"v=spf1 -all\"\n" + delegation.child)
    if fault == "cname-games":
        body += "loop1 300 IN CNAME loop2\nloop2 300 IN CNAME loop1\nwww 300 IN CNAME loop1\n"
    if fault == "dname-apex":
        body += "sub 300 IN DNAME z0.fuzz.\n"
    zone = dns.zone.from_text(body, origin=origin, relativize=False)
    nsec3 = "1 0 65535 " + "ab" * 255 if fault == "nsec3-huge" else (
        "1 0 0 -" if rng.random() < 0.4 else None)
    if fault == "dnskey-empty":
        _add_key(zone, 256, 13, b"")
    elif fault == "dnskey-huge":
        _add_key(zone, 256, 8, bytes(rng.getrandbits(8) for _ in range(2048)))
    elif fault == "dnskey-unknown-algorithm":
        _add_key(zone, 257, 200, bytes(rng.getrandbits(8) for _ in range(64)))
    _sign(zone, keys, now, nsec3)
    if fault in ("rrsig-dates", "rrsig-fields"):
        _spoil_signatures(zone, fault, rng)
    if fault == "nsec-loop" and nsec3 is None:
        for name, node in zone.nodes.items():
            for rdataset in node.rdatasets:
                if rdataset.rdtype == dns.rdatatype.NSEC:
                    rdataset.update(dns.rdataset.from_rdata(
                        rdataset.ttl, *[r.replace(next=name) for r in rdataset]))
    return zone


def _add_key(zone: dns.zone.Zone, flags: int, algorithm: int, key: bytes) -> None:
    from dns.rdtypes.ANY.DNSKEY import DNSKEY

    rdata = DNSKEY(dns.rdataclass.IN, dns.rdatatype.DNSKEY, flags, 3, algorithm, key)
    with zone.writer() as txn:
        txn.add(zone.origin, 300, rdata)


def _spoil_signatures(zone: dns.zone.Zone, fault: str, rng: random.Random) -> None:
    for node in zone.nodes.values():
        for rdataset in list(node.rdatasets):
            if rdataset.rdtype != dns.rdatatype.RRSIG or rng.random() < 0.5:
                continue
            spoiled = []
            for sig in rdataset:
                if fault == "rrsig-dates":
                    sig = sig.replace(**rng.choice([
                        {"expiration": sig.inception - 1},
                        {"expiration": 2**32 - 1, "inception": 0},
                        {"inception": sig.expiration + 86400},
                        {"expiration": rng.getrandbits(32)}]))
                else:
                    sig = sig.replace(**rng.choice([
                        {"labels": rng.choice([0, 7, 255])},
                        {"original_ttl": rng.choice([0, 2**31, 2**32 - 1])},
                        {"algorithm": rng.choice([0, 8, 200, 255])},
                        {"key_tag": rng.getrandbits(16)},
                        {"signer": dns.name.from_text("elsewhere.fuzz.")},
                        {"signature": b""}]))
                spoiled.append(sig)
            node.replace_rdataset(dns.rdataset.from_rdata_list(rdataset.ttl, spoiled))
