"""Kernel bytes to observer values: rtnetlink links, addresses and routes, conntrack, /proc/net/dev,
nftables trace events.

Messages are encoded with pyroute2's message classes (or by hand for conntrack), as the kernel lays
them out; no socket is opened.
"""

from __future__ import annotations

import json
import socket
import struct

from pyroute2.netlink.rtnl.ifaddrmsg import ifaddrmsg
from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg
from pyroute2.netlink.rtnl.rtmsg import rtmsg

from netcore.flowtuple import Tuple
from netcore.kernel import ctnetlink, decode
from netcore.kernel.decode import attributes
from netcore.observe import conntrack, procnet, rtnl, trace
from netcore.observe.deltas import Traced
from netcore.observe.fold import fold_conntrack, fold_lookups, fold_rtnl
from netcore.observe.model import Address, ConntrackEntry, HostState, IfCounters, Link, Route, Trace
from netcore.walk import nftrace
from netcore.walk.recording import Recording
from tests.golden import GOLDEN_DIR


def body(msg) -> bytes:
    msg.encode()
    return bytes(msg.data)[16:]  # after the netlink header


def link_message(family: int = 0, flags: int = 1, attrs: list | None = None) -> bytes:
    msg = ifinfmsg()
    msg["family"], msg["index"], msg["flags"] = family, 3, flags
    msg["attrs"] = (
        attrs
        if attrs is not None
        else [
            ("IFLA_IFNAME", "veth-c1"),
            ("IFLA_ADDRESS", "02:00:00:00:00:01"),
            ("IFLA_MTU", 1500),
            ("IFLA_OPERSTATE", "LOWERLAYERDOWN"),
            ("IFLA_MASTER", 2),
            ("IFLA_IFALIAS", "podpath peer c1:eth0"),
            ("IFLA_LINKINFO", {"attrs": [("IFLA_INFO_KIND", "veth")]}),
        ]
    )
    return body(msg)


def test_a_link_message_gives_state_carrier_master_and_peer():
    assert rtnl.link(link_message()) == Link(
        3, "veth-c1", "veth", "02:00:00:00:00:01", 1500, True, "LOWERLAYERDOWN", master=2, peer="c1:eth0"
    )
    assert rtnl.link_index(link_message()) == 3


def test_loopback_is_named_by_its_flag_and_a_link_without_alias_has_no_peer():
    lo = rtnl.link(link_message(flags=0x1 | 0x8, attrs=[("IFLA_IFNAME", "lo"), ("IFLA_OPERSTATE", "UNKNOWN")]))
    assert (lo.kind, lo.operstate, lo.peer, lo.master) == ("loopback", "UNKNOWN", None, None)
    down = rtnl.link(
        link_message(
            flags=0,
            attrs=[
                ("IFLA_IFNAME", "br0"),
                ("IFLA_OPERSTATE", "DOWN"),
                ("IFLA_LINKINFO", {"attrs": [("IFLA_INFO_KIND", "bridge")]}),
            ],
        )
    )
    assert (down.kind, down.up, down.operstate) == ("bridge", False, "DOWN")


def test_ipv4_addresses_only():
    msg = ifaddrmsg()
    msg["family"], msg["prefixlen"], msg["index"] = socket.AF_INET, 24, 2
    msg["attrs"] = [("IFA_LOCAL", "10.0.0.1"), ("IFA_ADDRESS", "10.0.0.1")]
    assert rtnl.address(body(msg)).cidr == "10.0.0.1/24"
    msg = ifaddrmsg()
    msg["family"], msg["prefixlen"], msg["index"] = socket.AF_INET6, 64, 2
    msg["attrs"] = [("IFA_ADDRESS", "fe80::1")]
    assert rtnl.address(body(msg)) is None


def route_message(table: int = 254, **fields) -> bytes:
    msg = rtmsg()
    msg["family"], msg["dst_len"], msg["table"] = socket.AF_INET, fields.get("dst_len", 0), min(table, 255)
    msg["proto"], msg["scope"], msg["type"] = fields.get("proto", 4), fields.get("scope", 0), 1
    msg["attrs"] = [("RTA_TABLE", table), ("RTA_OIF", 2)] + fields.get("attrs", [])
    return body(msg)


