"""The cluster's controllers and compilers, without a kernel: what the API server and kube-proxy would
derive from the same objects."""

from __future__ import annotations

import pytest

from netcore.errors import NotFound, PodpathError, SpecError
from netcore.kube import images
from netcore.kube.api import parse_manifests
from netcore.kube.cluster import ClusterConfig, apply_objects, delete_objects, new_cluster, with_cni
from netcore.kube.compile.network import compile_cluster, pod_hosts
from netcore.kube.compile.services import render_service_chains, service_ports
from tests.golden import assert_golden

NOW = "2026-11-26T10:00:00Z"
LATER = "2026-11-26T10:05:00Z"

WEB = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: agnhost
        image: registry.k8s.io/e2e-test-images/agnhost:2.47
        args: [netexec, --http-port=8080]
        ports: [{name: http, containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: LoadBalancer
  externalTrafficPolicy: Local
  sessionAffinity: ClientIP
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
"""


def cluster_with(text: str, nodes: int = 2, cni: str = "bridge"):
    cluster, outcomes = apply_objects(
        new_cluster(ClusterConfig(nodes=nodes, cni=cni), NOW), parse_manifests(text, "test.yaml"), NOW
    )
    return cluster


def test_a_new_cluster_has_nodes_system_namespaces_and_cluster_dns():
    cluster = new_cluster(ClusterConfig(nodes=3), NOW)
    assert [n["metadata"]["name"] for n in cluster.list("Node")] == ["node0", "node1", "node2"]
    assert cluster.get("Node", "", "node1")["spec"]["podCIDR"] == "10.244.1.0/24"
    assert {n["metadata"]["name"] for n in cluster.list("Namespace")} >= {"default", "kube-system"}
    dns = cluster.get("Service", "kube-system", "kube-dns")
    assert dns["spec"]["clusterIP"] == "10.96.0.10"
    assert cluster.get("Endpoints", "kube-system", "kube-dns")["subsets"][0]["addresses"]


def test_deployment_pods_spread_over_nodes_and_get_addresses_from_their_node():
    cluster = cluster_with(WEB, nodes=4)  # node0 already runs coredns and the ingress controller
    pods = [p for p in cluster.list("Pod", "default")]
    assert len(pods) == 3 and len({p["spec"]["nodeName"] for p in pods}) == 3
    for pod in pods:
        index = int(pod["spec"]["nodeName"][4:])
        assert pod["status"]["podIP"].startswith(f"10.244.{index}.")
        assert pod["status"]["hostIP"] == f"172.18.0.{index + 2}"
        assert (
            pod["metadata"]["name"].startswith("web-") and pod["metadata"]["ownerReferences"][0]["kind"] == "ReplicaSet"
        )


def test_reapplying_keeps_every_allocation_and_reports_unchanged():
    cluster = cluster_with(WEB)
    service = cluster.get("Service", "default", "web")
    again, outcomes = apply_objects(cluster, parse_manifests(WEB, "test.yaml"), LATER)
    assert [outcome for _, outcome in outcomes] == ["unchanged", "unchanged"]
    kept = again.get("Service", "default", "web")
    assert kept["spec"]["clusterIP"] == service["spec"]["clusterIP"]
    assert kept["spec"]["ports"][0]["nodePort"] == service["spec"]["ports"][0]["nodePort"]
    assert kept["status"] == service["status"]
    assert {p["status"]["podIP"] for p in again.list("Pod", "default")} == {
        p["status"]["podIP"] for p in cluster.list("Pod", "default")
    }


def test_the_api_server_refusals():
    cluster = cluster_with(WEB)
    moved = WEB.replace("type: LoadBalancer", "type: LoadBalancer\n  clusterIP: 10.96.5.5")
    with pytest.raises(SpecError, match="immutable"):
        apply_objects(cluster, parse_manifests(moved, "test.yaml"), LATER)
    elsewhere = WEB.replace(
        "metadata: {name: web}\nspec:\n  type", "metadata: {name: web, namespace: nowhere}\nspec:\n  type"
    )
    with pytest.raises(SpecError, match='namespaces "nowhere" not found'):
        apply_objects(cluster, parse_manifests(elsewhere, "test.yaml"), LATER)
    with pytest.raises(NotFound, match="not found"):
        delete_objects(cluster, [("Pod", "default", "ghost")], LATER)
    with pytest.raises(PodpathError, match="derived"):
        delete_objects(cluster, [("Node", "", "node0")], LATER)


def test_endpoints_resolve_named_target_ports_per_pod():
    cluster = cluster_with(WEB)
    subsets = cluster.get("Endpoints", "default", "web")["subsets"]
    assert subsets[0]["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]
    assert len(subsets[0]["addresses"]) == 3


def test_scaling_down_keeps_the_oldest_pods_and_a_template_change_replaces_them():
    cluster = cluster_with(WEB)
    first = sorted(p["metadata"]["name"] for p in cluster.list("Pod", "default"))
    smaller, _ = apply_objects(cluster, parse_manifests(WEB.replace("replicas: 3", "replicas: 1"), "t"), LATER)
    assert [p["metadata"]["name"] for p in smaller.list("Pod", "default")][0] in first
    changed, _ = apply_objects(
        cluster, parse_manifests(WEB.replace("--http-port=8080]", "--http-port=8080, --udp-port=9000]"), "t"), LATER
    )
    assert not set(first) & {p["metadata"]["name"] for p in changed.list("Pod", "default")}


def test_bad_way_publishes_container_ports_on_the_node_like_docker_run_p():
    two = WEB.replace("replicas: 3", "replicas: 4")
    cluster = cluster_with(two, nodes=2, cni="nat")
    published = sorted(
        p["metadata"]["annotations"]["podpath.dev/published-ports"] for p in cluster.list("Pod", "default")
    )
    # Pods with port 8080 on one node: the second one there gets the next free port, and so on (node1
    # gets three: node0 already runs coredns and the ingress controller).
    assert published == [
        "172.18.0.2:8080->8080/TCP",
        "172.18.0.3:8080->8080/TCP",
        "172.18.0.3:8081->8080/TCP",
        "172.18.0.3:8082->8080/TCP",
    ]
    back = with_cni(cluster, "bridge", LATER)
    assert all("annotations" not in p["metadata"] for p in back.list("Pod", "default"))


def test_service_chains_golden():
    cluster = cluster_with(WEB)
    assert_golden("kube-proxy-node0.nft", render_service_chains(service_ports(cluster), "node0") + "\n")


def test_local_policy_without_a_local_endpoint_drops_and_the_router_announces_from_a_node_with_one():
    cluster = cluster_with(WEB.replace("replicas: 3", "replicas: 1"))
    [pod] = cluster.list("Pod", "default")
    other = "node1" if pod["spec"]["nodeName"] == "node0" else "node0"
    chains = render_service_chains(service_ports(cluster), other)
    assert 'drop comment "externalTrafficPolicy Local: no endpoint on this node"' in chains
    topology = compile_cluster(cluster, "tunit", images)
    router = topology.host("router")
    lb = cluster.get("Service", "default", "web")["status"]["loadBalancer"]["ingress"][0]["ip"]
    assert any(r.dst == f"{lb}/32" and r.via == pod["status"]["hostIP"] for r in router.routes)


def test_pod_hosts_are_readable_and_unique():
    cluster = cluster_with(WEB)
    hosts = pod_hosts(cluster)
    assert len(set(hosts.values())) == len(hosts)
    assert hosts[("kube-system", next(p["metadata"]["name"] for p in cluster.list("Pod", "kube-system")))].startswith(
        "kube-system-coredns-"
    )


def test_uids_are_rfc_4122_uuids_unique_per_object_and_stable_across_changes():
    import uuid

    cluster = cluster_with(WEB)
    uids = {key: obj["metadata"]["uid"] for key, obj in cluster.objects.items()}
    parsed = {key: uuid.UUID(uid) for key, uid in uids.items()}  # raises on a malformed uid
    assert all(str(u) == uids[key] and u.variant == uuid.RFC_4122 for key, u in parsed.items())
    assert {u.version for key, u in parsed.items() if key[0] not in ("Node", "Endpoints", "EndpointSlice")} == {4}
    assert len(set(uids.values())) == len(uids)  # Endpoints, its EndpointSlices and the Service all differ
    again, _ = apply_objects(cluster, parse_manifests(WEB.replace("replicas: 3", "replicas: 4"), "test.yaml"), LATER)
    assert all(again.objects[key]["metadata"]["uid"] == uid for key, uid in uids.items() if key in again.objects)
    other = cluster_with(WEB)
    assert cluster.get("Node", "", "node0")["metadata"]["uid"] != other.get("Node", "", "node0")["metadata"]["uid"]
