"""domains.yaml: the one input of a run, loaded into frozen dataclasses.

`load_config(path)` validates the file against `schema/domains.schema.json` and raises
`ConfigError` with the file, the line and the key of the first problem.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import functools
import importlib.resources
import ipaddress
import json
import math
import os
import re
import string
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import dns.exception
import dns.name
import dns.rdatatype
import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..errors import ConfigError, ConformanceError, TrustAnchorError
from ..findings import Severity, Waiver
from .explain import (
    _RANK_SEMANTIC,
    _RANK_YAML,
    KeyPath,
    _describe,
    _Document,
    _is_number,
    _key_text,
    _number,
    _one_line,
    _Problem,
    _problem_at,
    _quote,
    _schema_problems,
    _suggestion,
)
from .model import (
    IANA_ROOT,
    PROVIDER_KEYS,
    SYSTEM_RESOLVER,
    TSIG_ALGORITHMS,
    Canaries,
    ClockPolicy,
    CloudDnsZone,
    CloudflareZone,
    Config,
    CoreDnsSettings,
    DomainSpec,
    Expectation,
    ProviderSpec,
    QueryPolicy,
    ResolverAddress,
    Route53Zone,
    SeverityOverride,
    SigningMode,
    Thresholds,
    TransferSpec,
    TsigKey,
    split_ntp_server,
)

# --------------------------------------------------------------------------------------------
# Loading domains.yaml
# --------------------------------------------------------------------------------------------

DEFAULT_RESOLV_CONF = "/etc/resolv.conf"
DEFAULT_DNS_PORT = 53

_PACKAGE = __name__.rpartition(".")[0]
_SCHEMA_RESOURCE = "schema/domains.schema.json"
_STR_TAG = "tag:yaml.org,2002:str"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_LABEL_CHARACTERS = frozenset(string.ascii_letters + string.digits + "-_")
_CHECK_ID = re.compile(r"[A-Z]+[0-9]+")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MAX_LABEL_OCTETS = 63
_MAX_NAME_OCTETS = 255
_RESOLVER_FORMS = "write 'system', an IP address, IPv4:PORT or [IPv6]:PORT"
_YAML_KEY_KINDS = {
    "tag:yaml.org,2002:int": "a number",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:bool": "a boolean",
    "tag:yaml.org,2002:null": "an empty value",
    "tag:yaml.org,2002:timestamp": "a date",
    "tag:yaml.org,2002:merge": "a YAML merge key",
}


# Bounds on what a domains.yaml may make the loader do: a file this large is not a
# configuration, deeper nesting is no structure the schema has, and more values reached
# through aliases than this is an alias bomb ("billion laughs"), not a reuse of settings.
MAX_FILE_BYTES = 8 * 2**20
MAX_DEPTH = 64
MAX_ALIAS_VALUES = 10_000

# YAML 1.2 (the core schema, what editors and most tools read) takes 1e3, 1e-300 and 0o17 as
# numbers; PyYAML follows YAML 1.1, where they are text. Read them as numbers, so that a
# number is never taken for a name and `timeout_s: 1e-3` means what it says.
_YAML12_FLOAT = re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$")
_YAML12_OCTAL = re.compile(r"^0o[0-7]+$")


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, with YAML 1.2's number forms and a bound on nesting."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise yaml.composer.ComposerError(
                    None, None, f"nested more than {MAX_DEPTH} levels deep", mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_Loader.add_implicit_resolver("tag:yaml.org,2002:float", _YAML12_FLOAT, list("-+0123456789."))
_Loader.add_implicit_resolver("tag:yaml.org,2002:int", _YAML12_OCTAL, ["0"])


class _AliasBomb(ConformanceError):
    def __init__(self, line: int | None, key: str | None):
        super().__init__(f"invalid YAML: its aliases expand to more than {MAX_ALIAS_VALUES} "
                         "values (an alias bomb?): refused")
        self.line = line
        self.key = key


def load_config(path: str | os.PathLike[str]) -> Config:
    """Read, validate and convert a domains.yaml; raise `ConfigError` on its first problem."""
    shown = os.fspath(path)
    config_path = Path(os.path.abspath(shown))
    document = _read_document(shown, _read_text(shown))
    problems = [
        *document.problems,
        *_schema_problems(document, domains_schema()),
        *_semantic_problems(document, config_path.parent),
    ]
    if problems:
        first = min(problems, key=lambda problem: problem.order)
        raise ConfigError(shown, first.message, line=first.line, key=first.key)
    return _build_config(document, config_path, shown)


def parse_resolver(spec: str) -> ResolverAddress:
    """Parse "IP", "IPv4:PORT", "[IPv6]" or "[IPv6]:PORT"; raise ValueError saying what is wrong.

    "system" is not an address: expand it with `system_resolvers()` (or `resolver_addresses()`).
    """
    try:
        host, port = _resolver_host_port(spec.strip())
    except ValueError as error:
        raise ValueError(f"invalid resolver {_quote(spec)}: {error}") from None
    return ResolverAddress(host, port)


def system_resolvers(resolv_conf: str = DEFAULT_RESOLV_CONF) -> tuple[ResolverAddress, ...]:
    """The `nameserver` addresses of a resolv.conf, in order; `ConfigError` if there are none."""
    addresses: list[ResolverAddress] = []
    for number, line in enumerate(_read_text(resolv_conf).splitlines(), start=1):
        fields = line.split()
        if not fields or fields[0] != "nameserver":
            continue
        if len(fields) < 2:
            raise ConfigError(resolv_conf, "nameserver line without an address", line=number)
        try:
            host, port = _resolver_host_port(fields[1])
        except ValueError as error:
            raise ConfigError(
                resolv_conf, f"nameserver {fields[1]}: {error}", line=number
            ) from None
        addresses.append(ResolverAddress(host, port))
    if not addresses:
        raise ConfigError(
            resolv_conf,
            "no 'nameserver' line, so 'system' names no resolver "
            "(list resolvers by address in domains.yaml)",
        )
    return tuple(addresses)


def resolver_addresses(
    config: Config, resolv_conf: str = DEFAULT_RESOLV_CONF
) -> tuple[ResolverAddress, ...]:
    """The configured resolvers with "system" expanded from resolv.conf, without repeats."""
    addresses: list[ResolverAddress] = []
    for index, spec in enumerate(config.resolvers):
        if spec == SYSTEM_RESOLVER:
            expanded = system_resolvers(resolv_conf)
        else:
            try:
                expanded = (parse_resolver(spec),)
            except ValueError as error:
                raise ConfigError(str(config.path), str(error), key=f"resolvers[{index}]") from None
        addresses.extend(address for address in expanded if address not in addresses)
    return tuple(addresses)


def parse_domain_name(text: str) -> dns.name.Name:
    """An absolute DNS name from its text; ValueError saying why the text is not a usable name."""
    flaw = _domain_name_flaw(text)
    if flaw:
        raise ValueError(f"invalid domain name {_quote(text)}: {flaw}")
    return dns.name.from_text(text)


def parse_record_type(text: str) -> str:
    """The upper-case mnemonic of a checkable RR type; ValueError for unknown or meta types."""
    mnemonic = text.upper()
    try:
        rdtype = dns.rdatatype.from_text(mnemonic)
    except (dns.exception.DNSException, ValueError):
        raise ValueError(
            f"unknown RR type {_quote(text)}{_suggestion(mnemonic, _record_type_mnemonics())}"
        ) from None
    if _is_meta_type(rdtype):
        raise ValueError(f"{_quote(text)} is a meta type, not an RRset that can be checked")
    # from_text also takes the generic "TYPE65280" syntax; a check list wants real names.
    if mnemonic not in _record_type_mnemonics():
        raise ValueError(
            f"{_quote(text)} is not an RR type mnemonic (write types by name, like AAAA)"
        )
    return mnemonic


@functools.cache
def domains_schema() -> dict[str, Any]:
    """The JSON Schema (Draft 2020-12) of domains.yaml, as shipped with the package."""
    resource = importlib.resources.files(_PACKAGE).joinpath(_SCHEMA_RESOURCE)
    return cast(dict[str, Any], json.loads(resource.read_text(encoding="utf-8")))


# --- reading -----------------------------------------------------------------------------------


def _read_text(shown: str) -> str:
    raw = read_bounded(shown, MAX_FILE_BYTES)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        message = f"not UTF-8 text (byte 0x{raw[error.start]:02x} cannot be decoded)"
        raise ConfigError(shown, message, line=line) from None


def read_bounded(shown: str, limit: int) -> bytes:
    """The bytes of a file the user named, or a one-line `ConfigError`: missing, a folder,
    unreadable, or larger than `limit` (read no further: a device or a runaway file must
    not fill the memory)."""
    try:
        with open(shown, "rb") as handle:
            raw = handle.read(limit + 1)
    except FileNotFoundError:
        raise ConfigError(shown, "file does not exist") from None
    except IsADirectoryError:
        raise ConfigError(shown, "is a directory, not a file") from None
    except PermissionError:
        raise ConfigError(shown, "cannot be read: permission denied") from None
    except OSError as error:
        raise ConfigError(shown, f"cannot be read: {error.strerror or error}") from None
    if len(raw) > limit:
        raise ConfigError(shown, f"is larger than {_size(limit)}: not a file this tool reads "
                                 "(is it the right file?)")
    return raw


def _size(octets: int) -> str:
    return f"{octets // 2**20} MiB" if octets >= 2**20 else f"{octets // 2**10} KiB"


def _read_document(shown: str, text: str) -> _Document:
    try:
        loader = _Loader(text)
    except yaml.YAMLError as error:
        raise _yaml_error(shown, text, error) from None
    try:
        root = loader.get_single_node()
        if root is None or (isinstance(root, ScalarNode) and root.tag.endswith(":null")):
            raise ConfigError(
                shown, "the file is empty: no domains to check (add a 'domains:' list)"
            )
        reader = _TreeReader(loader)
        data = reader.read(root, ())
    except yaml.YAMLError as error:
        raise _yaml_error(shown, text, error) from None
    except _AliasBomb as bomb:
        raise ConfigError(shown, str(bomb), line=bomb.line, key=bomb.key) from None
    except RecursionError:
        raise ConfigError(shown, "invalid YAML: nested too deeply") from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise ConfigError(
            shown,
            f"the top level must be a mapping with a 'domains' key, found {_describe(data)}",
            line=root.start_mark.line + 1,
        )
    return _Document(data, reader.value_marks, reader.key_marks, reader.problems,
                     reader.sources)


def _yaml_error(shown: str, text: str, error: yaml.YAMLError) -> ConfigError:
    if isinstance(error, yaml.MarkedYAMLError):
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        return ConfigError(shown, f"invalid YAML: {_yaml_problem(error)}", line=line)
    if isinstance(error, yaml.reader.ReaderError):
        line = text.count("\n", 0, error.position) + 1
        character = error.character if isinstance(error.character, int) else ord(error.character)
        return ConfigError(
            shown, f"invalid YAML: character #x{character:04x} is not allowed", line=line
        )
    return ConfigError(shown, f"invalid YAML: {_one_line(str(error))}")


def _yaml_problem(error: yaml.MarkedYAMLError) -> str:
    problem = _one_line(error.problem or "")
    context = _one_line(error.context or "")
    if not (problem and context):
        return problem or context or "unreadable"
    context_line = error.context_mark.line + 1 if error.context_mark else None
    # PyYAML words some problems as the end of a sentence its context starts.
    if problem.startswith("but "):
        where = f" (line {context_line})" if context_line else ""
        return f"{context}{where}, {problem}"
    where = f" at line {context_line}" if context_line else ""
    return f"{problem} ({context}{where})"


class _TreeReader:
    """Turns a composed YAML node tree into plain data, remembering where each part was written.

    Doing the conversion here rather than with `yaml.safe_load` is what lets every later
    problem name its line, and what catches duplicate keys, which PyYAML silently overwrites.
    """

    def __init__(self, loader: yaml.SafeLoader):
        self._loader = loader
        self._open_nodes: set[int] = set()
        self.value_marks: dict[KeyPath, yaml.Mark] = {}
        self.key_marks: dict[KeyPath, yaml.Mark] = {}
        self.problems: list[_Problem] = []
        self.sources: dict[KeyPath, str] = {}
        self._read_nodes: set[int] = set()
        self._inside_alias = 0  # how many nodes being read are read a second time (aliases)
        self._alias_values = 0

    def read(self, node: Node, path: KeyPath) -> Any:
        self.value_marks[path] = node.start_mark
        if id(node) in self._open_nodes:
            self._flag(node.start_mark, path, "an alias that contains itself")
            return None
        again = id(node) in self._read_nodes
        self._read_nodes.add(id(node))
        self._inside_alias += again
        if self._inside_alias:
            self._alias_values += 1
            if self._alias_values > MAX_ALIAS_VALUES:
                raise _AliasBomb(self._line_of(path), _key_text(path))
        self._open_nodes.add(id(node))
        try:
            if isinstance(node, MappingNode):
                return self._read_mapping(node, path)
            if isinstance(node, SequenceNode):
                return self._read_sequence(node, path)
            return self._read_scalar(node, path)
        finally:
            self._open_nodes.discard(id(node))
            self._inside_alias -= again

    def _line_of(self, path: KeyPath) -> int | None:
        """The line of the nearest key on `path`: where an alias is used, not defined."""
        while path and path not in self.key_marks:
            path = path[:-1]
        return self.key_marks[path].line + 1 if path else None

    def _read_mapping(self, node: MappingNode, path: KeyPath) -> dict[str, Any] | None:
        if node.tag != _MAP_TAG:
            self._flag(node.start_mark, path, f"unsupported YAML tag '{node.tag}'")
            return None
        mapping: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = self._read_key(key_node, path)
            if key is None:
                continue
            key_path = (*path, key)
            if key_path in self.key_marks:
                first_line = self.key_marks[key_path].line + 1
                self._flag(
                    key_node.start_mark, key_path, f"duplicate key (first at line {first_line})"
                )
                continue
            self.key_marks[key_path] = key_node.start_mark
            mapping[key] = self.read(value_node, key_path)
        return mapping

    def _read_key(self, key_node: Node, path: KeyPath) -> str | None:
        if isinstance(key_node, ScalarNode) and key_node.tag == _STR_TAG:
            return str(key_node.value)
        if isinstance(key_node, ScalarNode):
            kind = _YAML_KEY_KINDS.get(key_node.tag, f"a {key_node.tag} value")
            message = f"a key must be text, found {kind} (quote it to use it as text)"
            self._flag(key_node.start_mark, (*path, str(key_node.value)), message)
        else:
            self._flag(key_node.start_mark, path, "a key must be text, found a collection")
        return None

    def _read_sequence(self, node: SequenceNode, path: KeyPath) -> list[Any] | None:
        if node.tag != _SEQ_TAG:
            self._flag(node.start_mark, path, f"unsupported YAML tag '{node.tag}'")
            return None
        return [self.read(item, (*path, index)) for index, item in enumerate(node.value)]

    def _read_scalar(self, node: Node, path: KeyPath) -> Any:
        if node.tag == _TIMESTAMP_TAG:
            # A date stays text, as JSON Schema (and the editors that lint with it) read it.
            return str(node.value)
        try:
            value = self._loader.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as error:
            self._flag(
                node.start_mark, path, f"invalid YAML value: {_one_line(error.problem or '')}"
            )
            return None
        except ValueError:  # an integer beyond Python's conversion limit (4300 digits)
            self._flag(node.start_mark, path, "invalid YAML value: a number with more digits "
                                              "than any setting can use")
            return None
        if isinstance(node, ScalarNode) and node.tag != _STR_TAG and node.style is None:
            self.sources[path] = str(node.value)
        if isinstance(value, float) and not math.isfinite(value):
            self._flag(node.start_mark, path,
                       f"expected a finite number, found {_quote(str(node.value))}")
            return None
        return value

    def _flag(self, mark: yaml.Mark, path: KeyPath, message: str) -> None:
        self.problems.append(_problem_at(mark, path, message, _RANK_YAML))


# --- schema problems ---------------------------------------------------------------------------


# --- semantic problems -------------------------------------------------------------------------


def _semantic_problems(document: _Document, base_dir: Path) -> Iterator[_Problem]:
    data = document.data
    yield from _resolver_problems(document, data.get("resolvers"))
    yield from _root_hint_problems(document, data.get("root_hints"))
    yield from _trust_anchor_problems(document, data.get("trust_anchors"), base_dir)
    yield from _threshold_problems(document, data.get("thresholds"), data.get("domains"))
    yield from _canary_problems(document, data.get("canaries"))
    yield from _clock_problems(document, data.get("clock"))
    yield from _coredns_problems(document, data.get("coredns"), base_dir)
    yield from _transfer_problems(document, ("transfer",), data.get("transfer"))
    yield from _domain_problems(document, data.get("domains"), base_dir)


def _resolver_problems(document: _Document, resolvers: Any) -> Iterator[_Problem]:
    yield from _unique_servers(
        document, "resolvers", "resolver", resolvers,
        lambda spec: SYSTEM_RESOLVER if spec.strip() == SYSTEM_RESOLVER
        else parse_resolver(spec))


def _root_hint_problems(document: _Document, hints: Any) -> Iterator[_Problem]:
    yield from _unique_servers(document, "root_hints", "root hint", hints,
                               lambda spec: _server_address(spec, "root hint"))


def _unique_servers(document: _Document, key: str, what: str, specs: Any,
                    parse: Callable[[str], object]) -> Iterator[_Problem]:
    """Each entry of the list `key` parses (`parse` raises ValueError with the message) and
    names a server no earlier entry names."""
    if not isinstance(specs, list):
        return
    first_index: dict[object, int] = {}
    for index, spec in enumerate(specs):
        if not isinstance(spec, str):
            continue
        path: KeyPath = (key, index)
        try:
            identity = parse(spec)
        except ValueError as error:
            yield document.at_value(path, str(error))
            continue
        if identity in first_index:
            yield document.at_value(
                path, f"duplicate {what} (same as {key}[{first_index[identity]}])")
        else:
            first_index[identity] = index


def _server_address(spec: str, what: str) -> ResolverAddress:
    """An IP address with an optional port, as `parse_resolver` takes it ("system" aside)."""
    if spec.strip() == SYSTEM_RESOLVER:
        raise ValueError(f"invalid {what} {_quote(spec)}: 'system' names resolvers, not root "
                         "servers; write an IP address, IPv4:PORT or [IPv6]:PORT")
    return parse_resolver(spec)


def _trust_anchor_problems(document: _Document, value: Any, base_dir: Path) -> Iterator[_Problem]:
    if not isinstance(value, str) or value in ("", IANA_ROOT):
        return
    anchor_file = _anchor_path(value, base_dir)
    if not os.path.exists(anchor_file):
        hint = (
            ""
            if os.path.isabs(value)
            else f" (relative paths start at {base_dir}; '{IANA_ROOT}' is the built-in root)"
        )
        yield document.at_value(("trust_anchors",), f"file {anchor_file} does not exist{hint}")
    elif not os.path.isfile(anchor_file):
        yield document.at_value(("trust_anchors",), f"{anchor_file} is not a file")
    else:
        from .anchors import load_anchors  # anchors imports this module

        try:
            load_anchors(anchor_file)
        except TrustAnchorError as error:
            yield document.at_value(("trust_anchors",), str(error))


def _threshold_problems(document: _Document, overrides: Any, domains: Any) -> Iterator[_Problem]:
    defaults = Thresholds()
    inherited = {"warning_days": defaults.warning_days, "critical_days": defaults.critical_days}
    global_days = _merged_days(overrides, inherited)
    if global_days is None:
        return
    problem = _threshold_order_problem(
        document, ("thresholds",), overrides, global_days, "the default"
    )
    if problem:
        yield problem
        return
    for index, entry in enumerate(domains if isinstance(domains, list) else ()):
        if not isinstance(entry, dict):
            continue
        own = entry.get("thresholds")
        days = _merged_days(own, global_days)
        if days is not None:
            path: KeyPath = ("domains", index, "thresholds")
            problem = _threshold_order_problem(document, path, own, days, "inherited")
            if problem:
                yield problem


def _merged_days(overrides: Any, inherited: dict[str, float]) -> dict[str, float] | None:
    """The day thresholds after applying `overrides`; None while a value is not a usable number."""
    if overrides is None:
        return dict(inherited)
    if not isinstance(overrides, dict):
        return None
    merged = dict(inherited)
    for key in inherited:
        if key in overrides:
            value = overrides[key]
            if not _is_number(value) or value < 0:
                return None
            merged[key] = value
    return merged


def _threshold_order_problem(
    document: _Document,
    path: KeyPath,
    overrides: Any,
    days: dict[str, float],
    inherited_from: str,
) -> _Problem | None:
    warning, critical = days["warning_days"], days["critical_days"]
    if warning >= critical:
        return None
    own = overrides if isinstance(overrides, dict) else {}
    if "warning_days" in own:
        source = "" if "critical_days" in own else f", {inherited_from}"
        limit = f"critical_days ({_number(critical)}{source})"
        message = f"must be at least {limit}, found {_number(warning)}"
        return document.at_value((*path, "warning_days"), message)
    limit = f"warning_days ({_number(warning)}, {inherited_from})"
    message = f"must be at most {limit}, found {_number(critical)}"
    return document.at_value((*path, "critical_days"), message)


def _canary_problems(document: _Document, canaries: Any) -> Iterator[_Problem]:
    bogus = canaries.get("bogus") if isinstance(canaries, dict) else None
    if not isinstance(bogus, list):
        return
    first_index: dict[dns.name.Name, int] = {}
    for index, text in enumerate(bogus):
        if not isinstance(text, str):
            continue
        path: KeyPath = ("canaries", "bogus", index)
        try:
            name = parse_domain_name(text)
        except ValueError as error:
            yield document.at_value(path, str(error))
            continue
        if name in first_index:
            yield document.at_value(path, f"duplicate name (same as bogus[{first_index[name]}])")
        else:
            first_index[name] = index


def _clock_problems(document: _Document, clock: Any) -> Iterator[_Problem]:
    spec = clock.get("ntp") if isinstance(clock, dict) else None
    if not isinstance(spec, str):
        return
    try:
        server, _port = split_ntp_server(spec)
    except ValueError as error:
        yield document.at_value(("clock", "ntp"), f"invalid NTP server {_quote(spec)}: {error}")
        return
    if _is_ip_address(server):
        return
    flaw = _domain_name_flaw(server)
    if flaw:
        message = (
            f"invalid NTP server {_quote(server)}: not an IP address, and as a host name it {flaw}"
        )
        yield document.at_value(("clock", "ntp"), message)


def _coredns_problems(document: _Document, coredns: Any, base_dir: Path) -> Iterator[_Problem]:
    if not isinstance(coredns, dict):
        return
    known = domains_schema()["properties"]["coredns"]["properties"]
    # a misspelled key's "did you mean" explains the missing one better
    if "corefile" not in coredns and "metrics_url" not in coredns and set(coredns) <= set(known):
        yield document.at_value(("coredns",), "names neither 'corefile' nor 'metrics_url': "
                                              "nothing to check")
    corefile = coredns.get("corefile")
    if isinstance(corefile, str) and corefile:
        path = _anchor_path(corefile, base_dir)
        if not os.path.exists(path):
            hint = "" if os.path.isabs(corefile) else f" (relative paths start at {base_dir})"
            yield document.at_value(("coredns", "corefile"), f"file {path} does not exist{hint}")
        elif not os.path.isfile(path):
            yield document.at_value(("coredns", "corefile"), f"{path} is not a file")
    url = coredns.get("metrics_url")
    if isinstance(url, str):
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            yield document.at_value(("coredns", "metrics_url"),
                                    f"invalid URL {_quote(url)}: expected http://HOST:9153/metrics")


def _domain_problems(document: _Document, domains: Any, base_dir: Path) -> Iterator[_Problem]:
    if not isinstance(domains, list):
        return
    first_index: dict[dns.name.Name, int] = {}
    for index, entry in enumerate(domains):
        path: KeyPath = ("domains", index)
        if isinstance(entry, dict):
            yield from _record_problems(document, (*path, "records"), entry.get("records"))
            yield from _zone_file_problems(document, path, entry, base_dir)
            yield from _provider_problems(document, path, entry)
            yield from _transfer_problems(document, (*path, "transfer"), entry.get("transfer"),
                                          document.data.get("transfer"))
            yield from _waiver_problems(document, (*path, "waive"), entry.get("waive"))
            path, text = (*path, "name"), entry.get("name")
        else:
            text = entry
        if not isinstance(text, str):
            continue
        try:
            name = parse_domain_name(text)
        except ValueError as error:
            yield document.at_value(path, str(error))
            continue
        if name in first_index:
            first = first_index[name]
            line = document.value_marks[("domains", first)].line + 1
            yield document.at_value(
                path, f"duplicate domain {_quote(text)} (already domains[{first}], line {line})"
            )
        else:
            first_index[name] = index


def _zone_file_problems(document: _Document, path: KeyPath, entry: dict[str, Any],
                        base_dir: Path) -> Iterator[_Problem]:
    """A domain's `zone_file` and `ds` must name files that exist; `ds` needs `zone_file`."""
    for key in ("zone_file", "ds"):
        value = entry.get(key)
        if not isinstance(value, str) or not value:
            continue
        file = _anchor_path(value, base_dir)
        if not os.path.exists(file):
            hint = "" if os.path.isabs(value) else f" (relative paths start at {base_dir})"
            yield document.at_value((*path, key), f"file {file} does not exist{hint}")
        elif not os.path.isfile(file):
            yield document.at_value((*path, key), f"{file} is not a file")
    if "ds" in entry and "zone_file" not in entry:
        yield document.at_key((*path, "ds"), "a DS file goes with a zone file: add "
                              "'zone_file' (a live zone's DS is asked of its parent)",
                              _RANK_SEMANTIC)
    if entry.get("transfer") not in (None, False) and "zone_file" in entry:
        yield document.at_key((*path, "transfer"), "a zone file is checked whole already: "
                              "remove 'transfer' or 'zone_file'", _RANK_SEMANTIC)
    if "signing" in entry and "zone_file" in entry:
        yield document.at_key((*path, "signing"), "'signing' is for live servers: a zone "
                              "file is signed before it is published (remove 'signing')",
                              _RANK_SEMANTIC)


