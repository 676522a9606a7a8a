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
    ("Pod", "exec"): ("", "v1", "PodExecOptions", ["create", "get"]),
    ("Pod", "log"): ("", "v1", "Pod", ["get"]),
    ("Pod", "status"): ("", "v1", "Pod", ["get"]),
    ("Service", "status"): ("", "v1", "Service", ["get"]),
}
KUBERNETES_VERSION = {"major": "1", "minor": "32", "gitVersion": "v1.32.0-podpath", "gitCommit": "",
                      "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.23",
                      "compiler": "gc", "platform": "linux/amd64"}


def group_versions() -> dict[str, list[str]]:
    """Return each API group's versions ("" is the core group)."""
    found: dict[str, list[str]] = {}
    for kind in KINDS:
        versions = found.setdefault(kind.group, [])
        if kind.version not in versions:
            versions.append(kind.version)
    return found


def kinds_in(group: str, version: str) -> list[Kind]:
    return [kind for kind in KINDS if kind.group == group and kind.version == version]


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
    return {"kind": "APIGroup", "apiVersion": "v1", "name": group, "versions": entries,
            "preferredVersion": entries[0]}


def api_resource_list(group: str, version: str) -> dict[str, Any] | None:
    """``GET /api/v1`` or ``GET /apis/<group>/<version>``: the resources and subresources served there."""
    kinds = kinds_in(group, version)
    if not kinds:
        return None
    resources: list[dict[str, Any]] = []
    for kind in kinds:
        resources.append({"name": kind.plural, "singularName": kind.singular, "namespaced": kind.namespaced,
                          "kind": kind.kind, "verbs": verbs_of(kind), "shortNames": list(kind.short_names)})
        for (owner, sub), (sub_group, sub_version, sub_kind, verbs) in SUBRESOURCES.items():
            if owner == kind.kind:
                entry = {"name": f"{kind.plural}/{sub}", "singularName": "", "namespaced": kind.namespaced,
                         "kind": sub_kind, "verbs": verbs}
                if (sub_group, sub_version) != (group, version):
                    entry.update(group=sub_group, version=sub_version)
                resources.append(entry)
    group_version = f"{group}/{version}" if group else version
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": resources}


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
                subs = [{"subresource": sub, "responseKind": {"group": g, "version": v, "kind": k}, "verbs": verbs}
                        for (owner, sub), (g, v, k, verbs) in SUBRESOURCES.items() if owner == kind.kind]
                resource: dict[str, Any] = {
                    "resource": kind.plural, "singularResource": kind.singular,
                    "responseKind": {"group": group, "version": version, "kind": kind.kind},
                    "scope": "Namespaced" if kind.namespaced else "Cluster", "verbs": verbs_of(kind)}
                if kind.short_names:
                    resource["shortNames"] = list(kind.short_names)
                if subs:
                    resource["subresources"] = subs
                resources.append(resource)
            entries.append({"version": version, "resources": resources, "freshness": "Current"})
        items.append({"metadata": {"name": group, "creationTimestamp": None}, "versions": entries})
    return {"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": items}


def kind_for(group: str, version: str, resource: str) -> Kind | None:
    """The kind served at a resource path, or None."""
    return next((k for k in kinds_in(group, version) if k.plural == resource), None)
