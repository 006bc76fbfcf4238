"""Hypothesis strategies for hostile input: domains.yaml files (valid documents mutated, YAML
tricks, raw byte damage) and DNS answers spoiled at the record level (absurd RRSIG, DNSKEY
and NSEC3 fields, records of another class or owner, dropped or duplicated RRsets) or at the
wire level. Shared by the CI fuzz tests and the release campaign (`fuzz/campaign.py`)."""

from __future__ import annotations

import dns.flags
import dns.message
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import yaml
from hypothesis import strategies as st

# --- domains.yaml ------------------------------------------------------------------------------

HOSTILE_SCALARS = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([10**400, -(10**400), 2**31, 2**32, 2**63, 0, -1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(), st.none(),
    st.text(max_size=40),
    st.sampled_from(["no", "yes", "on", "0o17", "017", "0x1F", "1e5", "1e-300", "1:30", "~",
                     ".nan", ".inf", "1_000", "2001-12-14", "system", " 192.0.2.1",
                     "192.0.2.1:99999", "[::1]:53", "a\nb.example", "xn--", "-a.example",
                     "a" * 64 + ".example", "é.example", "*.example", "..", ".", "",
                     "example.com.", "iana-root", "/dev/zero", "/etc/passwd", "secure",
                     "insecure", "A", "TYPE65280", "ANY", "http://127.0.0.1:9/metrics"]),
)
KEYS = ["resolvers", "trust_anchors", "thresholds", "canaries", "clock", "query", "coredns",
        "domains", "warning_days", "critical_days", "serial_lag", "rollover_margin_s",
        "warn_before_soa_expire", "bogus", "skew_tolerance_s", "ntp", "max_offset_s",
        "timeout_s", "retries", "corefile", "metrics_url", "name", "records", "expect",
        "zone_file", "ds", "unknown_key", "expct"]
VALUES = st.recursive(HOSTILE_SCALARS, lambda children: st.one_of(
    st.lists(children, max_size=4),
    st.dictionaries(st.sampled_from(KEYS), children, max_size=4)), max_leaves=12)


@st.composite
def documents(draw: st.DrawFn) -> dict[str, object]:
    """A domains.yaml document: mostly the right shape, with hostile values in places."""
    document: dict[str, object] = {"domains": draw(st.lists(st.one_of(
        st.sampled_from(["example.com", "a.example", "b.example."]),
        st.fixed_dictionaries({"name": st.sampled_from(["c.example", "d.example"])},
                              optional={"records": st.lists(HOSTILE_SCALARS, max_size=3),
                                        "expect": HOSTILE_SCALARS,
                                        "thresholds": VALUES}),
        HOSTILE_SCALARS), min_size=0, max_size=4))}
    for key in draw(st.lists(st.sampled_from(KEYS), max_size=5)):
        document[key] = draw(VALUES)
    return document


YAML_TRICKS = [
    "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c]\n"
    "e: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n",
    "domains: " + "[" * 200 + "]" * 200 + "\n",
    "x: &x {y: *x}\n", "domains: !!python/object/apply:os.system [true]\n",
    "domains: [a.example]\ndomains: [b.example]\n", "\t- a\n", "---\n---\n", "%YAML 1.1\n",
    "domains: [a.example]\n" + "#" * 5000 + "\n", "? [a, b]\n: c\n", "{1: 2}\n",
    "domains: [!!binary aGVsbG8=]\n", "domains: [2001-12-14]\n", "<<: {domains: [x.example]}\n",
    "trust_anchors: anchors.bin\ndomains: [a.example]\n",
    "trust_anchors: anchors.empty\ndomains: [a.example]\n",
    "trust_anchors: anchors.a\ndomains: [a.example]\n",
]


@st.composite
def config_files(draw: st.DrawFn) -> bytes:
    """The bytes of a domains.yaml: a dumped document, a YAML trick, and raw damage."""
    kind = draw(st.sampled_from(["document", "trick", "document+damage", "bytes"]))
    if kind == "bytes":
        return draw(st.binary(max_size=300))
    if kind == "trick":
        text = draw(st.sampled_from(YAML_TRICKS))
    else:
        try:
            text = yaml.safe_dump(draw(documents()), allow_unicode=True,
                                  default_flow_style=draw(st.sampled_from([None, True, False])))
        except (yaml.YAMLError, ValueError, OverflowError):
            text = "domains: [a.example]\n"
    data = text.encode("utf-8", "surrogatepass")
    if kind == "document+damage":
        for _ in range(draw(st.integers(1, 4))):
            at = draw(st.integers(0, len(data)))
            action = draw(st.sampled_from(["insert", "delete", "duplicate", "byte"]))
            if action == "insert":
                data = data[:at] + draw(st.sampled_from(
                    [b"&a ", b"*a", b"!!str ", b": ", b"- ", b"\n  ", b"\t", b"\xef\xbb\xbf",
                     b"\x00", b"\xff", b'"', b"'", b"{", b"[", b"#", b"\r"])) + data[at:]
            elif action == "delete":
                data = data[:at] + data[at + draw(st.integers(1, 10)):]
            elif action == "duplicate":
                data = data[:at] + data[at:at + 40] + data[at:]
            else:
                data = data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1:]
    return data


# --- DNS answers ---------------------------------------------------------------------------------

