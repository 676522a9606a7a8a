"""Writes for labs: a class for a lab, sandboxes, present mode's steps, and the kernel work asked of the agent.

Keyword-only functions named ``<entity>_<action>``. Kernel work never runs here: it is queued to the
agent of the sandbox's host (``agent``), whose progress and outcome reach the sandbox's websocket group.
A new sandbox is placed on a host (hosts.services) in the transaction that creates its row: with no
room anywhere, NoCapacity is raised and nothing is left behind.
"""

from __future__ import annotations

import secrets

from django.db import transaction

from agent.client import submit_sync
from agent.protocol import MOVED_FROM
from classrooms.models import Classroom, Enrollment
from classrooms.roles import Forbidden, can_teach, can_use_sandbox
from hosts.services import sandbox_move_target, sandbox_place
from labs.catalog import get_lab
from labs.models import Sandbox
from netcore.errors import PodpathError


def classroom_create(*, instructor, name: str, lab_id: str) -> Classroom:
    get_lab(lab_id)  # refuse an unknown lab
    name = name.strip()
    if not name:
        raise PodpathError("a class needs a name")
    return Classroom.objects.create(name=name[:100], instructor=instructor, lab_id=lab_id)


def new_sandbox_name() -> str:
    return "s" + secrets.token_hex(5)


def sandbox_open(*, user, lab_id: str, classroom: Classroom | None = None, step: int = 1) -> tuple[Sandbox, bool]:
    """Return the user's sandbox for a lab (in a class), creating and building it on first visit.

    The second value tells whether a build was queued (the page shows its progress). A full fleet raises
    NoCapacity and creates nothing.
    """
    get_lab(lab_id).step(step)
    args = {"lab_id": lab_id, "step": step}
    with transaction.atomic():
        existing = Sandbox.objects.filter(owner=user, lab_id=lab_id, classroom=classroom).first()
        if existing is not None:
            return existing, False
        sandbox = Sandbox.objects.create(name=new_sandbox_name(), owner=user, lab_id=lab_id, classroom=classroom)
        sandbox_place(name=sandbox.name, lab=lab_id, desired={"job": "lab_start", "args": args})
    submit_sync("lab_start", sandbox.name, args)
    return sandbox, True


def sandbox_check(*, user, sandbox: Sandbox) -> None:
    if not can_use_sandbox(user, sandbox):
        raise Forbidden(f"sandbox {sandbox.name} is not yours")


def sandbox_step(*, user, sandbox: Sandbox, step: int) -> str:
    """Queue moving a sandbox to a step of its lab; returns the job id."""
    sandbox_check(user=user, sandbox=sandbox)
    get_lab(sandbox.lab_id).step(step)
    job_id = submit_sync("lab_step", sandbox.name, {"step": step})
    classroom = sandbox.classroom
    if classroom is not None and classroom.presenting and classroom.instructor_id == user.pk:
        classroom_follow(classroom=classroom, step=step)
    return job_id


def classroom_follow(*, classroom: Classroom, step: int) -> None:
    """Present mode: the class is on ``step``; every following student's sandbox moves with it."""
    classroom.present_step = step
    classroom.save(update_fields=["present_step"])
    following = Enrollment.objects.filter(classroom=classroom, follows=True).values_list("student_id", flat=True)
    for sandbox in Sandbox.objects.filter(classroom=classroom, owner_id__in=following, exercise_id=""):
        submit_sync("lab_step", sandbox.name, {"step": step})


def sandbox_reset(*, user, sandbox: Sandbox) -> str:
    sandbox_check(user=user, sandbox=sandbox)
    return submit_sync("lab_reset", sandbox.name)


def sandbox_delete(*, user, sandbox: Sandbox) -> str:
    sandbox_check(user=user, sandbox=sandbox)
    job_id = submit_sync("delete", sandbox.name)
    sandbox.delete()
    return job_id


def sandbox_apply(*, user, sandbox: Sandbox, text: str) -> str:
    sandbox_check(user=user, sandbox=sandbox)
    return submit_sync("apply", sandbox.name, {"text": text, "source": "editor"})


def classroom_reset(*, user, classroom: Classroom) -> list[str]:
    """Reset every sandbox of a class to its lab's first step."""
    if not can_teach(user, classroom):
        raise Forbidden("only the class's instructor or an admin can reset it")
    return [submit_sync("lab_reset", s.name) for s in Sandbox.objects.filter(classroom=classroom, exercise_id="")]


def sandbox_move(*, name: str, to: str = "") -> str:
    """Rebuild a sandbox on another host from its desired state, then delete the old copy; return the new
    host. The new host builds it and takes its row, then tells the old host to delete its copy: the
    sandbox stays usable on the old host until the new one is ready."""
    placement, target, build = sandbox_move_target(name=name, to=to)
    args = {**build["args"], MOVED_FROM: placement.host.host_id}
    submit_sync(build["job"], name, args, host=target.host_id)
    return target.host_id
