"""Pod networking modes on the real kernel: pods on other nodes, switched live between the three modes.

bridge: node routes to each other's pod ranges; vxlan: the same over tunnels (packets really go through
the VXLAN devices); nat: the talk's "bad way", where a pod on another node is reachable only through
a port published on its node's address.
"""

from __future__ import annotations

import pytest

from netcore.kube import api
from tests.kernel.kube_helpers import ClusterSandbox, curl

PODS = """
apiVersion: v1
kind: Pod
metadata: {name: server, labels: {app: server}}
spec:
  nodeName: node1
  containers:
  - name: hello
    image: hello-world
    ports: [{containerPort: 80}]
---
apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  nodeName: node0
  containers:
  - {name: client, image: busybox, command: [sleep, infinity]}
"""


@pytest.fixture
def cluster(sandbox_name):
    api.create_cluster(sandbox_name, nodes=2, cni="bridge")
    sandbox = ClusterSandbox(sandbox_name)
    try:
        sandbox.apply(PODS)
        yield sandbox
    finally:
        sandbox.delete()


def route_to(cluster, destination: str) -> str:
    routes = cluster.on_host("node0", "ip", "route").stdout.splitlines()
    return next(line.strip() for line in routes if line.startswith(destination))


def vxlan_tx_packets(cluster) -> int:
    text = cluster.on_host("node0", "cat", "/proc/net/dev").stdout
    line = next(line for line in text.splitlines() if line.strip().startswith("vx-node1:"))
    return int(line.split(":", 1)[1].split()[9])


def test_pods_on_other_nodes_in_each_mode_switched_live(cluster):
    server = cluster.pod("server")["status"]["podIP"]
    addresses_before = {p["metadata"]["name"]: p["status"]["podIP"] for p in cluster.cluster().list("Pod")}

    assert cluster.in_pod("client", *curl(f"http://{server}/")).stdout == "Hello World\n"
    assert route_to(cluster, "10.244.1.0/24").startswith("10.244.1.0/24 via 172.18.0.3 dev eth0")

    api.set_cni(cluster.name, "vxlan")
    route = route_to(cluster, "10.244.1.0/24")
    assert route.startswith("10.244.1.0/24 via 10.244.1.0 dev vx-node1") and route.endswith("onlink")
    before = vxlan_tx_packets(cluster)
    assert cluster.in_pod("client", *curl(f"http://{server}/")).stdout == "Hello World\n"
    assert vxlan_tx_packets(cluster) > before  # the request really went through the tunnel

    api.set_cni(cluster.name, "nat")
    direct = cluster.in_pod("client", "wget", "-q", "-O-", "-T", "2", f"http://{server}/")
    assert direct.returncode != 0  # the bad way: no route to the other node's pods
    published = cluster.pod("server")["metadata"]["annotations"]["podpath.dev/published-ports"]
    assert published == "172.18.0.3:8080->80/TCP"
    assert cluster.in_pod("client", *curl("http://172.18.0.3:8080/")).stdout == "Hello World\n"

    api.set_cni(cluster.name, "bridge")
    assert cluster.in_pod("client", *curl(f"http://{server}/")).stdout == "Hello World\n"
    # Switching the network never moved or renumbered a pod.
    assert {p["metadata"]["name"]: p["status"]["podIP"] for p in cluster.cluster().list("Pod")} == addresses_before


def test_in_the_bad_way_the_other_node_sees_the_client_node_not_the_pod(cluster):
    api.set_cni(cluster.name, "nat")
    answer = cluster.in_pod("client", *curl("http://198.51.100.10/")).stdout
    assert '"client_address": "172.18.0.2"' in answer
