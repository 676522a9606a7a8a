"""Every step of every lab, built on the real kernel: its promises hold with real ping and curl.

One sandbox walks each lab forward (building each step, running every command to try, and checking
the kernel reads back as the step's desired state), back to the first step and forward again, where
every step must read back exactly as the first time. Reset and delete must leave nothing behind.
"""

from __future__ import annotations

import pytest

from labs import stepper
from labs.catalog import load_catalog
from labs.tries import run_try
from netcore import names
from netcore.kernel import netns
from netcore.kube import api
from netcore.plan.planner import plan_changes
from netcore.sandbox import lifecycle
from netcore.state import State
from netcore.topology.compile import compile_state

LABS = load_catalog()


def broken_promises(sandbox: str, step) -> list[str]:
    failures = []
    for attempt in step.tries:
        result = run_try(sandbox, attempt)
        if not result.passed:
            failures.append(
                f"step {step.number} on {attempt.host}: {attempt.command!r} should {attempt.expect}"
                f" (exit {result.returncode}, output: {result.output.strip()[:400]!r})"
            )
    return failures


def read(sandbox: str) -> State:
    return lifecycle.read_sandbox_state(sandbox)


def desired(sandbox: str, step) -> State:
    """The state a step asks for: its topology, or its cluster compiled as the sandbox holds it."""
    if step.cluster is not None:
        return compile_state(api.topology_of(sandbox, api.load_cluster(sandbox)))
    return compile_state(step.topology)


@pytest.mark.parametrize("lab_id", list(LABS))
def test_every_step_builds_keeps_its_promises_and_rebuilds_identically(lab_id, sandbox_name):
    lab = LABS[lab_id]
    seen: dict[int, State] = {}
    failures: list[str] = []
    previous: State | None = None
    stepper.lab_start(sandbox=sandbox_name, lab_id=lab_id, step=1)
    try:
        for step in lab.steps:
            if previous is not None:
                report = stepper.lab_step(sandbox=sandbox_name, step=step.number)
                # Only the difference between the two steps' states is performed.
                assert report.counts == plan_changes(previous, desired(sandbox_name, step)).counts()
            state = read(sandbox_name)
            assert state.differences(desired(sandbox_name, step)) == [], f"step {step.number}"
            previous = state
            seen[step.number] = state
            failures += broken_promises(sandbox_name, step)
        assert not failures, "\n".join(failures)

        for number in [*range(len(lab.steps) - 1, 0, -1), *range(2, len(lab.steps) + 1)]:
            stepper.lab_step(sandbox=sandbox_name, step=number)
            assert read(sandbox_name).differences(seen[number]) == [], f"step {number} on the way back/forward"

        stepper.lab_reset(sandbox=sandbox_name)
        assert read(sandbox_name).differences(seen[1]) == []
        assert not broken_promises(sandbox_name, lab.steps[0])
        assert stepper.lab_step(sandbox=sandbox_name, step=1).operations == 0
    finally:
        lifecycle.delete_sandbox(sandbox_name)

    assert netns.list_names(names.sandbox_prefix(sandbox_name)) == []
    assert not any(p.name.startswith(names.sandbox_prefix(sandbox_name)) for p in names.ETC_NETNS_DIR.glob("pp-*"))
    assert not names.sandbox_dir(sandbox_name).exists()
