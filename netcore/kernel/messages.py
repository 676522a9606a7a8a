"""Build rtnetlink requests for plan operations with pyroute2's message classes.

Each builder returns ``(message, type, flags)`` for ``netlink.Channel.request``. Devices are addressed
by name where the kernel allows it (RTM_NEWLINK looks a device up by IFLA_IFNAME), by index where it
does not (addresses, routes).
"""

from __future__ import annotations

import ipaddress
import socket

from pyroute2.netlink.rtnl import (
    RTM_DELADDR,
    RTM_DELLINK,
    RTM_DELNEIGH,
    RTM_DELROUTE,
    RTM_GETADDR,
    RTM_GETLINK,
    RTM_GETNEIGH,
    RTM_GETROUTE,
    RTM_NEWADDR,
    RTM_NEWLINK,
    RTM_NEWROUTE,
)
from pyroute2.netlink.rtnl.ifaddrmsg import ifaddrmsg
from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg
from pyroute2.netlink.rtnl.ndmsg import ndmsg
from pyroute2.netlink.rtnl.rtmsg import rtmsg

from netcore.names import PEER_ALIAS_PREFIX
from netcore.plan.ops import AddAddress, AddRoute, CreateLink, DeleteAddress, DeleteLink, DeleteRoute, SetLink

NLM_F_CREATE = 0x400
NLM_F_EXCL = 0x200
IFF_UP = 0x1
RT_TABLE_MAIN = 254
RTPROT_STATIC = 4
RT_SCOPE_UNIVERSE = 0
RT_SCOPE_LINK = 253
RTN_UNICAST = 1
RTNH_F_ONLINK = 4


def _link(index: int = 0, flags: int = 0, change: int = 0, attrs: list | None = None) -> ifinfmsg:
    msg = ifinfmsg()
    msg["family"] = socket.AF_UNSPEC
    msg["index"] = index
    msg["flags"] = flags
    msg["change"] = change
    msg["attrs"] = attrs or []
    return msg


def create_link(op: CreateLink, peer_netns_fd: int | None = None, index: int = 0, peer_index: int = 0) -> tuple:
    """Create a bridge or a veth pair whose peer is born in its own namespace.

    A non-zero ``index``/``peer_index`` asks the kernel for that interface index (0: it picks).
    """
    attrs: list = [("IFLA_IFNAME", op.name)]
    if op.mac:
        attrs.append(("IFLA_ADDRESS", op.mac))
    if op.mtu:
        attrs.append(("IFLA_MTU", op.mtu))
    info: list = [("IFLA_INFO_KIND", op.kind)]
    if op.kind == "veth":
        peer_attrs: list = [("IFLA_IFNAME", op.veth_peer().ifname)]
        if op.peer_mac:
            peer_attrs.append(("IFLA_ADDRESS", op.peer_mac))
        if op.peer_mtu:
            peer_attrs.append(("IFLA_MTU", op.peer_mtu))
        if peer_netns_fd is not None:
            peer_attrs.append(("IFLA_NET_NS_FD", peer_netns_fd))
        # The peer cannot be brought up at creation (the kernel answers ENOTCONN); SetLink does it.
        info.append(
            (
                "IFLA_INFO_DATA",
                {"attrs": [("VETH_INFO_PEER", {"index": peer_index, "flags": 0, "change": 0, "attrs": peer_attrs})]},
            )
        )
    elif op.kind == "vxlan":
        raise ValueError("create_vxlan() builds VXLAN devices (it needs the underlay's index)")
    attrs.append(("IFLA_LINKINFO", {"attrs": info}))
    return _link(index=index, attrs=attrs), RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL


def create_vxlan(op: CreateLink, dev_index: int | None, index: int = 0) -> tuple:
    vx = op.tunnel()
    data: list = [
        ("IFLA_VXLAN_ID", vx.vni),
        ("IFLA_VXLAN_PORT", vx.port),
        ("IFLA_VXLAN_LEARNING", 1 if vx.learning else 0),
    ]
    if dev_index is not None:
        data.append(("IFLA_VXLAN_LINK", dev_index))
    if vx.local:
        data.append(("IFLA_VXLAN_LOCAL", vx.local))
    if vx.remote:
        data.append(("IFLA_VXLAN_GROUP", vx.remote))
    attrs: list = [("IFLA_IFNAME", op.name)]
    if op.mac:
        attrs.append(("IFLA_ADDRESS", op.mac))
    if op.mtu:
        attrs.append(("IFLA_MTU", op.mtu))
    attrs.append(("IFLA_LINKINFO", {"attrs": [("IFLA_INFO_KIND", "vxlan"), ("IFLA_INFO_DATA", {"attrs": data})]}))
    return _link(index=index, attrs=attrs), RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL


