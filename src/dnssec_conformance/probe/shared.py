"""Work done once per run and shared by every zone that needs it (a delegation, an ancestor's
keys, a name server's addresses), without ever waiting in a circle.

Each key is computed in a task of its own; concurrent askers wait for that task. A hostile or
broken delegation can make two computations wait for each other (glueless name servers that
live in each other's zones): before waiting, the graph of who waits for what is followed, and a
wait that would close a cycle raises `CircularWait` instead of hanging until a timeout.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections import Counter
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")

# The key whose computation the running code belongs to (inherited by the tasks it starts).
_ACTOR: contextvars.ContextVar[Hashable | None] = contextvars.ContextVar("actor", default=None)


class CircularWait(Exception):
    """Waiting for this key would, through other computations, wait for ourselves."""


class SharedWork(Generic[T]):
    def __init__(self) -> None:
        self._tasks: dict[Hashable, asyncio.Task[T]] = {}
        self._waits: dict[Hashable, Counter[Hashable]] = {}

    async def get(self, key: Hashable, compute: Callable[[], Awaitable[T]]) -> T:
        task = self._tasks.get(key)
        if task is None:
            async def run() -> T:
                _ACTOR.set(key)
                return await compute()

            task = asyncio.ensure_future(run())
            self._tasks[key] = task
        if task.done():
            return task.result()
        me = _ACTOR.get()
        if me is not None:
            if me == key or self._reaches(key, me):
                raise CircularWait(key)
            self._waits.setdefault(me, Counter())[key] += 1
        try:
            # Shielded: one waiter given up (its zone out of time) must not cancel the work
            # that other zones wait for.
            return await asyncio.shield(task)
        finally:
            if me is not None:
                waits = self._waits[me]
                waits[key] -= 1
                if waits[key] <= 0:
                    del waits[key]

    def _reaches(self, start: Hashable, target: Hashable) -> bool:
        stack, seen = [start], set()
        while stack:
            key = stack.pop()
            if key == target:
                return True
            if key in seen:
                continue
            seen.add(key)
            stack.extend(self._waits.get(key, ()))
        return False
