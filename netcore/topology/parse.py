"""Parse and validate a topology document (the ``topology:`` of a lab step) into a Topology.

Pure. Validation is whole before anything is built: a malformed document raises SpecError naming the
source file, the field path and what was expected there.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from netcore import names
from netcore.errors import InvalidName
from netcore.topology.model import (
    DEFAULT_ROUTE,
    Endpoint,
    Host,
    Interface,
    Link,
    NatRule,
    Route,
    Server,
    Topology,
    Vxlan,
)
from netcore.topology.reader import Node
from netcore.topology.sysctls import SETTABLE
from netcore.workloads.catalog import CATALOG, catalog_names

ROLES = (
    "host",
    "machine",
    "switch",
    "hypervisor",
    "vm",
    "container",
    "router",
    "internet",
    "node",
    "pod",
    "client",
    "service",
)
INTERFACE_KINDS = ("veth", "bridge", "vxlan")
NAT_KINDS = ("masquerade", "snat", "dnat")
PROTOCOLS = ("tcp", "udp")


def parse_topology(document: Any, source: str, field: str = "topology") -> Topology:
    """Return the Topology a document describes, or raise SpecError."""
    root = Node(source, field, document)
    top = root.mapping({"hosts", "links"}, required={"hosts"})
    hosts = tuple(parse_host(name, node) for name, node in top["hosts"].mapping().items())
    if not hosts:
        raise top["hosts"].fail("at least one host")
    links = tuple(parse_link(node) for node in top.get("links", root.child("links", None)).items())
    topology = Topology(hosts=hosts, links=links)
    check_topology(topology, root)
    return topology


def parse_host(name: str, node: Node) -> Host:
    checked_name(node, names.check_host_name, name)
    fields = node.mapping({"role", "inside", "label", "interfaces", "routes", "nat", "sysctls", "servers"})
    get = lambda key: fields.get(key, node.child(key, None))  # noqa: E731
    interfaces = tuple(parse_interface(ifname, ifnode) for ifname, ifnode in get("interfaces").mapping().items())
    return Host(
        name=name,
        role=get("role").choice(ROLES) if "role" in fields else "host",
        inside=get("inside").optional_text(),
        label=get("label").optional_text(),
        interfaces=interfaces,
        routes=tuple(parse_route(r) for r in get("routes").items()),
        nat=tuple(parse_nat(r) for r in get("nat").items()),
        sysctls=tuple(parse_sysctls(get("sysctls"))),
        servers=tuple(parse_server(name, s) for s in get("servers").items()),
    )


def parse_interface(ifname: str, node: Node) -> Interface:
    checked_name(node, names.check_ifname, ifname)
    if ifname == "lo":
        raise node.fail("'lo' is managed by Podpath and cannot be declared")
    fields = node.mapping({"kind", "address", "addresses", "master", "up", "mtu", "vxlan", "hairpin"})
    kind = fields["kind"].choice(INTERFACE_KINDS) if "kind" in fields else "veth"
    addresses: list[str] = []
    if "address" in fields:
        addresses.append(fields["address"].interface_address())
    addresses += [a.interface_address() for a in fields.get("addresses", node.child("addresses", None)).items()]
    if len(set(addresses)) != len(addresses):
        raise node.child("addresses", addresses).fail("each address once")
    vxlan = None
    if kind == "vxlan":
        if "vxlan" not in fields:
            raise node.child("vxlan", None).fail("the tunnel's settings (vni, dev, remote) for kind vxlan")
        vxlan = parse_vxlan(fields["vxlan"])
    elif "vxlan" in fields:
        raise fields["vxlan"].fail("vxlan settings only on an interface of kind vxlan")
    master = fields["master"].text() if "master" in fields else None
    hairpin = fields["hairpin"].boolean() if "hairpin" in fields else False
    if hairpin and master is None:
        raise fields["hairpin"].fail("a bridge port: hairpin needs 'master'")
    return Interface(
        name=ifname,
        kind=kind,
        addresses=tuple(addresses),
        master=master,
        up=fields["up"].boolean() if "up" in fields else True,
        mtu=fields["mtu"].integer(576, 9000) if "mtu" in fields else None,
        vxlan=vxlan,
        hairpin=hairpin,
    )


def parse_vxlan(node: Node) -> Vxlan:
    fields = node.mapping({"vni", "dev", "local", "remote", "port", "learning"}, required={"vni"})
    return Vxlan(
        vni=fields["vni"].integer(1, 16777215),
        dev=fields["dev"].text() if "dev" in fields else None,
        local=fields["local"].ipv4() if "local" in fields else None,
        remote=fields["remote"].ipv4() if "remote" in fields else None,
        port=fields["port"].integer(1, 65535) if "port" in fields else 4789,
        learning=fields["learning"].boolean() if "learning" in fields else True,
    )


def parse_route(node: Node) -> Route:
    fields = node.mapping({"to", "via", "dev", "metric", "onlink"}, required={"to"})
    if "via" not in fields and "dev" not in fields:
        raise node.fail("a route needs 'via' (a gateway) or 'dev' (an interface)")
    onlink = fields["onlink"].boolean() if "onlink" in fields else False
    if onlink and ("dev" not in fields or "via" not in fields):
        raise fields["onlink"].fail("'via' and 'dev' with onlink (the gateway is on that device)")
    return Route(
        dst=fields["to"].network(),
        via=fields["via"].ipv4() if "via" in fields else None,
        dev=fields["dev"].text() if "dev" in fields else None,
        metric=fields["metric"].integer(0, 65535) if "metric" in fields else 0,
        onlink=onlink,
    )


def parse_nat(node: Node) -> NatRule:
    fields = node.mapping(
        {"type", "source", "destination", "out", "in", "protocol", "port", "to", "comment"}, required={"type"}
    )
    kind = fields["type"].choice(NAT_KINDS)
    rule = NatRule(
        kind=kind,
        source=fields["source"].network() if "source" in fields else None,
        destination=fields["destination"].ipv4() if "destination" in fields else None,
        out_if=fields["out"].text() if "out" in fields else None,
        in_if=fields["in"].text() if "in" in fields else None,
        protocol=fields["protocol"].choice(PROTOCOLS) if "protocol" in fields else None,
        port=fields["port"].integer(1, 65535) if "port" in fields else None,
        to=parse_nat_target(fields["to"], kind) if "to" in fields else None,
        comment=fields["comment"].text() if "comment" in fields else None,
    )
    if kind in ("masquerade", "snat") and not rule.out_if:
        raise node.child("out", None).fail(f"the interface packets leave by, for {kind}")
    if kind in ("snat", "dnat") and not rule.to:
        raise node.child("to", None).fail(f"the address to translate to, for {kind}")
    if kind == "dnat" and (rule.port is None) != (rule.protocol is None):
        raise node.fail("'protocol' and 'port' together (a port is matched for one protocol)")
    return rule


def parse_nat_target(node: Node, kind: str) -> str:
    text = node.text()
    address, _, port = text.partition(":")
    try:
        ipaddress.IPv4Address(address)
        if port and not 1 <= int(port) <= 65535:
            raise ValueError
    except ValueError:
        raise node.fail(
            f"an address like 10.0.0.2{' or 10.0.0.2:80' if kind == 'dnat' else ''}, got {text!r}"
        ) from None
    if port and kind != "dnat":
        raise node.fail(f"an address without a port for {kind}, got {text!r}")
    return text


def parse_sysctls(node: Node) -> list[tuple[str, str]]:
    out = []
    for key, value_node in node.mapping().items():
        if key not in SETTABLE:
            raise value_node.fail(f"a sysctl Podpath manages: {', '.join(sorted(SETTABLE))}")
        value = str(value_node.value)
        if value not in SETTABLE[key]:
            raise value_node.fail(f"one of {', '.join(SETTABLE[key])}, got {value_node.value!r}")
        out.append((key, value))
    return sorted(out)


def parse_server(host: str, node: Node) -> Server:
    fields = node.mapping({"kind", "port", "protocol", "text"}, required={"kind", "port"})
    kind_name = fields["kind"].text()
    kind = CATALOG.get(kind_name)
    if kind is None:
        raise fields["kind"].fail(f"a server kind from the catalog: {', '.join(catalog_names())}")
    protocol = fields["protocol"].choice(kind.protocols) if "protocol" in fields else kind.protocols[0]
    options = []
    for key in ("text",):
        if key in fields:
            if key not in kind.options:
                raise fields[key].fail(f"no '{key}' option for a {kind_name} server")
            options.append((key, fields[key].text()))
    return Server(
        host=host, kind=kind_name, port=fields["port"].integer(1, 65535), protocol=protocol, options=tuple(options)
    )


def parse_link(node: Node) -> Link:
    ends = node.items()
    if len(ends) != 2:
        raise node.fail("a pair of ends like [m1:eth0, switch:p1]")
    return Link(*(parse_endpoint(e) for e in ends))


def parse_endpoint(node: Node) -> Endpoint:
    host, sep, ifname = node.text().partition(":")
    if not sep:
        raise node.fail(f"an end like host:ifname, got {node.value!r}")
    checked_name(node, names.check_host_name, host)
    checked_name(node, names.check_ifname, ifname)
    return Endpoint(host, ifname)


def checked_name(node: Node, check: Callable[[str], str], value: str) -> None:
    try:
        check(value)
    except InvalidName as error:
        raise node.fail(str(error)) from None


# -- whole-topology checks ------------------------------------------------------------------------


def check_topology(topology: Topology, root: Node) -> None:
    """Check what only the whole document can tell: references between hosts, links and interfaces."""
    hosts = {h.name: h for h in topology.hosts}
    at = lambda *path: _path_node(root, *path)  # noqa: E731
    for host in topology.hosts:
        if host.inside is not None and host.inside not in hosts:
            raise at("hosts", host.name, "inside").fail(f"the name of a host, got {host.inside!r}")
    check_inside_cycles(topology, at)

    linked: dict[Endpoint, int] = {}
    for index, link in enumerate(topology.links):
        for position, end in enumerate(link.ends()):
            owner = hosts.get(end.host)
            where = at("links", index, position)
            if owner is None:
                raise where.fail(f"an end on a declared host, but there is no host {end.host!r}")
            declared = owner.interface(end.ifname)
            if declared is not None and declared.kind != "veth":
                raise where.fail(f"a veth end, but {end} is a {declared.kind}")
            if end in linked:
                raise where.fail(f"each interface in one link only; {end} is already in links[{linked[end]}]")
            linked[end] = index
        if link.a == link.b:
            raise at("links", index).fail("two different ends")

    for host in topology.hosts:
        check_host(host, linked, at)


def check_inside_cycles(topology: Topology, at: Callable[..., Node]) -> None:
    parents = {h.name: h.inside for h in topology.hosts}
    for start in parents:
        seen: set[str] = set()
        current: str | None = start
        while current is not None:
            if current in seen:
                raise at("hosts", start, "inside").fail("hosts drawn inside each other without a cycle")
            seen.add(current)
            current = parents.get(current)


def check_host(host: Host, linked: dict[Endpoint, int], at: Callable[..., Node]) -> None:
    interfaces = {i.name: i for i in host.interfaces}
    # Interfaces only named by a link are implicit veth ends.
    all_ifnames = set(interfaces) | {e.ifname for e in linked if e.host == host.name}
    for iface in host.interfaces:
        where = at("hosts", host.name, "interfaces", iface.name)
        if iface.kind == "veth" and Endpoint(host.name, iface.name) not in linked:
            raise where.fail("a link to it in 'links' (a veth always has a peer), or kind bridge or vxlan")
        if iface.master is not None:
            bridge = interfaces.get(iface.master)
            if bridge is None or bridge.kind != "bridge":
                raise where.child("master", iface.master).fail(
                    f"the name of a bridge on host {host.name}, got {iface.master!r}"
                )
            if iface.kind == "bridge":
                raise where.child("master", iface.master).fail("no master on a bridge itself")
        if iface.vxlan is not None and iface.vxlan.dev is not None and iface.vxlan.dev not in all_ifnames:
            raise (
                where.child("vxlan", None)
                .child("dev", iface.vxlan.dev)
                .fail(f"an interface of host {host.name}, got {iface.vxlan.dev!r}")
            )
    for index, route in enumerate(host.routes):
        where = at("hosts", host.name, "routes", index)
        if route.dev is not None and route.dev not in all_ifnames:
            raise where.child("dev", route.dev).fail(f"an interface of host {host.name}, got {route.dev!r}")
        if route.dev is not None and route.dev in interfaces and not interfaces[route.dev].up:
            raise where.child("dev", route.dev).fail(
                "an interface that is up (the kernel drops routes of a down interface)"
            )
        if route.via is not None and not route.onlink and route_device(host, route) is None:
            raise where.child("via", route.via).fail(f"a gateway on a subnet of one of {host.name}'s up interfaces")
    for index, rule in enumerate(host.nat):
        where = at("hosts", host.name, "nat", index)
        for key, ifname in (("out", rule.out_if), ("in", rule.in_if)):
            if ifname is not None and ifname not in all_ifnames:
                raise where.child(key, ifname).fail(f"an interface of host {host.name}, got {ifname!r}")
    seen_ports: set[tuple[str, int]] = set()
    for index, server in enumerate(host.servers):
        port_key = (server.protocol, server.port)
        if port_key in seen_ports:
            raise at("hosts", host.name, "servers", index).fail(
                f"one server per port; {server.protocol}/{server.port} is taken"
            )
        seen_ports.add(port_key)


def route_device(host: Host, route: Route) -> str | None:
    """Return the interface a route leaves by: its dev, or the up interface whose subnet holds the gateway."""
    if route.dev is not None:
        return route.dev
    gateway = ipaddress.IPv4Address(route.via)
    for iface in host.interfaces:
        if not iface.up:
            continue
        for address in iface.addresses:
            if gateway in ipaddress.IPv4Interface(address).network:
                return iface.name
    return None


def _path_node(root: Node, *path: str | int) -> Node:
    node = Node(root.source, root.path, None)
    for key in path:
        node = node.child(key, None)
    return node


__all__ = ["parse_topology", "route_device", "DEFAULT_ROUTE"]
