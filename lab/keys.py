"""DNSSEC keys made by dnssec-keygen, and DS records made by dnssec-dsfromkey."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lab.tools import CommandLog


@dataclass(frozen=True)
class Key:
    """A key pair on disk: `directory/basename.key` and `directory/basename.private`."""

    directory: Path  # relative to the run directory
    basename: str  # K<zone>+<alg>+<tag>
    dnskey_line: str  # the DNSKEY record, presentation format

    @property
    def public_file(self) -> Path:
        return self.directory / f"{self.basename}.key"


def generate(
    log: CommandLog,
    zone: str,
    directory: Path,
    *,
    algorithm: str,
    ksk: bool,
    ttl: int,
    bits: int | None = None,
) -> Key:
    (log.run_dir / directory).mkdir(parents=True, exist_ok=True)
    argv = ["dnssec-keygen", "-q", "-K", str(directory), "-a", algorithm, "-L", str(ttl)]
    if bits is not None:
        argv += ["-b", str(bits)]
    if ksk:
        argv += ["-f", "KSK"]
    argv += ["-n", "ZONE", zone]
    role = "KSK" if ksk else "ZSK"
    basename = log.run(argv, what=f"making a {algorithm} {role} for {zone}").strip()
    text = (log.run_dir / directory / f"{basename}.key").read_text()
    dnskey = next(line for line in text.splitlines() if line and not line.startswith(";"))
    return Key(directory=directory, basename=basename, dnskey_line=dnskey)


def ds_record(log: CommandLog, zone: str, key: Key, *, digest_type: int, ttl: int = 3600) -> str:
    """The DS line (`zone. TTL IN DS tag alg digest-type digest`) for a key."""
    digest = {1: "SHA-1", 2: "SHA-256"}[digest_type]
    out = log.run(
        ["dnssec-dsfromkey", "-a", digest, "-T", str(ttl), str(key.public_file)],
        what=f"computing the DS of {zone}",
    )
    return out.strip()
