"""Pages: the home page (labs and sandboxes) and a lab's steps. Thin: reads come from selectors."""

from __future__ import annotations

import markdown
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe

from labs import selectors
from netcore.errors import NotFound


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "labs/home.html", {
        "labs": selectors.lab_list(),
        "sandboxes": selectors.sandbox_list(),
    })


def lab_detail(request: HttpRequest, lab_id: str) -> HttpResponse:
    try:
        lab = selectors.lab_get(lab_id=lab_id)
    except NotFound as error:
        raise Http404(str(error)) from None
    steps = [
        {"step": step, "narrative": mark_safe(markdown.markdown(step.narrative, extensions=["fenced_code", "tables"]))}
        for step in lab.steps
    ]
    return render(request, "labs/lab_detail.html", {"lab": lab, "steps": steps})
