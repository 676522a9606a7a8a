"""Compile a cluster into a Topology: nodes, pods, the pod network ("CNI"), the router and the outside.

Pure. The shape, inside one sandbox:

    internet 198.51.100.10 ─┐                   ┌─ node0 172.18.0.2 ─ cni0 10.244.0.1/24 ─ pods
                            ├─ router ── lan ───┼─ node1 172.18.0.3 ─ cni0 10.244.1.1/24 ─ pods
    external 198.51.100.100 ┘  (wan0)   (br0)   └─ ...

Pod network modes (``ClusterConfig.cni``):
- ``bridge``: each node routes the other nodes' pod ranges via their node addresses (host-gw);
- ``vxlan``: each pair of nodes shares a VXLAN tunnel and pod ranges are routed over it (flannel's
  layout: the tunnel device holds 10.244.N.0/32, routes are ``via 10.244.R.0 onlink``);
- ``nat``: the talk's "bad way": no routes between pod ranges; pods leave their node masqueraded,
  and reach pods elsewhere only through ports published on node addresses, as Docker's ``-p``.
LoadBalancer addresses are routed by the router to the node that announces them, as MetalLB would.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Protocol

from netcore import names
from netcore.kube import addresses
from netcore.kube.compile.dns import dns_records
from netcore.kube.compile.ingress import INGRESS_IMAGE, ingress_data, ingress_servers
from netcore.kube.compile.policies import render_policy_chains
from netcore.kube.compile.services import ServicePort, render_service_chains, service_ports
from netcore.kube.controllers import DNS_IMAGE, node_index
from netcore.kube.gateway.constants import GATEWAY_IMAGE
from netcore.kube.gateway.data import gateway_data, gateway_servers
from netcore.kube.naming import digest, node_name, pod_host, pod_veth
from netcore.kube.store import Cluster
from netcore.topology.model import Endpoint, Host, Interface, Link, Route, Server, Topology, Vxlan
from netcore.topology.sysctls import BRIDGE_NF

UNDERLAY_MTU = 9000  # room for VXLAN's 50 bytes, so pods keep a 1500-byte MTU in every mode
VXLAN_PORT = 4789
DNS_DATA = "dns.json"
INFRA_HOSTS = {"lan", "router", "internet", "external"}


# Reads a ConfigMap or Secret a pod's env refers to: (kind, namespace, name) -> the object or None.
Sources = Callable[[str, str, str], "dict | None"]


class Images(Protocol):
    """The image catalog (``netcore.kube.images``): the servers a pod's containers run."""

    def pod_servers(self, pod: dict, host: str, sources: Sources | None = None) -> tuple[Server, ...]: ...


def pod_hosts(cluster: Cluster) -> dict[tuple[str, str], str]:
    """Map (namespace, pod) to the Podpath host holding the pod's network namespace (a host-network pod
    has none of its own: it lives in its node's)."""
    taken = set(INFRA_HOSTS) | {node_name(i) for i in range(cluster.config.nodes)}
    out = {}
    for pod in cluster.list("Pod"):
        if pod["spec"].get("hostNetwork"):
            continue
        meta = pod["metadata"]
        host = pod_host(meta["namespace"], meta["name"], taken)
        taken.add(host)
        out[(meta["namespace"], meta["name"])] = host
    return out


