"""CoreDNS's Corefile: its server blocks, and the directives that matter for DNSSEC.

Pure: text in, data out. `load_corefile` takes the Corefile itself or the ConfigMap that holds
it (as `kubectl -n kube-system get cm coredns -o yaml` prints it); every problem is a
`CorefileError` naming the file and the line. The syntax is Caddy's: server block keys, then
`{`, then one directive per line, a directive's own block opened by `{` at the end of its line;
`#` starts a comment, `"..."` quotes, `(name) {...}` defines a snippet that `import name`
pastes. `import` of other files is kept as a directive: those files are not read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ...config.loading import parse_resolver
from ...config.model import ResolverAddress
from ...errors import CorefileError

ROOT_ZONE = "."
DNS_PORT = 53
# CoreDNS's own default minimum TTL for cached answers (the cache plugin's MINTTL)
DEFAULT_CACHE_MIN_TTL_S = 5
DEFAULT_SERVE_STALE_S = 3600.0

UpstreamKind = Literal["dns", "tls", "file", "other"]


@dataclass(frozen=True)
class Token:
    text: str
    line: int
    quoted: bool = False

    @property
    def opens_block(self) -> bool:
        return self.text == "{" and not self.quoted

    @property
    def closes_block(self) -> bool:
        return self.text == "}" and not self.quoted


@dataclass(frozen=True)
class Directive:
    """One line of a server block: a plugin (or a plugin's setting) and its arguments."""

    name: str
    args: tuple[str, ...]
    line: int
    block: tuple[Directive, ...] = ()

    def settings(self, name: str) -> list[Directive]:
        return [d for d in self.block if d.name == name]


@dataclass(frozen=True)
class ServerBlock:
    keys: tuple[str, ...]  # as written: ".:53", "dns://cluster.local:53"
    line: int
    directives: tuple[Directive, ...]

    def plugins(self, name: str) -> list[Directive]:
        return [d for d in self.directives if d.name == name]

    @property
    def zones(self) -> tuple[str, ...]:
        return tuple(zone_of_key(key) for key in self.keys)

    @property
    def label(self) -> str:
        return " ".join(self.keys)

    @property
    def serves_root(self) -> bool:
        """Whether this block answers for every name (the block pods' queries end up in)."""
        return ROOT_ZONE in self.zones


@dataclass(frozen=True)
class Corefile:
    source: str  # the file as the user named it
    servers: tuple[ServerBlock, ...]
    # The line of `source` that holds Corefile line 1, less one; None when the Corefile is a
    # quoted YAML string, whose lines do not map onto the file's.
    line_offset: int | None = 0
    imports: tuple[Directive, ...] = field(default=())  # top-level imports of other files

    def where(self, line: int) -> str:
        if self.line_offset is None:
            return f"{self.source} (Corefile line {line})"
        return f"{self.source}:{line + self.line_offset}"


# --- reading the file --------------------------------------------------------------------------


def load_corefile(path: str) -> Corefile:
    """Read a Corefile, or the ConfigMap YAML that holds one; `CorefileError` on any problem."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CorefileError(path, "file does not exist") from None
    except UnicodeDecodeError as error:
        raise CorefileError(path, f"not UTF-8 text ({error.reason})") from None
    except OSError as error:
        raise CorefileError(path, f"cannot read it: {error.strerror}") from None
    return corefile_from_text(text, path)


def corefile_from_text(text: str, path: str) -> Corefile:
    """A Corefile (or a ConfigMap holding one) already read from `path`."""
    embedded = _configmap_corefile(text, path)
    if embedded is None:
        return parse_corefile(text, path)
    corefile_text, offset = embedded
    return parse_corefile(corefile_text, path, line_offset=offset)


def _configmap_corefile(text: str, path: str) -> tuple[str, int | None] | None:
    """The Corefile held in a ConfigMap document and its line offset; None for a Corefile."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None  # not YAML: a Corefile (a Corefile is rarely valid YAML)
    if not isinstance(root, MappingNode):
        return None
    keys = {_text(key) for key, _ in root.value}
    if not keys & {"data", "kind", "apiVersion", "items"}:
        return None
    for document in _configmaps(root):
        data = _child(document, "data")
        if data is None:
            continue
        value = _child(data, "Corefile")
        if isinstance(value, ScalarNode):
            # a literal block's content starts on the line after its `|`
            offset = value.start_mark.line + 1 if value.style == "|" else None
            return str(value.value), offset
    raise CorefileError(path, "a Kubernetes document without a ConfigMap data.Corefile "
                              "(expected `kubectl -n kube-system get cm coredns -o yaml`)")


def _configmaps(root: MappingNode) -> Iterator[MappingNode]:
    yield root
    items = _child(root, "items")  # `kubectl get cm -o yaml` without a name prints a List
    if isinstance(items, SequenceNode):
        yield from (item for item in items.value if isinstance(item, MappingNode))


def _child(node: Node, key: str) -> Node | None:
    if not isinstance(node, MappingNode):
        return None
    return next((value for k, value in node.value if _text(k) == key), None)


def _text(node: Node) -> str | None:
    return str(node.value) if isinstance(node, ScalarNode) else None


# --- tokens ------------------------------------------------------------------------------------


def tokenize(text: str, where: Corefile) -> list[Token]:
    """Split Corefile text into tokens with their line numbers (Caddy's lexical rules)."""
    tokens: list[Token] = []
    line, index, length = 1, 0, len(text)
    while index < length:
        char = text[index]
        if char == "\n":
            line += 1
            index += 1
        elif char.isspace():
            index += 1
        elif char == "#":
            while index < length and text[index] != "\n":
                index += 1
        elif char == '"':
            token, index, end_line = _quoted(text, index, line, where)
            tokens.append(Token(token, line, quoted=True))
            line = end_line
        else:
            start = index
            while index < length and not text[index].isspace():
                index += 1
            tokens.append(Token(text[start:index], line))
    return tokens


def _quoted(text: str, index: int, line: int, where: Corefile) -> tuple[str, int, int]:
    """A quoted token starting at text[index]: its text, the index after it, the line there."""
    chars: list[str] = []
    start_line, index = line, index + 1
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text) and text[index + 1] in '"\\':
            chars.append(text[index + 1])
            index += 2
            continue
        if char == '"':
            return "".join(chars), index + 1, line
        if char == "\n":
            line += 1
        chars.append(char)
        index += 1
    raise CorefileError(where.where(start_line), "unterminated quoted string")


