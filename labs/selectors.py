"""Reads for the views: the lab catalog, sandboxes with their state, the picture of a sandbox.

Reading a sandbox's record or its cluster's stored objects is a file read; nothing here changes the
kernel (that is the agent's job).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

import markdown
from django.utils.safestring import SafeString, mark_safe

from classrooms.models import Classroom, Enrollment
from labs.catalog import Lab, Step, Try, catalog, get_lab
from labs.diagram import Diagram, layout
from labs.models import Sandbox
from labs.svg import render_topology
from labs.tries import expand
from netcore import names
from netcore.errors import NotFound, PodpathError
from netcore.kernel import netns
from netcore.sandbox.lifecycle import GarbageReport, SandboxStatus, find_garbage, list_sandboxes
from netcore.sandbox.registry import read_record
from netcore.topology.model import Topology


def lab_list() -> list[Lab]:
    return list(catalog().values())


def lab_get(*, lab_id: str) -> Lab:
    return get_lab(lab_id)


def sandbox_list() -> list[SandboxStatus]:
    return list_sandboxes()


def render_markdown(text: str) -> SafeString:
    """Lab and exercise text is ours (content files), so its HTML is trusted."""
    return mark_safe(markdown.markdown(text, extensions=["fenced_code", "tables"]))


def sandbox_step_number(*, sandbox: Sandbox) -> int | None:
    """The step the sandbox is on, or None while it is being built (no record yet)."""
    try:
        return int(read_record(sandbox.name).meta.get("step", 1))
    except NotFound:
        return None


def sandbox_topology(*, sandbox: Sandbox, step: Step) -> Topology:
    """What the sandbox should look like now: the step's topology, or its cluster compiled."""
    if step.cluster is None:
        return step.topology
    from netcore.kube import api

    return api.topology_of(sandbox.name, api.load_cluster(sandbox.name))


def sandbox_targets(*, sandbox: Sandbox, topology: Topology | None, nodes: int) -> list[str]:
    """Where console commands can run: a topology's hosts, or a cluster's pods, nodes and outside hosts."""
    if topology is not None:
        return [h.name for h in topology.hosts]
    from netcore.kube import api

    pods = [f"{p['metadata']['namespace']}/{p['metadata']['name']}"
            for p in api.load_cluster(sandbox.name).list("Pod")]
    return pods + [f"node{i}" for i in range(nodes)] + ["internet", "external", "router"]


def step_tries(*, sandbox: str, step: Step) -> list[Try]:
    """A step's commands to try as the learner should type them: a cluster's address placeholders
    (``{{svc:hello-world-service}}``) filled in from the sandbox's objects. The player and the CLI show these."""
    if step.cluster is None:
        return list(step.tries)
    from netcore.kube import api

    try:
        cluster = api.load_cluster(sandbox)
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

    @cached_property  # the page asks three times; for a cluster each would read its objects again
    def targets(self) -> list[str]:
        """Where console commands can run: the step's hosts, or a cluster's pods and outside hosts."""
        if self.step is None:
            return []
        return sandbox_targets(sandbox=self.sandbox, topology=self.step.topology,
                               nodes=self.step.cluster.nodes if self.step.cluster else 0)

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
    if room is None or not room.presenting or sandbox.exercise_id or viewer is None \
            or sandbox.owner_id != viewer.pk or room.instructor_id == viewer.pk:
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


@dataclass(frozen=True)
class Capacity:
    memory_available_mb: int
    memory_total_mb: int
    namespaces: int
    sandboxes: int


def capacity_get() -> Capacity:
    """How much room the host has left: memory and network namespaces."""
    meminfo = {}
    for line in Path("/proc/meminfo").read_text().splitlines():
        key, _, value = line.partition(":")
        meminfo[key] = int(value.split()[0])
    return Capacity(memory_available_mb=meminfo.get("MemAvailable", 0) // 1024,
                    memory_total_mb=meminfo.get("MemTotal", 0) // 1024,
                    namespaces=len(netns.list_names(names.PREFIX + "-")),
                    sandboxes=len(list_sandboxes()))


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
    origin: str  # "dashboard" (a row owns it), "cli" (a record, no row: made with `podpath sandbox`),
    #              "missing" (a row, no record: not built yet, or deleted outside the dashboard)
    exercise: str = ""

    @property
    def resettable(self) -> bool:
        return self.origin == "dashboard" or (self.origin == "cli" and bool(self.lab) and self.lab != "cluster")


def sandbox_rows() -> list[SandboxRow]:
    """Every sandbox: those on this host, with their owner when the dashboard knows one, and the
    dashboard's sandboxes that have no record on the host (still building, or deleted with the CLI)."""
    owned = {s.name: s for s in Sandbox.objects.select_related("owner", "classroom")}
    rows = []
    for status in list_sandboxes():
        row = owned.pop(status.record.name, None)
        meta = status.record.meta
        rows.append(SandboxRow(
            name=status.record.name,
            owner=row.owner.username if row else "",
            classroom=row.classroom.name if row and row.classroom else "",
            lab=meta.get("lab", "cluster" if meta.get("kind") == "cluster" else ""),
            step=str(meta.get("step", "")),
            age_s=status.record.age_seconds(),
            namespaces=status.namespaces,
            health=status.health,
            origin="dashboard" if row else "cli",
            exercise=meta.get("exercise", ""),
        ))
    for row in owned.values():
        rows.append(SandboxRow(
            name=row.name, owner=row.owner.username, classroom=row.classroom.name if row.classroom else "",
            lab=row.lab_id, step="", age_s=None, namespaces=0, exercise=row.exercise_id,
            health="not on the kernel: still being built, or deleted outside the dashboard", origin="missing"))
    return sorted(rows, key=lambda r: r.name)


def garbage_get() -> GarbageReport:
    """What "remove leftovers" would remove: namespaces and files no sandbox record owns."""
    return find_garbage()


def load_average() -> float:
    return os.getloadavg()[0]