def _transfer_problems(document: _Document, path: KeyPath, transfer: Any,
                       inherited: Any = None) -> Iterator[_Problem]:
    """A TSIG key's secret must be in its environment variable, as base64, when the file is
    loaded: a run must not find out at its first transfer. The secret is never quoted. And
    `axfr: false` leaves only the walk: it must be on."""
    if isinstance(transfer, dict) and "axfr" in transfer:
        base = inherited if isinstance(inherited, dict) else {}
        walk = transfer.get("walk", base.get("walk", False))
        if transfer["axfr"] is False and walk is False:
            yield document.at_value((*path, "axfr"), "with 'axfr: false' nothing would be "
                                    "taken: set 'walk: true' (or remove 'axfr')")
    tsig = transfer.get("tsig") if isinstance(transfer, dict) else None
    variable = tsig.get("secret_env") if isinstance(tsig, dict) else None
    if not isinstance(variable, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", variable):
        return
    try:
        tsig_secret(variable)
    except ValueError as error:
        yield document.at_value((*path, "tsig", "secret_env"), str(error))


def tsig_secret(variable: str) -> bytes:
    """The TSIG secret held (base64) by the environment variable `variable`; ValueError with
    a message that names the variable, never its value."""
    text = os.environ.get(variable)
    if text is None:
        raise ValueError(f"the environment variable {variable} is not set: it must hold the "
                         "TSIG secret (base64, as tsig-keygen prints it)")
    if not text.strip():
        raise ValueError(f"the environment variable {variable} is empty: it must hold the "
                         "TSIG secret (base64, as tsig-keygen prints it)")
    try:
        secret = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"the environment variable {variable} does not hold base64 text: "
                         "it must hold the TSIG secret as tsig-keygen prints it") from None
    if not secret:
        raise ValueError(f"the environment variable {variable} holds an empty secret")
    return secret


