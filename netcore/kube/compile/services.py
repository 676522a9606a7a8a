"""The Service compiler: Services and their endpoints -> each node's nftables chains, as kube-proxy's
nftables mode writes them.

Pure. One set of chains per node, inside the node's own table (``inet podpath``), loaded in one
transaction with the rest of the node's rules. The structure follows kube-proxy (pkg/proxy/nftables):

    nat-prerouting / nat-output (dstnat)  -> services: a verdict map keyed by
                                             (address . protocol . port) -> service-... chain
    service-<hash>-ns/name/proto/port     -> masquerade mark for traffic from outside the pod network,
                                             ClientIP affinity, then numgen random over the endpoints
                                             (with internalTrafficPolicy Local: this node's only, and
                                             external traffic goes to cluster-<hash>-... over all)
    endpoint-<hash>-...__ip/port          -> hairpin mark, affinity update, DNAT to the pod
    external-<hash>-...                   -> NodePort / LoadBalancer entry: with externalTrafficPolicy
                                             Cluster mark for masquerade; with Local keep the client
                                             address and use only this node's endpoints
    filter-* (priority -110, before NAT)  -> reject connections to Services without endpoints at once
    firewall-<hash>-...                   -> a LoadBalancer's loadBalancerSourceRanges: drop other sources
                                             (only on nodes where some Service has them)
    nat-postrouting (srcnat)              -> masquerade what was marked, then pod egress SNAT

Chain names carry the Service, so a trace (and the packet walk) can say which Service rewrote a packet.
"""

from __future__ import annotations

import base64
import ipaddress
from dataclasses import dataclass

from netcore.kube import addresses
from netcore.kube.naming import digest
from netcore.kube.store import Cluster

MASQ_MARK = "0x4000"


@dataclass(frozen=True, order=True)
class Endpoint:
    ip: str
    port: int
    node: str


@dataclass(frozen=True)
class ServicePort:
    """One port of one Service with everything the datapath needs."""

    namespace: str
    service: str
    port_name: str
    protocol: str  # tcp | udp
    cluster_ip: str | None  # None for headless
    port: int
    node_port: int | None
    load_balancer_ips: tuple[str, ...]  # and spec.externalIPs: kube-proxy treats both as external addresses
    external_local: bool
    affinity_timeout: int | None
    endpoints: tuple[Endpoint, ...]
    internal_local: bool = False
    source_ranges: tuple[str, ...] = ()  # loadBalancerSourceRanges, for the LoadBalancer's own addresses
    balancer_ips: tuple[str, ...] = ()  # those addresses (load_balancer_ips holds externalIPs too)

    @property
    def cluster_chain(self) -> str:
        """The chain that picks among every endpoint (kube-proxy's cluster policy chain)."""
        return self.chain("cluster") if self.internal_local else self.chain("service")

    @property
    def ident(self) -> str:
        return f"{self.namespace}/{self.service}/{self.protocol}/{self.port_name}"

    def chain(self, prefix: str) -> str:
        return f"{prefix}-{short_hash(prefix, self.ident)}-{self.ident}"

    def endpoint_chain(self, endpoint: Endpoint) -> str:
        ident = f"{self.ident}__{endpoint.ip}/{endpoint.port}"
        return f"endpoint-{short_hash('endpoint', ident)}-{ident}"

    def affinity_set(self, endpoint: Endpoint) -> str:
        return f"affinity-{short_hash('affinity', self.ident, endpoint.ip, str(endpoint.port))}"


def short_hash(*parts: str) -> str:
    """Eight characters that keep long chain names unique, as kube-proxy's names do."""
    return base64.b32encode(digest(*parts)[:5]).decode()