def test_routes_of_the_main_table_with_protocol_scope_and_source():
    connected = route_message(
        dst_len=24, proto=2, scope=253, attrs=[("RTA_DST", "10.0.0.0"), ("RTA_PREFSRC", "10.0.0.1")]
    )
    assert rtnl.route(connected) == Route("10.0.0.0/24", 2, protocol="kernel", scope="link", prefsrc="10.0.0.1")
    default = route_message(attrs=[("RTA_GATEWAY", "10.0.0.254"), ("RTA_PRIORITY", 100)])
    assert rtnl.route(default) == Route("0.0.0.0/0", 2, gateway="10.0.0.254", protocol="static", metric=100)
    assert rtnl.route(route_message(table=255)) is None  # the local table


def test_dump_requests_are_well_formed_netlink_messages():
    for msg_type in (rtnl.RTM_GETLINK, rtnl.RTM_GETADDR, rtnl.RTM_GETROUTE):
        data = rtnl.dump_request(msg_type, 7)
        length, kind, flags, seq, _pid = struct.unpack_from("=IHHII", data)
        assert (length, kind, flags & 0x301, seq) == (len(data), msg_type, 0x301, 7)
    assert rtnl.dump_request(rtnl.RTM_GETROUTE, 1)[16 + 4] == 254  # rtm_table: main


def nla(kind: int, payload: bytes, nested: bool = False) -> bytes:
    data = struct.pack("=HH", 4 + len(payload), kind | (0x8000 if nested else 0)) + payload
    return data + b"\0" * (-len(data) % 4)


def ct_tuple(src: str, dst: str, proto: int, sport: int, dport: int) -> bytes:
    ip = nla(1, socket.inet_aton(src)) + nla(2, socket.inet_aton(dst))
    if proto == 1:
        ports = nla(4, struct.pack("!H", sport)) + nla(5, bytes([dport])) + nla(6, b"\0")
    else:
        ports = nla(2, struct.pack("!H", sport)) + nla(3, struct.pack("!H", dport))
    return nla(1, ip, True) + nla(2, nla(1, bytes([proto])) + ports, True)


def ct_message(proto: int = 6, status: int = 0x1 | 0x8 | 0x10, tcp_state: int | None = 3) -> bytes:
    data = struct.pack("=BBH", socket.AF_INET, 0, 0)
    data += nla(1, ct_tuple("172.17.0.2", "198.51.100.10", proto, 40000, 80 if proto != 1 else 8), True)
    data += nla(
        2,
        ct_tuple("198.51.100.10", "198.51.100.2", proto, 80 if proto != 1 else 40000, 40000 if proto != 1 else 0),
        True,
    )
    data += nla(3, struct.pack("!I", status))
    if tcp_state is not None:
        data += nla(4, nla(1, nla(1, bytes([tcp_state])), True), True)
    return data


def test_a_conntrack_event_gives_both_tuples_the_nat_flags_and_the_tcp_state():
    entry = conntrack.entry(ct_message())
    assert entry == ConntrackEntry(
        6,
        Tuple("tcp", "172.17.0.2", 40000, "198.51.100.10", 80),
        Tuple("tcp", "198.51.100.10", 80, "198.51.100.2", 40000),
        frozenset({"EXPECTED", "CONFIRMED", "SRC_NAT"}),
        "ESTABLISHED",
    )
    assert entry.key == (0, 6, Tuple("tcp", "172.17.0.2", 40000, "198.51.100.10", 80))


def test_an_update_without_protocol_info_keeps_the_tcp_state_it_had():
    first = conntrack.entry(ct_message(tcp_state=1))
    update = conntrack.entry(ct_message(status=0x1 | 0x2 | 0x8 | 0x10, tcp_state=None))
    merged = conntrack.merge(first, update)
    assert merged.state == "SYN_SENT" and "SEEN_REPLY" in merged.status
    assert conntrack.merge(None, update).state is None


def test_icmp_entries_key_on_the_echo_id_in_both_ports():
    entry = conntrack.entry(ct_message(proto=1, tcp_state=None))
    assert (entry.protocol, entry.orig.sport, entry.orig.dport, entry.state) == (1, 40000, 40000, None)
    assert (entry.reply.sport, entry.reply.dport) == (40000, 40000)  # the reply: the same id, one flow


