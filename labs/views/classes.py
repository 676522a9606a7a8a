"""Classes as the labs app sees them: create one to teach a lab, reset every lab sandbox of a class."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from classrooms.models import Classroom
from classrooms.roles import is_instructor
from labs import services
from netcore.errors import PodpathError


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
        return redirect("labs:home")
    return redirect("exercises:classroom", code=classroom.code)


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
