"""Roles and who may see or change what: instructors, students and admins are groups of users.

Every view and websocket asks these functions; none decides on its own.
"""

from __future__ import annotations

from netcore.errors import PodpathError

INSTRUCTOR, STUDENT, ADMIN = "instructor", "student", "admin"
ROLES = (ADMIN, INSTRUCTOR, STUDENT)


class Forbidden(PodpathError):
    """The user may not do this (the view answers 403 or 404)."""


def role_of(user) -> str | None:
    """Return the strongest role a user has (admin, instructor, student), or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    if user.is_superuser:
        return ADMIN
    groups = set(user.groups.values_list("name", flat=True))
    return next((role for role in ROLES if role in groups), None)


def is_admin(user) -> bool:
    return role_of(user) == ADMIN


def is_instructor(user) -> bool:
    return role_of(user) in (ADMIN, INSTRUCTOR)


def can_use_sandbox(user, sandbox) -> bool:
    """Its owner, the instructor of its class, and admins may watch and change a sandbox."""
    if not getattr(user, "is_authenticated", False):
        return False
    if sandbox.owner_id == user.pk or is_admin(user):
        return True
    return sandbox.classroom is not None and sandbox.classroom.instructor_id == user.pk


def can_teach(user, classroom) -> bool:
    return is_admin(user) or classroom.instructor_id == getattr(user, "pk", None)
