"""The upstream Gateway API conformance cases (tests/gateway_conformance.py) against the pure model: the
status the controller writes, and the rule and backend the compiled routes pick for each request. The
kernel test sends the same requests through nginx."""

from __future__ import annotations

from typing import Any

import pytest

from netcore.kube.cluster import Cluster, ClusterConfig, apply_objects, new_cluster
from netcore.kube.defaults import apply_defaults
from netcore.kube.gateway.attach import resolve_gateways
from netcore.kube.gateway.match import Request
from netcore.kube.gateway.routes import compile_gateway, route_request
from netcore.kube.manifests import load_documents, validate_objects
from tests import gateway_conformance as conformance

NOW = "2026-01-01T00:00:00Z"


def applied(*texts: str) -> Cluster:
    cluster = new_cluster(ClusterConfig(nodes=2), NOW)
    for text in texts:
        objects = [apply_defaults(o) for o in validate_objects(load_documents(text, "c.yaml"), "c.yaml")]
        cluster, _ = apply_objects(cluster, objects, NOW)
    return cluster


def observed(cluster: Cluster, condition: conformance.Condition) -> tuple[str, str] | None:
    namespace, name = condition.name.split("/")
    if condition.kind == "Route":
        route = cluster.get("HTTPRoute", namespace, name) or {}
        entries = [
            p for p in (route.get("status") or {}).get("parents") or [] if p["parentRef"]["name"] == condition.listener
        ]
        found = [c for p in entries for c in p["conditions"] if c["type"] == condition.type]
    else:
        status = (cluster.get("Gateway", namespace, name) or {}).get("status") or {}
        holder: dict[str, Any] = (
            status
            if condition.kind == "Gateway"
            else next((item for item in status.get("listeners") or [] if item["name"] == condition.listener), {})
        )
        if condition.type == "AttachedRoutes":
            return (str(holder["attachedRoutes"]), "") if holder else None
        found = [c for c in holder.get("conditions") or [] if c["type"] == condition.type]
    return (found[0]["status"], found[0]["reason"]) if found else None


def stale_conditions(cluster: Cluster, manifests: str) -> list[str]:
    """Conditions of the case's Gateways and routes that do not observe their object's latest generation."""
    stale = []
    for document in load_documents(manifests, "c.yaml"):
        if document["kind"] not in ("Gateway", "HTTPRoute"):
            continue
        obj = (
            cluster.get(
                document["kind"], document["metadata"].get("namespace", "default"), document["metadata"]["name"]
            )
            or {}
        )
        status = obj.get("status") or {}
        every = [
            *status.get("conditions", []),
            *(c for item in status.get("listeners", []) + status.get("parents", []) for c in item["conditions"]),
        ]
        stale += [
            f"{document['kind']} {obj['metadata']['name']}: {c['type']} observed {c['observedGeneration']}"
            for c in every
            if c["observedGeneration"] != obj["metadata"]["generation"]
        ]
    return stale


def check_conditions(cluster: Cluster, manifests: str, conditions: tuple[conformance.Condition, ...]) -> None:
    for condition in conditions:
        assert observed(cluster, condition) == (condition.status, condition.reason), condition
    assert not stale_conditions(cluster, manifests)


@pytest.mark.parametrize("case", conformance.CASES, ids=lambda case: case.name)
def test_the_conformance_case_holds_in_the_model(case: conformance.Case):
    cluster = applied(conformance.BASE, case.manifests)
    check_conditions(cluster, case.manifests, case.conditions)
    for then in case.then:
        objects = [apply_defaults(o) for o in validate_objects(load_documents(then.manifests, "c.yaml"), "c.yaml")]
        cluster, _ = apply_objects(cluster, objects, "2026-01-01T00:05:00Z")
        check_conditions(cluster, then.manifests, then.conditions)
        assert all(
            obj["metadata"]["generation"] == 2
            for obj in (cluster.get(o["kind"], o["metadata"]["namespace"], o["metadata"]["name"]) for o in objects)
        )
    if not case.expects:
        return
    world = resolve_gateways(cluster)
    routes = compile_gateway(cluster, world, world.gateways[(conformance.INFRA, case.gateway)])
    for expect in case.expects:
        request = Request(expect.host or "203.0.113.10", expect.path, headers=expect.headers)
        _, target = route_request(routes, 443 if expect.https else 80, request)
        if target is None:
            assert expect.status == 404, expect
            continue
        redirect = next((f["requestRedirect"] for f in target.filters if "requestRedirect" in f), None)
        if redirect is not None:
            assert redirect.get("statusCode", 302) == expect.status, expect
            continue
        [split] = target.splits
        status = split.status or 200
        assert status == expect.status, (expect, split)
        if expect.backend:
            assert split.upstream == f"{expect.namespace}-{expect.backend}-8080", (expect, split)
