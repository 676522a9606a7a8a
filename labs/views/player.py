"""The lab player: a sandbox's current step, its live picture, moving between steps, the kernel tabs,
and the YAML panel. Moving queues a job for the agent; the page follows it over the websocket."""

from __future__ import annotations

import base64

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from agent.client import call
from agent.protocol import KERNEL_TABS
from classrooms.models import Classroom
from hosts.errors import HostDown, NoCapacity
from labs import selectors, services
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
        if classroom is None or not (
            classroom.enrollments.filter(student=request.user).exists() or classroom.instructor_id == request.user.pk
        ):
            messages.error(request, "You are not in that class: join it with its code first.", extra_tags="join")
            return redirect("labs:home")
    step = classroom.present_step if classroom is not None and classroom.presenting else 1
    try:
        sandbox, _ = services.sandbox_open(user=request.user, lab_id=lab_id, classroom=classroom, step=step)
    except NotFound as error:
        messages.error(request, str(error))
        return redirect("labs:home")
    except NoCapacity as error:  # every host is full or down: nothing was created
        return error_fragment(str(error), status=503)
    return redirect("labs:player", name=sandbox.name)


@login_required
def player(request: HttpRequest, name: str) -> HttpResponse:
    sandbox = sandbox_for(request, name)
    if sandbox.exercise_id:  # an exercise's sandbox has its own page, in its class
        if sandbox.classroom is None or sandbox.owner_id != request.user.pk:
            raise Http404("an exercise sandbox opens from its class")
        return redirect("exercises:exercise", code=sandbox.classroom.code, exercise_id=sandbox.exercise_id)
    context = {"player": selectors.player_get(sandbox=sandbox, viewer=request.user), "tabs": list(KERNEL_TABS)}
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


MOVES = {"next": 1, "previous": -1}


@login_required
@require_POST
def move(request: HttpRequest, name: str, direction: str) -> HttpResponse:
    """Next or previous, counted from where the moves asked before this one leave the sandbox."""
    sandbox = sandbox_for(request, name)
    if direction not in MOVES:
        raise Http404("next or previous")
    try:
        services.sandbox_move(user=request.user, sandbox=sandbox, by=MOVES[direction])
    except PodpathError as error:
        return error_fragment(str(error))
    return render(request, "labs/partials/working.html", {"what": f"moving to the {direction} step"})


@login_required
@require_POST
def rebuild(request: HttpRequest, name: str) -> HttpResponse:
    """Build again a sandbox that is not on the kernel any more (deleted outside the dashboard)."""
    sandbox = sandbox_for(request, name)
    try:
        services.sandbox_rebuild(user=request.user, sandbox=sandbox)
    except PodpathError as error:
        return error_fragment(str(error))
    return render(request, "labs/partials/working.html", {"what": "building the sandbox again"})


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


@login_required
async def console(request: HttpRequest, name: str) -> HttpResponse:
    """Run one allowed command in a host or pod of the sandbox and show its output."""
    if request.method != "POST":
        return error_fragment("POST a command", status=405)
    sandbox = await sandbox_for_async(request, name)
    args = {"target": request.POST.get("target", ""), "line": request.POST.get("line", "")}
    try:
        result = await call("console", sandbox.name, args, timeout=30)
    except PodpathError as error:
        return render(request, "labs/partials/console_result.html", {"refused": str(error), "line": args["line"]})
    return render(request, "labs/partials/console_result.html", {"result": result})


@login_required
async def packet_walk(request: HttpRequest, name: str) -> HttpResponse:
    """Walk one real packet from a source to a destination and show it hop by hop."""
    if request.method != "POST":
        return error_fragment("POST a source and a destination", status=405)
    sandbox = await sandbox_for_async(request, name)
    args = {
        "source": request.POST.get("source", ""),
        "destination": request.POST.get("destination", "").strip(),
        "protocol": request.POST.get("protocol") or None,
    }
    port = request.POST.get("port", "")
    if port.isascii() and port.isdigit():  # "²".isdigit() is true, int("²") raises
        args["port"] = int(port)
    try:
        result = await call("walk", sandbox.name, args, timeout=60)
    except PodpathError as error:
        return error_fragment(str(error))
    return render(
        request,
        "labs/partials/walk.html",
        {"walk": result["walk"], "walk_id": result["walk_id"], "sandbox": sandbox, "steps": walk_steps(result["walk"])},
    )


def walk_steps(walk: dict) -> list[dict]:
    """Every hop of every leg in order, with the fields that changed since the hop before marked."""
    steps, previous = [], None
    for leg in walk["legs"]:
        for part in ("request", "reply"):
            for hop in leg[part]:
                changed = set()
                if previous is not None:
                    for layer in ("l2", "l3", "l4"):
                        for key, value in (hop.get(layer) or {}).items():
                            if (previous.get(layer) or {}).get(key) != value:
                                changed.add(f"{layer}.{key}")
                steps.append({"hop": hop, "leg": leg["purpose"], "part": part, "changed": sorted(changed)})
                previous = hop
    return steps


@login_required
async def walk_pcap(request: HttpRequest, name: str, walk_id: str) -> HttpResponse:
    """The walk's capture, asked of the agent that keeps it (the web tier reads no kernel host's files)."""
    sandbox = await sandbox_for_async(request, name)
    if not walk_id.isalnum():
        raise Http404("no such walk")
    try:
        result = await call("walk_pcap", sandbox.name, {"walk_id": walk_id}, timeout=30)
    except HostDown as error:
        return error_fragment(str(error), status=503)
    except PodpathError:  # the agent keeps no such walk
        raise Http404("no such walk") from None
    response = HttpResponse(base64.b64decode(result["pcap"]), content_type="application/vnd.tcpdump.pcap")
    response["Content-Disposition"] = f'attachment; filename="walk-{walk_id}.pcap"'
    return response


async def sandbox_for_async(request: HttpRequest, name: str):
    from asgiref.sync import sync_to_async

    return await sync_to_async(sandbox_for)(request, name)
