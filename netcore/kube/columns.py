"""The columns ``kubectl get`` prints for each kind, and the cell formats behind them.

Ported from kubectl's printers (pkg/printers/internalversion/printers.go): a pod's READY and STATUS
from its container statuses, a Service's ``80:31234/TCP`` ports and ``<pending>`` external IP,
endpoints cut to three with ``+ 2 more...``, ages as ``3m12s``. Each row function reads only the object.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from netcore.kube.selectors import format_label_selector, format_labels

Row = Callable[[dict[str, Any], bool, datetime], list[str]]


@dataclass(frozen=True)
class Columns:
    headers: tuple[str, ...]
    wide: tuple[str, ...]
    row: Row


def parse_time(text: str | None) -> datetime | None:
    """Parse an RFC 3339 timestamp as the API server writes it (``2024-05-01T10:00:00Z``)."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def age(obj: dict[str, Any], now: datetime) -> str:
    """Return how long ago an object was created, like kubectl's AGE column."""
    return since((obj.get("metadata") or {}).get("creationTimestamp"), now)


def since(timestamp: str | None, now: datetime) -> str:
    """Return the age of a timestamp, or <unknown> when there is none."""
    created = parse_time(timestamp)
    if created is None:
        return "<unknown>"
    return human_duration((now - created).total_seconds())


def human_duration(seconds: float) -> str:
    """Format a duration as kubectl does: ``45s``, ``3m12s``, ``15m``, ``5h3m``, ``2d3h``, ``400d``, ``3y12d``."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        return f"{minutes}m{s % 60}s" if s % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d{hours % 24}h" if hours % 24 else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        return f"{hours // 24 // 365}y{days}d" if days else f"{hours // 24 // 365}y"
    return f"{hours // 24 // 365}y"


def with_more(items: list[str], total: int, empty: str) -> str:
    """Join at most three items, adding kubectl's `` + N more...`` for the rest."""
    text = ",".join(items[:3])
    if total > 3:
        return f"{text} + {total - 3} more..."
    return text or empty


def pod_row(pod: dict[str, Any], wide: bool, now: datetime) -> list[str]:
    """Return a pod's cells, its STATUS worked out from container states as kubectl's printPod."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    reason = status.get("reason") or status.get("phase") or ""
    ready = restarts = 0
    last_restart: str | None = None
    running = False
    for container in reversed(status.get("containerStatuses") or []):
        restarts += container.get("restartCount", 0)
        finished = ((container.get("lastState") or {}).get("terminated") or {}).get("finishedAt")
        if finished and (last_restart is None or finished > last_restart):
            last_restart = finished
        state = container.get("state") or {}
        if (state.get("waiting") or {}).get("reason"):
            reason = state["waiting"]["reason"]
        elif "terminated" in state:
            terminated = state["terminated"]
            reason = terminated.get("reason") or (
                f"Signal:{terminated['signal']}"
                if terminated.get("signal")
                else f"ExitCode:{terminated.get('exitCode', 0)}"
            )
        elif container.get("ready") and "running" in state:
            running = True
            ready += 1
    if reason == "Completed" and running:
        conditions = {c.get("type"): c.get("status") for c in status.get("conditions") or []}
        reason = "Running" if conditions.get("Ready") == "True" else "NotReady"
    if (pod.get("metadata") or {}).get("deletionTimestamp") and status.get("phase") not in ("Succeeded", "Failed"):
        reason = "Terminating"
    restarts_text = f"{restarts} ({since(last_restart, now)} ago)" if restarts and last_restart else str(restarts)
    total = len(spec.get("containers") or [])
    row = [pod["metadata"]["name"], f"{ready}/{total}", reason, restarts_text, age(pod, now)]
    if wide:
        ips = status.get("podIPs") or []
        ip = ips[0].get("ip") if ips else status.get("podIP")
        row += [ip or "<none>", spec.get("nodeName") or "<none>", status.get("nominatedNodeName") or "<none>", "<none>"]
    return row


def service_ports(ports: list[dict[str, Any]]) -> str:
    """Format a Service's ports: ``8080/TCP``, ``80:31234/TCP``, joined by commas."""
    pieces = []
    for port in ports:
        node_port = f":{port['nodePort']}" if port.get("nodePort") else ""
        pieces.append(f"{port.get('port')}{node_port}/{port.get('protocol', 'TCP')}")
    return ",".join(pieces) or "<none>"


