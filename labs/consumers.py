"""Websockets: subscribe to a sandbox's group and forward what happens as HTML for htmx to swap in.

Consumers never change the kernel and never write: they check who is asking, join the group, and
turn agent messages into server-rendered partials (``hx-swap-oob`` by stable id).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from html import escape
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.template.loader import render_to_string

from agent.client import watch
from agent.protocol import (
    APPLY,
    CNI,
    EXERCISE_START,
    KUBE_WRITE,
    LAB_RESET,
    LAB_START,
    LAB_STEP,
    WATCH_LEASE_S,
    sandbox_group,
)
from classrooms.roles import can_use_sandbox
from labs import selectors
from labs.models import Sandbox
from labs.wording import done_words, hosts_created, progress_words
from netcore.errors import PodpathError

FORBIDDEN = 4403
RESTAGED = (LAB_START, LAB_STEP, LAB_RESET, APPLY, CNI, KUBE_WRITE)  # jobs that change the picture
BUILDS = (LAB_START, EXERCISE_START)
log = logging.getLogger("podpath.web")


@database_sync_to_async
def allowed_sandbox(user, name: str) -> Sandbox | None:
    sandbox = Sandbox.objects.select_related("classroom").filter(name=name).first()
    return sandbox if sandbox is not None and can_use_sandbox(user, sandbox) else None


@database_sync_to_async
def built(sandbox: Sandbox) -> bool:
    return selectors.sandbox_step_number(sandbox=sandbox) is not None


@database_sync_to_async
def render_stage(sandbox: Sandbox, user, *, missing: bool = False) -> str:
    """The stage, and every list of the sandbox's hosts on the page (console, walk source and
    destinations): a step adds and removes hosts, and a list left behind offers hosts that are gone."""
    sandbox = Sandbox.objects.select_related("classroom", "classroom__instructor", "owner").get(pk=sandbox.pk)
    player = selectors.player_get(sandbox=sandbox, viewer=user)
    context = {"player": player, "missing": missing, "targets": player.targets, "targets_oob": True}
    inner = render_to_string("labs/partials/stage.html", context)
    lists = render_to_string("labs/partials/console_targets.html", context) + render_to_string(
        "labs/partials/walk_sources.html", context
    )
    return f'<div id="stage" hx-swap-oob="true">{inner}</div>{lists}'


class GroupConsumer(AsyncWebsocketConsumer):
    """Check who is asking, join one group, forward what it hears; subclasses name the group."""

    group: str | None = None

    async def group_for_user(self) -> str | None:
        """The group this user may follow here, or None to refuse the connection."""
        raise NotImplementedError

    async def connect(self) -> None:
        self.group = await self.group_for_user()
        if self.group is None:
            await self.close(code=FORBIDDEN)
            return
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.joined()

    async def disconnect(self, code: int) -> None:
        if self.group is not None:
            await self.leaving()
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def joined(self) -> None:
        """Called once the connection is accepted."""

    async def leaving(self) -> None:
        """Called when an accepted connection closes."""


class SandboxConsumer(GroupConsumer):
    """Live view of one sandbox: job progress, the step it is on, its picture with live kernel state."""

    find_sandbox = staticmethod(allowed_sandbox)
    hosts_made: dict[str, int | None]

    async def connect(self) -> None:
        self.hosts_made = {}  # job id -> how many hosts it makes, when its first message told
        await super().connect()

    async def group_for_user(self) -> str | None:
        self.sandbox = await self.find_sandbox(self.scope["user"], self.scope["url_route"]["kwargs"]["name"])
        return None if self.sandbox is None else sandbox_group(self.sandbox.name)

    async def joined(self) -> None:
        # The agent of the sandbox's host watches the kernel while some page does, and tells the group what
        # changed. The watch is a lease renewed while this connection lives: if this process dies, it lapses.
        self.renewal = asyncio.create_task(self.keep_watching())
        # A page rendered while the sandbox was built may connect after the build is done: its end went
        # by unheard, so send the stage now rather than leave the page waiting.
        if parse_qs(self.scope.get("query_string", b"").decode()).get("building") == ["1"]:
            stage = await self.stage_if_built()
            if stage is not None:
                await self.send(text_data=stage)

    async def stage_if_built(self) -> str | None:
        """The page's stage with everything it shows, or None while the sandbox is still being built."""
        if not await built(self.sandbox):
            return None
        return await render_stage(self.sandbox, self.scope["user"])

    async def keep_watching(self) -> None:
        while True:
            try:
                await watch(self.sandbox.name, self.channel_name)
            except PodpathError as error:  # its host is down: the page shows it unavailable; try again later
                log.info("watch of %s: %s", self.sandbox.name, error)
            except Exception:  # a bug or the database away: keep the page connected, try again later
                log.exception("watch of %s failed", self.sandbox.name)
            await asyncio.sleep(WATCH_LEASE_S / 3)

    async def leaving(self) -> None:
        self.renewal.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.renewal
        with contextlib.suppress(PodpathError):
            await watch(self.sandbox.name, self.channel_name, watching=False)

    async def send_progress(self, **context) -> None:
        await self.send(text_data=render_to_string("labs/partials/progress.html", context))

    async def job_progress(self, event: dict) -> None:
        job_id = event.get("job_id", "")
        if job_id not in self.hosts_made:  # its first message: a build makes every namespace first
            self.hosts_made[job_id] = hosts_created(event["what"], event["done"])
        await self.send_progress(
            count=event["done"],
            total=event["total"],
            what=progress_words(
                job=event.get("job", ""),
                what=event["what"],
                done=event["done"],
                total=event["total"],
                hosts=self.hosts_made[job_id],
            ),
        )

    async def job_done(self, event: dict) -> None:
        self.hosts_made.pop(event.get("job_id", ""), None)
        await self.send_progress(done=done_words(event["job"], event["result"]))
        if event["job"] in RESTAGED:
            await self.send(text_data=await render_stage(self.sandbox, self.scope["user"]))

    async def job_failed(self, event: dict) -> None:
        self.hosts_made.pop(event.get("job_id", ""), None)
        if event["job"] in BUILDS:  # nothing to show: offer a rebuild, or a way back
            await self.send_missing(reason=f"Building the sandbox failed: {event['error']}")
            return
        await self.send_progress(failed=event["error"])
        if event["job"] in RESTAGED:  # the step buttons come back
            await self.send(text_data=await render_stage(self.sandbox, self.scope["user"]))

    async def sandbox_missing(self, event: dict) -> None:
        """Nothing builds this sandbox and the kernel has none (deleted with the CLI, say)."""
        await self.send_missing(reason="")

    async def send_missing(self, *, reason: str) -> None:
        await self.send(text_data=await render_stage(self.sandbox, self.scope["user"], missing=True))
        await self.send(
            text_data=render_to_string(
                "labs/partials/sandbox_missing.html", {"sandbox": self.sandbox, "reason": reason, "oob": True}
            )
        )

    async def state_view(self, event: dict) -> None:
        """The kernel changed what the picture shows: hand the view to the page, which marks the picture.

        The view travels as the element's text, not an attribute: htmx settles a swapped element's
        attributes a moment after the swap, so the page would read the previous view."""
        view = json.dumps(event["view"], separators=(",", ":"))
        await self.send(text_data=f'<div id="live-state" hx-swap-oob="true" hidden>{escape(view)}</div>')
