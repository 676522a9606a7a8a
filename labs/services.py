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
from classrooms import services as classroom_services
from classrooms.models import Classroom, Enrollment
from classrooms.roles import Forbidden, can_teach, can_use_sandbox
from hosts.selectors import placement_get, placement_step, sandbox_on_kernel
from hosts.services import sandbox_move_target, sandbox_place
from labs.catalog import get_lab
from labs.models import Sandbox
from labs.signals import sandbox_restarted
from netcore.errors import PodpathError


def classroom_create(*, instructor, name: str, lab_id: str) -> Classroom:
    get_lab(lab_id)  # refuse an unknown lab
    name = name.strip()
    if not name:
        raise PodpathError("a class needs a name")
    return Classroom.objects.create(name=name[:100], instructor=instructor, lab_id=lab_id)


def classroom_present(*, user, classroom: Classroom, presenting: bool) -> Classroom:
    """Start or stop presenting; the class starts on the step the instructor's own sandbox is on."""
    step = None
    own = Sandbox.objects.filter(classroom=classroom, owner=user, exercise_id="").first()
    if presenting and own is not None:
        step = placement_step(name=own.name)  # None: not built (any more), the class keeps its step
    return classroom_services.classroom_present(user=user, classroom=classroom, presenting=presenting, step=step)


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


def presents(user, sandbox: Sandbox) -> bool:
    """The user is presenting the class this lab sandbox is in (their moves move the class)."""
    room = sandbox.classroom
    return room is not None and room.presenting and room.instructor_id == user.pk and not sandbox.exercise_id


def sandbox_step(*, user, sandbox: Sandbox, step: int) -> str:
    """Queue moving a sandbox to a step of its lab; returns the job id."""
    sandbox_check(user=user, sandbox=sandbox)
    get_lab(sandbox.lab_id).step(step)
    step_away(user=user, sandbox=sandbox)
    job_id = submit_sync("lab_step", sandbox.name, {"step": step})
    if presents(user, sandbox):
        classroom_follow(classroom=sandbox.classroom, step=step)
    return job_id


def sandbox_move(*, user, sandbox: Sandbox, by: int) -> str:
    """Queue moving a sandbox ``by`` steps (next: 1, previous: -1) from where its earlier moves leave it.

    Quick clicks add up: the agent runs one sandbox's moves in order and counts each from the step the
    one before reached. A presenting instructor's class step is counted here, in one database update."""
    sandbox_check(user=user, sandbox=sandbox)
    if presents(user, sandbox):
        last = len(get_lab(sandbox.lab_id).steps)
        with transaction.atomic():  # two clicks at once read and write the class's step in turn
            room = Classroom.objects.select_for_update().get(pk=sandbox.classroom_id)
            room.present_step = step = max(1, min(last, room.present_step + by))
            room.save(update_fields=["present_step"])
        return sandbox_step(user=user, sandbox=sandbox, step=step)
    step_away(user=user, sandbox=sandbox)
    return submit_sync("lab_step", sandbox.name, {"by": by})


def step_away(*, user, sandbox: Sandbox) -> None:
    """A following student who moves on their own stops following (the page warned them first)."""
    room = sandbox.classroom
    if room is not None and room.presenting and sandbox.owner_id == user.pk and room.instructor_id != user.pk:
        Enrollment.objects.filter(classroom=room, student=user, follows=True).update(follows=False)


def enrollment_follow(*, user, classroom: Classroom, follows: bool) -> Enrollment:
    """Follow the instructor's steps again (the own sandbox moves to the class's step) or stop."""
    enrollment = classroom_services.enrollment_follow(user=user, classroom=classroom, follows=follows)
    if follows and classroom.presenting:
        for sandbox in Sandbox.objects.filter(classroom=classroom, owner=user, exercise_id=""):
            submit_sync("lab_step", sandbox.name, {"step": classroom.present_step})
    return enrollment


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


def sandbox_rebuild(*, user, sandbox: Sandbox) -> str:
    """Build again a sandbox whose kernel side is gone (deleted with the CLI, or its build failed)."""
    sandbox_check(user=user, sandbox=sandbox)
    if sandbox_on_kernel(name=sandbox.name):
        raise PodpathError(f"sandbox {sandbox.name} is on the kernel: reset it instead")
    sandbox_restarted.send(sender=Sandbox, sandbox=sandbox)
    return build_again(sandbox)


def build_again(sandbox: Sandbox) -> str:
    """Queue the build of a sandbox from nothing on the host holding it (placed anew if none does)."""
    job, name, args = build_job(sandbox)
    if placement_get(name=name) is None:  # its placement went with it: place it again, like a new one
        sandbox_place(
            name=name,
            lab="" if sandbox.exercise_id else sandbox.lab_id,
            kind="exercise" if sandbox.exercise_id else "",
            desired={"job": job, "args": args},
        )
    return submit_sync(job, name, args)


def build_job(sandbox: Sandbox) -> tuple[str, str, dict]:
    """The job that builds a sandbox from nothing: its exercise's start, or its lab's (class's) step."""
    if sandbox.exercise_id:
        return "exercise_start", sandbox.name, {"exercise_id": sandbox.exercise_id}
    classroom = sandbox.classroom
    step = classroom.present_step if classroom is not None and classroom.presenting else 1
    return "lab_start", sandbox.name, {"lab_id": sandbox.lab_id, "step": step}


def sandbox_admin_reset(*, name: str) -> str:
    """An admin's reset of any sandbox: its starting state, whatever it was made for; say what was asked."""
    sandbox = Sandbox.objects.filter(name=name).first()
    if sandbox is not None:  # back on its starting state: the apps above forget what it ran
        sandbox_restarted.send(sender=Sandbox, sandbox=sandbox)
    if sandbox is not None and not sandbox_on_kernel(name=name):
        build_again(sandbox)
        return f"rebuilding {name}: it was not on the kernel"
    if sandbox is not None and sandbox.exercise_id:
        submit_sync("exercise_reset", name, {"exercise_id": sandbox.exercise_id})
        return f"putting {name} back on the starting state of exercise {sandbox.exercise_id}"
    submit_sync("lab_reset", name)
    return f"putting {name} back on step 1 of its lab"


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
    classroom.present_step = 1  # a presenting class presents step 1 again, like every sandbox in it
    classroom.save(update_fields=["present_step"])
    return [submit_sync("lab_reset", s.name) for s in Sandbox.objects.filter(classroom=classroom, exercise_id="")]


def sandbox_relocate(*, name: str, to: str = "") -> str:
    """Rebuild a sandbox on another host from its desired state, then delete the old copy; return the new
    host. The new host builds it and takes its row, then tells the old host to delete its copy: the
    sandbox stays usable on the old host until the new one is ready."""
    placement, target, build = sandbox_move_target(name=name, to=to)
    args = {**build["args"], MOVED_FROM: placement.host.host_id}
    submit_sync(build["job"], name, args, host=target.host_id)
    return target.host_id
