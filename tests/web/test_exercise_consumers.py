"""The exercise websockets on the in-memory layer: the class's live view hears of every check and
answer the services record (and only its instructor may listen); an exercise page hears its sandbox's
jobs and gets its picture back after a change."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import Client

from agent.protocol import sandbox_group
from exercises import get_exercise
from exercises import services as exercise_services
from exercises.consumers import FORBIDDEN, ClassroomConsumer, ExerciseConsumer
from hosts.models import Placement
from hosts.services import local_host
from labs.models import Sandbox

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


def classroom_socket(user, code: str) -> WebsocketCommunicator:
    socket = WebsocketCommunicator(ClassroomConsumer.as_asgi(), f"/ws/classroom/{code}/")
    socket.scope["user"] = user
    socket.scope["url_route"] = {"kwargs": {"code": code}}
    return socket


def exercise_socket(user, name: str, query: str = "") -> WebsocketCommunicator:
    socket = WebsocketCommunicator(ExerciseConsumer.as_asgi(), f"/ws/exercise/{name}/?{query}")
    socket.scope["user"] = user
    socket.scope["url_route"] = {"kwargs": {"name": name}}
    return socket


async def opened(user, room, exercise_id: str) -> Sandbox:
    sandbox, _ = await sync_to_async(exercise_services.exercise_open)(
        user=user, classroom=room, exercise=get_exercise(exercise_id)
    )
    return sandbox


async def test_the_class_view_hears_a_check_and_an_answer_as_the_cell_and_tally_to_swap(room, people, agent):
    socket = classroom_socket(people["teacher"], room.code)
    assert (await socket.connect())[0]
    ada = people["ada"]
    sandbox = await opened(ada, room, "masquerade")
    agent.passing = set(range(len(get_exercise("masquerade").checks)))
    await sync_to_async(exercise_services.exercise_check)(user=ada, sandbox=sandbox)
    cell = await socket.receive_from()
    assert cell.startswith(f'<div id="progress-{ada.pk}-masquerade" class="cell passed" hx-swap-oob="true">')
    assert '<span class="attempts">1</span> attempt ·' in cell

    predict = get_exercise("masquerade").predict
    await sync_to_async(exercise_services.prediction_answer)(user=ada, sandbox=sandbox, choice=predict.answer)
    html = await socket.receive_from()
    assert html.startswith('<div id="tally-masquerade" class="tally-counts" hx-swap-oob="true">')
    assert '<span class="answered">1</span> of 2 students answered' in html
    # Answering again changes nothing, and says nothing.
    await sync_to_async(exercise_services.prediction_answer)(user=ada, sandbox=sandbox, choice=predict.choices[0])
    assert await socket.receive_nothing(timeout=0.2)
    await socket.disconnect()

    # What was pushed is what a fresh page shows: snapshot + events == a fresh snapshot.
    fresh = await sync_to_async(fresh_page)(people["teacher"], f"/classes/{room.code}/progress/")
    assert html.replace(' hx-swap-oob="true"', "") in fresh
    assert cell.replace(' hx-swap-oob="true"', "") in fresh


def fresh_page(user, path: str) -> str:
    client = Client()
    client.force_login(user)
    return client.get(path).content.decode()


async def test_only_the_classs_instructor_may_listen_to_it(room, people):
    for who in ("ada", "other_teacher"):
        connected, code = await classroom_socket(people[who], room.code).connect()
        assert not connected and code == FORBIDDEN
    connected, code = await classroom_socket(people["teacher"], "NOSUCH").connect()
    assert not connected and code == FORBIDDEN


async def test_an_exercise_page_hears_progress_and_gets_its_picture_after_a_change(room, people, agent):
    sandbox = await opened(people["ada"], room, "veth-by-hand")
    socket = exercise_socket(people["ada"], sandbox.name)
    assert (await socket.connect())[0]
    layer = get_channel_layer()
    await layer.group_send(
        sandbox_group(sandbox.name),
        {
            "type": "job.progress",
            "job_id": "j",
            "job": "exercise_start",
            "done": 3,
            "total": 9,
            "what": "add veth c1:eth0 <-> host:veth0",
        },
    )
    html = await socket.receive_from()
    # In a learner's words: the host being built and how far it got, not the operation.
    assert '<progress max="9" value="3"></progress>' in html and "building c1… 33% done" in html
    assert "veth" not in html
    result = {"accepted": True, "errors": [], "changes": ["c1: add address 172.17.0.2/16 on eth0"], "operations": 1}
    await layer.group_send(
        sandbox_group(sandbox.name),
        {"type": "job.done", "job_id": "j", "job": "exercise_submit", "sandbox": sandbox.name, "result": result},
    )
    assert "applied: c1: add address 172.17.0.2/16 on eth0" in await socket.receive_from()
    stage = await socket.receive_from()
    assert stage.startswith('<div id="exercise-stage" hx-swap-oob="true">')
    assert '<select name="target" id="console-target" aria-label="where to run" hx-swap-oob="true">' in stage
    assert "<option>c1</option>" in stage
    # The live kernel view goes to the same group: this page marks its picture with it too.
    view = {"seq": 2, "hosts": ["c1"], "down": [], "counters": {}}
    await layer.group_send(sandbox_group(sandbox.name), {"type": "state.view", "view": view})
    assert (await socket.receive_from()).startswith('<div id="live-state" hx-swap-oob="true" hidden>{&quot;seq&quot;:2')
    await layer.group_send(
        sandbox_group(sandbox.name),
        {"type": "job.failed", "job_id": "j", "job": "exercise_check", "sandbox": sandbox.name, "error": "boom"},
    )
    assert "boom" in await socket.receive_from()
    await socket.disconnect()


async def test_an_exercise_sandbox_is_refused_to_anyone_but_its_owner_and_class(room, people, agent):
    sandbox = await opened(people["ada"], room, "veth-by-hand")
    for who in ("bob", "eve", "other_teacher"):
        connected, code = await exercise_socket(people[who], sandbox.name).connect()
        assert not connected and code == FORBIDDEN
    lab = await Sandbox.objects.acreate(name="s0123456789", owner=people["ada"], lab_id="connecting-containers")
    connected, _ = await exercise_socket(people["ada"], lab.name).connect()
    assert not connected  # a lab's sandbox has the player's socket, not this one
    socket = exercise_socket(people["teacher"], sandbox.name)
    assert (await socket.connect())[0]
    await socket.disconnect()


async def test_a_page_rendered_while_building_gets_the_picture_once_the_sandbox_exists(room, people, sandbox_name):
    sandbox = await Sandbox.objects.acreate(
        name=sandbox_name, owner=people["ada"], classroom=room, exercise_id="veth-by-hand"
    )
    socket = exercise_socket(people["ada"], sandbox.name, "building=1")
    assert (await socket.connect())[0]
    assert await socket.receive_nothing(timeout=0.2)  # still building: the end of the build will say so
    await socket.disconnect()

    # Its host reports it built (the agent's report after exercise_start).
    await sync_to_async(Placement.objects.create)(
        name=sandbox_name,
        host=await sync_to_async(local_host)(),
        step=0,
        net_hosts=["c1", "host"],
        health="ok",
        meta={"exercise": "veth-by-hand"},
    )
    socket = exercise_socket(people["ada"], sandbox.name, "building=1")
    assert (await socket.connect())[0]
    stage = await socket.receive_from()  # the build got ahead of the page: the picture comes at once
    assert stage.startswith('<div id="exercise-stage" hx-swap-oob="true">') and 'id="node-c1"' in stage
    await socket.disconnect()
