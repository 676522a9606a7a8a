"""Manifests in, validated objects out: the API server's front door, all or nothing.

``load_documents`` reads a YAML or JSON stream as kubectl does (YAML 1.1 as sigs.k8s.io/yaml reads
it, several documents, Lists flattened). ``validate_objects`` checks every document in stages, stopping a
document at the first stage that finds problems: apiVersion and kind, the Kubernetes schema (strict), the
subset Podpath implements, then the API server's semantic checks on the defaulted object. It returns
normalized copies (nulls removed, ``status`` and server-set metadata dropped, the talk's v1beta1 Ingress
converted) only when every document is valid; else it raises ``InvalidManifest`` naming each problem as
``pod.yaml: document 2 (Service default/web): spec.ports[0].port: an integer, got string "80"``.
A field the API server accepts but Podpath does not act on is no problem: ``check_documents`` returns it
as a warning beside its object ("spec.containers[0].resources is stored but has no effect in Podpath").
Documents are numbered in the order of the list given (the stream's non-empty documents, List items
counted one by one).
"""

from __future__ import annotations

import copy
from typing import Any, NamedTuple

from netcore.errors import SpecError
from netcore.kube.defaults import apply_defaults
from netcore.kube.fields import Path, Problem, describe, document_order
from netcore.kube.gateway.checks import GATEWAY_CHECKS
from netcore.kube.kinds import BY_KIND, Kind, kind_of
from netcore.kube.legacy import check_legacy_ingress, convert_legacy_ingress, legacy_path
from netcore.kube.netchecks import (
    check_config_map,
    check_ingress,
    check_ingress_class,
    check_network_policy,
    check_secret,
    check_service,
)
from netcore.kube.podchecks import (
    check_daemon_set,
    check_deployment,
    check_pod,
    check_replica_set,
    check_replication_controller,
    check_stateful_set,
)
from netcore.kube.rules import check_metadata
from netcore.kube.schema import check_schema
from netcore.kube.subset import check_subset
from netcore.kube.yamlio import parse_stream

# Written by the API server, not by authors: accepted (so `get -o yaml` output applies again) and dropped.
SERVER_SET = ("uid", "resourceVersion", "creationTimestamp", "generation")
CHECKS = {
    "Pod": check_pod,
    "Deployment": check_deployment,
    "ReplicaSet": check_replica_set,
    "ReplicationController": check_replication_controller,
    "DaemonSet": check_daemon_set,
    "StatefulSet": check_stateful_set,
    "Service": check_service,
    "Ingress": check_ingress,
    "IngressClass": check_ingress_class,
    "NetworkPolicy": check_network_policy,
    "Secret": check_secret,
    "ConfigMap": check_config_map,
    **GATEWAY_CHECKS,
}


class Checked(NamedTuple):
    """A valid object, normalized, with the warnings about the fields Podpath stores but does not act on."""

    obj: dict[str, Any]
    warnings: list[str]


class InvalidManifest(SpecError):
    """Every problem of a manifest; the SpecError fields and the message describe the first one."""

    def __init__(self, errors: list[SpecError]) -> None:
        first = errors[0]
        super().__init__(first.source, first.field, first.expected)
        self.errors = errors


def load_documents(text: str, source: str) -> list[dict[str, Any]]:
    """Parse a YAML or JSON stream into objects: empty documents skipped, Lists flattened."""
    objects: list[dict[str, Any]] = []
    for document in parse_stream(text, source):
        flatten(document, source, objects)
    return objects


def flatten(document: Any, source: str, objects: list[dict[str, Any]]) -> None:
    """Append a document to the objects, or the items of a List, refusing what is not an object."""
    if document is None:
        return
    if not isinstance(document, dict):
        raise SpecError(
            f"{source}: document {len(objects) + 1}",
            "",
            f"a Kubernetes object (a mapping with apiVersion and kind), got {describe(document)}",
        )
    kind = document.get("kind")
    if isinstance(kind, str) and kind.endswith("List") and isinstance(document.get("items"), list):
        for item in document["items"]:
            flatten(item, source, objects)
    else:
        objects.append(document)


def validate_objects(documents: list[dict[str, Any]], source: str) -> list[dict[str, Any]]:
    """Check every document and return normalized copies, or raise InvalidManifest listing every problem."""
    return [checked.obj for checked in check_documents(documents, source)]


def check_documents(documents: list[dict[str, Any]], source: str) -> list[Checked]:
    """Check every document and return normalized copies with their warnings, or raise InvalidManifest
    listing every problem."""
    errors: list[SpecError] = []
    objects: list[Checked] = []
    first_seen: dict[tuple[str, str], int] = {}
    for number, document in enumerate(documents, 1):
        where = f"{source}: document {number}{label(document)}"
        obj, problems, warnings = validate_object(document)
        if obj is not None and not problems:
            identity = object_key(obj)
            if identity in first_seen:
                kind, name = identity
                problems = [
                    Problem(
                        ("metadata", "name"),
                        f"an object not already in this file, got {kind} {name} "
                        f"again (also document {first_seen[identity]})",
                    )
                ]
            first_seen.setdefault(identity, number)
        errors += [SpecError(where, problem.field, problem.expected) for problem in problems]
        if obj is not None:
            objects.append(Checked(obj, warnings))
    if errors:
        raise InvalidManifest(errors)
    return objects