RECORD_MUTATIONS = ["drop-answer", "drop-rrsig", "rrsig-dates", "rrsig-fields", "dnskey-key",
                    "dnskey-fields", "nsec3-fields", "class-any", "owner-swap", "duplicate",
                    "ttl", "empty-rrset-rdata", "rcode", "flags", "wire-bitflip",
                    "wire-truncate"]


@st.composite
def spoiled_responses(draw: st.DrawFn, good: dns.message.Message
                      ) -> tuple[dns.message.Message | None, str]:
    """`good` spoiled by one to three record- or wire-level mutations; None with the reason
    when the result no longer parses (what the transport calls an unusable answer)."""
    message = dns.message.from_wire(good.to_wire())
    done = []
    for _ in range(draw(st.integers(1, 3))):
        mutation = draw(st.sampled_from(RECORD_MUTATIONS))
        done.append(mutation)
        if mutation in ("wire-bitflip", "wire-truncate"):
            wire = bytearray(message.to_wire())
            if mutation == "wire-bitflip":
                for _ in range(draw(st.integers(1, 6))):
                    wire[draw(st.integers(0, len(wire) - 1))] ^= 1 << draw(st.integers(0, 7))
            else:
                wire = wire[:draw(st.integers(0, len(wire)))]
            try:
                message = dns.message.from_wire(bytes(wire))
            except Exception as exc:  # whatever dnspython raises is an unusable answer
                return None, f"{'+'.join(done)}: {exc.__class__.__name__}"
            continue
        _mutate_records(draw, message, mutation)
    return message, "+".join(done)


def _mutate_records(draw: st.DrawFn, message: dns.message.Message, mutation: str) -> None:
    sections = [message.answer, message.authority]
    rrsets = [(section, r) for section in sections for r in section]
    if mutation == "rcode":
        message.set_rcode(draw(st.integers(0, 23)))
        return
    if mutation == "flags":
        message.flags ^= draw(st.sampled_from([dns.flags.AA, dns.flags.TC, dns.flags.QR]))
        return
    if not rrsets:
        return
    section, rrset = draw(st.sampled_from(rrsets))
    if mutation == "drop-answer":
        section.remove(rrset)
    elif mutation == "drop-rrsig":
        for sec, other in rrsets:
            if other.rdtype == dns.rdatatype.RRSIG:
                sec.remove(other)
    elif mutation == "duplicate":
        section.append(rrset)
    elif mutation == "class-any":
        rrset.rdclass = dns.rdataclass.ANY
    elif mutation == "owner-swap":
        rrset.name = draw(st.sampled_from([dns.name.root, dns.name.from_text("other.test."),
                                           dns.name.from_text("*.child.test.")]))
    elif mutation == "ttl":
        rrset.ttl = draw(st.sampled_from([0, 2**31 - 1, 2**31, 2**32 - 1]))
    else:
        _mutate_rdata(draw, section, rrset, mutation)


def _mutate_rdata(draw: st.DrawFn, section: list[dns.rrset.RRset], rrset: dns.rrset.RRset,
                  mutation: str) -> None:
    fields: dict[str, object] = {}
    u32 = st.integers(0, 2**32 - 1)
    if rrset.rdtype == dns.rdatatype.RRSIG and mutation == "rrsig-dates":
        fields = draw(st.fixed_dictionaries({}, optional={"inception": u32, "expiration": u32}))
    elif rrset.rdtype == dns.rdatatype.RRSIG and mutation in ("rrsig-fields",
                                                                "empty-rrset-rdata"):
        fields = draw(st.fixed_dictionaries({}, optional={
            "labels": st.integers(0, 255), "original_ttl": u32,
            "algorithm": st.integers(0, 255), "key_tag": st.integers(0, 65535),
            "signature": st.binary(max_size=600), "type_covered": st.integers(0, 65535),
            "signer": st.sampled_from([dns.name.root, dns.name.from_text("child.test."),
                                       dns.name.from_text("x.y.z.child.test.")])}))
    elif rrset.rdtype == dns.rdatatype.DNSKEY and mutation in ("dnskey-key",
                                                                 "empty-rrset-rdata"):
        fields = {"key": draw(st.one_of(st.just(b""), st.binary(max_size=1200)))}
    elif rrset.rdtype == dns.rdatatype.DNSKEY and mutation == "dnskey-fields":
        fields = draw(st.fixed_dictionaries({}, optional={
            "flags": st.integers(0, 65535), "protocol": st.integers(0, 255),
            "algorithm": st.integers(0, 255)}))
    elif rrset.rdtype == dns.rdatatype.NSEC3 and mutation == "nsec3-fields":
        fields = draw(st.fixed_dictionaries({}, optional={
            "iterations": st.integers(0, 65535), "salt": st.binary(max_size=255),
            "algorithm": st.integers(0, 255), "flags": st.integers(0, 255),
            "next": st.binary(min_size=1, max_size=40)}))
    if not fields:
        return
    if rrset.rdclass != dns.rdataclass.IN:
        return  # an earlier mutation (class-any) made the RRset unlike its records
    replaced = dns.rrset.RRset(rrset.name, rrset.rdclass, rrset.rdtype, rrset.covers)
    for rdata in rrset:
        try:
            replaced.add(rdata.replace(**fields), rrset.ttl)
        except Exception:  # a value the type refuses: keep the record as it was
            replaced.add(rdata, rrset.ttl)
    section[section.index(rrset)] = replaced
