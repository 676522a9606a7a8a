"""The facts a walk needs to name what it sees, from the sandbox's kernel state and its cluster.

Pure. Hosts get the names a user knows (``pod default/client``, ``node0``, a lab's ``c1``) and a role;
addresses map back to their host; each host's main table (static routes plus the connected ones its
addresses imply) answers "which route did it take"; bridge ports name their bridge; a cluster's
Services are found by ClusterIP, LoadBalancer address or NodePort, its pods by address.
"""

from __future__ import annotations

import ipaddress

from netcore.state import State
from netcore.walk.recording import Facts, RouteEntry

CLUSTER_ROLES = {"lan": "switch", "router": "router", "internet": "internet", "external": "client"}


def facts_from(
    state: State, roles: dict[str, str] | None = None, cluster=None, pod_hosts: dict[tuple[str, str], str] | None = None
) -> Facts:
    """Build the facts; ``roles`` come from the lab's topology, or are derived for a cluster."""
    names: dict[str, str] = {}
    host_roles: dict[str, str] = dict(roles or {})
    services: dict[str, str] = {}
    pods: dict[str, str] = {}
    if cluster is not None:
        for (namespace, pod), host in (pod_hosts or {}).items():
            names[host] = f"pod {namespace}/{pod}"
            host_roles[host] = "pod"
        for host in sorted(state.hosts):
            host_roles.setdefault(host, "node" if host.startswith("node") else CLUSTER_ROLES.get(host, "host"))
        services = service_addresses(cluster)
        pods = {
            p["status"]["podIP"]: f"{p['metadata']['namespace']}/{p['metadata']['name']}"
            for p in cluster.list("Pod")
            if (p.get("status") or {}).get("podIP")
        }
    addresses: dict[str, str] = {}
    routes: dict[str, list[RouteEntry]] = {}
    for address in sorted(state.addresses):
        ip, _, _ = address.cidr.partition("/")
        addresses.setdefault(ip, address.end.host)
        network = str(ipaddress.IPv4Network(address.cidr, strict=False))
        routes.setdefault(address.end.host, []).append(RouteEntry(network, address.end.ifname, connected=True))
    for route in sorted(state.routes):
        routes.setdefault(route.host, []).append(RouteEntry(route.dst, route.dev, route.via, route.metric))
    masters = {f"{end.host}:{end.ifname}": device.master for end, device in state.devices.items() if device.master}
    peers = {
        f"{end.host}:{end.ifname}": f"{device.peer.host}:{device.peer.ifname}"
        for end, device in state.devices.items()
        if device.peer is not None
    }
    ports = sorted({device.vxlan.port for device in state.devices.values() if device.vxlan is not None}) or [4789]
    return Facts(
        names=names,
        roles=host_roles,
        addresses=addresses,
        routes={host: tuple(entries) for host, entries in routes.items()},
        masters=masters,
        vxlan_ports=tuple(ports),
        services=services,
        pods=pods,
        peers=peers,
    )


def service_addresses(cluster) -> dict[str, str]:
    """Every address a Service answers on: ClusterIP and LoadBalancer ip:port, and ``*:nodePort``."""
    out: dict[str, str] = {}
    for service in cluster.list("Service"):
        meta, spec = service["metadata"], service["spec"]
        name = f"{meta['namespace']}/{meta['name']}"
        balancers = [i.get("ip") for i in (service.get("status") or {}).get("loadBalancer", {}).get("ingress", [])]
        for port in spec.get("ports", []):
            protocol = port.get("protocol", "TCP").lower()
            if spec.get("clusterIP") not in (None, "", "None"):
                out[f"{spec['clusterIP']}:{port['port']}/{protocol}"] = name
            for ip in balancers:
                if ip:
                    out[f"{ip}:{port['port']}/{protocol}"] = name
            if port.get("nodePort"):
                out[f"*:{port['nodePort']}/{protocol}"] = name
    return out