_ID_RULES = {
    # (provider, key): (pattern, what a valid value looks like)
    ("route53", "hosted_zone_id"): (re.compile(r"(/hostedzone/)?[A-Z0-9]{1,32}"),
                                    "a Route 53 hosted zone ID: capital letters and digits, "
                                    "like Z0123456789ABCDEFGHIJ"),
    ("clouddns", "project"): (re.compile(r"[a-z][a-z0-9.:-]{0,98}[a-z0-9]"),
                              "a Google Cloud project ID: lower-case letters, digits and "
                              "hyphens, like my-project-123"),
    ("clouddns", "managed_zone"): (re.compile(r"[a-z0-9][a-z0-9-]{0,62}"),
                                   "a Cloud DNS managed zone's name or numeric ID: lower-case "
                                   "letters, digits and hyphens"),
    ("cloudflare", "zone_id"): (re.compile(r"[0-9a-f]{32}"),
                                "a Cloudflare zone ID: 32 hexadecimal digits"),
    ("cloudflare", "api_token_env"): (re.compile(r"[A-Za-z_][A-Za-z0-9_]*"),
                                      "the name of an environment variable (the token itself "
                                      "never goes into domains.yaml)"),
}


def _provider_problems(document: _Document, path: KeyPath, entry: dict[str, Any]
                       ) -> Iterator[_Problem]:
    """`provider:` names exactly one provider, with IDs of the provider's own form, and goes
    with a live zone (a zone file is checked offline)."""
    provider = entry.get("provider")
    if not isinstance(provider, dict):
        return
    where: KeyPath = (*path, "provider")
    if "zone_file" in entry:
        yield document.at_key(where, "a zone file is checked offline, without asking the "
                              "provider: remove 'provider' or 'zone_file'", _RANK_SEMANTIC)
    named = [key for key in provider if key in PROVIDER_KEYS]
    if len(named) != 1 and set(provider) <= set(PROVIDER_KEYS):
        found = f"found {len(named)}: {', '.join(named)}" if named else "found none"
        yield document.at_value(where, "name exactly one provider (route53, clouddns or "
                                f"cloudflare), {found}")
    for key in named:
        settings = provider[key]
        if not isinstance(settings, dict):
            continue
        for (rule_provider, field_name), (pattern, form) in _ID_RULES.items():
            value = settings.get(field_name)
            if rule_provider == key and isinstance(value, str) and not pattern.fullmatch(value):
                yield document.at_value((*where, key, field_name),
                                        f"{_quote(value)} is not {form}")


