"""Exercises in a class, with a fake agent: the class's list, the exercise page and its actions, progress
records, who may see what, the instructor's class view and the CSV of attempts."""

from __future__ import annotations

import csv
import io

import pytest

from classrooms.models import Classroom
from exercises import exercise_catalog, get_exercise
from exercises.models import Attempt, HintShown, PredictAnswer, Submission
from exercises.selectors import applied_submission, exercise_list
from labs import services
from labs.models import Sandbox

pytestmark = pytest.mark.django_db
CONNECTING = ["veth-by-hand", "bridge-three", "missing-route", "masquerade", "port-mapping"]


def url(room, exercise_id: str, action: str = "") -> str:
    return f"/classes/{room.code}/exercises/{exercise_id}/" + (f"{action}/" if action else "")


def signed_in(client, user):
    client.force_login(user)
    return client


def answered(client, room, exercise_id: str):
    """Open the exercise and answer its prediction (the editor opens after that)."""
    client.get(url(room, exercise_id))
    choice = get_exercise(exercise_id).predict.answer
    client.post(url(room, exercise_id, "predict"), {"choice": choice})
    return Sandbox.objects.get(exercise_id=exercise_id, classroom=room)


# -- which exercises a class gets ---------------------------------------------------------------------


def test_a_class_gets_the_exercises_on_its_labs_topics_and_an_unlisted_lab_gets_all(room, people):
    assert sorted(e.id for e in exercise_list(classroom=room)) == sorted(CONNECTING)
    kube = Classroom(name="k", instructor=people["teacher"], lab_id="kubernetes")
    assert {e.topic for e in exercise_list(classroom=kube)} == {
        "pods",
        "services",
        "getting-outside",
        "getting-inside-l4",
        "getting-inside-l7",
        "limiting-access",
    }
    whole_talk = Classroom(name="p", instructor=people["teacher"], lab_id="life-of-a-packet")
    assert [e.id for e in exercise_list(classroom=whole_talk)] == list(exercise_catalog())


def test_the_class_page_lists_the_exercises_with_the_students_own_status(client, room, people, agent):
    Attempt.objects.create(student=people["ada"], classroom=room, exercise_id="masquerade", results=[], passed=True)
    Attempt.objects.create(student=people["bob"], classroom=room, exercise_id="veth-by-hand", results=[], passed=False)
    html = signed_in(client, people["ada"]).get(f"/classes/{room.code}/").content.decode()
    for exercise_id in CONNECTING:
        assert f'href="{url(room, exercise_id)}"' in html
    row = html[html.index('id="exercise-masquerade"') :]
    assert "passed" in row[: row.index("</tr>")]
    row = html[html.index('id="exercise-veth-by-hand"') :]
    assert "not yet" not in row[: row.index("</tr>")]  # bob's attempt is not ada's
    assert "class-progress-link" not in html  # the progress view is the instructor's


# -- the exercise page ------------------------------------------------------------------------------


def test_the_first_visit_builds_the_sandbox_once_and_shows_the_build(client, room, people, agent):
    page = signed_in(client, people["ada"]).get(url(room, "veth-by-hand"))
    assert page.status_code == 200
    sandbox = Sandbox.objects.get(owner=people["ada"], classroom=room, exercise_id="veth-by-hand")
    assert sandbox.lab_id == ""
    assert agent.calls == [("exercise_start", sandbox.name, {"exercise_id": "veth-by-hand"})]
    html = page.content.decode()
    assert "building the sandbox" in html and f'ws-connect="/ws/exercise/{sandbox.name}/?building=1"' in html
    assert 'id="goal"' in html and "<code>c1</code>" in html  # the goal, rendered from Markdown
    assert client.get(url(room, "veth-by-hand")).status_code == 200
    assert agent.jobs() == ["exercise_start"] and Sandbox.objects.filter(owner=people["ada"]).count() == 1


