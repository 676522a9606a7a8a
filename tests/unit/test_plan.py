"""The planner: golden plans, idempotence, and convergence over many transitions (on FakeKernel)."""

from __future__ import annotations

import itertools

import pytest

from netcore.kernel.fake import FakeKernel
from netcore.plan.planner import plan_changes
from netcore.reconcile import reconcile
from netcore.state import State
from netcore.topology.compile import compile_state
from tests.golden import assert_golden
from tests.topologies import CONTAINERS, CONTAINERS_ONE, switch_topology, topology


def test_plan_from_nothing_golden():
    plan = plan_changes(State(), compile_state(topology(CONTAINERS)))
    assert_golden("plan-containers-from-empty.txt", "\n".join(plan.summaries()) + "\n")


def test_plan_of_a_step_back_golden():
    plan = plan_changes(compile_state(topology(CONTAINERS)), compile_state(topology(CONTAINERS_ONE)))
    assert_golden("plan-containers-step-back.txt", "\n".join(plan.summaries()) + "\n")


def test_the_same_state_plans_nothing():
    state = compile_state(topology(CONTAINERS))
    assert not plan_changes(state, state)


def test_a_switch_plans_all_its_ports_from_the_switch_side_in_one_run():
    plan = plan_changes(State(), compile_state(switch_topology(20)))
    creates = [op for op in plan.ops if type(op).__name__ == "CreateLink" and op.kind == "veth"]
    assert len(creates) == 20 and {op.host for op in creates} == {"sw"}


# Transitions that exercise every rule the planner models: hosts added and removed, a veth re-paired,
# a bridge removed under its ports, an address replaced under a kept device route, a link set down.
VARIANTS = {
    "containers": CONTAINERS,
    "one": CONTAINERS_ONE,
    "repaired": """
hosts:
  host:
    interfaces:
      docker0: {kind: bridge, address: 172.17.0.1/16}
      veth-c1: {master: docker0}
  c1:
    interfaces:
      eth0: {address: 172.17.0.2/16}
  c2:
    interfaces:
      eth0: {address: 172.17.0.3/16}
links:
  - [c2:eth0, host:veth-c1]
  - [c1:eth0, c2:eth1]
""",
    "no-bridge": """
hosts:
  host:
    interfaces:
      veth-c1: {address: 10.1.0.1/24}
  c1:
    interfaces:
      eth0: {addresses: [10.1.0.2/24, 10.1.0.3/24]}
    routes:
      - {to: 10.7.0.0/16, dev: eth0}
      - {to: default, via: 10.1.0.1}
links:
  - [c1:eth0, host:veth-c1]
""",
    "renumbered": """
hosts:
  host:
    interfaces:
      veth-c1: {address: 10.2.0.1/24}
  c1:
    interfaces:
      eth0: {addresses: [10.2.0.2/24]}
    routes:
      - {to: 10.7.0.0/16, dev: eth0}
      - {to: default, via: 10.2.0.1}
links:
  - [c1:eth0, host:veth-c1]
""",
    "down": """
hosts:
  host:
    interfaces:
      veth-c1: {address: 10.2.0.1/24, up: false}
  c1:
    interfaces:
      eth0: {addresses: [10.2.0.2/24]}
links:
  - [c1:eth0, host:veth-c1]
""",
}


@pytest.mark.parametrize(("start", "end"), list(itertools.permutations(VARIANTS, 2)))
def test_every_transition_converges_in_one_plan(start, end):
    kernel = FakeKernel()
    reconcile(kernel, compile_state(topology(VARIANTS[start])))
    desired = compile_state(topology(VARIANTS[end]))
    reconcile(kernel, desired)
    assert kernel.read().differences(desired) == []
    assert not plan_changes(kernel.read(), desired), "a second plan would still change something"