def _waiver_problems(document: _Document, path: KeyPath, waivers: Any) -> Iterator[_Problem]:
    """Each waiver names a check ID once, and a real day."""
    if not isinstance(waivers, list):
        return
    first_index: dict[str, int] = {}
    for index, waiver in enumerate(waivers):
        if not isinstance(waiver, dict):
            continue
        check, until = waiver.get("check"), waiver.get("until")
        if isinstance(check, str) and not _CHECK_ID.fullmatch(check):
            yield document.at_value((*path, index, "check"),
                                    f"{_quote(check)} is not a check ID (like ALG03, as "
                                    "docs/checks.md and results.json name them)")
        elif isinstance(check, str) and check in first_index:
            first = first_index[check]
            yield document.at_value((*path, index, "check"),
                                    f"duplicate waiver of {check} (already waive[{first}])")
        elif isinstance(check, str):
            first_index[check] = index
        if isinstance(until, str) and _day(until) is None:
            yield document.at_value((*path, index, "until"),
                                    f"{_quote(until)} is not a day: write YYYY-MM-DD")


def _day(text: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text) if _DAY.fullmatch(text) else None
    except ValueError:
        return None


def _record_problems(document: _Document, path: KeyPath, records: Any) -> Iterator[_Problem]:
    if not isinstance(records, list):
        return
    first_index: dict[str, int] = {}
    for index, text in enumerate(records):
        if not isinstance(text, str):
            continue
        try:
            mnemonic = parse_record_type(text)
        except ValueError as error:
            yield document.at_value((*path, index), str(error))
            continue
        if mnemonic in first_index:
            message = f"duplicate RR type {mnemonic} (already records[{first_index[mnemonic]}])"
            yield document.at_value((*path, index), message)
        else:
            first_index[mnemonic] = index


