"""Run one Kubernetes API request against a sandbox's stored cluster (the agent's side of kubeapi).

Reads load the stored cluster; writes hold the sandbox's lock, validate the object as ``kubectl apply``
would have it validated (``netcore.kube.api``), let the controllers derive the rest, reconcile the
kernel and store the cluster, all or nothing, exactly like ``podpath apply``. The answer is plain data:
the HTTP status code, the body (an object, a list, a Table or a Status) and the warnings.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

from netcore.errors import PodpathError
from netcore.kernel.base import Progress
from netcore.kube import api
from netcore.kube.cluster import Cluster, apply_objects, key_of
from netcore.kube.kinds import Kind
from netcore.kube.rest import discovery
from netcore.kube.rest.patch import apply_patch
from netcore.kube.rest.selectors import fields_match, parse_field_selector
from netcore.kube.rest.status import ApiError, already_exists, conflict, not_found, status_object, status_of
from netcore.kube.rest.table import table_object
from netcore.kube.selectors import matches, parse_label_selector
from netcore.sandbox import lifecycle

WRITE_VERBS = frozenset({"create", "update", "patch", "delete"})


@dataclass(frozen=True)
class Request:
    """One API request, as kubeapi parsed it from the URL, the query and the body."""

    verb: str  # get, list, create, update, patch, delete
    group: str
    version: str
    resource: str
    namespace: str = ""
    name: str = ""
    subresource: str = ""
    body: Any = None
    patch_type: str = ""
    label_selector: str = ""
    field_selector: str = ""
    table: bool = False
    include_object: str = "Metadata"
    dry_run: bool = False

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Request:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def answer(code: int, body: Any, warnings: list[str] | None = None) -> dict[str, Any]:
    return {"code": code, "body": body, "warnings": warnings or []}


def handle(sandbox: str, request: Request, progress: Progress | None = None) -> dict[str, Any]:
    """Answer one request: {"code", "body", "warnings"}; every refusal is a Status, never an exception."""
    kind = discovery.kind_for(request.group, request.version, request.resource)
    if kind is None:
        return answer(404, status_object("NotFound", "the server could not find the requested resource"))
    try:
        if request.subresource == "scale":
            return scale(sandbox, kind, request, progress)
        if request.subresource in ("status", ""):
            if request.verb in ("get", "list"):
                return read(sandbox, kind, request)
            if request.subresource == "" and request.verb in WRITE_VERBS:
                return write(sandbox, kind, request, progress)
        raise ApiError(
            "MethodNotAllowed",
            f"{request.verb} is not supported on {kind.resource}"
            f"{'/' + request.subresource if request.subresource else ''}",
        )
    except PodpathError as error:
        body = status_of(error, kind=kind.kind, resource=kind.resource, name=request.name or object_name(request.body))
        return answer(body["code"], body)


def object_name(body: Any) -> str:
    meta = body.get("metadata") if isinstance(body, dict) else None
    return str(meta.get("name") or "") if isinstance(meta, dict) else ""


def scope_of(kind: Kind, request: Request) -> str:
    return request.namespace or "default" if kind.namespaced else ""


def served(obj: dict[str, Any], cluster: Cluster) -> dict[str, Any]:
    """The object as the API server returns it: every object has a resourceVersion."""
    meta = obj.setdefault("metadata", {})
    meta.setdefault("resourceVersion", str(cluster.revision))
    if obj.get("kind") == "EndpointSlice":  # the API server writes an unnamed port's name as "" (kubectl needs it)
        for port in obj.get("ports") or []:
            port.setdefault("name", "")
    return obj


# -- reads --------------------------------------------------------------------------------------------------


def read(sandbox: str, kind: Kind, request: Request) -> dict[str, Any]:
    cluster = api.load_cluster(sandbox)
    version = str(cluster.revision)
    now = datetime.now(UTC)
    if request.verb == "get":
        obj = cluster.get(kind.kind, scope_of(kind, request), request.name)
        if obj is None:
            raise not_found(kind.resource, request.name)
        obj = served(obj, cluster)
        if request.table:
            return answer(
                200, table_object(kind, [obj], now=now, resource_version=version, include_object=request.include_object)
            )
        return answer(200, obj)
    objects = selected(cluster, kind, request)
    if request.table:
        return answer(
            200, table_object(kind, objects, now=now, resource_version=version, include_object=request.include_object)
        )
    return answer(
        200,
        {
            "kind": f"{kind.kind}List",
            "apiVersion": kind.api_version,
            "metadata": {"resourceVersion": version},
            "items": objects,
        },
    )


def selected(cluster: Cluster, kind: Kind, request: Request) -> list[dict[str, Any]]:
    """The objects of a list: in the request's namespace (all for none), matching its selectors."""
    objects = [
        served(o, cluster) for o in cluster.list(kind.kind, request.namespace or None if kind.namespaced else None)
    ]
    if request.label_selector:
        wanted = parse_label_selector(request.label_selector)
        objects = [o for o in objects if matches(wanted, o["metadata"].get("labels", {}))]
    if request.field_selector:
        requirements = parse_field_selector(request.field_selector)
        objects = [o for o in objects if fields_match(requirements, o)]
    return objects


