"""SandboxObserver: the kernel state of one sandbox, live, as a snapshot and a stream of numbered deltas.

It runs on an asyncio loop only while something watches: the first subscriber starts it (every
namespace's sockets opened, everything read once), the last one to leave stops it (every socket and
fd closed: they pin namespaces). What wakes it:

- rtnetlink events of a host (the loop's reader on the host's event socket): links and addresses are
  taken from the events themselves, then the host's main table is dumped again, because the kernel
  flushes routes without RTM_DELROUTE when a link goes down or loses its last address;
- conntrack events of a host;
- nftables trace events of a host, which exist only while something marks packets with ``meta
  nftrace set 1`` (the packet walk does, for its own flow): each becomes a ``Traced`` delta, an event
  that changes no state; they come from a socket of their own and cost no dump of any kind;
- inotify on /run/netns (hosts added or removed by a lab step or a cluster change), plus a listing
  every 5 s as a backstop, plus ``rescan()`` for the code that just reconciled; the watch, the listing
  and the tick below are shared by every observer on the loop (shared.py);
- the tick, once a second: counters re-read from each host's ``/proc/net/dev`` fd (skipped when the
  bytes did not change), and conntrack entries that send no events looked up by tuple (those created
  before anything listened: the kernel's default ``nf_conntrack_events=2`` gives events only to
  entries born with a listener). A conntrack table is dumped only when a host is first read (and only
  if it tracks anything) or when events were lost: a dump walks the hash table all namespaces share.

Whatever woke it, it computes the host's new state and emits ``diff_host(old, new)``: one write path,
and every change of its state is a delta (deltas.py). Trace events change nothing: ``trace.traced``
makes their deltas, and the same ``_emit`` numbers and applies them (``seq`` moves, nothing else). A
restart continues the numbering with the difference between the last state it had and what it reads
then, so ``subscribe(after=seq)`` works across stops as long as the history holds the deltas since
``seq``.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Sequence
from concurrent import futures
from dataclasses import replace

from netcore import names
from netcore.kernel import netns
from netcore.observe.deltas import Delta, HostAdded, HostRemoved, apply_delta
from netcore.observe.diff import diff_host
from netcore.observe.discovery import list_hosts
from netcore.observe.fold import fold_conntrack, fold_lookups, fold_rtnl
from netcore.observe.host import HostWatch, namespace_inode
from netcore.observe.model import SandboxState
from netcore.observe.shared import RESCAN, LoopServices, guarded
from netcore.observe.subscription import Subscription
from netcore.observe.trace import traced

log = logging.getLogger(__name__)
OPEN_SLICE = 16  # new hosts opened per callback (~8 ms)
# A host added while its links are being brought up can be read before the kernel's link watcher has
# set their operational state, and that change's notification is not always seen (measured: a veth
# read DOWN stayed DOWN while the kernel said UP). Read the host's links once more after the link
# watcher's longest delay (1 s).
SETTLE_REREAD = 1.1
# Trace datagrams taken per wakeup (a walk makes tens): under a flood of traces (someone tracing all
# traffic) the loop still serves everything else between batches.
TRACE_BATCH = 128


class SnapshotTooOld(Exception):
    """The deltas after the requested sequence number are no longer in the observer's history."""


