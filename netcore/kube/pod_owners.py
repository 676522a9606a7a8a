"""The controllers of the kinds that own pods: Deployment (through ReplicaSets), ReplicaSet,
ReplicationController, DaemonSet and StatefulSet (pure).

Each keeps the pods its spec asks for, made from its pod template and owned by it (``ownerReferences``),
and pods whose owner is gone go with it. Scheduling, addresses and status of the pods themselves are
``netcore.kube.controllers``'s.
"""

from __future__ import annotations

import copy

from netcore.kube.naming import node_name, safe_suffix, template_hash
from netcore.kube.scheduling import fits
from netcore.kube.selectors import matches
from netcore.kube.store import Cluster, Key, key_of, stamp_new

PODS_MADE = "podpath.dev/pods-made"
REVISION = "controller-revision-hash"  # on a DaemonSet's or StatefulSet's pod: the template it came from


POD_OWNERS = ("ReplicaSet", "ReplicationController", "DaemonSet", "StatefulSet")


def derive_workload_pods(cluster: Cluster, now: str) -> None:
    """Deployments own ReplicaSets; ReplicaSets and ReplicationControllers own ``replicas`` pods each; a
    DaemonSet owns one pod per node. Pods whose owner is gone go with it."""
    derive_deployment_replicasets(cluster, now)
    owners: set[str] = set()
    for kind in ("ReplicaSet", "ReplicationController"):
        for workload in cluster.list(kind):
            reconcile_replicaset_pods(cluster, workload, workload["spec"].get("replicas", 1), now)
            owners.add(workload["metadata"]["uid"])
    for daemon_set in cluster.list("DaemonSet"):
        reconcile_daemon_set_pods(cluster, daemon_set, now)
        owners.add(daemon_set["metadata"]["uid"])
    for stateful_set in cluster.list("StatefulSet"):
        reconcile_stateful_set_pods(cluster, stateful_set, now)
        owners.add(stateful_set["metadata"]["uid"])
    for key, pod in list(cluster.objects.items()):
        refs = pod["metadata"].get("ownerReferences", []) if key[0] == "Pod" else []
        # Only the pods of the kinds above: one a Job owns (a kind only stored here) is not theirs to delete.
        if refs and refs[0].get("kind") in POD_OWNERS and refs[0]["uid"] not in owners:
            del cluster.objects[key]


def derive_deployment_replicasets(cluster: Cluster, now: str) -> None:
    """Each Deployment owns one ReplicaSet per template, the current one scaled to ``replicas``; the
    ReplicaSets of a Deployment that no longer wants them go (ReplicaSets applied by hand stay)."""
    deployments = {key_of(d): d for d in cluster.list("Deployment")}
    wanted_sets: set[Key] = set()
    for dkey, deployment in deployments.items():
        template = deployment["spec"]["template"]
        digest = template_hash(template)
        rs_name = f"{dkey[2]}-{digest}"
        namespace = dkey[1]
        rs = cluster.get("ReplicaSet", namespace, rs_name)
        if rs is None:
            labels = {**template.get("metadata", {}).get("labels", {}), "pod-template-hash": digest}
            rs = {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "metadata": {
                    "name": rs_name,
                    "namespace": namespace,
                    "labels": labels,
                    "ownerReferences": [owner(deployment)],
                },
                "spec": {"selector": {"matchLabels": labels}, "template": copy.deepcopy(template)},
            }
            rs["spec"]["template"].setdefault("metadata", {})["labels"] = dict(labels)
            stamp_new(cluster, rs, now)
            cluster.put(rs)
        rs["spec"]["replicas"] = deployment["spec"].get("replicas", 1)
        wanted_sets.add(key_of(rs))
    for key, rs in list(cluster.objects.items()):
        if key[0] == "ReplicaSet" and key not in wanted_sets and owned_by_kind(rs, "Deployment"):
            del cluster.objects[key]


