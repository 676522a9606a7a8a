"""Writes for exercises: a student's exercise sandbox, what they apply and check, the hints they ask for,
their answers to predict questions; and the class's live feed.

Kernel work goes to the agent (``agent.jobs``: exercise_start, exercise_submit, exercise_check,
exercise_reset, exercise_predict). Each write that the instructor's class view shows (an attempt, an
answer) is followed by one event on the class's group ``classroom.<code>``; the class consumer reads
the fresh state and forwards it, so the page always equals a fresh render.
"""

from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import IntegrityError, transaction

from agent.client import call_sync, submit_sync
from classrooms.models import Classroom
from classrooms.roles import Forbidden, can_teach, can_use_sandbox
from exercises import Exercise, get_exercise
from exercises.models import AppliedDocument, Attempt, HintShown, PredictAnswer, Submission
from exercises.selectors import applied_submission
from hosts.services import sandbox_place
from labs.models import Sandbox
from labs.services import new_sandbox_name
from netcore.errors import PodpathError

SUBMIT_TIMEOUT_S = 180.0  # a cluster submission may start pods and switch the pod network
CHECK_TIMEOUT_S = 180.0  # probes together, then every packet walk in turn
PREDICT_TIMEOUT_S = 60.0
MAX_DOCUMENT = 200_000  # characters: far more than any exercise needs


def classroom_group(code: str) -> str:
    return f"classroom.{code}"


def classroom_publish(*, classroom: Classroom, event: dict) -> None:
    """Tell the class's live views that something they show changed (they re-read it)."""
    async_to_sync(get_channel_layer().group_send)(classroom_group(classroom.code), event)


def exercise_open(*, user, classroom: Classroom, exercise: Exercise) -> tuple[Sandbox, bool]:
    """Return the user's sandbox for an exercise of a class, building it on first visit.

    The second value tells whether a build was queued (the page shows its progress).
    """
    if not (can_teach(user, classroom) or classroom.enrollments.filter(student=user).exists()):
        raise Forbidden("you are not in that class")
    existing = Sandbox.objects.filter(owner=user, classroom=classroom, exercise_id=exercise.id).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            sandbox = Sandbox.objects.create(
                name=new_sandbox_name(), owner=user, classroom=classroom, exercise_id=exercise.id
            )
            sandbox_place(
                name=sandbox.name,
                kind="exercise",
                desired={"job": "exercise_start", "args": {"exercise_id": exercise.id}},
            )
    except IntegrityError:  # opened twice at once: the other request builds it
        return Sandbox.objects.get(owner=user, classroom=classroom, exercise_id=exercise.id), False
    submit_sync("exercise_start", sandbox.name, {"exercise_id": exercise.id})
    return sandbox, True


def exercise_of(*, user, sandbox: Sandbox) -> Exercise:
    """The exercise of the user's own exercise sandbox (only its owner works in it)."""
    if not sandbox.exercise_id or sandbox.owner_id != user.pk:
        raise Forbidden(f"sandbox {sandbox.name} is not your exercise sandbox")
    return get_exercise(sandbox.exercise_id)


def exercise_submit(*, user, sandbox: Sandbox, text: str) -> tuple[Submission, dict]:
    """Apply a document; return it as stored, and the agent's answer (changes, or errors by field)."""
    exercise = exercise_of(user=user, sandbox=sandbox)
    if len(text) > MAX_DOCUMENT:
        raise PodpathError(f"a document of at most {MAX_DOCUMENT // 1000} KB")
    result = call_sync(
        "exercise_submit", sandbox.name, {"exercise_id": exercise.id, "text": text}, timeout=SUBMIT_TIMEOUT_S
    )
    submission = Submission.objects.create(
        student=user,
        classroom=sandbox.classroom,
        exercise_id=exercise.id,
        text=text,
        accepted=result["accepted"],
        errors=result["errors"],
    )
    if submission.accepted:
        AppliedDocument.objects.update_or_create(sandbox=sandbox, defaults={"submission": submission})
    return submission, result


def exercise_check(*, user, sandbox: Sandbox) -> Attempt:
    """Run every check on the kernel and record the attempt; the class's view hears of it."""
    exercise = exercise_of(user=user, sandbox=sandbox)
    result = call_sync("exercise_check", sandbox.name, {"exercise_id": exercise.id}, timeout=CHECK_TIMEOUT_S)
    attempt = Attempt.objects.create(
        student=user,
        classroom=sandbox.classroom,
        exercise_id=exercise.id,
        submission=applied_submission(sandbox=sandbox),
        results=result["results"],
        passed=result["passed"],
    )
    classroom_publish(
        classroom=sandbox.classroom, event={"type": "attempt.recorded", "student": user.pk, "exercise": exercise.id}
    )
    return attempt


def applied_document_forget(*, sandbox: Sandbox, **_signal) -> None:
    """The sandbox is back on its exercise's starting state (labs.signals.sandbox_restarted)."""
    AppliedDocument.objects.filter(sandbox=sandbox).delete()


def exercise_reset(*, user, sandbox: Sandbox) -> str:
    """Queue putting the sandbox back on the exercise's starting state; returns the job id."""
    if not sandbox.exercise_id or not can_use_sandbox(user, sandbox):
        raise Forbidden(f"sandbox {sandbox.name} is not yours")
    applied_document_forget(sandbox=sandbox)
    return submit_sync("exercise_reset", sandbox.name, {"exercise_id": sandbox.exercise_id})


def hint_reveal(*, user, sandbox: Sandbox) -> int:
    """Show the next of the exercise's hints (gentle first); return how many are shown now."""
    exercise = exercise_of(user=user, sandbox=sandbox)
    mine = HintShown.objects.filter(student=user, classroom=sandbox.classroom, exercise_id=exercise.id)
    shown = mine.count()
    if shown < len(exercise.hints):
        HintShown.objects.get_or_create(
            student=user, classroom=sandbox.classroom, exercise_id=exercise.id, number=shown
        )
    return mine.count()


def prediction_answer(*, user, sandbox: Sandbox, choice: str) -> PredictAnswer:
    """Record the student's answer to the exercise's predict question (the first one counts)."""
    exercise = exercise_of(user=user, sandbox=sandbox)
    if exercise.predict is None:
        raise PodpathError(f"exercise {exercise.id!r} asks no question")
    if choice not in exercise.predict.choices:
        raise PodpathError(f"pick one of the choices, got {choice!r}")
    answer, created = PredictAnswer.objects.get_or_create(
        student=user,
        classroom=sandbox.classroom,
        exercise_id=exercise.id,
        defaults={"choice": choice, "correct": choice == exercise.predict.answer},
    )
    if created:
        classroom_publish(classroom=sandbox.classroom, event={"type": "prediction.answered", "exercise": exercise.id})
    return answer


def prediction_settle(*, user, sandbox: Sandbox) -> dict:
    """Send the packet that settles the prediction: {"result": CheckResult, "walk", "walk_id"}."""
    exercise = exercise_of(user=user, sandbox=sandbox)
    return call_sync("exercise_predict", sandbox.name, {"exercise_id": exercise.id}, timeout=PREDICT_TIMEOUT_S)