# --- server blocks and directives --------------------------------------------------------------


def parse_corefile(text: str, source: str = "Corefile", *, line_offset: int | None = 0
                   ) -> Corefile:
    """Parse Corefile text; `CorefileError` names the line of the first syntax error."""
    located = Corefile(source, (), line_offset)
    parser = _Parser(tokenize(text, located), located)
    servers, imports = parser.parse()
    if not servers:
        raise CorefileError(located.where(1), "no server block (expected e.g. `.:53 { ... }`)")
    return Corefile(source, tuple(servers), line_offset, tuple(imports))


class _Parser:
    def __init__(self, tokens: list[Token], located: Corefile):
        self.tokens = tokens
        self.at = 0
        self.located = located
        self.snippets: dict[str, list[Token]] = {}

    def fail(self, line: int, message: str) -> CorefileError:
        return CorefileError(self.located.where(line), message)

    def peek(self) -> Token | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def line_rest(self, line: int) -> list[Token]:
        """The tokens left on `line`, up to a brace."""
        rest = []
        while (token := self.peek()) is not None and token.line == line \
                and not (token.opens_block or token.closes_block):
            rest.append(self.take())
        return rest

    def opens_on(self, line: int) -> bool:
        """Take a '{' that follows on `line`; say whether there was one."""
        token = self.peek()
        if token is not None and token.opens_block and token.line == line:
            self.take()
            return True
        return False

    def parse(self) -> tuple[list[ServerBlock], list[Directive]]:
        servers: list[ServerBlock] = []
        imports: list[Directive] = []
        while (token := self.peek()) is not None:
            if token.closes_block:
                raise self.fail(token.line, "'}' without a block to close")
            if token.opens_block:
                raise self.fail(token.line, "'{' without server block keys before it")
            if _is_snippet(token):
                self.take()
                self.define_snippet(token)
            elif token.text == "import" and not token.quoted:
                self.take()
                imports.extend(self.top_level_import(token))
            else:
                servers.append(self.server_block(first=not servers))
        return servers, imports

    def define_snippet(self, name: Token) -> None:
        opener = self.peek()
        if opener is None or not opener.opens_block or opener.line != name.line:
            raise self.fail(name.line, f"snippet {name.text} needs a '{{' on its line")
        self.take()
        body: list[Token] = []
        depth = 1
        while (token := self.peek()) is not None:
            self.take()
            depth += token.opens_block - token.closes_block
            if depth == 0:
                self.snippets[name.text[1:-1]] = body
                return
            body.append(token)
        raise self.fail(opener.line, f"snippet {name.text}: this '{{' is never closed")

    def top_level_import(self, keyword: Token) -> list[Directive]:
        args = self.line_rest(keyword.line)
        if not args:
            raise self.fail(keyword.line, "import without a file or snippet name")
        if args[0].text in self.snippets:
            self.tokens[self.at:self.at] = self.snippets[args[0].text]
            return []
        return [Directive("import", tuple(a.text for a in args), keyword.line)]

    def server_block(self, *, first: bool) -> ServerBlock:
        start = self.take()
        key_tokens = [start, *self.line_rest(start.line)]
        while key_tokens[-1].text.endswith(",") and (nxt := self.peek()) is not None \
                and not (nxt.opens_block or nxt.closes_block):
            key_tokens += [self.take(), *self.line_rest(nxt.line)]  # keys go on after a comma
        braced = self.opens_on(key_tokens[-1].line)
        keys = tuple(k for t in key_tokens for k in t.text.split(",") if k)
        for token in key_tokens:
            if _is_snippet(token) or token.text == "import":
                raise self.fail(token.line, f"unexpected {token.text!r} among the server "
                                            "block keys")
        if not braced and not first:
            raise self.fail(start.line, f"expected '{{' after the server block keys "
                                        f"{' '.join(keys)}")
        # Caddy allows one server block without braces: the rest of the file is its body
        directives = self.directives(start.line if braced else None)
        return ServerBlock(keys, start.line, tuple(directives))

    def directives(self, opened_at: int | None) -> list[Directive]:
        """Directives up to the '}' closing a block opened on line `opened_at` (None: to EOF)."""
        found: list[Directive] = []
        while (token := self.peek()) is not None:
            self.take()
            if token.closes_block:
                if opened_at is None:
                    raise self.fail(token.line, "'}' without a block to close")
                return found
            if token.opens_block:
                raise self.fail(token.line, "'{' without a directive before it on its line")
            args = self.line_rest(token.line)
            if token.text == "import" and not token.quoted and args \
                    and args[0].text in self.snippets:
                self.tokens[self.at:self.at] = self.snippets[args[0].text]
                continue
            block: list[Directive] = []
            if self.opens_on(args[-1].line if args else token.line):
                block = self.directives(token.line)
            found.append(Directive(token.text, tuple(a.text for a in args), token.line,
                                   tuple(block)))
        if opened_at is not None:
            raise self.fail(opened_at, "this '{' is never closed")
        return found


