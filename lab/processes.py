"""The lab's server processes: port checks, start, readiness, stop, status.

Each server is its own process with its own config, pid file and log in the run directory.
The servers daemonize themselves, so none is left a child of the Python process.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype

from lab.addresses import PORT
from lab.configs import Server
from lab.errors import LabError
from lab.tools import find

NEEDS_ROOT = (
    "needs root for port 53: run with sudo, or inside `unshare -rn` after `ip link set lo up`"
)
SERVER_PROGRAMS = ("nsd", "unbound", "dnsmasq")
ONLINE_SIGNER_MODULE = "lab.onlinesigner"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
READY_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 5.0
REAP_TIMEOUT_S = 3.0


def check_privilege(address: str) -> None:
    """Fail with the root hint before touching anything. The kernel checks the privilege of
    a low port before whether it is taken, so a running lab does not hide the answer."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.bind((address, PORT))
        except PermissionError as exc:
            raise LabError(NEEDS_ROOT) from exc
        except OSError:
            pass  # taken or unavailable: check_port_free names it after the teardown


def check_port_free(address: str) -> None:
    """Bind address:53 over UDP and TCP once, so a conflict is named before anything starts."""
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        proto = "udp" if kind == socket.SOCK_DGRAM else "tcp"
        with socket.socket(socket.AF_INET, kind) as sock:
            if kind == socket.SOCK_STREAM:
                # TIME_WAIT leftovers of the previous lab are not a conflict; a listener is
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((address, PORT))
            except PermissionError as exc:
                raise LabError(NEEDS_ROOT) from exc
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    raise LabError(
                        f"{address}:{PORT} ({proto}) is already taken: stop what listens there "
                        f"(`ss -lnp 'sport = :{PORT}'` shows it) or use another --prefix"
                    ) from exc
                if exc.errno == errno.EADDRNOTAVAIL:
                    raise LabError(
                        f"cannot bind {address}: address not available "
                        "(is loopback up? `ip link set lo up`)"
                    ) from exc
                raise LabError(f"cannot bind {address}:{PORT} ({proto}): {exc.strerror}") from exc


def log_tail(server: Server) -> str:
    """The end of a server's log on one line: its last errors if it logged any."""
    try:
        text = server.log_file.read_text(errors="replace")
    except FileNotFoundError:
        return "(no log written)"
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if "error" in line.lower() or "fatal" in line.lower()]
    tail = errors[-3:] if errors else lines[-5:]
    return " | ".join(tail) if tail else "(log is empty)"


def _command(server: Server) -> tuple[list[str], dict[str, str] | None]:
    """The command line that starts a server, and its environment (None: inherited)."""
    if server.kind == "onlinesigner":
        # this interpreter (it has dnspython), with the project root on the module path
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH", "")) if p)
        return [sys.executable, "-m", ONLINE_SIGNER_MODULE, "-c", str(server.conf)], env
    program = find(server.kind)
    return [program, "-C" if server.kind == "dnsmasq" else "-c", str(server.conf)], None


def start(server: Server) -> None:
    """Launch one server; it forks into the background once its sockets are bound."""
    argv, env = _command(server)
    with server.log_file.open("ab") as log:
        try:
            done = subprocess.run(
                argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, timeout=15, check=False,
                env=env,
            )
        except subprocess.TimeoutExpired as exc:
            raise LabError(f"{server.name} did not start within 15 s: {log_tail(server)}") from exc
    if done.returncode != 0:
        raise LabError(
            f"{server.name} ({server.address}) failed to start "
            f"(exit {done.returncode}): {log_tail(server)}"
        )


def _ask(address: str, qname: str, qtype: str, *, recursive: bool) -> dns.message.Message:
    query = dns.message.make_query(qname, qtype)
    if not recursive:
        query.flags &= ~dns.flags.RD
    return dns.query.udp(query, address, port=PORT, timeout=0.5)


def _not_ready(server: Server) -> str | None:
    """None once the server answers (an authoritative one: every zone, with the serial just
    built); else what is still wrong."""
    try:
        if server.kind in ("unbound", "dnsmasq"):
            _ask(server.address, ".", "SOA", recursive=True)
            return None
        for served in server.zones:
            reply = _ask(server.address, served.zone, "SOA", recursive=False)
            if reply.rcode() != dns.rcode.NOERROR or not reply.flags & dns.flags.AA:
                return f"{served.zone} SOA gets {dns.rcode.to_text(reply.rcode())}"
            soa = reply.find_rrset(
                reply.answer, reply.question[0].name, dns.rdataclass.IN, dns.rdatatype.SOA
            )
            if soa[0].serial != served.serial:
                return f"{served.zone} has serial {soa[0].serial}, not {served.serial}"
        return None
    except (dns.exception.DNSException, OSError, KeyError) as exc:
        return f"no answer ({exc.__class__.__name__})"


