"""ctnetlink messages (conntrack events and dump replies) to model values.

Pure. A conntrack event carries both tuples and the status flags, but the TCP state only when it
changed (IPCT_PROTOINFO); ``merge`` keeps the state an update leaves out. The bytes are decoded by
``netcore.kernel.ctnetlink`` (shared with the packet walk); requests are built here.
"""

from __future__ import annotations

import socket
import struct

from netcore.flowtuple import Tuple, from_conntrack
from netcore.kernel import ctnetlink, decode
from netcore.kernel.ctnetlink import (
    AF_INET,
    CT_GET,
    CTA_IP_V4_DST,
    CTA_IP_V4_SRC,
    CTA_PROTO_DST_PORT,
    CTA_PROTO_ICMP_CODE,
    CTA_PROTO_ICMP_ID,
    CTA_PROTO_ICMP_TYPE,
    CTA_PROTO_NUM,
    CTA_PROTO_SRC_PORT,
    CTA_TUPLE_IP,
    CTA_TUPLE_ORIG,
    CTA_TUPLE_PROTO,
    CTA_ZONE,
    IPPROTO_ICMP,
    IPPROTO_TCP,
    NFGENMSG,
)
from netcore.observe.model import ConntrackEntry, ConntrackKey, tcp_state_name

NFNLGRP_CONNTRACK_NEW, NFNLGRP_CONNTRACK_UPDATE, NFNLGRP_CONNTRACK_DESTROY = 1, 2, 3
GROUPS = (
    (1 << (NFNLGRP_CONNTRACK_NEW - 1)) | (1 << (NFNLGRP_CONNTRACK_UPDATE - 1)) | (1 << (NFNLGRP_CONNTRACK_DESTROY - 1))
)
ICMP_ECHO = 8
PORTED = (6, 17, 33, 132, 136)  # TCP, UDP, DCCP, SCTP, UDP-Lite: tuples with ports
STATUS_FLAGS = (
    "EXPECTED",
    "SEEN_REPLY",
    "ASSURED",
    "CONFIRMED",
    "SRC_NAT",
    "DST_NAT",
    "SEQ_ADJUST",
    "SRC_NAT_DONE",
    "DST_NAT_DONE",
    "DYING",
    "FIXED_TIMEOUT",
    "TEMPLATE",
    "UNTRACKED",
    "HELPER",
    "OFFLOAD",
    "HW_OFFLOAD",
)  # IPS_* bit by bit


def status_names(value: int) -> frozenset[str]:
    return frozenset(name for bit, name in enumerate(STATUS_FLAGS) if value & (1 << bit))


def _tuple(data: bytes | None) -> tuple[int, Tuple] | None:
    raw = ctnetlink.decode_tuple(data)
    return None if raw is None else (raw.protocol, from_conntrack(raw))


def entry(body: bytes) -> ConntrackEntry | None:
    """Decode a CT_NEW/CT_DELETE body (after the netlink header); None unless it is IPv4.

    For ICMP echo, both ports are the echo id.
    """
    raw = ctnetlink.decode_entry(body)
    if raw is None:
        return None
    state = None
    if raw.orig.protocol == IPPROTO_TCP and raw.tcp_state is not None:
        state = tcp_state_name(raw.tcp_state)
    return ConntrackEntry(
        protocol=raw.orig.protocol,
        orig=from_conntrack(raw.orig),
        reply=from_conntrack(raw.reply),
        status=status_names(raw.status),
        state=state,
        zone=raw.zone,
    )


def merge(old: ConntrackEntry | None, new: ConntrackEntry) -> ConntrackEntry:
    """Complete an update event with what it leaves out (the TCP state when it did not change)."""
    if old is None or new.state is not None or new.protocol != IPPROTO_TCP:
        return new
    return ConntrackEntry(new.protocol, new.orig, new.reply, new.status, old.state, new.zone)


def _request(flags: int, seq: int, attrs: bytes = b"") -> bytes:
    payload = NFGENMSG.pack(AF_INET, 0, 0) + attrs
    return decode.nlmsg(CT_GET, flags, seq, payload)


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

    The answer is the entry (a CT_NEW message) or an ENOENT error. ICMP entries are looked up as echo
    requests, code 0: the original direction of every ping (conntrack tracks an id for echo, timestamp
    and information requests only, and nothing in a sandbox sends the last two).
    """
    zone, protocol, orig = key
    ip = _nla(CTA_IP_V4_SRC, socket.inet_aton(orig.src)) + _nla(CTA_IP_V4_DST, socket.inet_aton(orig.dst))
    proto = _nla(CTA_PROTO_NUM, bytes([protocol]))
    if protocol == IPPROTO_ICMP:
        proto += _nla(CTA_PROTO_ICMP_ID, struct.pack("!H", orig.sport))
        proto += _nla(CTA_PROTO_ICMP_TYPE, bytes([ICMP_ECHO])) + _nla(CTA_PROTO_ICMP_CODE, b"\0")
    elif protocol in PORTED:
        proto += _nla(CTA_PROTO_SRC_PORT, struct.pack("!H", orig.sport))
        proto += _nla(CTA_PROTO_DST_PORT, struct.pack("!H", orig.dport))
    attrs = _nla(CTA_TUPLE_ORIG, _nla(CTA_TUPLE_IP, ip, True) + _nla(CTA_TUPLE_PROTO, proto, True), True)
    if zone:
        attrs += _nla(CTA_ZONE, struct.pack("!H", zone))
    return _request(0x1, seq, attrs)
