"""Keeping provider credentials out of every message and log.

The SDKs log at DEBUG what they send: botocore the signed headers (an STS session token
among them), urllib3 and httplib2 the request lines, google-auth token exchanges. While a
provider is read, every record of those loggers is scrubbed of the credentials in use and of
anything that looks like an authorization header or a token field; and every message this
package builds from an SDK's error goes through `scrub` too.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

REDACTED = "***"
LIBRARY_LOGGERS = ("botocore", "boto3", "urllib3", "requests", "google", "googleapiclient",
                   "google_auth_httplib2", "httplib2")
# A header or JSON field that carries a credential, whatever the credential is.
SECRET_FIELDS = re.compile(
    r"""(?ix)
    ( (?:authorization|x-amz-security-token|x-auth-key|x-auth-email|proxy-authorization)
      ['"]?\s*[:=]\s*b?['"]?
    | "(?:access_token|refresh_token|id_token|private_key|client_secret|assertion)"\s*:\s*"
    | \b(?:bearer|basic)\s+
    | (?:X-Amz-Credential|X-Amz-Signature|X-Amz-Security-Token)=
    )
    [^'",&\s}]+
    """)
# Shorter pieces than this cannot be a credential, and replacing them would maul the text.
MIN_SECRET_CHARS = 8

SecretSource = Callable[[], Iterable[str]]


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` without the given secrets and without credential-carrying fields."""
    for secret in sorted({s for s in secrets if s and len(s) >= MIN_SECRET_CHARS},
                         key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return SECRET_FIELDS.sub(lambda m: m.group(1) + REDACTED, text)


class _ScrubFilter(logging.Filter):
    def __init__(self, secrets: SecretSource):
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a record whose arguments do not fit its format
            message = str(record.msg)
        clean = scrub(message, self.secrets())
        if clean != message or record.args:
            record.msg, record.args = clean, ()
        if record.exc_info:  # a traceback's text could quote a request: keep only its type
            kind = record.exc_info[0].__name__ if record.exc_info[0] else "exception"
            record.msg, record.exc_info, record.exc_text = f"{clean} ({kind})", None, None
        return True


@contextmanager
def library_logs_scrubbed(secrets: SecretSource,
                          libraries: Iterable[str] = LIBRARY_LOGGERS) -> Iterator[None]:
    """While a provider is read (or metrics are sent): every record of the libraries'
    loggers, at any depth, scrubbed. A filter sees only its own logger's records, hence one
    on each existing logger."""
    libraries = tuple(libraries)
    names = {n for n in logging.root.manager.loggerDict
             if n.split(".")[0] in libraries} | set(libraries)
    scrub_filter = _ScrubFilter(secrets)
    loggers = [logging.getLogger(name) for name in sorted(names)]
    for logger in loggers:
        logger.addFilter(scrub_filter)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(scrub_filter)
