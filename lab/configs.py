"""The lab's servers as data (which program, which address, which zones) and their configs."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from lab.addresses import PORT

Kind = Literal["nsd", "unbound", "dnsmasq", "onlinesigner"]


@dataclass(frozen=True)
class ServedZone:
    zone: str
    file: Path  # absolute
    serial: int
    # NSD `provide-xfr` lines: who may transfer the zone ("127.0.0.0/8 NOKEY", or a key name)
    provide_xfr: tuple[str, ...] = ()


@dataclass(frozen=True)
class Server:
    name: str  # nsd-root, unbound-validating, ...: names its files in the run directory
    role: str  # root, tld, ns1, ns2, validating, nonvalidating, forwarder
    kind: Kind
    address: str
    run_dir: Path
    zones: tuple[ServedZone, ...] = ()  # NSD and the online signer
    validating: bool = False  # Unbound only
    trust_anchor_file: Path | None = None
    root_hints_file: Path | None = None
    upstream: str | None = None  # dnsmasq only: the resolver it forwards to
    # NSD only: the TSIG key zones may be transferred with, (name, algorithm, base64 secret)
    tsig_key: tuple[str, str, str] | None = field(default=None, repr=False)

    @property
    def conf(self) -> Path:
        return self.run_dir / f"{self.name}.conf"

    @property
    def pid_file(self) -> Path:
        return self.run_dir / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        return self.run_dir / f"{self.name}.log"

    @property
    def state_dir(self) -> Path:
        return self.run_dir / self.name


def nsd_conf(server: Server) -> str:
    state = server.state_dir
    lines = [
        "server:",
        f"    ip-address: {server.address}",
        f"    port: {PORT}",
        "    do-ip4: yes",
        "    do-ip6: no",
        '    username: ""',
        '    chroot: ""',
        '    database: ""',
        f'    zonelistfile: "{state}/zone.list"',
        f'    xfrdfile: "{state}/xfrd.state"',
        f'    xfrdir: "{state}"',
        f'    pidfile: "{server.pid_file}"',
        f'    logfile: "{server.log_file}"',
        "    server-count: 1",
        "    verbosity: 1",
        "    hide-version: yes",
        f'    identity: "{server.role}"',
        "    refuse-any: yes",
        "",
        "remote-control:",
        "    control-enable: no",
    ]
    if server.tsig_key is not None:
        name, algorithm, secret = server.tsig_key
        lines += ["", "key:", f'    name: "{name}"', f"    algorithm: {algorithm}",
                  f'    secret: "{secret}"']
    for served in server.zones:
        lines += ["", "zone:", f'    name: "{served.zone}"', f'    zonefile: "{served.file}"']
        lines += [f"    provide-xfr: {acl}" for acl in served.provide_xfr]
    return "\n".join(lines) + "\n"


def unbound_conf(server: Server) -> str:
    lines = [
        "server:",
        f"    interface: {server.address}",
        f"    port: {PORT}",
        f"    outgoing-interface: {server.address}",
        "    do-ip4: yes",
        "    do-ip6: no",
        "    do-udp: yes",
        "    do-tcp: yes",
        '    username: ""',
        '    chroot: ""',
        f'    directory: "{server.state_dir}"',
        f'    pidfile: "{server.pid_file}"',
        f'    logfile: "{server.log_file}"',
        "    use-syslog: no",
        "    log-time-ascii: yes",
        "    verbosity: 1",
        "    num-threads: 1",
        "    so-reuseport: no",
        # the lab's authoritative servers are all on 127.0.0.0/8
        "    do-not-query-localhost: no",
        "    access-control: 127.0.0.0/8 allow",
        # test. is an RFC 6761 name that Unbound answers locally unless told not to
        '    local-zone: "test." nodefault',
        "    trust-anchor-signaling: no",
        f'    root-hints: "{server.root_hints_file}"',
    ]
    if server.validating:
        lines += [
            '    module-config: "validator iterator"',
            f'    trust-anchor-file: "{server.trust_anchor_file}"',
            "    val-log-level: 2",
            "    log-servfail: yes",
        ]
    else:
        lines.append('    module-config: "iterator"')
    lines += ["", "remote-control:", "    control-enable: no"]
    return "\n".join(lines) + "\n"


def dnsmasq_conf(server: Server) -> str:
    """A forwarder to `upstream` that passes CD on but clears the AD flag of every answer:
    without `proxy-dnssec` that is what dnsmasq does. No cache, so that every answer is the
    upstream's."""
    lines = [
        f"port={PORT}",
        f"listen-address={server.address}",
        "bind-interfaces",
        "no-resolv",
        "no-hosts",
        f"server={server.upstream}",
        "cache-size=0",
        # stay root, as the other lab servers do: there may be no unprivileged user to become
        "user=root",
        f"pid-file={server.pid_file}",
        f"log-facility={server.log_file}",
    ]
    return "\n".join(lines) + "\n"


def onlinesigner_conf(server: Server) -> str:
    """lab/onlinesigner.py's config: where to listen and log, and each zone's spec."""
    config = {
        "address": server.address,
        "port": PORT,
        "pidfile": str(server.pid_file),
        "logfile": str(server.log_file),
        "zones": [json.loads(served.file.read_text()) for served in server.zones],
    }
    return json.dumps(config, indent=2) + "\n"


def write_config(server: Server) -> None:
    server.state_dir.mkdir(parents=True, exist_ok=True)
    writers = {"nsd": nsd_conf, "unbound": unbound_conf, "dnsmasq": dnsmasq_conf,
               "onlinesigner": onlinesigner_conf}
    text = writers[server.kind](server)
    server.conf.write_text(text)
