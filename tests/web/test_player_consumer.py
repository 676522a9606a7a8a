"""The player's websocket after a change: every list of hosts on the page follows the step, the words are
a learner's, and a sandbox that is not on the kernel any more gets a way out instead of a wait."""

from __future__ import annotations

import re

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

from agent.protocol import missing_message, sandbox_group
from hosts.models import Placement
from hosts.services import local_host
from labs.catalog import get_lab
from labs.consumers import SandboxConsumer
from labs.models import Sandbox

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


def communicator(user, name: str) -> WebsocketCommunicator:
    socket = WebsocketCommunicator(SandboxConsumer.as_asgi(), f"/ws/sandbox/{name}/")
    socket.scope["user"] = user
    socket.scope["url_route"] = {"kwargs": {"name": name}}
    return socket


@pytest.fixture
def evolution(django_user_model, sandbox_name):
    user = django_user_model.objects.create_user("mover", password="x")
    Sandbox.objects.create(name=sandbox_name, owner=user, lab_id="evolution")
    return user, sandbox_name


async def on_step(name: str, step: int) -> list[str]:
    """The sandbox on a step of its lab, as its host reports it."""
    hosts = [h.name for h in get_lab("evolution").step(step).topology.hosts]
    host = await sync_to_async(local_host)()
    await Placement.objects.aupdate_or_create(
        name=name,
        defaults={
            "host": host,
            "lab": "evolution",
            "step": step,
            "net_hosts": hosts,
            "health": "ok",
            "meta": {"lab": "evolution", "step": step},
        },
    )
    return hosts


async def test_after_a_step_the_console_and_walk_lists_offer_the_new_steps_hosts(evolution):
    user, name = evolution
    layer = get_channel_layer()
    await layer.flush()
    old = await on_step(name, 1)
    new = await on_step(name, 3)
    gone, added = set(old) - set(new), set(new) - set(old)
    assert gone and added
    socket = communicator(user, name)
    assert (await socket.connect())[0]
    report = {
        "operations": 12,
        "counts": {"CreateNamespace": 2, "AddAddress": 4, "SetSysctl": 6},
        "summaries": [],
        "seconds": 0.2,
        "describe": "12 operations (2 CreateNamespace, ...)",
    }
    await layer.group_send(
        sandbox_group(name),
        {
            "type": "job.done",
            "job_id": "j",
            "job": "lab_step",
            "sandbox": name,
            "result": {"step": 3, "report": report},
        },
    )
    done = await socket.receive_from()
    assert "now on step 3: 2 hosts, 4 addresses changed in 0.2 s" in done
    assert "CreateNamespace" not in done and "operations" not in done
    stage = await socket.receive_from()
    for list_id, tag in (("console-target", "select"), ("walk-source", "select"), ("walk-destinations", "datalist")):
        element = re.search(rf'<{tag}[^>]*id="{list_id}"[^>]*hx-swap-oob="true"[^>]*>(.*?)</{tag}>', stage).group(1)
        offered = set(re.findall(r'<option(?: value="([^"]*)">|>([^<]*)</option>)', element))
        offered = {a or b for a, b in offered}
        assert offered == set(new), (list_id, offered)
    assert 'hx-swap-oob="true"' in stage
    await socket.disconnect()


async def test_a_sandbox_the_kernel_does_not_have_offers_a_rebuild_and_a_way_back(evolution):
    user, name = evolution
    await get_channel_layer().flush()
    socket = communicator(user, name)
    assert (await socket.connect())[0]
    await get_channel_layer().group_send(sandbox_group(name), missing_message(name))
    stage = await socket.receive_from()
    assert 'id="stage-missing"' in stage and "being built" not in stage
    way_out = await socket.receive_from()
    assert f'hx-post="/sandbox/{name}/rebuild/"' in way_out and 'href="/labs/evolution/"' in way_out
    await socket.disconnect()


async def test_a_page_rendered_during_the_build_that_connects_after_it_gets_the_picture(evolution):
    user, name = evolution
    await get_channel_layer().flush()
    await on_step(name, 1)  # the build finished before the page's websocket connected: its end went by unheard
    socket = WebsocketCommunicator(SandboxConsumer.as_asgi(), f"/ws/sandbox/{name}/?building=1")
    socket.scope.update({"user": user, "url_route": {"kwargs": {"name": name}}})
    assert (await socket.connect())[0]
    stage = await socket.receive_from()
    assert stage.startswith('<div id="stage" hx-swap-oob="true">') and 'id="topology"' in stage
    await socket.disconnect()


async def test_an_exercise_page_of_a_sandbox_the_kernel_does_not_have_offers_a_rebuild_and_its_class(
    django_user_model, sandbox_name
):
    from classrooms.models import Classroom
    from exercises.consumers import ExerciseConsumer

    user = await django_user_model.objects.acreate(username="exerciser")
    room = await Classroom.objects.acreate(name="Morning", instructor=user, lab_id="connecting-containers")
    await Sandbox.objects.acreate(name=sandbox_name, owner=user, classroom=room, exercise_id="veth-by-hand")
    await get_channel_layer().flush()
    socket = WebsocketCommunicator(ExerciseConsumer.as_asgi(), f"/ws/exercise/{sandbox_name}/")
    socket.scope.update({"user": user, "url_route": {"kwargs": {"name": sandbox_name}}})
    assert (await socket.connect())[0]
    await get_channel_layer().group_send(sandbox_group(sandbox_name), missing_message(sandbox_name))
    way_out = await socket.receive_from()
    assert f'hx-post="/sandbox/{sandbox_name}/rebuild/"' in way_out and f'href="/classes/{room.code}/"' in way_out
    await socket.disconnect()
