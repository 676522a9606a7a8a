"""A class's page: its students and their lab sandboxes for the instructor, the class's exercises and how
the user is doing on each. It lives at the top of the apps because it shows all of them."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from classrooms.models import Classroom, Enrollment
from classrooms.roles import can_teach
from exercises import selectors
from hosts.selectors import placement_step
from labs.models import Sandbox


def step_of(sandbox: Sandbox) -> str:
    step = placement_step(name=sandbox.name)
    return "building" if step is None else str(step)


@login_required
def classroom(request: HttpRequest, code: str) -> HttpResponse:
    room = get_object_or_404(Classroom, code=code)
    teaching = can_teach(request.user, room)
    enrolled = Enrollment.objects.filter(classroom=room, student=request.user).first()
    if not teaching and enrolled is None:
        raise Http404("no such class")
    context = {
        "room": room,
        "teaching": teaching,
        "enrollment": enrolled,
        "mine": Sandbox.objects.filter(classroom=room, owner=request.user, exercise_id="").first(),
        "exercises": selectors.class_exercises(classroom=room, user=request.user),
        "topics": selectors.class_topics(classroom=room),
    }
    if teaching:
        sandboxes = {s.owner_id: s for s in Sandbox.objects.filter(classroom=room, exercise_id="")}
        context["students"] = [
            {
                "enrollment": e,
                "sandbox": sandboxes.get(e.student_id),
                "step": step_of(sandboxes[e.student_id]) if e.student_id in sandboxes else "-",
            }
            for e in room.enrollments.select_related("student")
        ]
    return render(request, "labs/classroom.html", context)
