"""Read a sandbox's actual State from the kernel: devices, addresses, routes, sysctls, tables, files.

Asks the kernel, never a cache: the planner compares this with the desired State, so whatever changed
behind Podpath's back (a student's ``ip link set down``) is repaired by the next reconcile. Servers are
read from the workload runner by the caller.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from netcore import names
from netcore.kernel import netlink, netns, nft
from netcore.kernel.messages import PEER_ALIAS_PREFIX, RT_TABLE_MAIN, dump_addresses, dump_links, dump_routes
from netcore.state import Address, Device, RouteFact, Ruleset, State
from netcore.topology.model import Endpoint, Vxlan
from netcore.topology.sysctls import BASE, sysctl_path

IFF_UP = 0x1
IFF_LOOPBACK = 0x8
RTPROT_KERNEL = 2
RTN_UNICAST = 1


@dataclass
class HostChannels:
    """The sockets one namespace's reads and writes go through."""

    route: netlink.Channel
    netfilter: netlink.Channel

    def close(self) -> None:
        self.route.close()
        self.netfilter.close()


def open_channels(namespace: str) -> tuple[HostChannels, dict[str, str]]:
    """Open a namespace's sockets and read its managed sysctls in the same visit."""
    fd = netns.open_fd(namespace)
    try:
        with netns.entered(fd):
            channels = HostChannels(netlink.Channel(netlink.NETLINK_ROUTE), netlink.Channel(netlink.NETLINK_NETFILTER))
            sysctls = {key: read_sysctl(key) for key in BASE}
    finally:
        os.close(fd)
    return channels, sysctls


def read_sysctl(key: str) -> str:
    with open(sysctl_path(key)) as handle:
        return handle.read().strip()


def read_state(sandbox: str, channels: dict[str, HostChannels] | None = None) -> State:
    """Return everything Podpath manages in ``sandbox`` as the kernel has it (servers excluded)."""
    prefix = names.sandbox_prefix(sandbox)
    hosts: set[str] = set()
    devices: dict[Endpoint, Device] = {}
    addresses: set[Address] = set()
    routes: set[RouteFact] = set()
    sysctls: dict[tuple[str, str], str] = {}
    rulesets: dict[str, Ruleset] = {}
    files: dict[tuple[str, str], str] = {}
    owned = channels if channels is not None else {}
    try:
        for namespace in netns.list_names(prefix):
            host = namespace[len(prefix):]
            hosts.add(host)
            if host in owned:
                chan = owned[host]
                fd = netns.open_fd(namespace)
                try:
                    with netns.entered(fd):
                        values = {key: read_sysctl(key) for key in BASE}
                finally:
                    os.close(fd)
            else:
                chan, values = open_channels(namespace)
                owned[host] = chan
            sysctls.update({(host, key): value for key, value in values.items()})
            index_names = read_devices(host, chan.route, devices)
            read_addresses(host, chan.route, index_names, addresses)
            read_routes(host, chan.route, index_names, routes)
            digest = nft.loaded_digest(chan.netfilter)
            if digest is not None:
                rulesets[host] = Ruleset(digest)
            files.update(read_netns_files(namespace, host))
    finally:
        if channels is None:
            for chan in owned.values():
                chan.close()
    return State(hosts=frozenset(hosts), devices=devices, addresses=frozenset(addresses),
                 routes=frozenset(routes), sysctls=sysctls, rulesets=rulesets, files=files)


def read_devices(host: str, channel: netlink.Channel, devices: dict[Endpoint, Device]) -> dict[int, str]:
    msg, msg_type, decoder = dump_links()
    links = channel.dump(msg, msg_type, decoder)
    index_names = {link["index"]: link.get_attr("IFLA_IFNAME") for link in links}
    for link in links:
        name = index_names[link["index"]]
        up = bool(link["flags"] & IFF_UP)
        if link["flags"] & IFF_LOOPBACK:
            devices[Endpoint(host, name)] = Device(kind="loopback", up=up)
            continue
        info = link.get_attr("IFLA_LINKINFO")
        kind = (info.get_attr("IFLA_INFO_KIND") if info else None) or "other"
        alias = link.get_attr("IFLA_IFALIAS") or ""
        peer = None
        if kind == "veth" and alias.startswith(PEER_ALIAS_PREFIX):
            peer_host, _, peer_if = alias[len(PEER_ALIAS_PREFIX):].partition(":")
            peer = Endpoint(peer_host, peer_if)
        master = link.get_attr("IFLA_MASTER")
        devices[Endpoint(host, name)] = Device(
            kind=kind,
            mac=link.get_attr("IFLA_ADDRESS"),
            peer=peer,
            vxlan=read_vxlan(info, index_names) if kind == "vxlan" else None,
            mtu=link.get_attr("IFLA_MTU"),
            up=up,
            master=index_names.get(master) if master else None,
        )
    return index_names


def read_vxlan(info, index_names: dict[int, str]) -> Vxlan:
    data = info.get_attr("IFLA_INFO_DATA")
    get = data.get_attr
    dev = get("IFLA_VXLAN_LINK")
    return Vxlan(
        vni=get("IFLA_VXLAN_ID"),
        dev=index_names.get(dev) if dev else None,
        local=get("IFLA_VXLAN_LOCAL"),
        remote=get("IFLA_VXLAN_GROUP"),
        port=get("IFLA_VXLAN_PORT"),
        learning=bool(get("IFLA_VXLAN_LEARNING")),
    )


def read_addresses(host: str, channel: netlink.Channel, index_names: dict[int, str], out: set[Address]) -> None:
    msg, msg_type, decoder = dump_addresses()
    for addr in channel.dump(msg, msg_type, decoder):
        ifname = index_names.get(addr["index"])
        if ifname is None or ifname == "lo":
            continue
        local = addr.get_attr("IFA_LOCAL") or addr.get_attr("IFA_ADDRESS")
        out.add(Address(Endpoint(host, ifname), f"{local}/{addr['prefixlen']}"))


def read_routes(host: str, channel: netlink.Channel, index_names: dict[int, str], out: set[RouteFact]) -> None:
    msg, msg_type, decoder = dump_routes()
    for route in channel.dump(msg, msg_type, decoder):
        table = route.get_attr("RTA_TABLE") or route["table"]
        if table != RT_TABLE_MAIN or route["proto"] == RTPROT_KERNEL or route["type"] != RTN_UNICAST:
            continue
        dst = route.get_attr("RTA_DST") or "0.0.0.0"
        out.add(RouteFact(
            host=host,
            dst=f"{dst}/{route['dst_len']}",
            dev=index_names.get(route.get_attr("RTA_OIF"), "?"),
            via=route.get_attr("RTA_GATEWAY"),
            metric=route.get_attr("RTA_PRIORITY") or 0,
        ))


def read_netns_files(namespace: str, host: str) -> dict[tuple[str, str], str]:
    directory = names.etc_netns_dir(namespace)
    out = {}
    try:
        entries = os.listdir(directory)
    except FileNotFoundError:
        return out
    for name in entries:
        path = directory / name
        if path.is_file():
            out[(host, name)] = path.read_text()
    return out