def test_the_prediction_comes_first_and_opens_the_editor_prefilled_with_the_start(client, room, people, agent):
    signed_in(client, people["ada"])
    html = client.get(url(room, "veth-by-hand")).content.decode()
    predict = get_exercise("veth-by-hand").predict
    assert html.index('id="predict"') < html.index('id="goal"')
    for choice in predict.choices:
        assert f'value="{choice}"' in html
    assert 'id="gated"' in html and 'id="document"' not in html

    answer = client.post(url(room, "veth-by-hand", "predict"), {"choice": predict.choices[0]})
    html = answer.content.decode()
    saved = PredictAnswer.objects.get(student=people["ada"], exercise_id="veth-by-hand")
    assert saved.choice == predict.choices[0] and saved.correct == (predict.choices[0] == predict.answer)
    # The packet is sent as soon as the answer is on the page, and the workspace opens.
    assert f'hx-post="{url(room, "veth-by-hand", "predict/walk")}" hx-trigger="load"' in html
    assert '<section id="workspace" class="workspace" hx-swap-oob="true">' in html
    editor = html[html.index('id="document"') :]
    assert get_exercise("veth-by-hand").start_text.splitlines()[0] in editor

    client.post(url(room, "veth-by-hand", "predict"), {"choice": predict.answer})  # the first answer counts
    assert PredictAnswer.objects.get(student=people["ada"], exercise_id="veth-by-hand").choice == predict.choices[0]
    assert client.post(url(room, "veth-by-hand", "predict"), {"choice": "none of these"}).status_code == 400


def test_the_packet_settles_the_prediction_and_says_whether_it_was_right(client, room, people, agent):
    signed_in(client, people["ada"])
    client.get(url(room, "masquerade"))
    predict = get_exercise("masquerade").predict
    wrong = next(c for c in predict.choices if c != predict.answer)
    assert client.post(url(room, "masquerade", "predict/walk")).status_code == 400  # answer first
    client.post(url(room, "masquerade", "predict"), {"choice": wrong})
    html = client.post(url(room, "masquerade", "predict/walk")).content.decode()
    assert 'class="predict-verdict wrong"' in html and predict.answer in html
    assert predict.explain.split(";")[0] in html
    assert 'id="walk-events"' in html and html.count('class="walk-step"') == 2
    assert agent.jobs()[-1] == "exercise_predict"


def test_a_prediction_about_the_solved_state_waits_for_a_passing_check(client, room, people, agent):
    signed_in(client, people["ada"])
    sandbox = answered(client, room, "bridge-three")
    html = client.get(url(room, "bridge-three")).content.decode()
    assert 'id="predict-waits"' in html and 'id="predict-play"' not in html
    agent.passing = set(range(len(get_exercise("bridge-three").checks)))
    html = client.post(url(room, "bridge-three", "check")).content.decode()
    assert 'id="predict" class="predict" hx-swap-oob="true"' in html and 'hx-trigger="load"' in html
    assert sandbox.name in {s for _, s, _ in agent.calls}


def test_apply_stores_every_submission_and_shows_a_refusal_by_field(client, room, people, agent):
    signed_in(client, people["ada"])
    sandbox = answered(client, room, "veth-by-hand")
    solution = get_exercise("veth-by-hand").solution
    agent.accept = False
    html = client.post(url(room, "veth-by-hand", "apply"), {"document": "bad"}).content.decode()
    assert "Refused: nothing changed" in html and "hosts.c1.interfaces.eth0.address" in html
    assert applied_submission(sandbox=sandbox) is None
    agent.accept = True
    html = client.post(url(room, "veth-by-hand", "apply"), {"document": solution}).content.decode()
    assert "Applied." in html and "c1: add address 172.17.0.2/16 on eth0" in html
    assert [(s.text, s.accepted) for s in Submission.objects.filter(student=people["ada"])] == [
        ("bad", False),
        (solution, True),
    ]
    assert applied_submission(sandbox=sandbox).text == solution
    assert agent.calls[-1] == ("exercise_submit", sandbox.name, {"exercise_id": "veth-by-hand", "text": solution})
    # Back on the page, the editor holds what was applied.
    assert solution.splitlines()[3] in client.get(url(room, "veth-by-hand")).content.decode()


def test_a_check_is_recorded_with_each_criterion_its_observation_and_the_hint_of_a_failing_one(
    client, room, people, agent
):
    signed_in(client, people["ada"])
    sandbox = answered(client, room, "veth-by-hand")
    exercise = get_exercise("veth-by-hand")
    agent.passing = {0}
    html = client.post(url(room, "veth-by-hand", "check")).content.decode()
    assert "1 of 5 criteria pass" in html and "Attempt 1" in html
    assert 'class="criterion passed" id="criterion-0"' in html and 'class="criterion failed" id="criterion-1"' in html
    assert "no answer within 1 s" in html and "Hint:" in html
    client.post(url(room, "veth-by-hand", "apply"), {"document": exercise.solution})
    agent.passing = set(range(len(exercise.checks)))
    html = client.post(url(room, "veth-by-hand", "check")).content.decode()
    assert "Every criterion passes" in html and "Attempt 2" in html and "Hint:" not in html
    first, second = Attempt.objects.filter(student=people["ada"], exercise_id="veth-by-hand")
    assert (first.passed, first.submission, len(first.results)) == (False, None, 5)
    assert first.failed_titles == [c.title for c in exercise.checks[1:]]
    assert second.passed and second.submission.text == exercise.solution
    assert ("exercise_check", sandbox.name, {"exercise_id": "veth-by-hand"}) in agent.calls


