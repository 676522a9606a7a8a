"""The lab player: put a sandbox on a lab's step, move it forward, back or anywhere, reset it.

Each move reconciles the sandbox to the step's whole desired state, so only what the step changes is
touched. The sandbox record remembers the lab and the step. If the kernel refuses a move half-way, the
player puts the sandbox back on the step it was on before raising.
"""

from __future__ import annotations

from netcore.errors import PodpathError
from netcore.kernel.base import Progress
from netcore.reconcile import Report
from netcore.sandbox import lifecycle
from netcore.sandbox.registry import read_record

from labs.catalog import Lab, get_lab


def lab_start(*, sandbox: str, lab_id: str, step: int = 1, progress: Progress | None = None) -> Report:
    """Create ``sandbox`` on step ``step`` of lab ``lab_id``."""
    lab = get_lab(lab_id)
    target = lab.step(step)
    return lifecycle.create_sandbox(sandbox, target.topology, {"lab": lab.id, "step": target.number},
                                    progress)


def lab_position(*, sandbox: str) -> tuple[Lab, int]:
    """Return the lab a sandbox follows and the step it is on."""
    record = read_record(sandbox)
    lab_id = record.meta.get("lab")
    if not lab_id:
        raise PodpathError(f"sandbox {sandbox!r} does not follow a lab")
    return get_lab(lab_id), int(record.meta.get("step", 1))


def lab_step(*, sandbox: str, step: int, progress: Progress | None = None) -> Report:
    """Move the sandbox to step ``step`` of its lab."""
    lab, current = lab_position(sandbox=sandbox)
    target = lab.step(step)
    try:
        return lifecycle.apply_to_sandbox(sandbox, target.topology, {"step": target.number}, progress)
    except PodpathError as error:
        try:
            lifecycle.apply_to_sandbox(sandbox, lab.step(current).topology, {"step": current})
        except PodpathError as again:
            raise PodpathError(f"{error}; putting the sandbox back on step {current} failed too: {again}") from error
        raise PodpathError(f"{error} (the sandbox is back on step {current})") from error


def lab_reset(*, sandbox: str, progress: Progress | None = None) -> Report:
    """Put the sandbox back on its lab's first step, repairing anything changed by hand."""
    return lab_step(sandbox=sandbox, step=1, progress=progress)
