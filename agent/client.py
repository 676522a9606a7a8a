"""Ask the agent for work: fire and forget (the page follows the sandbox's group), or wait for the result."""

from __future__ import annotations

import asyncio
import secrets

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from agent.protocol import AGENT_CHANNEL, DONE_TYPE, FAILED_TYPE, job_message
from netcore.errors import PodpathError, SpecError


async def submit(job: str, sandbox: str, args: dict | None = None, reply_channel: str | None = None) -> str:
    """Queue a job; return its id. Progress and the outcome go to the group ``sandbox.<name>``."""
    job_id = secrets.token_hex(6)
    await get_channel_layer().send(AGENT_CHANNEL, job_message(job, sandbox, args or {}, job_id, reply_channel))
    return job_id


async def call(job: str, sandbox: str, args: dict | None = None, timeout: float = 120.0) -> dict:
    """Run a job and wait for its result; raise PodpathError with the agent's message if it failed."""
    layer = get_channel_layer()
    channel = await layer.new_channel()
    job_id = await submit(job, sandbox, args, reply_channel=channel)
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            raise PodpathError(f"the agent did not finish {job} on {sandbox} within {timeout:.0f} s")
        message = await asyncio.wait_for(layer.receive(channel), remaining)
        if message.get("job_id") != job_id:
            continue
        if message["type"] == DONE_TYPE:
            return message["result"]
        if message["type"] == FAILED_TYPE:
            spec = message.get("spec")
            if spec:
                raise SpecError(spec["source"], spec["field"], spec["expected"])
            raise PodpathError(message["error"])


submit_sync = async_to_sync(submit)
call_sync = async_to_sync(call)
