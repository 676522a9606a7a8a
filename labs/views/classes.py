"""Classes: create one, join one with its code, its page (students and their sandboxes), present mode."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from labs import exercise_selectors, selectors, services
from labs.models import Classroom, Enrollment, Sandbox
from labs.roles import can_teach, is_instructor
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
        messages.error(request, str(error), extra_tags="create")  # shown by the form that made it
        return redirect("home")
    return redirect("classroom", code=classroom.code)


@login_required
@require_POST
def join(request: HttpRequest) -> HttpResponse:
    try:
        enrollment = services.classroom_join(student=request.user, code=request.POST.get("code", ""))
    except PodpathError as error:
        messages.error(request, str(error), extra_tags="join")  # shown by the form that made it
        return redirect("home")
    return redirect("classroom", code=enrollment.classroom.code)


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
def present(request: HttpRequest, code: str) -> HttpResponse:
    room = get_object_or_404(Classroom, code=code)
    presenting = request.POST.get("on") == "1"
    try:
        services.classroom_present(user=request.user, classroom=room, presenting=presenting)
    except services.Forbidden:
        raise Http404("no such class") from None
    if not presenting:
        return redirect("classroom", code=code)
    # Presenting happens in the player: open the instructor's own sandbox for the class there.
    sandbox, _ = services.sandbox_open(user=request.user, lab_id=room.lab_id, classroom=room, step=room.present_step)
    return redirect("player", name=sandbox.name)


@login_required
@require_POST
def follow(request: HttpRequest, code: str) -> HttpResponse:
    """Follow the instructor's steps or stop; from the player (``back``), back to the player."""
    enrollment = get_object_or_404(Enrollment.objects.select_related("classroom"), classroom__code=code,
                                   student=request.user)
    services.enrollment_follow(user=request.user, classroom=enrollment.classroom,
                               follows=request.POST.get("on") == "1")
    back = Sandbox.objects.filter(name=request.POST.get("back", ""), owner=request.user,
                                  classroom=enrollment.classroom).first()
    if back is None:
        return redirect("classroom", code=code)
    if request.htmx:  # from the player: the banner, as it is now (the stage follows over the websocket)
        player = selectors.player_get(sandbox=back, viewer=request.user)
        return render(request, "labs/partials/following.html", {"player": player})
    return redirect("player", name=back.name)


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