def load_balancer_addresses(status: dict[str, Any], wide: bool) -> str:
    """Join load balancer ingress addresses (sorted, as a set), cut to 16 characters unless wide."""
    ingress = (status.get("loadBalancer") or {}).get("ingress") or []
    text = ",".join(sorted({entry.get("ip") or entry.get("hostname") for entry in ingress} - {None, ""}))
    return text[:13] + "..." if not wide and len(text) > 16 else text


def service_row(service: dict[str, Any], wide: bool, now: datetime) -> list[str]:
    """Return a Service's cells: TYPE, CLUSTER-IP, EXTERNAL-IP (or <pending>), PORT(S)."""
    spec = service.get("spec") or {}
    kind = spec.get("type", "")
    cluster_ips = spec.get("clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else [])
    external = ",".join(spec.get("externalIPs") or [])
    if kind == "LoadBalancer":
        addresses = load_balancer_addresses(service.get("status") or {}, wide)
        external = ",".join(filter(None, [addresses, external])) or "<pending>"
    elif kind == "ExternalName":
        external = spec.get("externalName", "")
    elif kind not in ("ClusterIP", "NodePort"):
        external = "<unknown>"
    row = [
        service["metadata"]["name"],
        kind,
        cluster_ips[0] if cluster_ips else "<none>",
        external or "<none>",
        service_ports(spec.get("ports") or []),
        age(service, now),
    ]
    return row + [format_labels(spec.get("selector"))] if wide else row


def containers_and_images(spec: dict[str, Any]) -> list[str]:
    """Return the CONTAINERS and IMAGES cells of a workload's pod template."""
    containers = ((spec.get("template") or {}).get("spec") or {}).get("containers") or []
    return [",".join(c.get("name", "") for c in containers), ",".join(c.get("image", "") for c in containers)]


def deployment_row(deployment: dict[str, Any], wide: bool, now: datetime) -> list[str]:
    """Return a Deployment's cells: READY as ready/desired, UP-TO-DATE, AVAILABLE."""
    spec, status = deployment.get("spec") or {}, deployment.get("status") or {}
    row = [
        deployment["metadata"]["name"],
        f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 0)}",
        str(status.get("updatedReplicas", 0)),
        str(status.get("availableReplicas", 0)),
        age(deployment, now),
    ]
    return row + [*containers_and_images(spec), format_label_selector(spec.get("selector"))] if wide else row


def replica_set_row(replica_set: dict[str, Any], wide: bool, now: datetime) -> list[str]:
    """Return a ReplicaSet's cells: DESIRED, CURRENT, READY."""
    spec, status = replica_set.get("spec") or {}, replica_set.get("status") or {}
    row = [
        replica_set["metadata"]["name"],
        str(spec.get("replicas", 0)),
        str(status.get("replicas", 0)),
        str(status.get("readyReplicas", 0)),
        age(replica_set, now),
    ]
    return row + [*containers_and_images(spec), format_label_selector(spec.get("selector"))] if wide else row


def daemon_set_row(daemon_set: dict[str, Any], wide: bool, now: datetime) -> list[str]:
    """Return a DaemonSet's cells: DESIRED, CURRENT, READY, UP-TO-DATE, AVAILABLE, NODE SELECTOR."""
    spec, status = daemon_set.get("spec") or {}, daemon_set.get("status") or {}
    node_selector = ((spec.get("template") or {}).get("spec") or {}).get("nodeSelector")
    row = [
        daemon_set["metadata"]["name"],
        *(
            str(status.get(field, 0))
            for field in (
                "desiredNumberScheduled",
                "currentNumberScheduled",
                "numberReady",
                "updatedNumberScheduled",
                "numberAvailable",
            )
        ),
        format_labels(node_selector),
        age(daemon_set, now),
    ]
    return row + [*containers_and_images(spec), format_label_selector(spec.get("selector"))] if wide else row


def stateful_set_row(stateful_set: dict[str, Any], wide: bool, now: datetime) -> list[str]:
    """Return a StatefulSet's cells: READY as ready/desired."""
    spec, status = stateful_set.get("spec") or {}, stateful_set.get("status") or {}
    row = [
        stateful_set["metadata"]["name"],
        f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 0)}",
        age(stateful_set, now),
    ]
    return row + containers_and_images(spec) if wide else row


def config_map_row(config_map: dict[str, Any], wide: bool, now: datetime) -> list[str]:
    """Return a ConfigMap's cells: the number of DATA keys (text and binary)."""
    data = len(config_map.get("data") or {}) + len(config_map.get("binaryData") or {})
    return [config_map["metadata"]["name"], str(data), age(config_map, now)]


