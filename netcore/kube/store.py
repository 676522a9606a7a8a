"""The cluster's objects and configuration, as stored: the model both the API-server operations
(``netcore.kube.cluster``) and the controllers (``netcore.kube.controllers``) work on (pure).

Objects are Kubernetes-shaped dicts, keyed by (kind, namespace, name).
"""

from __future__ import annotations

import copy
import json
import uuid
from dataclasses import dataclass, field

from netcore.errors import PodpathError
from netcore.kube.addresses import MAX_NODES
from netcore.kube.kinds import KINDS

CNI_MODES = ("bridge", "vxlan", "nat")
Key = tuple[str, str, str]  # (kind, namespace or "", name)
CLUSTER_SCOPED = {kind.kind for kind in KINDS if not kind.namespaced}
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
        return json.dumps(
            {
                "config": {"nodes": self.config.nodes, "cni": self.config.cni},
                "revision": self.revision,
                "objects": list(self.objects.values()),
            },
            sort_keys=True,
            separators=(",", ":"),
        )

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
