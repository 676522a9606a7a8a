"""Several kernel hosts, seen from the web tier: placement, routing to the holding host's channel, drain,
a full fleet, a host gone silent, and watch leases that lapse when no page renews them."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from channels.layers import get_channel_layer
from django.contrib.auth.models import User
from django.utils import timezone

from agent.client import call, submit
from agent.protocol import agent_channel
from agent.worker import Agent
from hosts.errors import HostDown, NoCapacity
from hosts.models import Host, Placement
from hosts.services import host_drain, sandbox_place
from labs.models import Sandbox

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def fleet(settings):
    """Two live agents, no embedded one: the web tier of a deployment on several machines."""
    settings.PODPATH_EMBEDDED_AGENT = False
    now = timezone.now()
    return {h: Host.objects.create(host_id=h, sandboxes=2, heartbeat=now) for h in ("h1", "h2")}


def test_a_new_sandbox_goes_to_the_least_loaded_live_host_and_a_full_fleet_says_so(fleet):
    placed = [sandbox_place(name=f"s{i}").host.host_id for i in range(4)]
    assert sorted(placed) == ["h1", "h1", "h2", "h2"] and placed[0] != placed[1]  # spread, not stacked
    with pytest.raises(NoCapacity, match="no capacity: every host is full"):
        sandbox_place(name="s9")
    assert not Placement.objects.filter(name="s9").exists()


def test_a_drained_or_silent_host_gets_no_new_sandbox(fleet):
    host_drain(host_id="h1")
    Host.objects.filter(host_id="h2").update(heartbeat=timezone.now() - timedelta(minutes=5))
    with pytest.raises(NoCapacity, match="no kernel host is up"):
        sandbox_place(name="s1")
    host_drain(host_id="h1", drained=False)
    assert sandbox_place(name="s1").host.host_id == "h1"


def test_opening_a_lab_on_a_full_fleet_shows_no_capacity_and_leaves_nothing(fleet, client):
    Host.objects.update(sandboxes=0)
    User.objects.create_user("ada", password="pw-ada-123")
    client.login(username="ada", password="pw-ada-123")
    page = client.post("/labs/connecting-containers/open/")
    assert page.status_code == 503 and "no capacity" in page.content.decode()
    assert not Sandbox.objects.exists() and not Placement.objects.exists()


@pytest.mark.asyncio
async def test_a_job_goes_to_the_channel_of_the_host_holding_the_sandbox(fleet):
    await Placement.objects.acreate(name="s1", host=fleet["h2"])
    layer = get_channel_layer()
    await layer.flush()
    job_id = await submit("lab_step", "s1", {"step": 2})
    message = await asyncio.wait_for(layer.receive(agent_channel("h2")), 1)
    assert message["job_id"] == job_id and message["sandbox"] == "s1"
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(layer.receive(agent_channel("h1")), 0.2)


@pytest.mark.asyncio
async def test_a_job_for_a_silent_host_fails_at_once_with_a_clear_message(fleet):
    await Host.objects.filter(host_id="h2").aupdate(heartbeat=timezone.now() - timedelta(minutes=5))
    await Placement.objects.acreate(name="s1", host=fleet["h2"])
    started = asyncio.get_running_loop().time()
    with pytest.raises(HostDown, match=r"host h2 is down \(silent for \d+ s\): sandbox s1 is unavailable"):
        await call("lab_step", "s1", {"step": 2}, timeout=30)
    assert asyncio.get_running_loop().time() - started < 2


def test_the_admin_page_shows_hosts_and_a_silent_hosts_sandboxes_unavailable(fleet, admin_client):
    Host.objects.filter(host_id="h2").update(heartbeat=timezone.now() - timedelta(minutes=5))
    Placement.objects.create(name="s1", host=fleet["h1"], lab="evolution", step=2, health="ok")
    Placement.objects.create(name="s2", host=fleet["h2"], lab="evolution", step=1, health="ok")
    html = admin_client.get("/manage/sandboxes/").content.decode()
    h2 = html[html.index('id="host-h2"') :]
    assert ">down<" in h2[: h2.index("</tr>")]
    s2 = html[html.index('id="row-s2"') :]
    assert "unavailable: host h2 is down" in s2[: s2.index("</tr>")]
    s1 = html[html.index('id="row-s1"') :]
    assert ">ok<" in s1[: s1.index("</tr>")]
    admin_client.post("/manage/hosts/h1/drain/", {"drained": "1"})
    assert Host.objects.get(host_id="h1").drained


@pytest.mark.asyncio
async def test_a_watch_nobody_renews_lapses_and_its_observer_stops(monkeypatch):
    async def forever(self, sandbox):
        await asyncio.Event().wait()

    monkeypatch.setattr(Agent, "forward_state", forever)
    agent = Agent(get_channel_layer(), host_id="h1")
    expiry = asyncio.create_task(agent.expire_watches(every=0.05))
    try:
        agent.watch("s1", "page-a", lease=0.2)
        agent.watch("s2", "page-b", lease=30)
        await asyncio.sleep(0.1)
        agent.watch("s1", "page-a", lease=0.2)  # renewed: still watched past the first lease
        await asyncio.sleep(0.15)
        assert "s1" in agent.forwarders
        await asyncio.sleep(0.3)  # no renewal: the web process that asked is gone
        assert "s1" not in agent.forwarders and "s1" not in agent.watchers
        assert "s2" in agent.forwarders
    finally:
        expiry.cancel()
        await agent.close()


def test_a_first_build_that_left_nothing_keeps_its_placement_marked_missing_until_deleted(fleet):
    from agent.host import report

    Placement.objects.create(
        name="tnobuild01",
        host=fleet["h1"],
        lab="evolution",
        desired={"job": "lab_start", "args": {"lab_id": "evolution", "step": 1}},
    )
    report("h1", "tnobuild01")  # the job failed before any record: keep what it should be, to build again
    assert Placement.objects.get(name="tnobuild01").health == "missing"
    report("h1", "tnobuild01", deleted=True)
    assert not Placement.objects.filter(name="tnobuild01").exists()


@pytest.mark.asyncio
async def test_a_move_builds_on_the_new_host_which_then_tells_the_old_one_to_delete(fleet, monkeypatch):
    from asgiref.sync import sync_to_async

    from labs.services import sandbox_relocate

    await Placement.objects.acreate(name="s1", host=fleet["h1"], lab="evolution", step=2, health="ok")
    layer = get_channel_layer()
    await layer.flush()
    assert await sync_to_async(sandbox_relocate)(name="s1") == "h2"
    build = await asyncio.wait_for(layer.receive(agent_channel("h2")), 1)
    assert build["job"] == "lab_start" and build["args"] == {"lab_id": "evolution", "step": 2, "moved_from": "h1"}

    # The new host's agent builds it, then sends the delete to the old host's channel.
    ran = []
    monkeypatch.setattr("agent.worker.run_job", lambda job, arguments, progress: ran.append((job, arguments)) or {})
    agent = Agent(layer, host_id="h2")
    await agent.run(build)
    assert ran == [("lab_start", {"sandbox": "s1", "lab_id": "evolution", "step": 2})]
    delete = await asyncio.wait_for(layer.receive(agent_channel("h1")), 1)
    assert delete["job"] == "delete" and delete["sandbox"] == "s1"


def test_the_old_hosts_word_no_longer_counts_once_the_new_host_claimed_the_sandbox(fleet):
    from hosts.services import placement_report

    Placement.objects.create(name="s1", host=fleet["h1"], lab="evolution", step=2, health="ok")
    placement_report(host_id="h2", name="s1", state={"step": 2, "health": "ok"}, claim=True)  # built on h2
    placement_report(host_id="h1", name="s1", state={"step": 2, "health": "degraded"})  # h1's last sweep
    placement_report(host_id="h1", name="s1", state=None)  # h1 deleted its copy
    placement = Placement.objects.get(name="s1")
    assert placement.host.host_id == "h2" and placement.health == "ok"
