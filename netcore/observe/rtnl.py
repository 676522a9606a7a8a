"""rtnetlink message bodies (events and dump replies alike) to model values.

Pure: bytes in, values out. Built on ``netcore.kernel.decode``'s attribute scanner, which converts
only the attributes asked for; a link event carries ~1 KB of statistics that are never looked at.
Numbers are from linux/if_link.h, linux/if_addr.h and linux/rtnetlink.h.
"""

from __future__ import annotations

import struct

from netcore.kernel import decode
from netcore.names import PEER_ALIAS_PREFIX
from netcore.observe.model import (
    Address,
    Link,
    Route,
    operstate_name,
    route_protocol_name,
    route_scope_name,
    route_type_name,
)

RTM_NEWLINK, RTM_DELLINK, RTM_NEWADDR, RTM_DELADDR, RTM_NEWROUTE, RTM_DELROUTE = 16, 17, 20, 21, 24, 25
RTM_GETLINK, RTM_GETADDR, RTM_GETROUTE = 18, 22, 26
NLM_F_REQUEST, NLM_F_DUMP = 0x1, 0x300
IFLA_EXT_MASK = 29
RTEXT_FILTER_SKIP_STATS = 1 << 3
RTMGRP_LINK, RTMGRP_IPV4_IFADDR, RTMGRP_IPV4_ROUTE = 0x1, 0x10, 0x40
GROUPS = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV4_ROUTE
LINK_TYPES = (RTM_NEWLINK, RTM_DELLINK)
ADDRESS_TYPES = (RTM_NEWADDR, RTM_DELADDR)
ROUTE_TYPES = (RTM_NEWROUTE, RTM_DELROUTE)
AF_UNSPEC, AF_INET = 0, 2
IFF_UP, IFF_LOOPBACK = 0x1, 0x8
RT_TABLE_MAIN = 254
RTNH_F_ONLINK = 4


def link(body: bytes) -> Link:
    """Decode an RTM_NEWLINK body (event or dump reply)."""
    info = decode.link(body)
    if info.flags & IFF_LOOPBACK:
        kind = "loopback"
    else:
        kind = info.kind or "other"
    peer = None
    if info.alias and info.alias.startswith(PEER_ALIAS_PREFIX):
        peer = info.alias[len(PEER_ALIAS_PREFIX) :]
    return Link(
        index=info.index,
        name=info.name,
        kind=kind,
        mac=info.mac,
        mtu=info.mtu,
        up=bool(info.flags & IFF_UP),
        operstate=operstate_name(info.operstate),
        master=info.master or None,
        peer=peer,
    )


def link_index(body: bytes) -> int:
    return decode.IFINFOMSG.unpack_from(body)[2]


def address(body: bytes) -> Address | None:
    """Decode an RTM_NEWADDR/RTM_DELADDR body; None for a family other than IPv4."""
    if body[0] != AF_INET:
        return None
    info = decode.address(body)
    if info.local is None:
        return None
    return Address(index=info.index, cidr=f"{info.local}/{info.prefixlen}")


def route(body: bytes) -> Route | None:
    """Decode an RTM_NEWROUTE body; None unless it is an IPv4 route of the main table."""
    info = decode.route(body)
    if info.family != AF_INET or info.table != RT_TABLE_MAIN:
        return None
    return Route(
        dst=f"{info.dst or '0.0.0.0'}/{info.dst_len}",
        oif=info.oif,
        gateway=info.gateway,
        protocol=route_protocol_name(info.protocol),
        scope=route_scope_name(info.scope),
        type=route_type_name(info.type),
        metric=info.priority,
        prefsrc=info.prefsrc,
        onlink=bool(info.flags & RTNH_F_ONLINK),
    )


def dump_request(msg_type: int, seq: int) -> bytes:
    """A dump request for RTM_GETLINK (without statistics), RTM_GETADDR (IPv4) or RTM_GETROUTE (IPv4, main).

    The route request names the main table, which the kernel honours on a socket with
    NETLINK_GET_STRICT_CHK set (and ignores on another, where ``route()`` filters instead).
    """
    if msg_type == RTM_GETLINK:
        # IFLA_EXT_MASK = RTEXT_FILTER_SKIP_STATS: statistics are most of a link's bytes.
        payload = decode.IFINFOMSG.pack(0, 0, 0, 0, 0) + struct.pack("=HHI", 8, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS)
    elif msg_type == RTM_GETADDR:
        payload = decode.IFADDRMSG.pack(AF_INET, 0, 0, 0, 0)
    else:
        payload = decode.RTMSG.pack(AF_INET, 0, 0, 0, RT_TABLE_MAIN, 0, 0, 0, 0)
    return decode.nlmsg(msg_type, NLM_F_REQUEST | NLM_F_DUMP, seq, payload)
