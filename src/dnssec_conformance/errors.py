"""The exceptions of dnssec-conformance, all under one root."""

from __future__ import annotations


class ConformanceError(Exception):
    """Root of every exception this package raises on purpose."""


class ConfigError(ConformanceError):
    """A domains.yaml (or a file it names) that cannot be used.

    The message is one line naming the file, the line and the key, ready to show a user.
    """

    def __init__(self, path: str, message: str, line: int | None = None, key: str | None = None):
        self.path = path
        self.line = line
        self.key = key
        self.detail = message
        where = path if line is None else f"{path}:{line}"
        what = f"{key}: {message}" if key else message
        super().__init__(one_line(f"{where}: {what}"))


def one_line(text: str) -> str:
    """`text` with every line break shown escaped: a message that is one line stays one."""
    return "".join(repr(c)[1:-1] if c in _LINE_BREAKS else c for c in text)


_LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")


class TrustAnchorError(ConformanceError):
    """A trust-anchor file that is missing, unreadable or holds no usable DS/DNSKEY record.

    The message is one line, starting with the file (and the line, where there is one)."""

    def __init__(self, message: str):
        super().__init__(one_line(message))


class NotApplicable(ConformanceError):
    """Raised by a check that has nothing to judge (its input is not configured)."""


class StateError(ConformanceError):
    """A state file that cannot be used; the message says why."""


class CorefileError(ConformanceError):
    """A CoreDNS Corefile (or the ConfigMap that holds it) that cannot be parsed.

    The message is one line naming the file and the line, ready to show a user.
    """

    def __init__(self, where: str, what: str):
        self.where = where
        self.what = what
        super().__init__(f"{where}: {what}")