def compile_cluster(cluster: Cluster, sandbox: str, images: Images) -> Topology:
    """Return the whole Topology of a cluster. ``images.pod_servers(pod, host)`` gives a pod's servers."""
    hosts_of = pod_hosts(cluster)
    ports = service_ports(cluster)
    hosts: list[Host] = [
        lan_switch(cluster),
        router(cluster, ports),
        outside("internet", addresses.INTERNET_SERVER, (Server("internet", "echo", 80),)),
        outside("external", addresses.EXTERNAL_CLIENT, ()),
    ]
    links = [
        Link(Endpoint("router", "eth0"), Endpoint("lan", "router")),
        Link(Endpoint("internet", "eth0"), Endpoint("router", "internet")),
        Link(Endpoint("external", "eth0"), Endpoint("router", "external")),
    ]
    pods_by_node: dict[str, list[dict]] = {}
    on_host_network: dict[str, list[Server]] = {}
    for pod in cluster.list("Pod"):
        if "nodeName" not in pod["spec"]:
            continue  # a Pending pod has no network namespace yet
        if pod["spec"].get("hostNetwork"):  # its servers listen in the node's own namespace
            node = pod["spec"]["nodeName"]
            on_host_network.setdefault(node, []).extend(images.pod_servers(pod, node, cluster.get))
        else:
            pods_by_node.setdefault(pod["spec"]["nodeName"], []).append(pod)
    data_path = str(names.data_dir(sandbox) / DNS_DATA)
    for index in range(cluster.config.nodes):
        node = node_name(index)
        node_pods = pods_by_node.get(node, [])
        hosts.append(node_host(cluster, index, node_pods, hosts_of, ports, tuple(on_host_network.get(node, []))))
        links.append(Link(Endpoint(node, "eth0"), Endpoint("lan", node)))
        for pod in node_pods:
            meta = pod["metadata"]
            host = hosts_of[(meta["namespace"], meta["name"])]
            servers = servers_of(pod, host, images, data_path, sandbox, cluster.get)
            hosts.append(pod_namespace(pod, host, index, servers))
            links.append(Link(Endpoint(host, "eth0"), Endpoint(node, pod_veth(meta["namespace"], meta["name"]))))
    data = (
        (DNS_DATA, json.dumps(dns_records(cluster), indent=1, sort_keys=True) + "\n"),
        *ingress_data(cluster, sandbox),
        *gateway_data(cluster, sandbox),
    )
    return Topology(hosts=tuple(hosts), links=tuple(links), data=data)


def servers_of(
    pod: dict, host: str, images: Images, data_path: str, sandbox: str, sources: Sources
) -> tuple[Server, ...]:
    containers = pod["spec"].get("containers", [])
    if any(c.get("image") == INGRESS_IMAGE for c in containers):
        return tuple(ingress_servers(pod, host, sandbox))
    if any(c.get("image") == GATEWAY_IMAGE for c in containers):
        return gateway_servers(pod, host, sandbox)
    if any(c.get("image") == DNS_IMAGE for c in containers):
        return tuple(
            Server(host, "cluster-dns", 53, protocol, (("records", data_path),)) for protocol in ("udp", "tcp")
        )
    return tuple(images.pod_servers(pod, host, sources))


def lan_switch(cluster: Cluster) -> Host:
    ports = [Interface("router", master="br0", mtu=UNDERLAY_MTU)]
    ports += [Interface(node_name(i), master="br0", mtu=UNDERLAY_MTU) for i in range(cluster.config.nodes)]
    return Host(
        "lan",
        role="switch",
        label="node network 172.18.0.0/24",
        interfaces=(Interface("br0", kind="bridge", mtu=UNDERLAY_MTU), *ports),
    )


def router(cluster: Cluster, ports: list[ServicePort]) -> Host:
    """The cluster's edge: node network on one side, the internet segment on the other."""
    routes = tuple(
        Route(dst=f"{ip}/32", via=addresses.node_address(node_index(node)))
        for ip, node in sorted(load_balancer_announcers(cluster, ports).items())
    )
    return Host(
        "router",
        role="router",
        label="edge router",
        interfaces=(
            Interface("eth0", addresses=(f"{addresses.ROUTER_NODE_SIDE}/24",), mtu=UNDERLAY_MTU),
            Interface("wan0", kind="bridge", addresses=(f"{addresses.ROUTER_INTERNET_SIDE}/24",)),
            Interface("internet", master="wan0"),
            Interface("external", master="wan0"),
        ),
        routes=routes,
        sysctls=(("net.ipv4.ip_forward", "1"),),
    )


