"""The cluster: its configuration and objects, and the API-server operations on them (pure).

Objects are Kubernetes-shaped dicts, keyed by (kind, namespace, name). ``apply_objects`` and
``delete_objects`` behave like the API server: an update keeps what the system owns (uid, creation
time, a Service's ClusterIP and NodePorts, a pod's node and address) and refuses what Kubernetes
refuses (changing a ClusterIP, changing a pod's spec). After every change the controllers
(``netcore.kube.controllers``) derive the rest: nodes, a Deployment's ReplicaSets, the pods of
ReplicaSets, ReplicationControllers and DaemonSets, scheduling,
addresses, endpoints and status.
"""

from __future__ import annotations

import copy
from dataclasses import replace

from netcore.errors import NotFound, PodpathError, SpecError
from netcore.kube.controllers import run_controllers, system_objects
from netcore.kube.ingress import admit_ingress, keep_ingress_class
from netcore.kube.netchecks import drop_type_dependent_fields, needs_health_check, type_dependent_problems
from netcore.kube.store import (
    CNI_MODES,
    SYSTEM_NAMESPACES,
    Cluster,
    ClusterConfig,
    Key,
    describe_key,
    key_of,
    stamp_new,
)

# The model is re-exported: callers that change a cluster import everything from here.
__all__ = [
    "CNI_MODES",
    "DERIVED",
    "SYSTEM_NAMESPACES",
    "Cluster",
    "ClusterConfig",
    "Key",
    "apply_objects",
    "delete_objects",
    "describe_key",
    "key_of",
    "new_cluster",
    "with_cni",
]

DERIVED = {"Node", "Endpoints", "EndpointSlice"}


def new_cluster(config: ClusterConfig, now: str) -> Cluster:
    """Return an empty cluster: system namespaces, nodes, and cluster DNS."""
    cluster = Cluster(config)
    for obj in system_objects():
        stamp_new(cluster, obj, now)
        cluster.put(obj)
    return run_controllers(cluster, now)


def apply_objects(cluster: Cluster, objects: list[dict], now: str) -> tuple[Cluster, list[tuple[Key, str]]]:
    """Create or update objects; return the new cluster and, per object, "created", "configured" or
    "unchanged" (kubectl's words). Nothing changes if any object is refused."""
    result = cluster.copy()
    outcomes = []
    for obj in objects:
        key = key_of(obj)
        if key[0] in DERIVED:
            raise SpecError(describe_key(key), "kind", f"a kind you can apply; {key[0]} is derived by the cluster")
        if key[1] and ("Namespace", "", key[1]) not in result.objects:
            raise SpecError(
                describe_key(key), "metadata.namespace", f'an existing namespace: namespaces "{key[1]}" not found'
            )
        existing = result.objects.get(key)
        if existing is None:
            if key[0] == "Service":
                refuse_type_dependent(obj, key)
            fresh = copy.deepcopy(obj)
            admit_ingress(result, fresh)
            stamp_new(result, fresh, now)
            result.put(fresh)
            outcomes.append((key, "created"))
            continue
        merged = merge_update(existing, obj, key)
        if same_user_content(existing, merged):
            outcomes.append((key, "unchanged"))
            continue
        merged["metadata"]["resourceVersion"] = result.next_revision()
        if merged.get("spec") != existing.get("spec"):
            merged["metadata"]["generation"] = existing["metadata"].get("generation", 1) + 1
        result.put(merged)
        outcomes.append((key, "configured"))
    return run_controllers(result, now), outcomes


def same_user_content(old: dict, new: dict) -> bool:
    def pick(o: dict) -> tuple:
        return (
            o.get("spec"),
            o.get("data"),
            o.get("stringData"),
            o["metadata"].get("labels"),
            o["metadata"].get("annotations"),
        )

    return pick(old) == pick(new)


