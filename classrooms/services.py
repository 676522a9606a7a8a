"""Writes for classes: join one with its code, present it (students who follow see the instructor's step).

Keyword-only functions named ``<entity>_<action>``. Creating a class and stepping the sandboxes of a
class are the labs app's (``labs.services``): a class teaches a lab, and only labs knows the catalog.
"""

from __future__ import annotations

from classrooms.models import Classroom, Enrollment
from classrooms.roles import Forbidden, can_teach
from netcore.errors import NotFound

__all__ = ["Forbidden", "classroom_join", "classroom_present"]


def classroom_join(*, student, code: str) -> Enrollment:
    classroom = Classroom.objects.filter(code=code.strip().upper()).first()
    if classroom is None:
        raise NotFound(f"no class has the code {code.strip()!r}")
    enrollment, _ = Enrollment.objects.get_or_create(classroom=classroom, student=student)
    return enrollment


def classroom_present(*, user, classroom: Classroom, presenting: bool) -> Classroom:
    if not can_teach(user, classroom):
        raise Forbidden("only the class's instructor can present")
    classroom.presenting = presenting
    classroom.save(update_fields=["presenting"])
    return classroom
