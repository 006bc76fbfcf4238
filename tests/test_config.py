"""Loading domains.yaml: the dataclasses it builds and the one-line errors it raises."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import dns.name
import jsonschema
import pytest

from dnssec_conformance.config.loading import (
    domains_schema,
    load_config,
    parse_record_type,
    parse_resolver,
    resolver_addresses,
    system_resolvers,
)
from dnssec_conformance.config.model import (
    IANA_ROOT,
    SYSTEM_RESOLVER,
    Canaries,
    ClockPolicy,
    CloudDnsZone,
    CloudflareZone,
    Config,
    CoreDnsSettings,
    DomainSpec,
    QueryPolicy,
    ResolverAddress,
    Route53Zone,
    SeverityOverride,
    Thresholds,
)
from dnssec_conformance.errors import ConfigError
from dnssec_conformance.findings import Severity

LONG_LABEL = "a" * 64
ROOT_DS = ". IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n"


def name(text: str) -> dns.name.Name:
    return dns.name.from_text(text)


def write_config(folder: Path, text: str, filename: str = "domains.yaml") -> Path:
    path = folder / filename
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def load_error(path: Path) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return caught.value


# --- valid files -------------------------------------------------------------------------------


def test_full_file_builds_the_exact_dataclasses(tmp_path: Path) -> None:
    (tmp_path / "anchors").mkdir()
    (tmp_path / "anchors" / "lab.keys").write_text(ROOT_DS)
    path = write_config(
        tmp_path,
        """\
        resolvers: [system, 9.9.9.9, "192.0.2.1:5353", "[2001:db8::53]:53"]
        trust_anchors: anchors/lab.keys
        thresholds: {warning_days: 10, critical_days: 2.5, warn_before_soa_expire: true}
        canaries: {bogus: [dnssec-failed.org, Bogus.Example.]}
        clock: {skew_tolerance_s: 120, ntp: pool.ntp.org, max_offset_s: 5}
        query: {timeout_s: 1.5, retries: 0}
        domains:
          - example.com
          - name: API.example.com.
            records: [a, AAAA, mx]
            expect: insecure
            thresholds: {warning_days: 14}
        """,
    )
    global_thresholds = Thresholds(
        warning_days=10.0, critical_days=2.5, warn_before_soa_expire=True
    )

    assert load_config(path) == Config(
        path=path,
        domains=(
            DomainSpec(name=name("example.com."), thresholds=global_thresholds),
            DomainSpec(
                name=name("api.example.com."),
                records=("A", "AAAA", "MX"),
                expect="insecure",
                thresholds=Thresholds(
                    warning_days=14.0, critical_days=2.5, warn_before_soa_expire=True
                ),
            ),
        ),
        resolvers=("system", "9.9.9.9", "192.0.2.1:5353", "[2001:db8::53]:53"),
        trust_anchors=str(tmp_path / "anchors" / "lab.keys"),
        thresholds=global_thresholds,
        canaries=Canaries(bogus=(name("dnssec-failed.org."), name("bogus.example."))),
        clock=ClockPolicy(skew_tolerance_s=120.0, ntp="pool.ntp.org", max_offset_s=5.0),
        query=QueryPolicy(timeout_s=1.5, retries=0),
    )


def test_only_domains_gives_every_default(tmp_path: Path) -> None:
    path = write_config(tmp_path, "domains: [example.com]\n")

    config = load_config(path)

    assert config == Config(path=path, domains=(DomainSpec(name=name("example.com.")),))
    assert config.resolvers == (SYSTEM_RESOLVER,)
    assert config.trust_anchors == IANA_ROOT
    assert config.thresholds == Thresholds(7.0, 3.0, False)
    assert config.canaries == Canaries()
    assert config.clock == ClockPolicy(3600.0, None, 60.0)
    assert config.query == QueryPolicy(3.0, 1)


def test_bare_names_and_mappings_mix(tmp_path: Path) -> None:
    path = write_config(
        tmp_path,
        """\
        domains:
          - example.com
          - name: example.org
          - _dmarc.example.net.
          - .
        """,
    )

    domains = load_config(path).domains

    assert [domain.name for domain in domains] == [
        name("example.com."),
        name("example.org."),
        name("_dmarc.example.net."),
        dns.name.root,
    ]
    assert all(domain.name.is_absolute() for domain in domains)
    assert [domain.display for domain in domains] == [
        "example.com",
        "example.org",
        "_dmarc.example.net",
        ".",
    ]
    assert {domain.expect for domain in domains} == {"secure"}


def test_signing_mode_is_read_per_domain(tmp_path: Path) -> None:
    path = write_config(
        tmp_path,
        """\
        domains:
          - told.example
          - name: live.example
            signing: online
          - name: ahead.example
            signing: presigned
        """,
    )

    assert [d.signing for d in load_config(path).domains] == [None, "online", "presigned"]


@pytest.mark.parametrize(("text", "expected"), [
    pytest.param("domains:\n  - name: example.com\n    signing: onlien\n",
                 "3: domains[0].signing: must be one of 'online', 'presigned', found a string "
                 "('onlien') (did you mean 'online'?)", id="typo"),
    pytest.param("domains:\n  - name: example.com\n    signing: [online]\n",
                 "3: domains[0].signing: expected a string, found a list",
                 id="not-text"),
    pytest.param("domains:\n  - name: example.com\n    zone_file: zone\n    signing: online\n",
                 "4: domains[0].signing: 'signing' is for live servers: a zone file is signed "
                 "before it is published (remove 'signing')", id="with-zone-file"),
    pytest.param("domains:\n  - name: example.com\n    sigining: online\n",
                 "3: domains[0].sigining: unknown key (did you mean 'signing'?)",
                 id="key-typo"),
])
def test_signing_problems_name_file_line_and_key(tmp_path: Path, text: str,
                                                 expected: str) -> None:
    (tmp_path / "zone").write_text("")
    path = write_config(tmp_path, text)

    assert str(load_error(path)) == f"{path}:{expected}"


def test_domain_thresholds_merge_over_the_global_ones(tmp_path: Path) -> None:
    path = write_config(
        tmp_path,
        """\
        thresholds: {warning_days: 10, critical_days: 4}
        domains:
          - plain.example
          - name: warn.example
            thresholds: {warning_days: 21}
          - name: soa.example
            thresholds: {warn_before_soa_expire: true, critical_days: 1}
        """,
    )

    plain, warn, soa = (domain.thresholds for domain in load_config(path).domains)

    assert plain == Thresholds(10.0, 4.0, False)
    assert warn == Thresholds(21.0, 4.0, False)
    assert soa == Thresholds(10.0, 1.0, True)


def test_relative_trust_anchor_is_resolved_against_the_config_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_folder = tmp_path / "conf"
    config_folder.mkdir()
    (tmp_path / "root.keys").write_text(ROOT_DS)
    write_config(config_folder, "trust_anchors: ../root.keys\ndomains: [example.com]\n")
    monkeypatch.chdir(tmp_path)

    config = load_config("conf/domains.yaml")

    assert config.path == config_folder / "domains.yaml"
    assert config.path.is_absolute()
    assert config.trust_anchors == str(tmp_path / "root.keys")


def test_absolute_trust_anchor_path_is_kept(tmp_path: Path) -> None:
    anchor = tmp_path / "root.keys"
    anchor.write_text(ROOT_DS)
    path = write_config(tmp_path, f"trust_anchors: {anchor}\ndomains: [example.com]\n")

    assert load_config(path).trust_anchors == str(anchor)


# --- errors ------------------------------------------------------------------------------------

ERROR_CASES: list[Any] = [
    pytest.param(
        """\
        resolvers: [system]
        thresholds: {warning_days: 7}
        domains:
          - example.com
          - name: api.example.com
            records: [A, AAAA]
            expct: insecure
        """,
        "7: domains[1].expct: unknown key (did you mean 'expect'?)",
        id="typo-in-domain",
    ),
    pytest.param(
        "domains: [example.com]\nresolver: [system]\n",
        "2: resolver: unknown key (did you mean 'resolvers'?)",
        id="typo-at-top-level",
    ),
    pytest.param(
        "domain: [example.com]\n",
        "1: domain: unknown key (did you mean 'domains'?)",
        id="typo-of-the-required-key",
    ),
    pytest.param(
        "domains: [example.com]\nclock: {nntp: pool.ntp.org}\n",
        "2: clock.nntp: unknown key (did you mean 'ntp'?)",
        id="typo-in-section",
    ),
    pytest.param(
        "domains: [example.com]\nzzz: 1\n",
        # every top-level key, in the schema's order
        f"2: zzz: unknown key (valid keys: {', '.join(domains_schema()['properties'])})",
        id="unknown-key-without-a-close-match",
    ),
    pytest.param(
        "domains: [{nme: example.com}]\n",
        "1: domains[0].nme: unknown key (did you mean 'name'?)",
        id="typo-of-name",
    ),
    pytest.param(
        "domains:\n  - records: [A]\n",
        "2: domains[0]: missing the required key 'name'",
        id="domain-without-name",
    ),
    pytest.param(
        "domains: [example.com]\nthresholds:\n  warning_days: seven\n",
        "3: thresholds.warning_days: expected a number, found a string ('seven')",
        id="wrong-type-number",
    ),
    pytest.param(
        "domains: example.com\n",
        "1: domains: expected a list, found a string ('example.com')",
        id="wrong-type-list",
    ),
    pytest.param(
        "domains:\n  - 42\n",
        "2: domains[0]: expected a string or a mapping, found an integer (42)",
        id="wrong-type-domain-entry",
    ),
    pytest.param(
        "domains: [example.com]\nquery: {retries: 1.5}\n",
        "2: query.retries: expected an integer, found a number (1.5)",
        id="wrong-type-integer",
    ),
    pytest.param(
        "domains: [example.com]\nthresholds: {warn_before_soa_expire: sometimes}\n",
        "2: thresholds.warn_before_soa_expire: expected true or false, "
        "found a string ('sometimes')",
        id="wrong-type-boolean",
    ),
    pytest.param(
        "domains: [example.com]\nclock:\n",
        "2: clock: expected a mapping, found an empty value",
        id="empty-section",
    ),
    pytest.param(
        "domains:\n  - example.com\n  - name: api.example.com\n    expect: secur\n",
        "4: domains[1].expect: must be one of 'secure', 'insecure', found a string ('secur') "
        "(did you mean 'secure'?)",
        id="bad-expectation",
    ),
    pytest.param(
        f"domains:\n  - example.com\n  - {LONG_LABEL}.example.com\n",
        f"3: domains[1]: invalid domain name '{LONG_LABEL[:60]}…': label "
        f"'{LONG_LABEL[:20]}…' is 64 octets long, the limit is 63",
        id="label-too-long",
    ),
    pytest.param(
        "domains:\n  - example..com\n",
        "2: domains[0]: invalid domain name 'example..com': has an empty label "
        "(a leading dot or two dots in a row)",
        id="empty-label",
    ),
    pytest.param(
        "domains:\n  - .example.com\n",
        "2: domains[0]: invalid domain name '.example.com': has an empty label "
        "(a leading dot or two dots in a row)",
        id="leading-dot",
    ),
    pytest.param(
        "domains:\n  - name: exa mple.com\n",
        "2: domains[0].name: invalid domain name 'exa mple.com': contains a space",
        id="space-in-name",
    ),
    pytest.param(
        "domains:\n  - ''\n",
        "2: domains[0]: invalid domain name '': the name is empty",
        id="empty-name",
    ),
    pytest.param(
        "domains:\n  - exa*mple.com\n",
        "2: domains[0]: invalid domain name 'exa*mple.com': label 'exa*mple' contains '*': "
        "only letters, digits, '-' and '_' are allowed",
        id="bad-character",
    ),
    pytest.param(
        "domains:\n  - bücher.example\n",
        "2: domains[0]: invalid domain name 'bücher.example': label 'bücher' is not ASCII "
        "(write internationalized names as xn--)",
        id="non-ascii-name",
    ),
    pytest.param(
        "domains:\n  - " + "abcdefghi." * 26 + "com\n",
        "2: domains[0]: invalid domain name '" + ("abcdefghi." * 6) + "…': "
        "is 265 octets long in wire format, the limit is 255",
        id="name-too-long",
    ),
    pytest.param(
        "domains: [example.com]\ncanaries:\n  bogus: [dnssec-failed.org, 'bad name']\n",
        "3: canaries.bogus[1]: invalid domain name 'bad name': contains a space",
        id="bad-canary-name",
    ),
    pytest.param(
        "domains:\n  - name: example.com\n    records: [A, AAA]\n",
        "3: domains[0].records[1]: unknown RR type 'AAA' (did you mean 'AAAA'?)",
        id="unknown-rdtype",
    ),
    pytest.param(
        "domains:\n  - name: example.com\n    records: [ANY]\n",
        "3: domains[0].records[0]: 'ANY' is a meta type, not an RRset that can be checked",
        id="meta-rdtype-any",
    ),
    pytest.param(
        "domains:\n  - name: example.com\n    records: [axfr]\n",
        "3: domains[0].records[0]: 'axfr' is a meta type, not an RRset that can be checked",
        id="meta-rdtype-axfr",
    ),
    pytest.param(
        "domains:\n  - name: example.com\n    records: [TYPE1]\n",
        "3: domains[0].records[0]: 'TYPE1' is not an RR type mnemonic "
        "(write types by name, like AAAA)",
        id="generic-rdtype",
    ),
    pytest.param(
        "domains:\n  - name: example.com\n    records: ['123']\n",
        "3: domains[0].records[0]: unknown RR type '123'",
        id="numeric-rdtype",
    ),
    pytest.param(
        "domains:\n  - name: example.com\n    records: [MX, A, mx]\n",
        "3: domains[0].records[2]: duplicate RR type MX (already records[0])",
        id="duplicate-rdtype",
    ),
    pytest.param(
        "domains:\n  - example.com\n  - name: api.example.com\n  - Example.COM.\n",
        "4: domains[2]: duplicate domain 'Example.COM.' (already domains[0], line 2)",
        id="duplicate-domain",
    ),
    pytest.param(
        "domains: []\n",
        "1: domains: the list is empty: no domains to check",
        id="empty-domain-list",
    ),
    pytest.param(
        "resolvers: [system]\n",
        "1: missing the required key 'domains': no domains to check",
        id="no-domains-key",
    ),
    pytest.param(
        "- example.com\n",
        "1: the top level must be a mapping with a 'domains' key, found a list",
        id="top-level-list",
    ),
    pytest.param(
        "domains: [example.com]\nthresholds:\n  warning_days: 2\n  critical_days: 5\n",
        "3: thresholds.warning_days: must be at least critical_days (5), found 2",
        id="warning-below-critical",
    ),
    pytest.param(
        "domains: [example.com]\nthresholds: {warning_days: 2}\n",
        "2: thresholds.warning_days: must be at least critical_days (3, the default), found 2",
        id="warning-below-default-critical",
    ),
    pytest.param(
        "domains: [example.com]\nthresholds: {critical_days: 8}\n",
        "2: thresholds.critical_days: must be at most warning_days (7, the default), found 8",
        id="critical-above-default-warning",
    ),
    pytest.param(
        "thresholds: {critical_days: 5}\n"
        "domains:\n  - name: example.com\n    thresholds: {warning_days: 4}\n",
        "4: domains[0].thresholds.warning_days: must be at least critical_days (5, inherited), "
        "found 4",
        id="merged-domain-thresholds",
    ),
    pytest.param(
        "domains: [example.com]\nthresholds: {critical_days: -1}\n",
        "2: thresholds.critical_days: must be at least 0, found -1",
        id="negative-days",
    ),
    pytest.param(
        "domains: [example.com]\nquery: {timeout_s: 0}\n",
        "2: query.timeout_s: must be at least 0.001, found 0",
        id="zero-timeout",
    ),
    pytest.param(
        "domains: [example.com]\nquery: {timeout_s: 61}\n",
        "2: query.timeout_s: must be at most 60, found 61",
        id="long-timeout",
    ),
    pytest.param(
        "domains: [example.com]\nquery: {retries: 6}\n",
        "2: query.retries: must be at most 5, found 6",
        id="too-many-retries",
    ),
    pytest.param(
        "domains: [example.com]\nclock: {max_offset_s: 0}\n",
        "2: clock.max_offset_s: must be more than 0, found 0",
        id="zero-max-offset",
    ),
    pytest.param(
        "domains: [example.com]\nclock: {skew_tolerance_s: -5}\n",
        "2: clock.skew_tolerance_s: must be at least 0, found -5",
        id="negative-skew",
    ),
    pytest.param(
        "domains: [example.com]\nclock: {ntp: 'ntp server'}\n",
        "2: clock.ntp: invalid NTP server 'ntp server': not an IP address, and as a host name "
        "it contains a space",
        id="bad-ntp-server",
    ),
    pytest.param(
        "resolvers:\n  - system\n  - dns.google\ndomains: [example.com]\n",
        "3: resolvers[1]: invalid resolver 'dns.google': not an IP address "
        "(write 'system', an IP address, IPv4:PORT or [IPv6]:PORT)",
        id="resolver-hostname",
    ),
    pytest.param(
        "resolvers: ['192.0.2.1:0']\ndomains: [example.com]\n",
        "1: resolvers[0]: invalid resolver '192.0.2.1:0': port 0 is out of range (1..65535)",
        id="resolver-port-zero",
    ),
    pytest.param(
        "resolvers: ['[192.0.2.1]:53']\ndomains: [example.com]\n",
        "1: resolvers[0]: invalid resolver '[192.0.2.1]:53': brackets are for IPv6 addresses only",
        id="resolver-ipv4-in-brackets",
    ),
    pytest.param(
        "resolvers: [192.0.2.1, '192.0.2.1:53']\ndomains: [example.com]\n",
        "1: resolvers[1]: duplicate resolver (same as resolvers[0])",
        id="duplicate-resolver",
    ),
    pytest.param(
        "root_hints: [192.0.2.1, '192.0.2.1:53']\ndomains: [example.com]\n",
        "1: root_hints[1]: duplicate root hint (same as root_hints[0])",
        id="duplicate-root-hint",
    ),
    pytest.param(
        "root_hints: [system]\ndomains: [example.com]\n",
        "1: root_hints[0]: invalid root hint 'system': 'system' names resolvers, not root "
        "servers; write an IP address, IPv4:PORT or [IPv6]:PORT",
        id="root-hint-system",
    ),
    pytest.param(
        "resolvers: []\ndomains: [example.com]\n",
        "1: resolvers: must not be empty",
        id="no-resolvers",
    ),
    pytest.param(
        "domains: [example.com]\nquery: {retries: 1}\nquery: {retries: 2}\n",
        "3: query: duplicate key (first at line 2)",
        id="duplicate-top-level-key",
    ),
    pytest.param(
        "domains:\n  - name: example.com\n    expect: secure\n    expect: insecure\n",
        "4: domains[0].expect: duplicate key (first at line 3)",
        id="duplicate-nested-key",
    ),
    pytest.param(
        "domains: [example.com]\nyes: 1\n",
        "2: yes: a key must be text, found a boolean (quote it to use it as text)",
        id="non-text-key",
    ),
    pytest.param(
        "domains:\n  - name: example.com\n    records: [A, AAA]\n  - bad..name\nzzz: 1\n",
        "3: domains[0].records[1]: unknown RR type 'AAA' (did you mean 'AAAA'?)",
        id="first-problem-in-file-order",
    ),
    pytest.param(
        "resolvers: [dns.google]\ndomain: [example.com]\n",
        "1: resolvers[0]: invalid resolver 'dns.google': not an IP address "
        "(write 'system', an IP address, IPv4:PORT or [IPv6]:PORT)",
        id="semantic-before-later-schema-problem",
    ),
]


@pytest.mark.parametrize(("text", "expected"), ERROR_CASES)
def test_each_problem_names_file_line_and_key(tmp_path: Path, text: str, expected: str) -> None:
    path = write_config(tmp_path, text)

    assert str(load_error(path)) == f"{path}:{expected}"


def test_error_carries_its_parts(tmp_path: Path) -> None:
    path = write_config(tmp_path, "domains:\n  - name: example.com\n    expct: secure\n")

    error = load_error(path)

    assert (error.path, error.line, error.key) == (str(path), 3, "domains[0].expct")
    assert error.detail == "unknown key (did you mean 'expect'?)"


def test_missing_file_has_no_line(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"

    error = load_error(path)

    assert str(error) == f"{path}: file does not exist"
    assert error.line is None


def test_directory_instead_of_file(tmp_path: Path) -> None:
    assert str(load_error(tmp_path)) == f"{tmp_path}: is a directory, not a file"


@pytest.mark.parametrize("text", ["", "\n", "# nothing yet\n", "---\n", "~\n"])
def test_empty_file_has_no_domains(tmp_path: Path, text: str) -> None:
    path = write_config(tmp_path, text)

    expected = f"{path}: the file is empty: no domains to check (add a 'domains:' list)"
    assert str(load_error(path)) == expected


def test_yaml_syntax_error_gives_the_parser_line_and_problem(tmp_path: Path) -> None:
    path = write_config(tmp_path, "domains:\n  - example.com\n - example.org\n")

    assert str(load_error(path)) == (
        f"{path}:3: invalid YAML: expected <block end>, but found '<block sequence start>' "
        "(while parsing a block mapping at line 1)"
    )


def test_unclosed_flow_list_is_a_syntax_error(tmp_path: Path) -> None:
    path = write_config(tmp_path, "domains: [example.com\nresolvers: [system]\n")

    assert str(load_error(path)) == (
        f"{path}:2: invalid YAML: expected ',' or ']', but got ':' "
        "(while parsing a flow sequence at line 1)"
    )


def test_tab_indentation_is_a_syntax_error(tmp_path: Path) -> None:
    path = write_config(tmp_path, "domains:\n\t- example.com\n")

    assert str(load_error(path)) == (
        f"{path}:2: invalid YAML: found character '\\t' that cannot start any token "
        "(while scanning for the next token)"
    )


def test_second_document_is_rejected(tmp_path: Path) -> None:
    path = write_config(tmp_path, "domains: [a.example]\n---\ndomains: [b.example]\n")

    assert str(load_error(path)) == (
        f"{path}:2: invalid YAML: expected a single document in the stream (line 1), "
        "but found another document"
    )


def test_python_tags_are_refused(tmp_path: Path) -> None:
    path = write_config(tmp_path, "domains: [!!python/object/apply:os.system [true]]\n")

    assert str(load_error(path)) == (
        f"{path}:1: domains[0]: unsupported YAML tag "
        "'tag:yaml.org,2002:python/object/apply:os.system'"
    )


def test_unknown_scalar_tags_are_refused(tmp_path: Path) -> None:
    path = write_config(tmp_path, "domains:\n  - !!python/name:os.system example.com\n")

    assert str(load_error(path)) == (
        f"{path}:2: domains[0]: invalid YAML value: could not determine a constructor for "
        "the tag 'tag:yaml.org,2002:python/name:os.system'"
    )


def test_text_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "domains.yaml"
    path.write_bytes(b"domains:\n  - caf\xe9.example\n")

    assert str(load_error(path)) == f"{path}:2: not UTF-8 text (byte 0xe9 cannot be decoded)"


def test_missing_trust_anchor_file(tmp_path: Path) -> None:
    path = write_config(tmp_path, "domains: [example.com]\ntrust_anchors: anchors/root.keys\n")

    assert str(load_error(path)) == (
        f"{path}:2: trust_anchors: file {tmp_path}/anchors/root.keys does not exist "
        f"(relative paths start at {tmp_path}; 'iana-root' is the built-in root)"
    )


def test_trust_anchor_that_is_a_directory(tmp_path: Path) -> None:
    (tmp_path / "anchors").mkdir()
    path = write_config(tmp_path, "trust_anchors: anchors\ndomains: [example.com]\n")

    assert str(load_error(path)) == (f"{path}:1: trust_anchors: {tmp_path}/anchors is not a file")


# --- resolvers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("192.0.2.1", ResolverAddress("192.0.2.1", 53)),
        ("192.0.2.1:5353", ResolverAddress("192.0.2.1", 5353)),
        ("2001:db8::53", ResolverAddress("2001:db8::53", 53)),
        ("[2001:DB8::53]", ResolverAddress("2001:db8::53", 53)),
        ("[2001:db8::53]:8053", ResolverAddress("2001:db8::53", 8053)),
        ("fe80::1%eth0", ResolverAddress("fe80::1%eth0", 53)),
        (" 9.9.9.9 ", ResolverAddress("9.9.9.9", 53)),
    ],
)
def test_parse_resolver_accepts_addresses_with_optional_port(
    spec: str, expected: ResolverAddress
) -> None:
    assert parse_resolver(spec) == expected


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ("system", "'system' is not an address: expand it with system_resolvers()"),
        ("dns.google:53", "'dns.google' is not an IP address"),
        ("192.0.2.1:", "the port after ':' is empty"),
        ("192.0.2.1:dns", "port 'dns' is not a number"),
        ("192.0.2.1:65536", "port 65536 is out of range (1..65535)"),
        ("[2001:db8::53", "missing ']' after the IPv6 address"),
        ("[2001:db8::53]53", "expected ':PORT' after ']', found '53'"),
        ("010.0.0.1", "not an IP address"),
    ],
)
def test_parse_resolver_says_what_is_wrong(spec: str, reason: str) -> None:
    with pytest.raises(ValueError, match=r"^invalid resolver ") as caught:
        parse_resolver(spec)

    assert f"{spec!r}: {reason}".replace('"', "'") in str(caught.value).replace('"', "'")


def test_resolver_address_prints_ipv6_in_brackets() -> None:
    assert str(parse_resolver("[2001:db8::53]:5353")) == "[2001:db8::53]:5353"
    assert str(parse_resolver("192.0.2.1")) == "192.0.2.1:53"


def write_resolv_conf(folder: Path, text: str) -> str:
    path = folder / "resolv.conf"
    path.write_text(textwrap.dedent(text))
    return str(path)


def test_system_resolvers_reads_the_nameserver_lines(tmp_path: Path) -> None:
    resolv_conf = write_resolv_conf(
        tmp_path,
        """\
        # generated by kubelet
        search default.svc.cluster.local svc.cluster.local
        nameserver 10.96.0.10
        ; a comment
        nameserver 2001:db8::53
        options ndots:5
        """,
    )

    assert system_resolvers(resolv_conf) == (
        ResolverAddress("10.96.0.10", 53),
        ResolverAddress("2001:db8::53", 53),
    )


def test_system_resolvers_without_nameserver_is_an_error(tmp_path: Path) -> None:
    resolv_conf = write_resolv_conf(tmp_path, "search example.com\n# nameserver 192.0.2.1\n")

    with pytest.raises(ConfigError) as caught:
        system_resolvers(resolv_conf)

    assert str(caught.value) == (
        f"{resolv_conf}: no 'nameserver' line, so 'system' names no resolver "
        "(list resolvers by address in domains.yaml)"
    )


def test_system_resolvers_names_a_bad_line(tmp_path: Path) -> None:
    resolv_conf = write_resolv_conf(tmp_path, "nameserver 10.96.0.10\nnameserver localhost\n")

    with pytest.raises(ConfigError) as caught:
        system_resolvers(resolv_conf)

    assert str(caught.value) == (
        f"{resolv_conf}:2: nameserver localhost: not an IP address "
        "(write 'system', an IP address, IPv4:PORT or [IPv6]:PORT)"
    )


def test_system_resolvers_missing_file(tmp_path: Path) -> None:
    resolv_conf = str(tmp_path / "resolv.conf")

    with pytest.raises(ConfigError, match=r"resolv\.conf: file does not exist$"):
        system_resolvers(resolv_conf)


def test_resolver_addresses_expands_system_in_place_without_repeats(tmp_path: Path) -> None:
    resolv_conf = write_resolv_conf(tmp_path, "nameserver 10.96.0.10\nnameserver 9.9.9.9\n")
    path = write_config(
        tmp_path,
        "resolvers: ['192.0.2.1:5353', system, 9.9.9.9]\ndomains: [example.com]\n",
    )

    addresses = resolver_addresses(load_config(path), resolv_conf=resolv_conf)

    assert addresses == (
        ResolverAddress("192.0.2.1", 5353),
        ResolverAddress("10.96.0.10", 53),
        ResolverAddress("9.9.9.9", 53),
    )


# --- RR types ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "mnemonic"),
    [("a", "A"), ("Aaaa", "AAAA"), ("nsap-ptr", "NSAP-PTR"), ("TLSA", "TLSA")],
)
def test_parse_record_type_uppercases_known_mnemonics(text: str, mnemonic: str) -> None:
    assert parse_record_type(text) == mnemonic


@pytest.mark.parametrize("text", ["ANY", "AXFR", "IXFR", "OPT", "TSIG", "NONE", "TYPE65280", ""])
def test_parse_record_type_rejects_meta_generic_and_unknown(text: str) -> None:
    with pytest.raises(ValueError):
        parse_record_type(text)


# --- the schema --------------------------------------------------------------------------------


def test_schema_is_valid_draft_2020_12() -> None:
    schema = domains_schema()

    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def object_schemas(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if node.get("type") == "object":
            found.append(node)
        for value in node.values():
            found += object_schemas(value)
    elif isinstance(node, list):
        for value in node:
            found += object_schemas(value)
    return found


def test_every_object_schema_closes_its_keys_and_documents_them() -> None:
    objects = object_schemas(domains_schema())

    assert objects
    for schema in objects:
        assert schema["additionalProperties"] is False
        for key, property_schema in schema["properties"].items():
            assert property_schema.get("title"), key
            assert property_schema.get("description"), key


# --- the coredns section -----------------------------------------------------------------------


def test_coredns_section_builds_its_settings(tmp_path: Path) -> None:
    (tmp_path / "k8s").mkdir()
    (tmp_path / "k8s" / "coredns.yaml").write_text("apiVersion: v1\n")
    path = write_config(
        tmp_path,
        """\
        coredns:
          corefile: k8s/coredns.yaml
          metrics_url: http://10.96.0.10:9153/metrics
          servfail_share_warning: 0.05
          cache_hit_ratio_warning: 0.25
          stale_tolerance_s: 60
        domains: [example.com]
        """,
    )

    assert load_config(path).coredns == CoreDnsSettings(
        corefile=str(tmp_path / "k8s" / "coredns.yaml"),
        metrics_url="http://10.96.0.10:9153/metrics",
        servfail_share_warning=0.05,
        cache_hit_ratio_warning=0.25,
        stale_tolerance_s=60.0,
    )


def test_coredns_defaults_and_absence(tmp_path: Path) -> None:
    only_url = write_config(tmp_path, "coredns: {metrics_url: 'http://[fd00::a]:9153/metrics'}\n"
                                      "domains: [example.com]\n")
    assert load_config(only_url).coredns == CoreDnsSettings(
        metrics_url="http://[fd00::a]:9153/metrics")
    assert load_config(write_config(tmp_path, "domains: [example.com]\n")).coredns is None


@pytest.mark.parametrize(("text", "expected"), [
    pytest.param("coredns: {}\ndomains: [example.com]\n",
                 "1: coredns: names neither 'corefile' nor 'metrics_url': nothing to check",
                 id="empty"),
    pytest.param("coredns:\n  metric_url: http://x\ndomains: [example.com]\n",
                 "2: coredns.metric_url: unknown key (did you mean 'metrics_url'?)",
                 id="typo"),
    pytest.param("domains: [example.com]\ncoredns: {metrics_url: 'ftp://10.0.0.1/metrics'}\n",
                 "2: coredns.metrics_url: invalid URL 'ftp://10.0.0.1/metrics': expected "
                 "http://HOST:9153/metrics",
                 id="not-http"),
    pytest.param("domains: [example.com]\ncoredns: {metrics_url: 'http://:9153/'}\n",
                 "2: coredns.metrics_url: invalid URL 'http://:9153/': expected "
                 "http://HOST:9153/metrics",
                 id="no-host"),
    pytest.param("domains: [example.com]\ncoredns:\n  metrics_url: http://x\n"
                 "  servfail_share_warning: 5\n",
                 "4: coredns.servfail_share_warning: must be at most 1, found 5",
                 id="share-above-one"),
    pytest.param("domains: [example.com]\ncoredns: {corefile: 12}\n",
                 "2: coredns.corefile: expected a string, found an integer (12)",
                 id="corefile-not-text"),
])
def test_coredns_problems_name_file_line_and_key(tmp_path: Path, text: str,
                                                 expected: str) -> None:
    path = write_config(tmp_path, text)

    assert str(load_error(path)).startswith(f"{path}:{expected}")


def test_missing_corefile_names_the_resolved_path(tmp_path: Path) -> None:
    path = write_config(tmp_path, "domains: [example.com]\ncoredns: {corefile: cm.yaml}\n")

    assert str(load_error(path)) == (
        f"{path}:2: coredns.corefile: file {tmp_path / 'cm.yaml'} does not exist "
        f"(relative paths start at {tmp_path})")


# --- zone files (file mode) --------------------------------------------------------------------


def test_zone_file_and_ds_are_resolved_against_the_config_folder(tmp_path: Path) -> None:
    (tmp_path / "zones").mkdir()
    (tmp_path / "zones" / "example.com.signed").write_text("")
    (tmp_path / "zones" / "dsset-example.com.").write_text("")
    path = write_config(
        tmp_path,
        """\
        domains:
          - name: example.com
            zone_file: zones/example.com.signed
            ds: zones/dsset-example.com.
          - name: example.org
            zone_file: zones/example.com.signed
          - example.net
        """,
    )

    domains = load_config(path).domains

    assert domains[0] == DomainSpec(name("example.com."),
                                    zone_file=tmp_path / "zones" / "example.com.signed",
                                    ds_file=tmp_path / "zones" / "dsset-example.com.")
    assert (domains[1].zone_file, domains[1].ds_file) == (
        tmp_path / "zones" / "example.com.signed", None)
    assert (domains[2].zone_file, domains[2].ds_file) == (None, None)


def test_missing_zone_file_names_line_key_and_resolved_path(tmp_path: Path) -> None:
    path = write_config(tmp_path, "domains:\n  - name: example.com\n"
                                  "    zone_file: zones/example.com.signed\n")

    assert str(load_error(path)) == (
        f"{path}:3: domains[0].zone_file: file {tmp_path / 'zones' / 'example.com.signed'} "
        f"does not exist (relative paths start at {tmp_path})")


def test_missing_ds_file(tmp_path: Path) -> None:
    (tmp_path / "zone.signed").write_text("")
    path = write_config(tmp_path, "domains:\n  - name: example.com\n"
                                  "    zone_file: zone.signed\n    ds: /nowhere/dsset\n")

    assert str(load_error(path)) == (
        f"{path}:4: domains[0].ds: file /nowhere/dsset does not exist")


def test_zone_file_that_is_a_directory(tmp_path: Path) -> None:
    (tmp_path / "zones").mkdir()
    path = write_config(tmp_path, "domains:\n  - {name: example.com, zone_file: zones}\n")

    assert str(load_error(path)) == (
        f"{path}:2: domains[0].zone_file: {tmp_path / 'zones'} is not a file")


@pytest.mark.parametrize(("text", "expected"), [
    pytest.param("domains:\n  - name: example.com\n    ds: dsset\n",
                 "3: domains[0].ds: a DS file goes with a zone file: add 'zone_file' (a live "
                 "zone's DS is asked of its parent)", id="ds-without-zone-file"),
    pytest.param("domains:\n  - name: example.com\n    zonefile: z\n",
                 "3: domains[0].zonefile: unknown key (did you mean 'zone_file'?)", id="typo"),
    pytest.param("domains:\n  - name: example.com\n    zone_file: ''\n",
                 "3: domains[0].zone_file: must not be empty", id="empty"),
    pytest.param("domains:\n  - name: example.com\n    zone_file: [a]\n",
                 "3: domains[0].zone_file: expected a string, found a list", id="not-text"),
])
def test_zone_file_problems_name_file_line_and_key(tmp_path: Path, text: str,
                                                   expected: str) -> None:
    (tmp_path / "dsset").write_text("")
    path = write_config(tmp_path, text)

    assert str(load_error(path)) == f"{path}:{expected}"


# --- cloud DNS providers -----------------------------------------------------------------------


def test_providers_build_their_specs(tmp_path: Path) -> None:
    path = write_config(
        tmp_path,
        """\
        domains:
          - name: a.example
            provider: {route53: {hosted_zone_id: /hostedzone/Z0123456789ABCDEFGHIJ}}
          - name: b.example
            provider:
              clouddns: {project: my-project-123, managed_zone: b-example}
          - name: c.example
            provider: {cloudflare: {zone_id: 023e105f4ecef8ad9ca31a8372d0c353}}
          - name: d.example
            provider:
              cloudflare: {zone_id: 023e105f4ecef8ad9ca31a8372d0c353, api_token_env: CF_TEAM_D}
          - e.example
        """,
    )

    providers = [d.provider for d in load_config(path).domains]

    assert providers == [
        Route53Zone("Z0123456789ABCDEFGHIJ"),
        CloudDnsZone("my-project-123", "b-example"),
        CloudflareZone("023e105f4ecef8ad9ca31a8372d0c353", "CLOUDFLARE_API_TOKEN"),
        CloudflareZone("023e105f4ecef8ad9ca31a8372d0c353", "CF_TEAM_D"),
        None,
    ]


@pytest.mark.parametrize(("provider", "expected"), [
    ("{route53: {hosted_zone_id: z-1}}",
     "domains[0].provider.route53.hosted_zone_id: 'z-1' is not a Route 53 hosted zone ID: "
     "capital letters and digits, like Z0123456789ABCDEFGHIJ"),
    ("{}", "domains[0].provider: name exactly one provider (route53, clouddns or cloudflare), "
           "found none"),
    ("{route53: {hosted_zone_id: Z1}, cloudflare: {zone_id: 023e105f4ecef8ad9ca31a8372d0c353}}",
     "domains[0].provider: name exactly one provider (route53, clouddns or cloudflare), found "
     "2: route53, cloudflare"),
    ("{cloudflar: {zone_id: x}}",
     "domains[0].provider.cloudflar: unknown key (did you mean 'cloudflare'?)"),
    ("{cloudflare: {zone_id: 023E}}",
     "domains[0].provider.cloudflare.zone_id: '023E' is not a Cloudflare zone ID: 32 "
     "hexadecimal digits"),
    ("{cloudflare: {zone_id: 023e105f4ecef8ad9ca31a8372d0c353, api_token: s3cr3t}}",
     "domains[0].provider.cloudflare.api_token: unknown key (did you mean 'api_token_env'?)"),
    ("{cloudflare: {zone_id: 023e105f4ecef8ad9ca31a8372d0c353, api_token_env: 'MY-TOKEN'}}",
     "domains[0].provider.cloudflare.api_token_env: 'MY-TOKEN' is not the name of an "
     "environment variable (the token itself never goes into domains.yaml)"),
    ("{clouddns: {project: my-project}}",
     "domains[0].provider.clouddns: missing the required key 'managed_zone'"),
    ("{clouddns: {project: My_Project, managed_zone: z}}",
     "domains[0].provider.clouddns.project: 'My_Project' is not a Google Cloud project ID"),
    ("route53", "domains[0].provider: expected a mapping, found a string ('route53')"),
])
def test_provider_errors_name_line_and_key(tmp_path: Path, provider: str, expected: str) -> None:
    path = write_config(tmp_path, f"domains:\n  - name: a.example\n    provider: {provider}\n")

    message = str(load_error(path))

    assert message.startswith(f"{path}:3: {expected}")


def test_a_zone_file_is_not_checked_with_a_provider(tmp_path: Path) -> None:
    (tmp_path / "zone.signed").write_text("")
    path = write_config(tmp_path, "domains:\n  - name: a.example\n    zone_file: zone.signed\n"
                                  "    provider: {route53: {hosted_zone_id: Z1}}\n")

    assert str(load_error(path)) == (
        f"{path}:4: domains[0].provider: a zone file is checked offline, without asking the "
        "provider: remove 'provider' or 'zone_file'")
# --- hostile and odd files (issue 15): one line naming file, line and key; never a traceback -


HOSTILE_CASES = [
    pytest.param("thresholds: {warning_days: 1" + "0" * 400 + "}\ndomains: [a.example]\n",
                 "1: thresholds.warning_days: must be at most 24855, found 100… (401 digits)",
                 id="huge-integer-days"),
    pytest.param("clock: {max_offset_s: 1" + "0" * 400 + "}\ndomains: [a.example]\n",
                 "1: clock.max_offset_s: must be at most 2147483647, found 100… (401 digits)",
                 id="huge-integer-seconds"),
    pytest.param("thresholds: {serial_lag: 4294967296}\ndomains: [a.example]\n",
                 "1: thresholds.serial_lag: must be at most 2147483647, found 4294967296",
                 id="serial-lag-beyond-serial-arithmetic"),
    pytest.param("query: {timeout_s: 1" + "0" * 5000 + "}\ndomains: [a.example]\n",
                 "1: query.timeout_s: invalid YAML value: a number with more digits than any "
                 "setting can use", id="integer-beyond-python-conversion-limit"),
    pytest.param("query: {timeout_s: .nan}\ndomains: [a.example]\n",
                 "1: query.timeout_s: expected a finite number, found '.nan'", id="nan"),
    pytest.param("thresholds: {warning_days: .inf}\ndomains: [a.example]\n",
                 "1: thresholds.warning_days: expected a finite number, found '.inf'",
                 id="infinity"),
    pytest.param("clock: {skew_tolerance_s: 1e400}\ndomains: [a.example]\n",
                 "1: clock.skew_tolerance_s: expected a finite number, found '1e400'",
                 id="float-overflowing-to-infinity"),
    pytest.param("query: {timeout_s: 1e-300}\ndomains: [a.example]\n",
                 "1: query.timeout_s: must be at least 0.001, found 1e-300",
                 id="absurdly-small-timeout"),
    pytest.param("query: {timeout_s: '1e-3'}\ndomains: [a.example]\n",
                 "1: query.timeout_s: expected a number, found a string ('1e-3'): a quoted "
                 "number is text, write it without quotes", id="quoted-number"),
    pytest.param("domains: [0o17]\n",
                 "1: domains[0]: expected a string or a mapping, found an integer (15), written "
                 "'0o17': quote it to use it as text", id="octal-where-a-name-is-expected"),
    pytest.param("domains: [017]\n",
                 "1: domains[0]: expected a string or a mapping, found an integer (15), written "
                 "'017': quote it to use it as text", id="yaml11-octal-where-a-name-is-expected"),
    pytest.param("domains: [1e5]\n",
                 "1: domains[0]: expected a string or a mapping, found a number (100000), "
                 "written '1e5': quote it to use it as text", id="float-where-a-name-is-expected"),
    pytest.param("domains: [{name: no}]\n",
                 "1: domains[0].name: expected a string, found a boolean (false), written 'no': "
                 "quote it to use it as text", id="yaml11-boolean-where-a-name-is-expected"),
    pytest.param("domains: ['1.5']\n",
                 "1: domains[0]: invalid domain name '1.5': its last label '5' is all digits, "
                 "which no top-level domain is (RFC 3696 §2): an IP address or a number, not a "
                 "domain name", id="quoted-number-as-a-name"),
    pytest.param("canaries: {bogus: [192.0.2.1]}\ndomains: [a.example]\n",
                 "1: canaries.bogus[0]: invalid domain name '192.0.2.1': its last label '1' is "
                 "all digits, which no top-level domain is (RFC 3696 §2): an IP address or a "
                 "number, not a domain name", id="ip-address-as-a-canary"),
    pytest.param('domains: ["a\\nb.example"]\n',
                 "1: domains[0]: invalid domain name 'a\\nb.example': contains whitespace "
                 "('\\n')", id="newline-inside-a-name"),
    pytest.param("domains: " + "[" * 1000 + "]" * 1000 + "\n",
                 "1: invalid YAML: nested more than 64 levels deep", id="nested-1000-deep"),
    pytest.param("domains: [a.example]\nclock:\n" + "".join(
        "  " * i + f"  k{i}:\n" for i in range(80)) + "  " * 81 + "x\n",
                 "65: invalid YAML: nested more than 64 levels deep", id="block-nesting"),
]


@pytest.mark.parametrize(("text", "expected"), HOSTILE_CASES)
def test_hostile_values_give_one_line_with_file_line_and_key(tmp_path: Path, text: str,
                                                             expected: str) -> None:
    path = write_config(tmp_path, text)

    message = str(load_error(path))

    assert message == f"{path}:{expected}"
    assert len(message.splitlines()) == 1


def test_an_alias_bomb_is_refused_at_the_alias_that_explodes(tmp_path: Path) -> None:
    levels = ['a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    levels += [f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]"
               for i in range(8)]  # 9**9 values once expanded
    path = write_config(tmp_path, "\n".join(levels) + "\ndomains: [a.example]\n")

    error = load_error(path)

    assert error.detail == ("invalid YAML: its aliases expand to more than 10000 values (an "
                            "alias bomb?): refused")
    assert error.line == 5 and error.key is not None and error.key.startswith("e[")


def test_reusing_settings_through_aliases_is_fine(tmp_path: Path) -> None:
    entries = "".join(f"  - {{name: d{i}.example, thresholds: *strict}}\n" for i in range(300))
    path = write_config(tmp_path, "thresholds: &strict {warning_days: 14, critical_days: 5}\n"
                                  f"domains:\n{entries}")

    config = load_config(path)

    assert len(config.domains) == 300
    assert config.domains[-1].thresholds.warning_days == 14.0


def test_a_file_larger_than_any_configuration_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "domains.yaml"
    path.write_bytes(b"domains: [a.example]\n" + b"#" * (8 * 2**20))

    assert str(load_error(path)) == (f"{path}: is larger than 8 MiB: not a file this tool "
                                     "reads (is it the right file?)")


def test_a_device_is_read_no_further_than_the_bound() -> None:
    assert str(load_error(Path("/dev/zero"))).startswith("/dev/zero: is larger than 8 MiB")


def test_yaml12_numbers_are_numbers(tmp_path: Path) -> None:
    path = write_config(tmp_path, "query: {timeout_s: 25e-1}\nthresholds: {serial_lag: 0o20}\n"
                                  "domains: [a.example]\n")

    config = load_config(path)

    assert config.query.timeout_s == 2.5 and config.thresholds.serial_lag == 16


def test_a_resolver_with_spaces_around_it_is_the_address(tmp_path: Path) -> None:
    path = write_config(tmp_path, "resolvers: [' 192.0.2.1', 'system ']\n"
                                  "domains: [a.example]\n")

    config = load_config(path)

    assert config.resolvers == ("192.0.2.1", "system")


@pytest.mark.parametrize(("content", "detail"), [
    (bytes(range(256)), "{anchor}:2: not a text file of DS/DNSKEY records (byte 0x80 is not "
                        "UTF-8)"),
    (b"", "{anchor}: holds no DS or DNSKEY record"),
    (b"example. 3600 IN A 192.0.2.1\n", "{anchor}: example. A: only DS and DNSKEY records can "
                                        "be trust anchors"),
    (b". IN DS 20326 8 2 00\n", "{anchor}: not a file of DS/DNSKEY records (<input>:2: digest "
                                "length inconsistent with digest type)"),
])
def test_an_unusable_trust_anchor_file_is_named_with_the_line_and_key_that_chose_it(
        tmp_path: Path, content: bytes, detail: str) -> None:
    anchor = tmp_path / "root.keys"
    anchor.write_bytes(content)
    path = write_config(tmp_path, "domains: [a.example]\ntrust_anchors: root.keys\n")

    error = load_error(path)

    assert (error.line, error.key) == (2, "trust_anchors")
    assert error.detail == detail.format(anchor=anchor)
    assert len(str(error).splitlines()) == 1


def test_a_config_error_is_one_line_whatever_it_quotes() -> None:
    error = ConfigError("dir\nname/domains.yaml", "bad\u2028value\r", line=3, key="k")

    assert len(str(error).splitlines()) == 1
    assert str(error) == "dir\\nname/domains.yaml:3: k: bad\\u2028value\\r"


def test_severities_are_read_with_their_line(tmp_path: Path) -> None:
    path = write_config(tmp_path, "domains: [example.com]\nseverities:\n"
                                  "  ALG03/deprecated-algorithm: critical\n"
                                  "  EXPIRY01/expires-soon: info\n")

    assert load_config(path).severities == (
        SeverityOverride("ALG03/deprecated-algorithm", Severity.CRITICAL, f"{path}:3"),
        SeverityOverride("EXPIRY01/expires-soon", Severity.INFO, f"{path}:4"))


@pytest.mark.parametrize(("text", "expected"), [
    ("severities:\n  ALG03/deprecated-algorithm: fatal\n", "3: severities.ALG03/deprecated"),
    ("severities:\n  ALG03: warning\n", "3: severities.ALG03: not a finding code"),
    ("severities: [ALG03/deprecated-algorithm]\n", "2: severities"),
])
def test_severity_problems_name_file_line_and_key(tmp_path: Path, text: str,
                                                  expected: str) -> None:
    path = write_config(tmp_path, "domains: [example.com]\n" + text)

    assert str(load_error(path)).startswith(f"{path}:{expected}")
