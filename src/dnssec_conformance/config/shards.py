"""Shards: a stable, even share of the domains for each of N processes (a fleet).

A domain's shard is a jump consistent hash (Lamping and Veach, 2014) of its zone name: every
shard gets about 1/N of the domains, a domain keeps its shard however the list changes, and
going from N to N+1 shards moves only the ~1/(N+1) domains the new shard takes. The subjects
judged once per run (the bogus canaries, CoreDNS, this host's clock) belong to shard 0.

    --shard 2/4                       shard 2 of 4 (indexes 0..3)
    --shard auto                      from the environment of a Kubernetes Indexed Job:
                                      $JOB_COMPLETION_INDEX (set by Kubernetes) and
                                      $DNSSEC_SHARD_COUNT (set in the Job's pod template to
                                      its number of shards: Kubernetes exposes no count)

Without `--shard`, a process whose environment sets DNSSEC_SHARD_COUNT is a shard too.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

import dns.exception
import dns.name

from ..errors import ConformanceError

INDEX_ENV = "JOB_COMPLETION_INDEX"
COUNT_ENV = "DNSSEC_SHARD_COUNT"
RUN_ID_ENV = "DNSSEC_RUN_ID"
MAX_SHARDS = 10_000
PLACEHOLDER = "{shard}"
OWNER_OF_RUN_SUBJECTS = 0  # canaries, CoreDNS and the local clock
_SPEC = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


class ShardError(ConformanceError):
    """A shard specification that cannot be used; one line."""


@dataclass(frozen=True)
class Shard:
    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    @property
    def label(self) -> str:
        return f"shard {self.index} of {self.count}"

    def owns_domain(self, name: str) -> bool:
        return shard_of(name, self.count) == self.index

    @property
    def owns_run_subjects(self) -> bool:
        return self.index == OWNER_OF_RUN_SUBJECTS


def zone_key(name: str) -> int:
    """64 bits of SHA-256 of the canonical zone name (lower case, absolute): the same on
    every machine and Python (hash() is salted per process)."""
    try:
        canonical = dns.name.from_text(name).canonicalize().to_text()
    except dns.exception.DNSException:
        canonical = name.lower().rstrip(".") + "."
    return int.from_bytes(hashlib.sha256(canonical.encode()).digest()[:8], "big")


def jump_hash(key: int, buckets: int) -> int:
    """Lamping and Veach's jump consistent hash: a bucket in [0, buckets)."""
    bucket, candidate = -1, 0
    while candidate < buckets:
        bucket = candidate
        key = (key * 2862933555777941757 + 1) & 0xFFFFFFFFFFFFFFFF
        candidate = int((bucket + 1) * (float(1 << 31) / float((key >> 33) + 1)))
    return bucket


def shard_of(name: str, count: int) -> int:
    return jump_hash(zone_key(name), count) if count > 1 else 0


def parse(text: str) -> Shard:
    """`I/N` with 0 <= I < N."""
    found = _SPEC.fullmatch(text)
    if not found:
        raise ShardError(f"--shard {text!r}: write INDEX/COUNT, e.g. 0/4 (or auto)")
    return _checked(int(found.group(1)), int(found.group(2)), f"--shard {text}")


def _checked(index: int, count: int, source: str) -> Shard:
    if not 1 <= count <= MAX_SHARDS:
        raise ShardError(f"{source}: the number of shards must be 1 to {MAX_SHARDS}")
    if not 0 <= index < count:
        raise ShardError(f"{source}: shard index {index} is not in 0..{count - 1}")
    return Shard(index, count)


def from_environment(environ: Mapping[str, str] = os.environ) -> Shard:
    """The shard of a pod of a Kubernetes Indexed Job."""
    count_text = environ.get(COUNT_ENV, "").strip()
    index_text = environ.get(INDEX_ENV, "").strip()
    if not count_text:
        raise ShardError(f"--shard auto: ${COUNT_ENV} is not set (set it in the Job's pod "
                         "template to the number of shards, as in k8s-fleet.yaml)")
    if not index_text:
        raise ShardError(f"--shard auto: ${INDEX_ENV} is not set (Kubernetes sets it in the "
                         "pods of an Indexed Job: completionMode: Indexed)")
    if not count_text.isdigit() or not index_text.isdigit():
        raise ShardError(f"--shard auto: ${INDEX_ENV}={index_text!r} and "
                         f"${COUNT_ENV}={count_text!r} must be whole numbers")
    return _checked(int(index_text), int(count_text),
                    f"${INDEX_ENV}={index_text}, ${COUNT_ENV}={count_text}")


def configured(option: str | None, environ: Mapping[str, str] = os.environ) -> Shard | None:
    """The shard of this process: `--shard`, else the Indexed Job's environment when
    DNSSEC_SHARD_COUNT is set; None: not sharded."""
    if option is not None and option.strip().lower() != "auto":
        return parse(option)
    if option is not None or environ.get(COUNT_ENV, "").strip():
        return from_environment(environ)
    return None


def run_id(environ: Mapping[str, str] = os.environ) -> str | None:
    """What ties the shards of one run together (the Job's name, in the fleet manifest)."""
    return environ.get(RUN_ID_ENV, "").strip() or None


def place(path: str, shard: Shard) -> str:
    """An output path of a shard: `{shard}` replaced by its index."""
    return path.replace(PLACEHOLDER, str(shard.index))
