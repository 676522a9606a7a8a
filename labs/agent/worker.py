"""The agent: the only part of the web side that changes the kernel, reached over the channel layer.

Views and consumers send it messages on the ``podpath-agent`` channel; it runs the job on a worker
thread (netcore is synchronous and holds a per-sandbox lock, so jobs on different sandboxes run side by
side and jobs on one sandbox queue), and publishes what happens to the sandbox's group
``sandbox.<name>``: progress as it goes, then done or failed. In the embedded run it lives in the web
server's process (started on the first request); on several machines ``podpath agent`` runs it next to
the kernel it drives, joined to the web tier by Redis.

Message in:   {"type": "agent.job", "job": "lab_step", "sandbox": "s1", "args": {...}, "job_id": "...",
               "reply_channel": optional channel for the result}
Messages out (group sandbox.<name>, and the reply channel):
              {"type": "job.progress", "job_id", "done", "total", "what"}
              {"type": "job.done", "job_id", "job", "result"} | {"type": "job.failed", "job_id", "job", "error"}
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor

from channels.layers import get_channel_layer

from labs.agent.jobs import run_job
from netcore.errors import PodpathError, SpecError

AGENT_CHANNEL = "podpath-agent"
PROGRESS_INTERVAL_S = 0.1  # at most ten progress messages a second per job
log = logging.getLogger("podpath.agent")


def sandbox_group(sandbox: str) -> str:
    return f"sandbox.{sandbox}"


class Agent:
    def __init__(self, layer=None, workers: int = 4) -> None:
        self.layer = layer or get_channel_layer()
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="agent")
        self.tasks: set[asyncio.Task] = set()

    async def serve(self) -> None:
        """Take messages off the agent channel until cancelled."""
        log.info("agent serving on %s", AGENT_CHANNEL)
        while True:
            message = await self.layer.receive(AGENT_CHANNEL)
            task = asyncio.create_task(self.dispatch(message))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def dispatch(self, message: dict) -> None:
        if message.get("type") == "agent.job":
            await self.run(message)
        else:
            log.warning("agent: unknown message type %r", message.get("type"))

    async def publish(self, message: dict, sandbox: str, reply_channel: str | None) -> None:
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
            update = {"type": "job.progress", "job_id": job_id, "job": job, "done": done, "total": total,
                      "what": what}
            asyncio.run_coroutine_threadsafe(self.publish(update, sandbox, reply), loop)

        arguments = {"sandbox": sandbox, **message.get("args", {})}
        try:
            result = await loop.run_in_executor(self.pool, run_job, job, arguments, progress)
            outcome = {"type": "job.done", "job_id": job_id, "job": job, "sandbox": sandbox, "result": result}
        except PodpathError as error:
            outcome = {"type": "job.failed", "job_id": job_id, "job": job, "sandbox": sandbox, "error": str(error)}
            if isinstance(error, SpecError):  # the page shows it at the field
                outcome["spec"] = {"source": error.source, "field": error.field, "expected": error.expected}
        except Exception as error:  # a bug: tell the page, keep serving
            log.exception("agent job %s on %s failed", job, sandbox)
            outcome = {"type": "job.failed", "job_id": job_id, "job": job, "sandbox": sandbox,
                       "error": f"internal error: {type(error).__name__}: {error}"}
        await self.publish(outcome, sandbox, reply)


_embedded: asyncio.Task | None = None


def start_embedded() -> None:
    """Start the agent in this process's running loop, once (the embedded run)."""
    global _embedded
    if _embedded is None or _embedded.done():
        _embedded = asyncio.get_running_loop().create_task(Agent().serve())
