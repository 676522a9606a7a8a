"""hostNetwork: a pod that shares its node's network namespace and address."""

from __future__ import annotations

import pytest

from netcore.kube import images
from netcore.kube.api import parse_manifests
from netcore.kube.cluster import ClusterConfig, apply_objects, new_cluster
from netcore.kube.compile.network import compile_cluster, pod_hosts
from netcore.kube.manifests import InvalidManifest

NOW = "2026-11-26T10:00:00Z"
AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.47"


def host_pod(name: str, port: int = 8080) -> str:
    return f"""
apiVersion: v1
kind: Pod
metadata: {{name: {name}, labels: {{app: hostnet}}}}
spec:
  hostNetwork: true
  containers:
  - {{name: a, image: {AGNHOST}, args: [netexec, --http-port={port}, --udp-port=-1],
     ports: [{{containerPort: {port}}}]}}
---
"""


SERVICE = (
    "apiVersion: v1\nkind: Service\nmetadata: {name: hostnet}\n"
    "spec: {selector: {app: hostnet}, ports: [{port: 80, targetPort: 8080}]}\n"
)


def cluster_with(text: str, nodes: int = 2):
    cluster, _ = apply_objects(new_cluster(ClusterConfig(nodes=nodes), NOW), parse_manifests(text, "t.yaml"), NOW)
    return cluster


def test_a_host_network_pod_has_its_nodes_address_and_serves_from_the_node():
    cluster = cluster_with(host_pod("a") + SERVICE)
    pod = cluster.get("Pod", "default", "a")
    node = pod["spec"]["nodeName"]
    assert pod["status"]["podIP"] == pod["status"]["hostIP"]
    assert pod["spec"]["containers"][0]["ports"][0]["hostPort"] == 8080  # defaulted, as the API server does
    assert ("default", "a") not in pod_hosts(cluster)
    hosts = {h.name: h for h in compile_cluster(cluster, "tunit", images).hosts}
    assert [(s.kind, s.port) for s in hosts[node].servers if s.kind == "netexec"] == [("netexec", 8080)]
    assert not any("default/a" in h.label for h in hosts.values())
    (subset,) = cluster.get("Endpoints", "default", "hostnet")["subsets"]
    assert [a["ip"] for a in subset["addresses"]] == [pod["status"]["hostIP"]]


def test_two_host_network_pods_on_one_port_go_to_different_nodes_and_a_third_waits():
    cluster = cluster_with(host_pod("a") + host_pod("b") + host_pod("c"))
    placed = {p["metadata"]["name"]: p["spec"].get("nodeName") for p in cluster.list("Pod", "default")}
    assert sorted(filter(None, placed.values())) == ["node0", "node1"] and placed["c"] is None
    assert cluster.get("Pod", "default", "c")["status"]["phase"] == "Pending"


def test_a_host_port_other_than_the_container_port_is_refused_with_host_network():
    with pytest.raises(InvalidManifest) as caught:
        parse_manifests(host_pod("a").replace("{containerPort: 8080}", "{containerPort: 8080, hostPort: 9090}"), "t")
    assert (caught.value.field, caught.value.expected) == (
        "spec.containers[0].ports[0].hostPort",
        "the containerPort (8080) when hostNetwork is true, got 9090",
    )