def test_hints_are_revealed_one_at_a_time_and_recorded(client, room, people, agent):
    signed_in(client, people["ada"])
    answered(client, room, "masquerade")
    hints = get_exercise("masquerade").hints
    html = client.post(url(room, "masquerade", "hint")).content.decode()
    assert html.count("<li>") == 1 and f"({len(hints) - 1} left)" in html
    for _ in range(len(hints) + 1):
        html = client.post(url(room, "masquerade", "hint")).content.decode()
    assert html.count("<li>") == len(hints) and "That was the last hint" in html
    assert list(HintShown.objects.filter(student=people["ada"]).values_list("number", flat=True)) == [0, 1, 2]
    assert "masquerade" in client.get(url(room, "masquerade")).content.decode()


def test_reset_puts_the_start_back_in_the_editor_and_forgets_the_applied_document(client, room, people, agent):
    signed_in(client, people["ada"])
    sandbox = answered(client, room, "veth-by-hand")
    client.post(url(room, "veth-by-hand", "apply"), {"document": get_exercise("veth-by-hand").solution})
    html = client.post(url(room, "veth-by-hand", "reset")).content.decode()
    assert 'id="document"' in html and 'hx-swap-oob="true"' in html
    assert get_exercise("veth-by-hand").start_text.splitlines()[0] in html
    assert applied_submission(sandbox=sandbox) is None
    assert agent.calls[-1] == ("exercise_reset", sandbox.name, {"exercise_id": "veth-by-hand"})


def test_a_cluster_exercise_starts_with_an_empty_editor(client, people, agent):
    kube = Classroom.objects.create(name="k", instructor=people["teacher"], lab_id="kubernetes")
    kube.enrollments.create(student=people["ada"])
    html = signed_in(client, people["ada"]).get(url(kube, "clusterip-service")).content.decode()
    assert 'id="predict"' not in html and 'aria-label="your document" placeholder="apiVersion: v1' in html
    editor = html[html.index('id="document"') :]
    assert editor[editor.index(">") + 1 :].startswith("</textarea>")


# -- who may see what -------------------------------------------------------------------------------


def test_only_members_open_a_class_exercise_and_only_the_labs_exercises(client, room, people, agent):
    assert signed_in(client, people["eve"]).get(url(room, "masquerade")).status_code == 404
    assert client.post(url(room, "masquerade", "check")).status_code == 404
    signed_in(client, people["ada"])
    assert client.get(url(room, "clusterip-service")).status_code == 404  # not on this lab's topics
    assert client.get(url(room, "no-such-exercise")).status_code == 404
    assert client.post(url(room, "masquerade", "check")).status_code == 404  # not opened yet
    assert agent.calls == []
    client.logout()
    assert client.get(url(room, "masquerade")).status_code == 302  # to the sign-in page


def test_a_student_sees_only_their_own_exercise_sandbox_and_attempts(client, room, people, agent):
    signed_in(client, people["ada"])
    answered(client, room, "veth-by-hand")
    agent.passing = {0, 1}
    client.post(url(room, "veth-by-hand", "check"))
    mine = Sandbox.objects.get(owner=people["ada"], exercise_id="veth-by-hand")

    signed_in(client, people["bob"])
    html = client.get(url(room, "veth-by-hand")).content.decode()
    theirs = Sandbox.objects.get(owner=people["bob"], exercise_id="veth-by-hand")
    assert theirs.name != mine.name and mine.name not in html
    assert "Attempt 1" not in html and 'id="check-summary"' not in html
    client.post(url(room, "veth-by-hand", "predict"), {"choice": get_exercise("veth-by-hand").predict.answer})
    agent.passing = set()
    client.post(url(room, "veth-by-hand", "check"))
    assert Attempt.objects.get(student=people["bob"]).results[1]["passed"] is False  # bob's own, on his own
    assert agent.calls[-1][1] == theirs.name
    assert client.get(f"/sandbox/{mine.name}/").status_code == 404
    assert client.post(f"/sandbox/{mine.name}/console/", {"target": "c1", "line": "ip addr show"}).status_code == 404
    assert client.get(f"/classes/{room.code}/progress/").status_code == 404
    assert client.get(f"/classes/{room.code}/attempts.csv").status_code == 404
    # The owner reaching the player's address for it lands on the exercise page.
    signed_in(client, people["ada"])
    assert client.get(f"/sandbox/{mine.name}/")["Location"] == url(room, "veth-by-hand")


