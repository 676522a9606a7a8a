"""Decode the few rtnetlink attributes the inventory reads, straight from the bytes.

pyroute2 decodes every attribute of every message (statistics, per-family device settings...), which
made reading a 200-host sandbox take half a second; the inventory needs a dozen attributes, so it
scans the attribute list once and converts only those. Numbers are from linux/if_link.h,
linux/if_addr.h and linux/rtnetlink.h.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterator
from dataclasses import dataclass

# struct nlmsghdr: length, type, flags, sequence number, port id (the one definition netcore uses)
NLMSGHDR = struct.Struct("=IHHII")
# struct ifinfomsg: family, pad, type, index, flags, change
IFINFOMSG = struct.Struct("=BxHiII")
# struct ifaddrmsg: family, prefixlen, flags, scope, index
IFADDRMSG = struct.Struct("=BBBBi")
# struct rtmsg: family, dst_len, src_len, tos, table, protocol, scope, type, flags
RTMSG = struct.Struct("=BBBBBBBBI")
# struct ndmsg: family, pad, pad, ifindex, state, flags, type
NDMSG = struct.Struct("=BxxxiHBB")
ATTR = struct.Struct("=HH")
NLA_TYPE_MASK = 0x3FFF

IFLA_ADDRESS, IFLA_IFNAME, IFLA_MTU, IFLA_LINK, IFLA_MASTER = 1, 3, 4, 5, 10
IFLA_OPERSTATE, IFLA_LINKINFO, IFLA_IFALIAS, IFLA_CARRIER = 16, 18, 20, 33
IFLA_INFO_KIND, IFLA_INFO_DATA, IFLA_INFO_SLAVE_DATA = 1, 2, 5
IFLA_BRPORT_STATE, IFLA_BRPORT_MODE = 1, 4
BR_STATE_FORWARDING = 3
IFLA_VXLAN_ID, IFLA_VXLAN_GROUP, IFLA_VXLAN_LINK, IFLA_VXLAN_LOCAL = 1, 2, 3, 4
IFLA_VXLAN_LEARNING, IFLA_VXLAN_PORT = 7, 15
IFA_ADDRESS, IFA_LOCAL = 1, 2
RTA_DST, RTA_OIF, RTA_GATEWAY, RTA_PRIORITY, RTA_PREFSRC, RTA_TABLE = 1, 4, 5, 6, 7, 15
NDA_DST = 1
NUD_NOARP, NUD_PERMANENT = 0x40, 0x80


def nlmsg(msg_type: int, flags: int, seq: int, payload: bytes) -> bytes:
    """Return one netlink message: its header, then the payload."""
    return NLMSGHDR.pack(NLMSGHDR.size + len(payload), msg_type, flags, seq, 0) + payload


def messages(data: bytes) -> Iterator[tuple[int, int, bytes, int]]:
    """Yield (type, sequence, body, flags) for each message in a netlink datagram."""
    offset = 0
    while offset + NLMSGHDR.size <= len(data):
        length, msg_type, flags, seq, _pid = NLMSGHDR.unpack_from(data, offset)
        if length < NLMSGHDR.size:
            break
        yield msg_type, seq, data[offset + NLMSGHDR.size : offset + length], flags
        offset += (length + 3) & ~3


def attributes(data: bytes, offset: int = 0, end: int | None = None) -> dict[int, bytes]:
    """Return the first value of each attribute type in ``data[offset:end]``."""
    end = len(data) if end is None else end
    out: dict[int, bytes] = {}
    while offset + 4 <= end:
        length, kind = ATTR.unpack_from(data, offset)
        if length < 4:
            break
        out.setdefault(kind & NLA_TYPE_MASK, data[offset + 4 : offset + length])
        offset += (length + 3) & ~3
    return out


def text(value: bytes | None) -> str | None:
    return None if value is None else value.split(b"\0", 1)[0].decode()


def u32(value: bytes | None) -> int | None:
    return None if value is None else struct.unpack("=I", value[:4])[0]


def ipv4(value: bytes | None) -> str | None:
    return None if value is None else socket.inet_ntoa(value[:4])


def mac(value: bytes | None) -> str | None:
    return None if value is None else ":".join(f"{b:02x}" for b in value)


@dataclass(frozen=True)
class LinkInfo:
    index: int
    flags: int
    name: str
    mac: str | None
    mtu: int | None
    master: int | None
    alias: str | None
    kind: str | None
    data: dict[int, bytes]
    hairpin: bool = False
    carrier: bool = False
    port_state: int | None = None  # a bridge port's STP state
    operstate: int = 0  # IF_OPER_*: what the kernel reports (carrier), not only the admin state


def link(body: bytes) -> LinkInfo:
    """Decode an RTM_NEWLINK message body (after the netlink header)."""
    _family, _type, index, flags, _change = IFINFOMSG.unpack_from(body)
    attrs = attributes(body, IFINFOMSG.size)
    info = attributes(attrs[IFLA_LINKINFO]) if IFLA_LINKINFO in attrs else {}
    data = attributes(info[IFLA_INFO_DATA]) if IFLA_INFO_DATA in info else {}
    port = attributes(info[IFLA_INFO_SLAVE_DATA]) if IFLA_INFO_SLAVE_DATA in info else {}
    return LinkInfo(
        index=index,
        flags=flags,
        name=text(attrs.get(IFLA_IFNAME)) or f"if{index}",
        mac=mac(attrs.get(IFLA_ADDRESS)),
        mtu=u32(attrs.get(IFLA_MTU)),
        master=u32(attrs.get(IFLA_MASTER)),
        alias=text(attrs.get(IFLA_IFALIAS)),
        kind=text(info.get(IFLA_INFO_KIND)),
        data=data,
        hairpin=bool(port.get(IFLA_BRPORT_MODE, b"\0")[0]),
        carrier=bool(attrs.get(IFLA_CARRIER, b"\0")[0]),
        port_state=port[IFLA_BRPORT_STATE][0] if IFLA_BRPORT_STATE in port else None,
        operstate=attrs.get(IFLA_OPERSTATE, b"\0")[0],
    )


@dataclass(frozen=True)
class AddressInfo:
    index: int
    prefixlen: int
    local: str | None


def address(body: bytes) -> AddressInfo:
    _family, prefixlen, _flags, _scope, index = IFADDRMSG.unpack_from(body)
    attrs = attributes(body, IFADDRMSG.size)
    return AddressInfo(index=index, prefixlen=prefixlen, local=ipv4(attrs.get(IFA_LOCAL) or attrs.get(IFA_ADDRESS)))


@dataclass(frozen=True)
class RouteInfo:
    dst_len: int
    table: int
    protocol: int
    type: int
    dst: str | None
    oif: int | None
    gateway: str | None
    priority: int
    flags: int = 0
    family: int = 2
    scope: int = 0
    prefsrc: str | None = None


def route(body: bytes) -> RouteInfo:
    family, dst_len, _src_len, _tos, table, protocol, scope, rtype, flags = RTMSG.unpack_from(body)
    attrs = attributes(body, RTMSG.size)
    return RouteInfo(
        dst_len=dst_len,
        table=u32(attrs.get(RTA_TABLE)) or table,
        protocol=protocol,
        type=rtype,
        dst=ipv4(attrs.get(RTA_DST)),
        oif=u32(attrs.get(RTA_OIF)),
        gateway=ipv4(attrs.get(RTA_GATEWAY)),
        priority=u32(attrs.get(RTA_PRIORITY)) or 0,
        flags=flags,
        family=family,
        scope=scope,
        prefsrc=ipv4(attrs.get(RTA_PREFSRC)),
    )


@dataclass(frozen=True)
class NeighbourInfo:
    index: int
    state: int
    address: str | None

    @property
    def learnt(self) -> bool:
        """True for entries the kernel learnt (not static, not a no-ARP device's)."""
        return not self.state & (NUD_NOARP | NUD_PERMANENT)


def neighbour(body: bytes) -> NeighbourInfo:
    _family, index, state, _flags, _type = NDMSG.unpack_from(body)
    attrs = attributes(body, NDMSG.size)
    return NeighbourInfo(index=index, state=state, address=ipv4(attrs.get(NDA_DST)))
