"""The admin's view of the host: every sandbox (owned or orphaned), reset or delete one, capacity."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from agent.client import submit_sync
from classrooms.roles import is_admin
from labs import selectors, services
from labs.models import Sandbox
from netcore.sandbox.lifecycle import GarbageReport


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
    """Reset or delete any sandbox (one made with the CLI only if its record says which lab it follows)."""
    require_admin(request)
    if action not in ("reset", "delete"):
        raise Http404("no such action")
    if action == "reset":
        messages.info(request, services.sandbox_admin_reset(name=name))
    else:
        submit_sync("delete", name)
        Sandbox.objects.filter(name=name).delete()
        messages.info(request, f"deleting {name}")
    return redirect("labs:admin-sandboxes")


@login_required
def remove_orphans(request: HttpRequest) -> HttpResponse:
    """GET: what would be removed (leftovers no sandbox record owns); POST: remove what was confirmed.

    A sandbox made with the CLI has a record, so it is never a leftover, whoever the dashboard thinks
    owns it."""
    require_admin(request)
    garbage = selectors.garbage_get()
    if request.method != "POST":
        return render(request, "labs/admin_leftovers.html",
                      {"leftovers": [leftover_items(garbage.of({name}), name) for name in garbage.sandboxes]})
    confirmed = set(request.POST.getlist("sandbox")) & set(garbage.sandboxes)
    if not confirmed:
        messages.info(request, "nothing to remove: no leftovers were confirmed")
    else:
        submit_sync("gc", "gc", {"only": sorted(confirmed)})
        messages.info(request, f"removing the leftovers of {', '.join(sorted(confirmed))}")
    return redirect("labs:admin-sandboxes")


def leftover_items(garbage: GarbageReport, sandbox: str) -> dict:
    """One sandbox name's leftovers, as the confirmation lists them."""
    return {"sandbox": sandbox, "items": [*garbage.namespaces, *(f"/etc/netns/{d}" for d in garbage.netns_dirs),
                                          *(f"runtime directory {d}" for d in garbage.runtime_dirs)]}
