"""A student's exercise page, opened from a class: predict first (when the exercise asks), the goal, the
YAML editor, Check, hints, Reset, the picture and the console, all against the student's own exercise
sandbox, built on first visit. Kernel work goes through ``exercises.services`` to the agent; the page
follows builds and resets over the websocket (``exercises.consumers.ExerciseConsumer``)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_POST

from classrooms.models import Classroom
from classrooms.roles import can_teach
from exercises import Exercise, selectors, services
from hosts.errors import NoCapacity
from labs.models import Sandbox
from labs.selectors import render_markdown
from labs.views.common import error_fragment
from labs.views.player import walk_steps
from netcore.errors import NotFound, PodpathError


def class_exercise(request: HttpRequest, code: str, exercise_id: str) -> tuple[Classroom, Exercise]:
    """The class and one of its exercises, if the user teaches or is in the class; 404 otherwise."""
    room = get_object_or_404(Classroom, code=code)
    if not (can_teach(request.user, room) or room.enrollments.filter(student=request.user).exists()):
        raise Http404("no such class")
    try:
        return room, selectors.exercise_get(classroom=room, exercise_id=exercise_id)
    except NotFound as error:
        raise Http404(str(error)) from None


def own_sandbox(request: HttpRequest, code: str, exercise_id: str) -> tuple[Sandbox, Exercise]:
    """The user's own sandbox for the exercise (opened by visiting the page); 404 otherwise."""
    room, exercise = class_exercise(request, code, exercise_id)
    sandbox = selectors.exercise_sandbox_get(user=request.user, classroom=room, exercise_id=exercise.id)
    if sandbox is None:
        raise Http404("open the exercise first")
    return sandbox, exercise


def workspace_context(user, sandbox: Sandbox, exercise: Exercise) -> dict:
    room = sandbox.classroom
    answer = (
        selectors.prediction_get(student=user, classroom=room, exercise_id=exercise.id) if exercise.predict else None
    )
    last = selectors.attempt_last(student=user, classroom=room, exercise_id=exercise.id)
    return {
        "sandbox": sandbox,
        "exercise": exercise,
        "room": room,
        "answer": answer,
        "gated": exercise.predict is not None and answer is None,  # predict, then observe
        "document": selectors.exercise_document(sandbox=sandbox, exercise=exercise),
        "attempt": last,
        "rows": selectors.criterion_rows(attempt=last) if last else [],
        "number": selectors.attempt_count(student=user, classroom=room, exercise_id=exercise.id),
        **hints_context(user, sandbox, exercise),
    }


def hints_context(user, sandbox: Sandbox, exercise: Exercise) -> dict:
    shown = selectors.hints_shown(student=user, classroom=sandbox.classroom, exercise=exercise)
    return {"hints": shown, "hints_left": len(exercise.hints) - len(shown)}


def predict_context(user, sandbox: Sandbox, exercise: Exercise, answer, *, play: bool = False) -> dict:
    """``play``: send the packet as soon as the section is on the page (right after answering)."""
    solved = selectors.attempt_passed(student=user, classroom=sandbox.classroom, exercise_id=exercise.id)
    waits = exercise.predict.state == "solved" and not solved
    return {
        "sandbox": sandbox,
        "exercise": exercise,
        "room": sandbox.classroom,
        "answer": answer,
        "question": render_markdown(exercise.predict.question),
        "waits": waits,
        "play": play and not waits,
    }


@login_required
def page(request: HttpRequest, code: str, exercise_id: str) -> HttpResponse:
    room, exercise = class_exercise(request, code, exercise_id)
    try:
        sandbox, _ = services.exercise_open(user=request.user, classroom=room, exercise=exercise)
    except NoCapacity as error:  # every host is full or down: nothing was created
        return error_fragment(str(error), status=503)
    context = workspace_context(request.user, sandbox, exercise)
    context["stage"] = selectors.exercise_stage_get(sandbox=sandbox, exercise=exercise)
    context["goal"] = render_markdown(exercise.goal)
    if exercise.predict is not None:
        context["predict"] = predict_context(request.user, sandbox, exercise, context["answer"])
    return render(request, "labs/exercise.html", context)


