"""The Kernel protocol: what reconcile needs from a kernel, real (LinuxKernel) or fake (FakeKernel).

Both implementations run through the same contract tests, so a plan that converges on the fake
converges on Linux too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from netcore.plan.ops import Plan
from netcore.state import State

# Called as progress(done, total, what) while a plan is applied.
Progress = Callable[[int, int, str], None]


class Kernel(Protocol):
    def read(self) -> State:
        """Return the sandbox's actual state."""

    def apply(self, plan: Plan, progress: Progress | None = None) -> None:
        """Run the plan's operations in order; raise ApplyError naming the first one refused."""

    def destroy(self) -> None:
        """Remove everything the sandbox owns in the kernel and its processes."""
