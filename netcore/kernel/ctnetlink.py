"""ctnetlink (conntrack over netfilter netlink): message numbers and the decoding of an entry (pure).

One decoder for both readers of conntrack, the observers (``netcore.observe.conntrack``) and the packet
walk (``netcore.walk.ctparse``); each maps ``RawEntry`` to its own model. Numbers are from
linux/netfilter/nfnetlink_conntrack.h and nf_conntrack_common.h; addresses and ports are big-endian.
"""

from __future__ import annotations

import socket
import struct
from typing import NamedTuple

from netcore.kernel import decode

NFNL_SUBSYS_CTNETLINK = 1
IPCTNL_MSG_CT_NEW, IPCTNL_MSG_CT_GET, IPCTNL_MSG_CT_DELETE = 0, 1, 2
CT_NEW = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW  # a dump's answers, new entries and updates
CT_GET = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET
CT_DELETE = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE  # an entry's end
NFGENMSG = struct.Struct("=BBH")
AF_INET = 2

CTA_TUPLE_ORIG, CTA_TUPLE_REPLY, CTA_STATUS, CTA_PROTOINFO, CTA_MARK, CTA_ID, CTA_ZONE = 1, 2, 3, 4, 8, 12, 18
CTA_TUPLE_IP, CTA_TUPLE_PROTO = 1, 2
CTA_IP_V4_SRC, CTA_IP_V4_DST = 1, 2
CTA_PROTO_NUM, CTA_PROTO_SRC_PORT, CTA_PROTO_DST_PORT = 1, 2, 3
CTA_PROTO_ICMP_ID, CTA_PROTO_ICMP_TYPE, CTA_PROTO_ICMP_CODE = 4, 5, 6
CTA_PROTOINFO_TCP, CTA_PROTOINFO_TCP_STATE = 1, 1
IPPROTO_ICMP, IPPROTO_TCP = 1, 6
IPS_SEEN_REPLY, IPS_SRC_NAT, IPS_DST_NAT = 1 << 1, 1 << 4, 1 << 5
TCP_STATES = (
    "NONE",
    "SYN_SENT",
    "SYN_RECV",
    "ESTABLISHED",
    "FIN_WAIT",
    "CLOSE_WAIT",
    "LAST_ACK",
    "TIME_WAIT",
    "CLOSE",
    "SYN_SENT2",
)  # enum tcp_conntrack


class RawTuple(NamedTuple):
    """One direction of an entry; for ICMP ``ident`` is the echo id and ``icmp_type`` the type."""

    protocol: int
    src: str
    dst: str
    sport: int = 0
    dport: int = 0
    ident: int = 0
    icmp_type: int = 0


class RawEntry(NamedTuple):
    orig: RawTuple
    reply: RawTuple
    status: int  # IPS_* bits
    tcp_state: int | None  # enum tcp_conntrack, when the message carries it (it changed, or a dump)
    zone: int
    mark: int


def tcp_state_name(value: int) -> str:
    return TCP_STATES[value] if 0 <= value < len(TCP_STATES) else str(value)


def _be16(value: bytes | None) -> int:
    return struct.unpack("!H", value[:2])[0] if value else 0


def _be32(value: bytes | None) -> int:
    return struct.unpack("!I", value[:4])[0] if value else 0


def decode_tuple(data: bytes | None) -> RawTuple | None:
    """A CTA_TUPLE_* attribute's payload; None unless it is IPv4."""
    if data is None:
        return None
    attrs = decode.attributes(data)
    ip = decode.attributes(attrs.get(CTA_TUPLE_IP, b""))
    proto = decode.attributes(attrs.get(CTA_TUPLE_PROTO, b""))
    src, dst = ip.get(CTA_IP_V4_SRC), ip.get(CTA_IP_V4_DST)
    if src is None or dst is None:
        return None
    number = proto.get(CTA_PROTO_NUM, b"\0")[0]
    addresses = socket.inet_ntoa(src[:4]), socket.inet_ntoa(dst[:4])
    if number == IPPROTO_ICMP:
        return RawTuple(
            number,
            *addresses,
            ident=_be16(proto.get(CTA_PROTO_ICMP_ID)),
            icmp_type=proto.get(CTA_PROTO_ICMP_TYPE, b"\0")[0],
        )
    return RawTuple(number, *addresses, _be16(proto.get(CTA_PROTO_SRC_PORT)), _be16(proto.get(CTA_PROTO_DST_PORT)))


def decode_entry(body: bytes) -> RawEntry | None:
    """A CT_NEW/CT_DELETE body (after the netlink header); None unless both tuples are IPv4."""
    if NFGENMSG.unpack_from(body)[0] != AF_INET:
        return None
    attrs = decode.attributes(body, NFGENMSG.size)
    orig, reply = decode_tuple(attrs.get(CTA_TUPLE_ORIG)), decode_tuple(attrs.get(CTA_TUPLE_REPLY))
    if orig is None or reply is None:
        return None
    state = None
    if CTA_PROTOINFO in attrs:
        tcp = decode.attributes(decode.attributes(attrs[CTA_PROTOINFO]).get(CTA_PROTOINFO_TCP, b""))
        if tcp.get(CTA_PROTOINFO_TCP_STATE):
            state = tcp[CTA_PROTOINFO_TCP_STATE][0]
    return RawEntry(
        orig, reply, _be32(attrs.get(CTA_STATUS)), state, _be16(attrs.get(CTA_ZONE)), _be32(attrs.get(CTA_MARK))
    )
