"""Websockets: subscribe to a sandbox's group and forward what happens as HTML for htmx to swap in.

Consumers never change the kernel and never write: they check who is asking, join the group, and
turn agent messages into server-rendered partials (``hx-swap-oob`` by stable id).
"""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.template.loader import render_to_string

from labs import selectors
from labs.agent.worker import sandbox_group
from labs.models import Sandbox
from labs.roles import can_use_sandbox

FORBIDDEN = 4403


@database_sync_to_async
def allowed_sandbox(user, name: str) -> Sandbox | None:
    sandbox = Sandbox.objects.select_related("classroom").filter(name=name).first()
    return sandbox if sandbox is not None and can_use_sandbox(user, sandbox) else None


@database_sync_to_async
def render_stage(sandbox: Sandbox) -> str:
    player = selectors.player_get(sandbox=sandbox)
    inner = render_to_string("labs/partials/stage.html", {"player": player})
    return f'<div id="stage" hx-swap-oob="true">{inner}</div>'


class SandboxConsumer(AsyncWebsocketConsumer):
    """Live view of one sandbox: job progress, the step it is on, its picture."""

    async def connect(self) -> None:
        name = self.scope["url_route"]["kwargs"]["name"]
        self.sandbox = await allowed_sandbox(self.scope["user"], name)
        if self.sandbox is None:
            await self.close(code=FORBIDDEN)
            return
        self.group = sandbox_group(self.sandbox.name)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def send_progress(self, **context) -> None:
        await self.send(text_data=render_to_string("labs/partials/progress.html", context))

    async def job_progress(self, event: dict) -> None:
        await self.send_progress(count=event["done"], total=event["total"], what=event["what"])

    async def job_done(self, event: dict) -> None:
        report = event["result"].get("report", {})
        await self.send_progress(done=report.get("describe") or f"{event['job']} done")
        if event["job"] in ("lab_start", "lab_step", "lab_reset", "apply", "cni"):
            await self.send(text_data=await render_stage(self.sandbox))

    async def job_failed(self, event: dict) -> None:
        await self.send_progress(failed=event["error"])
