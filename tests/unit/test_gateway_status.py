"""Gateway API status as the spec defines it: conditions, reasons, attachedRoutes, ReferenceGrants."""

from __future__ import annotations

from typing import Any

from netcore.kube.cluster import Cluster, ClusterConfig, apply_objects, new_cluster
from netcore.kube.defaults import apply_defaults
from netcore.kube.manifests import load_documents, validate_objects
from tests.gateway_manifests import GATEWAY_CLASS

NOW = "2026-01-01T00:00:00Z"
BASE = (
    GATEWAY_CLASS
    + """
---
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {team: shop}}
---
apiVersion: v1
kind: Namespace
metadata: {name: other}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge}
spec:
  gatewayClassName: podpath
  listeners:
  - {name: http, port: 80, protocol: HTTP}
  - name: store
    port: 8080
    protocol: HTTP
    hostname: "*.shop.example"
    allowedRoutes: {namespaces: {from: Selector, selector: {matchLabels: {team: shop}}}}
  - {name: dns, port: 53, protocol: UDP}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80}]}
"""
)


def cluster_with(*texts: str) -> Cluster:
    cluster = new_cluster(ClusterConfig(nodes=1), NOW)
    for text in (BASE, *texts):
        objects = [apply_defaults(o) for o in validate_objects(load_documents(text, "t.yaml"), "t.yaml")]
        cluster, _ = apply_objects(cluster, objects, NOW)
    return cluster


def route(
    name: str,
    namespace: str = "default",
    parent: str = "{name: edge, namespace: default}",
    hostnames: str = "[]",
    backends: str = "[{name: web, port: 80}]",
) -> str:
    return (
        f"apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: {name}, namespace: "
        f"{namespace}}}\nspec:\n  parentRefs: [{parent}]\n  hostnames: {hostnames}\n"
        f"  rules: [{{backendRefs: {backends}}}]\n"
    )


