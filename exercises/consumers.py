"""Websockets for exercises: subscribe and forward, as server-rendered partials swapped in by id.

``ExerciseConsumer`` (``ws/exercise/<sandbox>/``) follows an exercise sandbox's group ``sandbox.<name>``:
the agent's progress, and the picture once a build, reset or submission is done.
``ClassroomConsumer`` (``ws/classroom/<code>/``) follows a class's group ``classroom.<code>``, fed by
``exercises.services`` when an attempt or an answer is recorded: it re-reads the cell or the tally
that changed and forwards it. Neither writes anything.
"""

from __future__ import annotations

from channels.db import database_sync_to_async
from django.template.loader import render_to_string

from classrooms.models import Classroom
from classrooms.roles import can_teach, can_use_sandbox
from exercises import get_exercise, selectors
from exercises.services import classroom_group
from labs import wording
from labs.consumers import FORBIDDEN, GroupConsumer, SandboxConsumer
from labs.models import Sandbox

__all__ = ["FORBIDDEN", "ClassroomConsumer", "ExerciseConsumer"]

RESTAGED = ("exercise_start", "exercise_reset", "exercise_submit")  # jobs that change what the picture shows


@database_sync_to_async
def allowed_exercise_sandbox(user, name: str) -> Sandbox | None:
    sandbox = Sandbox.objects.select_related("classroom").filter(name=name).first()
    if sandbox is None or not sandbox.exercise_id or not can_use_sandbox(user, sandbox):
        return None
    return sandbox


@database_sync_to_async
def render_stage(name: str, *, unless_building: bool = False) -> str | None:
    """The picture and the console's targets, read afresh (the submission may have changed)."""
    sandbox = Sandbox.objects.select_related("classroom").get(name=name)
    stage = selectors.exercise_stage_get(sandbox=sandbox, exercise=get_exercise(sandbox.exercise_id))
    if unless_building and stage.building:
        return None
    inner = render_to_string("labs/partials/exercise_stage.html", {"stage": stage})
    targets = render_to_string("labs/partials/console_targets.html", {"targets": stage.targets, "targets_oob": True})
    return f'<div id="exercise-stage" hx-swap-oob="true">{inner}</div>{targets}'


def done_words(job: str, result: dict) -> str:
    if job == "exercise_check":
        passed = sum(r["passed"] for r in result["results"])
        return f"checked: {passed} of {len(result['results'])} criteria pass"
    if job == "exercise_submit":
        return (
            "applied: " + ("; ".join(result["changes"]) or "nothing to change")
            if result["accepted"]
            else "refused: nothing changed"
        )
    if job == "exercise_predict":
        return "one packet sent"
    if job == "exercise_reset":
        return "back on the starting state"
    return wording.done_words(job, result)


class ExerciseConsumer(SandboxConsumer):
    """Live view of one exercise sandbox: job progress, the picture and its live kernel state."""

    find_sandbox = staticmethod(allowed_exercise_sandbox)

    async def stage_if_built(self) -> str | None:
        return await render_stage(self.sandbox.name, unless_building=True)

    async def job_done(self, event: dict) -> None:
        await self.send_progress(done=done_words(event["job"], event["result"]))
        if event["job"] in RESTAGED:
            await self.send(text_data=await render_stage(self.sandbox.name))

    async def send_missing(self, *, reason: str) -> None:
        await self.send(
            text_data=render_to_string(
                "labs/partials/sandbox_missing.html", {"sandbox": self.sandbox, "reason": reason, "oob": True}
            )
        )


@database_sync_to_async
def taught_classroom(user, code: str) -> Classroom | None:
    room = Classroom.objects.filter(code=code).first()
    return room if room is not None and can_teach(user, room) else None


@database_sync_to_async
def render_cell(room: Classroom, student_id: int, exercise_id: str) -> str:
    cell = selectors.progress_cell(classroom=room, student_id=student_id, exercise_id=exercise_id)
    return render_to_string("labs/partials/progress_cell.html", {"cell": cell, "cell_oob": True})


@database_sync_to_async
def render_tally(room: Classroom, exercise_id: str) -> str:
    tally = selectors.prediction_tally(classroom=room, exercise=get_exercise(exercise_id))
    return render_to_string("labs/partials/predict_tally_counts.html", {"tally": tally, "tally_oob": True})


class ClassroomConsumer(GroupConsumer):
    """Live view of a class for its instructor: progress cells and prediction tallies."""

    async def group_for_user(self) -> str | None:
        self.room = await taught_classroom(self.scope["user"], self.scope["url_route"]["kwargs"]["code"])
        return None if self.room is None else classroom_group(self.room.code)

    async def attempt_recorded(self, event: dict) -> None:
        await self.send(text_data=await render_cell(self.room, event["student"], event["exercise"]))

    async def prediction_answered(self, event: dict) -> None:
        await self.send(text_data=await render_tally(self.room, event["exercise"]))