def owned_by_kind(obj: dict, kind: str) -> bool:
    return any(ref.get("kind") == kind for ref in obj["metadata"].get("ownerReferences", []))


def owner(obj: dict) -> dict:
    return {
        "apiVersion": obj["apiVersion"],
        "kind": obj["kind"],
        "name": obj["metadata"]["name"],
        "uid": obj["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def owned_pods(cluster: Cluster, workload: dict) -> list[dict]:
    """The pods a workload controls, oldest first."""
    namespace, uid = workload["metadata"]["namespace"], workload["metadata"]["uid"]
    mine = [
        p for p in cluster.list("Pod", namespace) if p["metadata"].get("ownerReferences", [{}])[0].get("uid") == uid
    ]
    return sorted(mine, key=lambda p: (p["metadata"]["creationTimestamp"], p["metadata"]["name"]))


def reconcile_replicaset_pods(cluster: Cluster, rs: dict, replicas: int, now: str) -> None:
    """Keep ``replicas`` pods of a ReplicaSet (or ReplicationController): the oldest stay, new ones are added.
    As in Kubernetes, a changed template applies to new pods only."""
    mine = owned_pods(cluster, rs)
    for extra in mine[replicas:]:
        del cluster.objects[key_of(extra)]
    # Every pod the ReplicaSet ever made counts, so a replacement gets a new name, as in Kubernetes.
    annotations = rs["metadata"].setdefault("annotations", {})
    while len(mine) < replicas:
        made = int(annotations.get(PODS_MADE, "0"))
        annotations[PODS_MADE] = str(made + 1)
        name = f"{rs['metadata']['name']}-{safe_suffix(5, rs['metadata']['uid'], str(made))}"
        if cluster.get("Pod", rs["metadata"]["namespace"], name) is not None:
            continue
        mine.append(new_pod(cluster, rs, name, {}, now))


def reconcile_daemon_set_pods(cluster: Cluster, daemon_set: dict, now: str) -> None:
    """One pod of the current template on every node; a pod of an older template is replaced (as a rolling
    update would, at once)."""
    revision = template_hash(daemon_set["spec"]["template"])
    nodes = [
        node_name(i)
        for i in range(cluster.config.nodes)
        if fits(daemon_set["spec"]["template"]["spec"], cluster.objects[("Node", "", node_name(i))])
    ]
    current: dict[str, dict] = {}
    for pod in owned_pods(cluster, daemon_set):
        node = pod["spec"].get("nodeName")
        if node in nodes and node not in current and pod["metadata"]["labels"].get(REVISION) == revision:
            current[node] = pod
        else:
            del cluster.objects[key_of(pod)]
    uid = daemon_set["metadata"]["uid"]
    for node in nodes:
        if node not in current:
            name = f"{daemon_set['metadata']['name']}-{safe_suffix(5, uid, revision, node)}"
            new_pod(cluster, daemon_set, name, {"nodeName": node, "labels": {REVISION: revision}}, now)


def reconcile_stateful_set_pods(cluster: Cluster, stateful_set: dict, now: str) -> None:
    """Pods with stable names ``<name>-0`` ... ``<name>-(replicas-1)``, each its own hostname in the
    StatefulSet's Service's subdomain (so ``web-0.nginx.default.svc.cluster.local`` resolves); a pod of
    an older template is replaced under the same name."""
    spec, meta = stateful_set["spec"], stateful_set["metadata"]
    revision = f"{meta['name']}-{template_hash(spec['template'])}"
    start = (spec.get("ordinals") or {}).get("start", 0)
    wanted = {f"{meta['name']}-{start + i}": start + i for i in range(spec.get("replicas", 1))}
    for pod in owned_pods(cluster, stateful_set):
        name = pod["metadata"]["name"]
        if name not in wanted or pod["metadata"]["labels"].get(REVISION) != revision:
            del cluster.objects[key_of(pod)]
    for name, ordinal in wanted.items():
        if cluster.get("Pod", meta["namespace"], name) is None:
            pod = new_pod(
                cluster,
                stateful_set,
                name,
                {
                    "labels": {
                        REVISION: revision,
                        "statefulset.kubernetes.io/pod-name": name,
                        "apps.kubernetes.io/pod-index": str(ordinal),
                    }
                },
                now,
            )
            pod["spec"]["hostname"] = name
            if spec.get("serviceName"):
                pod["spec"]["subdomain"] = spec["serviceName"]


def new_pod(cluster: Cluster, workload: dict, name: str, extra: dict, now: str) -> dict:
    """Create a pod from a workload's template, owned by it; ``extra`` may pin its node and add labels."""
    template = copy.deepcopy(workload["spec"]["template"])
    template_meta = template.get("metadata") or {}
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": workload["metadata"]["namespace"],
            "labels": {**template_meta.get("labels", {}), **extra.get("labels", {})},
            "annotations": template_meta.get("annotations", {}),
            "ownerReferences": [owner(workload)],
        },
        "spec": template["spec"],
    }
    if "nodeName" in extra:
        pod["spec"]["nodeName"] = extra["nodeName"]
    if not pod["metadata"]["annotations"]:
        del pod["metadata"]["annotations"]
    stamp_new(cluster, pod, now)
    cluster.put(pod)
    return pod


