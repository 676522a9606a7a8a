"""Compile a Topology into the kernel-level State the planner compares against what the kernel has.

Pure. Fills in everything the author leaves implicit: ``lo`` in every host, veth ends named only by a
link, stable MAC addresses, the device each route leaves by, the managed sysctls, the nftables table,
and the /etc/netns files.
"""

from __future__ import annotations

from netcore import names
from netcore.render.netns_files import render_hosts_file, render_resolv_conf
from netcore.render.nftables import digest_of, render_ruleset
from netcore.state import Address, Device, RouteFact, Ruleset, State
from netcore.topology.model import Endpoint, Topology
from netcore.topology.parse import route_device
from netcore.topology.sysctls import base_sysctls

LOOPBACK = Device(kind="loopback", up=True)
# Every device gets an explicit MTU: a bridge left to itself follows its ports' MTU, which would make
# the same step read back differently depending on what was attached first.
DEFAULT_MTU = {"veth": 1500, "bridge": 1500, "vxlan": 1450}
NETNS_FILES = ("resolv.conf", "hosts")


def compile_state(topology: Topology) -> State:
    """Return every kernel fact the topology implies."""
    devices: dict[Endpoint, Device] = {}
    addresses: set[Address] = set()
    routes: set[RouteFact] = set()
    sysctls: dict[tuple[str, str], str] = {}
    rulesets: dict[str, Ruleset] = {}
    files: dict[tuple[str, str], str] = {}
    hosts_file = render_hosts_file(topology)
    peers = {end: peer for link in topology.links for end, peer in ((link.a, link.b), (link.b, link.a))}

    for host in topology.hosts:
        devices[Endpoint(host.name, "lo")] = LOOPBACK
        for iface in host.interfaces:
            end = Endpoint(host.name, iface.name)
            devices[end] = Device(
                kind=iface.kind,
                mac=iface.mac or names.mac_address(host.name, iface.name),
                peer=peers.get(end) if iface.kind == "veth" else None,
                vxlan=iface.vxlan,
                mtu=iface.mtu or DEFAULT_MTU[iface.kind],
                up=iface.up,
                master=iface.master,
                hairpin=iface.hairpin,
            )
            addresses.update(Address(end, cidr) for cidr in iface.addresses)
        for route in host.routes:
            dev = route_device(host, route)
            if dev is None:  # parse_topology refuses a route that leaves by no interface
                raise ValueError(f"route {route.dst} on host {host.name} leaves by no interface")
            routes.add(
                RouteFact(
                    host=host.name,
                    dst=route.dst,
                    dev=dev,
                    via=route.via,
                    metric=route.metric,
                    onlink=route.onlink,
                )
            )
        for key, value in {**base_sysctls(), **dict(host.sysctls)}.items():
            sysctls[(host.name, key)] = value
        text = render_ruleset(host)
        if text is not None:
            rulesets[host.name] = Ruleset(digest=digest_of(text), text=text)
        files[(host.name, "resolv.conf")] = render_resolv_conf(host)
        files[(host.name, "hosts")] = host.hosts_file if host.hosts_file is not None else hosts_file

    # Veth ends named only by a link: up, no address, no master.
    for link in topology.links:
        for end, peer in ((link.a, link.b), (link.b, link.a)):
            if end not in devices:
                devices[end] = Device(
                    kind="veth", mac=names.mac_address(end.host, end.ifname), peer=peer, mtu=DEFAULT_MTU["veth"]
                )

    return State(
        hosts=frozenset(topology.host_names()),
        devices=devices,
        addresses=frozenset(addresses),
        routes=frozenset(routes),
        sysctls=sysctls,
        rulesets=rulesets,
        files=files,
        servers=frozenset(s for host in topology.hosts for s in host.servers),
        data=dict(topology.data),
    )