def load_balancer_announcers(cluster: Cluster, ports: list[ServicePort]) -> dict[str, str]:
    """Pick the node that answers for each LoadBalancer address (MetalLB's layer-2 leader).

    With externalTrafficPolicy Local only a node with a ready endpoint may announce; with Cluster any
    node may, spread by the Service's name.
    """
    nodes = [node_name(i) for i in range(cluster.config.nodes)]
    out: dict[str, str] = {}
    for sp in ports:
        for ip in sp.load_balancer_ips:
            if ip in out:
                continue
            if sp.external_local:
                candidates = sorted({e.node for e in sp.endpoints}, key=node_index)
                if candidates:
                    out[ip] = candidates[0]
            else:
                out[ip] = nodes[int.from_bytes(digest(sp.namespace, sp.service)[:2], "big") % len(nodes)]
    return out


def outside(name: str, address: str, servers: tuple[Server, ...]) -> Host:
    return Host(
        name,
        role="internet" if name == "internet" else "client",
        label=f"{name} {address}",
        interfaces=(Interface("eth0", addresses=(f"{address}/24",)),),
        routes=(Route(dst="0.0.0.0/0", via=addresses.ROUTER_INTERNET_SIDE),),
        servers=servers,
    )


def node_host(
    cluster: Cluster,
    index: int,
    pods: list[dict],
    hosts_of: dict[tuple[str, str], str],
    ports: list[ServicePort],
    pod_servers: tuple[Server, ...] = (),
) -> Host:
    node = node_name(index)
    cidr = str(addresses.node_pod_cidr(index))
    interfaces = [
        Interface("eth0", addresses=(f"{addresses.node_address(index)}/24",), mtu=UNDERLAY_MTU),
        Interface("cni0", kind="bridge", addresses=(f"{addresses.node_gateway(index)}/24",)),
    ]
    interfaces += [
        Interface(pod_veth(p["metadata"]["namespace"], p["metadata"]["name"]), master="cni0", hairpin=True)
        for p in pods
    ]
    routes = [Route(dst="0.0.0.0/0", via=addresses.ROUTER_NODE_SIDE)]
    mode = cluster.config.cni
    for other in range(cluster.config.nodes):
        if other == index or mode == "nat":
            continue
        other_cidr = str(addresses.node_pod_cidr(other))
        if mode == "bridge":
            routes.append(Route(dst=other_cidr, via=addresses.node_address(other)))
        else:
            device = vxlan_device(other)
            routes.append(
                Route(dst=other_cidr, via=str(addresses.node_pod_cidr(other).network_address), dev=device, onlink=True)
            )
    if mode == "vxlan":
        interfaces += [vxlan_interface(index, other) for other in range(cluster.config.nodes) if other != index]
    nft = [render_service_chains(ports, node), pod_egress(mode), render_policy_chains(cluster, node)]
    nft = [chains for chains in nft if chains]
    if mode == "nat" or any(published_ports(pod) for pod in pods):  # nat mode, or pods with a hostPort
        nft.append(port_mappings(index, pods))
    return Host(
        node,
        role="node",
        label=f"{node} {addresses.node_address(index)} pods {cidr}",
        interfaces=tuple(interfaces),
        routes=tuple(routes),
        servers=health_checks(cluster, node) + pod_servers,
        sysctls=(("net.ipv4.ip_forward", "1"), (BRIDGE_NF, "1")),
        nft=tuple(nft),
    )


def health_checks(cluster: Cluster, node: str) -> tuple[Server, ...]:
    """kube-proxy's health check servers on a node: one per Service with a healthCheckNodePort, telling
    how many of the Service's endpoints run on this node."""
    servers = []
    for service in cluster.list("Service"):
        port, meta = service["spec"].get("healthCheckNodePort"), service["metadata"]
        if not port:
            continue
        endpoints = cluster.get("Endpoints", meta["namespace"], meta["name"]) or {}
        local = {
            a["ip"] for s in endpoints.get("subsets", []) for a in s.get("addresses", []) if a.get("nodeName") == node
        }
        servers.append(
            Server(
                node,
                "health-check",
                port,
                "tcp",
                (("namespace", meta["namespace"]), ("service", meta["name"]), ("endpoints", str(len(local)))),
            )
        )
    return tuple(servers)


