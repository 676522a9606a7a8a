"""Classes: join one with its code (a class's page, present mode, following and the class's reset are
the upper apps': they show exercises and step sandboxes)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from classrooms import services
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
        messages.error(request, str(error), extra_tags="join")  # shown by the form that made it
        return redirect("labs:home")
    return redirect("exercises:classroom", code=enrollment.classroom.code)