def wait_ready(servers: Sequence[Server], timeout_s: float = READY_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    pending = {s.name: (s, "not asked yet") for s in servers}
    while True:
        for name, (server, _) in list(pending.items()):
            problem = _not_ready(server)
            if problem is None:
                del pending[name]
            else:
                pending[name] = (server, problem)
        if not pending:
            return
        for server, _ in pending.values():
            pid = _pid_of(server)
            if pid is not None and not _alive(pid):
                raise LabError(f"{server.name} exited after start: {log_tail(server)}")
        if time.monotonic() > deadline:
            server, problem = next(iter(pending.values()))
            raise LabError(
                f"{server.name} ({server.address}) not ready after {timeout_s:.0f} s: "
                f"{problem}; log: {log_tail(server)}"
            )
        time.sleep(0.1)


def _alive(pid: int) -> bool:
    """True while the process exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    state = stat.rsplit(")", 1)[-1].split()[0]
    return state not in ("Z", "X")


def _cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [arg.decode(errors="replace") for arg in raw.split(b"\0") if arg]


def _is_server_program(argv: list[str]) -> bool:
    return bool(argv) and (Path(argv[0]).name in SERVER_PROGRAMS
                           or argv[1:3] == ["-m", ONLINE_SIGNER_MODULE])


def _lab_conf(pid: int, run_dir: Path) -> str | None:
    """The config path when the process is a lab server (nsd, unbound, dnsmasq or the online
    signer started with a config in run_dir), else None."""
    argv = _cmdline(pid)
    if not _is_server_program(argv):
        return None
    prefix = f"{run_dir}{os.sep}"
    return next((a for a in argv[1:] if a.startswith(prefix) and a.endswith(".conf")), None)


def _ours(pid: int, run_dir: Path) -> bool:
    return _lab_conf(pid, run_dir) is not None


def _pid_of(server: Server) -> int | None:
    try:
        return int(server.pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def lab_processes(run_dir: Path) -> dict[int, str]:
    """pid -> config file of every running lab server process (children included)."""
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        conf = _lab_conf(int(entry.name), run_dir)
        if conf is not None and _alive(int(entry.name)):
            found[int(entry.name)] = conf
    return found


def _signal_all(pids: Iterable[int], sig: signal.Signals) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def _wait_gone(pids: set[int], timeout_s: float) -> set[int]:
    deadline = time.monotonic() + timeout_s
    while pids and time.monotonic() < deadline:
        pids = {pid for pid in pids if _alive(pid)}
        if pids:
            time.sleep(0.05)
    return pids


def _wait_reaped(pids: set[int], timeout_s: float) -> None:
    """Give init a moment to reap the dead servers, so `ps` right after `down` is clean.
    Best effort: a zombie holds no socket, so one left over does no harm."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in pids):
        time.sleep(0.05)


def stop_all(run_dir: Path, *, wait_reaped: bool = True) -> list[str]:
    """Stop every lab server: the pids in the pid files, then any process of theirs left
    (NSD's children) found by its config path. Returns the names of what was stopped."""
    targets: dict[int, str] = {}
    for pid_file in sorted(run_dir.glob("*.pid")):
        try:
            pid = int(pid_file.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue
        if _ours(pid, run_dir) and _alive(pid):
            targets[pid] = pid_file.stem
    main_pids = set(targets)
    _signal_all(main_pids, signal.SIGTERM)
    _wait_gone(set(main_pids), STOP_TIMEOUT_S)
    for pid, conf in lab_processes(run_dir).items():
        targets.setdefault(pid, Path(conf).stem)
    leftover = {pid for pid in targets if _alive(pid)}
    _signal_all(leftover, signal.SIGTERM)
    leftover = _wait_gone(leftover, STOP_TIMEOUT_S)
    _signal_all(leftover, signal.SIGKILL)
    leftover = _wait_gone(leftover, STOP_TIMEOUT_S)
    if leftover:
        raise LabError(f"could not stop lab processes {sorted(leftover)}")
    if wait_reaped:
        _wait_reaped(set(targets), REAP_TIMEOUT_S)
    for pid_file in run_dir.glob("*.pid"):
        pid_file.unlink(missing_ok=True)
    return sorted(set(targets.values()))


def running(server_names: Iterable[str], run_dir: Path) -> dict[str, int | None]:
    """Server name -> pid while it runs, else None."""
    result: dict[str, int | None] = {}
    for name in server_names:
        pid_file = run_dir / f"{name}.pid"
        try:
            pid = int(pid_file.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            pid = None
        result[name] = pid if pid is not None and _ours(pid, run_dir) and _alive(pid) else None
    return result