def vxlan_device(other: int) -> str:
    return f"vx-{node_name(other)}"


def vxlan_interface(index: int, other: int) -> Interface:
    low, high = sorted((index, other))
    return Interface(
        vxlan_device(other),
        kind="vxlan",
        mtu=1500,
        addresses=(f"{addresses.node_pod_cidr(index).network_address}/32",),
        vxlan=Vxlan(
            vni=4096 + low * 16 + high,
            dev="eth0",
            local=addresses.node_address(index),
            remote=addresses.node_address(other),
            port=VXLAN_PORT,
            learning=False,
        ),
    )


def pod_egress(mode: str) -> str:
    """Pods reach the outside with their node's address (what the internet sees)."""
    pods = str(addresses.POD_CIDR)
    match = f"ip saddr {pods}" if mode == "nat" else f"ip saddr {pods} ip daddr != {pods}"
    return (
        "\tchain pod-egress {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
        f'\t\t{match} oifname "eth0" masquerade comment "pod egress: SNAT to the node address"\n\t}}'
    )


def port_mappings(index: int, pods: list[dict]) -> str:
    """Node address and port -> pod: hostPorts (the CNI's portmap), and the bad way's only door between
    nodes, as ``docker run -p``."""
    rules = []
    node_ip = addresses.node_address(index)
    for pod in sorted(pods, key=lambda p: (p["metadata"]["namespace"], p["metadata"]["name"])):
        for mapping in published_ports(pod):
            host_port, protocol, target = mapping
            rules.append(
                f"ip daddr {node_ip} {protocol} dport {host_port} dnat ip to {target} "
                f'comment "{pod["metadata"]["namespace"]}/{pod["metadata"]["name"]}"'
            )
    body = "".join(f"\t\t{r}\n" for r in rules)
    return (
        "\tchain port-mapping {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n"
        f"{body}\t}}\n\tchain port-mapping-local {{\n\t\ttype nat hook output priority -100; policy accept;\n"
        f"{body}\t}}"
    )


def published_ports(pod: dict) -> list[tuple[int, str, str]]:
    """Read the (host port, protocol, pod ip:port) mappings the controllers published for a pod."""
    text = pod["metadata"].get("annotations", {}).get("podpath.dev/published-ports", "")
    out = []
    for item in filter(None, text.split(",")):
        # "172.18.0.3:8080->80/TCP"
        left, _, right = item.strip().partition("->")
        port, _, protocol = right.partition("/")
        out.append((int(left.rsplit(":", 1)[1]), protocol.lower(), f"{pod['status']['podIP']}:{port}"))
    return out


def pod_namespace(pod: dict, host: str, index: int, servers: tuple[Server, ...]) -> Host:
    meta = pod["metadata"]
    ip = pod["status"]["podIP"]
    hostname = pod["spec"].get("hostname", meta["name"])
    search = f"{meta['namespace']}.svc.cluster.local svc.cluster.local cluster.local"
    return Host(
        host,
        role="pod",
        inside=node_name(index),
        label=f"pod {meta['namespace']}/{meta['name']}",
        interfaces=(Interface("eth0", addresses=(f"{ip}/24",)),),
        routes=(Route(dst="0.0.0.0/0", via=addresses.node_gateway(index)),),
        servers=servers,
        resolv_conf=f"search {search}\nnameserver {addresses.CLUSTER_DNS_IP}\noptions ndots:5\n",
        hosts_file=(f"# Kubernetes-managed hosts file (written by Podpath).\n127.0.0.1\tlocalhost\n{ip}\t{hostname}\n"),
    )
