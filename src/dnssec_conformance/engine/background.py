"""The engine (`runner.Run`) off pytest's thread: probing and judging overlap test execution.

Records flow one way, as each subject is judged; wanted subjects flow the other way (all of
them up front in one process; one at a time, as tests ask, on an xdist worker). Two ways to
run it, the same protocol:

- `"thread"`: an event loop in a thread of this process. Cheap to start; its CPU time competes
  with pytest's for the interpreter lock.
- `"process"`: a separate process (spawned): a second core judges while pytest reports, which
  is what makes a run of thousands of domains cost little more than pytest itself.

`records(subject)` blocks until the subject is judged. An engine that fails outright makes
every lookup raise `EngineError` with its reason, so every test still ends with an outcome.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import threading
import traceback
from collections.abc import AsyncIterator, Iterable
from multiprocessing.connection import Connection
from typing import Any, Literal

from ..errors import ConformanceError
from .runner import Records, Run, RunRequest, RunStats, Subject

Mode = Literal["thread", "process"]


class EngineError(ConformanceError):
    """The engine stopped before judging a subject; the message says why."""


class _Mailbox:
    """Records received so far, and the engine's end (its stats, or why it failed)."""

    def __init__(self) -> None:
        self._records: dict[Subject, Records] = {}
        self._changed = threading.Condition()
        self.stats: RunStats | None = None
        self.failure: str | None = None
        self.finished = False

    def put(self, subject: Subject, records: Records) -> None:
        with self._changed:
            self._records[subject] = records
            self._changed.notify_all()

    def end(self, stats: RunStats | None, failure: str | None) -> None:
        with self._changed:
            self.stats, self.failure, self.finished = stats, failure, True
            self._changed.notify_all()

    def get(self, subject: Subject) -> Records:
        with self._changed:
            while subject not in self._records:
                if self.finished:
                    raise EngineError(self.failure or f"the engine ended without judging "
                                                      f"{subject.name}")
                self._changed.wait()
            return self._records[subject]

    def wait_end(self, timeout: float | None = None) -> None:
        with self._changed:
            self._changed.wait_for(lambda: self.finished, timeout)


# What the engine is sent: a subject to judge; END: nothing more will be asked (judge what
# was asked, then end); STOP: end now (judge nothing more than what is done).
END, STOP = None, "stop"
Wanted = Subject | str | None


async def _wanted(queue: asyncio.Queue[Wanted], run: Run) -> AsyncIterator[Subject]:
    while True:
        item = await queue.get()
        if item == STOP:
            run.cancel()
            return
        if not isinstance(item, Subject):
            return
        yield item


class Engine:
    """Starts the engine in the chosen mode; `want`, then `records`; `finish` at the end."""

    def __init__(self, request: RunRequest, mode: Mode = "thread"):
        self.request = request
        self.mode = mode
        self.mailbox = _Mailbox()
        self._wanted: set[Subject] = set()
        self._lock = threading.Lock()
        if mode == "thread":
            self._start_thread()
        else:
            self._start_process()

    # --- the two ways to run ----------------------------------------------------------------

    def _start_thread(self) -> None:
        ready = threading.Event()

        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._queue: asyncio.Queue[Wanted] = asyncio.Queue()
            ready.set()
            run = Run(self.request, self.mailbox.put)
            self.mailbox.end(await run.run(_wanted(self._queue, run)), None)

        def target() -> None:
            try:
                asyncio.run(main())
            except BaseException as exc:  # any failure must reach the waiting tests
                self.mailbox.end(None, _reason(exc))
                ready.set()

        self._thread = threading.Thread(target=target, name="dnssec-engine", daemon=True)
        self._thread.start()
        ready.wait()

    def _start_process(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_process_main, args=(self.request, child),
                                        name="dnssec-engine", daemon=True)
        self._process.start()
        child.close()
        self._reader = threading.Thread(target=self._read, name="dnssec-engine-reader",
                                        daemon=True)
        self._reader.start()

    def _read(self) -> None:
        try:
            while True:
                kind, *payload = self._conn.recv()
                if kind == "records":
                    self.mailbox.put(*payload)
                elif kind == "end":
                    self.mailbox.end(*payload)
                    return
        except (EOFError, OSError) as exc:
            self.mailbox.end(None, f"the engine process stopped ({exc.__class__.__name__}, "
                                   f"exit code {self._process.exitcode})")

    # --- the protocol -----------------------------------------------------------------------

    def want(self, subjects: Iterable[Subject]) -> None:
        with self._lock:
            fresh = [s for s in subjects if s not in self._wanted]
            self._wanted.update(fresh)
        for subject in fresh:
            self._send(subject)

    def records(self, subject: Subject) -> Records:
        self.want([subject])
        return self.mailbox.get(subject)

    def finish(self, *, complete: bool = True, timeout: float | None = None
               ) -> RunStats | None:
        """No more subjects: let the engine end and wait for it (it writes its snapshot).
        `complete`: judge every subject asked for first; else (the tests ended early) only
        what is done. Past `timeout` the engine is stopped as it is."""
        self._send(END if complete else STOP)
        self.mailbox.wait_end(timeout)
        if not self.mailbox.finished:
            self.stop()
        elif self.mode == "process":
            self._process.join(timeout=5)
        return self.mailbox.stats

    def stop(self) -> None:
        """End now, whatever it is doing (its snapshot is not written)."""
        if self.mode == "process" and self._process.is_alive():
            self._process.terminate()
        elif self.mode == "thread" and not self.mailbox.finished:
            self._send(STOP)

    def _send(self, item: Wanted) -> None:
        if self.mailbox.finished:
            return
        if self.mode == "thread":
            self._loop.call_soon_threadsafe(self._queue.put_nowait, item)
        else:
            with contextlib.suppress(OSError, ValueError):  # gone: the reader says why
                self._conn.send(item)


def _process_main(request: RunRequest, conn: Connection) -> None:
    """The engine process: subjects in, records out, until told there is nothing more."""
    async def main() -> RunStats:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Wanted] = asyncio.Queue()

        def receive() -> None:
            try:
                while True:
                    item = conn.recv()
                    loop.call_soon_threadsafe(queue.put_nowait, item)
                    if not isinstance(item, Subject):
                        return
            except (EOFError, OSError):
                loop.call_soon_threadsafe(queue.put_nowait, STOP)  # the parent is gone

        threading.Thread(target=receive, daemon=True).start()
        run = Run(request, lambda s, r: conn.send(("records", s, r)))
        return await run.run(_wanted(queue, run))

    try:
        stats = asyncio.run(main())
    except BaseException as exc:
        conn.send(("end", None, _reason(exc)))
        return
    conn.send(("end", stats, None))


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ConformanceError):
        return str(exc)
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    place = f" at {frame.filename}:{frame.lineno}" if frame else ""
    return f"the engine failed: {exc.__class__.__name__}: {exc}{place}"


def describe(stats: RunStats | None) -> dict[str, Any]:
    if stats is None:
        return {}
    return {"zones": stats.zones, "queries": stats.queries.queries,
            "tcp_queries": stats.queries.tcp, "timeouts": stats.queries.timeouts}
