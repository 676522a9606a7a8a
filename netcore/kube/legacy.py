"""The talk's extensions/v1beta1 Ingress, converted on input to networking.k8s.io/v1.

Kubernetes removed the v1beta1 Ingress APIs in 1.22, but the talk (and many tutorials) still write
``serviceName``/``servicePort`` backends. Podpath accepts them and stores the v1 form, as an API server
of that era would have: ``backend`` becomes ``defaultBackend``, each backend becomes
``service.name`` and ``service.port.number`` (or ``.name`` for a named port), a missing ``pathType``
becomes ImplementationSpecific (v1beta1's default) and the path text is kept as written. The converted
object carries the annotation ``podpath.dev/converted-from``. Problems found later in the v1 form are
reported at the field the author wrote, through ``legacy_path``.
"""

from __future__ import annotations

import copy
from typing import Any

from netcore.kube.fields import Path, Problem
from netcore.kube.schema import unknown_field

CONVERTED_FROM = "podpath.dev/converted-from"
TARGET_API_VERSION = "networking.k8s.io/v1"
SPEC_FIELDS = ["backend", "ingressClassName", "rules", "tls"]
BACKEND_FIELDS = ["resource", "serviceName", "servicePort"]


def check_legacy_ingress(obj: dict[str, Any]) -> list[Problem]:
    """Return the unknown fields of a v1beta1 Ingress's spec and backends, named as v1beta1 names them."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return []
    problems = [Problem(("spec", key), unknown_field(key, SPEC_FIELDS)) for key in spec if key not in SPEC_FIELDS]
    for path, backend in backends(spec):
        if isinstance(backend, dict):
            problems += [
                Problem((*path, key), unknown_field(key, BACKEND_FIELDS))
                for key in backend
                if key not in BACKEND_FIELDS
            ]
    return problems


def backends(spec: dict[str, Any]) -> list[tuple[Path, Any]]:
    """Return the default backend and every path's backend of a v1beta1 spec, with their paths."""
    found: list[tuple[Path, Any]] = []
    if "backend" in spec:
        found.append((("spec", "backend"), spec["backend"]))
    for index, rule in enumerate(as_list(spec.get("rules"))):
        http = rule.get("http") if isinstance(rule, dict) else None
        for position, path in enumerate(as_list(http.get("paths") if isinstance(http, dict) else None)):
            if isinstance(path, dict) and "backend" in path:
                found.append((("spec", "rules", index, "http", "paths", position, "backend"), path["backend"]))
    return found


def http_paths(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Return every well-formed HTTP path of a spec's rules (the schema check reports the others)."""
    found = []
    for rule in as_list(spec.get("rules")):
        http = rule.get("http") if isinstance(rule, dict) else None
        found += [
            path for path in as_list(http.get("paths") if isinstance(http, dict) else None) if isinstance(path, dict)
        ]
    return found


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def convert_legacy_ingress(obj: dict[str, Any]) -> dict[str, Any]:
    """Return the networking.k8s.io/v1 form of a v1beta1 Ingress."""
    out = copy.deepcopy(obj)
    source_version = out.get("apiVersion")
    out["apiVersion"] = TARGET_API_VERSION
    meta = out.setdefault("metadata", {})
    if isinstance(meta, dict):
        annotations = meta.get("annotations")
        meta["annotations"] = {**(annotations if isinstance(annotations, dict) else {}), CONVERTED_FROM: source_version}
    spec = out.get("spec")
    if not isinstance(spec, dict):
        return out
    if "backend" in spec:
        spec["defaultBackend"] = convert_backend(spec.pop("backend"))
    for path in http_paths(spec):
        if "backend" in path:
            path["backend"] = convert_backend(path["backend"])
        path.setdefault("pathType", "ImplementationSpecific")
    return out


def convert_backend(backend: Any) -> Any:
    """Turn ``{serviceName, servicePort}`` into ``{service: {name, port: {number | name}}}``."""
    if not isinstance(backend, dict):
        return backend
    out = {key: value for key, value in backend.items() if key not in ("serviceName", "servicePort")}
    if "serviceName" in backend or "servicePort" in backend:
        service: dict[str, Any] = {}
        if "serviceName" in backend:
            service["name"] = backend["serviceName"]
        if "servicePort" in backend:
            port = backend["servicePort"]
            service["port"] = {"name": port} if isinstance(port, str) else {"number": port}
        out["service"] = service
    return out


def legacy_path(path: Path) -> Path:
    """Map a field path of the converted v1 object back to the v1beta1 field the author wrote."""
    parts = list(path)
    if parts[:2] == ["spec", "defaultBackend"]:
        parts[1] = "backend"
    for index, part in enumerate(parts):
        if part == "backend" and parts[index + 1 : index + 2] == ["service"]:
            rest = parts[index + 2 :]
            if rest[:1] == ["name"]:
                return (*parts[: index + 1], "serviceName", *rest[1:])
            if rest[:1] == ["port"]:
                return (*parts[: index + 1], "servicePort", *rest[2:])
            return (*parts[: index + 1], *rest)
    return tuple(parts)
