"""``kubectl describe`` pages for workloads and cluster objects: Pod, Deployment, Namespace, Node.

Ported from kubectl's describers (staging/src/k8s.io/kubectl/pkg/describe/describe.go), keeping their
wording, order and alignment, and printing only what Podpath's objects hold (no volumes, no probes).
The shared pieces (labels and annotations over several lines, timestamps) serve ``netdescribers`` too.
"""

from __future__ import annotations

from typing import Any

from netcore.kube.columns import node_roles, parse_time
from netcore.kube.selectors import format_label_selector
from netcore.kube.tabwriter import Page

SKIPPED_ANNOTATIONS = {"kubectl.kubernetes.io/last-applied-configuration"}
MAX_ANNOTATION = 140


def rfc1123(timestamp: str | None) -> str:
    """Format a timestamp as Go's time.RFC1123Z: ``Mon, 02 Jan 2006 15:04:05 +0000``."""
    parsed = parse_time(timestamp)
    return parsed.strftime("%a, %d %b %Y %H:%M:%S %z") if parsed else "<unknown>"


def write_labels(page: Page, title: str, labels: dict[str, str] | None) -> None:
    """Write ``Labels:`` with one label per line, sorted, or ``<none>``."""
    page.write(0, f"{title}:\t")
    if not labels:
        page.write(0, "<none>\n")
    for index, key in enumerate(sorted(labels or {})):
        if index:
            page.write(0, "\t")
        page.write(0, f"{key}={labels[key]}\n")  # type: ignore[index]


def write_annotations(page: Page, title: str, annotations: dict[str, str] | None) -> None:
    """Write ``Annotations:`` as ``key: value`` lines; long or multi-line values go below their key."""
    page.write(0, f"{title}:\t")
    keys = sorted(key for key in annotations or {} if key not in SKIPPED_ANNOTATIONS)
    if not keys:
        page.write(0, "<none>\n")
    for index, key in enumerate(keys):
        if index:
            page.write(0, "\t")
        value = annotations[key].removesuffix("\n")  # type: ignore[index]
        if len(value) + len(key) + 2 > MAX_ANNOTATION or "\n" in value:
            page.write(0, f"{key}:\n")
            for line in value.split("\n"):
                cut = line if len(line) <= MAX_ANNOTATION - 2 else line[: MAX_ANNOTATION - 2] + "..."
                page.write(0, f"\t  {cut}\n")
        else:
            page.write(0, f"{key}: {value}\n")


def write_meta(page: Page, obj: dict[str, Any], *, namespaced: bool = True) -> None:
    """Write Name, Namespace, Labels and Annotations, the head of most pages."""
    meta = obj.get("metadata") or {}
    page.write(0, f"Name:\t{meta.get('name', '')}\n")
    if namespaced:
        page.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    write_labels(page, "Labels", meta.get("labels"))
    write_annotations(page, "Annotations", meta.get("annotations"))


FIELD_VALUES = {
    "metadata.name": ("metadata", "name"),
    "metadata.namespace": ("metadata", "namespace"),
    "metadata.uid": ("metadata", "uid"),
    "spec.nodeName": ("spec", "nodeName"),
    "spec.serviceAccountName": ("spec", "serviceAccountName"),
    "status.podIP": ("status", "podIP"),
    "status.hostIP": ("status", "hostIP"),
}


def write_containers(
    page: Page,
    containers: list[dict[str, Any]],
    statuses: dict[str, dict[str, Any]],
    pod: dict[str, Any] | None,
    space: str,
) -> None:
    """Write the Containers section (of a pod, or of a template when ``space`` indents it)."""
    page.write(0, f"{space}Containers:\n")
    for container in containers:
        status = statuses.get(container.get("name", ""))
        page.write(1, f"{' ' if space else ''}{container.get('name', '')}:\n")
        if status is not None:
            page.write(2, f"Container ID:\t{status.get('containerID', '')}\n")
        page.write(2, f"Image:\t{container.get('image', '')}\n")
        if status is not None:
            page.write(2, f"Image ID:\t{status.get('imageID', '')}\n")
        ports = container.get("ports") or []
        shown = ", ".join(f"{p.get('containerPort')}/{p.get('protocol', 'TCP')}" for p in ports)
        hosts = ", ".join(f"{p.get('hostPort', 0)}/{p.get('protocol', 'TCP')}" for p in ports)
        page.write(2, f"{'Ports' if len(ports) > 1 else 'Port'}:\t{shown or '<none>'}\n")
        page.write(2, f"{'Host Ports' if len(ports) > 1 else 'Host Port'}:\t{hosts or '<none>'}\n")
        for field in ("command", "args"):
            if container.get(field):
                page.write(2, f"{field.capitalize()}:\n")
                for line in (line for item in container[field] for line in str(item).split("\n")):
                    page.write(3, f"{line}\n")
        if status is not None:
            write_state(page, "State", status.get("state") or {})
            if (status.get("lastState") or {}).get("terminated"):
                write_state(page, "Last State", status["lastState"])
            page.write(2, f"Ready:\t{'True' if status.get('ready') else 'False'}\n")
            page.write(2, f"Restart Count:\t{status.get('restartCount', 0)}\n")
        write_environment(page, container.get("env") or [], pod)
        page.write(2, "Mounts:\t<none>\n")