def validate_object(document: Any) -> tuple[dict[str, Any] | None, list[Problem], list[str]]:
    """Check one document; return its normalized copy (None when it is not an object), its problems and
    its warnings."""
    if not isinstance(document, dict):
        return (
            None,
            [Problem((), f"a Kubernetes object (a mapping with apiVersion and kind), got {describe(document)}")],
            [],
        )
    missing = [
        Problem((field,), "a value (this field is required)")
        for field in ("apiVersion", "kind")
        if not document.get(field)
    ]
    if missing:
        return None, missing, []
    try:
        kind = kind_of(document["apiVersion"], document["kind"])
    except SpecError as error:
        return None, [Problem((error.field,), error.expected)], []
    if kind.read_only:
        return (
            None,
            [
                Problem(
                    ("kind",), f"a kind manifests can create, got {kind.kind} (Podpath maintains {kind.plural} itself)"
                )
            ],
            [],
        )
    obj = normalize(document, kind)
    legacy = document["apiVersion"] in kind.legacy_api_versions
    if legacy:
        problems = check_legacy_ingress(obj)
        if problems:
            return obj, problems, []
        obj = convert_legacy_ingress(obj)
    warnings: list[str] = []
    problems = null_items(obj, ()) or check_schema(obj, kind)
    if not problems:
        problems, warnings = check_subset(obj, kind.kind)
        problems = problems or check_semantics(obj, kind)
    if kind.stored_only:
        warnings = [f"kind {kind.kind} ({kind.api_version}) is stored but has no effect in Podpath"]
    if legacy:
        problems = [Problem(legacy_path(problem.path), problem.expected) for problem in problems]
    problems.sort(key=lambda problem: document_order(document, problem.path))
    return obj, problems, warnings


def check_semantics(obj: dict[str, Any], kind: Kind) -> list[Problem]:
    """Run the API server's checks on the defaulted object."""
    defaulted = apply_defaults(obj)
    problems = check_metadata(defaulted, kind=kind.kind, namespaced=kind.namespaced)
    check = CHECKS.get(kind.kind)
    return problems + (check(defaulted) if check else [])


def normalize(document: dict[str, Any], kind: Kind) -> dict[str, Any]:
    """Return a copy without nulls (the API server reads null as unset) and without server-set fields."""
    obj = strip_nulls(copy.deepcopy(document))
    obj.pop("status", None)
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        for field in SERVER_SET:
            meta.pop(field, None)
        if not kind.namespaced:
            meta.pop("namespace", None)  # the API server clears it for cluster-scoped kinds
    return obj


def strip_nulls(value: Any) -> Any:
    """Remove null-valued keys from every mapping, in place, and return the value."""
    if isinstance(value, dict):
        for key in [key for key, item in value.items() if item is None]:
            del value[key]
        for item in value.values():
            strip_nulls(item)
    elif isinstance(value, list):
        for item in value:
            strip_nulls(item)
    return value


def null_items(value: Any, path: Path) -> list[Problem]:
    """Return a problem for every null item of a list (null keys are dropped, but a list item has no key)."""
    problems = []
    if isinstance(value, dict):
        for key, item in value.items():
            problems += null_items(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if item is None:
                problems.append(Problem((*path, index), "a value, got null (an empty item in a list)"))
            else:
                problems += null_items(item, (*path, index))
    return problems


def label(document: Any) -> str:
    """Name a document for error messages: `` (Service default/hello-world-service)``."""
    if not isinstance(document, dict) or not isinstance(document.get("kind"), str):
        return ""
    meta = document.get("metadata")
    if not isinstance(meta, dict):
        meta = {}
    kind, name, namespace = document["kind"], meta.get("name"), meta.get("namespace")
    known = BY_KIND.get(kind)
    if not isinstance(namespace, str) or not namespace:
        namespace = "default" if known is None or known.namespaced else None
    if known is not None and not known.namespaced:
        namespace = None
    if not isinstance(name, str) or not name:
        return f" ({kind})"
    return f" ({kind} {namespace}/{name})" if namespace else f" ({kind} {name})"


def object_key(obj: dict[str, Any]) -> tuple[str, str]:
    """Return the kind and ``namespace/name`` identifying an object, for spotting the same object twice."""
    kind = BY_KIND[obj["kind"]]
    meta = obj.get("metadata") or {}
    name = f"{meta.get('namespace') or 'default'}/{meta['name']}" if kind.namespaced else meta["name"]
    return kind.kind, name