def render_service_chains(ports: list[ServicePort], node: str, pod_cidr: str = str(addresses.POD_CIDR)) -> str:
    """Return the kube-proxy-style chains, sets and maps for one node."""
    ports = sorted((p for p in ports if p.cluster_ip), key=lambda p: p.ident)
    out: list[str] = []
    cluster_ips = sorted({sp.cluster_ip for sp in ports if sp.cluster_ip})
    service_ips, nodeports, no_ep, no_ep_nodeports = [], [], [], []
    for sp in ports:
        key = f"{sp.cluster_ip} . {sp.protocol} . {sp.port}"
        if not sp.endpoints:
            no_ep.append(f'{key} comment "{sp.ident}" : goto reject-chain')
            for ip in sp.load_balancer_ips:
                no_ep.append(f'{ip} . {sp.protocol} . {sp.port} comment "{sp.ident}" : goto reject-chain')
            if sp.node_port:
                no_ep_nodeports.append(f'{sp.protocol} . {sp.node_port} comment "{sp.ident}" : goto reject-chain')
            continue
        service_ips.append(f'{key} comment "{sp.ident}" : goto {sp.chain("service")}')
        has_external = bool(sp.node_port or sp.load_balancer_ips)
        if has_external:
            entry = "goto " + sp.chain("external")
            for ip in sp.load_balancer_ips:
                service_ips.append(f'{ip} . {sp.protocol} . {sp.port} comment "{sp.ident}" : {entry}')
            if sp.node_port:
                nodeports.append(f'{sp.protocol} . {sp.node_port} comment "{sp.ident}" : {entry}')
        out += render_service(sp, node, pod_cidr, has_external)
        if has_external:
            out += render_external(sp, node, pod_cidr)
        for endpoint in sp.endpoints:
            out += render_endpoint(sp, endpoint)
    head = [
        set_block("cluster-ips", "ipv4_addr", cluster_ips),
        map_block("service-ips", "ipv4_addr . inet_proto . inet_service : verdict", service_ips),
        map_block("service-nodeports", "inet_proto . inet_service : verdict", nodeports),
        map_block("no-endpoint-services", "ipv4_addr . inet_proto . inet_service : verdict", no_ep),
        map_block("no-endpoint-nodeports", "inet_proto . inet_service : verdict", no_ep_nodeports),
    ]
    head += [affinity_set(sp, e) for sp in ports if sp.affinity_timeout and sp.endpoints for e in sp.endpoints]
    return "\n".join(head + BASE_CHAINS + out + render_firewalls(ports))


def render_firewalls(ports: list[ServicePort]) -> list[str]:
    """kube-proxy's firewall for loadBalancerSourceRanges: before any NAT, a new connection to a
    LoadBalancer address from a source outside the ranges is dropped."""
    guarded = [sp for sp in ports if sp.source_ranges and sp.balancer_ips]
    if not guarded:
        return []
    entries = [
        f'{ip} . {sp.protocol} . {sp.port} comment "{sp.ident}" : goto {sp.chain("firewall")}'
        for sp in guarded
        for ip in sp.balancer_ips
    ]
    out = [
        map_block("firewall-ips", "ipv4_addr . inet_proto . inet_service : verdict", entries),
        chain(
            "filter-prerouting-pre-dnat",
            ["ct state new ip daddr . meta l4proto . th dport vmap @firewall-ips"],
            "type filter hook prerouting priority -110; policy accept;",
        ),
    ]
    for sp in guarded:
        ranges = ", ".join(sp.source_ranges)
        out.append(
            chain(
                sp.chain("firewall"),
                [
                    f"ip saddr != {{ {ranges} }} drop comment "
                    f'"not in loadBalancerSourceRanges of {sp.namespace}/{sp.service}"'
                ],
            )
        )
    return out


def set_block(name: str, element_type: str, elements: list[str]) -> str:
    body = f"\t\telements = {{ {', '.join(elements)} }}\n" if elements else ""
    return f"\tset {name} {{\n\t\ttype {element_type}\n{body}\t}}"


def map_block(name: str, spec: str, elements: list[str]) -> str:
    body = "\t\telements = {\n" + ",\n".join(f"\t\t\t{e}" for e in elements) + "\n\t\t}\n" if elements else ""
    return f"\tmap {name} {{\n\t\ttype {spec}\n{body}\t}}"


