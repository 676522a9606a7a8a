"""The admin's view of the fleet: every kernel host (up, down or drained, what it holds), every sandbox
(owned or orphaned, on which host), reset or delete one, drain a host."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from agent.client import submit_sync
from classrooms.roles import is_admin
from hosts.services import host_drain
from labs import selectors, services
from labs.models import Sandbox
from netcore.errors import PodpathError


def require_admin(request: HttpRequest) -> None:
    if not is_admin(request.user):
        raise Http404("no such page")


@login_required
def sandboxes(request: HttpRequest) -> HttpResponse:
    require_admin(request)
    return render(request, "labs/admin_sandboxes.html",
                  {"rows": selectors.sandbox_rows(), "hosts": selectors.capacity_get()})


@login_required
@require_POST
def act(request: HttpRequest, name: str, action: str) -> HttpResponse:
    """Reset or delete any sandbox (an orphan has no owner in the dashboard: delete is all it gets)."""
    require_admin(request)
    if action not in ("reset", "delete", "move"):
        raise Http404("no such action")
    if action == "move":
        try:
            host = services.sandbox_move(name=name)
        except PodpathError as error:
            messages.error(request, str(error))
        else:
            messages.info(request, f"moving {name} to host {host}: rebuilt there, then deleted here")
        return redirect("labs:admin-sandboxes")
    try:
        submit_sync("lab_reset" if action == "reset" else "delete", name)
    except PodpathError as error:  # its host is down: say so, change nothing
        messages.error(request, str(error))
        return redirect("labs:admin-sandboxes")
    if action == "delete":
        Sandbox.objects.filter(name=name).delete()
    messages.info(request, f"{action} of {name} queued")
    return redirect("labs:admin-sandboxes")


@login_required
@require_POST
def remove_orphans(request: HttpRequest) -> HttpResponse:
    require_admin(request)
    orphans = [row.name for row in selectors.sandbox_rows() if row.orphan and row.available]
    for name in orphans:
        submit_sync("delete", name)
    live = [status.host.host_id for status in selectors.capacity_get() if status.alive]
    for host in live:
        submit_sync("gc", "gc", host=host)
    messages.info(request, f"removing {len(orphans)} orphaned sandboxes and leftovers no sandbox owns "
                           f"on {len(live)} hosts")
    return redirect("labs:admin-sandboxes")


@login_required
@require_POST
def drain(request: HttpRequest, host_id: str) -> HttpResponse:
    """Drain a host (no new sandboxes go there) or put it back in service."""
    require_admin(request)
    drained = request.POST.get("drained", "1") == "1"
    try:
        host_drain(host_id=host_id, drained=drained)
    except PodpathError as error:
        raise Http404(str(error)) from None
    messages.info(request, f"host {host_id} {'drained' if drained else 'back in service'}")
    return redirect("labs:admin-sandboxes")
