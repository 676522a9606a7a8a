"""A subscriber's end of an observer: the snapshot it starts from and the deltas that follow, in order.

Deltas wait in the subscription until read, so a slow reader never holds up the observer; one that
falls more than ``limit`` deltas behind is cut off (``SubscriberLagged``) and must take a new
snapshot, the way a Zulip client whose event queue expired registers again.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import TYPE_CHECKING

from netcore.observe.deltas import Delta
from netcore.observe.model import SandboxState

if TYPE_CHECKING:
    from netcore.observe.observer import SandboxObserver


class SubscriberLagged(Exception):
    """The subscriber read too slowly and missed deltas: take a new snapshot and subscribe again."""


class Subscription:
    """Deltas numbered ``after + 1, after + 2, ...``; ``snapshot`` is the state at ``after`` (if taken here)."""

    def __init__(self, observer: SandboxObserver, after: int, snapshot: SandboxState | None, limit: int) -> None:
        self.observer = observer
        self.after = after
        self.snapshot = snapshot
        self._limit = limit
        self._queue: deque[Delta] = deque()
        self._waiter: asyncio.Future | None = None
        self._closed = False
        self._lagged = False

    # -- the observer's side ----------------------------------------------------------------------

    def push(self, delta: Delta) -> None:
        if self._closed or self._lagged:
            return
        if len(self._queue) >= self._limit:
            self._queue.clear()
            self._lagged = True
            # Leave later: the observer is in the middle of emitting, and leaving may stop it.
            asyncio.get_running_loop().call_soon(self.observer.unsubscribe, self)
            self._wake()
            return
        self._queue.append(delta)
        self._wake()

    def end(self) -> None:
        """No more deltas will come (the subscription was closed or the observer stopped)."""
        self._closed = True
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    # -- the subscriber's side --------------------------------------------------------------------

    @property
    def pending(self) -> int:
        return len(self._queue)

    def get_nowait(self) -> Delta | None:
        if self._lagged:
            raise SubscriberLagged(f"subscriber of {self.observer.sandbox} fell more than {self._limit} deltas behind")
        return self._queue.popleft() if self._queue else None

    async def get(self) -> Delta:
        """Return the next delta, waiting for it; raise StopAsyncIteration once closed and drained."""
        while True:
            delta = self.get_nowait()
            if delta is not None:
                return delta
            if self._closed:
                raise StopAsyncIteration
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Delta:
        return await self.get()

    def close(self) -> None:
        """Leave; the observer stops (closing every socket) when its last subscriber leaves."""
        self.observer.unsubscribe(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()
