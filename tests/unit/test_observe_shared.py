"""One /run/netns watch and one tick per loop: names go to the observer of their sandbox only."""

from __future__ import annotations

import asyncio

from netcore.observe.shared import LoopServices


class Member:
    def __init__(self, sandbox: str) -> None:
        self.sandbox = sandbox
        self.calls: list = []

    def on_namespaces(self, changed, complete) -> None:
        self.calls.append((changed, complete))

    def on_tick(self) -> None:
        self.calls.append("tick")


class FakeDirWatch:
    lost = False

    def __init__(self, names) -> None:
        self.names = names

    def read(self):
        return self.names


def services_with(*members: Member) -> LoopServices:
    services = LoopServices(asyncio.new_event_loop())
    for member in members:
        services.members[member.sandbox].append(member)
    return services


def test_a_namespace_event_reaches_only_the_observer_of_its_sandbox():
    s1, s2 = Member("s1"), Member("s2")
    services = services_with(s1, s2)
    services.dir_watch = FakeDirWatch(["pp-s1-c1", "pp-s1-c2", "pp-s3-x", "not-ours", "pp-s10-c1"])
    services._on_dir_event()
    assert s1.calls == [(["pp-s1-c1", "pp-s1-c2"], False)] and s2.calls == []
    services.loop.close()


def test_lost_events_make_every_observer_look_at_everything():
    s1, s2 = Member("s1"), Member("s2")
    services = services_with(s1, s2)
    services.dir_watch = FakeDirWatch(None)
    services._on_dir_event()
    assert s1.calls == [(None, True)] and s2.calls == [(None, True)]
    services.loop.close()


def test_one_tick_serves_every_observer():
    s1, s2 = Member("s1"), Member("s2")
    services = services_with(s1, s2)
    services._on_tick()
    assert s1.calls == ["tick"] and s2.calls == ["tick"]
    services.timers["tick"].cancel()
    services.loop.close()
