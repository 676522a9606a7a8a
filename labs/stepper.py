"""The lab stepper: put a sandbox on a lab's step, move it forward, back or anywhere, reset it.

Each move reconciles the sandbox to the step's whole desired state, so only what the step changes is
touched. The sandbox record remembers the lab and the step. If the kernel refuses a move half-way, the
stepper puts the sandbox back on the step it was on before raising.
"""

from __future__ import annotations

from labs.catalog import Lab, Step, get_lab
from netcore.errors import PodpathError
from netcore.kernel.base import Progress
from netcore.kube import api
from netcore.reconcile import Report
from netcore.sandbox import lifecycle
from netcore.sandbox.registry import read_record


def lab_start(*, sandbox: str, lab_id: str, step: int = 1, progress: Progress | None = None) -> Report:
    """Create ``sandbox`` on step ``step`` of lab ``lab_id``."""
    lab = get_lab(lab_id)
    target = lab.step(step)
    meta = {"lab": lab.id, "step": target.number}
    if target.cluster is not None:
        return api.create_cluster(
            sandbox, target.cluster.nodes, target.cluster.cni, progress, meta, list(target.cluster.objects)
        )
    return lifecycle.create_sandbox(sandbox, target.topology, meta, progress)


def move(sandbox: str, step: Step, progress: Progress | None) -> Report:
    """Reconcile the sandbox to one step's whole desired state."""
    meta = {"step": step.number}
    if step.cluster is not None:
        return api.replace_user_objects(sandbox, list(step.cluster.objects), meta, progress, cni=step.cluster.cni)
    return lifecycle.apply_to_sandbox(sandbox, step.topology, meta, progress)


def lab_position(*, sandbox: str) -> tuple[Lab, int]:
    """Return the lab a sandbox follows and the step it is on."""
    record = read_record(sandbox)
    lab_id = record.meta.get("lab")
    if not lab_id:
        raise PodpathError(f"sandbox {sandbox!r} does not follow a lab")
    return get_lab(lab_id), int(record.meta.get("step", 1))


def step_after(*, sandbox: str, by: int) -> int:
    """The step ``by`` steps from the one the sandbox is on, kept inside the lab (next, previous)."""
    lab, current = lab_position(sandbox=sandbox)
    return max(1, min(len(lab.steps), current + by))


def lab_step(*, sandbox: str, step: int, progress: Progress | None = None) -> Report:
    """Move the sandbox to step ``step`` of its lab."""
    lab, current = lab_position(sandbox=sandbox)
    target = lab.step(step)
    try:
        return move(sandbox, target, progress)
    except PodpathError as error:
        try:
            move(sandbox, lab.step(current), None)
        except PodpathError as again:
            raise PodpathError(f"{error}; putting the sandbox back on step {current} failed too: {again}") from error
        raise PodpathError(f"{error} (the sandbox is back on step {current})") from error


def lab_reset(*, sandbox: str, progress: Progress | None = None) -> Report:
    """Put the sandbox back on its lab's first step, repairing anything changed by hand."""
    return lab_step(sandbox=sandbox, step=1, progress=progress)