# -- writes -------------------------------------------------------------------------------------------------


def write(sandbox: str, kind: Kind, request: Request, progress: Progress | None) -> dict[str, Any]:
    if request.verb == "delete":
        return delete(sandbox, kind, request, progress)
    if request.verb != "patch" and not isinstance(request.body, dict):
        raise ApiError("BadRequest", "the body of the request must be a JSON object")
    namespace = scope_of(kind, request)
    with lifecycle.locked(sandbox):
        before = api.load_cluster(sandbox)
        name = request.name or object_name(request.body)
        if request.verb == "create" and not name:
            name = generated_name(request.body)
        existing = before.get(kind.kind, namespace, name)
        if request.verb == "create":
            if existing is not None:
                raise already_exists(kind.resource, name)
            incoming = placed(request.body, kind, namespace, name)
        else:
            if existing is None:
                raise not_found(kind.resource, name)
            incoming = (
                apply_patch(existing, request.body, request.patch_type)
                if request.verb == "patch"
                else placed(request.body, kind, namespace, name)
            )
            wanted = (incoming.get("metadata") or {}).get("resourceVersion")
            if wanted and str(wanted) != str(existing["metadata"].get("resourceVersion", wanted)):
                raise conflict(kind.resource, name)  # written over a newer version than the writer read
        obj, warnings = checked(incoming, kind, name)
        after, _ = apply_objects(before, [obj], api.now_timestamp())
        if not request.dry_run:
            api.commit(sandbox, before, after, progress)
        result = after.get(kind.kind, namespace, name)
        return answer(201 if request.verb == "create" else 200, served(result or obj, after), warnings)


def generated_name(body: Any) -> str:
    meta = body.get("metadata") if isinstance(body, dict) else None
    prefix = meta.get("generateName") if isinstance(meta, dict) else None
    if not prefix:
        raise ApiError(
            "Invalid",
            "name or generateName is required",
            {
                "causes": [
                    {
                        "reason": "FieldValueRequired",
                        "message": "Required value: name or generateName is required",
                        "field": "metadata.name",
                    }
                ]
            },
        )
    return prefix + secrets.token_hex(3)[:5]


def placed(body: dict[str, Any], kind: Kind, namespace: str, name: str) -> dict[str, Any]:
    """The body with the request's namespace and name; refuse one that names others."""
    obj = json.loads(json.dumps(body))
    if obj.get("kind") not in (None, kind.kind):
        raise ApiError(
            "BadRequest", f"the kind of the object ({obj.get('kind')}) does not match the request ({kind.kind})"
        )
    obj.setdefault("kind", kind.kind)
    obj.setdefault("apiVersion", kind.api_version)
    meta = obj.setdefault("metadata", {})
    if kind.namespaced:
        if meta.get("namespace") not in (None, "", namespace):
            raise ApiError(
                "BadRequest", "the namespace of the provided object does not match the namespace sent on the request"
            )
        meta["namespace"] = namespace
    if meta.get("name") not in (None, "", name):
        raise ApiError("BadRequest", "the name of the object does not match the name on the URL")
    meta["name"] = name
    meta.pop("generateName", None)
    return obj