def affinity_set(sp: ServicePort, endpoint: Endpoint) -> str:
    return (
        f"\tset {sp.affinity_set(endpoint)} {{\n\t\ttype ipv4_addr\n\t\tflags dynamic,timeout\n"
        f"\t\ttimeout {sp.affinity_timeout}s\n\t}}"
    )


def chain(name: str, rules: list[str], hook: str | None = None) -> str:
    lines = [f"\tchain {name} {{"] + ([f"\t\t{hook}"] if hook else []) + [f"\t\t{r}" for r in rules] + ["\t}"]
    return "\n".join(lines)


BASE_CHAINS = [
    chain(
        "filter-input",
        ["ct state new jump nodeport-endpoints-check", "ct state new jump service-endpoints-check"],
        "type filter hook input priority -110; policy accept;",
    ),
    chain(
        "filter-forward",
        ["ct state new jump service-endpoints-check", "ct state new jump cluster-ips-check"],
        "type filter hook forward priority -110; policy accept;",
    ),
    chain(
        "filter-output",
        ["ct state new jump service-endpoints-check"],
        "type filter hook output priority -110; policy accept;",
    ),
    chain(
        "filter-output-post-dnat",
        ["ct state new jump cluster-ips-check"],
        "type filter hook output priority -90; policy accept;",
    ),
    chain("nat-prerouting", ["jump services"], "type nat hook prerouting priority dstnat; policy accept;"),
    chain("nat-output", ["jump services"], "type nat hook output priority -100; policy accept;"),
    chain("nat-postrouting", ["jump masquerading"], "type nat hook postrouting priority srcnat; policy accept;"),
    chain("mark-for-masquerade", [f"meta mark set meta mark | {MASQ_MARK}"]),
    chain(
        "masquerading",
        [f"meta mark & {MASQ_MARK} == 0 return", f"meta mark set meta mark ^ {MASQ_MARK}", "masquerade fully-random"],
    ),
    chain(
        "services",
        [
            "ip daddr . meta l4proto . th dport vmap @service-ips",
            "fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports",
        ],
    ),
    chain("service-endpoints-check", ["ip daddr . meta l4proto . th dport vmap @no-endpoint-services"]),
    chain(
        "nodeport-endpoints-check",
        ["fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @no-endpoint-nodeports"],
    ),
    chain(
        "cluster-ips-check",
        [
            'ip daddr @cluster-ips reject comment "no such port on this ClusterIP"',
            f'ip daddr {addresses.SERVICE_CIDR} drop comment "unallocated ClusterIP"',
        ],
    ),
    chain("reject-chain", ['reject comment "Service without endpoints"']),
]


def render_service(sp: ServicePort, node: str, pod_cidr: str, has_external: bool) -> list[str]:
    """The ClusterIP's chain; with internalTrafficPolicy Local it picks this node's endpoints only (and
    drops what has none), and a second chain picks among all of them for external traffic."""
    rules = [f"ip daddr {sp.cluster_ip} {sp.protocol} dport {sp.port} ip saddr != {pod_cidr} jump mark-for-masquerade"]
    if not sp.internal_local:
        return [chain(sp.chain("service"), rules + pick(sp, list(sp.endpoints)))]
    local = [e for e in sp.endpoints if e.node == node]
    rules += pick(sp, local) if local else ['drop comment "internalTrafficPolicy Local: no endpoint on this node"']
    chains = [chain(sp.chain("service"), rules)]
    if has_external:
        chains.append(chain(sp.chain("cluster"), pick(sp, list(sp.endpoints))))
    return chains


def pick(sp: ServicePort, endpoints: list[Endpoint]) -> list[str]:
    """Rules choosing one of the endpoints: the client's affine one if it has one, else at random."""
    rules = (
        [f"ip saddr @{sp.affinity_set(e)} goto {sp.endpoint_chain(e)}" for e in endpoints]
        if sp.affinity_timeout
        else []
    )
    return rules + [numgen([sp.endpoint_chain(e) for e in endpoints])]


