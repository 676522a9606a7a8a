"""Reachability in a cluster: one probe, or the every-pod-to-every-pod matrix of the NetworkPolicy e2e suite.

The matrix probes, for each port and protocol, from every pod to every pod (directly, or through a
Service selecting the target pod) and prints the truth table the e2e suite prints: ``.`` connected,
``X`` blocked. All probes run concurrently (see ``netcore.reach``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from netcore import names
from netcore.errors import NotFound, PodpathError
from netcore.kube import api
from netcore.kube.compile.network import pod_hosts
from netcore.kube.selectors import matches_service
from netcore.kube.store import SYSTEM_NAMESPACES, Cluster
from netcore.reach import Outcome, Probe, probe_all

PROTOCOLS = ("TCP", "UDP")


@dataclass(frozen=True)
class Cell:
    source: str  # ns/pod
    target: str  # ns/pod, or an address
    port: int
    protocol: str
    outcome: Outcome

    def to_json(self) -> dict:
        return {
            "from": self.source,
            "to": self.target,
            "port": self.port,
            "protocol": self.protocol,
            "address": self.outcome.probe.ip,
            "connected": self.outcome.connected,
            "detail": self.outcome.detail,
            "seconds": round(self.outcome.seconds, 3),
        }


def split_pod(ref: str) -> tuple[str, str]:
    namespace, _, name = ref.rpartition("/")
    return namespace or "default", name


def pod_of(cluster: Cluster, ref: str) -> dict:
    namespace, name = split_pod(ref)
    pod = cluster.get("Pod", namespace, name)
    if pod is None:
        raise NotFound(f'pods "{name}" not found in namespace "{namespace}"')
    if not (pod.get("status") or {}).get("podIP"):
        raise PodpathError(f"pod {namespace}/{name} is Pending: it has no address yet")
    return pod


def label(pod: dict) -> str:
    return f"{pod['metadata']['namespace']}/{pod['metadata']['name']}"


def service_address(cluster: Cluster, pod: dict, port: int, protocol: str) -> str:
    """The ClusterIP of a Service that selects ``pod`` and serves ``port``/``protocol``."""
    for service in cluster.list("Service", pod["metadata"]["namespace"]):
        ip = service["spec"].get("clusterIP")
        if ip in (None, "", "None") or not matches_service(
            service["spec"].get("selector"), pod["metadata"].get("labels", {})
        ):
            continue
        if any(p["port"] == port and p.get("protocol", "TCP") == protocol for p in service["spec"].get("ports", [])):
            return ip
    raise NotFound(f"no Service selects pod {label(pod)} on {protocol}/{port} (needed for --via service)")


def host_of(pod: dict, hosts: dict[tuple[str, str], str]) -> str:
    """The host whose namespace a pod's traffic starts in: its own, or its node's for a host-network pod."""
    if pod["spec"].get("hostNetwork"):
        return pod["spec"]["nodeName"]
    return hosts[split_pod(label(pod))]


def probe_one(sandbox: str, source: str, target: str, port: int, protocol: str = "TCP", timeout: float = 1.0) -> Cell:
    """Probe from a pod to a pod (``ns/pod``) or an address."""
    cluster = api.load_cluster(sandbox)
    hosts = pod_hosts(cluster)
    origin = pod_of(cluster, source)
    if "/" in target or not target.replace(".", "").isdigit():
        ip = pod_of(cluster, target)["status"]["podIP"]
    else:
        ip = target
    namespace = names.netns_name(sandbox, host_of(origin, hosts))
    [outcome] = probe_all([Probe(namespace, ip, port, protocol)], timeout)
    return Cell(label(origin), target, port, protocol, outcome)


def matrix(
    sandbox: str,
    namespaces: list[str] | None = None,
    ports: Sequence[int] = (80,),
    protocols: Sequence[str] = ("TCP",),
    via: str = "pod",
    timeout: float = 1.0,
) -> list[Cell]:
    """Probe every pod to every pod of ``namespaces`` on each port and protocol."""
    cluster = api.load_cluster(sandbox)
    for protocol in protocols:
        if protocol not in PROTOCOLS:
            raise PodpathError(f"unknown protocol {protocol!r} (protocols: {', '.join(PROTOCOLS)})")
    if namespaces is None:
        namespaces = sorted(
            {p["metadata"]["namespace"] for p in cluster.list("Pod")} - set(SYSTEM_NAMESPACES) - {"ingress-nginx"}
        )
    pods = [p for ns in namespaces for p in cluster.list("Pod", ns) if (p.get("status") or {}).get("podIP")]
    if not pods:
        raise PodpathError(f"no pods in namespaces {', '.join(namespaces) or '(none)'}")
    hosts = pod_hosts(cluster)
    plan: list[tuple[str, str, int, str, Probe]] = []
    for protocol in protocols:
        for port in ports:
            for source in pods:
                namespace = names.netns_name(sandbox, host_of(source, hosts))
                for target in pods:
                    ip = target["status"]["podIP"] if via == "pod" else service_address(cluster, target, port, protocol)
                    plan.append((label(source), label(target), port, protocol, Probe(namespace, ip, port, protocol)))
    outcomes = probe_all([p[4] for p in plan], timeout)
    return [
        Cell(s, t, port, protocol, outcome) for (s, t, port, protocol, _), outcome in zip(plan, outcomes, strict=True)
    ]


def render_matrix(cells: list[Cell]) -> str:
    """The e2e suite's truth table, one per protocol and port: ``.`` connected, ``X`` blocked."""
    out = []
    for protocol, port in sorted({(c.protocol, c.port) for c in cells}):
        chosen = [c for c in cells if (c.protocol, c.port) == (protocol, port)]
        targets = list(dict.fromkeys(c.target for c in chosen))
        sources = list(dict.fromkeys(c.source for c in chosen))
        width = max(len(t) for t in targets + sources + [f"{protocol}/{port}"])
        grid = {(c.source, c.target): "." if c.outcome.connected else "X" for c in chosen}
        out.append(f"{protocol}/{port}".ljust(width) + "  " + "  ".join(t.ljust(width) for t in targets))
        for source in sources:
            out.append(source.ljust(width) + "  " + "  ".join(grid[(source, t)].ljust(width) for t in targets))
        blocked = sum(1 for c in chosen if not c.outcome.connected)
        out.append(f"{len(chosen) - blocked} connected, {blocked} blocked\n")
    return "\n".join(out)
