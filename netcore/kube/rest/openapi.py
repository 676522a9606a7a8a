"""OpenAPI v3 documents, as much of them as kubectl reads (pure).

kubectl asks ``/openapi/v3`` which group versions have a document, then reads a group version's
document to learn that the server validates fields itself (the ``fieldValidation`` parameter of each
kind's PATCH operation): it then sends ``fieldValidation=Strict`` instead of downloading schemas to
validate on its side. Podpath validates every object as the API server does, so that is the truth.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from netcore.kube.kinds import Kind
from netcore.kube.rest.discovery import group_versions, kinds_in


def group_version_path(group: str, version: str) -> str:
    return f"api/{version}" if not group else f"apis/{group}/{version}"


def openapi_root() -> dict[str, Any]:
    """``GET /openapi/v3``: where each group version's document is."""
    paths = {}
    for group, versions in group_versions().items():
        for version in versions:
            path = group_version_path(group, version)
            digest = hashlib.sha256(json.dumps(openapi_document(group, version), sort_keys=True).encode()).hexdigest()
            paths[path] = {"serverRelativeURL": f"/openapi/v3/{path}?hash={digest[:32].upper()}"}
    return {"paths": paths}


def openapi_document(group: str, version: str) -> dict[str, Any]:
    """``GET /openapi/v3/<group version>``: each kind's item path with its operations."""
    paths = {}
    for kind in kinds_in(group, version):
        paths[item_path(kind, group, version)] = {
            method: operation(kind, group, version, method) for method in ("get", "put", "patch", "delete")
        }
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes (Podpath)", "version": "v1.32.0"},
        "paths": paths,
        "components": {"schemas": {}},
    }


def item_path(kind: Kind, group: str, version: str) -> str:
    prefix = "/" + group_version_path(group, version)
    scope = "/namespaces/{namespace}" if kind.namespaced else ""
    return f"{prefix}{scope}/{kind.plural}/{{name}}"


def operation(kind: Kind, group: str, version: str, method: str) -> dict[str, Any]:
    parameters = [{"name": "dryRun", "in": "query", "schema": {"type": "string", "uniqueItems": True}}]
    if method in ("put", "patch"):
        parameters += [
            {"name": "fieldManager", "in": "query", "schema": {"type": "string", "uniqueItems": True}},
            {"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": True}},
        ]
    return {
        "operationId": f"{method}{kind.kind}",
        "parameters": parameters,
        "responses": {},
        "x-kubernetes-action": {"get": "get", "put": "put", "patch": "patch", "delete": "delete"}[method],
        "x-kubernetes-group-version-kind": {"group": group, "version": version, "kind": kind.kind},
    }
