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
    return parse_manifests(
        "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
        f"spec: {{selector: {{app: web}}, ports: [{{port: 80}}], {spec}}}\n",
        "svc.yaml",
    )


def stored(*specs: str):
    cluster = new_cluster(ClusterConfig(nodes=1), NOW)
    for spec in specs:
        cluster, _ = apply_objects(cluster, service(spec), NOW)
    return cluster.get("Service", "default", "web")["spec"]


def test_a_local_load_balancer_gets_a_health_check_node_port_and_keeps_it():
    spec = stored("type: LoadBalancer, externalTrafficPolicy: Local")
    assert 30000 <= spec["healthCheckNodePort"] <= 32767
    assert spec["healthCheckNodePort"] != spec["ports"][0]["nodePort"]
    again = stored(
        "type: LoadBalancer, externalTrafficPolicy: Local",
        "type: LoadBalancer, externalTrafficPolicy: Local, sessionAffinity: ClientIP",
    )
    assert again["healthCheckNodePort"] == spec["healthCheckNodePort"]
    assert "healthCheckNodePort" not in stored("type: LoadBalancer")
    assert (
        stored("type: LoadBalancer, externalTrafficPolicy: Local, healthCheckNodePort: 31999")["healthCheckNodePort"]
        == 31999
    )


def test_load_balancer_to_cluster_ip_drops_what_the_manifest_left_as_it_was():
    spec = stored("type: LoadBalancer, externalTrafficPolicy: Local", "type: ClusterIP, externalTrafficPolicy: Local")
    assert spec["type"] == "ClusterIP"
    assert not {"externalTrafficPolicy", "healthCheckNodePort"} & set(spec)
    assert "nodePort" not in spec["ports"][0]


def test_node_port_to_cluster_ip_drops_the_node_port_the_manifest_still_names():
    cluster, _ = apply_objects(new_cluster(ClusterConfig(nodes=1), NOW), service("type: NodePort"), NOW)
    node_port = cluster.get("Service", "default", "web")["spec"]["ports"][0]["nodePort"]
    text = (
        "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
        f"spec: {{selector: {{app: web}}, ports: [{{port: 80, nodePort: {node_port}}}]}}\n"
    )
    cluster, outcomes = apply_objects(cluster, parse_manifests(text, "svc.yaml"), NOW)
    assert outcomes[0][1] == "configured"
    assert "nodePort" not in cluster.get("Service", "default", "web")["spec"]["ports"][0]


@pytest.mark.parametrize(
    ("specs", "field", "expected"),
    [
        (("externalTrafficPolicy: Local",), "spec.externalTrafficPolicy", "nothing for a ClusterIP Service"),
        (
            ("type: LoadBalancer", "type: ClusterIP, externalTrafficPolicy: Local"),
            "spec.externalTrafficPolicy",
            "nothing for a ClusterIP Service",
        ),  # changed (Cluster -> Local) with the type: the user asked for it
        (
            ("type: LoadBalancer, healthCheckNodePort: 31000",),
            "spec.healthCheckNodePort",
            "nothing unless the Service is a LoadBalancer with externalTrafficPolicy Local, got 31000",
        ),
    ],
)
def test_what_the_type_does_not_allow_is_refused_when_asked_for(specs, field, expected):
    with pytest.raises(SpecError) as caught:
        stored(*specs)
    assert (caught.value.field, caught.value.expected[: len(expected)]) == (field, expected)


