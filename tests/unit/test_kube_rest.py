"""The Kubernetes REST semantics, pure: patches, Tables, Status errors, field selectors, watch events."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kubeapi.paths import parse_resource_path, verb_of, wants_aggregated, wants_table
from kubeapi.watch import changes, first_events
from netcore.errors import NotFound, SpecError
from netcore.kube.cluster import Cluster
from netcore.kube.kinds import BY_KIND
from netcore.kube.rest.discovery import api_resource_list
from netcore.kube.rest.patch import JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH, apply_patch, json_patch, merge_patch
from netcore.kube.rest.selectors import fields_match, parse_field_selector
from netcore.kube.rest.server import checked, scale_of
from netcore.kube.rest.status import ApiError, status_of
from netcore.kube.rest.table import table_object

POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {
        "name": "web",
        "namespace": "default",
        "labels": {"app": "web", "tier": "front"},
        "creationTimestamp": "2026-01-01T00:00:00Z",
    },
    "spec": {
        "nodeName": "node1",
        "containers": [
            {
                "name": "web",
                "image": "hello-world:1.0",
                "ports": [{"containerPort": 80}],
                "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
            },
            {"name": "side", "image": "busybox"},
        ],
    },
    "status": {"phase": "Running", "podIP": "10.244.1.5"},
}


def test_strategic_merge_merges_containers_by_name_and_env_by_name():
    web = {"name": "web", "image": "hello-world:2.0", "env": [{"name": "B", "value": "3"}]}
    patch = {"spec": {"containers": [web]}}
    result = apply_patch(POD, patch, STRATEGIC_MERGE_PATCH)
    web, side = result["spec"]["containers"]
    assert web["image"] == "hello-world:2.0" and side == POD["spec"]["containers"][1]
    assert web["env"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "3"}]
    assert web["ports"] == [{"containerPort": 80}]
    assert POD["spec"]["containers"][0]["image"] == "hello-world:1.0", "the original is untouched"


def test_strategic_merge_directives_delete_order_and_null():
    patch = {
        "metadata": {"labels": {"tier": None}},
        "spec": {
            "$setElementOrder/containers": [{"name": "side"}, {"name": "web"}],
            "containers": [{"name": "web", "$patch": "delete"}],
        },
    }
    result = apply_patch(POD, patch, STRATEGIC_MERGE_PATCH)
    assert result["metadata"]["labels"] == {"app": "web"}
    assert [c["name"] for c in result["spec"]["containers"]] == ["side"]
    ordered = apply_patch(
        POD, {"spec": {"$setElementOrder/containers": [{"name": "side"}, {"name": "web"}]}}, STRATEGIC_MERGE_PATCH
    )
    assert [c["name"] for c in ordered["spec"]["containers"]] == ["side", "web"]


def test_service_ports_merge_by_port_and_unkeyed_lists_are_replaced():
    service = {"spec": {"ports": [{"port": 80, "targetPort": 8080}, {"port": 443}], "externalIPs": ["1.2.3.4"]}}
    result = apply_patch(
        service, {"spec": {"ports": [{"port": 80, "targetPort": 9090}], "externalIPs": []}}, STRATEGIC_MERGE_PATCH
    )
    assert result["spec"]["ports"] == [{"port": 80, "targetPort": 9090}, {"port": 443}]
    assert result["spec"]["externalIPs"] == []


def test_merge_patch_replaces_lists_and_deletes_nulls():
    result = apply_patch(POD, {"spec": {"containers": [{"name": "only"}]}, "status": None}, MERGE_PATCH)
    assert result["spec"]["containers"] == [{"name": "only"}] and "status" not in result
    assert merge_patch({"a": {"b": 1, "c": 2}}, {"a": {"b": None, "d": 3}}) == {"a": {"c": 2, "d": 3}}


def test_json_patch_operations_in_order_all_or_nothing():
    ops = [
        {"op": "replace", "path": "/spec/containers/0/image", "value": "x"},
        {"op": "add", "path": "/metadata/labels/new~1key", "value": "v"},
        {"op": "remove", "path": "/spec/containers/1"},
        {"op": "test", "path": "/metadata/name", "value": "web"},
    ]
    result = apply_patch(POD, ops, JSON_PATCH)
    assert result["spec"]["containers"][0]["image"] == "x" and len(result["spec"]["containers"]) == 1
    assert result["metadata"]["labels"]["new/key"] == "v"
    with pytest.raises(ApiError) as refused:
        json_patch(POD, [{"op": "replace", "path": "/spec/missing/x", "value": 1}])
    assert refused.value.reason == "Invalid" and refused.value.code == 422


def test_a_table_has_the_cli_columns_with_wide_ones_at_priority_1():
    table = table_object(BY_KIND["Pod"], [POD], now=datetime(2026, 1, 1, 0, 5, tzinfo=UTC), resource_version="7")
    names = [(c["name"], c["priority"]) for c in table["columnDefinitions"]]
    assert names[:5] == [("Name", 0), ("Ready", 0), ("Status", 0), ("Restarts", 0), ("Age", 0)]
    assert ("IP", 1) in names and ("Nominated Node", 1) in names
    [row] = table["rows"]
    assert row["cells"][0] == "web" and row["cells"][4] == "5m" and "10.244.1.5" in row["cells"]
    assert row["object"]["kind"] == "PartialObjectMetadata" and row["object"]["metadata"]["labels"]["app"] == "web"
    assert table["metadata"] == {"resourceVersion": "7"}


def test_a_gateway_table_has_the_crd_printer_columns_as_podpath_get():
    gateway = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {"name": "shop", "namespace": "default", "creationTimestamp": "2026-01-01T00:00:00Z"},
        "spec": {"gatewayClassName": "podpath"},
        "status": {
            "addresses": [{"type": "IPAddress", "value": "203.0.113.20"}],
            "conditions": [{"type": "Programmed", "status": "True"}],
        },
    }
    table = table_object(
        BY_KIND["Gateway"], [gateway], now=datetime(2026, 1, 1, 0, 5, tzinfo=UTC), resource_version="7"
    )
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Class", "Address", "Programmed", "Age"]
    assert table["rows"][0]["cells"] == ["shop", "podpath", "203.0.113.20", "True", "5m"]


def test_refusals_become_status_objects_kubectl_reads():
    invalid = status_of(
        SpecError("request: document 1 (Pod default/web)", "spec.containers[0].image", "a value"),
        kind="Pod",
        resource="pods",
        name="web",
    )
    assert (invalid["code"], invalid["reason"]) == (422, "Invalid")
    assert invalid["message"] == 'Pod "web" is invalid: spec.containers[0].image: Invalid value: a value'
    assert invalid["details"]["causes"] == [
        {"reason": "FieldValueInvalid", "message": "Invalid value: a value", "field": "spec.containers[0].image"}
    ]
    missing = status_of(NotFound('pods "x" not found'), kind="Pod", resource="pods", name="x")
    assert (missing["code"], missing["reason"], missing["details"]) == (404, "NotFound", {"name": "x", "kind": "pods"})


def test_field_selectors():
    assert fields_match(parse_field_selector("metadata.name=web,status.phase!=Pending"), POD)
    assert not fields_match(parse_field_selector("spec.nodeName==node0"), POD)
    with pytest.raises(ApiError):
        parse_field_selector("metadata.name")


def test_resource_paths_and_verbs():
    path = parse_resource_path("api/v1/namespaces/default/pods/web/log".split("/"))
    assert path is not None and (path.namespace, path.resource, path.name, path.subresource) == (
        "default",
        "pods",
        "web",
        "log",
    )
    namespace = parse_resource_path("api/v1/namespaces/team".split("/"))
    assert namespace is not None and (namespace.resource, namespace.name, namespace.namespace) == (
        "namespaces",
        "team",
        "",
    )
    deployments = parse_resource_path("apis/apps/v1/deployments".split("/"))
    assert deployments is not None and verb_of("GET", deployments, watch=True) == "watch"
    assert verb_of("POST", deployments, watch=False) == "create" and verb_of("DELETE", deployments, False) is None
    assert wants_table("application/json;as=Table;v=v1;g=meta.k8s.io,application/json")
    assert wants_aggregated("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json")
    assert not wants_aggregated("application/json")


def test_watch_events_from_two_lists():
    a, b = {"metadata": {"name": "a", "resourceVersion": "3"}}, {"metadata": {"name": "b", "resourceVersion": "9"}}
    assert first_events({("", "a"): a, ("", "b"): b}, "") == [("ADDED", a), ("ADDED", b)]
    assert first_events({("", "a"): a, ("", "b"): b}, "5") == [("MODIFIED", b)]
    b2 = {"metadata": {"name": "b", "resourceVersion": "10"}}
    c = {"metadata": {"name": "c"}}
    assert changes({("", "a"): a, ("", "b"): b}, {("", "b"): b2, ("", "c"): c}) == [
        ("DELETED", a),
        ("MODIFIED", b2),
        ("ADDED", c),
    ]


def test_discovery_serves_every_kind_and_the_scale_of_those_with_replicas():
    batch = {r["name"] for r in api_resource_list("batch", "v1")["resources"]}
    assert {"jobs", "cronjobs"} <= batch
    apps = {r["name"] for r in api_resource_list("apps", "v1")["resources"]}
    assert {"statefulsets", "statefulsets/scale", "replicasets/scale", "daemonsets", "daemonsets/status"} <= apps
    assert "daemonsets/scale" not in apps
    core = {r["name"] for r in api_resource_list("", "v1")["resources"]}
    assert {"replicationcontrollers/scale", "persistentvolumeclaims"} <= core


def test_a_replication_controllers_scale_reads_its_plain_label_map():
    rc = {
        "kind": "ReplicationController",
        "metadata": {"name": "rc", "namespace": "default"},
        "spec": {"replicas": 2, "selector": {"app": "x", "tier": "y"}},
        "status": {"replicas": 1},
    }
    scale = scale_of(rc, Cluster())
    assert scale["spec"] == {"replicas": 2} and scale["status"] == {"replicas": 1, "selector": "app=x,tier=y"}


def test_a_written_object_carries_the_warnings_of_what_podpath_only_stores():
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "default"},
        "spec": {"containers": [{"name": "c", "image": "nginx"}], "tolerations": [{"operator": "Exists"}]},
    }
    obj, warnings = checked(pod, BY_KIND["Pod"], "p")
    assert obj["spec"]["tolerations"] == [{"operator": "Exists"}]
    assert [w.split(" is ")[0] for w in warnings] == ["spec.tolerations"]
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": "r", "namespace": "default"},
        "rules": [],
    }
    assert checked(role, BY_KIND["Role"], "r")[1] == [
        "kind Role (rbac.authorization.k8s.io/v1) is stored but has no effect in Podpath"
    ]


def test_a_table_of_stateful_sets_has_kubectls_columns():
    sts = {
        "kind": "StatefulSet",
        "metadata": {"name": "db", "namespace": "default", "creationTimestamp": "2026-01-01T00:00:00Z"},
        "spec": {"replicas": 3, "template": {"spec": {"containers": [{"name": "c", "image": "busybox"}]}}},
        "status": {"readyReplicas": 2},
    }
    now = datetime(2026, 1, 1, 0, 5, tzinfo=UTC)
    table = table_object(BY_KIND["StatefulSet"], [sts], now=now, resource_version="1")
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Ready", "Age", "Containers", "Images"]
    assert table["rows"][0]["cells"] == ["db", "2/3", "5m", "c", "busybox"]
