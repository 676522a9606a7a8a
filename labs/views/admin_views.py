"""The admin's view of the fleet: every kernel host (up, down or drained, what it holds), every sandbox
(owned or orphaned, on which host), reset or delete one, drain a host."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from agent.client import call_sync, submit_sync
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
    return render(
        request, "labs/admin_sandboxes.html", {"rows": selectors.sandbox_rows(), "hosts": selectors.capacity_get()}
    )


@login_required
@require_POST
def act(request: HttpRequest, name: str, action: str) -> HttpResponse:
    """Reset or delete any sandbox (one made with the CLI only if its record says which lab it follows)."""
    require_admin(request)
    if action not in ("reset", "delete", "move"):
        raise Http404("no such action")
    if action == "move":
        try:
            host = services.sandbox_relocate(name=name)
        except PodpathError as error:
            messages.error(request, str(error))
        else:
            messages.info(request, f"moving {name} to host {host}: rebuilt there, then deleted here")
        return redirect("labs:admin-sandboxes")
    try:
        if action == "reset":
            messages.info(request, services.sandbox_admin_reset(name=name))
        else:
            submit_sync("delete", name)
    except PodpathError as error:  # its host is down (or full): say so, change nothing
        messages.error(request, str(error))
        return redirect("labs:admin-sandboxes")
    if action == "delete":
        Sandbox.objects.filter(name=name).delete()
        messages.info(request, f"deleting {name}")
    return redirect("labs:admin-sandboxes")


@login_required
def remove_orphans(request: HttpRequest) -> HttpResponse:
    """GET: what would be removed (leftovers no sandbox record owns); POST: remove what was confirmed.

    A sandbox made with the CLI has a record, so it is never a leftover, whoever the dashboard thinks
    owns it."""
    require_admin(request)
    found = leftovers_by_host(request)
    if request.method != "POST":
        return render(
            request, "labs/admin_leftovers.html", {"leftovers": [item for items in found.values() for item in items]}
        )
    wanted = set(request.POST.getlist("sandbox"))
    removed = []
    for host, items in found.items():
        confirmed = sorted(wanted & {item["sandbox"] for item in items})
        if confirmed:
            submit_sync("gc", "gc", {"only": confirmed}, host=host)
            removed += confirmed
    if not removed:
        messages.info(request, "nothing to remove: no leftovers were confirmed")
    else:
        messages.info(request, f"removing the leftovers of {', '.join(sorted(removed))}")
    return redirect("labs:admin-sandboxes")


def leftovers_by_host(request: HttpRequest) -> dict[str, list[dict]]:
    """Each live host's leftovers, as its agent lists them: [{"sandbox": name, "items": [...]}]. The web
    side reads no kernel host's files: it asks the hosts' agents (a host that does not answer is named)."""
    hosts = {status.host.host_id for status in selectors.capacity_get() if status.alive}
    if settings.PODPATH_EMBEDDED_AGENT:
        hosts.add(settings.PODPATH_HOST_ID)
    found = {}
    for host in sorted(hosts):
        try:
            found[host] = call_sync("leftovers", "gc", host=host, timeout=30.0)["leftovers"]
        except PodpathError as error:
            messages.error(request, f"host {host} did not list its leftovers: {error}")
    return found


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