@login_required
@require_POST
def apply(request: HttpRequest, code: str, exercise_id: str) -> HttpResponse:
    sandbox, _ = own_sandbox(request, code, exercise_id)
    try:
        submission, result = services.exercise_submit(
            user=request.user, sandbox=sandbox, text=request.POST.get("document", "")
        )
    except PodpathError as error:
        return error_fragment(str(error))
    return render(request, "labs/partials/exercise_submit.html", {"submission": submission, "result": result})


@login_required
@require_POST
def check(request: HttpRequest, code: str, exercise_id: str) -> HttpResponse:
    sandbox, exercise = own_sandbox(request, code, exercise_id)
    try:
        attempt = services.exercise_check(user=request.user, sandbox=sandbox)
    except PodpathError as error:
        return error_fragment(str(error))
    context = {
        "attempt": attempt,
        "rows": selectors.criterion_rows(attempt=attempt),
        "number": selectors.attempt_count(student=request.user, classroom=sandbox.classroom, exercise_id=exercise.id),
    }
    predict = exercise.predict
    if attempt.passed and predict is not None and predict.state == "solved":
        answer = selectors.prediction_get(student=request.user, classroom=sandbox.classroom, exercise_id=exercise.id)
        if answer is not None:  # solved: the packet the question was about can settle it now
            context["settle"] = {**predict_context(request.user, sandbox, exercise, answer, play=True), "oob": True}
    return render(request, "labs/partials/exercise_checks.html", context)


@login_required
@require_POST
def reset(request: HttpRequest, code: str, exercise_id: str) -> HttpResponse:
    sandbox, exercise = own_sandbox(request, code, exercise_id)
    services.exercise_reset(user=request.user, sandbox=sandbox)
    return render(
        request,
        "labs/partials/exercise_reset.html",
        {
            "what": "back to the starting state",
            "exercise": exercise,
            "document": exercise.start_text if exercise.kind == "topology" else "",
        },
    )


@login_required
@require_POST
def hint(request: HttpRequest, code: str, exercise_id: str) -> HttpResponse:
    sandbox, exercise = own_sandbox(request, code, exercise_id)
    services.hint_reveal(user=request.user, sandbox=sandbox)
    return render(
        request,
        "labs/partials/exercise_hints.html",
        {"room": sandbox.classroom, "exercise": exercise, **hints_context(request.user, sandbox, exercise)},
    )


@login_required
@require_POST
def predict(request: HttpRequest, code: str, exercise_id: str) -> HttpResponse:
    """Record the answer; the response plays the packet and opens the exercise's workspace."""
    sandbox, exercise = own_sandbox(request, code, exercise_id)
    try:
        answer = services.prediction_answer(user=request.user, sandbox=sandbox, choice=request.POST.get("choice", ""))
    except PodpathError as error:
        return error_fragment(str(error))
    context = workspace_context(request.user, sandbox, exercise)
    context["predict"] = predict_context(request.user, sandbox, exercise, answer, play=True)
    return render(request, "labs/partials/exercise_answered.html", context)


@login_required
@require_POST
def predict_walk(request: HttpRequest, code: str, exercise_id: str) -> HttpResponse:
    """Send the packet that settles the prediction, play it, and say whether the prediction was right."""
    sandbox, exercise = own_sandbox(request, code, exercise_id)
    answer = selectors.prediction_get(student=request.user, classroom=sandbox.classroom, exercise_id=exercise.id)
    if answer is None:
        return error_fragment("answer the question first")
    try:
        settled = services.prediction_settle(user=request.user, sandbox=sandbox)
    except PodpathError as error:
        return error_fragment(str(error))
    walk = settled.get("walk")
    return render(
        request,
        "labs/partials/predict_settled.html",
        {
            "answer": answer,
            "predict": exercise.predict,
            "result": settled["result"],
            "sandbox": sandbox,
            "explain": render_markdown(exercise.predict.explain) if exercise.predict.explain else None,
            "walk": walk,
            "walk_id": settled.get("walk_id"),
            "steps": walk_steps(walk) if walk else [],
        },
    )