def write_state(page: Page, title: str, state: dict[str, Any]) -> None:
    """Write a container state (Running, Waiting or Terminated) with its details."""
    if "running" in state:
        page.write(2, f"{title}:\tRunning\n")
        page.write(3, f"Started:\t{rfc1123(state['running'].get('startedAt'))}\n")
    elif "terminated" in state:
        terminated = state["terminated"]
        page.write(2, f"{title}:\tTerminated\n")
        if terminated.get("reason"):
            page.write(3, f"Reason:\t{terminated['reason']}\n")
        page.write(3, f"Exit Code:\t{terminated.get('exitCode', 0)}\n")
        page.write(3, f"Started:\t{rfc1123(terminated.get('startedAt'))}\n")
        page.write(3, f"Finished:\t{rfc1123(terminated.get('finishedAt'))}\n")
    else:
        page.write(2, f"{title}:\tWaiting\n")
        if (state.get("waiting") or {}).get("reason"):
            page.write(3, f"Reason:\t{state['waiting']['reason']}\n")


def write_environment(page: Page, env: list[dict[str, Any]], pod: dict[str, Any] | None) -> None:
    """Write the Environment lines; a fieldRef shows its value in the pod when there is one."""
    page.write(2, "Environment:" + ("\t<none>" if not env else "") + "\n")
    for var in env:
        field_ref = (var.get("valueFrom") or {}).get("fieldRef")
        if field_ref is None:
            for index, line in enumerate(str(var.get("value", "")).split("\n")):
                page.write(3, f"{var.get('name') if index == 0 else ''}{':' if index == 0 else ''}\t{line}\n")
            continue
        section, key = FIELD_VALUES.get(field_ref.get("fieldPath", ""), ("", ""))
        value = ((pod or {}).get(section) or {}).get(key, "") if section else ""
        source = f"{field_ref.get('apiVersion', 'v1')}:{field_ref.get('fieldPath')}"
        page.write(3, f"{var.get('name')}:\t{value} ({source})\n")


def describe_pod(pod: dict[str, Any], related: dict[str, list[dict[str, Any]]]) -> str:
    """Describe a Pod: where it runs, its addresses, containers and conditions."""
    meta, spec, status = pod.get("metadata") or {}, pod.get("spec") or {}, pod.get("status") or {}
    page = Page()
    page.write(0, f"Name:\t{meta.get('name', '')}\n")
    page.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    if "priority" in spec:
        page.write(0, f"Priority:\t{spec['priority']}\n")
    if spec.get("serviceAccountName"):
        page.write(0, f"Service Account:\t{spec['serviceAccountName']}\n")
    node = f"{spec['nodeName']}/{status.get('hostIP', '')}" if spec.get("nodeName") else "<none>"
    page.write(0, f"Node:\t{node}\n")
    if status.get("startTime"):
        page.write(0, f"Start Time:\t{rfc1123(status['startTime'])}\n")
    write_labels(page, "Labels", meta.get("labels"))
    write_annotations(page, "Annotations", meta.get("annotations"))
    page.write(0, f"Status:\t{'Terminating' if meta.get('deletionTimestamp') else status.get('phase', '')}\n")
    for field in ("reason", "message"):
        if status.get(field):
            page.write(0, f"{field.capitalize()}:\t{status[field]}\n")
    page.write(0, f"IP:\t{status.get('podIP', '')}\n")
    ips = status.get("podIPs") or []
    page.write(0, "IPs:\n" if ips else "IPs:\t<none>\n")
    for ip in ips:
        page.write(1, f"IP:\t{ip.get('ip', '')}\n")
    owners = meta.get("ownerReferences") or []
    if owners:
        page.write(0, f"Controlled By:\t{owners[0].get('kind')}/{owners[0].get('name')}\n")
    statuses = {s.get("name", ""): s for s in status.get("containerStatuses") or []}
    write_containers(page, spec.get("containers") or [], statuses, pod, "")
    if status.get("conditions"):
        page.write(0, "Conditions:\n  Type\tStatus\n")
        for condition in status["conditions"]:
            page.write(1, f"{condition.get('type')} \t{condition.get('status')} \n")
    page.write(0, "Volumes:\t<none>\n")
    page.write(0, f"QoS Class:\t{status.get('qosClass', 'BestEffort')}\n")  # no resources: BestEffort
    page.write(0, "Node-Selectors:\t<none>\n")
    page.write(0, "Tolerations:\t<none>\n")
    page.write(0, "Events:\t<none>\n")
    return page.render()


