"""Reading an API request: the resource path, the verb, and the formats asked for (pure).

``/api/v1/namespaces/default/pods/web/log`` becomes group "", version v1, namespace default, resource
pods, name web, subresource log. The Accept header says whether kubectl wants a Table (server-side
printing) or, for discovery, the aggregated form.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TABLE = "as=Table"
AGGREGATED = "as=APIGroupDiscoveryList"
AGGREGATED_TYPE = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
NAMESPACE_SUBRESOURCES = ("status", "finalize")


@dataclass(frozen=True)
class ResourcePath:
    group: str
    version: str
    resource: str
    namespace: str = ""
    name: str = ""
    subresource: str = ""


def parse_resource_path(parts: list[str]) -> ResourcePath | None:
    """Parse what follows ``/k8s/<sandbox>/``; None for a path that names no resource."""
    if parts[:1] == ["api"] and len(parts) >= 3:
        group, version, rest = "", parts[1], parts[2:]
    elif parts[:1] == ["apis"] and len(parts) >= 4:
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    namespace = ""
    if rest[0] == "namespaces" and len(rest) >= 3 and rest[2] not in NAMESPACE_SUBRESOURCES:
        namespace, rest = rest[1], rest[2:]
    if len(rest) > 3:
        return None
    return ResourcePath(group, version, rest[0], namespace, *(rest[1:] + ["", ""])[:2])


def verb_of(method: str, path: ResourcePath, watch: bool) -> str | None:
    """The API verb of an HTTP method on a path (``watch`` for ``?watch=true``)."""
    if method == "GET":
        return "watch" if watch else "get" if path.name else "list"
    named = {"PUT": "update", "PATCH": "patch", "DELETE": "delete"}
    if method == "POST" and not path.name:
        return "create"
    return named.get(method) if path.name else None


def wants_table(accept: str) -> bool:
    """kubectl asks ``application/json;as=Table;v=v1;g=meta.k8s.io, application/json``: give the Table."""
    return any(TABLE in part.replace(" ", "") for part in accept.split(","))


def wants_aggregated(accept: str) -> bool:
    first = accept.split(",")[0].replace(" ", "")
    return AGGREGATED in first and "v=v2;" in first + ";"


def true(value: str | None) -> bool:
    return (value or "").lower() in ("true", "1")


def request_args(
    path: ResourcePath, verb: str, query: Any, accept: str, body: Any, content_type: str
) -> dict[str, Any]:
    """The ``kube_read``/``kube_write`` arguments (agent.protocol.KubeRequest) of one request."""
    return {
        "verb": "list" if verb == "watch" else verb,
        "group": path.group,
        "version": path.version,
        "resource": path.resource,
        "namespace": path.namespace,
        "name": path.name,
        "subresource": path.subresource,
        "body": body,
        "patch_type": content_type.split(";")[0].strip(),
        "label_selector": query.get("labelSelector", ""),
        "field_selector": query.get("fieldSelector", ""),
        "table": wants_table(accept) and verb in ("get", "list"),
        "include_object": query.get("includeObject", "Metadata"),
        "dry_run": bool(query.get("dryRun")),
    }
