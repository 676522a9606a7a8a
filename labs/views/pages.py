"""Pages: the home page (what the user's role needs) and a lab's steps."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from classrooms.models import Enrollment
from classrooms.roles import ADMIN, INSTRUCTOR, role_of
from labs import selectors
from labs.models import Sandbox
from netcore.errors import NotFound


def home(request: HttpRequest) -> HttpResponse:
    role = role_of(request.user)
    context = {"labs": selectors.lab_list(), "role": role}
    if role in (INSTRUCTOR, ADMIN):
        context["classrooms"] = selectors.classroom_for_instructor(user=request.user)
    if role is not None:
        context["enrollments"] = Enrollment.objects.filter(student=request.user).select_related("classroom")
        context["my_sandboxes"] = Sandbox.objects.filter(owner=request.user).select_related("classroom")
    if role == ADMIN:
        context["sandboxes"] = selectors.sandbox_list()
    return render(request, "labs/home.html", context)


def lab_detail(request: HttpRequest, lab_id: str) -> HttpResponse:
    try:
        lab = selectors.lab_get(lab_id=lab_id)
    except NotFound as error:
        raise Http404(str(error)) from None
    steps = [{"step": step, "narrative": selectors.render_markdown(step.narrative)} for step in lab.steps]
    return render(request, "labs/lab_detail.html", {"lab": lab, "steps": steps})