# --- building the dataclasses (only from a document without problems) ---------------------------


def _build_config(document: _Document, config_path: Path, shown: str) -> Config:
    data = document.data
    thresholds = _thresholds(data.get("thresholds"), Thresholds())
    canaries = data.get("canaries", {})
    transfer = _transfer_spec(data.get("transfer"), None)
    domains = []
    for index, entry in enumerate(data["domains"]):
        written = entry.get("waive", ()) if isinstance(entry, dict) else ()
        lines = [document.value_marks[("domains", index, "waive", number)].line + 1
                 for number in range(len(written))]
        waivers = tuple(_waiver(waiver, f"{shown}:{line}")
                        for waiver, line in zip(written, lines, strict=True))
        domains.append(replace(_domain_spec(entry, thresholds, config_path.parent, transfer),
                               waivers=waivers))
    return Config(
        path=config_path,
        domains=tuple(domains),
        # Spaces around an address are no part of it (" 9.9.9.9" from a sloppy list).
        resolvers=tuple(spec.strip() for spec in data.get("resolvers", (SYSTEM_RESOLVER,))),
        trust_anchors=_trust_anchors(data.get("trust_anchors", IANA_ROOT), config_path.parent),
        root_hints=tuple(parse_resolver(spec) for spec in data.get("root_hints", ())),
        thresholds=thresholds,
        canaries=Canaries(
            bogus=tuple(dns.name.from_text(text) for text in canaries.get("bogus", ()))
        ),
        clock=_clock_policy(data.get("clock", {})),
        query=_query_policy(data.get("query", {})),
        coredns=_coredns_settings(data.get("coredns"), config_path.parent),
        transfer=transfer,
        severities=tuple(
            SeverityOverride(code, Severity[level.upper()],
                             f"{shown}:{document.key_marks[('severities', code)].line + 1}")
            for code, level in data.get("severities", {}).items()),
    )