def test_internal_traffic_policy_local_picks_this_nodes_endpoints_and_external_traffic_all():
    from netcore.kube.compile.services import Endpoint, ServicePort, render_service_chains

    endpoints = (Endpoint("10.244.0.5", 8080, "node0"), Endpoint("10.244.1.5", 8080, "node1"))
    port = ServicePort(
        namespace="default",
        service="web",
        port_name="",
        protocol="tcp",
        cluster_ip="10.96.0.20",
        port=80,
        node_port=30080,
        load_balancer_ips=(),
        external_local=False,
        affinity_timeout=None,
        endpoints=endpoints,
        internal_local=True,
    )

    def chain_rules(ruleset: str, prefix: str) -> list[str]:
        block = ruleset.split(f"chain {port.chain(prefix)} {{")[1].split("\t}")[0]
        return [line.strip() for line in block.splitlines() if line.strip()]

    node0 = render_service_chains([port], "node0")
    (choice,) = [r for r in chain_rules(node0, "service") if r.startswith("numgen")]
    assert "10.244.0.5" in choice and "10.244.1.5" not in choice and choice.startswith("numgen random mod 1")
    assert "numgen random mod 2" in chain_rules(node0, "cluster")[0]
    assert f"goto {port.chain('cluster')}" in chain_rules(node0, "external")[1]
    alone = ServicePort(**{**port.__dict__, "endpoints": endpoints[1:]})
    assert (
        chain_rules(render_service_chains([alone], "node0"), "service")[-1]
        == 'drop comment "internalTrafficPolicy Local: no endpoint on this node"'
    )


def test_external_ips_are_external_addresses_of_any_service_routed_to_a_node():
    from netcore.kube import images
    from netcore.kube.compile.network import compile_cluster

    spec = stored("externalIPs: [192.0.2.10]")
    assert spec["type"] == "ClusterIP" and spec["externalTrafficPolicy"] == "Cluster"  # defaulted, as the API server
    cluster = new_cluster(ClusterConfig(nodes=1), NOW)
    cluster, _ = apply_objects(cluster, service("externalIPs: [192.0.2.10]"), NOW)
    hosts = {h.name: h for h in compile_cluster(cluster, "tunit", images).hosts}
    assert any(r.dst == "192.0.2.10/32" for r in hosts["router"].routes)
    assert '192.0.2.10 . tcp . 80 comment "default/web/tcp/" : goto reject-chain' in "\n".join(hosts["node0"].nft)


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("127.0.0.1", "an address traffic can be routed to"),
        ("224.0.0.5", "an address traffic can be routed to"),
        ("1.2.3", "an IPv4 address"),
    ],
)
def test_unroutable_external_ips_are_refused(address, expected):
    with pytest.raises(SpecError) as caught:
        service(f"externalIPs: ['{address}']")
    assert (caught.value.field, caught.value.expected[: len(expected)]) == ("spec.externalIPs[0]", expected)


def test_a_load_balancer_may_go_without_node_ports():
    spec = stored("type: LoadBalancer, allocateLoadBalancerNodePorts: false")
    assert "nodePort" not in spec["ports"][0]
    assert stored("type: LoadBalancer")["allocateLoadBalancerNodePorts"] is True  # defaulted
    assert "allocateLoadBalancerNodePorts" not in stored(  # left as stored in the manifest: dropped
        "type: LoadBalancer", "type: ClusterIP, allocateLoadBalancerNodePorts: true"
    )


def test_load_balancer_source_ranges_become_a_firewall_before_nat_only_where_used():
    from netcore.kube.compile.services import Endpoint, ServicePort, render_service_chains

    base = ServicePort(
        namespace="default",
        service="web",
        port_name="",
        protocol="tcp",
        cluster_ip="10.96.0.20",
        port=80,
        node_port=30080,
        load_balancer_ips=("203.0.113.10", "192.0.2.10"),
        external_local=False,
        affinity_timeout=None,
        endpoints=(Endpoint("10.244.0.5", 8080, "node0"),),
    )
    assert "firewall" not in render_service_chains([base], "node0")
    guarded = ServicePort(**{**base.__dict__, "source_ranges": ("198.51.100.0/24",), "balancer_ips": ("203.0.113.10",)})
    rules = render_service_chains([guarded], "node0")
    assert f'203.0.113.10 . tcp . 80 comment "default/web/tcp/" : goto {guarded.chain("firewall")}' in rules
    assert '192.0.2.10 . tcp . 80 comment "default/web/tcp/" : goto firewall' not in rules  # externalIPs: open
    assert 'ip saddr != { 198.51.100.0/24 } drop comment "not in loadBalancerSourceRanges of default/web"' in rules
