"""A database made before the apps were split (labs 0002) migrates forward with every row kept.

Classroom and Enrollment moved to classrooms, the progress models to exercises, keeping their tables;
a sandbox's last applied submission moved from a column of labs_sandbox to exercises.AppliedDocument.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [
    ("labs", "0002_exercise_progress"),
    ("contenttypes", "0002_remove_content_type_name"),
    ("auth", "0012_alter_user_first_name_max_length"),
]


NOT_YET = [("classrooms", None), ("exercises", None)]  # apps that did not exist before the split


def migrate(targets):
    """Migrate the test database to ``targets``; return the models as they were there."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state([t for t in targets if t[1] is not None]).apps


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_rows_made_before_the_split_survive_it():
    old = migrate(BEFORE + NOT_YET)
    user = old.get_model("auth", "User").objects.create(username="teacher")
    student = old.get_model("auth", "User").objects.create(username="ada")
    room = old.get_model("labs", "Classroom").objects.create(
        name="Monday", code="MON123", instructor=user, lab_id="evolution"
    )
    old.get_model("labs", "Enrollment").objects.create(classroom=room, student=student, follows=False)
    progress = {"student": student, "classroom": room, "exercise_id": "veth-by-hand"}
    applied = old.get_model("labs", "Submission").objects.create(**progress, text="hosts: {}", accepted=True)
    old.get_model("labs", "Attempt").objects.create(**progress, submission=applied, results=[], passed=True)
    old.get_model("labs", "HintShown").objects.create(**progress, number=0)
    old.get_model("labs", "PredictAnswer").objects.create(**progress, choice="c1", correct=True)
    old.get_model("labs", "Sandbox").objects.create(
        name="s1", owner=student, classroom=room, exercise_id="veth-by-hand", submission=applied
    )
    old.get_model("labs", "Sandbox").objects.create(name="s2", owner=student, classroom=room, lab_id="evolution")
    content_types = old.get_model("contenttypes", "ContentType").objects
    content_types.filter(app_label__in=["classrooms", "exercises"]).delete()  # as on main: these apps were not there
    classroom_type = content_types.get_or_create(app_label="labs", model="classroom")[0]
    permission = old.get_model("auth", "Permission").objects.get_or_create(
        content_type=classroom_type, codename="present_classroom", defaults={"name": "Can present"}
    )[0]
    old.get_model("auth", "Group").objects.create(name="instructor").permissions.add(permission)

    new = migrate(latest())

    from classrooms.models import Classroom, Enrollment
    from exercises.models import AppliedDocument, Attempt, HintShown, PredictAnswer, Submission
    from labs.models import Sandbox

    room = Classroom.objects.get(code="MON123")
    assert (room.name, room.instructor.username, room.lab_id) == ("Monday", "teacher", "evolution")
    assert Enrollment.objects.get(classroom=room).follows is False
    submission = Submission.objects.get()
    assert (submission.text, submission.classroom, submission.student.username) == ("hosts: {}", room, "ada")
    assert Attempt.objects.get().submission == submission
    assert HintShown.objects.get().number == 0 and PredictAnswer.objects.get().choice == "c1"
    assert {s.name: s.classroom for s in Sandbox.objects.all()} == {"s1": room, "s2": room}
    assert [(a.sandbox.name, a.submission) for a in AppliedDocument.objects.all()] == [("s1", submission)]
    # Permissions granted on the moved models stay granted: their content type moved with them.
    from django.contrib.auth.models import Group

    assert list(
        Group.objects.get(name="instructor").permissions.values_list("content_type__app_label", "codename")
    ) == [("classrooms", "present_classroom")]
    assert new.get_model("exercises", "AppliedDocument")._meta.db_table == "exercises_applieddocument"


@pytest.mark.django_db(transaction=True)
def test_the_split_migrates_back_to_the_old_column():
    from django.contrib.auth.models import User

    from classrooms.models import Classroom
    from exercises.models import AppliedDocument, Submission
    from labs.models import Sandbox

    ada = User.objects.create(username="ada")
    room = Classroom.objects.create(name="Monday", instructor=ada, lab_id="evolution")
    submission = Submission.objects.create(student=ada, classroom=room, exercise_id="e", text="t", accepted=True)
    sandbox = Sandbox.objects.create(name="s1", owner=ada, classroom=room, exercise_id="e")
    AppliedDocument.objects.create(sandbox=sandbox, submission=submission)

    old = migrate(BEFORE + NOT_YET)
    assert old.get_model("labs", "Sandbox").objects.get(name="s1").submission_id == submission.pk
    migrate(latest())
    assert AppliedDocument.objects.get().submission == submission
