"""The agent on the in-memory channel layer: jobs run on the real kernel, progress and outcome reach
the sandbox's group, failures come back as messages, never as a dead agent."""

from __future__ import annotations

import asyncio

import pytest
from channels.layers import get_channel_layer

from labs.agent.client import call
from labs.agent.worker import Agent, sandbox_group
from netcore.errors import PodpathError
from netcore.sandbox import lifecycle
from netcore.sandbox.registry import record_exists


@pytest.mark.asyncio
async def test_a_lab_job_runs_and_the_group_hears_progress_then_done(sandbox_name):
    layer = get_channel_layer()
    listener = await layer.new_channel()
    await layer.group_add(sandbox_group(sandbox_name), listener)
    agent = asyncio.create_task(Agent(layer).serve())
    try:
        result = await call("lab_start", sandbox_name, {"lab_id": "connecting-containers", "step": 3})
        assert result["step"] == 3 and result["report"]["operations"] > 0
        heard = []
        while not heard or heard[-1]["type"] != "job.done":
            heard.append(await asyncio.wait_for(layer.receive(listener), 5))
        assert any(m["type"] == "job.progress" for m in heard)
        assert heard[-1]["result"] == result

        with pytest.raises(PodpathError, match="has no step 42"):
            await call("lab_step", sandbox_name, {"step": 42})
        stepped = await call("lab_step", sandbox_name, {"step": 2})
        assert stepped["report"]["operations"] > 0
    finally:
        agent.cancel()
        if record_exists(sandbox_name):
            lifecycle.delete_sandbox(sandbox_name)
