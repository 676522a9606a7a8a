"""The admin's view of the host: every sandbox (owned or orphaned), reset or delete one, capacity."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from agent.client import submit_sync
from classrooms.roles import is_admin
from labs import selectors
from labs.models import Sandbox


def require_admin(request: HttpRequest) -> None:
    if not is_admin(request.user):
        raise Http404("no such page")


@login_required
def sandboxes(request: HttpRequest) -> HttpResponse:
    require_admin(request)
    return render(request, "labs/admin_sandboxes.html",
                  {"rows": selectors.sandbox_rows(), "capacity": selectors.capacity_get(),
                   "load": selectors.load_average()})


@login_required
@require_POST
def act(request: HttpRequest, name: str, action: str) -> HttpResponse:
    """Reset or delete any sandbox (an orphan has no owner in the dashboard: delete is all it gets)."""
    require_admin(request)
    if action not in ("reset", "delete"):
        raise Http404("no such action")
    submit_sync("lab_reset" if action == "reset" else "delete", name)
    if action == "delete":
        Sandbox.objects.filter(name=name).delete()
    messages.info(request, f"{action} of {name} queued")
    return redirect("labs:admin-sandboxes")


@login_required
@require_POST
def remove_orphans(request: HttpRequest) -> HttpResponse:
    require_admin(request)
    orphans = [row.name for row in selectors.sandbox_rows() if row.orphan]
    for name in orphans:
        submit_sync("delete", name)
    submit_sync("gc", "gc")
    messages.info(request, f"removing {len(orphans)} orphaned sandboxes and leftovers no sandbox owns")
    return redirect("labs:admin-sandboxes")