def delete_link(op: DeleteLink) -> tuple:
    return _link(attrs=[("IFLA_IFNAME", op.name)]), RTM_DELLINK, 0


def set_link(op: SetLink, master_index: int, alias: str | None) -> tuple:
    """Set state and master in one request; ``master_index`` 0 detaches from any bridge."""
    attrs: list = [("IFLA_IFNAME", op.name), ("IFLA_MASTER", master_index)]
    if alias is not None:
        attrs.append(("IFLA_IFALIAS", alias))
    return _link(flags=IFF_UP if op.up else 0, change=IFF_UP, attrs=attrs), RTM_NEWLINK, 0


def set_hairpin(op: SetLink) -> tuple:
    """Turn a bridge port's hairpin mode on or off (``bridge link set dev X hairpin on``)."""
    data = {"attrs": [("IFLA_BRPORT_MODE", 1 if op.hairpin else 0)]}
    info = {"attrs": [("IFLA_INFO_SLAVE_KIND", "bridge"), ("IFLA_INFO_SLAVE_DATA", data)]}
    return _link(attrs=[("IFLA_IFNAME", op.name), ("IFLA_LINKINFO", info)]), RTM_NEWLINK, 0


def peer_alias(peer) -> str:
    """The alias a veth end carries so the inventory can name its peer without netns-id lookups."""
    return f"{PEER_ALIAS_PREFIX}{peer.host}:{peer.ifname}"


def _address(index: int, cidr: str) -> ifaddrmsg:
    iface = ipaddress.IPv4Interface(cidr)
    msg = ifaddrmsg()
    msg["family"] = socket.AF_INET
    msg["prefixlen"] = iface.network.prefixlen
    msg["index"] = index
    attrs = [("IFA_LOCAL", str(iface.ip)), ("IFA_ADDRESS", str(iface.ip))]
    if iface.network.prefixlen < 31:
        attrs.append(("IFA_BROADCAST", str(iface.network.broadcast_address)))
    msg["attrs"] = attrs
    return msg


def add_address(op: AddAddress, index: int) -> tuple:
    return _address(index, op.cidr), RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL


def delete_address(op: DeleteAddress, index: int) -> tuple:
    return _address(index, op.cidr), RTM_DELADDR, 0


def _route(op: AddRoute | DeleteRoute, index: int) -> rtmsg:
    network = ipaddress.IPv4Network(op.dst)
    msg = rtmsg()
    msg["family"] = socket.AF_INET
    msg["dst_len"] = network.prefixlen
    msg["table"] = RT_TABLE_MAIN
    msg["proto"] = RTPROT_STATIC
    msg["scope"] = RT_SCOPE_UNIVERSE if op.via else RT_SCOPE_LINK
    msg["type"] = RTN_UNICAST
    msg["flags"] = RTNH_F_ONLINK if op.onlink else 0
    attrs: list = [("RTA_TABLE", RT_TABLE_MAIN), ("RTA_OIF", index)]
    if network.prefixlen:
        attrs.append(("RTA_DST", str(network.network_address)))
    if op.via:
        attrs.append(("RTA_GATEWAY", op.via))
    if op.metric:
        attrs.append(("RTA_PRIORITY", op.metric))
    msg["attrs"] = attrs
    return msg


def add_route(op: AddRoute, index: int) -> tuple:
    return _route(op, index), RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL


def delete_route(op: DeleteRoute, index: int) -> tuple:
    return _route(op, index), RTM_DELROUTE, 0


RTEXT_FILTER_SKIP_STATS = 1 << 3


def dump_links() -> tuple:
    """A link dump without statistics: the inventory never reads them and they are most of the bytes."""
    return _link(attrs=[("IFLA_EXT_MASK", RTEXT_FILTER_SKIP_STATS)]), RTM_GETLINK


def dump_addresses() -> tuple:
    msg = ifaddrmsg()
    msg["family"] = socket.AF_INET
    return msg, RTM_GETADDR


def dump_routes() -> tuple:
    msg = rtmsg()
    msg["family"] = socket.AF_INET
    return msg, RTM_GETROUTE


def dump_neighbours() -> tuple:
    msg = ndmsg()
    msg["family"] = socket.AF_INET
    return msg, RTM_GETNEIGH


def delete_neighbour(index: int, address: str) -> tuple:
    msg = ndmsg()
    msg["family"] = socket.AF_INET
    msg["ifindex"] = index
    msg["attrs"] = [("NDA_DST", address)]
    return msg, RTM_DELNEIGH, 0
