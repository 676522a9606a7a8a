"""What the API serves, for kubectl's discovery: ``/api``, ``/apis``, each group version's resources, and
the aggregated form (``apidiscovery.k8s.io/v2``) that kubectl 1.30+ asks for first (pure).

Everything comes from ``netcore.kube.kinds``, so a new kind appears in discovery by being listed there.
"""

from __future__ import annotations

from typing import Any

from netcore.kube.kinds import KINDS, Kind

VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"]
READ_VERBS = ["get", "list", "watch"]
# Subresources kubectl uses: (kind, subresource) -> (group, version, kind of its objects, verbs)
SUBRESOURCES: dict[tuple[str, str], tuple[str, str, str, list[str]]] = {
    ("Deployment", "scale"): ("autoscaling", "v1", "Scale", ["get", "patch", "update"]),
    ("Deployment", "status"): ("apps", "v1", "Deployment", ["get"]),
    ("ReplicaSet", "scale"): ("autoscaling", "v1", "Scale", ["get", "patch", "update"]),
    ("ReplicaSet", "status"): ("apps", "v1", "ReplicaSet", ["get"]),
    ("StatefulSet", "scale"): ("autoscaling", "v1", "Scale", ["get", "patch", "update"]),
    ("StatefulSet", "status"): ("apps", "v1", "StatefulSet", ["get"]),
    ("DaemonSet", "status"): ("apps", "v1", "DaemonSet", ["get"]),
    ("ReplicationController", "scale"): ("autoscaling", "v1", "Scale", ["get", "patch", "update"]),
    ("ReplicationController", "status"): ("", "v1", "ReplicationController", ["get"]),
    ("Pod", "exec"): ("", "v1", "PodExecOptions", ["create", "get"]),
    ("Pod", "log"): ("", "v1", "Pod", ["get"]),
    ("Pod", "status"): ("", "v1", "Pod", ["get"]),
    ("Service", "status"): ("", "v1", "Service", ["get"]),
}
# kubectl's ``get all``: the kinds in the "all" category, as the API server lists them.
ALL_CATEGORY = frozenset(
    {
        "Pod",
        "Service",
        "Deployment",
        "ReplicaSet",
        "ReplicationController",
        "DaemonSet",
        "StatefulSet",
        "Job",
        "CronJob",
        "HorizontalPodAutoscaler",
    }
)
KUBERNETES_VERSION = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.0-podpath",
    "gitCommit": "",
    "gitTreeState": "clean",
    "buildDate": "2026-01-01T00:00:00Z",
    "goVersion": "go1.23",
    "compiler": "gc",
    "platform": "linux/amd64",
}


def served_at(kind: Kind) -> list[tuple[str, str]]:
    """The group versions a kind is served at: its own, then the older ones manifests may still name
    (the talk's ``extensions/v1beta1`` Ingress), as the API server served them side by side."""
    legacy = [(v.rpartition("/")[0], v.rpartition("/")[2]) for v in kind.legacy_api_versions]
    return [(kind.group, kind.version), *legacy]


def group_versions() -> dict[str, list[str]]:
    """Return each API group's versions ("" is the core group), preferred first; legacy groups last."""
    found: dict[str, list[str]] = {}
    for primary in (True, False):
        for kind in KINDS:
            for group, version in served_at(kind)[:1] if primary else served_at(kind)[1:]:
                versions = found.setdefault(group, [])
                if version not in versions:
                    versions.append(version)
    return found


def kinds_in(group: str, version: str) -> list[Kind]:
    return [kind for kind in KINDS if (group, version) in served_at(kind)]


def api_versions() -> dict[str, Any]:
    """``GET /api``."""
    return {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}


def api_group_list() -> dict[str, Any]:
    """``GET /apis``: every named group."""
    groups = []
    for group, versions in group_versions().items():
        if group:
            entries = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
            groups.append({"name": group, "versions": entries, "preferredVersion": entries[0]})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def api_group(group: str) -> dict[str, Any] | None:
    """``GET /apis/<group>``."""
    versions = group_versions().get(group) if group else None
    if not versions:
        return None
    entries = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
    return {"kind": "APIGroup", "apiVersion": "v1", "name": group, "versions": entries, "preferredVersion": entries[0]}


def api_resource_list(group: str, version: str) -> dict[str, Any] | None:
    """``GET /api/v1`` or ``GET /apis/<group>/<version>``: the resources and subresources served there."""
    kinds = kinds_in(group, version)
    if not kinds:
        return None
    resources: list[dict[str, Any]] = []
    for kind in kinds:
        primary = (group, version) == (kind.group, kind.version)
        entry: dict[str, Any] = {
            "name": kind.plural,
            "singularName": kind.singular,
            "namespaced": kind.namespaced,
            "kind": kind.kind,
            "verbs": verbs_of(kind),
        }
        if primary:  # short names and categories once, at the preferred version
            entry.update(shortNames=list(kind.short_names), categories=categories_of(kind))
        resources.append(entry)
        for (owner, sub), (sub_group, sub_version, sub_kind, verbs) in SUBRESOURCES.items():
            if owner == kind.kind:
                entry = {
                    "name": f"{kind.plural}/{sub}",
                    "singularName": "",
                    "namespaced": kind.namespaced,
                    "kind": sub_kind,
                    "verbs": verbs,
                }
                if (sub_group, sub_version) != (group, version):
                    entry.update(group=sub_group, version=sub_version)
                resources.append(entry)
    group_version = f"{group}/{version}" if group else version
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": resources}


def categories_of(kind: Kind) -> list[str]:
    return ["all"] if kind.kind in ALL_CATEGORY else []


def verbs_of(kind: Kind) -> list[str]:
    return READ_VERBS if kind.read_only else VERBS


def aggregated_discovery(*, core: bool) -> dict[str, Any]:
    """``/api`` (core) or ``/apis`` as an APIGroupDiscoveryList (apidiscovery.k8s.io/v2)."""
    items = []
    for group, versions in group_versions().items():
        if bool(group) == core:
            continue
        entries = []
        for version in versions:
            resources = []
            for kind in kinds_in(group, version):
                subs = [
                    {"subresource": sub, "responseKind": {"group": g, "version": v, "kind": k}, "verbs": verbs}
                    for (owner, sub), (g, v, k, verbs) in SUBRESOURCES.items()
                    if owner == kind.kind
                ]
                resource: dict[str, Any] = {
                    "resource": kind.plural,
                    "singularResource": kind.singular,
                    "responseKind": {"group": group, "version": version, "kind": kind.kind},
                    "scope": "Namespaced" if kind.namespaced else "Cluster",
                    "verbs": verbs_of(kind),
                }
                if kind.short_names and (group, version) == (kind.group, kind.version):
                    resource["shortNames"] = list(kind.short_names)
                if categories_of(kind) and (group, version) == (kind.group, kind.version):
                    resource["categories"] = categories_of(kind)
                if subs:
                    resource["subresources"] = subs
                resources.append(resource)
            entries.append({"version": version, "resources": resources, "freshness": "Current"})
        items.append({"metadata": {"name": group, "creationTimestamp": None}, "versions": entries})
    return {"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": items}


def kind_for(group: str, version: str, resource: str) -> Kind | None:
    """The kind served at a resource path, or None."""
    return next((k for k in kinds_in(group, version) if k.plural == resource), None)
