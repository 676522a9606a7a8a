"""A subscription hands out deltas in order, ends when closed, and cuts off a reader that falls behind."""

from __future__ import annotations

import asyncio

import pytest

from netcore.observe.deltas import LinkRemoved
from netcore.observe.subscription import SubscriberLagged, Subscription


class FakeObserver:
    sandbox = "s1"

    def __init__(self) -> None:
        self.left: list[Subscription] = []

    def unsubscribe(self, sub: Subscription) -> None:
        self.left.append(sub)
        sub.end()


def delta(seq: int) -> LinkRemoved:
    return LinkRemoved(host="c1", index=seq, seq=seq)


def test_deltas_come_out_in_order_and_the_iteration_ends_after_close():
    async def scenario():
        observer = FakeObserver()
        sub = Subscription(observer, 0, None, limit=10)
        got = []

        async def read():
            async for d in sub:
                got.append(d.seq)

        reader = asyncio.ensure_future(read())
        await asyncio.sleep(0)
        for seq in (1, 2, 3):
            sub.push(delta(seq))
            await asyncio.sleep(0)
        sub.close()
        await asyncio.wait_for(reader, 1)
        assert got == [1, 2, 3] and observer.left == [sub]

    asyncio.run(scenario())


def test_a_reader_that_falls_behind_is_cut_off_and_told_so():
    async def scenario():
        observer = FakeObserver()
        sub = Subscription(observer, 0, None, limit=3)
        for seq in range(1, 6):
            sub.push(delta(seq))
        await asyncio.sleep(0)  # the observer is left on the next loop turn
        assert observer.left == [sub]
        with pytest.raises(SubscriberLagged):
            await sub.get()

    asyncio.run(scenario())
