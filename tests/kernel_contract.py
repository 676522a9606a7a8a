"""The Kernel contract: behaviour FakeKernel and LinuxKernel must share.

Collected twice, through subclasses in tests/unit (FakeKernel) and tests/kernel (LinuxKernel), each
providing a ``kernel`` fixture. What the planner assumes about the kernel is asserted here, so the
fake cannot drift from Linux unnoticed.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from netcore.errors import ApplyError
from netcore.plan.ops import AddRoute, CreateLink, Plan, SetLink
from netcore.plan.planner import plan_changes
from netcore.reconcile import reconcile
from netcore.topology.compile import compile_state
from netcore.topology.model import Endpoint
from tests.topologies import CONTAINERS, CONTAINERS_ONE, topology

FULL = compile_state(topology(CONTAINERS))
ONE = compile_state(topology(CONTAINERS_ONE))


class KernelContract:
    @pytest.fixture
    def kernel(self):
        raise NotImplementedError

    def test_building_from_nothing_reads_back_as_desired(self, kernel):
        report = reconcile(kernel, FULL)
        assert report.operations > 0
        assert kernel.read().differences(FULL) == []

    def test_applying_the_same_state_again_changes_nothing(self, kernel):
        reconcile(kernel, FULL)
        again = reconcile(kernel, FULL)
        assert again.operations == 0, again.summaries

    def test_moving_between_states_performs_only_the_difference_and_converges(self, kernel):
        reconcile(kernel, FULL)
        back = reconcile(kernel, ONE)
        assert kernel.read().differences(ONE) == []
        assert back.counts == plan_changes(FULL, ONE).counts()
        assert "CreateNamespace" not in back.counts  # nothing that stays is rebuilt
        forward = reconcile(kernel, FULL)
        assert kernel.read().differences(FULL) == []
        assert forward.counts == plan_changes(ONE, FULL).counts()

    def test_a_device_set_down_behind_our_back_is_repaired_with_its_routes(self, kernel):
        reconcile(kernel, FULL)
        kernel.apply(Plan((SetLink("c1", "eth0", up=False, master=None),)))
        broken = kernel.read()
        assert not broken.devices[Endpoint("c1", "eth0")].up
        # The kernel flushed c1's default route with the device.
        assert not any(r.host == "c1" for r in broken.routes)
        repair = reconcile(kernel, FULL)
        assert repair.counts == {"AddRoute": 1, "FlushNeighbours": 4, "SetLink": 1}
        assert kernel.read().differences(FULL) == []

    def test_creating_an_existing_device_is_refused(self, kernel):
        reconcile(kernel, FULL)
        bridge = FULL.devices[Endpoint("host", "docker0")]
        with pytest.raises(ApplyError, match="docker0"):
            kernel.apply(Plan((CreateLink("host", "docker0", "bridge", bridge.mac, bridge.mtu),)))

    def test_a_route_through_a_gateway_off_every_subnet_is_refused(self, kernel):
        reconcile(kernel, FULL)
        with pytest.raises(ApplyError, match="10.9.9.0/24"):
            kernel.apply(Plan((AddRoute("c2", "10.9.9.0/24", "eth0", via="192.0.2.1"),)))

    def test_deleting_a_host_deletes_the_veth_peer_left_in_another_host(self, kernel):
        reconcile(kernel, FULL)
        without_c2 = replace(
            FULL,
            hosts=FULL.hosts - {"c2"},
            devices={e: d for e, d in FULL.devices.items() if e.host != "c2" and e.ifname != "veth-c2"},
            addresses=frozenset(a for a in FULL.addresses if a.end.host != "c2"),
            routes=frozenset(r for r in FULL.routes if r.host != "c2"),
            sysctls={k: v for k, v in FULL.sysctls.items() if k[0] != "c2"},
            files={k: v for k, v in FULL.files.items() if k[0] != "c2"},
        )
        reconcile(kernel, without_c2)
        state = kernel.read()
        assert Endpoint("host", "veth-c2") not in state.devices
        assert state.differences(without_c2) == []
