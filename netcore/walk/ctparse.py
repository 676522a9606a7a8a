"""ctnetlink dump replies to conntrack entries: both tuples, the NAT flags, the TCP state.

Pure. The entry is the kernel's own record of a NAT mapping: the original tuple is the packet as it
arrived (before any rewrite), the reply tuple is what the answer will look like (after the rewrite),
so ``orig.dst != reply.src`` means DNAT and ``orig.src != reply.dst`` means SNAT. Numbers are from
linux/netfilter/nfnetlink_conntrack.h and nf_conntrack_common.h; addresses and ports are big-endian.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

from netcore.kernel import decode
from netcore.walk.packet import IPPROTO, Tuple

NFNL_SUBSYS_CTNETLINK = 1
IPCTNL_MSG_CT_NEW, IPCTNL_MSG_CT_GET, IPCTNL_MSG_CT_DELETE = 0, 1, 2
CT_NEW = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW  # a dump's answers, and new-entry events
CT_GET = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET
CT_DELETE = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE  # an entry's end
NFGENMSG_SIZE = 4

CTA_TUPLE_ORIG, CTA_TUPLE_REPLY, CTA_STATUS, CTA_PROTOINFO, CTA_MARK, CTA_ID = 1, 2, 3, 4, 8, 12
CTA_TUPLE_IP, CTA_TUPLE_PROTO = 1, 2
CTA_IP_V4_SRC, CTA_IP_V4_DST = 1, 2
CTA_PROTO_NUM, CTA_PROTO_SRC_PORT, CTA_PROTO_DST_PORT, CTA_PROTO_ICMP_ID = 1, 2, 3, 4
CTA_PROTOINFO_TCP, CTA_PROTOINFO_TCP_STATE = 1, 1
IPS_SEEN_REPLY, IPS_SRC_NAT, IPS_DST_NAT = 1 << 1, 1 << 4, 1 << 5
TCP_STATES = ("NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT", "CLOSE_WAIT", "LAST_ACK",
              "TIME_WAIT", "CLOSE", "SYN_SENT2")


@dataclass(frozen=True)
class CtEntry:
    """One conntrack entry of one namespace (``host``)."""

    host: str
    orig: Tuple
    reply: Tuple
    status: int = 0
    tcp_state: str | None = None
    mark: int = 0

    @property
    def dnat(self) -> bool:
        return bool(self.status & IPS_DST_NAT) or (self.orig.dst, self.orig.dport) != (self.reply.src, self.reply.sport)

    @property
    def snat(self) -> bool:
        return bool(self.status & IPS_SRC_NAT) or (self.orig.src, self.orig.sport) != (self.reply.dst, self.reply.dport)

    def forms(self) -> set[Tuple]:
        """Every shape the original direction takes in this namespace: before, between and after NAT."""
        after = self.reply.reversed()
        return {self.orig, after,
                Tuple(self.orig.protocol, self.orig.src, self.orig.sport, after.dst, after.dport),
                Tuple(self.orig.protocol, after.src, after.sport, self.orig.dst, self.orig.dport)}

    def to_json(self) -> dict:
        return {"host": self.host, "original": str(self.orig), "reply": str(self.reply),
                "dnat": self.dnat, "snat": self.snat, "state": self.tcp_state}


def _be16(value: bytes | None) -> int:
    return struct.unpack("!H", value[:2])[0] if value else 0


def parse_tuple(data: bytes | None) -> Tuple | None:
    if data is None:
        return None
    attrs = decode.attributes(data)
    ip = decode.attributes(attrs.get(CTA_TUPLE_IP, b""))
    proto = decode.attributes(attrs.get(CTA_TUPLE_PROTO, b""))
    src, dst = ip.get(CTA_IP_V4_SRC), ip.get(CTA_IP_V4_DST)
    if src is None or dst is None:
        return None  # IPv6: not a walk's business
    number = proto.get(CTA_PROTO_NUM, b"\0")[0]
    name = IPPROTO.get(number, f"proto-{number}")
    if name == "icmp":
        ident = _be16(proto.get(CTA_PROTO_ICMP_ID))
        return Tuple(name, socket.inet_ntoa(src[:4]), ident, socket.inet_ntoa(dst[:4]), ident)
    return Tuple(name, socket.inet_ntoa(src[:4]), _be16(proto.get(CTA_PROTO_SRC_PORT)),
                 socket.inet_ntoa(dst[:4]), _be16(proto.get(CTA_PROTO_DST_PORT)))


def parse_entry(host: str, body: bytes) -> CtEntry | None:
    """Decode one ctnetlink message body (after the netlink header)."""
    attrs = decode.attributes(body, NFGENMSG_SIZE)
    orig, reply = parse_tuple(attrs.get(CTA_TUPLE_ORIG)), parse_tuple(attrs.get(CTA_TUPLE_REPLY))
    if orig is None or reply is None:
        return None
    state = None
    if CTA_PROTOINFO in attrs:
        tcp = decode.attributes(decode.attributes(attrs[CTA_PROTOINFO]).get(CTA_PROTOINFO_TCP, b""))
        raw = tcp.get(CTA_PROTOINFO_TCP_STATE)
        if raw:
            state = TCP_STATES[raw[0]] if raw[0] < len(TCP_STATES) else str(raw[0])
    status = attrs.get(CTA_STATUS)
    mark = attrs.get(CTA_MARK)
    return CtEntry(host, orig, reply, struct.unpack("!I", status[:4])[0] if status else 0, state,
                   struct.unpack("!I", mark[:4])[0] if mark else 0)