def test_status_names_follow_the_kernel_bits():
    assert conntrack.status_names(1 << 5 | 1 << 4) == {"DST_NAT", "SRC_NAT"}


NET_DEV = b"""Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls ...
    lo:       0       0    0    0    0     0          0         0        0       0    0    0    0     0 0 0
  eth0:    1080      11    0    0    0     0          0         0      653       8    0    0    0     0 0 0
veth-c1: 653 8 0 0 0 0 0 0 1080 11 0 0 0 0 0 0
"""


def test_proc_net_dev_gives_bytes_and_packets_each_way():
    assert procnet.parse_net_dev(NET_DEV) == {
        "lo": IfCounters(0, 0, 0, 0),
        "eth0": IfCounters(1080, 11, 653, 8),
        "veth-c1": IfCounters(653, 8, 1080, 11),
    }


def test_events_fold_into_a_host_and_bridge_port_notifications_are_not_the_link():
    port = rtnl.link(link_message())
    old = HostState(
        links={3: port}, addresses=frozenset({Address(3, "10.0.0.1/24")}), counters={3: IfCounters(1, 1, 1, 1)}
    )
    bridge_leave = link_message(family=socket.AF_BRIDGE, attrs=[("IFLA_IFNAME", "veth-c1")])
    assert fold_rtnl(old, [(rtnl.RTM_DELLINK, bridge_leave)], frozenset()).links == {3: port}
    gone = fold_rtnl(old, [(rtnl.RTM_DELLINK, link_message())], frozenset())
    assert gone.links == {} and gone.addresses == frozenset() and gone.counters == {}


def test_conntrack_events_fold_in_order():
    new, update = ct_message(tcp_state=1), ct_message(status=0x2 | 0x8 | 0x10, tcp_state=None)
    table, seen = fold_conntrack({}, [(ctnetlink.CT_NEW, new), (ctnetlink.CT_NEW, update)])
    (entry,) = table.values()
    assert entry.state == "SYN_SENT" and "SEEN_REPLY" in entry.status and seen == {entry.key}
    assert fold_conntrack(table, [(ctnetlink.CT_DELETE, update)]) == ({}, {entry.key})
    assert fold_lookups(table, {entry.key: None}) == {}
    assert fold_lookups(table, {entry.key: conntrack.entry(ct_message(tcp_state=3))})[entry.key].state == "ESTABLISHED"


def test_a_lookup_by_tuple_names_the_original_tuple_and_zone():
    entry = conntrack.entry(ct_message())
    request = conntrack.get_request(entry.key, 9)
    length, kind, flags, seq, _pid = struct.unpack_from("=IHHII", request)
    assert (length, kind, flags, seq) == (len(request), ctnetlink.CT_GET, 0x1, 9)
    # The request's attributes are a message body the decoder reads back as the same original tuple.
    assert conntrack._tuple(decode_attrs(request[16:])[1]) == (6, entry.orig)


def decode_attrs(message_body: bytes) -> dict[int, bytes]:
    return attributes(message_body, conntrack.NFGENMSG.size)


def test_only_the_last_message_about_a_link_counts():
    up = link_message()
    down = link_message(flags=0)
    state = fold_rtnl(HostState(), [(rtnl.RTM_NEWLINK, up), (rtnl.RTM_NEWLINK, down)], frozenset())
    assert not state.links[3].up
    state = fold_rtnl(
        HostState(), [(rtnl.RTM_NEWLINK, up), (rtnl.RTM_DELLINK, up), (rtnl.RTM_NEWLINK, down)], frozenset()
    )
    assert not state.links[3].up
    assert fold_rtnl(state, [(rtnl.RTM_NEWLINK, up), (rtnl.RTM_DELLINK, up)], frozenset()).links == {}


def trace_body(chain: str, trace_id: int, *extra: bytes, family: int = 1) -> bytes:
    return (
        struct.pack("=BBH", family, 0, 0)
        + nla(1, b"podpath\0")
        + nla(2, chain.encode() + b"\0")
        + nla(6, struct.pack("!I", trace_id))
        + b"".join(extra)
    )


