"""ctnetlink messages (conntrack events and dump replies) to model values.

Pure. A conntrack event carries both tuples and the status flags, but the TCP state only when it
changed (IPCT_PROTOINFO); ``merge`` keeps the state an update leaves out. Numbers are from
linux/netfilter/nfnetlink_conntrack.h and nf_conntrack_common.h; addresses and ports are big-endian.
"""

from __future__ import annotations

import socket
import struct

from netcore.kernel import decode
from netcore.observe.model import ConntrackEntry, ConntrackKey, Tuple, tcp_state_name

NFNL_SUBSYS_CTNETLINK = 1
IPCTNL_MSG_CT_NEW, IPCTNL_MSG_CT_GET, IPCTNL_MSG_CT_DELETE = 0, 1, 2
CT_NEW = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW  # a new entry or an update
CT_DELETE = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE
CT_GET = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET
NFNLGRP_CONNTRACK_NEW, NFNLGRP_CONNTRACK_UPDATE, NFNLGRP_CONNTRACK_DESTROY = 1, 2, 3
GROUPS = (1 << (NFNLGRP_CONNTRACK_NEW - 1)) | (1 << (NFNLGRP_CONNTRACK_UPDATE - 1)) \
    | (1 << (NFNLGRP_CONNTRACK_DESTROY - 1))
NFGENMSG = struct.Struct("=BBH")
AF_INET = 2

CTA_TUPLE_ORIG, CTA_TUPLE_REPLY, CTA_STATUS, CTA_PROTOINFO, CTA_ZONE = 1, 2, 3, 4, 18
CTA_TUPLE_IP, CTA_TUPLE_PROTO = 1, 2
CTA_IP_V4_SRC, CTA_IP_V4_DST = 1, 2
CTA_PROTO_NUM, CTA_PROTO_SRC_PORT, CTA_PROTO_DST_PORT = 1, 2, 3
CTA_PROTO_ICMP_ID, CTA_PROTO_ICMP_TYPE, CTA_PROTO_ICMP_CODE = 4, 5, 6
CTA_PROTOINFO_TCP, CTA_PROTOINFO_TCP_STATE = 1, 1
IPPROTO_ICMP, IPPROTO_TCP = 1, 6
PORTED = (6, 17, 33, 132, 136)  # TCP, UDP, DCCP, SCTP, UDP-Lite: tuples with ports
STATUS_FLAGS = ("EXPECTED", "SEEN_REPLY", "ASSURED", "CONFIRMED", "SRC_NAT", "DST_NAT", "SEQ_ADJUST",
                "SRC_NAT_DONE", "DST_NAT_DONE", "DYING", "FIXED_TIMEOUT", "TEMPLATE", "UNTRACKED", "HELPER",
                "OFFLOAD", "HW_OFFLOAD")  # IPS_* bit by bit


def status_names(value: int) -> frozenset[str]:
    return frozenset(name for bit, name in enumerate(STATUS_FLAGS) if value & (1 << bit))


def _be16(value: bytes | None) -> int:
    return struct.unpack("!H", value[:2])[0] if value else 0


def _tuple(data: bytes | None) -> tuple[int, Tuple] | None:
    if data is None:
        return None
    attrs = decode.attributes(data)
    ip = decode.attributes(attrs.get(CTA_TUPLE_IP, b""))
    proto = decode.attributes(attrs.get(CTA_TUPLE_PROTO, b""))
    src, dst = ip.get(CTA_IP_V4_SRC), ip.get(CTA_IP_V4_DST)
    if src is None or dst is None:
        return None  # not IPv4
    number = proto.get(CTA_PROTO_NUM, b"\0")[0]
    if number == IPPROTO_ICMP:
        sport = _be16(proto.get(CTA_PROTO_ICMP_ID))
        dport = proto.get(CTA_PROTO_ICMP_TYPE, b"\0")[0]
    else:
        sport, dport = _be16(proto.get(CTA_PROTO_SRC_PORT)), _be16(proto.get(CTA_PROTO_DST_PORT))
    return number, Tuple(socket.inet_ntoa(src[:4]), socket.inet_ntoa(dst[:4]), sport, dport)