def conditions(obj: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {c["type"]: (c["status"], c["reason"]) for c in obj["conditions"]}


def parent_conditions(cluster: Cluster, name: str, namespace: str = "default") -> dict[str, tuple[str, str]]:
    parents = cluster.get("HTTPRoute", namespace, name)["status"]["parents"]
    assert len(parents) == 1 and parents[0]["controllerName"] == "podpath.dev/gateway-controller"
    return conditions(parents[0])


def test_our_class_is_accepted_and_the_gateway_gets_an_address_from_the_pool():
    cluster = cluster_with()
    assert conditions(cluster.get("GatewayClass", "", "podpath")["status"]) == {"Accepted": ("True", "Accepted")}
    status = cluster.get("Gateway", "default", "edge")["status"]
    assert status["addresses"] == [{"type": "IPAddress", "value": "203.0.113.10"}]
    assert conditions(status) == {"Accepted": ("True", "ListenersNotValid"), "Programmed": ("True", "Programmed")}
    dns = next(item for item in status["listeners"] if item["name"] == "dns")
    assert conditions(dns)["Accepted"] == ("False", "UnsupportedProtocol") and dns["supportedKinds"] == []
    service = cluster.get("Service", "default", "edge-podpath")
    assert [p["port"] for p in service["spec"]["ports"]] == [80, 8080]
    assert service["spec"]["externalTrafficPolicy"] == "Local"


def test_a_gateway_of_a_foreign_class_waits_for_its_controller():
    cluster = cluster_with(
        "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: g}\n"
        "spec: {gatewayClassName: other, listeners: [{name: h, port: 80, protocol: HTTP}]}\n"
    )
    assert conditions(cluster.get("Gateway", "default", "g")["status"]) == {
        "Accepted": ("Unknown", "Pending"),
        "Programmed": ("Unknown", "Pending"),
    }
    assert cluster.get("Pod", "default", "g-other") is None


def test_attached_routes_are_counted_per_listener():
    cluster = cluster_with(
        route("a"), route("b", hostnames="[a.shop.example]"), route("c", "shop", hostnames="[x.shop.example]")
    )
    listeners = {
        item["name"]: item["attachedRoutes"]
        for item in cluster.get("Gateway", "default", "edge")["status"]["listeners"]
    }
    # a and b attach to http (Same namespace); b's hostname also meets store's but store allows only team=shop.
    assert listeners == {"http": 2, "store": 1, "dns": 0}
    assert parent_conditions(cluster, "c", "shop") == {
        "Accepted": ("True", "Accepted"),
        "ResolvedRefs": ("True", "ResolvedRefs"),
    }


def test_a_route_no_listener_allows_is_not_allowed_by_listeners():
    cluster = cluster_with(route("r", "other", parent="{name: edge, namespace: default, sectionName: http}"))
    assert parent_conditions(cluster, "r", "other")["Accepted"] == ("False", "NotAllowedByListeners")


def test_a_route_whose_hostnames_meet_no_listener_is_refused_for_it():
    cluster = cluster_with(route("r", parent="{name: edge, sectionName: store}", hostnames="[shop.example]"))
    assert parent_conditions(cluster, "r")["Accepted"] == ("False", "NotAllowedByListeners")
    cluster = cluster_with(
        route("r", "shop", parent="{name: edge, namespace: default, sectionName: store}", hostnames="[shop.example]")
    )
    assert parent_conditions(cluster, "r", "shop")["Accepted"] == ("False", "NoMatchingListenerHostname")


def test_a_parent_ref_naming_no_listener_matches_no_parent():
    cluster = cluster_with(route("r", parent="{name: edge, sectionName: nope}"))
    assert parent_conditions(cluster, "r")["Accepted"] == ("False", "NoMatchingParent")


def test_backend_refs_resolve_or_say_why_not():
    cluster = cluster_with(
        route("missing", backends="[{name: nope, port: 80}]"),
        route("kind", backends="[{group: example.com, kind: Bucket, name: b}]"),
        route("port", backends="[{name: web, port: 81}]"),
        route("cross", backends="[{name: web, namespace: shop, port: 80}]"),
    )
    assert parent_conditions(cluster, "missing")["ResolvedRefs"] == ("False", "BackendNotFound")
    assert parent_conditions(cluster, "kind")["ResolvedRefs"] == ("False", "InvalidKind")
    assert parent_conditions(cluster, "port")["ResolvedRefs"] == ("False", "BackendNotFound")
    assert parent_conditions(cluster, "cross") == {
        "Accepted": ("True", "Accepted"),
        "ResolvedRefs": ("False", "RefNotPermitted"),
    }


def test_a_reference_grant_lets_a_route_use_a_service_in_another_namespace():
    grant = """
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: from-default, namespace: shop}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: default}]
  to: [{group: "", kind: Service, name: web}]
"""
    cluster = cluster_with(route("cross", backends="[{name: web, namespace: shop, port: 80}]"), grant)
    assert parent_conditions(cluster, "cross")["ResolvedRefs"] == ("True", "ResolvedRefs")
    wrong_name = grant.replace("name: web}", "name: other}")
    cluster = cluster_with(route("cross", backends="[{name: web, namespace: shop, port: 80}]"), wrong_name)
    assert parent_conditions(cluster, "cross")["ResolvedRefs"] == ("False", "RefNotPermitted")


def test_conditions_keep_their_transition_time_while_unchanged():
    cluster = cluster_with(route("r"))
    later = "2026-01-01T01:00:00Z"
    again = [apply_defaults(o) for o in validate_objects(load_documents(route("s"), "t.yaml"), "t.yaml")]
    cluster, _ = apply_objects(cluster, again, later)
    accepted = cluster.get("HTTPRoute", "default", "r")["status"]["parents"][0]["conditions"][0]
    assert accepted["lastTransitionTime"] == NOW
    assert (
        cluster.get("HTTPRoute", "default", "s")["status"]["parents"][0]["conditions"][0]["lastTransitionTime"] == later
    )


def test_deleting_the_gateway_removes_its_pod_and_service():
    from netcore.kube.cluster import delete_objects

    cluster = cluster_with()
    cluster, _ = delete_objects(cluster, [("Gateway", "default", "edge")], NOW)
    assert cluster.get("Pod", "default", "edge-podpath") is None
    assert cluster.get("Service", "default", "edge-podpath") is None


def test_a_regular_expression_that_does_not_compile_keeps_the_route_out():
    bad = route("r").replace(
        "rules: [{backendRefs", "rules: [{matches: [{path: {type: RegularExpression, value: '/a(['}}], backendRefs"
    )
    cluster = cluster_with(bad)
    assert parent_conditions(cluster, "r")["Accepted"] == ("False", "UnsupportedValue")
    listeners = {
        item["name"]: item["attachedRoutes"]
        for item in cluster.get("Gateway", "default", "edge")["status"]["listeners"]
    }
    assert listeners["http"] == 0


def test_the_gateway_pod_and_service_are_the_controllers_not_the_users():
    from netcore.kube.api import is_user_object

    cluster = cluster_with()
    # A lab step removes the user objects it does not name: the gateway's pod must stay with its Gateway.
    assert not is_user_object(cluster.get("Pod", "default", "edge-podpath"))
    assert not is_user_object(cluster.get("Service", "default", "edge-podpath"))
    assert is_user_object(cluster.get("Gateway", "default", "edge"))


def test_a_class_with_parameters_is_refused_and_its_gateways_wait():
    cluster = cluster_with(
        "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: tuned}\n"
        "spec: {controllerName: podpath.dev/gateway-controller, parametersRef: "
        "{group: example.com, kind: Tuning, name: fast}}\n---\n"
        "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: g}\n"
        "spec: {gatewayClassName: tuned, listeners: [{name: h, port: 80, protocol: HTTP}]}\n"
    )
    assert conditions(cluster.get("GatewayClass", "", "tuned")["status"]) == {
        "Accepted": ("False", "InvalidParameters")
    }
    assert conditions(cluster.get("Gateway", "default", "g")["status"])["Accepted"] == ("Unknown", "Pending")