def render_external(sp: ServicePort, node: str, pod_cidr: str) -> list[str]:
    if not sp.external_local:
        return [chain(sp.chain("external"), ["jump mark-for-masquerade", f"goto {sp.cluster_chain}"])]
    local = [e for e in sp.endpoints if e.node == node]
    rules = [
        f'ip saddr {pod_cidr} goto {sp.cluster_chain} comment "pod traffic for external destinations"',
        'fib saddr type local jump mark-for-masquerade comment "masquerade local traffic"',
        f'fib saddr type local goto {sp.cluster_chain} comment "route local traffic"',
        f"goto {sp.chain('local')}",
    ]
    local_rules = (
        [numgen([sp.endpoint_chain(e) for e in local])]
        if local
        else ['drop comment "externalTrafficPolicy Local: no endpoint on this node"']
    )
    return [chain(sp.chain("external"), rules), chain(sp.chain("local"), local_rules)]


def render_endpoint(sp: ServicePort, endpoint: Endpoint) -> list[str]:
    rules = [f"ip saddr {endpoint.ip} jump mark-for-masquerade"]
    if sp.affinity_timeout:
        rules.append(f"update @{sp.affinity_set(endpoint)} {{ ip saddr }}")
    rules.append(f"meta l4proto {sp.protocol} dnat ip to {endpoint.ip}:{endpoint.port}")
    return [chain(sp.endpoint_chain(endpoint), rules)]


def numgen(chains: list[str]) -> str:
    choices = ", ".join(f"{i} : goto {name}" for i, name in enumerate(chains))
    return f"numgen random mod {len(chains)} vmap {{ {choices} }}"


def service_ports(cluster: Cluster) -> list[ServicePort]:
    """Collect every Service port with its endpoints (from the Endpoints objects the controllers derived)."""
    out = []
    for service in cluster.list("Service"):
        spec, meta = service["spec"], service["metadata"]
        cluster_ip = spec.get("clusterIP")
        if cluster_ip in (None, "", "None"):
            continue
        endpoints_obj = cluster.get("Endpoints", meta["namespace"], meta["name"]) or {}
        kind = spec.get("type", "ClusterIP")
        external = kind in ("NodePort", "LoadBalancer") or bool(spec.get("externalIPs"))
        balancers = tuple(
            i["ip"]
            for i in service.get("status", {}).get("loadBalancer", {}).get("ingress", [])
            if kind == "LoadBalancer"
        )
        outside = tuple(dict.fromkeys(balancers + tuple(spec.get("externalIPs") or ())))
        affinity = None
        if spec.get("sessionAffinity") == "ClientIP":
            affinity = spec.get("sessionAffinityConfig", {}).get("clientIP", {}).get("timeoutSeconds", 10800)
        for port in spec.get("ports", []):
            name = port.get("name", "")
            protocol = port.get("protocol", "TCP")
            endpoints = tuple(
                sorted(
                    Endpoint(address["ip"], subset_port["port"], address.get("nodeName", ""))
                    for subset in endpoints_obj.get("subsets", [])
                    for subset_port in subset.get("ports", [])
                    if subset_port.get("name", "") == name and subset_port.get("protocol", "TCP") == protocol
                    for address in subset.get("addresses", [])
                )
            )
            out.append(
                ServicePort(
                    namespace=meta["namespace"],
                    service=meta["name"],
                    port_name=name,
                    protocol=protocol.lower(),
                    cluster_ip=cluster_ip,
                    port=port["port"],
                    node_port=port.get("nodePort") if external else None,
                    load_balancer_ips=outside,
                    external_local=external and spec.get("externalTrafficPolicy") == "Local",
                    affinity_timeout=affinity,
                    endpoints=endpoints,
                    internal_local=spec.get("internalTrafficPolicy") == "Local",
                    source_ranges=tuple(
                        str(ipaddress.IPv4Network(r.strip(), strict=False))
                        for r in spec.get("loadBalancerSourceRanges") or ()
                    ),
                    balancer_ips=balancers,
                )
            )
    return out
