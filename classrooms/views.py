"""Classes: join one with its code, present it, follow the instructor or not (a class's page and its
reset are the upper apps': they show exercises and step sandboxes)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from classrooms import services
from classrooms.models import Classroom, Enrollment
from classrooms.ratelimit import JOIN_PER_USER
from netcore.errors import PodpathError


@login_required
@require_POST
def join(request: HttpRequest) -> HttpResponse:
    who = str(request.user.pk)
    if JOIN_PER_USER.blocked(who):  # the code is not even tried: guessing stays slow
        messages.error(request, "too many wrong join codes: wait a few minutes and check the code with your teacher")
        return redirect("labs:home")
    try:
        enrollment = services.classroom_join(student=request.user, code=request.POST.get("code", ""))
    except PodpathError as error:
        JOIN_PER_USER.fail(who)
        messages.error(request, str(error))
        return redirect("labs:home")
    return redirect("exercises:classroom", code=enrollment.classroom.code)


@login_required
@require_POST
def present(request: HttpRequest, code: str) -> HttpResponse:
    room = get_object_or_404(Classroom, code=code)
    try:
        services.classroom_present(user=request.user, classroom=room, presenting=request.POST.get("on") == "1")
    except services.Forbidden:
        raise Http404("no such class") from None
    return redirect("exercises:classroom", code=code)


@login_required
@require_POST
def follow(request: HttpRequest, code: str) -> HttpResponse:
    enrollment = get_object_or_404(Enrollment, classroom__code=code, student=request.user)
    enrollment.follows = request.POST.get("on") == "1"
    enrollment.save(update_fields=["follows"])
    return redirect("exercises:classroom", code=code)