def test_a_trace_message_gives_a_plain_trace_with_the_packets_addresses():
    syn = (
        bytes.fromhex("4500003c1c4640004006")
        + b"\0\0"
        + socket.inet_aton("172.17.0.2")
        + socket.inet_aton("198.51.100.10")
    )
    tcp = struct.pack("!HHIIBBHHH", 40000, 80, 1, 0, 0xA0, 0x02, 64240, 0, 0)
    first = trace_body(
        "nat-postrouting",
        7,
        nla(3, struct.pack("!Q", 12)),
        nla(4, struct.pack("!I", 3)),
        nla(5, nla(1, struct.pack("!i", 1)), True),
        nla(8, syn),
        nla(9, tcp),
        nla(10, struct.pack("!I", 2)),
        nla(12, struct.pack("!I", 3)),
    )
    assert trace.trace(first) == Trace(
        id=7,
        family="inet",
        table="podpath",
        chain="nat-postrouting",
        type="rule",
        handle=12,
        verdict="accept",
        iif=2,
        oif=3,
        protocol=6,
        packet=Tuple("tcp", "172.17.0.2", 40000, "198.51.100.10", 80),
    )
    # A later step of the same chain: the rule and its verdict only; a jump names where it goes.
    jump = trace_body(
        "services",
        7,
        nla(3, struct.pack("!Q", 48)),
        nla(4, struct.pack("!I", 3)),
        nla(5, nla(1, struct.pack("!i", -3)) + nla(2, b"service-X\0"), True),
        family=2,
    )
    step = trace.trace(jump)
    assert (step.family, step.handle, step.verdict, step.target, step.protocol, step.packet) == (
        "ip",
        48,
        "jump",
        "service-X",
        None,
        None,
    )
    policy = trace.trace(trace_body("filter-forward", 9, nla(4, struct.pack("!I", 1)), nla(16, struct.pack("!I", 0))))
    assert (policy.type, policy.verdict, policy.handle) == ("policy", "drop", None)
    assert trace.trace(struct.pack("=BBH", 1, 0, 0) + nla(2, b"x\0")) is None  # no table, no id: not a trace


def test_an_icmp_echo_names_its_id_as_conntrack_entries_do():
    ping = bytes.fromhex("4500005400004000400100000a000001") + socket.inet_aton("10.0.0.2")
    event = trace.trace(trace_body("input", 3, nla(8, ping), nla(9, bytes([8, 0, 0, 0]) + struct.pack("!HH", 77, 1))))
    assert (event.protocol, event.packet) == (1, Tuple("icmp", "10.0.0.1", 77, "10.0.0.2", 77))


def test_a_walks_trace_datagrams_become_one_traced_delta_per_step_and_nothing_else():
    recording = Recording.from_json(json.loads((GOLDEN_DIR / "walk-service-bridge.json").read_text()))
    messages = [
        (kind, body) for data in recording.traces["node0"] for kind, _seq, body, _flags in decode.messages(data)
    ]
    messages.append((ctnetlink.CT_NEW, ct_message()))  # the same socket may carry other groups: left out
    deltas = trace.traced("node0", messages)
    walk_events = nftrace.parse_datagrams("node0", recording.traces["node0"])
    assert len(deltas) == len(walk_events) > 10
    assert all(isinstance(d, Traced) and d.host == "node0" and d.seq == 0 for d in deltas)
    assert [
        (d.event.id, d.event.table, d.event.chain, d.event.type, d.event.handle, d.event.verdict, d.event.target)
        for d in deltas
    ] == [(e.id, e.table, e.chain, e.type, e.handle, e.verdict, e.target) for e in walk_events]
    assert {d.event.chain for d in deltas} >= {"nat-prerouting", "filter-forward", "nat-postrouting"}
    # Addresses where the kernel sent the packet, as the walk's own grouping reads them.
    for p in nftrace.passes(walk_events):
        if p.l3 is not None and p.l4 is not None and p.l4.protocol in ("tcp", "udp"):
            assert any(
                d.event.packet == Tuple(p.l4.protocol, p.l3.src, p.l4.sport, p.l3.dst, p.l4.dport)
                and d.event.id == p.id
                and d.event.chain == p.base_chain
                for d in deltas
            )
