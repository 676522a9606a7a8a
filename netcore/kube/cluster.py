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
import json
import uuid
from dataclasses import dataclass, field, replace

from netcore.errors import NotFound, PodpathError, SpecError
from netcore.kube.addresses import MAX_NODES
from netcore.kube.ingress import admit_ingress, keep_ingress_class
from netcore.kube.kinds import KINDS
from netcore.kube.netchecks import drop_type_dependent_fields, needs_health_check, type_dependent_problems

CNI_MODES = ("bridge", "vxlan", "nat")
Key = tuple[str, str, str]  # (kind, namespace or "", name)
CLUSTER_SCOPED = {kind.kind for kind in KINDS if not kind.namespaced}
DERIVED = {"Node", "Endpoints", "EndpointSlice"}
SYSTEM_NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system")


@dataclass(frozen=True)
class ClusterConfig:
    nodes: int = 2
    cni: str = "bridge"

    def __post_init__(self) -> None:
        if not 1 <= self.nodes <= MAX_NODES:
            raise PodpathError(f"a cluster has 1 to {MAX_NODES} nodes, not {self.nodes}")
        if self.cni not in CNI_MODES:
            raise PodpathError(f"unknown CNI mode {self.cni!r} (modes: {', '.join(CNI_MODES)})")


@dataclass
class Cluster:
    config: ClusterConfig = field(default_factory=ClusterConfig)
    objects: dict[Key, dict] = field(default_factory=dict)
    revision: int = 0

    def copy(self) -> Cluster:
        return Cluster(self.config, copy.deepcopy(self.objects), self.revision)

    def get(self, kind: str, namespace: str, name: str) -> dict | None:
        return self.objects.get((kind, "" if kind in CLUSTER_SCOPED else namespace, name))

    def list(self, kind: str, namespace: str | None = None) -> list[dict]:
        """Return the objects of a kind (in one namespace, or all), sorted by namespace and name."""
        found = [o for (k, ns, _), o in self.objects.items() if k == kind and (namespace is None or ns == namespace)]
        return sorted(found, key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))

    def put(self, obj: dict) -> None:
        self.objects[key_of(obj)] = obj

    def next_revision(self) -> str:
        self.revision += 1
        return str(self.revision)

    def to_json(self) -> str:
        return json.dumps({"config": {"nodes": self.config.nodes, "cni": self.config.cni},
                           "revision": self.revision, "objects": list(self.objects.values())},
                          sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Cluster:
        data = json.loads(text)
        cluster = cls(ClusterConfig(**data["config"]), revision=data["revision"])
        for obj in data["objects"]:
            cluster.put(obj)
        return cluster


def key_of(obj: dict) -> Key:
    kind = obj["kind"]
    namespace = "" if kind in CLUSTER_SCOPED else obj["metadata"].get("namespace", "default")
    return (kind, namespace, obj["metadata"]["name"])


def describe_key(key: Key) -> str:
    kind, namespace, name = key
    return f"{kind} {namespace}/{name}" if namespace else f"{kind} {name}"


def new_cluster(config: ClusterConfig, now: str) -> Cluster:
    """Return an empty cluster: system namespaces, nodes, and cluster DNS."""
    from netcore.kube.controllers import run_controllers, system_objects

    cluster = Cluster(config)
    for obj in system_objects():
        stamp_new(cluster, obj, now)
        cluster.put(obj)
    return run_controllers(cluster, now)


def stamp_new(cluster: Cluster, obj: dict, now: str) -> None:
    meta = obj.setdefault("metadata", {})
    meta.setdefault("uid", str(uuid.uuid4()))  # as the API server: a random RFC 4122 UUID, kept for life
    meta.setdefault("creationTimestamp", now)
    meta["resourceVersion"] = cluster.next_revision()
    meta.setdefault("generation", 1)


def derived_uid(owner_uid: str, *name: str) -> str:
    """The uid of an object the controllers rebuild on every change (a Node, an EndpointSlice): an RFC 4122
    UUID (version 5) named by its owner's uid and its own kind and name, so it is the same on every rebuild
    and differs between objects and between clusters."""
    try:
        namespace = uuid.UUID(owner_uid)
    except ValueError:  # an owner stored before uids were UUIDs
        namespace = uuid.uuid5(uuid.NAMESPACE_URL, owner_uid)
    return str(uuid.uuid5(namespace, "/".join(name)))


def apply_objects(cluster: Cluster, objects: list[dict], now: str) -> tuple[Cluster, list[tuple[Key, str]]]:
    """Create or update objects; return the new cluster and, per object, "created", "configured" or
    "unchanged" (kubectl's words). Nothing changes if any object is refused."""
    from netcore.kube.controllers import run_controllers

    result = cluster.copy()
    outcomes = []
    for obj in objects:
        key = key_of(obj)
        if key[0] in DERIVED:
            raise SpecError(describe_key(key), "kind", f"a kind you can apply; {key[0]} is derived by the cluster")
        if key[1] and ("Namespace", "", key[1]) not in result.objects:
            raise SpecError(describe_key(key), "metadata.namespace", f'an existing namespace: namespaces "{key[1]}" not found')
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
    pick = lambda o: (o.get("spec"), o.get("data"), o.get("stringData"), o["metadata"].get("labels"),  # noqa: E731
                      o["metadata"].get("annotations"))
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
            raise SpecError(describe_key(key), "spec.nodeName",
                            f"the node the pod runs on ({node}): a pod cannot move (delete and recreate it)")
        if strip_images(old_spec) != strip_images(new_spec):
            raise SpecError(describe_key(key), "spec",
                            "pod updates may not change fields other than the containers' images (delete and"
                            " recreate the pod)")
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
        raise SpecError(describe_key(key), "spec.clusterIP", f"the same address ({old.get('clusterIP')}): the field is immutable")
    old_ports = {(p.get("port"), p.get("protocol", "TCP")): p.get("nodePort") for p in old.get("ports", [])}
    if new.get("type") in ("NodePort", "LoadBalancer"):
        for port in new.get("ports", []):
            if "nodePort" not in port and old_ports.get((port.get("port"), port.get("protocol", "TCP"))):
                port["nodePort"] = old_ports[(port.get("port"), port.get("protocol", "TCP"))]


def delete_objects(cluster: Cluster, keys: list[Key], now: str) -> tuple[Cluster, list[Key]]:
    """Delete objects (and everything in a deleted namespace); unknown keys are an error."""
    from netcore.kube.controllers import run_controllers

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
    from netcore.kube.controllers import run_controllers

    result = cluster.copy()
    result.config = replace(cluster.config, cni=mode)
    return run_controllers(result, now)
