"""The API server's defaults, filled into a validated object before controllers see it.

``apply_defaults`` returns a copy with what Kubernetes writes on create (Service type ClusterIP,
container port protocol TCP, Deployment strategy RollingUpdate 25%/25%, ...), so what Podpath stores
and prints reads like what a real cluster returns. Nothing here allocates: cluster IPs, node ports,
uids and timestamps are the controllers' to assign. Everything defaulted is in the supported subset,
so an object printed with ``-o yaml`` can be applied again.
"""

from __future__ import annotations

import base64
import copy
from typing import Any

from netcore.kube.gateway.constants import GROUP as GATEWAY_GROUP
from netcore.kube.gateway.defaults import default_gateway_object
from netcore.kube.kinds import BY_KIND


def apply_defaults(obj: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of the object with the API server's defaults filled in."""
    out = copy.deepcopy(obj)
    kind = BY_KIND.get(out.get("kind", ""))
    meta = out.setdefault("metadata", {})
    if kind is not None and kind.namespaced:
        meta.setdefault("namespace", "default")
    spec = out.get("spec")
    if kind is None:
        return out
    if kind.kind == "Namespace" and meta.get("name"):
        # The API server always sets this label, so namespaceSelectors can pick a namespace by name.
        meta.setdefault("labels", {})["kubernetes.io/metadata.name"] = meta["name"]
    elif kind.kind == "Pod" and isinstance(spec, dict):
        default_pod_spec(spec)
    elif kind.kind == "Deployment" and isinstance(spec, dict):
        default_deployment(spec)
    elif kind.kind in ("ReplicaSet", "ReplicationController", "DaemonSet", "StatefulSet") and isinstance(spec, dict):
        default_workload(out, spec, kind.kind)
    elif kind.kind == "Service" and isinstance(spec, dict):
        default_service(spec)
    elif kind.kind == "Secret":
        default_secret(out)
    elif kind.kind == "NetworkPolicy" and isinstance(spec, dict):
        default_network_policy(spec)
    elif kind.group == GATEWAY_GROUP:
        default_gateway_object(out)
    return out


def default_pod_spec(spec: dict[str, Any]) -> None:
    """Fill a pod spec's defaults (also used for a Deployment's template)."""
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    for container in spec.get("containers") or []:
        if container.get("image"):
            container.setdefault("imagePullPolicy", pull_policy(container["image"]))
        for port in container.get("ports") or []:
            port.setdefault("protocol", "TCP")
            if spec.get("hostNetwork") and "containerPort" in port:
                port.setdefault("hostPort", port["containerPort"])  # the pod's ports are its node's
        for env in container.get("env") or []:
            field_ref = (env.get("valueFrom") or {}).get("fieldRef")
            if isinstance(field_ref, dict):
                field_ref.setdefault("apiVersion", "v1")


def pull_policy(image: str) -> str:
    """Return Kubernetes' default pull policy: Always for ``:latest`` or no tag, else IfNotPresent."""
    if "@" in image:
        return "IfNotPresent"
    last = image.rsplit("/", 1)[-1]
    tag = last.rpartition(":")[2] if ":" in last else ""
    return "Always" if tag in ("", "latest") else "IfNotPresent"


def default_deployment(spec: dict[str, Any]) -> None:
    """Fill a Deployment's defaults: replicas, strategy, history, deadline, its pods'."""
    spec.setdefault("replicas", 1)
    strategy = spec.setdefault("strategy", {})
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = strategy.setdefault("rollingUpdate", {})
        rolling.setdefault("maxUnavailable", "25%")
        rolling.setdefault("maxSurge", "25%")
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    template_spec = (spec.get("template") or {}).get("spec")
    if isinstance(template_spec, dict):
        default_pod_spec(template_spec)


def default_workload(obj: dict[str, Any], spec: dict[str, Any], kind: str) -> None:
    """Fill a ReplicaSet's, ReplicationController's or DaemonSet's defaults, and its pods'."""
    template = spec.get("template") or {}
    labels = (template.get("metadata") or {}).get("labels") or {}
    if kind != "DaemonSet":
        spec.setdefault("replicas", 1)
    if kind == "ReplicationController" and labels:
        # A ReplicationController without a selector selects its template's labels, and carries them.
        if not spec.get("selector"):
            spec["selector"] = dict(labels)
        if not obj["metadata"].get("labels"):
            obj["metadata"]["labels"] = dict(labels)
    if kind == "DaemonSet":
        strategy = spec.setdefault("updateStrategy", {})
        strategy.setdefault("type", "RollingUpdate")
        if strategy["type"] == "RollingUpdate":
            rolling = strategy.setdefault("rollingUpdate", {})
            rolling.setdefault("maxUnavailable", 1)
            rolling.setdefault("maxSurge", 0)
        spec.setdefault("revisionHistoryLimit", 10)
    if kind == "StatefulSet":
        spec.setdefault("podManagementPolicy", "OrderedReady")
        strategy = spec.setdefault("updateStrategy", {})
        strategy.setdefault("type", "RollingUpdate")
        if strategy["type"] == "RollingUpdate":
            strategy.setdefault("rollingUpdate", {}).setdefault("partition", 0)
        spec.setdefault("revisionHistoryLimit", 10)
    if isinstance(template.get("spec"), dict):
        default_pod_spec(template["spec"])


def default_service(spec: dict[str, Any]) -> None:
    """Fill a Service's defaults: type, affinity, port protocol and target, policies, IP family."""
    spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    if spec["sessionAffinity"] == "ClientIP":
        client_ip = spec.setdefault("sessionAffinityConfig", {}).setdefault("clientIP", {})
        client_ip.setdefault("timeoutSeconds", 10800)
    for port in spec.get("ports") or []:
        port.setdefault("protocol", "TCP")
        if "port" in port:
            port.setdefault("targetPort", port["port"])
    if spec["type"] == "LoadBalancer":
        spec.setdefault("allocateLoadBalancerNodePorts", True)
    if spec["type"] in ("NodePort", "LoadBalancer") or spec.get("externalIPs"):
        spec.setdefault("externalTrafficPolicy", "Cluster")
    if spec["type"] == "ExternalName":
        return  # a DNS alias: no address, so no traffic policy and no IP family
    spec.setdefault("internalTrafficPolicy", "Cluster")
    if spec.get("clusterIP") and not spec.get("clusterIPs"):
        spec["clusterIPs"] = [spec["clusterIP"]]
    spec.setdefault("ipFamilies", ["IPv4"])
    spec.setdefault("ipFamilyPolicy", "SingleStack")


def default_secret(secret: dict[str, Any]) -> None:
    """Default the type, and fold stringData into data as the API server stores it."""
    secret.setdefault("type", "Opaque")
    string_data = secret.pop("stringData", None) or {}
    if string_data:
        data = secret.setdefault("data", {})
        for key, value in string_data.items():
            data[key] = base64.b64encode(str(value).encode()).decode()


def default_network_policy(spec: dict[str, Any]) -> None:
    """Fill a NetworkPolicy's defaults: pod selector, policy types, port protocols."""
    spec.setdefault("podSelector", {})
    if not spec.get("policyTypes"):
        # No policyTypes means Ingress, plus Egress when egress rules are given (NetworkPolicy v1 docs).
        spec["policyTypes"] = ["Ingress", "Egress"] if spec.get("egress") else ["Ingress"]
    for direction in ("ingress", "egress"):
        for rule in spec.get(direction) or []:
            for port in rule.get("ports") or []:
                port.setdefault("protocol", "TCP")