def checked(obj: dict[str, Any], kind: Kind, name: str) -> tuple[dict[str, Any], list[str]]:
    """Validate and default one object as a manifest; return it with its warnings (``Warning:`` headers)."""
    [result] = api.check_manifests(json.dumps(obj), "request")
    return result.obj, list(result.warnings)


def delete(sandbox: str, kind: Kind, request: Request, progress: Progress | None) -> dict[str, Any]:
    namespace = scope_of(kind, request)
    cluster = api.load_cluster(sandbox)
    obj = cluster.get(kind.kind, namespace, request.name)
    if obj is None:
        raise not_found(kind.resource, request.name)
    if not request.dry_run:
        api.delete_resources(sandbox, [key_of(obj)], progress)
    return answer(200, served(obj, cluster))


# -- the scale subresource (kubectl scale) ------------------------------------------------------------------


def scale(sandbox: str, kind: Kind, request: Request, progress: Progress | None) -> dict[str, Any]:
    if (kind.kind, "scale") not in discovery.SUBRESOURCES:
        raise ApiError("NotFound", "the server could not find the requested resource")
    cluster = api.load_cluster(sandbox)
    namespace = scope_of(kind, request)
    deployment = cluster.get(kind.kind, namespace, request.name)
    if deployment is None:
        raise not_found(kind.resource, request.name)
    current = scale_of(deployment, cluster)
    if request.verb == "get":
        return answer(200, current)
    if request.verb not in ("update", "patch"):
        raise ApiError("MethodNotAllowed", f"{request.verb} is not supported on {kind.resource}/scale")
    wanted = apply_patch(current, request.body, request.patch_type) if request.verb == "patch" else request.body
    replicas = (wanted.get("spec") or {}).get("replicas") if isinstance(wanted, dict) else None
    if not isinstance(replicas, int) or replicas < 0:
        raise ApiError(
            "Invalid",
            f'Scale.autoscaling "{request.name}" is invalid: spec.replicas: Invalid value: '
            f"{replicas}: must be greater than or equal to 0",
        )
    body = {**deployment, "spec": {**deployment["spec"], "replicas": replicas}}
    written = write(
        sandbox,
        kind,
        Request(
            "update",
            kind.group,
            kind.version,
            kind.resource,
            namespace,
            request.name,
            body=body,
            dry_run=request.dry_run,
        ),
        progress,
    )
    after = written["body"] if written["code"] == 200 else deployment
    return answer(
        written["code"],
        scale_of(after, api.load_cluster(sandbox)) if written["code"] == 200 else written["body"],
        written["warnings"],
    )


def scale_of(deployment: dict[str, Any], cluster: Cluster) -> dict[str, Any]:
    """The Scale of a Deployment, ReplicaSet, StatefulSet or ReplicationController (whose selector is a
    plain label map rather than a label selector)."""
    meta = deployment["metadata"]
    selector = deployment["spec"].get("selector") or {}
    labels = selector if deployment["kind"] == "ReplicationController" else selector.get("matchLabels") or {}
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": meta["name"],
            "namespace": meta.get("namespace", "default"),
            "uid": meta.get("uid"),
            "resourceVersion": str(meta.get("resourceVersion", cluster.revision)),
            "creationTimestamp": meta.get("creationTimestamp"),
        },
        "spec": {"replicas": deployment["spec"].get("replicas", 1)},
        "status": {
            "replicas": (deployment.get("status") or {}).get("replicas", 0),
            "selector": ",".join(f"{k}={v}" for k, v in sorted(labels.items())),
        },
    }
