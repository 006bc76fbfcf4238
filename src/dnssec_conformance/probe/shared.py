"""Work done once per run and shared by every zone that needs it (a delegation, an ancestor's
keys, a name server's addresses), without ever waiting in a circle.

Each key is computed in a task of its own; concurrent askers wait for that task. A hostile or
broken delegation can make two computations wait for each other (glueless name servers that
live in each other's zones): before waiting, the graph of who waits for what is followed, and a
wait that would close a cycle raises `CircularWait` instead of hanging until a timeout. The
graph spans every `SharedWork` of the event loop (a cycle runs through locations, steps and
addresses alike), and its nodes are (work, key) pairs: a name's addresses waiting for the same
name's location is no cycle.
"""

from __future__ import annotations

import asyncio
import contextvars
import weakref
from collections import Counter
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

from ..errors import ConformanceError

T = TypeVar("T")

# The (work, key) whose computation the running code belongs to (inherited by the tasks it
# starts), and, per event loop, who waits for whom.
_ACTOR: contextvars.ContextVar[Hashable | None] = contextvars.ContextVar("actor", default=None)
_WAITS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[Hashable, Counter[Hashable]]] \
    = weakref.WeakKeyDictionary()


class CircularWait(ConformanceError):
    """Waiting for this key would, through other computations, wait for ourselves."""


class SharedWork(Generic[T]):
    def __init__(self) -> None:
        self._tasks: dict[Hashable, asyncio.Task[T]] = {}

    async def get(self, key: Hashable, compute: Callable[[], Awaitable[T]]) -> T:
        node = (id(self), key)
        task = self._tasks.get(key)
        if task is None:
            async def run() -> T:
                _ACTOR.set(node)
                return await compute()

            task = asyncio.ensure_future(run())
            self._tasks[key] = task
        if task.done():
            return task.result()
        me = _ACTOR.get()
        waits = _WAITS.setdefault(asyncio.get_running_loop(), {})
        if me is not None:
            if me == node or _reaches(waits, node, me):
                raise CircularWait(key)
            waits.setdefault(me, Counter())[node] += 1
        try:
            # Shielded: one waiter given up (its zone out of time) must not cancel the work
            # that other zones wait for.
            return await asyncio.shield(task)
        finally:
            if me is not None:
                mine = waits[me]
                mine[node] -= 1
                if mine[node] <= 0:
                    del mine[node]
                if not mine:
                    del waits[me]


def _reaches(waits: dict[Hashable, Counter[Hashable]], start: Hashable,
             target: Hashable) -> bool:
    stack, seen = [start], set()
    while stack:
        node = stack.pop()
        if node == target:
            return True
        if node in seen:
            continue
        seen.add(node)
        stack.extend(waits.get(node, ()))
    return False
