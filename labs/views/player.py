"""The lab player: a sandbox's current step, its live picture, moving between steps, the kernel tabs,
and the YAML panel. Moving queues a job for the agent; the page follows it over the websocket."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from labs import selectors, services
from labs.agent.client import call
from labs.agent.jobs import KERNEL_TABS
from labs.models import Classroom
from labs.views.common import error_fragment, sandbox_for
from netcore.errors import NotFound, PodpathError, SpecError


@login_required
@require_POST
def open_lab(request: HttpRequest, lab_id: str) -> HttpResponse:
    """Open the user's own sandbox for a lab (and class), building it on first visit."""
    classroom = None
    code = request.POST.get("classroom")
    if code:
        classroom = Classroom.objects.filter(code=code).first()
        if classroom is None or not (classroom.enrollments.filter(student=request.user).exists()
                                     or classroom.instructor_id == request.user.pk):
            return error_fragment("you are not in that class", status=403)
    step = classroom.present_step if classroom is not None and classroom.presenting else 1
    try:
        sandbox, _ = services.sandbox_open(user=request.user, lab_id=lab_id, classroom=classroom, step=step)
    except NotFound as error:
        return error_fragment(str(error), status=404)
    return redirect("player", name=sandbox.name)


@login_required
def player(request: HttpRequest, name: str) -> HttpResponse:
    sandbox = sandbox_for(request, name)
    context = {"player": selectors.player_get(sandbox=sandbox), "tabs": list(KERNEL_TABS)}
    if request.htmx and request.GET.get("part") == "stage":
        return render(request, "labs/partials/stage.html", context)
    return render(request, "labs/player.html", context)


@login_required
@require_POST
def step(request: HttpRequest, name: str, number: int) -> HttpResponse:
    sandbox = sandbox_for(request, name)
    try:
        services.sandbox_step(user=request.user, sandbox=sandbox, step=number)
    except PodpathError as error:
        return error_fragment(str(error))
    return render(request, "labs/partials/working.html", {"what": f"moving to step {number}"})


@login_required
@require_POST
def reset(request: HttpRequest, name: str) -> HttpResponse:
    sandbox = sandbox_for(request, name)
    services.sandbox_reset(user=request.user, sandbox=sandbox)
    return render(request, "labs/partials/working.html", {"what": "resetting to step 1"})


@login_required
async def kernel_tab(request: HttpRequest, name: str, tab: str) -> HttpResponse:
    sandbox = await sandbox_for_async(request, name)
    try:
        result = await call("kernel_view", sandbox.name, {"tab": tab}, timeout=30)
    except PodpathError as error:
        return error_fragment(str(error))
    return render(request, "labs/partials/kernel_tab.html", {"result": result})


@login_required
async def apply_yaml(request: HttpRequest, name: str) -> HttpResponse:
    """Apply manifests from the YAML panel; a validation error is shown at its field."""
    if request.method != "POST":
        return error_fragment("POST the manifests", status=405)
    sandbox = await sandbox_for_async(request, name)
    text = request.POST.get("manifests", "")
    try:
        result = await call("apply", sandbox.name, {"text": text, "source": "editor"}, timeout=120)
    except SpecError as error:
        return render(request, "labs/partials/apply_result.html", {"error": error})
    except PodpathError as error:
        return render(request, "labs/partials/apply_result.html", {"message": str(error)})
    return render(request, "labs/partials/apply_result.html", {"result": result})


async def sandbox_for_async(request: HttpRequest, name: str):
    from asgiref.sync import sync_to_async

    return await sync_to_async(sandbox_for)(request, name)
