"""The admin's sandbox table, with a fake agent: leftovers removed only after a confirmation and only when no
sandbox record owns them, resets that fit what the sandbox was made for, sandboxes missing on the kernel."""

from __future__ import annotations

import pytest

from exercises.models import AppliedDocument, Submission
from labs.models import Sandbox
from netcore import names
from netcore.sandbox.registry import SandboxRecord, now_iso, write_record
from tests.conftest import new_sandbox_name

pytestmark = pytest.mark.django_db


@pytest.fixture
def fake_agent(agent, monkeypatch):
    monkeypatch.setattr("labs.views.admin_views.submit_sync", agent.submit)
    return agent


@pytest.fixture
def cli_sandbox():
    """A sandbox made with `podpath sandbox create`: a record on the host, no row in the dashboard."""
    name = new_sandbox_name()
    write_record(SandboxRecord(name=name, created=now_iso(), hosts=("a",), meta={}))
    yield name
    names.record_path(name).unlink()
    names.sandbox_dir(name).rmdir()


@pytest.fixture
def leftover():
    """What a crashed delete leaves: a runtime directory named after a sandbox that has no record."""
    name = new_sandbox_name()
    names.sandbox_dir(name).mkdir(parents=True)
    yield name
    names.sandbox_dir(name).rmdir()


def test_remove_leftovers_asks_first_and_never_touches_a_sandbox_made_with_the_cli(
        admin_client, fake_agent, cli_sandbox, leftover):
    table = admin_client.get("/manage/sandboxes/").content.decode()
    row = table[table.index(f'id="row-{cli_sandbox}"'):]
    assert "made with the CLI" in row[:row.index("</tr>")]
    confirm = admin_client.get("/manage/sandboxes/orphans/")
    assert confirm.status_code == 200 and fake_agent.calls == []  # looking removes nothing
    html = confirm.content.decode()
    assert f'id="leftover-{leftover}"' in html and f"runtime directory {leftover}" in html
    assert cli_sandbox not in html and 'id="leftover-locks"' not in html  # the lock files' directory
    admin_client.post("/manage/sandboxes/orphans/", {"sandbox": [leftover, cli_sandbox]})
    assert fake_agent.calls == [("gc", "gc", {"only": [leftover]})]


def test_the_admins_reset_of_an_exercise_sandbox_resets_the_exercise(admin_client, fake_agent, people, room,
                                                                     sandbox_name):
    sandbox = Sandbox.objects.create(name=sandbox_name, owner=people["ada"], classroom=room, exercise_id="nodeport")
    applied = Submission.objects.create(student=people["ada"], classroom=room, exercise_id="nodeport", text="x: 1",
                                        accepted=True)
    AppliedDocument.objects.create(sandbox=sandbox, submission=applied)
    write_record(SandboxRecord(name=sandbox_name, created=now_iso(), hosts=("node0",),
                               meta={"kind": "cluster", "exercise": "nodeport"}))
    try:
        page = admin_client.post(f"/manage/sandboxes/{sandbox_name}/reset/", follow=True).content.decode()
    finally:
        names.record_path(sandbox_name).unlink()
        names.sandbox_dir(sandbox_name).rmdir()
    assert fake_agent.calls == [("exercise_reset", sandbox_name, {"exercise_id": "nodeport"})]
    assert "starting state of exercise nodeport" in page
    assert not AppliedDocument.objects.filter(sandbox=sandbox).exists()  # the page shows the starting document


def test_a_sandbox_deleted_with_the_cli_is_in_the_table_and_can_be_rebuilt(admin_client, fake_agent, people,
                                                                           sandbox_name):
    Sandbox.objects.create(name=sandbox_name, owner=people["ada"], lab_id="evolution")  # no record: deleted
    html = admin_client.get("/manage/sandboxes/").content.decode()
    row = html[html.index(f'id="row-{sandbox_name}"'):]
    row = row[:row.index("</tr>")]
    assert "ada" in row and "not on the kernel" in row and ">rebuild<" in row
    admin_client.post(f"/manage/sandboxes/{sandbox_name}/reset/")
    assert fake_agent.calls == [("lab_start", sandbox_name, {"lab_id": "evolution", "step": 1})]
