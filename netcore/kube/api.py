"""The cluster of a sandbox, as kubectl sees it: create, apply, delete, get, switch the pod network.

Each change runs under the sandbox's lock: read the stored cluster, validate everything (all
documents, before anything changes), let the controllers derive the rest, compile to a topology,
reconcile the kernel, and only then store the new cluster. If the kernel refuses, the previous
topology is put back and the stored cluster is unchanged: nothing is half-applied.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import NamedTuple

from netcore import names
from netcore.errors import NotFound, PodpathError
from netcore.kernel.base import Progress
from netcore.kube import images
from netcore.kube.cluster import (
    DERIVED,
    SYSTEM_NAMESPACES,
    Cluster,
    ClusterConfig,
    Key,
    apply_objects,
    delete_objects,
    key_of,
    new_cluster,
    with_cni,
)
from netcore.kube.compile.network import compile_cluster, pod_hosts
from netcore.kube.documents import check_manifests
from netcore.kube.documents import (
    parse_manifests as parse_manifests,  # what kubectl apply reads (kept here for callers)
)
from netcore.kube.gateway.infra import is_gateway_infrastructure
from netcore.kube.ingress import is_ingress_system_object
from netcore.reconcile import Report
from netcore.sandbox import lifecycle
from netcore.sandbox.registry import read_record

CLUSTER_FILE = "cluster.json"


def now_timestamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def cluster_path(sandbox: str):
    return names.sandbox_dir(sandbox) / CLUSTER_FILE


def load_cluster(sandbox: str) -> Cluster:
    """Return the stored cluster of a sandbox, or raise NotFound if it has none."""
    read_record(sandbox)
    try:
        return Cluster.from_json(cluster_path(sandbox).read_text())
    except FileNotFoundError:
        raise NotFound(f"sandbox {sandbox!r} has no cluster (create one with --cluster)") from None


def save_cluster(sandbox: str, cluster: Cluster) -> None:
    path = cluster_path(sandbox)
    staging = path.with_suffix(".tmp")
    staging.write_text(cluster.to_json())
    os.replace(staging, path)


def topology_of(sandbox: str, cluster: Cluster):
    return compile_cluster(cluster, sandbox, images)


def create_cluster(
    sandbox: str,
    nodes: int = 2,
    cni: str = "bridge",
    progress: Progress | None = None,
    meta: dict | None = None,
    objects: list[dict] | None = None,
) -> Report:
    """Create a sandbox holding a cluster: nodes, pod network, cluster DNS, the outside, and ``objects``."""
    names.check_sandbox_name(sandbox)
    now = now_timestamp()
    cluster = new_cluster(ClusterConfig(nodes=nodes, cni=cni), now)
    if objects:
        cluster, _ = apply_objects(cluster, objects, now)
    return lifecycle.create_sandbox(
        sandbox,
        topology_of(sandbox, cluster),
        {"kind": "cluster", "nodes": nodes, "cni": cni, **(meta or {})},
        progress,
        prepare=lambda: save_cluster(sandbox, cluster),
    )


def commit(
    sandbox: str, before: Cluster, after: Cluster, progress: Progress | None, meta: dict | None = None
) -> Report:
    """Build ``after`` in the kernel, then store it; put ``before`` back if the kernel refuses."""
    try:
        report = lifecycle.apply_locked(sandbox, topology_of(sandbox, after), meta, progress)
    except PodpathError as error:
        try:
            lifecycle.apply_locked(sandbox, topology_of(sandbox, before))
        except PodpathError as again:
            raise PodpathError(f"{error}; restoring the previous state failed too: {again}") from error
        raise
    save_cluster(sandbox, after)
    return report


class Applied(NamedTuple):
    """What ``kubectl apply`` reports: per object created/configured/unchanged, and its warnings."""

    outcomes: list[tuple[Key, str]]
    report: Report
    warnings: dict[Key, list[str]]


def apply_manifests(
    sandbox: str, text: str, source: str, progress: Progress | None = None, namespace: str | None = None
) -> Applied:
    """``kubectl apply -f``: returns kubectl's per-object outcomes, the kernel report and the warnings."""
    load_cluster(sandbox)  # an unknown sandbox or one without a cluster is refused first
    checked = check_manifests(text, source, namespace)
    objects = [obj for obj, _ in checked]
    warnings = {key_of(obj): found for obj, found in checked if found}
    with lifecycle.locked(sandbox):
        before = load_cluster(sandbox)
        after, outcomes = apply_objects(before, objects, now_timestamp())
        return Applied(outcomes, commit(sandbox, before, after, progress), warnings)


def replace_user_objects(
    sandbox: str,
    objects: list[dict],
    meta: dict | None = None,
    progress: Progress | None = None,
    cni: str | None = None,
) -> Report:
    """Make the cluster hold exactly these user objects (a lab step), others deleted; optionally
    switch its pod network in the same change."""
    with lifecycle.locked(sandbox):
        before = load_cluster(sandbox)
        start = with_cni(before, cni, now_timestamp()) if cni and cni != before.config.cni else before
        wanted = {
            (
                o["kind"],
                o["metadata"].get("namespace", "default") if o["kind"] != "Namespace" else "",
                o["metadata"]["name"],
            )
            for o in objects
        }
        stale = [k for k, o in start.objects.items() if is_user_object(o) and k not in wanted]
        now = now_timestamp()
        middle, _ = delete_objects(start, stale, now) if stale else (start, [])
        after, _ = apply_objects(middle, objects, now)
        return commit(sandbox, before, after, progress, meta)


def is_user_object(obj: dict) -> bool:
    """Objects a user applied (not derived, not owned by another object, not the system's)."""
    meta = obj["metadata"]
    if (
        obj["kind"] in DERIVED
        or meta.get("ownerReferences")
        or is_ingress_system_object(obj)
        or is_gateway_infrastructure(obj)
    ):
        return False
    if obj["kind"] == "Namespace":
        return meta["name"] not in SYSTEM_NAMESPACES
    return meta.get("namespace") != "kube-system"


def delete_resources(sandbox: str, keys: list[Key], progress: Progress | None = None) -> tuple[list[Key], Report]:
    with lifecycle.locked(sandbox):
        before = load_cluster(sandbox)
        after, deleted = delete_objects(before, keys, now_timestamp())
        return deleted, commit(sandbox, before, after, progress)


def set_cni(sandbox: str, mode: str, progress: Progress | None = None) -> Report:
    """Switch the pod network of a live cluster; pods keep their addresses."""
    with lifecycle.locked(sandbox):
        before = load_cluster(sandbox)
        return commit(sandbox, before, with_cni(before, mode, now_timestamp()), progress, {"cni": mode})


def pod_namespace(sandbox: str, namespace: str, pod: str) -> str:
    """Return the network namespace of a pod, or raise NotFound like kubectl."""
    cluster = load_cluster(sandbox)
    found = cluster.get("Pod", namespace, pod)
    if found is not None and found["spec"].get("hostNetwork") and "nodeName" in found["spec"]:
        return names.netns_name(sandbox, found["spec"]["nodeName"])  # it shares its node's namespace
    host = pod_hosts(cluster).get((namespace, pod))
    if host is None:
        raise NotFound(f'pods "{pod}" not found in namespace "{namespace}"')
    if found is None or "nodeName" not in found["spec"]:
        raise PodpathError(f"pod {pod} does not have a host assigned (it is Pending: no node fits it)")
    return names.netns_name(sandbox, host)