def _waiver(entry: dict[str, Any], source: str) -> Waiver:
    until = _day(entry["until"])
    assert until is not None  # _waiver_problems refused the file otherwise
    return Waiver(entry["check"], " ".join(entry["reason"].split()), until, source)


def _thresholds(overrides: dict[str, Any] | None, inherited: Thresholds) -> Thresholds:
    changes: dict[str, Any] = {}
    for key, value in (overrides or {}).items():
        if key == "warn_before_soa_expire":
            changes[key] = bool(value)
        else:
            changes[key] = int(value) if key == "serial_lag" else float(value)
    return replace(inherited, **changes)


def _domain_spec(entry: str | dict[str, Any], thresholds: Thresholds, base_dir: Path,
                 transfer: TransferSpec | None = None) -> DomainSpec:
    if isinstance(entry, str):
        return DomainSpec(name=dns.name.from_text(entry), thresholds=thresholds,
                          transfer=transfer)
    zone_file, ds_file = entry.get("zone_file"), entry.get("ds")
    return DomainSpec(
        name=dns.name.from_text(entry["name"]),
        records=tuple(parse_record_type(text) for text in entry.get("records", ())),
        expect=cast(Expectation, entry.get("expect", "secure")),
        thresholds=_thresholds(entry.get("thresholds"), thresholds),
        zone_file=Path(_anchor_path(zone_file, base_dir)) if zone_file is not None else None,
        ds_file=Path(_anchor_path(ds_file, base_dir)) if ds_file is not None else None,
        signing=cast(SigningMode | None, entry.get("signing")),
        provider=_provider_spec(entry.get("provider")),
        # a zone file is whole already: the global `transfer:` is for live zones
        transfer=None if zone_file is not None else _transfer_spec(entry.get("transfer"),
                                                                   transfer),
    )


