"""What every view shares: finding a sandbox the user may use, and mapping refusals to responses."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404

from classrooms.roles import can_use_sandbox
from labs.models import Sandbox


def sandbox_for(request, name: str) -> Sandbox:
    """The sandbox named ``name`` if the user may use it; 404 otherwise (never tell whose it is)."""
    sandbox = get_object_or_404(Sandbox.objects.select_related("classroom", "owner"), name=name)
    if not can_use_sandbox(request.user, sandbox):
        raise Http404("no such sandbox")
    return sandbox


def error_fragment(message: str, status: int = 400) -> HttpResponse:
    from django.utils.html import escape

    return HttpResponse(f'<div class="error" role="alert">{escape(message)}</div>', status=status)