def _is_snippet(token: Token) -> bool:
    return (not token.quoted and len(token.text) > 2 and token.text.startswith("(")
            and token.text.endswith(")"))


# --- what the directives say -------------------------------------------------------------------


def zone_of_key(key: str) -> str:
    """The zone of a server block key: "dns://.:53" -> ".", "example.org:1053" -> "example.org."."""
    _, _, rest = key.rpartition("://")
    host, colon, port = rest.rpartition(":")
    zone = host if colon and port.isdigit() else rest
    zone = zone.strip().lower() or ROOT_ZONE
    return zone if zone.endswith(".") else zone + "."


@dataclass(frozen=True)
class ForwardUpstream:
    """One TO of a `forward FROM TO...` directive."""

    target: str  # as written: "8.8.8.8", "tls://9.9.9.9", "/etc/resolv.conf"
    kind: UpstreamKind
    address: ResolverAddress | None  # for plain DNS upstreams: where to test it
    from_zone: str  # FROM, normalized: "." for everything
    server: ServerBlock = field(repr=False)
    line: int

    @property
    def zones(self) -> tuple[str, ...]:
        """The names it sees: FROM, within the zones of its server block."""
        return (self.from_zone,) if self.from_zone != ROOT_ZONE else self.server.zones

    @property
    def general(self) -> bool:
        """Whether pods' queries for any name go to it (FROM "." in a block serving ".")."""
        return self.from_zone == ROOT_ZONE and self.server.serves_root


