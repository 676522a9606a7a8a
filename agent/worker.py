"""The agent: the only part of the web side that changes the kernel, reached over the channel layer.

Views and consumers send it messages on its host's channel ``podpath-agent.<host>``; it runs the job on a worker
thread (netcore is synchronous and holds a per-sandbox lock, so jobs on different sandboxes run side by
side and jobs on one sandbox queue), and publishes what happens to the sandbox's group
``sandbox.<name>``: progress as it goes, then done or failed. In the embedded run it lives in the web
server's process (started on the first request); on several machines ``podpath agent`` runs it next to
the kernel it drives, joined to the web tier by Redis and PostgreSQL, one agent per kernel host.

A hosted agent (``podpath agent``, and the embedded one) registers its host and capacity, beats, reports
each sandbox's state after a job (agent.host), and on start reconciles the sandboxes placed on it.

Messages in and out, and the channel and group names, are in ``agent.protocol``: a job or a watch
request in; progress, then done or failed out (group sandbox.<name>, and the reply channel of a call);
the live view out to the group while a page watches; ``sandbox.missing`` to a watcher of a sandbox
nothing builds and the kernel does not have.

Live state: while at least one page watches a sandbox (a watch is a lease the page renews), the agent
subscribes to the sandbox's observer (netcore.observe) and sends the group what the picture shows (cables
down, hosts present, traffic) whenever that changes. The agent is the only sender, so every page sees the same
sequence.
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import close_old_connections

from agent import host as hosting
from agent.jobs import run_job
from agent.protocol import (
    CHANGING_JOBS,
    CREATING_JOBS,
    DELETE,
    DONE_TYPE,
    JOB_TYPE,
    MOVED_FROM,
    PRIVATE_JOBS,
    UNWATCH_TYPE,
    WATCH_LEASE_S,
    WATCH_TYPE,
    agent_channel,
    done_message,
    failed_message,
    job_message,
    missing_message,
    progress_message,
    sandbox_group,
    state_message,
)
from labs.live import LiveView, live_view
from netcore.errors import PodpathError, SpecError
from netcore.observe import SubscriberLagged, apply_delta, observer_for
from netcore.sandbox.registry import record_exists

PROGRESS_INTERVAL_S = 0.1  # at most ten progress messages a second per job
COUNTERS_INTERVAL_S = 1.0  # traffic figures at most once a second; cables and hosts at once
# Jobs that change a sandbox: run in the order they were asked (three clicks on "next" are three steps).
IN_ORDER = CHANGING_JOBS | {DELETE}
log = logging.getLogger("podpath.agent")


class Agent:
    def __init__(
        self,
        layer=None,
        workers: int = 4,
        host_id: str | None = None,
        hosted: bool = False,
        sandboxes: int | None = None,
    ) -> None:
        self.layer = layer or get_channel_layer()
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="agent")
        self.tasks: set[asyncio.Task] = set()
        self.watchers: dict[str, dict[str, float]] = {}  # sandbox -> page channel -> when its lease ends
        self.forwarders: dict[str, asyncio.Task] = {}
        self.in_order: dict[str, asyncio.Lock] = {}  # sandbox -> its changes, run in arrival order
        self.pending: dict[str, int] = {}  # sandbox -> jobs asked and not finished
        self.host_id = host_id or settings.PODPATH_HOST_ID
        self.channel = agent_channel(self.host_id)
        self.hosted = hosted  # registers, beats and reports to the database (not in kernel-only tests)
        self.sandboxes = sandboxes if sandboxes is not None else settings.PODPATH_HOST_SANDBOXES
        self.reported: dict[str, tuple] = {}

    async def serve(self) -> None:
        """Take messages off this host's channel until cancelled."""
        log.info("agent of host %s serving on %s", self.host_id, self.channel)
        if self.hosted:
            await database_sync_to_async(hosting.register)(self.host_id, self.sandboxes)
            self.spawn(self.beat())
            self.spawn(self.recover())
        self.spawn(self.expire_watches())
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except (OSError, ConnectionError, TimeoutError) as error:  # Redis away for a moment: wait, go on
                log.warning("agent of host %s: channel layer: %s; trying again", self.host_id, error)
                await asyncio.sleep(1.0)
                continue
            self.spawn(self.dispatch(message))

    def spawn(self, coroutine) -> None:
        task = asyncio.create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def beat(self) -> None:
        """Say this host is alive, and bring its placements up to date with the kernel."""
        while True:
            try:
                await database_sync_to_async(hosting.heartbeat)(self.host_id)
                await database_sync_to_async(hosting.sweep)(self.host_id, self.reported)
            except Exception:  # the database is away: keep serving, try again next beat
                log.exception("agent of host %s: heartbeat failed", self.host_id)
            await asyncio.sleep(settings.PODPATH_HEARTBEAT_S)

    async def recover(self) -> None:
        """Reconcile every sandbox placed on this host back to its desired state (after a crash or reboot)."""
        loop = asyncio.get_running_loop()

        def run(job: str, arguments: dict) -> dict:
            return run_job(job, arguments, lambda done, total, what: None)

        def reconcile() -> list[str]:
            # On a worker thread, not the one thread database calls share: heartbeats go on meanwhile.
            close_old_connections()
            try:
                return hosting.reconcile(self.host_id, run)
            finally:
                close_old_connections()

        try:
            for line in await loop.run_in_executor(self.pool, reconcile):
                log.info("agent of host %s: reconcile: %s", self.host_id, line)
        except Exception:
            log.exception("agent of host %s: reconcile failed", self.host_id)

    async def report(self, job: str, sandbox: str) -> None:
        """Tell the database what the job left (the page reads it when the outcome arrives)."""
        if not self.hosted or (job not in CHANGING_JOBS and job != DELETE):
            return
        try:
            await database_sync_to_async(hosting.report)(
                self.host_id, sandbox, deleted=job == DELETE, claim=job in CREATING_JOBS
            )
        except Exception:
            log.exception("agent of host %s: reporting %s failed", self.host_id, sandbox)

    async def dispatch(self, message: dict) -> None:
        kind = message.get("type")
        if kind == JOB_TYPE:
            await self.run(message)
        elif kind == WATCH_TYPE:
            self.watch(message["sandbox"], message.get("watcher", ""), float(message.get("lease", WATCH_LEASE_S)))
        elif kind == UNWATCH_TYPE:
            await self.unwatch(message["sandbox"], message.get("watcher", ""))
        else:
            log.warning("agent: unknown message type %r", message.get("type"))

    async def publish(self, message: dict, sandbox: str, reply_channel: str | None) -> None:
        if message.get("job") not in PRIVATE_JOBS or not reply_channel:
            await self.layer.group_send(sandbox_group(sandbox), message)
        if reply_channel:
            await self.layer.send(reply_channel, message)

    async def run(self, message: dict) -> None:
        loop = asyncio.get_running_loop()
        job, sandbox = message["job"], message["sandbox"]
        job_id, reply = message.get("job_id", ""), message.get("reply_channel")
        last = [0.0]

        def progress(done: int, total: int, what: str) -> None:
            now = time.monotonic()
            if done < total and now - last[0] < PROGRESS_INTERVAL_S:
                return
            last[0] = now
            update = progress_message(job_id, job, done, total, what)
            asyncio.run_coroutine_threadsafe(self.publish(update, sandbox, reply), loop)

        arguments = {"sandbox": sandbox, **message.get("args", {})}
        moved_from = arguments.pop(MOVED_FROM, None)
        self.pending[sandbox] = self.pending.get(sandbox, 0) + 1
        try:
            if job in IN_ORDER:  # the kernel's lock is not fair: keep one sandbox's changes in order here
                async with self.in_order.setdefault(sandbox, asyncio.Lock()):
                    result = await loop.run_in_executor(self.pool, run_job, job, arguments, progress)
            else:
                result = await loop.run_in_executor(self.pool, run_job, job, arguments, progress)
            outcome = done_message(job_id, job, sandbox, result)
        except PodpathError as error:
            spec = None
            if isinstance(error, SpecError):  # the page shows it at the field
                spec = {"source": error.source, "field": error.field, "expected": error.expected}
            outcome = failed_message(job_id, job, sandbox, str(error), spec)
        except Exception as error:  # a bug: tell the page, keep serving
            log.exception("agent job %s on %s failed", job, sandbox)
            outcome = failed_message(job_id, job, sandbox, f"internal error: {type(error).__name__}: {error}")
        finally:
            self.pending[sandbox] -= 1
            if not self.pending[sandbox]:
                del self.pending[sandbox]
                self.in_order.pop(sandbox, None)  # nothing waits on it
        await self.report(job, sandbox)
        if moved_from and outcome["type"] == DONE_TYPE:  # built here: the old host deletes its copy
            await self.layer.send(agent_channel(moved_from), job_message(DELETE, sandbox, {}, job_id))
            log.info("agent of host %s: %s moved here from %s", self.host_id, sandbox, moved_from)
        await self.publish(outcome, sandbox, reply)

    # -- live state ---------------------------------------------------------------------------------

    def watch(self, sandbox: str, watcher: str, lease: float = WATCH_LEASE_S) -> None:
        """Start (or renew) a page's watch: it holds for ``lease`` seconds unless sent again."""
        renewal = watcher in self.watchers.get(sandbox, {})
        if not renewal and watcher and sandbox not in self.pending and not record_exists(sandbox):
            # Nothing builds it and the kernel has no such sandbox (deleted with the CLI, say): the page
            # would wait forever for a build.
            self.spawn(self.tell_missing(sandbox, watcher))
        self.watchers.setdefault(sandbox, {})[watcher] = time.monotonic() + lease
        if sandbox not in self.forwarders:
            self.forwarders[sandbox] = asyncio.create_task(self.forward_state(sandbox))

    async def tell_missing(self, sandbox: str, watcher: str) -> None:
        """Mark its placement missing first (the admin's table and a rebuild read it), then tell the page."""
        if self.hosted:
            try:
                await database_sync_to_async(hosting.report)(self.host_id, sandbox)
            except Exception:
                log.exception("agent of host %s: reporting %s missing failed", self.host_id, sandbox)
        await self.layer.send(watcher, missing_message(sandbox))

    async def expire_watches(self, every: float = 1.0) -> None:
        """Drop watches whose page stopped renewing them (its web process died): no observer runs forever."""
        while True:
            await asyncio.sleep(every)
            now = time.monotonic()
            for sandbox, watching in list(self.watchers.items()):
                for watcher, until in list(watching.items()):
                    if until < now:
                        log.info("agent: the watch of %s by %s lapsed", sandbox, watcher)
                        await self.unwatch(sandbox, watcher)

    async def unwatch(self, sandbox: str, watcher: str) -> None:
        watching = self.watchers.get(sandbox, {})
        watching.pop(watcher, None)
        if watching:
            return
        self.watchers.pop(sandbox, None)
        task = self.forwarders.pop(sandbox, None)
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def close(self) -> None:
        """Stop forwarding every sandbox's live state (their observers stop with their last subscriber)."""
        tasks = list(self.forwarders.values())
        self.forwarders.clear()
        self.watchers.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def forward_state(self, sandbox: str) -> None:
        """Send the group a new LiveView whenever the picture would change, until unwatched.

        Cables and hosts go out at once; traffic figures at most once a second, the last of them
        when its second is up even if nothing else happens."""
        observer = observer_for(sandbox)
        sent: LiveView | None = None
        sent_at = 0.0
        while True:
            try:
                with observer.subscribe() as subscription:
                    state = subscription.snapshot
                    while True:
                        view, now = live_view(state), time.monotonic()
                        held = sent is not None and view.counters != sent.counters
                        counters_due = held and now - sent_at >= COUNTERS_INTERVAL_S
                        if sent is None or view.differs_in_shape(sent) or counters_due:
                            await self.layer.group_send(sandbox_group(sandbox), state_message(view.to_message()))
                            sent, sent_at, held = view, now, False
                        wait = max(0.0, sent_at + COUNTERS_INTERVAL_S - now) if held else None
                        try:
                            state = apply_delta(state, await asyncio.wait_for(subscription.get(), wait))
                        except TimeoutError:
                            continue  # the held traffic figures are due
                        # Fold whatever else is already queued: one message for a burst of changes.
                        while (delta := subscription.get_nowait()) is not None:
                            state = apply_delta(state, delta)
            except SubscriberLagged:
                continue
            except StopAsyncIteration:  # the observer was closed under us: start it again
                await asyncio.sleep(0.1)
            except Exception:  # a bug: say so, keep the page live
                log.exception("agent: live state of %s failed; starting again", sandbox)
                sent = None
                await asyncio.sleep(1.0)


_embedded: asyncio.Task | None = None


def start_embedded() -> None:
    """Start the agent in this process's running loop, once (the embedded run)."""
    global _embedded
    if _embedded is None or _embedded.done():
        _embedded = asyncio.get_running_loop().create_task(Agent(hosted=True).serve())
