"""Live state on the real kernel: a page watching a sandbox hears, through the agent, that a cable went
down and came back, with the line ids the picture uses; nobody watching means no observer running."""

from __future__ import annotations

import asyncio
import time

import pytest
from channels.layers import get_channel_layer
from pyroute2 import IPRoute

from agent.protocol import LOCAL_HOST, agent_channel, sandbox_group
from agent.worker import Agent
from labs.catalog import get_lab
from labs.diagram import layout
from labs.live import LiveView, live_view
from netcore import names
from netcore.observe import observer_for, read_live_state
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
        await layer.send(agent_channel(LOCAL_HOST), {"type": "agent.watch", "sandbox": sandbox_name, "watcher": page})
        first, _ = await next_view(layer, page, lambda v: {h.host for h in diagram.boxes} <= v.hosts)
        assert cable.id not in first.down

        await asyncio.get_running_loop().run_in_executor(None, set_link, sandbox_name, host, ifname, "down")
        changed = time.monotonic()
        down, heard = await next_view(layer, page, lambda v: cable.id in v.down)
        assert heard - changed < 1.0, "a cable going down should reach the page well within a second"
        assert down.seq > first.seq

        await asyncio.get_running_loop().run_in_executor(None, set_link, sandbox_name, host, ifname, "up")
        await next_view(layer, page, lambda v: cable.id not in v.down)

        await layer.send(agent_channel(LOCAL_HOST), {"type": "agent.unwatch", "sandbox": sandbox_name, "watcher": page})
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


@pytest.mark.asyncio
async def test_traffic_figures_reach_the_page_and_the_last_ones_are_not_held_back(sandbox_name):
    step = get_lab("connecting-containers").step(1)
    layer = get_channel_layer()
    page = await layer.new_channel()
    await layer.group_add(sandbox_group(sandbox_name), page)
    agent = Agent(layer)
    serving = asyncio.create_task(agent.serve())
    try:
        lifecycle.create_sandbox(sandbox_name, step.topology)
        await layer.send(agent_channel(LOCAL_HOST), {"type": "agent.watch", "sandbox": sandbox_name, "watcher": page})
        await next_view(layer, page, lambda v: {"host", "internet"} <= v.hosts)
        ping = await asyncio.create_subprocess_exec(
            "ip",
            "netns",
            "exec",
            names.netns_name(sandbox_name, "host"),
            "ping",
            "-c",
            "3",
            "-i",
            "0.2",
            "-q",
            "198.51.100.10",
            stdout=asyncio.subprocess.DEVNULL,
        )
        assert await ping.wait() == 0
        await asyncio.sleep(1.2)  # the observer reads counters once a second
        final = live_view(read_live_state(sandbox_name)).counters["host"]
        # Traffic stopped: the figure the kernel now shows must still arrive, without any further change.
        await next_view(layer, page, lambda v: v.counters.get("host") == final, timeout=4.0)
    finally:
        serving.cancel()
        await agent.close()
        if record_exists(sandbox_name):
            lifecycle.delete_sandbox(sandbox_name)