def _transfer_spec(value: bool | dict[str, Any] | None, inherited: TransferSpec | None
                   ) -> TransferSpec | None:
    """`transfer:` as written (absent, a boolean or a mapping) over the one it inherits: a
    domain without it (or with `true`) takes the global one, `false` turns it off, and a
    mapping is merged over the global one key by key."""
    if value is None or value is False:
        return None if value is False else inherited
    base = inherited or TransferSpec()
    if value is True:
        return base
    changes: dict[str, Any] = {}
    for key in ("axfr", "walk"):
        if key in value:
            changes[key] = bool(value[key])
    for key in ("max_records", "walk_max_names"):
        if key in value:
            changes[key] = int(value[key])
    if "timeout_s" in value:
        changes["timeout_s"] = float(value["timeout_s"])
    if "tsig" in value:
        tsig = value["tsig"]
        changes["tsig"] = None if tsig is None else TsigKey(
            dns.name.from_text(tsig["name"]), tsig.get("algorithm", TSIG_ALGORITHMS[0]),
            tsig["secret_env"], tsig_secret(tsig["secret_env"]))
    return replace(base, **changes)


def _provider_spec(provider: dict[str, Any] | None) -> ProviderSpec | None:
    if not provider:
        return None
    if "route53" in provider:
        zone_id = provider["route53"]["hosted_zone_id"].removeprefix("/hostedzone/")
        return Route53Zone(zone_id)
    if "clouddns" in provider:
        settings = provider["clouddns"]
        return CloudDnsZone(settings["project"], settings["managed_zone"])
    settings = provider["cloudflare"]
    return CloudflareZone(settings["zone_id"],
                          settings.get("api_token_env", CloudflareZone.api_token_env))


def _trust_anchors(value: str, base_dir: Path) -> str:
    return value if value == IANA_ROOT else _anchor_path(value, base_dir)


def _anchor_path(value: str, base_dir: Path) -> str:
    return os.path.normpath(os.path.join(base_dir, value))


