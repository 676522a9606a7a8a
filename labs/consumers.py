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

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.template.loader import render_to_string

from agent.client import watch
from agent.protocol import WATCH_LEASE_S, sandbox_group
from classrooms.roles import can_use_sandbox
from labs import selectors
from labs.models import Sandbox
from netcore.errors import PodpathError

FORBIDDEN = 4403
log = logging.getLogger("podpath.web")


@database_sync_to_async
def allowed_sandbox(user, name: str) -> Sandbox | None:
    sandbox = Sandbox.objects.select_related("classroom").filter(name=name).first()
    return sandbox if sandbox is not None and can_use_sandbox(user, sandbox) else None


@database_sync_to_async
def render_stage(sandbox: Sandbox) -> str:
    player = selectors.player_get(sandbox=sandbox)
    inner = render_to_string("labs/partials/stage.html", {"player": player})
    return f'<div id="stage" hx-swap-oob="true">{inner}</div>'


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

    async def group_for_user(self) -> str | None:
        self.sandbox = await self.find_sandbox(self.scope["user"], self.scope["url_route"]["kwargs"]["name"])
        return None if self.sandbox is None else sandbox_group(self.sandbox.name)

    async def joined(self) -> None:
        # The agent of the sandbox's host watches the kernel while some page does, and tells the group what
        # changed. The watch is a lease renewed while this connection lives: if this process dies, it lapses.
        self.renewal = asyncio.create_task(self.keep_watching())

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
        await self.send_progress(count=event["done"], total=event["total"], what=event["what"])

    async def job_done(self, event: dict) -> None:
        report = event["result"].get("report", {})
        await self.send_progress(done=report.get("describe") or f"{event['job']} done")
        if event["job"] in ("lab_start", "lab_step", "lab_reset", "apply", "cni", "kube_write"):
            await self.send(text_data=await render_stage(self.sandbox))

    async def job_failed(self, event: dict) -> None:
        await self.send_progress(failed=event["error"])

    async def state_view(self, event: dict) -> None:
        """The kernel changed what the picture shows: hand the view to the page, which marks the picture.

        The view travels as the element's text, not an attribute: htmx settles a swapped element's
        attributes a moment after the swap, so the page would read the previous view."""
        view = json.dumps(event["view"], separators=(",", ":"))
        await self.send(text_data=f'<div id="live-state" hx-swap-oob="true" hidden>{escape(view)}</div>')
