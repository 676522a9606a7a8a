"""What ``podpath get`` and ``podpath describe`` print, shaped like kubectl's output.

``render_table`` lays out a kind's columns (``columns``) with kubectl's tabwriter settings, sorted as the
API server lists objects (by namespace, then name). An empty list renders as nothing: the caller prints
``no_resources_message`` on standard error, as kubectl does. ``render_objects`` writes ``-o json`` and
``-o yaml`` with kubectl's key order (sorted, as Go writes maps) and its List wrapper;
``render_describe`` picks a kind's describe page (``describers``, ``netdescribers``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from netcore.kube.columns import COLUMNS, NAME_AND_AGE
from netcore.kube.describers import (
    describe_deployment,
    describe_generic,
    describe_namespace,
    describe_node,
    describe_pod,
)
from netcore.kube.gateway.columns import GATEWAY_COLUMNS
from netcore.kube.gateway.describe import GATEWAY_DESCRIBERS
from netcore.kube.kinds import Kind
from netcore.kube.netdescribers import (
    describe_endpoint_slice,
    describe_endpoints,
    describe_ingress,
    describe_ingress_class,
    describe_network_policy,
    describe_secret,
    describe_service,
)
from netcore.kube.owner_describers import describe_pod_owner
from netcore.kube.tabwriter import GET_TABLE, tabwrite
from netcore.kube.yamlio import dump_yaml

Describer = Callable[[dict[str, Any], dict[str, list[dict[str, Any]]]], str]
DESCRIBERS: dict[str, Describer] = {
    "Pod": describe_pod,
    "Deployment": describe_deployment,
    "Namespace": describe_namespace,
    "Node": describe_node,
    "Secret": describe_secret,
    "IngressClass": describe_ingress_class,
    "Service": describe_service,
    "Ingress": describe_ingress,
    "NetworkPolicy": describe_network_policy,
    "Endpoints": describe_endpoints,
    "EndpointSlice": describe_endpoint_slice,
    "ReplicaSet": describe_pod_owner,
    "ReplicationController": describe_pod_owner,
    "DaemonSet": describe_pod_owner,
    "StatefulSet": describe_pod_owner,
    **GATEWAY_DESCRIBERS,
}
# Go's encoding/json escapes these even inside strings; kubectl's -o json shows \u003cnone\u003e.
GO_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def render_table(
    kind: Kind, objects: list[dict[str, Any]], *, wide: bool = False, all_namespaces: bool = False, now: datetime
) -> str:
    """Render objects of one kind as ``kubectl get`` does; an empty list renders as an empty string."""
    if not objects:
        return ""
    columns = COLUMNS.get(kind.kind) or GATEWAY_COLUMNS.get(kind.kind, NAME_AND_AGE)
    with_namespace = all_namespaces and kind.namespaced
    headers = [*(["NAMESPACE"] if with_namespace else []), *columns.headers, *(columns.wide if wide else [])]
    lines = ["\t".join(headers)]
    for obj in sorted(objects, key=sort_key):
        cells = columns.row(obj, wide, now)
        if with_namespace:
            cells = [obj["metadata"].get("namespace", ""), *cells]
        lines.append("\t".join(cells))
    return tabwrite("\n".join(lines) + "\n", **GET_TABLE)


def sort_key(obj: dict[str, Any]) -> tuple[str, str]:
    """Order objects as the API server lists them: by namespace, then name."""
    meta = obj.get("metadata") or {}
    return meta.get("namespace", ""), meta.get("name", "")


def no_resources_message(kind: Kind, *, namespace: str = "default", all_namespaces: bool = False) -> str:
    """Return kubectl's line for an empty listing, which it prints on standard error."""
    if all_namespaces or not kind.namespaced:
        return "No resources found\n"
    return f"No resources found in {namespace} namespace.\n"


def render_objects(objects: list[dict[str, Any]], fmt: Literal["json", "yaml"], *, single: bool) -> str:
    """Render objects as ``-o json`` or ``-o yaml``: one named object as itself, else a v1 List."""
    if single:
        if len(objects) != 1:
            raise ValueError(f"single=True needs exactly one object, got {len(objects)}")
        document: dict[str, Any] = objects[0]
    else:
        document = {"apiVersion": "v1", "items": objects, "kind": "List", "metadata": {"resourceVersion": ""}}
    if fmt == "json":
        text = json.dumps(document, indent=4, sort_keys=True, ensure_ascii=False)
        for char, escape in GO_JSON_ESCAPES.items():
            text = text.replace(char, escape)  # these characters only ever occur inside strings
        return text + "\n"
    if fmt == "yaml":
        return dump_yaml(document)
    raise ValueError(f"unknown output format {fmt!r}; expected json or yaml")


def render_describe(obj: dict[str, Any], related: dict[str, list[dict[str, Any]]]) -> str:
    """Render an object as ``kubectl describe`` does; ``related`` holds the objects its page mentions, by kind."""
    return DESCRIBERS.get(obj.get("kind", ""), describe_generic)(obj, related)
