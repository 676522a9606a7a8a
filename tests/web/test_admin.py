"""The admin's sandbox table, with a fake agent: leftovers removed only after a confirmation and only when no
sandbox record owns them (the hosts' agents list them: the web side reads no kernel files), resets that fit
what the sandbox was made for, sandboxes missing on the kernel. What each host holds is its placement rows."""

from __future__ import annotations

import pytest

from exercises.models import AppliedDocument, Submission
from hosts.models import Placement
from hosts.services import local_host
from labs.models import Sandbox
from tests.conftest import new_sandbox_name

pytestmark = pytest.mark.django_db


@pytest.fixture
def fake_agent(agent, monkeypatch):
    monkeypatch.setattr("labs.views.admin_views.submit_sync", agent.submit)
    return agent


@pytest.fixture
def cli_sandbox():
    """A sandbox made with `podpath sandbox create`: its host reported it, the dashboard has no row for it."""
    name = new_sandbox_name()
    Placement.objects.create(name=name, host=local_host(), step=0, net_hosts=["a"], health="ok")
    return name


@pytest.fixture
def leftover(monkeypatch):
    """What a crashed delete leaves on the host: a runtime directory named after a sandbox with no record,
    as the host's agent lists it."""
    name = new_sandbox_name()
    asked = []

    def call(job: str, sandbox: str, args: dict | None = None, timeout: float = 0, host: str | None = None):
        asked.append((job, host))
        assert job == "leftovers"
        return {"leftovers": [{"sandbox": name, "items": [f"runtime directory {name}"]}]}

    monkeypatch.setattr("labs.views.admin_views.call_sync", call)
    return name


def test_remove_leftovers_asks_first_and_never_touches_a_sandbox_made_with_the_cli(
    admin_client, fake_agent, cli_sandbox, leftover
):
    table = admin_client.get("/manage/sandboxes/").content.decode()
    row = table[table.index(f'id="row-{cli_sandbox}"') :]
    assert "made with the CLI" in row[: row.index("</tr>")]
    confirm = admin_client.get("/manage/sandboxes/orphans/")
    assert confirm.status_code == 200 and fake_agent.calls == []  # looking removes nothing
    html = confirm.content.decode()
    assert f'id="leftover-{leftover}"' in html and f"runtime directory {leftover}" in html
    assert cli_sandbox not in html
    admin_client.post("/manage/sandboxes/orphans/", {"sandbox": [leftover, cli_sandbox]})
    assert fake_agent.calls == [("gc", "gc", {"only": [leftover]})] and fake_agent.hosts == ["local"]


def test_the_admins_reset_of_an_exercise_sandbox_resets_the_exercise(
    admin_client, fake_agent, people, room, sandbox_name
):
    sandbox = Sandbox.objects.create(name=sandbox_name, owner=people["ada"], classroom=room, exercise_id="nodeport")
    applied = Submission.objects.create(
        student=people["ada"], classroom=room, exercise_id="nodeport", text="x: 1", accepted=True
    )
    AppliedDocument.objects.create(sandbox=sandbox, submission=applied)
    Placement.objects.create(
        name=sandbox_name,
        host=local_host(),
        kind="cluster",
        step=0,
        net_hosts=["node0"],
        health="ok",
        meta={"kind": "cluster", "exercise": "nodeport"},
    )
    page = admin_client.post(f"/manage/sandboxes/{sandbox_name}/reset/", follow=True).content.decode()
    assert fake_agent.calls == [("exercise_reset", sandbox_name, {"exercise_id": "nodeport"})]
    assert "starting state of exercise nodeport" in page
    assert not AppliedDocument.objects.filter(sandbox=sandbox).exists()  # the page shows the starting document


def test_a_sandbox_deleted_with_the_cli_is_in_the_table_and_can_be_rebuilt(
    admin_client, fake_agent, people, sandbox_name
):
    Sandbox.objects.create(name=sandbox_name, owner=people["ada"], lab_id="evolution")  # no placement: deleted
    html = admin_client.get("/manage/sandboxes/").content.decode()
    row = html[html.index(f'id="row-{sandbox_name}"') :]
    row = row[: row.index("</tr>")]
    assert "ada" in row and "not on the kernel" in row and ">rebuild<" in row
    admin_client.post(f"/manage/sandboxes/{sandbox_name}/reset/")
    assert fake_agent.calls == [("lab_start", sandbox_name, {"lab_id": "evolution", "step": 1})]
    assert Placement.objects.get(name=sandbox_name).desired["job"] == "lab_start"  # placed again to be rebuilt


def test_a_sandbox_its_host_reports_missing_is_rebuilt_on_that_host(admin_client, fake_agent, people, sandbox_name):
    Sandbox.objects.create(name=sandbox_name, owner=people["ada"], lab_id="evolution")
    Placement.objects.create(name=sandbox_name, host=local_host(), lab="evolution", step=2, health="missing")
    html = admin_client.get("/manage/sandboxes/").content.decode()
    row = html[html.index(f'id="row-{sandbox_name}"') :]
    assert "not on the kernel" in row[: row.index("</tr>")] and ">rebuild<" in row[: row.index("</tr>")]
    admin_client.post(f"/manage/sandboxes/{sandbox_name}/reset/")
    assert fake_agent.calls == [("lab_start", sandbox_name, {"lab_id": "evolution", "step": 1})]
    assert Placement.objects.filter(name=sandbox_name).count() == 1
