"""The supported subset: every path it names is a real Kubernetes field, and every value a real value."""

from __future__ import annotations

import re

import pytest

from netcore.kube.kinds import BY_KIND
from netcore.kube.schema import definitions, read_schema, validator_for
from netcore.kube.subset import SUPPORTED, VALUES, check_subset


def schema_at(kind: str, path: str) -> dict:
    """Follow a subset path through the kind's OpenAPI schema, resolving references."""
    resolver = definitions().resolver()
    node = validator_for(BY_KIND[kind]).schema
    for part in re.findall(r"[^.\[\]]+|\[\]", path):
        while "$ref" in node:
            resolved = resolver.lookup(node["$ref"].replace("/api/", "https://kubernetes.io/api/"))
            node, resolver = resolved.contents, resolved.resolver
        if part == "[]":
            node = node["items"]
        elif part == "*":
            assert "additionalProperties" in node, f"{path}: * on a field that is not a map"
            node = node["additionalProperties"]
        else:
            assert part in node.get("properties", {}), f"{kind} {path}: no field {part!r} in Kubernetes"
            node = node["properties"][part]
    return node


@pytest.mark.parametrize(("kind", "path"), [(kind, path) for kind, paths in SUPPORTED.items() for path in paths])
def test_every_supported_path_is_a_kubernetes_field(kind, path):
    schema_at(kind, path)


@pytest.mark.parametrize(("kind", "path"), [(kind, path) for kind, paths in VALUES.items() for path in paths])
def test_value_restrictions_sit_on_supported_paths_and_implemented_values_are_valid(kind, path):
    assert path in SUPPORTED[kind]
    supported, known = VALUES[kind][path]
    assert known is None or set(supported) <= set(known)


def test_the_schemas_are_the_strict_ones():
    assert read_schema("pod-v1.json")["additionalProperties"] is False


def test_fields_outside_the_subset_are_stored_with_a_warning_and_empty_ones_pass():
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "finalizers": ["x"]},
        "spec": {"volumes": [], "containers": [{"name": "c", "image": "x", "resources": {}, "workingDir": "/srv"}]},
    }
    assert check_subset(pod, "Pod") == (
        [],
        [
            "metadata.finalizers is stored but has no effect in Podpath",
            "spec.containers[0].workingDir is stored but has no effect in Podpath",
        ],
    )


def test_a_value_kubernetes_knows_but_podpath_does_not_act_on_is_a_warning_an_unknown_one_an_error():
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {
            "dnsPolicy": "Default",
            "containers": [{"name": "c", "image": "x", "ports": [{"containerPort": 80, "protocol": "SCTP"}]}],
        },
    }
    assert check_subset(pod, "Pod") == (
        [],
        ['spec.dnsPolicy "Default" is stored but has no effect in Podpath (it acts as "ClusterFirst")'],
    )
    pod["spec"]["dnsPolicy"] = "Upstream"
    problems, _ = check_subset(pod, "Pod")
    assert [(p.field, p.expected) for p in problems] == [
        ("spec.dnsPolicy", 'one of ClusterFirst, ClusterFirstWithHostNet, Default, None, got "Upstream"')
    ]


def test_ingress_nginx_annotations_are_named_as_stored_only():
    ingress = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": "i",
            "annotations": {
                "nginx.ingress.kubernetes.io/rewrite-target": "/$2",
                "kubernetes.io/ingress.class": "nginx",
            },
        },
        "spec": {"defaultBackend": {"service": {"name": "web", "port": {"number": 80}}}},
    }
    assert check_subset(ingress, "Ingress") == (
        [],
        ["metadata.annotations.nginx.ingress.kubernetes.io/rewrite-target is stored but has no effect in Podpath"],
    )
