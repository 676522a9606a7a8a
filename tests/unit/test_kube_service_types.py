"""Service type changes as the API server makes them: fields the new type does not allow are dropped when
the manifest left them as stored, refused otherwise; healthCheckNodePort allocated for LoadBalancer +
externalTrafficPolicy Local."""

from __future__ import annotations

import pytest

from netcore.errors import SpecError
from netcore.kube.api import parse_manifests
from netcore.kube.cluster import ClusterConfig, apply_objects, new_cluster

NOW = "2026-11-26T10:00:00Z"


def service(spec: str) -> list[dict]:
    return parse_manifests("apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
                           f"spec: {{selector: {{app: web}}, ports: [{{port: 80}}], {spec}}}\n", "svc.yaml")


def stored(*specs: str):
    cluster = new_cluster(ClusterConfig(nodes=1), NOW)
    for spec in specs:
        cluster, _ = apply_objects(cluster, service(spec), NOW)
    return cluster.get("Service", "default", "web")["spec"]


def test_a_local_load_balancer_gets_a_health_check_node_port_and_keeps_it():
    spec = stored("type: LoadBalancer, externalTrafficPolicy: Local")
    assert 30000 <= spec["healthCheckNodePort"] <= 32767
    assert spec["healthCheckNodePort"] != spec["ports"][0]["nodePort"]
    again = stored("type: LoadBalancer, externalTrafficPolicy: Local",
                   "type: LoadBalancer, externalTrafficPolicy: Local, sessionAffinity: ClientIP")
    assert again["healthCheckNodePort"] == spec["healthCheckNodePort"]
    assert "healthCheckNodePort" not in stored("type: LoadBalancer")
    assert stored("type: LoadBalancer, externalTrafficPolicy: Local, healthCheckNodePort: 31999")[
        "healthCheckNodePort"] == 31999


def test_load_balancer_to_cluster_ip_drops_what_the_manifest_left_as_it_was():
    spec = stored("type: LoadBalancer, externalTrafficPolicy: Local",
                  "type: ClusterIP, externalTrafficPolicy: Local")
    assert spec["type"] == "ClusterIP"
    assert not {"externalTrafficPolicy", "healthCheckNodePort"} & set(spec)
    assert "nodePort" not in spec["ports"][0]


def test_node_port_to_cluster_ip_drops_the_node_port_the_manifest_still_names():
    cluster, _ = apply_objects(new_cluster(ClusterConfig(nodes=1), NOW), service("type: NodePort"), NOW)
    node_port = cluster.get("Service", "default", "web")["spec"]["ports"][0]["nodePort"]
    text = ("apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
            f"spec: {{selector: {{app: web}}, ports: [{{port: 80, nodePort: {node_port}}}]}}\n")
    cluster, outcomes = apply_objects(cluster, parse_manifests(text, "svc.yaml"), NOW)
    assert outcomes[0][1] == "configured"
    assert "nodePort" not in cluster.get("Service", "default", "web")["spec"]["ports"][0]


@pytest.mark.parametrize(("specs", "field", "expected"), [
    (("externalTrafficPolicy: Local",), "spec.externalTrafficPolicy", "nothing for a ClusterIP Service"),
    (("type: LoadBalancer", "type: ClusterIP, externalTrafficPolicy: Local"), "spec.externalTrafficPolicy",
     "nothing for a ClusterIP Service"),  # changed (Cluster -> Local) with the type: the user asked for it
    (("type: LoadBalancer, healthCheckNodePort: 31000",), "spec.healthCheckNodePort",
     "nothing unless the Service is a LoadBalancer with externalTrafficPolicy Local, got 31000"),
])
def test_what_the_type_does_not_allow_is_refused_when_asked_for(specs, field, expected):
    with pytest.raises(SpecError) as caught:
        stored(*specs)
    assert (caught.value.field, caught.value.expected[:len(expected)]) == (field, expected)
