"""The agent on the in-memory layer with stand-in jobs: one sandbox's changes run in the order they were
asked (the kernel's lock would let a later click overtake an earlier one), and a page watching a sandbox
that nothing builds and the kernel does not have hears that it is missing."""

from __future__ import annotations

import asyncio
import random
import threading
import time

import pytest
from channels.layers import get_channel_layer

from agent import worker
from agent.client import submit
from agent.protocol import sandbox_group
from agent.worker import Agent

pytestmark = pytest.mark.asyncio


async def test_one_sandboxs_moves_run_in_the_order_they_were_asked(monkeypatch, sandbox_name):
    ran, lock = [], threading.Lock()

    def slow_job(job, arguments, progress):
        with lock:  # like the sandbox's kernel lock: whoever gets it first runs first
            time.sleep(random.uniform(0.01, 0.05))
            ran.append(arguments["step"])
        return {"step": arguments["step"]}

    monkeypatch.setattr(worker, "run_job", slow_job)
    layer = get_channel_layer()
    await layer.flush()
    listener = await layer.new_channel()
    await layer.group_add(sandbox_group(sandbox_name), listener)
    runner = Agent(layer)
    agent_host = runner.host_id  # named, not looked up: no database here
    agent = asyncio.create_task(runner.serve())
    try:
        for step in (2, 3, 4, 5, 6, 7):
            await submit("lab_step", sandbox_name, {"step": step}, host=agent_host)
        done = [await asyncio.wait_for(layer.receive(listener), 5) for _ in range(6)]
    finally:
        agent.cancel()
    assert ran == [2, 3, 4, 5, 6, 7] and [m["result"]["step"] for m in done] == ran


async def test_a_page_watching_a_sandbox_nothing_builds_and_the_kernel_lacks_hears_it_is_missing(
    monkeypatch, sandbox_name
):
    monkeypatch.setattr(worker, "observer_for", lambda name: (_ for _ in ()).throw(RuntimeError("no kernel here")))
    layer = get_channel_layer()
    await layer.flush()
    page = await layer.new_channel()
    agent = Agent(layer)
    agent.watch(sandbox_name, page)
    assert await asyncio.wait_for(layer.receive(page), 2) == {"type": "sandbox.missing", "sandbox": sandbox_name}
    await agent.close()
    # While a build of it is under way, it is not missing: it is being built.
    agent = Agent(layer)
    agent.pending[sandbox_name] = 1
    agent.watch(sandbox_name, page)
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(layer.receive(page), 0.3)
    await agent.close()


@pytest.mark.django_db(transaction=True)
async def test_a_sandbox_a_page_finds_missing_is_marked_missing_on_its_placement_before_the_page_hears(
    monkeypatch, sandbox_name
):
    from asgiref.sync import sync_to_async

    from hosts.models import Placement
    from hosts.services import local_host

    monkeypatch.setattr(worker, "observer_for", lambda name: (_ for _ in ()).throw(RuntimeError("no kernel here")))
    host = await sync_to_async(local_host)()
    await Placement.objects.acreate(name=sandbox_name, host=host, lab="evolution", step=2, health="ok")
    layer = get_channel_layer()
    await layer.flush()
    page = await layer.new_channel()
    agent = Agent(layer, host_id=host.host_id, hosted=True)
    agent.watch(sandbox_name, page)  # deleted with the CLI: the kernel has no record of it
    assert (await asyncio.wait_for(layer.receive(page), 5))["type"] == "sandbox.missing"
    assert (await Placement.objects.aget(name=sandbox_name)).health == "missing"  # the admin's table says so
    await agent.close()
