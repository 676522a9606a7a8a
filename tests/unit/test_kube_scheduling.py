"""Scheduling onto the nodes a pod asks for: nodeSelector and required node affinity; a pod no node fits
stays Pending, out of the network, as the scheduler leaves it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from netcore.kube import images
from netcore.kube.api import parse_manifests
from netcore.kube.cluster import ClusterConfig, apply_objects, new_cluster
from netcore.kube.compile.network import compile_cluster
from netcore.kube.kinds import resolve_kind
from netcore.kube.manifests import InvalidManifest
from netcore.kube.printers import render_table

NOW = "2026-11-26T10:00:00Z"


def pod(name: str, spec: str) -> str:
    return (
        f"apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, labels: {{app: web}}}}\n"
        f"spec: {{containers: [{{name: c, image: hello-world}}], {spec}}}\n---\n"
    )


AFFINITY = (
    "affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: "
    "[{matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [%s]}]}]}}}"
)


def cluster_with(text: str, nodes: int = 3):
    cluster, _ = apply_objects(new_cluster(ClusterConfig(nodes=nodes), NOW), parse_manifests(text, "t.yaml"), NOW)
    return cluster


def test_pods_go_only_to_the_nodes_they_ask_for():
    cluster = cluster_with(
        pod("a", "nodeSelector: {kubernetes.io/hostname: node2}")
        + pod("b", "nodeSelector: {node-role.kubernetes.io/control-plane: ''}")
        + pod("c", AFFINITY % "node1")
        + pod("d", AFFINITY % "node1")
        + pod(
            "e",
            "affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: "
            "{nodeSelectorTerms: [{matchFields: [{key: metadata.name, operator: NotIn, "
            "values: [node0]}]}]}}}",
        )
    )
    placed = {p["metadata"]["name"]: p["spec"].get("nodeName") for p in cluster.list("Pod", "default")}
    assert placed == {"a": "node2", "b": "node0", "c": "node1", "d": "node1", "e": "node2"}


def test_a_pod_no_node_fits_is_pending_without_an_address_and_out_of_the_network():
    cluster = cluster_with(
        pod("lost", "nodeSelector: {disktype: ssd}") + "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
        "spec: {selector: {app: web}, ports: [{port: 80}]}\n"
    )
    lost = cluster.get("Pod", "default", "lost")
    assert "nodeName" not in lost["spec"] and "podIP" not in lost["status"]
    assert lost["status"]["phase"] == "Pending"
    assert lost["status"]["conditions"][0]["message"] == (
        "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector."
    )
    assert "subsets" not in cluster.get("Endpoints", "default", "web")
    hosts = [h.label for h in compile_cluster(cluster, "tunit", images).hosts]
    assert not any("default/lost" in label for label in hosts)
    row = render_table(resolve_kind("pods"), [lost], now=datetime(2026, 11, 26, 10, 1, tzinfo=UTC))
    assert row.splitlines()[1].split() == ["lost", "0/1", "Pending", "0", "60s"]
    again, outcomes = apply_objects(
        cluster, parse_manifests(pod("lost", "nodeSelector: {disktype: ssd}"), "t.yaml"), NOW
    )
    assert outcomes[0][1] == "unchanged" and "nodeName" not in again.get("Pod", "default", "lost")["spec"]


def test_a_daemon_set_runs_only_on_the_nodes_its_template_fits():
    cluster = cluster_with("""
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      nodeSelector: {node-role.kubernetes.io/control-plane: ""}
      containers: [{name: a, image: hello-world}]
""")
    assert [p["spec"]["nodeName"] for p in cluster.list("Pod", "default")] == ["node0"]


@pytest.mark.parametrize(
    ("spec", "field", "expected"),
    [
        (
            "affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: []}}}",
            "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms",
            "at least one node selector term, got none",
        ),
        (
            AFFINITY.replace("In, values: [%s]", "Gt, values: [big]"),
            "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]"
            ".matchExpressions[0].values",
            "exactly one integer for operator Gt",
        ),
        (
            "affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: "
            "[{matchFields: [{key: metadata.labels, operator: In, values: [x]}]}]}}}",
            "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]"
            ".matchFields[0].key",
            '"metadata.name" (the only field',
        ),
        ("nodeSelector: {disk type: ssd}", "spec.nodeSelector.disk type", "a key of at"),
    ],
)
def test_node_affinity_errors_the_api_server_makes_too(spec, field, expected):
    with pytest.raises(InvalidManifest) as caught:
        parse_manifests(pod("x", spec), "t.yaml")
    assert (caught.value.field, caught.value.expected[: len(expected)]) == (field, expected)
