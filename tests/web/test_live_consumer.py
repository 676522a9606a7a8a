"""The sandbox websocket: a page that connects asks the agent to watch, one that leaves lets it stop,
and a live view from the agent reaches the page as the ``#live-state`` swap the picture script reads."""

from __future__ import annotations

import asyncio
import json
from html import unescape

import pytest
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User

from agent.protocol import LOCAL_HOST, agent_channel, sandbox_group
from labs.consumers import FORBIDDEN, SandboxConsumer
from labs.live import LiveView
from labs.models import Sandbox

AGENT_CHANNEL = agent_channel(LOCAL_HOST)  # no placement, embedded: the one in-process host


def communicator(user, name: str) -> WebsocketCommunicator:
    socket = WebsocketCommunicator(SandboxConsumer.as_asgi(), f"/ws/sandbox/{name}/")
    socket.scope["user"] = user
    socket.scope["url_route"] = {"kwargs": {"name": name}}
    return socket


@pytest.fixture
def owned(django_user_model, sandbox_name):
    user = django_user_model.objects.create_user("livestudent", password="x")
    Sandbox.objects.create(name=sandbox_name, owner=user, lab_id="connecting-containers")
    return user, sandbox_name


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_connecting_asks_the_agent_to_watch_and_views_reach_the_page(owned):
    user, name = owned
    layer = get_channel_layer()
    await layer.flush()  # the in-memory layer outlives a test
    socket = communicator(user, name)
    connected, _ = await socket.connect()
    assert connected
    watch = await layer.receive(AGENT_CHANNEL)
    assert watch["type"] == "agent.watch" and watch["sandbox"] == name and watch["watcher"] and watch["lease"] > 0

    view = LiveView(7, frozenset({"c1", "host"}), frozenset({"link-c1.eth0-host.veth1"}), {"c1": "⇅ 1.2 kB"})
    await layer.group_send(sandbox_group(name), {"type": "state.view", "view": view.to_message()})
    html = await socket.receive_from()
    assert html.startswith('<div id="live-state" hx-swap-oob="true" hidden>') and html.endswith("</div>")
    sent = json.loads(unescape(html.split(">", 1)[1].rsplit("<", 1)[0]))
    assert LiveView.from_message(sent) == view

    await socket.disconnect()
    unwatch = await layer.receive(AGENT_CHANNEL)
    assert unwatch == {"type": "agent.unwatch", "sandbox": name, "watcher": watch["watcher"]}


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_someone_elses_sandbox_is_refused_and_never_watched(owned):
    _, name = owned
    await get_channel_layer().flush()
    stranger = await User.objects.acreate(username="stranger")
    socket = communicator(stranger, name)
    connected, code = await socket.connect()
    assert not connected and code == FORBIDDEN
    with pytest.raises(asyncio.TimeoutError):  # nothing was sent to the agent
        await asyncio.wait_for(get_channel_layer().receive(AGENT_CHANNEL), 0.2)