def service_account_row(account: dict[str, Any], wide: bool, now: datetime) -> list[str]:
    """Return a ServiceAccount's cells: the number of SECRETS it lists."""
    return [account["metadata"]["name"], str(len(account.get("secrets") or [])), age(account, now)]


def format_endpoints(endpoints: dict[str, Any] | None, port_names: set[str] | None = None) -> str:
    """Format ready endpoint addresses as ``ip:port``, cut to three; only ports named in port_names if given."""
    subsets = (endpoints or {}).get("subsets") or []
    if not subsets:
        return "<none>"
    items: list[str] = []
    total = 0
    for subset in subsets:
        addresses = [address.get("ip", "") for address in subset.get("addresses") or []]
        ports = subset.get("ports") or []
        if not ports:
            total += len(addresses)
            items += addresses
            continue
        for port in ports:
            if port_names is None or port.get("name", "") in port_names:
                total += len(addresses)
                items += [f"[{ip}]:{port.get('port')}" if ":" in ip else f"{ip}:{port.get('port')}" for ip in addresses]
    return with_more(items, total, "")


def endpoints_row(endpoints: dict[str, Any], wide: bool, now: datetime) -> list[str]:
    """Return an Endpoints object's cells."""
    return [endpoints["metadata"]["name"], format_endpoints(endpoints), age(endpoints, now)]


def endpoint_slice_row(endpoint_slice: dict[str, Any], wide: bool, now: datetime) -> list[str]:
    """Return an EndpointSlice's cells: ports and addresses, cut to three each."""
    ports = [
        str(p["port"]) if p.get("port") is not None else p.get("name") or "*" for p in endpoint_slice.get("ports") or []
    ]
    addresses = [a for endpoint in endpoint_slice.get("endpoints") or [] for a in endpoint.get("addresses") or []]
    return [
        endpoint_slice["metadata"]["name"],
        endpoint_slice.get("addressType", ""),
        with_more(ports, len(ports), "<unset>"),
        with_more(addresses, len(addresses), "<unset>"),
        age(endpoint_slice, now),
    ]


def ingress_hosts(rules: list[dict[str, Any]]) -> str:
    """List the first three hosts; once three are listed, count the remaining rules as kubectl does."""
    hosts: list[str] = []
    more = False
    for rule in rules:
        more = more or len(hosts) == 3
        if not more and rule.get("host"):
            hosts.append(rule["host"])
    if not hosts:
        return "*"
    return f"{','.join(hosts)} + {len(rules) - 3} more..." if more else ",".join(hosts)


def ingress_row(ingress: dict[str, Any], wide: bool, now: datetime) -> list[str]:
    """Return an Ingress's cells: CLASS, HOSTS, ADDRESS, and PORTS 80 or 80, 443 with TLS."""
    spec = ingress.get("spec") or {}
    return [
        ingress["metadata"]["name"],
        spec.get("ingressClassName") or "<none>",
        ingress_hosts(spec.get("rules") or []),
        load_balancer_addresses(ingress.get("status") or {}, wide),
        "80, 443" if spec.get("tls") else "80",
        age(ingress, now),
    ]


def ingress_class_row(ingress_class: dict[str, Any], wide: bool, now: datetime) -> list[str]:
    """Return an IngressClass's cells."""
    spec = ingress_class.get("spec") or {}
    parameters = spec.get("parameters")
    shown = "<none>"
    if parameters:
        group = f".{parameters['apiGroup']}" if parameters.get("apiGroup") else ""
        shown = f"{parameters.get('kind', '')}{group}/{parameters.get('name', '')}"
    return [ingress_class["metadata"]["name"], spec.get("controller", ""), shown, age(ingress_class, now)]


def network_policy_row(policy: dict[str, Any], wide: bool, now: datetime) -> list[str]:
    """Return a NetworkPolicy's cells."""
    selector = (policy.get("spec") or {}).get("podSelector")
    return [policy["metadata"]["name"], format_label_selector(selector), age(policy, now)]


def node_roles(node: dict[str, Any]) -> str:
    """Return a node's roles from its node-role.kubernetes.io/ labels, or <none>."""
    roles = set()
    for key, value in ((node.get("metadata") or {}).get("labels") or {}).items():
        if key.startswith("node-role.kubernetes.io/") and key != "node-role.kubernetes.io/":
            roles.add(key.removeprefix("node-role.kubernetes.io/"))
        elif key == "kubernetes.io/role" and value:
            roles.add(value)
    return ",".join(sorted(roles)) or "<none>"


