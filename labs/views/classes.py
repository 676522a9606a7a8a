"""Classes as the labs app sees them: create one to teach a lab, present it and follow it in the player
(both step lab sandboxes), reset every lab sandbox of a class."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from classrooms.models import Classroom, Enrollment
from classrooms.roles import is_instructor
from labs import selectors, services
from labs.models import Sandbox
from netcore.errors import PodpathError


@login_required
@require_POST
def create(request: HttpRequest) -> HttpResponse:
    if not is_instructor(request.user):
        raise Http404("only instructors create classes")
    try:
        classroom = services.classroom_create(
            instructor=request.user, name=request.POST.get("name", ""), lab_id=request.POST.get("lab_id", "")
        )
    except PodpathError as error:
        messages.error(request, str(error), extra_tags="create")  # shown by the form that made it
        return redirect("labs:home")
    return redirect("exercises:classroom", code=classroom.code)


@login_required
@require_POST
def present(request: HttpRequest, code: str) -> HttpResponse:
    """Start or stop presenting. Presenting happens in the player: it opens the instructor's own
    sandbox for the class, on the step the class is on."""
    room = get_object_or_404(Classroom, code=code)
    presenting = request.POST.get("on") == "1"
    try:
        services.classroom_present(user=request.user, classroom=room, presenting=presenting)
    except services.Forbidden:
        raise Http404("no such class") from None
    if not presenting:
        return redirect("exercises:classroom", code=code)
    sandbox, _ = services.sandbox_open(user=request.user, lab_id=room.lab_id, classroom=room, step=room.present_step)
    return redirect("labs:player", name=sandbox.name)


@login_required
@require_POST
def follow(request: HttpRequest, code: str) -> HttpResponse:
    """Follow the instructor's steps or stop; from the player (``back``), back to the player."""
    enrollment = get_object_or_404(
        Enrollment.objects.select_related("classroom"), classroom__code=code, student=request.user
    )
    services.enrollment_follow(user=request.user, classroom=enrollment.classroom, follows=request.POST.get("on") == "1")
    back = Sandbox.objects.filter(
        name=request.POST.get("back", ""), owner=request.user, classroom=enrollment.classroom
    ).first()
    if back is None:
        return redirect("exercises:classroom", code=code)
    if request.htmx:  # from the player: the banner, as it is now (the stage follows over the websocket)
        player = selectors.player_get(sandbox=back, viewer=request.user)
        return render(request, "labs/partials/following.html", {"player": player})
    return redirect("labs:player", name=back.name)


@login_required
@require_POST
def reset_all(request: HttpRequest, code: str) -> HttpResponse:
    room = get_object_or_404(Classroom, code=code)
    try:
        jobs = services.classroom_reset(user=request.user, classroom=room)
    except services.Forbidden:
        raise Http404("no such class") from None
    messages.info(request, f"resetting {len(jobs)} sandboxes to step 1")
    return redirect("exercises:classroom", code=code)