class SandboxObserver:
    """Observe sandbox ``sandbox``; every method runs on the loop that started it."""

    def __init__(self, sandbox: str, *, history: int = 10_000, subscriber_limit: int = 100_000) -> None:
        self.sandbox = names.check_sandbox_name(sandbox)
        self.prefix = names.sandbox_prefix(sandbox)
        self.subscriber_limit = subscriber_limit
        self._state = SandboxState(self.sandbox)
        self._history: deque[Delta] = deque(maxlen=history)
        self._subscribers: list[Subscription] = []
        self._watches: dict[str, HostWatch] = {}
        self._inodes: dict[str, int] = {}  # the namespace each host of the state was read from
        self._loop: asyncio.AbstractEventLoop | None = None
        self._services: LoopServices | None = None
        self._timers: dict[str, asyncio.Handle] = {}
        self._pending_delay = 0.0
        self._dumps: set[asyncio.Future] = set()
        self._to_check: set[str] = set()  # hosts whose namespace may have come, gone or been replaced

    # -- the API ----------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._loop is not None

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The loop the observer runs on, between start and stop."""
        if self._loop is None:
            raise RuntimeError(f"observer {self.sandbox} is not running")
        return self._loop

    @property
    def seq(self) -> int:
        return self._state.seq

    async def snapshot(self) -> SandboxState:
        """Return the state, current to its ``seq``; when stopped, read the kernel once for it."""
        if self.running:
            return self._state
        self._start(asyncio.get_running_loop())
        try:
            await self._dumps_done()
            return self._state
        finally:
            if not self._subscribers and self.running:
                self._stop()

    def subscribe(self, after: int | None = None, *, limit: int | None = None) -> Subscription:
        """Start receiving deltas: those after ``after``, or (None) after the snapshot the subscription carries.

        Starts the observer if this is its first subscriber. Call from a coroutine on the loop.
        """
        if not self.running:
            self._start(asyncio.get_running_loop())
        if after is None:
            sub = Subscription(self, self.seq, self._state, limit or self.subscriber_limit)
        else:
            missing = self.seq - after
            if not 0 <= missing <= len(self._history):
                if not self._subscribers:
                    self._stop()
                if missing < 0:
                    raise ValueError(f"sequence {after} is ahead of the observer's {self.seq}")
                raise SnapshotTooOld(
                    f"deltas after {after} are gone from the history (now at {self.seq}); take a new snapshot"
                )
            sub = Subscription(self, after, None, limit or self.subscriber_limit)
            for delta in list(self._history)[len(self._history) - missing :]:
                sub.push(delta)
        self._subscribers.append(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        """Detach a subscriber; stop (closing every socket and fd) when it was the last one."""
        if sub in self._subscribers:
            self._subscribers.remove(sub)
        sub.end()
        if not self._subscribers and self.running:
            self._stop()

    async def rescan(self) -> int:
        """Look at /run/netns now (for code that just added or removed hosts); return the sequence reached."""
        if self.running:
            self._rescan()
        return self.seq

    async def settle(self) -> int:
        """Take in everything the kernel has queued, read counters and conntrack now; return the sequence.

        A change made by a call that has returned is in the sockets already: netlink notifications are
        queued inside the system call that makes the change.
        """
        if self.running:
            self._rescan()
            await self._dumps_done()
        if self.running:
            for host in list(self._watches):
                self._on_rtnl(host, force=True)
                self._on_conntrack(host)
                self._on_trace(host)
            self._poll(force=True)
        return self.seq

    async def _dumps_done(self) -> None:
        """Wait for the conntrack dumps in flight (and any they start again)."""
        while self._dumps:
            await asyncio.gather(*self._dumps, return_exceptions=True)

    async def close(self) -> None:
        """Stop now, ending every subscription."""
        for sub in list(self._subscribers):
            self.unsubscribe(sub)
        if self.running:
            self._stop()

    # -- the one write path -----------------------------------------------------------------------

    def _emit(self, deltas: Sequence[Delta]) -> None:
        for delta in deltas:
            delta = replace(delta, seq=self._state.seq + 1)
            self._state = apply_delta(self._state, delta)
            self._history.append(delta)
            for sub in list(self._subscribers):
                sub.push(delta)

    # -- start and stop ---------------------------------------------------------------------------

    def _start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._services = LoopServices.of(loop)
        self._services.join(self)
        try:
            self._rescan()
        except BaseException:
            self._stop()
            raise

    def _stop(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        if self._services is not None:
            self._services.leave(self)
            self._services = None
        for host in list(self._watches):
            self._close_watch(host)
        self._loop = None

    # -- called by the loop's shared services ---------------------------------------------------

    def on_namespaces(self, changed: list[str] | None, complete: bool) -> None:
        if complete:  # ``changed`` lists every namespace of the sandbox, or is None: list them here
            self._rescan(changed, OPEN_SLICE)
        else:
            self._to_check.update(name[len(self.prefix) :] for name in changed or ())
            self._check(OPEN_SLICE)

    def on_tick(self) -> None:
        self._poll()

    # -- hosts coming and going -------------------------------------------------------------------

    def _rescan(self, listing: list[str] | None = None, limit: int | None = None) -> None:
        """Look at every host: those listed in /run/netns (``listing``, or listed here) and those known."""
        found, pending = list_hosts(self.prefix, listing)
        self._to_check.update(found, pending, self._state.hosts)
        self._check(limit)

    def _check(self, limit: int | None = None) -> None:
        """Follow /run/netns for the hosts to check: drop those gone, open and read the new ones.

        A new host costs ~0.5 ms (seven handles, five reads); with a ``limit``, a lab step adding 200
        namespaces is taken in slices, and the loop serves the other observers' events in between.
        """
        hosts = sorted(self._to_check)
        if limit is not None and len(hosts) > limit:
            hosts = hosts[:limit]
            if "more" not in self._timers:
                self._timers["more"] = self.loop.call_soon(self._on_more)
        self._to_check.difference_update(hosts)
        pending = []
        for host in hosts:
            inode = namespace_inode(self.prefix + host)
            if host in self._state.hosts and inode != self._inodes.get(host):  # gone, or a new namespace
                self._close_watch(host)
                self._inodes.pop(host, None)
                self._emit([HostRemoved(host=host)])
            if inode is None:
                if netns.exists(self.prefix + host):
                    pending.append(host)  # the name is there, the namespace not mounted on it yet
                continue
            if host not in self._watches and not self._add(host):
                pending.append(host)
        if pending:
            # Look again soon, backing off from 2 ms to 1 s.
            self._to_check.update(pending)
            self._pending_delay = min(max(self._pending_delay * 2, 0.002), 1.0)
            if "pending" not in self._timers:
                self._timers["pending"] = self.loop.call_later(self._pending_delay, self._on_pending)
        else:
            self._pending_delay = 0.0

    def _add(self, host: str) -> bool:
        """Open a host's handles and read it; False if its namespace is going away as we look."""
        watch = None
        try:
            watch = HostWatch.open(host, self.prefix + host)
            if watch is None:
                return False
            state = watch.read_host(conntrack=False)
            dump = bool(watch.conntrack_count())
        except OSError as error:
            log.info("observer %s: host %s: %s", self.sandbox, host, error)
            if watch is not None:
                watch.close()
            return False
        previous = self._state.hosts.get(host)  # seen before a stop: continue from what we had
        if dump:
            state = replace(state, conntrack=previous.conntrack if previous else {})
        self._watches[host] = watch
        self._inodes[host] = watch.inode
        self._emit(diff_host(host, previous, state) if previous else [HostAdded(host=host, state=state)])
        self.loop.add_reader(watch.events.fileno(), self._on_rtnl, host)
        self.loop.add_reader(watch.nft_events.fileno(), self._on_trace, host)
        self._timers[f"settle {host}"] = self.loop.call_later(SETTLE_REREAD, guarded, self._on_settle, host)
        if dump:
            self._dump_conntrack(host, watch, first=True)
        else:
            self.loop.add_reader(watch.ct_events.fileno(), self._on_conntrack, host)
        return True

    def _close_watch(self, host: str) -> None:
        watch = self._watches.pop(host, None)
        if watch is None:
            return
        if self._loop is not None:
            self._loop.remove_reader(watch.events.fileno())
            self._loop.remove_reader(watch.ct_events.fileno())
            self._loop.remove_reader(watch.nft_events.fileno())
        if watch.dump is not None and not watch.dump.cancel():
            futures.wait([watch.dump])  # its thread is reading the socket: at most one dump (~15 ms)
        watch.close()

    def _on_pending(self) -> None:
        self._timers.pop("pending", None)
        guarded(self._check, OPEN_SLICE)

    def _on_more(self) -> None:
        self._timers.pop("more", None)
        guarded(self._check, OPEN_SLICE)

    # -- kernel events ----------------------------------------------------------------------------

    def _on_rtnl(self, host: str, force: bool = False) -> None:
        watch = self._watches.get(host)
        if watch is None:
            return
        try:
            messages, overflow = watch.drain(watch.events)
            if not messages and not overflow and not force:
                return
            old = self._state.hosts[host]
            if overflow:
                new = replace(watch.read_host(conntrack=False), conntrack=old.conntrack)
            else:
                new = fold_rtnl(old, messages, watch.read_routes())
        except OSError as error:
            self._lose(host, error)
            return
        self._emit(diff_host(host, old, new))

    def _on_settle(self, host: str) -> None:
        self._timers.pop(f"settle {host}", None)
        watch = self._watches.get(host)
        if watch is None:
            return
        try:
            old = self._state.hosts[host]
            new = replace(watch.read_host(conntrack=False), conntrack=old.conntrack)
        except OSError as error:
            self._lose(host, error)
            return
        self._emit(diff_host(host, old, new))

    def _on_conntrack(self, host: str) -> None:
        watch = self._watches.get(host)
        if watch is None or watch.dump is not None:
            return  # while a dump runs, events wait in the socket to be folded on top of it
        try:
            messages, overflow = watch.drain(watch.ct_events)
        except OSError as error:
            self._lose(host, error)
            return
        if overflow:  # events were lost: read the table again (what was just drained is older than that)
            self._dump_conntrack(host, watch, first=False)
            return
        if not messages:
            return
        old = self._state.hosts[host]
        table, seen = fold_conntrack(old.conntrack, messages)
        watch.untracked -= seen  # an event about it: born (again) with a listener
        self._emit(diff_host(host, old, replace(old, conntrack=table)))

    def _on_trace(self, host: str) -> None:
        """Emit the host's queued trace events (a batch of them), one ``Traced`` delta each; no dump, no read."""
        watch = self._watches.get(host)
        if watch is None:
            return
        try:
            messages, overflow = watch.drain(watch.nft_events, TRACE_BATCH)
        except OSError as error:
            self._lose(host, error)
            return
        if overflow:  # nothing to read again: traces are events, the lost ones are just gone
            log.debug("observer %s: host %s: trace events lost (the socket's buffer overflowed)", self.sandbox, host)
        if messages:
            self._emit(traced(host, messages))

    def _dump_conntrack(self, host: str, watch: HostWatch, first: bool) -> None:
        """Dump the host's conntrack table on a worker thread: the kernel walks a table all namespaces share."""
        self.loop.remove_reader(watch.ct_events.fileno())
        watch.dump = _dump_executor().submit(watch.read_conntrack)
        done = asyncio.wrap_future(watch.dump, loop=self.loop)
        done.add_done_callback(lambda _done: guarded(self._on_dump, host, watch, first))
        self._dumps.add(done)
        done.add_done_callback(self._dumps.discard)

    def _on_dump(self, host: str, watch: HostWatch, first: bool) -> None:
        dump, watch.dump = watch.dump, None
        if self._watches.get(host) is not watch or dump is None or dump.cancelled():
            return  # the host went away meanwhile
        try:
            table = dump.result()
            messages, overflow = watch.drain(watch.ct_events)
        except Exception as error:  # noqa: BLE001 - whatever went wrong on the thread, the host is lost
            self._lose(host, error)
            return
        if overflow:
            self._dump_conntrack(host, watch, first)
            return
        # Events queued during the dump are folded on top of it: any change after one of them has its
        # own event later in the queue, so the last word is the kernel's latest.
        table, seen = fold_conntrack(table, messages)
        watch.untracked = (set(table) if first else watch.untracked & table.keys()) - seen
        self.loop.add_reader(watch.ct_events.fileno(), self._on_conntrack, host)
        old = self._state.hosts[host]
        self._emit(diff_host(host, old, replace(old, conntrack=table)))

    def _lookups_due(self, watch: HostWatch, known: int, force: bool) -> bool:
        """Say whether to look untracked entries up: the kernel's count moved or differs from the
        ``known`` entries (one may be gone without an event), or 5 s passed."""
        now, count = self.loop.time(), watch.conntrack_count()
        when, last = watch.untracked_checked
        if force or count != last or count != known or now - when >= RESCAN:
            watch.untracked_checked = (now, count)
            return True
        return False

    def _poll(self, force: bool = False) -> None:
        """Read every host's counters, and look up its conntrack entries that send no events."""
        for host in list(self._watches):
            try:
                watch = self._watches[host]
                lookups = bool(watch.untracked) and watch.dump is None
                if lookups:
                    self._on_conntrack(host)  # queued events first: the lookups below are newer
                    still = self._watches.get(host)
                    if still is None:
                        continue
                    watch = still
                old = self._state.hosts[host]
                # Read even unchanged bytes when an interface has no counters yet: it may have been
                # listed before the model knew its link.
                counters = watch.read_counters(old.links, force=old.counters.keys() != old.links.keys())
                table = old.conntrack
                if lookups and watch.untracked and self._lookups_due(watch, len(old.conntrack), force):
                    found = watch.get_conntrack(sorted(watch.untracked))
                    watch.untracked -= {key for key, entry in found.items() if entry is None}
                    table = fold_lookups(old.conntrack, found)
            except OSError as error:
                self._lose(host, error)
                continue
            if counters is None and table is old.conntrack:
                continue
            new = replace(old, counters={**old.counters, **(counters or {})}, conntrack=table)
            self._emit(diff_host(host, old, new))

    # -- failures ---------------------------------------------------------------------------------

    def _lose(self, host: str, error: Exception) -> None:
        """A host's socket failed (its namespace is going away, say): drop it; a rescan may find it again."""
        log.warning("observer %s: host %s: %s; dropping it until the next rescan", self.sandbox, host, error)
        self._close_watch(host)
        self._inodes.pop(host, None)
        self._emit([HostRemoved(host=host)])
        self._to_check.add(host)
        if self._loop is not None and "pending" not in self._timers:
            self._pending_delay = min(max(self._pending_delay * 2, 0.002), 1.0)
            self._timers["pending"] = self.loop.call_later(self._pending_delay, self._on_pending)


_dump_pool: futures.ThreadPoolExecutor | None = None


def _dump_executor() -> futures.ThreadPoolExecutor:
    # One thread: dumps contend for the same kernel table anyway, and one at a time bounds how long
    # closing a host can wait for the dump using its socket.
    global _dump_pool
    if _dump_pool is None:
        _dump_pool = futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="observe-conntrack-dump")
    return _dump_pool
