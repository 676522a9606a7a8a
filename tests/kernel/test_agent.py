"""The agent on the in-memory channel layer: jobs run on the real kernel, progress and outcome reach
the sandbox's group, failures come back as messages, never as a dead agent."""

from __future__ import annotations

import asyncio

import pytest
from channels.layers import get_channel_layer

from agent.client import call
from agent.protocol import LOCAL_HOST, sandbox_group
from agent.worker import Agent
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
        result = await call("lab_start", sandbox_name, {"lab_id": "connecting-containers", "step": 3}, host=LOCAL_HOST)
        assert result["step"] == 3 and result["report"]["operations"] > 0
        heard = []
        while not heard or heard[-1]["type"] != "job.done":
            heard.append(await asyncio.wait_for(layer.receive(listener), 5))
        assert any(m["type"] == "job.progress" for m in heard)
        assert heard[-1]["result"] == result

        with pytest.raises(PodpathError, match="has no step 42"):
            await call("lab_step", sandbox_name, {"step": 42}, host=LOCAL_HOST)
        stepped = await call("lab_step", sandbox_name, {"step": 2}, host=LOCAL_HOST)
        assert stepped["report"]["operations"] > 0
    finally:
        agent.cancel()
        if record_exists(sandbox_name):
            lifecycle.delete_sandbox(sandbox_name)


def test_kernel_tabs_show_what_the_last_step_changed_and_the_kernel_agrees(sandbox_name):
    from agent.jobs import run_job

    def quiet(*_):
        return None

    try:
        run_job("lab_start", {"sandbox": sandbox_name, "lab_id": "connecting-containers", "step": 2}, quiet)
        run_job("lab_step", {"sandbox": sandbox_name, "step": 3}, quiet)
        changed = {
            tab: run_job("kernel_view", {"sandbox": sandbox_name, "tab": tab}, quiet)
            for tab in ("links", "addresses", "routes", "nftables")
        }
        assert all(view["change"]["title"].startswith("moving to step 3") for view in changed.values())
        added = [
            (tab, host, text)
            for tab, view in changed.items()
            for host, lines in view["change"]["hosts"].items()
            for sign, text in lines
            if sign == "+"
        ]
        assert added, "step 3 adds something to the kernel"
        for tab, host, text in added:  # every added line names something the kernel now shows
            if tab in ("links", "addresses"):
                name, detail = text.split()[0], text.split()[-1] if tab == "addresses" else text.split()[0]
                assert name in changed[tab]["hosts"][host] and detail in changed[tab]["hosts"][host]
        run_job("lab_step", {"sandbox": sandbox_name, "step": 3}, quiet)
        again = run_job("kernel_view", {"sandbox": sandbox_name, "tab": "links"}, quiet)["change"]
        assert again["hosts"] == {}, "a step onto the same step changes nothing"
    finally:
        if record_exists(sandbox_name):
            lifecycle.delete_sandbox(sandbox_name)


@pytest.mark.django_db
def test_the_player_shows_commands_to_try_with_this_sandboxs_addresses(sandbox_name):
    from agent.host import report
    from agent.jobs import run_job
    from hosts.services import local_host
    from labs.models import Sandbox
    from labs.selectors import player_get
    from netcore.kube import api

    try:
        run_job("lab_start", {"sandbox": sandbox_name, "lab_id": "kubernetes", "step": 6}, lambda *_: None)
        report(local_host().host_id, sandbox_name)  # as the agent does after a job: the page reads this row
        player = player_get(sandbox=Sandbox(name=sandbox_name, lab_id="kubernetes"))
        commands = [t.command for t in player.tries]
        assert commands and not any("{{" in c for c in commands), commands
        service_ip = api.load_cluster(sandbox_name).get("Service", "default", "hello-world-service")["spec"][
            "clusterIP"
        ]
        assert any(f"http://{service_ip}:8080/" in c for c in commands)
    finally:
        if record_exists(sandbox_name):
            lifecycle.delete_sandbox(sandbox_name)


@pytest.mark.asyncio
async def test_three_moves_to_the_next_step_asked_at_once_land_three_steps_on(sandbox_name):
    from agent.client import submit
    from netcore.sandbox.registry import read_record

    layer = get_channel_layer()
    listener = await layer.new_channel()
    await layer.group_add(sandbox_group(sandbox_name), listener)
    agent = asyncio.create_task(Agent(layer).serve())
    try:
        await call("lab_start", sandbox_name, {"lab_id": "evolution", "step": 1}, host=LOCAL_HOST)
        for _ in range(3):  # three quick clicks on "next", none waiting for the one before
            await submit("lab_step", sandbox_name, {"by": 1}, host=LOCAL_HOST)
        done = []
        while len(done) < 3:
            message = await asyncio.wait_for(layer.receive(listener), 60)
            if message["type"] in ("job.done", "job.failed") and message["job"] == "lab_step":
                done.append(message)
        assert [m["result"]["step"] for m in done] == [2, 3, 4]
        assert read_record(sandbox_name).meta["step"] == 4
    finally:
        agent.cancel()
        if record_exists(sandbox_name):
            lifecycle.delete_sandbox(sandbox_name)
