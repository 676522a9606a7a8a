"""hostPort: the pod's node publishes the port, as the CNI's portmap plugin does, in every pod network."""

from __future__ import annotations

from netcore.kube import images
from netcore.kube.api import parse_manifests
from netcore.kube.cluster import ClusterConfig, apply_objects, new_cluster
from netcore.kube.compile.network import compile_cluster

NOW = "2026-11-26T10:00:00Z"
PODS = """
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  nodeName: node1
  containers: [{name: web, image: hello-world, ports: [{containerPort: 80, hostPort: 8080}]}]
---
apiVersion: v1
kind: Pod
metadata: {name: plain}
spec:
  nodeName: node1
  containers: [{name: web, image: hello-world, ports: [{containerPort: 80}]}]
"""


def node_rules(cni: str) -> tuple[dict, str]:
    cluster, _ = apply_objects(new_cluster(ClusterConfig(nodes=2, cni=cni), NOW), parse_manifests(PODS, "t.yaml"), NOW)
    node1 = next(h for h in compile_cluster(cluster, "tunit", images).hosts if h.name == "node1")
    return cluster, "\n".join(node1.nft)


def test_a_host_port_is_published_on_the_pods_node_in_the_bridge_network():
    cluster, rules = node_rules("bridge")
    web = cluster.get("Pod", "default", "web")
    assert web["metadata"]["annotations"]["podpath.dev/published-ports"] == "172.18.0.3:8080->80/TCP"
    assert "annotations" not in cluster.get("Pod", "default", "plain")["metadata"]
    assert f'ip daddr 172.18.0.3 tcp dport 8080 dnat ip to {web["status"]["podIP"]}:80 comment "default/web"' in rules


def test_in_the_nat_network_a_host_port_wins_over_the_automatic_ports():
    cluster, _ = node_rules("nat")
    published = {
        name: cluster.get("Pod", "default", name)["metadata"]["annotations"]["podpath.dev/published-ports"]
        for name in ("web", "plain")
    }
    # plain was made second but web asked for 8080 itself: plain moves to 8081
    assert published == {"web": "172.18.0.3:8080->80/TCP", "plain": "172.18.0.3:8081->80/TCP"}
