"""Ask the agent that holds a sandbox for work: fire and forget (the page follows the sandbox's group),
or wait for the result; and ask it to watch a sandbox for a page.

Every message goes to the channel of the host the sandbox is placed on (hosts.selectors.sandbox_host,
a database read): a host whose agent has gone silent refuses at once with HostDown instead of leaving
the job to wait on a channel nobody reads.
"""

from __future__ import annotations

import asyncio
import secrets

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from agent.protocol import DONE_TYPE, FAILED_TYPE, agent_channel, job_message, watch_message
from hosts.selectors import sandbox_host
from netcore.errors import PodpathError, SpecError


@database_sync_to_async
def host_of(sandbox: str) -> str:
    return sandbox_host(name=sandbox)


async def submit(
    job: str, sandbox: str, args: dict | None = None, reply_channel: str | None = None, host: str | None = None
) -> str:
    """Queue a job on the sandbox's host (or on ``host``); return its id. Progress and the outcome go to
    the group ``sandbox.<name>``."""
    job_id = secrets.token_hex(6)
    channel = agent_channel(host or await host_of(sandbox))
    await get_channel_layer().send(channel, job_message(job, sandbox, args or {}, job_id, reply_channel))
    return job_id


async def call(
    job: str, sandbox: str, args: dict | None = None, timeout: float = 120.0, host: str | None = None
) -> dict:
    """Run a job and wait for its result; raise PodpathError with the agent's message if it failed."""
    layer = get_channel_layer()
    channel = await layer.new_channel()
    job_id = await submit(job, sandbox, args, reply_channel=channel, host=host)
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            raise PodpathError(f"the agent did not finish {job} on {sandbox} within {timeout:.0f} s")
        try:
            message = await asyncio.wait_for(layer.receive(channel), remaining)
        except TimeoutError:
            continue
        if message.get("job_id") != job_id:
            continue
        if message["type"] == DONE_TYPE:
            return message["result"]
        if message["type"] == FAILED_TYPE:
            spec = message.get("spec")
            if spec:
                raise SpecError(spec["source"], spec["field"], spec["expected"])
            raise PodpathError(message["error"])


async def watch(sandbox: str, watcher: str, *, watching: bool = True) -> None:
    """Ask the sandbox's host to watch it for a page (again, to renew the lease), or to stop."""
    host = await host_of(sandbox)
    await get_channel_layer().send(agent_channel(host), watch_message(sandbox, watcher, watching=watching))


submit_sync = async_to_sync(submit)
call_sync = async_to_sync(call)
