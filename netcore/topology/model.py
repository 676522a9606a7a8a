"""The topology model: what a lab step or a compiled cluster asks the kernel to look like.

Pure data. Hosts are network namespaces; a host's interfaces are veth ends, bridges ("switches") or
VXLAN tunnels; links pair two veth ends; NAT rules, sysctls and servers hang off hosts. Names here are
host-level (``m1``, ``eth0``); the sandbox prefix is added only by the kernel adapter.
``netcore.topology.compile`` turns a Topology into kernel-level facts (``netcore.state.State``).
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_ROUTE = "0.0.0.0/0"
VXLAN_PORT = 4789


@dataclass(frozen=True, order=True)
class Endpoint:
    """One end of something attached to a host: ``host:ifname``."""

    host: str
    ifname: str

    def __str__(self) -> str:
        return f"{self.host}:{self.ifname}"


@dataclass(frozen=True)
class Vxlan:
    """A VXLAN tunnel endpoint: packets to ``remote`` (or learnt peers) over ``dev`` on UDP ``port``."""

    vni: int
    dev: str | None = None
    local: str | None = None
    remote: str | None = None
    port: int = VXLAN_PORT
    learning: bool = True


@dataclass(frozen=True)
class Interface:
    """An interface a host declares: a veth end (the default), a bridge or a VXLAN tunnel."""

    name: str
    kind: str = "veth"
    addresses: tuple[str, ...] = ()
    master: str | None = None
    up: bool = True
    mac: str | None = None
    mtu: int | None = None
    vxlan: Vxlan | None = None
    # A bridge port in hairpin mode sends a frame back out the port it came in by: a pod reaching
    # itself through its Service needs it (the kubelet's hairpin-veth).
    hairpin: bool = False


@dataclass(frozen=True)
class Route:
    """A static route; ``dst`` is a CIDR or DEFAULT_ROUTE, reached ``via`` a gateway and/or ``dev``."""

    dst: str
    via: str | None = None
    dev: str | None = None
    metric: int = 0
    onlink: bool = False  # the gateway is reachable on ``dev`` even off its subnets (a tunnel's far end)


@dataclass(frozen=True)
class NatRule:
    """Address translation on a host, rendered into its nftables table.

    ``masquerade``/``snat`` rewrite the source of packets leaving ``out_if`` (optionally only from
    ``source``); ``dnat`` rewrites the destination of packets arriving on ``in_if`` for ``protocol``
    ``port`` to ``to`` (``ip`` or ``ip:port``), as Docker's ``-p`` does.
    """

    kind: str
    source: str | None = None
    destination: str | None = None
    out_if: str | None = None
    in_if: str | None = None
    protocol: str | None = None
    port: int | None = None
    to: str | None = None
    comment: str | None = None


@dataclass(frozen=True)
class Server:
    """A built-in workload listening inside a host: ``kind`` names it in the workload catalog."""

    host: str
    kind: str
    port: int
    protocol: str = "tcp"
    options: tuple[tuple[str, str], ...] = ()

    def option(self, key: str, default: str = "") -> str:
        """Return one option's value, or ``default``."""
        return dict(self.options).get(key, default)

    def summary(self) -> str:
        return f"{self.kind} server on {self.host} {self.protocol}/{self.port}"


@dataclass(frozen=True)
class Host:
    """A network namespace and everything configured inside it.

    ``role`` and ``inside`` only shape the picture: a container drawn inside its host, a VM inside its
    hypervisor. ``nft`` holds extra nftables chains compiled by higher layers (Services, policies);
    ``resolv_conf`` and ``hosts_file`` replace the default /etc files (a lab host has no DNS server;
    a pod's hosts file names only itself, as the kubelet writes it).
    """

    name: str
    role: str = "host"
    inside: str | None = None
    label: str | None = None
    interfaces: tuple[Interface, ...] = ()
    routes: tuple[Route, ...] = ()
    nat: tuple[NatRule, ...] = ()
    sysctls: tuple[tuple[str, str], ...] = ()
    servers: tuple[Server, ...] = ()
    nft: tuple[str, ...] = ()
    resolv_conf: str | None = None
    hosts_file: str | None = None

    def interface(self, name: str) -> Interface | None:
        """Return the declared interface called ``name``, if any."""
        return next((i for i in self.interfaces if i.name == name), None)


@dataclass(frozen=True)
class Link:
    """A veth pair: a cable between two hosts (or two interfaces of one host)."""

    a: Endpoint
    b: Endpoint

    def ends(self) -> tuple[Endpoint, Endpoint]:
        return (self.a, self.b)


@dataclass(frozen=True)
class Topology:
    """A whole desired state: hosts and the links between them."""

    hosts: tuple[Host, ...] = ()
    links: tuple[Link, ...] = ()
    # Sandbox-wide files for workloads (e.g. the cluster DNS records), by name.
    data: tuple[tuple[str, str], ...] = ()

    def host(self, name: str) -> Host | None:
        """Return the host called ``name``, if any."""
        return next((h for h in self.hosts if h.name == name), None)

    def host_names(self) -> list[str]:
        return [h.name for h in self.hosts]

    def peer_of(self, end: Endpoint) -> Endpoint | None:
        """Return the other end of the link attached at ``end``, if one is."""
        for link in self.links:
            if link.a == end:
                return link.b
            if link.b == end:
                return link.a
        return None
