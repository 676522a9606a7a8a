"""Writes for classes: join one with its code, present it (students who follow see the instructor's step).

Keyword-only functions named ``<entity>_<action>``. Creating a class and stepping the sandboxes of a
class are the labs app's (``labs.services``): a class teaches a lab, and only labs knows the catalog and
the sandboxes; its ``classroom_present`` and ``enrollment_follow`` wrap these with the sandboxes' steps.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, User
from django.db import transaction

from classrooms.models import Classroom, Enrollment
from classrooms.roles import STUDENT, Forbidden, can_teach
from netcore.errors import NotFound

__all__ = ["Forbidden", "classroom_join", "classroom_present", "enrollment_follow"]


def classroom_join(*, student, code: str) -> Enrollment:
    classroom = Classroom.objects.filter(code=code.strip().upper()).first()
    if classroom is None:
        raise NotFound(f"no class has the code {code.strip()!r}")
    enrollment, _ = Enrollment.objects.get_or_create(classroom=classroom, student=student)
    return enrollment


def classroom_present(*, user, classroom: Classroom, presenting: bool, step: int | None = None) -> Classroom:
    """Start or stop presenting; the class starts on ``step`` when given (labs.services.classroom_present
    passes the step the instructor's own sandbox is on)."""
    if not can_teach(user, classroom):
        raise Forbidden("only the class's instructor can present")
    classroom.presenting = presenting
    fields = ["presenting"]
    if step is not None:
        classroom.present_step = step
        fields.append("present_step")
    classroom.save(update_fields=fields)
    return classroom


def enrollment_follow(*, user, classroom: Classroom, follows: bool) -> Enrollment:
    """Follow the instructor's steps or stop (labs.services.enrollment_follow also moves the sandbox)."""
    enrollment = Enrollment.objects.get(classroom=classroom, student=user)
    enrollment.follows = follows
    enrollment.save(update_fields=["follows"])
    return enrollment


@transaction.atomic
def student_signup(*, username: str, password: str, classroom: Classroom) -> User:
    """Make a student account and enrol it in the class whose code it signed up with (all or nothing)."""
    user = User.objects.create_user(username=username, password=password)
    user.groups.add(Group.objects.get_or_create(name=STUDENT)[0])
    Enrollment.objects.create(classroom=classroom, student=user)
    return user
