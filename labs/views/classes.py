"""Classes as the labs app sees them: create one for a lab, its page (students and their sandboxes, the
class's exercises), reset every sandbox of a class."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from classrooms.models import Classroom, Enrollment
from classrooms.roles import can_teach, is_instructor
from labs import exercise_selectors, services
from labs.models import Sandbox
from netcore.errors import PodpathError
from netcore.sandbox.registry import read_record


@login_required
@require_POST
def create(request: HttpRequest) -> HttpResponse:
    if not is_instructor(request.user):
        raise Http404("only instructors create classes")
    try:
        classroom = services.classroom_create(instructor=request.user, name=request.POST.get("name", ""),
                                              lab_id=request.POST.get("lab_id", ""))
    except PodpathError as error:
        messages.error(request, str(error))
        return redirect("home")
    return redirect("classroom", code=classroom.code)


def step_of(sandbox: Sandbox) -> str:
    try:
        return str(read_record(sandbox.name).meta.get("step", "?"))
    except PodpathError:
        return "building"


@login_required
def classroom(request: HttpRequest, code: str) -> HttpResponse:
    room = get_object_or_404(Classroom, code=code)
    teaching = can_teach(request.user, room)
    enrolled = Enrollment.objects.filter(classroom=room, student=request.user).first()
    if not teaching and enrolled is None:
        raise Http404("no such class")
    context = {"room": room, "teaching": teaching, "enrollment": enrolled,
               "mine": Sandbox.objects.filter(classroom=room, owner=request.user, exercise_id="").first(),
               "exercises": exercise_selectors.class_exercises(classroom=room, user=request.user),
               "topics": exercise_selectors.class_topics(classroom=room)}
    if teaching:
        sandboxes = {s.owner_id: s for s in Sandbox.objects.filter(classroom=room, exercise_id="")}
        context["students"] = [
            {"enrollment": e, "sandbox": sandboxes.get(e.student_id),
             "step": step_of(sandboxes[e.student_id]) if e.student_id in sandboxes else "-"}
            for e in room.enrollments.select_related("student")
        ]
    return render(request, "labs/classroom.html", context)


@login_required
@require_POST
def reset_all(request: HttpRequest, code: str) -> HttpResponse:
    room = get_object_or_404(Classroom, code=code)
    try:
        jobs = services.classroom_reset(user=request.user, classroom=room)
    except services.Forbidden:
        raise Http404("no such class") from None
    messages.info(request, f"resetting {len(jobs)} sandboxes to step 1")
    return redirect("classroom", code=code)