def derive_workload_status(cluster: Cluster) -> None:
    """The status of every owner of pods, counted from the pods it owns (all of them ready here)."""
    for deployment in cluster.list("Deployment"):
        namespace = deployment["metadata"]["namespace"]
        selector = deployment["spec"].get("selector")
        pods = [
            p
            for p in cluster.list("Pod", namespace)
            if matches(selector, p["metadata"].get("labels", {})) and p["metadata"].get("ownerReferences")
        ]
        count = len(pods)
        replicas = deployment["spec"].get("replicas", 1)
        deployment["status"] = {
            "observedGeneration": deployment["metadata"].get("generation", 1),
            "replicas": count,
            "updatedReplicas": count,
            "readyReplicas": count,
            "availableReplicas": count,
            "conditions": [
                {
                    "type": "Available",
                    "status": "True" if count >= replicas else "False",
                    "reason": "MinimumReplicasAvailable",
                },
                {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"},
            ],
        }
        if not count:
            for field_name in ("readyReplicas", "availableReplicas"):
                deployment["status"].pop(field_name)
    for kind in ("ReplicaSet", "ReplicationController"):
        for workload in cluster.list(kind):
            count = len(owned_pods(cluster, workload))
            workload["status"] = {
                "replicas": count,
                "readyReplicas": count,
                "availableReplicas": count,
                "fullyLabeledReplicas": count,
                "observedGeneration": workload["metadata"].get("generation", 1),
            }
    for stateful_set in cluster.list("StatefulSet"):
        count = len(owned_pods(cluster, stateful_set))
        revision = f"{stateful_set['metadata']['name']}-{template_hash(stateful_set['spec']['template'])}"
        stateful_set["status"] = {
            "replicas": count,
            "readyReplicas": count,
            "currentReplicas": count,
            "updatedReplicas": count,
            "availableReplicas": count,
            "currentRevision": revision,
            "updateRevision": revision,
            "collisionCount": 0,
            "observedGeneration": stateful_set["metadata"].get("generation", 1),
        }
    for daemon_set in cluster.list("DaemonSet"):
        count = len(owned_pods(cluster, daemon_set))
        daemon_set["status"] = {
            "currentNumberScheduled": count,
            "desiredNumberScheduled": cluster.config.nodes,
            "numberAvailable": count,
            "numberMisscheduled": 0,
            "numberReady": count,
            "updatedNumberScheduled": count,
            "observedGeneration": daemon_set["metadata"].get("generation", 1),
        }