def _clock_policy(clock: dict[str, Any]) -> ClockPolicy:
    defaults = ClockPolicy()
    return ClockPolicy(
        skew_tolerance_s=float(clock.get("skew_tolerance_s", defaults.skew_tolerance_s)),
        ntp=clock.get("ntp", defaults.ntp),
        max_offset_s=float(clock.get("max_offset_s", defaults.max_offset_s)),
    )


def _coredns_settings(coredns: dict[str, Any] | None, base_dir: Path
                      ) -> CoreDnsSettings | None:
    if coredns is None:
        return None
    defaults = CoreDnsSettings()
    corefile = coredns.get("corefile")
    return CoreDnsSettings(
        corefile=_anchor_path(corefile, base_dir) if corefile is not None else None,
        metrics_url=coredns.get("metrics_url"),
        servfail_share_warning=float(
            coredns.get("servfail_share_warning", defaults.servfail_share_warning)),
        cache_hit_ratio_warning=float(
            coredns.get("cache_hit_ratio_warning", defaults.cache_hit_ratio_warning)),
        stale_tolerance_s=float(coredns.get("stale_tolerance_s", defaults.stale_tolerance_s)),
    )


def _query_policy(query: dict[str, Any]) -> QueryPolicy:
    defaults = QueryPolicy()
    return QueryPolicy(
        timeout_s=float(query.get("timeout_s", defaults.timeout_s)),
        retries=int(query.get("retries", defaults.retries)),
        max_in_flight_per_server=int(
            query.get("max_in_flight_per_server", defaults.max_in_flight_per_server)),
        max_in_flight=int(query.get("max_in_flight", defaults.max_in_flight)),
        zone_budget_s=float(query.get("zone_budget_s", defaults.zone_budget_s)),
        max_addresses_per_name=int(
            query.get("max_addresses_per_name", defaults.max_addresses_per_name)),
        max_addresses_per_zone=int(
            query.get("max_addresses_per_zone", defaults.max_addresses_per_zone)),
    )


# --- names, addresses, types -------------------------------------------------------------------


def _domain_name_flaw(text: str) -> str | None:
    """Why `text` is not a usable DNS name, or None."""
    if not text:
        return "the name is empty"
    if " " in text:
        return "contains a space"
    whitespace = next((char for char in text if char.isspace()), None)
    if whitespace:
        return f"contains whitespace ({whitespace!r})"
    if text == ".":
        return None
    relative = text.removesuffix(".")
    for label in relative.split("."):
        flaw = _label_flaw(label)
        if flaw:
            return flaw
    last = relative.rpartition(".")[2]
    if last.isdigit():
        return (f"its last label {_quote(last)} is all digits, which no top-level domain is "
                "(RFC 3696 §2): an IP address or a number, not a domain name")
    wire_octets = len(relative) + 2  # a length octet per label plus the root's
    if wire_octets > _MAX_NAME_OCTETS:
        return f"is {wire_octets} octets long in wire format, the limit is {_MAX_NAME_OCTETS}"
    return None


def _label_flaw(label: str) -> str | None:
    if not label:
        return "has an empty label (a leading dot or two dots in a row)"
    if not label.isascii():
        return f"label {_quote(label)} is not ASCII (write internationalized names as xn--)"
    if len(label) > _MAX_LABEL_OCTETS:
        return (
            f"label {_quote(label, 20)} is {len(label)} octets long, "
            f"the limit is {_MAX_LABEL_OCTETS}"
        )
    bad = next((char for char in label if char not in _LABEL_CHARACTERS), None)
    if bad:
        return (
            f"label {_quote(label)} contains {bad!r}: only letters, digits, '-' and '_' are allowed"
        )
    return None


def _resolver_host_port(text: str) -> tuple[str, int]:
    """Split a resolver address into a normalized IP and a port; ValueError saying what is wrong."""
    if text == SYSTEM_RESOLVER:
        raise ValueError("'system' is not an address: expand it with system_resolvers()")
    if text.startswith("["):
        inside, bracket, rest = text[1:].partition("]")
        if not bracket:
            raise ValueError("missing ']' after the IPv6 address")
        if rest and not rest.startswith(":"):
            raise ValueError(f"expected ':PORT' after ']', found {_quote(rest)}")
        address = _ip_address(inside, text)
        if address.version != 6:
            raise ValueError("brackets are for IPv6 addresses only")
        return str(address), _port(rest[1:]) if rest else DEFAULT_DNS_PORT
    if text.count(":") == 1:
        host, _, port = text.partition(":")
        return str(_ip_address(host, text)), _port(port)
    return str(_ip_address(text, text)), DEFAULT_DNS_PORT


def _ip_address(host: str, whole: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        subject = "not an IP address" if host == whole else f"{_quote(host)} is not an IP address"
        raise ValueError(f"{subject} ({_RESOLVER_FORMS})") from None


def _port(text: str) -> int:
    if not text:
        raise ValueError("the port after ':' is empty")
    if not (text.isascii() and text.isdigit()):
        raise ValueError(f"port {_quote(text)} is not a number")
    port = int(text)
    if not 1 <= port <= 65535:
        raise ValueError(f"port {port} is out of range (1..65535)")
    return port


def _is_ip_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _is_meta_type(rdtype: dns.rdatatype.RdataType) -> bool:
    return rdtype == dns.rdatatype.NONE or dns.rdatatype.is_metatype(rdtype)


@functools.cache
def _record_type_mnemonics() -> tuple[str, ...]:
    return tuple(
        dns.rdatatype.to_text(rdtype)
        for rdtype in dns.rdatatype.RdataType
        if not _is_meta_type(rdtype)
    )


# --- wording -----------------------------------------------------------------------------------