def node_status(node: dict[str, Any]) -> str:
    """Return Ready, NotReady or Unknown from the Ready condition, plus SchedulingDisabled."""
    ready = [c.get("status") for c in (node.get("status") or {}).get("conditions") or [] if c.get("type") == "Ready"]
    words = ["Ready" if ready[-1] == "True" else "NotReady"] if ready else ["Unknown"]
    if (node.get("spec") or {}).get("unschedulable"):
        words.append("SchedulingDisabled")
    return ",".join(words)


def node_address(node: dict[str, Any], kind: str) -> str:
    """Return a node's address of one type, or <none>."""
    addresses = (node.get("status") or {}).get("addresses") or []
    return next((a.get("address") for a in addresses if a.get("type") == kind), "<none>")


def node_row(node: dict[str, Any], wide: bool, now: datetime) -> list[str]:
    """Return a node's cells."""
    info = (node.get("status") or {}).get("nodeInfo") or {}
    row = [
        node["metadata"]["name"],
        node_status(node),
        node_roles(node),
        age(node, now),
        info.get("kubeletVersion", ""),
    ]
    if wide:
        row += [
            node_address(node, "InternalIP"),
            node_address(node, "ExternalIP"),
            info.get("osImage") or "<unknown>",
            info.get("kernelVersion") or "<unknown>",
            info.get("containerRuntimeVersion") or "<unknown>",
        ]
    return row


def namespace_row(namespace: dict[str, Any], wide: bool, now: datetime) -> list[str]:
    """Return a namespace's cells."""
    return [namespace["metadata"]["name"], (namespace.get("status") or {}).get("phase", ""), age(namespace, now)]


def secret_row(secret: dict[str, Any], wide: bool, now: datetime) -> list[str]:
    """Return a Secret's cells: TYPE and the number of DATA keys."""
    data = len(secret.get("data") or {}) + len(secret.get("stringData") or {})
    return [secret["metadata"]["name"], secret.get("type", ""), str(data), age(secret, now)]


def name_and_age_row(obj: dict[str, Any], wide: bool, now: datetime) -> list[str]:
    """Return the cells kubectl prints for a kind without columns of its own."""
    return [obj["metadata"]["name"], age(obj, now)]


NAME_AND_AGE = Columns(("NAME", "AGE"), (), name_and_age_row)
WORKLOAD_WIDE = ("CONTAINERS", "IMAGES", "SELECTOR")
COLUMNS: dict[str, Columns] = {
    "Pod": Columns(
        ("NAME", "READY", "STATUS", "RESTARTS", "AGE"), ("IP", "NODE", "NOMINATED NODE", "READINESS GATES"), pod_row
    ),
    "Service": Columns(("NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"), ("SELECTOR",), service_row),
    "Deployment": Columns(("NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"), WORKLOAD_WIDE, deployment_row),
    "ReplicaSet": Columns(("NAME", "DESIRED", "CURRENT", "READY", "AGE"), WORKLOAD_WIDE, replica_set_row),
    "ReplicationController": Columns(("NAME", "DESIRED", "CURRENT", "READY", "AGE"), WORKLOAD_WIDE, replica_set_row),
    "DaemonSet": Columns(
        ("NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE", "NODE SELECTOR", "AGE"),
        WORKLOAD_WIDE,
        daemon_set_row,
    ),
    "StatefulSet": Columns(("NAME", "READY", "AGE"), ("CONTAINERS", "IMAGES"), stateful_set_row),
    "ConfigMap": Columns(("NAME", "DATA", "AGE"), (), config_map_row),
    "ServiceAccount": Columns(("NAME", "SECRETS", "AGE"), (), service_account_row),
    "Endpoints": Columns(("NAME", "ENDPOINTS", "AGE"), (), endpoints_row),
    "EndpointSlice": Columns(("NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"), (), endpoint_slice_row),
    "Ingress": Columns(("NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"), (), ingress_row),
    "IngressClass": Columns(("NAME", "CONTROLLER", "PARAMETERS", "AGE"), (), ingress_class_row),
    "NetworkPolicy": Columns(("NAME", "POD-SELECTOR", "AGE"), (), network_policy_row),
    "Node": Columns(
        ("NAME", "STATUS", "ROLES", "AGE", "VERSION"),
        ("INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"),
        node_row,
    ),
    "Namespace": Columns(("NAME", "STATUS", "AGE"), (), namespace_row),
    "Secret": Columns(("NAME", "TYPE", "DATA", "AGE"), (), secret_row),
}
