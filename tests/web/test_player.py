"""The lab player and present mode, with a fake agent: moves that add up, a class reset that resets
present mode too, *Present* opening the player, the following banner with leave and rejoin, a rebuild for
a sandbox deleted outside the dashboard, and the verdict of a prediction with nothing to explain."""

from __future__ import annotations

import pytest

from classrooms.models import Classroom, Enrollment
from exercises import get_exercise
from exercises.models import AppliedDocument, Submission
from hosts.models import Placement
from hosts.services import local_host
from labs.models import Sandbox
from tests.conftest import new_sandbox_name

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_step(sandbox_name):
    """A lab sandbox on a step, as its host reports it (no kernel: the fake agent does the moving)."""

    def write(name: str, step: int, lab: str = "connecting-containers") -> str:
        Placement.objects.update_or_create(
            name=name,
            defaults={
                "host": local_host(),
                "lab": lab,
                "step": step,
                "net_hosts": ["c1"],
                "health": "ok",
                "meta": {"lab": lab, "step": step},
            },
        )
        return name

    return write


def test_next_and_previous_are_counted_from_where_the_moves_before_them_leave_the_sandbox(
    client, people, agent, on_step, sandbox_name
):
    Sandbox.objects.create(name=sandbox_name, owner=people["ada"], lab_id="connecting-containers")
    on_step(sandbox_name, 1)
    client.force_login(people["ada"])
    for _ in range(3):  # three quick clicks, all on a page still showing step 1
        assert client.post(f"/sandbox/{sandbox_name}/move/next/").status_code == 200
    client.post(f"/sandbox/{sandbox_name}/move/previous/")
    assert agent.calls == [("lab_step", sandbox_name, {"by": 1})] * 3 + [("lab_step", sandbox_name, {"by": -1})]
    html = client.get(f"/sandbox/{sandbox_name}/").content.decode()
    assert f'hx-post="/sandbox/{sandbox_name}/move/next/"' in html and 'hx-disabled-elt="closest fieldset"' in html


def test_a_presenting_instructors_quick_clicks_move_the_class_step_by_step(client, people, room, agent, on_step):
    room.presenting = True
    room.save()
    mine = Sandbox.objects.create(name=new_sandbox_name(), owner=people["teacher"], classroom=room, lab_id=room.lab_id)
    theirs = Sandbox.objects.create(name=new_sandbox_name(), owner=people["ada"], classroom=room, lab_id=room.lab_id)
    on_step(mine.name, 1)
    client.force_login(people["teacher"])
    for _ in range(3):
        client.post(f"/sandbox/{mine.name}/move/next/")
    room.refresh_from_db()
    assert room.present_step == 4
    assert [args["step"] for job, name, args in agent.calls if name == theirs.name] == [2, 3, 4]


def test_resetting_the_whole_class_puts_present_mode_back_on_step_1(client, people, room, agent):
    room.presenting, room.present_step = True, 3
    room.save()
    client.force_login(people["teacher"])
    client.post(f"/classes/{room.code}/reset/")
    room.refresh_from_db()
    assert room.present_step == 1


def test_present_opens_the_instructors_player(client, people, room, agent):
    client.force_login(people["teacher"])
    response = client.post(f"/classes/{room.code}/present/", {"on": "1"})
    mine = Sandbox.objects.get(owner=people["teacher"], classroom=room)
    assert response.status_code == 302 and response["Location"] == f"/sandbox/{mine.name}/"
    assert agent.calls == [("lab_start", mine.name, {"lab_id": room.lab_id, "step": 1})]
    response = client.post(f"/classes/{room.code}/present/", {"on": "0"})
    assert response["Location"] == f"/classes/{room.code}/"


def test_presenting_starts_the_class_on_the_step_of_the_instructors_own_sandbox(
    client, people, room, agent, on_step, sandbox_name
):
    Sandbox.objects.create(name=sandbox_name, owner=people["teacher"], classroom=room, lab_id=room.lab_id)
    on_step(sandbox_name, 3)
    client.force_login(people["teacher"])
    response = client.post(f"/classes/{room.code}/present/", {"on": "1"})
    room.refresh_from_db()
    assert room.presenting and room.present_step == 3
    assert response["Location"] == f"/sandbox/{sandbox_name}/" and agent.calls == []  # built already