def test_an_instructor_sees_only_their_own_classes(client, room, people, agent):
    signed_in(client, people["other_teacher"])
    assert client.get(f"/classes/{room.code}/progress/").status_code == 404
    assert client.get(f"/classes/{room.code}/attempts.csv").status_code == 404
    assert client.get(url(room, "masquerade")).status_code == 404
    signed_in(client, people["teacher"])
    assert client.get(f"/classes/{room.code}/progress/").status_code == 200


def test_exercise_sandboxes_do_not_follow_the_class_or_get_reset_with_its_lab(client, room, people, agent):
    signed_in(client, people["ada"]).get(url(room, "veth-by-hand"))
    lab, _ = services.sandbox_open(user=people["ada"], lab_id="connecting-containers", classroom=room)
    agent.calls.clear()
    services.classroom_follow(classroom=room, step=3)
    services.classroom_reset(user=people["teacher"], classroom=room)
    assert agent.calls == [("lab_step", lab.name, {"step": 3}), ("lab_reset", lab.name, {})]
    html = client.get(f"/classes/{room.code}/").content.decode()
    assert "Open my sandbox" in html  # ada's lab sandbox, not her exercise one


# -- the instructor's class view ----------------------------------------------------------------------


def test_the_class_view_shows_students_by_exercises_and_the_tally_of_each_prediction(client, room, people, agent):
    masquerade = get_exercise("masquerade").predict
    for name, choice in (("ada", masquerade.answer), ("bob", masquerade.choices[0])):
        PredictAnswer.objects.create(
            student=people[name],
            classroom=room,
            exercise_id="masquerade",
            choice=choice,
            correct=choice == masquerade.answer,
        )
    PredictAnswer.objects.create(
        student=people["teacher"], classroom=room, exercise_id="masquerade", choice=masquerade.choices[0], correct=False
    )  # not a student: not counted
    for passed in (False, True):
        Attempt.objects.create(
            student=people["ada"], classroom=room, exercise_id="masquerade", results=[], passed=passed
        )
    html = signed_in(client, people["teacher"]).get(f"/classes/{room.code}/progress/").content.decode()
    assert f'ws-connect="/ws/classroom/{room.code}/"' in html
    cell = html[html.index(f'id="progress-{people["ada"].pk}-masquerade"') :]
    cell = cell[: cell.index("</div>")]
    assert "passed" in cell and '<span class="attempts">2</span>' in cell
    assert f'id="progress-{people["bob"].pk}-masquerade"' in html
    tally = html[html.index('id="tally-masquerade"') :]
    tally = tally[: tally.index("</div>")]
    counts = [int(part.split("</td>")[0]) for part in tally.split('<td class="count">')[1:]]
    assert counts == [1 if c in (masquerade.answer, masquerade.choices[0]) else 0 for c in masquerade.choices]
    assert '<span class="answered">2</span> of 2 students answered' in tally
    section = html[html.index('id="prediction-masquerade"') :]
    assert section.index('id="tally-masquerade"') < section.index("Reveal the answer") < section.index("</section>")


def test_the_csv_has_one_row_per_attempt_with_the_failed_criteria(client, room, people, agent):
    results = [
        {"index": 0, "title": "c1 pings", "passed": True},
        {"index": 1, "title": "the host pings c1", "passed": False},
        {"index": 2, "title": "no internet", "passed": False},
    ]
    Attempt.objects.create(
        student=people["ada"], classroom=room, exercise_id="veth-by-hand", results=results, passed=False
    )
    Attempt.objects.create(
        student=people["bob"],
        classroom=room,
        exercise_id="masquerade",
        results=[{**r, "passed": True} for r in results],
        passed=True,
    )
    other = Classroom.objects.create(name="x", instructor=people["other_teacher"], lab_id="evolution")
    Attempt.objects.create(
        student=people["ada"], classroom=other, exercise_id="router-forwarding", results=[], passed=True
    )
    response = signed_in(client, people["teacher"]).get(f"/classes/{room.code}/attempts.csv")
    assert response["Content-Type"].startswith("text/csv")
    assert f'filename="{room.code}-attempts.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["student", "exercise", "time", "passed", "failed criteria"]
    assert [(r[0], r[1], r[3], r[4]) for r in rows[1:]] == [
        ("ada", "veth-by-hand", "no", "the host pings c1; no internet"),
        ("bob", "masquerade", "yes", ""),
    ]
    assert all(r[2].endswith("+00:00") for r in rows[1:])