def forward_upstreams(corefile: Corefile) -> list[ForwardUpstream]:
    found = []
    for server in corefile.servers:
        for directive in server.plugins("forward"):
            if len(directive.args) < 2:
                raise CorefileError(corefile.where(directive.line),
                                    "forward needs FROM and at least one TO")
            from_zone = zone_of_key(directive.args[0])
            for target in directive.args[1:]:
                kind, address = _upstream(target)
                found.append(ForwardUpstream(target, kind, address, from_zone, server,
                                             directive.line))
    return found


def _upstream(target: str) -> tuple[UpstreamKind, ResolverAddress | None]:
    if target.startswith("/"):
        return "file", None
    scheme, separator, rest = target.partition("://")
    if not separator:
        scheme, rest = "dns", target
    if scheme == "tls":
        return "tls", None
    if scheme != "dns":
        return "other", None
    try:
        return "dns", parse_resolver(rest)
    except ValueError:
        return "other", None


@dataclass(frozen=True)
class SigningBlock:
    """A `dnssec` directive: CoreDNS signing what it serves with the keys it names."""

    server: ServerBlock = field(repr=False)
    line: int
    zones: tuple[str, ...]
    key_files: tuple[str, ...]


def signing_blocks(corefile: Corefile) -> list[SigningBlock]:
    found = []
    for server in corefile.servers:
        for directive in server.plugins("dnssec"):
            zones = tuple(zone_of_key(z) for z in directive.args) or server.zones
            keys = tuple(k for key in directive.settings("key") if key.args[:1] == ("file",)
                         for k in key.args[1:])
            keys += tuple(f"secret {k}" for key in directive.settings("key")
                          if key.args[:1] == ("secret",) for k in key.args[1:])
            found.append(SigningBlock(server, directive.line, zones, keys))
    return found


@dataclass(frozen=True)
class CachePolicy:
    """A `cache` directive, as far as it decides how long an answer outlives its TTL."""

    server: ServerBlock = field(repr=False)
    line: int
    max_ttl_s: int | None
    min_ttls: tuple[tuple[str, int, int], ...]  # (success|denial, MINTTL seconds, line)
    serve_stale_s: float | None  # None: serve_stale is off
    serve_stale_mode: str
    serve_stale_line: int | None


def cache_policies(corefile: Corefile) -> list[CachePolicy]:
    found = []
    for server in corefile.servers:
        for directive in server.plugins("cache"):
            found.append(_cache_policy(corefile, server, directive))
    return found


def _cache_policy(corefile: Corefile, server: ServerBlock, directive: Directive
                  ) -> CachePolicy:
    max_ttl = None
    if directive.args and directive.args[0].isdigit():
        max_ttl = int(directive.args[0])
    min_ttls = []
    for kind in ("success", "denial"):
        for setting in directive.settings(kind):
            if len(setting.args) >= 3:
                seconds = _integer(corefile, setting, setting.args[2], f"{kind} MINTTL")
                min_ttls.append((kind, seconds, setting.line))
    stale_s, mode, stale_line = None, "immediate", None
    for setting in directive.settings("serve_stale"):
        stale_line = setting.line
        stale_s = DEFAULT_SERVE_STALE_S
        if setting.args:
            stale_s = parse_duration(setting.args[0], corefile.where(setting.line))
        if len(setting.args) > 1:
            mode = setting.args[1]
    return CachePolicy(server, directive.line, max_ttl, tuple(min_ttls), stale_s, mode,
                       stale_line)


def _integer(corefile: Corefile, setting: Directive, text: str, what: str) -> int:
    if not text.isdigit():
        raise CorefileError(corefile.where(setting.line), f"{what} {text!r} is not a number")
    return int(text)


_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0,
                 "h": 3600.0}


def parse_duration(text: str, where: str) -> float:
    """Seconds in a Go duration ("1h", "90s", "1h30m"); `CorefileError` when it is not one."""
    if text == "0":
        return 0.0
    position, total = 0, 0.0
    for match in _DURATION_PART.finditer(text):
        if match.start() != position:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        position = match.end()
    if position != len(text) or not text:
        raise CorefileError(where, f"{text!r} is not a duration (e.g. 1h, 30m, 90s)")
    return total
