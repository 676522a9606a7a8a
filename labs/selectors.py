"""Reads for the views: the lab catalog, sandboxes with their state, the picture of a sandbox.

What a sandbox is (its step, its hosts, its health, a cluster's objects) comes from its placement row,
kept current by the agent of the host holding it (hosts.models): the web tier may run on another machine
and never reads a kernel host's files. Nothing here changes the kernel (that is the agent's job).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import markdown
from django.utils.safestring import SafeString, mark_safe

from classrooms.models import Classroom, Enrollment
from hosts.models import Placement
from hosts.selectors import HostStatus, host_alive, host_list, placement_step
from labs.catalog import Lab, Step, Try, catalog, get_lab
from labs.diagram import Diagram, layout
from labs.models import Sandbox
from labs.placeholders import expand
from labs.svg import render_topology
from netcore.errors import NotFound, PodpathError
from netcore.kube import images
from netcore.kube.compile.network import compile_cluster
from netcore.kube.store import Cluster
from netcore.topology.model import Topology


def lab_list() -> list[Lab]:
    return list(catalog().values())


def lab_get(*, lab_id: str) -> Lab:
    return get_lab(lab_id)


def sandbox_list() -> list[SandboxRow]:
    return sandbox_rows()


def render_markdown(text: str) -> SafeString:
    """Lab and exercise text is ours (content files), so its HTML is trusted."""
    return mark_safe(markdown.markdown(text, extensions=["fenced_code", "tables"]))


def sandbox_step_number(*, sandbox: Sandbox) -> int | None:
    """The step the sandbox is on, or None while it is being built (its host has not reported it yet)."""
    return placement_step(name=sandbox.name)


def sandbox_cluster(*, name: str) -> Cluster:
    """A cluster sandbox's objects, as its host last reported them."""
    text = Placement.objects.filter(name=name).values_list("cluster", flat=True).first()
    if not text:
        raise NotFound(f"sandbox {name!r} has no cluster its host has reported")
    return Cluster.from_json(text)


def cluster_topology(*, name: str) -> Topology:
    """What a cluster sandbox's kernel holds: its objects compiled (pure: no kernel read)."""
    return compile_cluster(sandbox_cluster(name=name), name, images)


def sandbox_topology(*, sandbox: Sandbox, step: Step) -> Topology:
    """What the sandbox should look like now: the step's topology, or its cluster compiled."""
    if step.cluster is None:
        return step.topology
    return cluster_topology(name=sandbox.name)


def sandbox_targets(*, sandbox: Sandbox, topology: Topology | None, nodes: int) -> list[str]:
    """Where console commands can run: a topology's hosts, or a cluster's pods, nodes and outside hosts."""
    if topology is not None:
        return [h.name for h in topology.hosts]
    pods = [
        f"{p['metadata']['namespace']}/{p['metadata']['name']}" for p in sandbox_cluster(name=sandbox.name).list("Pod")
    ]
    return pods + [f"node{i}" for i in range(nodes)] + ["internet", "external", "router"]


def step_tries(*, sandbox: str, step: Step, cluster: Cluster | None = None) -> list[Try]:
    """A step's commands to try as the learner should type them: a cluster's address placeholders
    (``{{svc:hello-world-service}}``) filled in from the sandbox's objects (``cluster``, else as its host
    reported them). The player and the CLI show these."""
    if step.cluster is None:
        return list(step.tries)
    if cluster is None:
        try:
            cluster = sandbox_cluster(name=sandbox)
        except PodpathError:
            return list(step.tries)
    shown = []
    for attempt in step.tries:
        try:
            shown.append(replace(attempt, command=expand(attempt.command, cluster)))
        except PodpathError:  # an object the step has not made yet: show the placeholder
            shown.append(attempt)
    return shown


@dataclass(frozen=True)
class Following:
    """Present mode as its owner sees a class sandbox: whose steps it follows, and the class's step."""

    instructor: str
    step: int
    follows: bool  # False: the student stepped away and may rejoin


@dataclass
class Player:
    sandbox: Sandbox
    lab: Lab
    step: Step | None
    diagram: Diagram | None
    narrative: SafeString | None
    following: Following | None = None

    @property
    def building(self) -> bool:
        return self.step is None

    @property
    def kubernetes(self) -> bool:
        """Its step is a Kubernetes cluster; while it is built, whether the lab's steps are (its host reports
        the step only once the build is done, and the YAML panel is not part of the stage it then sends)."""
        if self.step is not None:
            return self.step.cluster is not None
        return any(step.cluster is not None for step in self.lab.steps)

    @cached_property  # the page asks three times; for a cluster each would read its objects again
    def targets(self) -> list[str]:
        """Where console commands can run: the step's hosts, or a cluster's pods and outside hosts."""
        if self.step is None:
            return []
        return sandbox_targets(
            sandbox=self.sandbox, topology=self.step.topology, nodes=self.step.cluster.nodes if self.step.cluster else 0
        )

    @cached_property
    def tries(self) -> list[Try]:
        """The step's commands to try, with address placeholders filled in from this sandbox's cluster."""
        if self.step is None:
            return []
        return step_tries(sandbox=self.sandbox.name, step=self.step)

    @property
    def svg(self) -> SafeString:
        return mark_safe(render_topology(self.diagram))