def merge_update(existing: dict, incoming: dict, key: Key) -> dict:
    """Return ``incoming`` with what the system owns carried over from ``existing``."""
    merged = copy.deepcopy(incoming)
    meta, old_meta = merged.setdefault("metadata", {}), existing["metadata"]
    for owned in ("uid", "creationTimestamp", "generation", "resourceVersion", "ownerReferences"):
        if owned in old_meta:
            meta[owned] = old_meta[owned]
    if "status" in existing:
        merged["status"] = copy.deepcopy(existing["status"])
    kind = key[0]
    if kind == "Service":
        drop_type_dependent_fields(existing["spec"], merged["spec"])
        keep_service_allocations(existing, merged, key)
        refuse_type_dependent(merged, key)
    elif kind == "Ingress":
        keep_ingress_class(existing, merged)
    elif kind == "Pod":
        old_spec, new_spec = dict(existing["spec"]), dict(merged["spec"])
        node = old_spec.pop("nodeName", None)
        wanted = new_spec.pop("nodeName", None)
        if wanted not in (None, node):
            raise SpecError(
                describe_key(key),
                "spec.nodeName",
                f"the node the pod runs on ({node}): a pod cannot move (delete and recreate it)",
            )
        if strip_images(old_spec) != strip_images(new_spec):
            raise SpecError(
                describe_key(key),
                "spec",
                "pod updates may not change fields other than the containers' images (delete and recreate the pod)",
            )
        if node is not None:
            merged["spec"]["nodeName"] = node
    return merged


def strip_images(spec: dict) -> dict:
    spec = copy.deepcopy(spec)
    for container in spec.get("containers", []):
        container.pop("image", None)
    return spec


def refuse_type_dependent(service: dict, key: Key) -> None:
    """Refuse a field the Service's type does not allow (after a type change dropped what it may)."""
    problems = type_dependent_problems(service["spec"])
    if problems:
        raise SpecError(describe_key(key), problems[0].field, problems[0].expected)


def keep_service_allocations(existing: dict, merged: dict, key: Key) -> None:
    old, new = existing["spec"], merged["spec"]
    if new.get("type") == "ExternalName":
        return  # an alias has no address to keep
    if "healthCheckNodePort" not in new and "healthCheckNodePort" in old and needs_health_check(new):
        new["healthCheckNodePort"] = old["healthCheckNodePort"]
    if new.get("clusterIP") in (None, ""):
        new["clusterIP"] = old.get("clusterIP")
        if "clusterIPs" in old:
            new["clusterIPs"] = old["clusterIPs"]
    elif new["clusterIP"] != old.get("clusterIP"):
        raise SpecError(
            describe_key(key), "spec.clusterIP", f"the same address ({old.get('clusterIP')}): the field is immutable"
        )
    old_ports = {(p.get("port"), p.get("protocol", "TCP")): p.get("nodePort") for p in old.get("ports", [])}
    if new.get("type") in ("NodePort", "LoadBalancer"):
        for port in new.get("ports", []):
            if "nodePort" not in port and old_ports.get((port.get("port"), port.get("protocol", "TCP"))):
                port["nodePort"] = old_ports[(port.get("port"), port.get("protocol", "TCP"))]


def delete_objects(cluster: Cluster, keys: list[Key], now: str) -> tuple[Cluster, list[Key]]:
    """Delete objects (and everything in a deleted namespace); unknown keys are an error."""
    result = cluster.copy()
    for key in keys:
        if key not in result.objects:
            raise NotFound(f'{key[0].lower()}s "{key[2]}" not found' + (f' in namespace "{key[1]}"' if key[1] else ""))
        if key[0] in DERIVED:
            raise PodpathError(f"{describe_key(key)} is derived by the cluster; delete what it comes from")
        if key[0] == "Namespace" and key[2] in SYSTEM_NAMESPACES:
            raise PodpathError(f"namespace {key[2]} is a system namespace and cannot be deleted")
        del result.objects[key]
        if key[0] == "Namespace":
            for other in [k for k in result.objects if k[1] == key[2]]:
                del result.objects[other]
    return run_controllers(result, now), keys


def with_cni(cluster: Cluster, mode: str, now: str) -> Cluster:
    """Return the cluster with another pod-network mode; pods keep their nodes and addresses."""
    result = cluster.copy()
    result.config = replace(cluster.config, cni=mode)
    return run_controllers(result, now)
