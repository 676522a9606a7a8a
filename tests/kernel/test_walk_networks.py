"""The packet walk across nodes in the other pod networks (VXLAN, the "bad way") and in the labs' hosts."""

from __future__ import annotations

import secrets

import pytest

from labs.stepper import lab_start, lab_step
from netcore.kube import api
from netcore.sandbox import lifecycle
from netcore.walk.run import walk
from tests.kernel.kube_helpers import ClusterSandbox

PODS = """
apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  nodeName: node0
  containers: [{name: client, image: curlimages/curl, command: [sleep, infinity]}]
---
apiVersion: v1
kind: Pod
metadata: {name: web, labels: {app: web}}
spec:
  nodeName: node1
  containers: [{name: web, image: hello-world, ports: [{containerPort: 80}]}]
"""


@pytest.fixture(scope="module", params=["vxlan", "nat"])
def cluster(request):
    name = "t" + secrets.token_hex(5)
    api.create_cluster(name, nodes=2, cni=request.param)
    sandbox = ClusterSandbox(name)
    try:
        sandbox.apply(PODS)
        yield sandbox
    finally:
        sandbox.delete()


def trace(sandbox: str, source: str, destination: str, **options):
    return walk(sandbox=sandbox, source=source, destination=destination, **options).walk


def changes(hops, kind: str):
    return [(h.place.host, h.interface, c) for h in hops for c in h.changes if c.kind == kind]


def test_across_nodes_in_the_cluster_pod_network(cluster):
    web = cluster.pod("web")["status"]["podIP"]
    if cluster.cluster().config.cni == "vxlan":
        leg = trace(cluster.name, "client", "web").legs[-1]
        assert leg.verdict.outcome == "delivered"
        on_the_wire = [h for h in leg.request if h.place.host == "lan"]
        assert on_the_wire and all(h.outer is not None for h in on_the_wire)
        outer = on_the_wire[0].outer.layers
        assert (outer.l3["src"], outer.l3["dst"], outer.l4["protocol"], outer.l4["dport"]) == (
            "172.18.0.2",
            "172.18.0.3",
            "udp",
            4789,
        )
        assert on_the_wire[0].layers.l3["dst"] == web  # the pod's own packet, inside
        assert [h for h, i, _ in changes(leg.request, "encapsulate")] == ["node0"]
        assert [(h, i) for h, i, _ in changes(leg.request, "decapsulate")] == [("node1", "vx-node0")]
        assert any(h.outer is not None for h in leg.reply)
        return
    # The bad way: a pod address on another node is not routed; the published port is the only door.
    refused = trace(cluster.name, "client", "web")
    assert refused.verdict.outcome == "no-route" and refused.verdict.at.host == "router"
    published = cluster.pod("web")["metadata"]["annotations"]["podpath.dev/published-ports"].split("->")[0]
    assert f"try --to {published}" in refused.notes[0]
    ((host, _, masq),) = changes(refused.legs[-1].request, "masquerade")
    assert host == "node0" and masq.after.startswith("172.18.0.2:")
    leg = trace(cluster.name, "client", published).legs[-1]
    assert leg.verdict.outcome == "delivered"
    assert [h for h, _, _ in changes(leg.request, "masquerade")] == ["node0"]
    ((host, _, dnat),) = changes(leg.request, "dnat")
    assert (host, dnat.before, dnat.after) == ("node1", published, f"{web}:80")
    assert dnat.by.kind == "port-mapping" and dnat.by.name == "default/web"
    assert leg.request[-1].layers.l3["src"] == "172.18.0.2"  # the pod sees the other node, not the client


@pytest.fixture
def lab(sandbox_name):
    yield sandbox_name
    lifecycle.delete_sandbox(sandbox_name)


def test_a_container_reaches_the_internet_through_the_hosts_masquerade(lab):
    lab_start(sandbox=lab, lab_id="connecting-containers")
    lab_step(sandbox=lab, step=5)
    result = trace(lab, "c1", "internet", roles={"host": "host", "c1": "container", "c2": "container"})
    leg = result.legs[-1]
    assert [h.place.host for h in leg.request] == ["c1", "host", "host", "host", "internet"]
    ((host, interface, masq),) = changes(leg.request, "masquerade")
    assert (host, interface) == ("host", "eth0") and masq.after.startswith("198.51.100.2:")
    assert "masquerade" in masq.rule.text and masq.rule.chain == "postrouting"
    ((host, _, unsnat),) = changes(leg.reply, "un-snat")
    assert host == "host" and unsnat.after.startswith("172.17.0.2:")
    assert result.verdict.outcome == "delivered" and '"client_address": "198.51.100.2"' in result.verdict.answer
    assert leg.request[0].place.role == "container"


def test_a_machine_pings_another_across_the_switch(lab):
    lab_start(sandbox=lab, lab_id="evolution")
    result = trace(lab, "m1", "m3", protocol="icmp")
    leg = result.legs[-1]
    assert [(h.place.host, h.interface, h.direction) for h in leg.request] == [
        ("m1", "eth0", "out"),
        ("switch", "p1", "in"),
        ("switch", "p3", "out"),
        ("m3", "eth0", "in"),
    ]
    assert [(h.place.host, h.interface) for h in leg.reply][-1] == ("m1", "eth0")
    assert all(h.layers.l3["ttl"] == 64 for h in leg.request)  # a switch does not route
    assert result.verdict.outcome == "delivered" and result.verdict.answered_by.address == "10.0.0.3"
    beyond = trace(lab, "m1", "198.51.100.10")
    assert beyond.verdict.outcome == "no-route" and beyond.verdict.at.host == "m1"