def following_get(*, sandbox: Sandbox, viewer) -> Following | None:
    """Present mode, for the owner of a class's lab sandbox while the class is presented."""
    room = sandbox.classroom
    if (
        room is None
        or not room.presenting
        or sandbox.exercise_id
        or viewer is None
        or sandbox.owner_id != viewer.pk
        or room.instructor_id == viewer.pk
    ):
        return None
    enrollment = Enrollment.objects.filter(classroom=room, student_id=viewer.pk).first()
    if enrollment is None:
        return None
    return Following(instructor=room.instructor.username, step=room.present_step, follows=enrollment.follows)


def player_get(*, sandbox: Sandbox, viewer=None) -> Player:
    lab = get_lab(sandbox.lab_id)
    following = following_get(sandbox=sandbox, viewer=viewer)
    number = sandbox_step_number(sandbox=sandbox)
    if number is None:
        return Player(sandbox, lab, None, None, None, following)
    step = lab.step(number)
    try:
        diagram = layout(sandbox_topology(sandbox=sandbox, step=step))
    except PodpathError:
        diagram = None
    return Player(sandbox, lab, step, diagram, render_markdown(step.narrative), following)


def classroom_for_instructor(*, user) -> list[Classroom]:
    return list(Classroom.objects.filter(instructor=user))


def capacity_get() -> list[HostStatus]:
    """Every kernel host: its capacity, what it holds, whether it is up, as its agent last said."""
    return host_list()


@dataclass(frozen=True)
class SandboxRow:
    name: str
    owner: str
    classroom: str
    lab: str
    step: str
    age_s: float | None
    namespaces: int
    health: str
    origin: str  # "dashboard" (a row owns it), "cli" (no row: made with `podpath sandbox` on its host),
    #              "missing" (a row, nothing on the kernel: not built yet, or deleted outside the dashboard)
    exercise: str = ""
    host: str = ""
    net_hosts: int = 0
    available: bool = True

    @property
    def resettable(self) -> bool:
        return self.origin == "dashboard" or (self.origin == "cli" and bool(self.lab) and self.lab != "cluster")


MISSING_HEALTH = "not on the kernel: still being built, or deleted outside the dashboard"


def sandbox_rows() -> list[SandboxRow]:
    """Every sandbox on every host, with its owner when the dashboard knows one, and the dashboard's
    sandboxes that no host holds (still building, or deleted with the CLI).

    A sandbox on a host that stopped beating is shown unavailable, not lost: it comes back with its host."""
    from django.utils import timezone

    owned = {s.name: s for s in Sandbox.objects.select_related("owner", "classroom")}
    rows = []
    now = timezone.now()
    for placement in Placement.objects.select_related("host"):
        row = owned.pop(placement.name, None)
        available = host_alive(placement.host)
        missing = placement.health in ("missing", "building")
        if not available:
            health = f"unavailable: host {placement.host.host_id} is down"
        else:
            health = MISSING_HEALTH if missing else placement.health
        meta = placement.meta or {}
        rows.append(
            SandboxRow(
                name=placement.name,
                owner=row.owner.username if row else "",
                classroom=row.classroom.name if row and row.classroom else "",
                lab=placement.lab or ("cluster" if placement.kind == "cluster" else placement.kind),
                step=str(placement.step) if placement.step and not missing else "",
                age_s=(now - placement.created).total_seconds(),
                namespaces=placement.namespaces,
                health=health,
                origin="cli" if row is None else "missing" if missing else "dashboard",
                exercise=row.exercise_id if row else meta.get("exercise", ""),
                host=placement.host.host_id,
                net_hosts=len(placement.net_hosts),
                available=available,
            )
        )
    for row in owned.values():
        rows.append(
            SandboxRow(
                name=row.name,
                owner=row.owner.username,
                classroom=row.classroom.name if row.classroom else "",
                lab=row.lab_id,
                step="",
                age_s=None,
                namespaces=0,
                exercise=row.exercise_id,
                health=MISSING_HEALTH,
                origin="missing",
            )
        )
    return sorted(rows, key=lambda r: r.name)
