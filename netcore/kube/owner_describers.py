"""``kubectl describe`` pages for the owners of pods: ReplicaSet, ReplicationController, DaemonSet and
StatefulSet, in kubectl's words and order (describe.go's ReplicaSetDescriber, ReplicationController-,
DaemonSet- and StatefulSetDescriber), from what Podpath's objects hold.
"""

from __future__ import annotations

from typing import Any

from netcore.kube.describers import controlled_by, write_annotations, write_containers, write_labels
from netcore.kube.selectors import format_label_selector, format_labels
from netcore.kube.tabwriter import Page


def describe_pod_owner(obj: dict[str, Any], related: dict[str, list[dict[str, Any]]]) -> str:
    """Describe a ReplicaSet, ReplicationController, DaemonSet or StatefulSet: its pods and their template."""
    meta, spec, status = obj.get("metadata") or {}, obj.get("spec") or {}, obj.get("status") or {}
    kind = obj.get("kind")
    page = Page()
    page.write(0, f"Name:\t{meta.get('name', '')}\n")
    page.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    selector = spec.get("selector") or {}
    shown = format_labels(selector) if kind == "ReplicationController" else format_label_selector(selector)
    page.write(0, f"Selector:\t{shown}\n")
    if kind == "DaemonSet":
        node_selector = ((spec.get("template") or {}).get("spec") or {}).get("nodeSelector")
        page.write(0, f"Node-Selector:\t{format_labels(node_selector)}\n")
    write_labels(page, "Labels", meta.get("labels"))
    write_annotations(page, "Annotations", meta.get("annotations"))
    for ref in meta.get("ownerReferences") or []:
        if ref.get("controller"):
            page.write(0, f"Controlled By:\t{ref.get('kind')}/{ref.get('name')}\n")
    if kind == "DaemonSet":
        for title, field in (
            ("Desired Number of Nodes Scheduled", "desiredNumberScheduled"),
            ("Current Number of Nodes Scheduled", "currentNumberScheduled"),
            ("Number of Nodes Scheduled with Up-to-date Pods", "updatedNumberScheduled"),
            ("Number of Nodes Scheduled with Available Pods", "numberAvailable"),
            ("Number of Nodes Misscheduled", "numberMisscheduled"),
        ):
            page.write(0, f"{title}:\t{status.get(field, 0)}\n")
    elif kind == "StatefulSet":
        page.write(0, f"Replicas:\t{spec.get('replicas', 0)} desired | {status.get('replicas', 0)} total\n")
        strategy = spec.get("updateStrategy") or {}
        page.write(0, f"Update Strategy:\t{strategy.get('type', '')}\n")
        if "rollingUpdate" in strategy:
            page.write(1, f"Partition:\t{strategy['rollingUpdate'].get('partition', 0)}\n")
    else:
        page.write(0, f"Replicas:\t{status.get('replicas', 0)} current / {spec.get('replicas', 0)} desired\n")
    pods = [pod for pod in related.get("Pod") or [] if controlled_by(pod, obj)]
    phases = [(pod.get("status") or {}).get("phase") for pod in pods]
    page.write(
        0,
        f"Pods Status:\t{phases.count('Running')} Running / {phases.count('Pending')} Waiting / "
        f"{phases.count('Succeeded')} Succeeded / {phases.count('Failed')} Failed\n",
    )
    template = spec.get("template") or {}
    page.write(0, "Pod Template:\n")
    write_labels(page, "  Labels", (template.get("metadata") or {}).get("labels"))
    if (template.get("metadata") or {}).get("annotations"):
        write_annotations(page, "  Annotations", template["metadata"]["annotations"])
    write_containers(page, (template.get("spec") or {}).get("containers") or [], {}, None, "  ")
    page.write(0, "  Volumes:\t<none>\n")
    page.write(0, f"  Node-Selectors:\t{format_labels((template.get('spec') or {}).get('nodeSelector'))}\n")
    page.write(0, "  Tolerations:\t<none>\n")
    if kind == "StatefulSet":
        page.write(0, "Volume Claims:\t<none>\n")
    page.write(0, "Events:\t<none>\n")
    return page.render()
