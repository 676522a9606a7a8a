"""Read a sandbox's actual State from the kernel: devices, addresses, routes, sysctls, tables, files.

Asks the kernel, never a cache: the planner compares this with the desired State, so whatever changed
behind Podpath's back (a student's ``ip link set down``) is repaired by the next reconcile. Servers are
read from the workload runner by the caller.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from netcore import names
from netcore.kernel import decode, netlink, netns, nft
from netcore.kernel.messages import (
    RT_TABLE_MAIN,
    RTNH_F_ONLINK,
    dump_addresses,
    dump_links,
    dump_routes,
)
from netcore.names import PEER_ALIAS_PREFIX
from netcore.state import Address, Device, RouteFact, Ruleset, State
from netcore.topology.model import Endpoint, Vxlan
from netcore.topology.sysctls import base_sysctls, sysctl_path

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
            sysctls = read_sysctls()
    finally:
        os.close(fd)
    return channels, sysctls


def read_sysctls() -> dict[str, str]:
    """Read the managed sysctls of the namespace the thread is in."""
    return {key: read_sysctl(key) for key in base_sysctls()}


def read_sysctl(key: str) -> str:
    with open(sysctl_path(key)) as handle:
        return " ".join(handle.read().split())  # multi-value keys read back tab-separated


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
            host = namespace[len(prefix) :]
            hosts.add(host)
            if host in owned:
                chan = owned[host]
                fd = netns.open_fd(namespace)
                try:
                    with netns.entered(fd):
                        values = read_sysctls()
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
    return State(
        hosts=frozenset(hosts),
        devices=devices,
        addresses=frozenset(addresses),
        routes=frozenset(routes),
        sysctls=sysctls,
        rulesets=rulesets,
        files=files,
        data=read_data(sandbox),
    )


def read_data(sandbox: str) -> dict[str, str]:
    directory = names.data_dir(sandbox)
    try:
        return {p.name: p.read_text() for p in directory.iterdir() if p.is_file() and not p.name.startswith(".")}
    except FileNotFoundError:
        return {}


def read_devices(host: str, channel: netlink.Channel, devices: dict[Endpoint, Device]) -> dict[int, str]:
    links = [decode.link(body) for body in channel.dump_raw(*dump_links())]
    index_names = {link.index: link.name for link in links}
    for link in links:
        up = bool(link.flags & IFF_UP)
        if link.flags & IFF_LOOPBACK:
            devices[Endpoint(host, link.name)] = Device(kind="loopback", up=up)
            continue
        kind = link.kind or "other"
        peer = None
        if kind == "veth" and link.alias and link.alias.startswith(PEER_ALIAS_PREFIX):
            peer_host, _, peer_if = link.alias[len(PEER_ALIAS_PREFIX) :].partition(":")
            peer = Endpoint(peer_host, peer_if)
        devices[Endpoint(host, link.name)] = Device(
            kind=kind,
            mac=link.mac,
            peer=peer,
            vxlan=read_vxlan(link.data, index_names) if kind == "vxlan" else None,
            mtu=link.mtu,
            up=up,
            master=index_names.get(link.master) if link.master else None,
            hairpin=link.hairpin,
        )
    return index_names


def read_vxlan(data: dict[int, bytes], index_names: dict[int, str]) -> Vxlan:
    dev = decode.u32(data.get(decode.IFLA_VXLAN_LINK))
    port = data.get(decode.IFLA_VXLAN_PORT)
    return Vxlan(
        vni=decode.u32(data.get(decode.IFLA_VXLAN_ID)) or 0,
        dev=index_names.get(dev) if dev else None,
        local=decode.ipv4(data.get(decode.IFLA_VXLAN_LOCAL)),
        remote=decode.ipv4(data.get(decode.IFLA_VXLAN_GROUP)),
        port=int.from_bytes(port[:2], "big") if port else 4789,  # network byte order
        learning=bool(data.get(decode.IFLA_VXLAN_LEARNING, b"\0")[0]),
    )


def read_addresses(host: str, channel: netlink.Channel, index_names: dict[int, str], out: set[Address]) -> None:
    for body in channel.dump_raw(*dump_addresses()):
        addr = decode.address(body)
        ifname = index_names.get(addr.index)
        if ifname is None or ifname == "lo" or addr.local is None:
            continue
        out.add(Address(Endpoint(host, ifname), f"{addr.local}/{addr.prefixlen}"))


def read_routes(host: str, channel: netlink.Channel, index_names: dict[int, str], out: set[RouteFact]) -> None:
    for body in channel.dump_raw(*dump_routes()):
        route = decode.route(body)
        if route.table != RT_TABLE_MAIN or route.protocol == RTPROT_KERNEL or route.type != RTN_UNICAST:
            continue
        out.add(
            RouteFact(
                host=host,
                dst=f"{route.dst or '0.0.0.0'}/{route.dst_len}",
                dev=index_names.get(route.oif, "?") if route.oif is not None else "?",
                via=route.gateway,
                metric=route.priority,
                onlink=bool(route.flags & RTNH_F_ONLINK),
            )
        )


def read_netns_files(namespace: str, host: str) -> dict[tuple[str, str], str]:
    directory = names.etc_netns_dir(namespace)
    out: dict[tuple[str, str], str] = {}
    try:
        entries = os.listdir(directory)
    except FileNotFoundError:
        return out
    for name in entries:
        path = directory / name
        if path.is_file():
            out[(host, name)] = path.read_text()
    return out
