"""Reconcile: read what the kernel has, plan the difference to what is wanted, apply it, report.

Applying the same state twice plans nothing the second time; moving between two states performs only
their difference. The report says how many operations of each kind ran and how long each stage took.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from netcore.kernel.base import Kernel, Progress
from netcore.plan.planner import plan_changes
from netcore.state import State


@dataclass(frozen=True)
class Report:
    """What one reconcile did."""

    operations: int
    counts: dict[str, int] = field(default_factory=dict)
    summaries: tuple[str, ...] = ()
    read_s: float = 0.0
    apply_s: float = 0.0
    # The states either side of the change, for whoever shows what it changed (not compared or printed).
    before: State | None = field(default=None, compare=False, repr=False)
    after: State | None = field(default=None, compare=False, repr=False)

    def describe(self) -> str:
        if not self.operations:
            return "already up to date (0 operations)"
        detail = ", ".join(f"{n} {kind}" for kind, n in self.counts.items())
        return f"{self.operations} operations ({detail}) in {self.read_s + self.apply_s:.3f} s"


def reconcile(kernel: Kernel, desired: State, progress: Progress | None = None, actual: State | None = None) -> Report:
    """Make the kernel match ``desired``; pass ``actual`` when it is already known (a new sandbox)."""
    started = time.perf_counter()
    if actual is None:
        actual = kernel.read()
    read_done = time.perf_counter()
    plan = plan_changes(actual, desired)
    if plan:
        kernel.apply(plan, progress)
    return Report(
        operations=len(plan),
        counts=plan.counts(),
        summaries=tuple(plan.summaries()),
        read_s=read_done - started,
        apply_s=time.perf_counter() - read_done,
        before=actual,
        after=desired,
    )