def entry(body: bytes) -> ConntrackEntry | None:
    """Decode a CT_NEW/CT_DELETE body (after the netlink header); None unless it is IPv4.

    For ICMP, ``sport`` is the echo id and ``dport`` the ICMP type.
    """
    family = NFGENMSG.unpack_from(body)[0]
    if family != AF_INET:
        return None
    attrs = decode.attributes(body, NFGENMSG.size)
    orig, reply = _tuple(attrs.get(CTA_TUPLE_ORIG)), _tuple(attrs.get(CTA_TUPLE_REPLY))
    if orig is None or reply is None:
        return None
    protocol = orig[0]
    state = None
    if protocol == IPPROTO_TCP and CTA_PROTOINFO in attrs:
        tcp = decode.attributes(decode.attributes(attrs[CTA_PROTOINFO]).get(CTA_PROTOINFO_TCP, b""))
        if CTA_PROTOINFO_TCP_STATE in tcp:
            state = tcp_state_name(tcp[CTA_PROTOINFO_TCP_STATE][0])
    status = attrs.get(CTA_STATUS)
    return ConntrackEntry(protocol=protocol, orig=orig[1], reply=reply[1],
                          status=status_names(struct.unpack("!I", status[:4])[0]) if status else frozenset(),
                          state=state, zone=_be16(attrs.get(CTA_ZONE)))


def merge(old: ConntrackEntry | None, new: ConntrackEntry) -> ConntrackEntry:
    """Complete an update event with what it leaves out (the TCP state when it did not change)."""
    if old is None or new.state is not None or new.protocol != IPPROTO_TCP:
        return new
    return ConntrackEntry(new.protocol, new.orig, new.reply, new.status, old.state, new.zone)


def _request(flags: int, seq: int, attrs: bytes = b"") -> bytes:
    payload = NFGENMSG.pack(AF_INET, 0, 0) + attrs
    return struct.pack("=IHHII", 16 + len(payload), CT_GET, flags, seq, 0) + payload


def dump_request(seq: int) -> bytes:
    """IPCTNL_MSG_CT_GET with NLM_F_DUMP for the IPv4 table.

    Costly: the kernel walks the whole conntrack hash table, which every namespace shares (262144
    buckets here: ~14 ms), to find this namespace's entries.
    """
    return _request(0x1 | 0x300, seq)


def _nla(kind: int, payload: bytes, nested: bool = False) -> bytes:
    data = struct.pack("=HH", 4 + len(payload), kind | (0x8000 if nested else 0)) + payload
    return data + b"\0" * (-len(data) % 4)


def get_request(key: ConntrackKey, seq: int) -> bytes:
    """IPCTNL_MSG_CT_GET for one entry, by its original tuple: a hash lookup, not a walk.

    The answer is the entry (a CT_NEW message) or an ENOENT error. ICMP entries are looked up with
    code 0 (only echo, timestamp and information requests are tracked with an id).
    """
    zone, protocol, orig = key
    ip = _nla(CTA_IP_V4_SRC, socket.inet_aton(orig.src)) + _nla(CTA_IP_V4_DST, socket.inet_aton(orig.dst))
    proto = _nla(CTA_PROTO_NUM, bytes([protocol]))
    if protocol == IPPROTO_ICMP:
        proto += _nla(CTA_PROTO_ICMP_ID, struct.pack("!H", orig.sport))
        proto += _nla(CTA_PROTO_ICMP_TYPE, bytes([orig.dport])) + _nla(CTA_PROTO_ICMP_CODE, b"\0")
    elif protocol in PORTED:
        proto += _nla(CTA_PROTO_SRC_PORT, struct.pack("!H", orig.sport))
        proto += _nla(CTA_PROTO_DST_PORT, struct.pack("!H", orig.dport))
    attrs = _nla(CTA_TUPLE_ORIG, _nla(CTA_TUPLE_IP, ip, True) + _nla(CTA_TUPLE_PROTO, proto, True), True)
    if zone:
        attrs += _nla(CTA_ZONE, struct.pack("!H", zone))
    return _request(0x1, seq, attrs)
