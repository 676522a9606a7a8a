"""What every observer on one event loop shares: the /run/netns watch and listing, and the tick.

An agent observes many sandboxes at once. One inotify watch, one periodic listing of /run/netns and
one one-second timer serve all of them, whatever their number: a namespace created anywhere wakes the
loop once (not once per observer) and only the observer whose sandbox it belongs to looks further; an
idle loop wakes once a second for every observer's counters, not once per observer.
"""

from __future__ import annotations

import asyncio
import logging
import os
import weakref
from collections import defaultdict
from typing import Protocol

from netcore import names
from netcore.observe.discovery import NetnsDirWatch

log = logging.getLogger(__name__)
TICK = 1.0  # counters at most once a second
RESCAN = 5.0  # the backstop listing of /run/netns, should inotify miss something


class Member(Protocol):
    sandbox: str

    def on_namespaces(self, changed: list[str] | None, complete: bool) -> None:
        """Namespaces of the sandbox came or went.

        ``complete``: ``changed`` holds every namespace of the sandbox (or None: list them); otherwise
        only the names inotify reported.
        """

    def on_tick(self) -> None:
        """Once a second."""


class LoopServices:
    """The shared watch and timers of one loop; they run while at least one observer is a member."""

    _by_loop: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    @classmethod
    def of(cls, loop: asyncio.AbstractEventLoop) -> LoopServices:
        services = cls._by_loop.get(loop)
        if services is None:
            services = cls._by_loop[loop] = cls(loop)
        return services

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.members: dict[str, list[Member]] = defaultdict(list)  # by sandbox
        self.dir_watch: NetnsDirWatch | None = None
        self.timers: dict[str, asyncio.TimerHandle] = {}

    def join(self, member: Member) -> None:
        first = not self.members
        self.members[member.sandbox].append(member)
        if first:
            self._watch_dir()
            self.timers["tick"] = self.loop.call_later(TICK, self._on_tick)
            self.timers["rescan"] = self.loop.call_later(RESCAN, self._on_rescan)

    def leave(self, member: Member) -> None:
        same = self.members.get(member.sandbox, [])
        if member in same:
            same.remove(member)
            if not same:
                del self.members[member.sandbox]
        if not self.members:
            for timer in self.timers.values():
                timer.cancel()
            self.timers.clear()
            self._close_dir()

    def _watch_dir(self) -> None:
        self._close_dir()
        try:
            self.dir_watch = NetnsDirWatch()
        except OSError as error:
            log.info("no inotify on /run/netns (%s): hosts are found by listing it every %.0f s", error, RESCAN)
            return
        self.loop.add_reader(self.dir_watch.fileno(), self._on_dir_event)

    def _close_dir(self) -> None:
        if self.dir_watch is not None:
            self.loop.remove_reader(self.dir_watch.fileno())
            self.dir_watch.close()
            self.dir_watch = None

    def _on_dir_event(self) -> None:
        if self.dir_watch is None:
            return  # closed while the event was queued
        changed = self.dir_watch.read()
        if changed is None:  # events were lost: everyone looks at everything
            for member in [m for same in self.members.values() for m in same]:
                guarded(member.on_namespaces, None, True)
            return
        by_sandbox: dict[str, list[str]] = defaultdict(list)
        for name in changed:
            parts = names.split_netns_name(name)
            if parts is not None and parts[0] in self.members:
                by_sandbox[parts[0]].append(name)
        for sandbox, changed_here in by_sandbox.items():
            for member in list(self.members.get(sandbox, ())):
                guarded(member.on_namespaces, changed_here, False)

    def _on_tick(self) -> None:
        self.timers["tick"] = self.loop.call_later(TICK, self._on_tick)
        for member in [m for same in self.members.values() for m in same]:
            guarded(member.on_tick)

    def _on_rescan(self) -> None:
        self.timers["rescan"] = self.loop.call_later(RESCAN, self._on_rescan)
        if self.dir_watch is None or self.dir_watch.lost:
            self._watch_dir()
        by_sandbox: dict[str, list[str]] = defaultdict(list)
        try:
            listing = os.listdir(names.NETNS_DIR)
        except FileNotFoundError:
            listing = []
        for name in listing:
            parts = names.split_netns_name(name)
            if parts is not None:
                by_sandbox[parts[0]].append(name)
        for sandbox, same in list(self.members.items()):
            for member in list(same):
                guarded(member.on_namespaces, by_sandbox.get(sandbox, []), True)


def guarded(work, *args) -> None:
    """Run a callback; log its failure instead of letting it escape into the loop (and repeat)."""
    try:
        work(*args)
    except Exception:
        log.exception("observer callback %s failed", getattr(work, "__qualname__", work))
