"""Live state on the real kernel: a page watching a sandbox hears, through the agent, that a cable went
down and came back, with the line ids the picture uses; nobody watching means no observer running."""

from __future__ import annotations

import asyncio
import time

import pytest
from channels.layers import get_channel_layer
from pyroute2 import IPRoute

from labs.agent.worker import AGENT_CHANNEL, Agent, sandbox_group
from labs.catalog import get_lab
from labs.diagram import layout
from labs.live import LiveView
from netcore import names
from netcore.observe import observer_for
from netcore.sandbox import lifecycle
from netcore.sandbox.registry import record_exists


async def next_view(layer, channel, predicate, timeout=5.0) -> tuple[LiveView, float]:
    deadline = time.monotonic() + timeout
    while True:
        message = await asyncio.wait_for(layer.receive(channel), max(0.01, deadline - time.monotonic()))
        if message["type"] == "state.view":
            view = LiveView.from_message(message["view"])
            if predicate(view):
                return view, time.monotonic()


def set_link(sandbox: str, host: str, ifname: str, state: str) -> None:
    with IPRoute(netns=names.netns_name(sandbox, host), flags=0) as ipr:
        ipr.link("set", index=ipr.link_lookup(ifname=ifname)[0], state=state)


@pytest.mark.asyncio
async def test_a_cable_set_down_reaches_the_watching_page_and_comes_back(sandbox_name):
    step = get_lab("connecting-containers").step(3)
    diagram = layout(step.topology)
    cable = next(line for line in diagram.lines if line.kind == "veth")
    host, ifname = cable.a.split(".", 1)

    layer = get_channel_layer()
    page = await layer.new_channel()
    await layer.group_add(sandbox_group(sandbox_name), page)
    agent = Agent(layer)
    serving = asyncio.create_task(agent.serve())
    try:
        lifecycle.create_sandbox(sandbox_name, step.topology)
        await layer.send(AGENT_CHANNEL, {"type": "agent.watch", "sandbox": sandbox_name, "watcher": page})
        first, _ = await next_view(layer, page, lambda v: {h.host for h in diagram.boxes} <= v.hosts)
        assert cable.id not in first.down

        await asyncio.get_running_loop().run_in_executor(None, set_link, sandbox_name, host, ifname, "down")
        changed = time.monotonic()
        down, heard = await next_view(layer, page, lambda v: cable.id in v.down)
        assert heard - changed < 1.0, "a cable going down should reach the page well within a second"
        assert down.seq > first.seq

        await asyncio.get_running_loop().run_in_executor(None, set_link, sandbox_name, host, ifname, "up")
        await next_view(layer, page, lambda v: cable.id not in v.down)

        await layer.send(AGENT_CHANNEL, {"type": "agent.unwatch", "sandbox": sandbox_name, "watcher": page})
        for _ in range(100):
            if sandbox_name not in agent.forwarders and not observer_for(sandbox_name).running:
                break
            await asyncio.sleep(0.02)
        assert not observer_for(sandbox_name).running, "the last page gone, the observer stops"
    finally:
        serving.cancel()
        await agent.close()
        if record_exists(sandbox_name):
            lifecycle.delete_sandbox(sandbox_name)