def describe_deployment(deployment: dict[str, Any], related: dict[str, list[dict[str, Any]]]) -> str:
    """Describe a Deployment: replicas, strategy, pod template and replica sets."""
    meta, spec, status = deployment.get("metadata") or {}, deployment.get("spec") or {}, deployment.get("status") or {}
    page = Page()
    page.write(0, f"Name:\t{meta.get('name', '')}\n")
    page.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    page.write(0, f"CreationTimestamp:\t{rfc1123(meta.get('creationTimestamp'))}\n")
    write_labels(page, "Labels", meta.get("labels"))
    write_annotations(page, "Annotations", meta.get("annotations"))
    page.write(0, f"Selector:\t{format_label_selector(spec.get('selector'))}\n")
    page.write(
        0,
        f"Replicas:\t{spec.get('replicas', 0)} desired | {status.get('updatedReplicas', 0)} updated | "
        f"{status.get('replicas', 0)} total | {status.get('availableReplicas', 0)} available | "
        f"{status.get('unavailableReplicas', 0)} unavailable\n",
    )
    strategy = spec.get("strategy") or {}
    page.write(0, f"StrategyType:\t{strategy.get('type', '')}\n")
    page.write(0, f"MinReadySeconds:\t{spec.get('minReadySeconds', 0)}\n")
    if strategy.get("rollingUpdate"):
        rolling = strategy["rollingUpdate"]
        page.write(
            0,
            f"RollingUpdateStrategy:\t{rolling.get('maxUnavailable')} max unavailable, "
            f"{rolling.get('maxSurge')} max surge\n",
        )
    template = spec.get("template") or {}
    page.write(0, "Pod Template:\n")
    write_labels(page, "  Labels", (template.get("metadata") or {}).get("labels"))
    if (template.get("metadata") or {}).get("annotations"):
        write_annotations(page, "  Annotations", template["metadata"]["annotations"])
    write_containers(page, (template.get("spec") or {}).get("containers") or [], {}, None, "  ")
    page.write(0, "  Volumes:\t<none>\n")
    page.write(0, "  Node-Selectors:\t<none>\n")
    page.write(0, "  Tolerations:\t<none>\n")
    if status.get("conditions"):
        page.write(0, "Conditions:\n  Type\tStatus\tReason\n")
        page.write(1, "----\t------\t------\n")
        for condition in status["conditions"]:
            page.write(1, f"{condition.get('type')} \t{condition.get('status')}\t{condition.get('reason', '')}\n")
    owned = [rs for rs in related.get("ReplicaSet") or [] if controlled_by(rs, deployment)]
    newest = [rs for rs in owned if same_template(rs, template)][-1:]
    older = [rs for rs in owned if rs not in newest and (rs.get("spec") or {}).get("replicas", 0) > 0]
    if older or newest:
        page.write(0, f"OldReplicaSets:\t{replica_sets(older)}\n")
        page.write(0, f"NewReplicaSet:\t{replica_sets(newest)}\n")
    page.write(0, "Events:\t<none>\n")
    return page.render()


def controlled_by(obj: dict[str, Any], owner: dict[str, Any]) -> bool:
    """Tell whether an object's controller reference names the owner (by uid when both have one)."""
    meta, owner_meta = obj.get("metadata") or {}, owner.get("metadata") or {}
    for ref in meta.get("ownerReferences") or []:
        if ref.get("kind") == owner.get("kind") and ref.get("name") == owner_meta.get("name"):
            return not (ref.get("uid") and owner_meta.get("uid")) or ref["uid"] == owner_meta["uid"]
    return False


