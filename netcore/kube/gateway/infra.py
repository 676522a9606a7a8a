"""Each Gateway's data plane as Kubernetes objects, and the controller steps that keep them (pure).

Much as nginx-gateway-fabric provisions it: for each Gateway of Podpath's class, a pod
``<gateway>-<class>`` of the ``podpath/gateway-nginx`` image (naming its Gateway in its environment)
and a LoadBalancer Service of the same name with one port per listener port, in the Gateway's
namespace, labelled ``gateway.networking.k8s.io/gateway-name``; the Service is owned by the Gateway.
A bare pod rather than a Deployment: one replica and no rollout is all a Gateway needs here, and its
name stays the same whenever the Gateway is made again (a lab step rebuilt reads back the same).
The Service keeps the client's address (``externalTrafficPolicy: Local``) and asks for the
Gateway's ``spec.addresses`` IP when it names one; its LoadBalancer address becomes the Gateway's.
No containerPorts: in the "bad way" network they would be published on the node.
"""

from __future__ import annotations

from typing import Any

from netcore.kube.defaults import apply_defaults
from netcore.kube.gateway.attach import GatewayState, resolve_gateways
from netcore.kube.gateway.constants import GATEWAY_CLASS_LABEL, GATEWAY_IMAGE, GATEWAY_NAME_LABEL
from netcore.kube.gateway.status import write_statuses
from netcore.kube.naming import safe_suffix
from netcore.kube.store import Cluster, stamp_new

MANAGED_BY = "podpath.dev/gateway-controller"
NAMESPACE_ENV, NAME_ENV = "GATEWAY_NAMESPACE", "GATEWAY_NAME"


def infra_name(gateway: str, gateway_class: str) -> str:
    """``<gateway>-<class>``, cut to a DNS label (63 characters) with a stable suffix when too long."""
    name = f"{gateway}-{gateway_class}"
    if len(name) <= 63 and "." not in name and name[0].isalpha():
        return name
    # A Service name is a DNS-1035 label: a letter first, no dots, 63 characters at most.
    label = name.replace(".", "-") if name[0].isalpha() else f"gw-{name.replace('.', '-')}"
    return f"{label[:57].rstrip('-')}-{safe_suffix(5, name)}"


def labels_of(state: GatewayState) -> dict[str, str]:
    return {
        GATEWAY_NAME_LABEL: state.name,
        GATEWAY_CLASS_LABEL: state.class_name,
        "app.kubernetes.io/managed-by": MANAGED_BY,
    }


def owner_of(state: GatewayState) -> dict[str, Any]:
    return {
        "apiVersion": state.obj["apiVersion"],
        "kind": "Gateway",
        "name": state.name,
        "uid": state.obj["metadata"].get("uid", ""),
        "controller": True,
        "blockOwnerDeletion": True,
    }


def infrastructure(state: GatewayState) -> list[dict[str, Any]]:
    """The pod and (when a listener works) the Service that serve one Gateway."""
    name, labels = infra_name(state.name, state.class_name), labels_of(state)
    selector = {GATEWAY_NAME_LABEL: state.name, "app.kubernetes.io/managed-by": MANAGED_BY}
    meta = {"name": name, "namespace": state.namespace, "labels": dict(labels), "ownerReferences": [owner_of(state)]}
    env = [{"name": NAMESPACE_ENV, "value": state.namespace}, {"name": NAME_ENV, "value": state.name}]
    # No ownerReferences on the pod: the ReplicaSet controller removes pods whose owner is not a ReplicaSet.
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {k: v for k, v in meta.items() if k != "ownerReferences"},
        "spec": {"containers": [{"name": "nginx", "image": GATEWAY_IMAGE, "env": env}]},
    }
    ports = sorted({listener.port for listener in state.listeners if listener.works})
    objects = [apply_defaults(pod)]
    if ports:
        spec: dict[str, Any] = {
            "type": "LoadBalancer",
            "externalTrafficPolicy": "Local",
            "selector": dict(selector),
            "ports": [{"name": f"port-{port}", "port": port, "targetPort": port} for port in ports],
        }
        if state.requested_address:
            spec["loadBalancerIP"] = state.requested_address
        objects.append(apply_defaults({"apiVersion": "v1", "kind": "Service", "metadata": dict(meta), "spec": spec}))
    return objects


def is_gateway_infrastructure(obj: dict[str, Any]) -> bool:
    return ((obj.get("metadata") or {}).get("labels") or {}).get("app.kubernetes.io/managed-by") == MANAGED_BY


def derive_gateway_infrastructure(cluster: Cluster, now: str) -> None:
    """Create, update or remove each Gateway's pod and Service (before pods are scheduled)."""
    wanted: set[tuple[str, str, str]] = set()
    for state in resolve_gateways(cluster).gateways.values():
        if state.invalid_parameters:  # not accepted: nothing to run
            continue
        for obj in infrastructure(state):
            key = (obj["kind"], state.namespace, obj["metadata"]["name"])
            wanted.add(key)
            existing = cluster.objects.get(key)
            if existing is None:
                stamp_new(cluster, obj, now)
                cluster.put(obj)
            elif obj["kind"] == "Service" and any(
                existing["spec"].get(field) != obj["spec"].get(field) for field in ("ports", "loadBalancerIP")
            ):
                merged = {
                    **obj["spec"],
                    **{k: v for k, v in existing["spec"].items() if k in ("clusterIP", "clusterIPs")},
                }
                existing["spec"] = merged
                existing["metadata"]["resourceVersion"] = cluster.next_revision()
    for key in [
        k
        for k, o in cluster.objects.items()
        if k[0] in ("Pod", "Service") and is_gateway_infrastructure(o) and k not in wanted
    ]:
        del cluster.objects[key]


def derive_gateway_status(cluster: Cluster, now: str) -> None:
    """Write the Gateway API objects' status (after Services have addresses and endpoints)."""
    world = resolve_gateways(cluster)
    addresses: dict[tuple[str, str], str | None] = {}
    serving: dict[tuple[str, str], bool] = {}
    for key, state in world.gateways.items():
        name = infra_name(state.name, state.class_name)
        service = cluster.get("Service", state.namespace, name) or {}
        ingress = (service.get("status") or {}).get("loadBalancer", {}).get("ingress") or []
        addresses[key] = ingress[0]["ip"] if ingress else None
        endpoints = cluster.get("Endpoints", state.namespace, name) or {}
        serving[key] = any(subset.get("addresses") for subset in endpoints.get("subsets") or [])
    write_statuses(cluster, world, addresses, serving, now)