def test_a_following_student_sees_whom_they_follow_is_warned_before_stepping_away_and_can_rejoin(
    client, people, room, agent, on_step, sandbox_name
):
    room.presenting, room.present_step = True, 2
    room.save()
    Sandbox.objects.create(name=sandbox_name, owner=people["ada"], classroom=room, lab_id=room.lab_id)
    on_step(sandbox_name, 2)
    client.force_login(people["ada"])
    html = client.get(f"/sandbox/{sandbox_name}/").content.decode()
    assert 'id="following"' in html and "You are following <b>teacher</b>, step 2" in html
    assert 'hx-confirm="You are following teacher.' in html
    client.post(f"/sandbox/{sandbox_name}/move/next/")  # confirmed on the page: they step away
    assert not Enrollment.objects.get(classroom=room, student=people["ada"]).follows
    html = client.get(f"/sandbox/{sandbox_name}/").content.decode()
    assert "You left <b>teacher</b>&#x27;s steps" in html or "You left <b>teacher</b>'s steps" in html
    assert "Rejoin the class on step 2" in html and 'hx-confirm="You are following' not in html
    agent.calls.clear()
    response = client.post(f"/classes/{room.code}/follow/", {"on": "1", "back": sandbox_name})
    assert response["Location"] == f"/sandbox/{sandbox_name}/"
    assert Enrollment.objects.get(classroom=room, student=people["ada"]).follows
    assert agent.calls == [("lab_step", sandbox_name, {"step": 2})]  # back on the class's step
    # From the player, htmx swaps the banner in place (the page stays connected to hear the move).
    client.post(f"/classes/{room.code}/follow/", {"on": "0", "back": sandbox_name})
    banner = client.post(
        f"/classes/{room.code}/follow/", {"on": "1", "back": sandbox_name}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert banner.lstrip().startswith('<div class="following" id="following"') and "You are following" in banner


def test_a_sandbox_deleted_outside_the_dashboard_can_be_rebuilt_from_its_page(
    client, people, agent, on_step, sandbox_name
):
    Sandbox.objects.create(name=sandbox_name, owner=people["ada"], lab_id="evolution")  # no record
    client.force_login(people["ada"])
    html = client.post(f"/sandbox/{sandbox_name}/rebuild/").content.decode()
    assert "building the sandbox again" in html
    assert agent.calls == [("lab_start", sandbox_name, {"lab_id": "evolution", "step": 1})]
    on_step(sandbox_name, 1, lab="evolution")  # built: a second rebuild is refused, in words, in place
    refused = client.post(f"/sandbox/{sandbox_name}/rebuild/")
    assert refused.status_code == 400 and 'role="alert"' in refused.content.decode()
    assert "reset it instead" in refused.content.decode()


def test_a_rebuilt_exercise_sandbox_starts_its_exercise_again_with_the_starting_document(
    client, people, room, agent, sandbox_name
):
    sandbox = Sandbox.objects.create(name=sandbox_name, owner=people["ada"], classroom=room, exercise_id="nodeport")
    applied = Submission.objects.create(
        student=people["ada"], classroom=room, exercise_id="nodeport", text="x: 1", accepted=True
    )
    AppliedDocument.objects.create(sandbox=sandbox, submission=applied)
    client.force_login(people["ada"])
    client.post(f"/sandbox/{sandbox_name}/rebuild/")
    assert agent.calls == [("exercise_start", sandbox_name, {"exercise_id": "nodeport"})]
    assert not AppliedDocument.objects.filter(sandbox=sandbox).exists()


def test_a_prediction_with_nothing_to_explain_ends_with_the_verdict_not_none(client, people, agent):
    exercise = get_exercise("router-forwarding")
    assert exercise.predict is not None and exercise.predict.explain is None
    room = Classroom.objects.create(name="all", instructor=people["teacher"], lab_id="life-of-a-packet")
    Enrollment.objects.create(classroom=room, student=people["ada"])
    client.force_login(people["ada"])
    base = f"/classes/{room.code}/exercises/router-forwarding/"
    client.get(base)
    client.post(base + "predict/", {"choice": exercise.predict.answer})
    html = client.post(base + "predict/walk/").content.decode()
    verdict = html[html.index('id="predict-verdict"') : html.index("</div>")]
    assert "Right." in verdict and "None" not in verdict


def test_a_wrong_join_code_is_said_next_to_the_join_form(client, people):
    client.force_login(people["eve"])
    html = client.post("/classes/join/", {"code": "NOPE42"}, follow=True).content.decode()
    form = html.index('action="/classes/join/"')
    error = html.index('id="join-error"')
    assert form < error < html.index("</div>", form) + 200 and "NOPE42" in html[error : error + 200]


def test_a_kubernetes_sandbox_still_being_built_already_shows_its_yaml_panel(client, people, sandbox_name):
    # Its host reports the step only when the build is done; the stage it then sends has no YAML panel.
    Sandbox.objects.create(name=sandbox_name, owner=people["ada"], lab_id="kubernetes")
    client.force_login(people["ada"])
    html = client.get(f"/sandbox/{sandbox_name}/").content.decode()
    assert "being built" in html and 'name="manifests"' in html


def test_every_command_to_try_is_a_button_that_runs_it_in_the_console(
    client, people, agent, on_step, sandbox_name, monkeypatch
):
    """Issue 13 item 5: a step's commands run from where they are shown, through the console (the jail)."""
    import html as html_module
    import re

    from labs.catalog import get_lab

    async def console_call(job: str, sandbox: str, args: dict | None = None, timeout: float = 0) -> dict:
        agent.calls.append((job, sandbox, args or {}))
        return {"target": args["target"], "command": args["line"], "exit": 0, "output": "ran in the jail"}

    monkeypatch.setattr("labs.views.player.call", console_call)
    Sandbox.objects.create(name=sandbox_name, owner=people["ada"], lab_id="connecting-containers")
    on_step(sandbox_name, 3)
    client.force_login(people["ada"])
    page = client.get(f"/sandbox/{sandbox_name}/").content.decode()
    forms = re.findall(
        r'<form class="try" hx-post="([^"]+)".*?name="target" value="([^"]*)">'
        r'<input type="hidden" name="line" value="([^"]*)">',
        page,
        flags=re.S,
    )
    step = get_lab("connecting-containers").step(3)
    assert [(target, html_module.unescape(line)) for _, target, line in forms] == [
        (t.host, t.command) for t in step.tries
    ]
    assert {url for url, _, _ in forms} == {f"/sandbox/{sandbox_name}/console/"}
    target, line = forms[0][1], html_module.unescape(forms[0][2])
    answer = client.post(forms[0][0], {"target": target, "line": line}, HTTP_HX_REQUEST="true").content.decode()
    assert ("console", sandbox_name, {"target": target, "line": line}) in agent.calls
    assert "ran in the jail" in answer and 'class="console-entry"' in answer