def same_template(replica_set: dict[str, Any], template: dict[str, Any]) -> bool:
    """Tell whether a ReplicaSet runs the Deployment's template (its pod-template-hash label aside)."""

    def without_hash(spec: dict[str, Any]) -> dict[str, Any]:
        meta = dict(spec.get("metadata") or {})
        meta["labels"] = {k: v for k, v in (meta.get("labels") or {}).items() if k != "pod-template-hash"}
        return {**spec, "metadata": meta}

    return without_hash((replica_set.get("spec") or {}).get("template") or {}) == without_hash(template)


def replica_sets(sets: list[dict[str, Any]]) -> str:
    """List replica sets as kubectl does: name (current/desired replicas created)."""
    return (
        ", ".join(
            f"{rs['metadata']['name']} ({(rs.get('status') or {}).get('replicas', 0)}/"
            f"{(rs.get('spec') or {}).get('replicas', 0)} replicas created)"
            for rs in sets
        )
        or "<none>"
    )


def describe_namespace(namespace: dict[str, Any], related: dict[str, list[dict[str, Any]]]) -> str:
    """Describe a Namespace."""
    page = Page()
    write_meta(page, namespace, namespaced=False)
    page.write(0, f"Status:\t{(namespace.get('status') or {}).get('phase', '')}\n")
    page.write(0, "\nNo resource quota.\n\nNo LimitRange resource.\n")
    return page.render()


def describe_node(node: dict[str, Any], related: dict[str, list[dict[str, Any]]]) -> str:
    """Describe a Node: conditions, addresses, system info, pod CIDRs and its pods."""
    meta, spec, status = node.get("metadata") or {}, node.get("spec") or {}, node.get("status") or {}
    page = Page()
    page.write(0, f"Name:\t{meta.get('name', '')}\n")
    page.write(0, f"Roles:\t{node_roles(node)}\n")
    write_labels(page, "Labels", meta.get("labels"))
    write_annotations(page, "Annotations", meta.get("annotations"))
    page.write(0, f"CreationTimestamp:\t{rfc1123(meta.get('creationTimestamp'))}\n")
    page.write(0, "Taints:\t<none>\n")
    page.write(0, f"Unschedulable:\t{'true' if spec.get('unschedulable') else 'false'}\n")
    if status.get("conditions"):
        page.write(0, "Conditions:\n  Type\tStatus\tReason\tMessage\n")
        page.write(1, "----\t------\t------\t-------\n")
        for condition in status["conditions"]:
            page.write(
                1,
                f"{condition.get('type')} \t{condition.get('status')} \t{condition.get('reason', '')} \t"
                f"{condition.get('message', '')}\n",
            )
    page.write(0, "Addresses:\n")
    for address in status.get("addresses") or []:
        page.write(1, f"{address.get('type')}:\t{address.get('address')}\n")
    info = status.get("nodeInfo") or {}
    page.write(0, "System Info:\n")
    for title, key in (
        ("Kernel Version", "kernelVersion"),
        ("OS Image", "osImage"),
        ("Operating System", "operatingSystem"),
        ("Architecture", "architecture"),
        ("Container Runtime Version", "containerRuntimeVersion"),
        ("Kubelet Version", "kubeletVersion"),
    ):
        page.write(1, f"{title}:\t{info.get(key, '')}\n")
    page.write(0, f"PodCIDR:\t{spec.get('podCIDR', '')}\n")
    page.write(0, f"PodCIDRs:\t{','.join(spec.get('podCIDRs') or [])}\n")
    pods = [pod for pod in related.get("Pod") or [] if (pod.get("spec") or {}).get("nodeName") == meta.get("name")]
    page.write(0, f"Non-terminated Pods:\t({len(pods)} in total)\n")
    if pods:
        page.write(1, "Namespace\tName\n")
        page.write(1, "---------\t----\n")
        for pod in pods:
            page.write(1, f"{pod['metadata'].get('namespace', '')}\t{pod['metadata']['name']}\n")
    page.write(0, "Events:\t<none>\n")
    return page.render()


def describe_generic(obj: dict[str, Any], related: dict[str, list[dict[str, Any]]]) -> str:
    """Describe a kind without a page of its own: its metadata."""
    page = Page()
    write_meta(page, obj, namespaced="namespace" in (obj.get("metadata") or {}))
    page.write(0, "Events:\t<none>\n")
    return page.render()
