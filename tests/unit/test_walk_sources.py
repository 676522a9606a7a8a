"""The walk's kernel sources, decoded: nftables trace messages, conntrack entries, rule listings, and
the words each decision gets (Service, NetworkPolicy, masquerade reason)."""

from __future__ import annotations

import json
import socket
import struct

from netcore.flowtuple import Tuple
from netcore.walk import nftrace
from netcore.walk.ctparse import IPS_DST_NAT, CtEntry, parse_entry
from netcore.walk.flow import Identity, flow_forms, matches_reply, matches_request
from netcore.walk.packet import ACK, L3, L4, RST, SYN
from netcore.walk.reasons import classify, decisions, explain, parse_rule_listing, service_of_chain
from netcore.walk.recording import Recording
from tests.golden import GOLDEN_DIR


def attr(kind: int, value: bytes) -> bytes:
    data = struct.pack("=HH", 4 + len(value), kind) + value
    return data + b"\0" * (-len(data) % 4)


def trace_message(chain: str, trace_id: int, *extra: bytes) -> bytes:
    body = (
        b"\x02\x00\x00\x00"
        + attr(1, b"podpath\0")
        + attr(2, chain.encode() + b"\0")
        + attr(6, struct.pack("!I", trace_id))
    )
    body += b"".join(extra)
    return struct.pack("=IHHII", 16 + len(body), nftrace.TRACE_MESSAGE, 0, 0, 0) + body


def test_a_trace_message_gives_chain_rule_verdict_and_jump_target():
    verdict = attr(5 | 0x8000, attr(1, struct.pack("!i", -4)) + attr(2, b"service-X\0"))
    data = trace_message("services", 7, attr(3, struct.pack("!Q", 48)), attr(4, struct.pack("!I", 3)), verdict)
    (event,) = nftrace.parse_datagrams("node0", [data])
    assert (event.host, event.table, event.chain, event.handle, event.type) == (
        "node0",
        "podpath",
        "services",
        48,
        "rule",
    )
    assert (event.verdict, event.target) == ("goto", "service-X")
    assert not event.carries_packet


def test_a_policy_step_reads_its_verdict_from_the_policy_attribute():
    data = trace_message("filter-forward", 9, attr(4, struct.pack("!I", 1)), attr(16, struct.pack("!I", 0)))
    (event,) = nftrace.parse_datagrams("node1", [data])
    assert (event.type, event.verdict) == ("policy", "drop")


def test_passes_group_steps_after_the_packet_and_leave_out_the_walks_own_table():
    recording = Recording.from_json(json.loads((GOLDEN_DIR / "walk-service-bridge.json").read_text()))
    events = nftrace.parse_datagrams("node0", recording.traces["node0"])
    passes = nftrace.passes(events, (recording.trace_table,))
    assert passes and all(p.events[0].carries_packet for p in passes)
    assert all(not e.table.startswith("podpath-trace-") for p in passes for e in p.events)
    assert {p.base_chain for p in passes} >= {"nat-prerouting", "filter-forward", "nat-postrouting"}
    dnat = [p for p in passes if p.base_chain == "nat-prerouting" and p.l4.dport == 8080]
    assert dnat and dnat[0].l3.dst == "10.110.65.79" and [e.chain for e in dnat[0].events][-1].startswith("endpoint-")


def ct_tuple(src: str, dst: str, protocol: int, sport: int, dport: int) -> bytes:
    ip = attr(1, socket.inet_aton(src)) + attr(2, socket.inet_aton(dst))
    proto = attr(1, bytes([protocol])) + attr(2, struct.pack("!H", sport)) + attr(3, struct.pack("!H", dport))
    return attr(1 | 0x8000, ip) + attr(2 | 0x8000, proto)


def test_a_conntrack_entry_shows_both_tuples_and_what_nat_did():
    body = (
        b"\x02\x00\x00\x00"
        + attr(1 | 0x8000, ct_tuple("10.244.0.4", "10.96.0.20", 6, 40000, 80))
        + attr(2 | 0x8000, ct_tuple("10.244.1.2", "10.244.0.4", 6, 8080, 40000))
        + attr(3, struct.pack("!I", IPS_DST_NAT))
        + attr(4 | 0x8000, attr(1 | 0x8000, attr(1, b"\x03")))
    )
    entry = parse_entry("node0", body)
    assert entry.orig == Tuple("tcp", "10.244.0.4", 40000, "10.96.0.20", 80)
    assert entry.reply == Tuple("tcp", "10.244.1.2", 8080, "10.244.0.4", 40000)
    assert entry.dnat and not entry.snat and entry.tcp_state == "ESTABLISHED"


def test_the_flow_grows_through_conntrack_across_nat_and_nodes():
    client = Tuple("udp", "10.244.0.4", 5000, "10.96.0.10", 53)
    node0 = CtEntry("node0", client, Tuple("udp", "10.244.1.3", 53, "10.244.0.4", 5000))
    node1 = CtEntry(
        "node1", Tuple("udp", "10.244.0.4", 5000, "10.244.1.3", 53), Tuple("udp", "10.244.1.3", 53, "10.244.0.4", 5000)
    )
    unrelated = CtEntry(
        "node0", Tuple("udp", "10.244.0.9", 5000, "10.96.0.10", 53), Tuple("udp", "10.244.1.3", 53, "10.244.0.9", 5000)
    )
    forms, used = flow_forms(client, [unrelated, node1, node0])
    assert Tuple("udp", "10.244.0.4", 5000, "10.244.1.3", 53) in forms
    assert unrelated not in used and set(used) == {node0, node1}


def test_tcp_is_told_by_its_initial_sequence_number_alone():
    identity = Identity("tcp", isn=1000)
    syn = (L3("172.18.0.2", "10.244.1.2", 63, 1, 6, 60), L4("tcp", 4000, 80, SYN, 1000))
    retransmitted_elsewhere = (L3("172.18.0.2", "10.244.1.2", 63, 1, 6, 60), L4("tcp", 4000, 80, SYN, 1001))
    assert matches_request(*syn, frozenset(), identity)
    assert not matches_request(*retransmitted_elsewhere, frozenset(), identity)
    reset = (L3("10.244.1.2", "172.18.0.2", 64, 0, 6, 40), L4("tcp", 80, 4000, RST | ACK, 0, 1001))
    assert matches_reply(*reset, frozenset(), identity)


LISTING = """table inet podpath { # handle 4
\tchain endpoint-ABCDEFGH-default/web/tcp/__10.244.1.2/80 { # handle 50
\t\tip saddr 10.244.1.2 jump mark-for-masquerade # handle 51
\t\tmeta l4proto tcp dnat ip to 10.244.1.2:80 # handle 52
\t}
\tchain policy-ingress-Z4NWSNH4-default/backend { # handle 60
\t\tip saddr 10.244.0.5 tcp dport 6379 accept comment "allowed by default/p ingress[0]" # handle 61
\t\tdrop comment "ingress to default/backend denied: isolated by default/p, default/q and 2 more" # handle 62
\t}
}
"""


def test_a_rule_listing_maps_chain_and_handle_to_the_rule():
    rules = parse_rule_listing(LISTING)
    assert (
        rules[("endpoint-ABCDEFGH-default/web/tcp/__10.244.1.2/80", 52)] == "meta l4proto tcp dnat ip to 10.244.1.2:80"
    )
    assert len(rules) == 4


def test_decisions_are_named_after_their_service_or_policy():
    rules = parse_rule_listing(LISTING)
    packet = nftrace.TraceEvent("node1", 1, "podpath", "nat-prerouting", "rule", network=b"")
    steps = [
        packet,
        nftrace.TraceEvent(
            "node1", 1, "podpath", "endpoint-ABCDEFGH-default/web/tcp/__10.244.1.2/80", "rule", 52, "accept"
        ),
        nftrace.TraceEvent("node1", 1, "podpath", "policy-ingress-Z4NWSNH4-default/backend", "rule", 62, "drop"),
    ]
    found = decisions(nftrace.TracePass("node1", 1, None, None, None, None, steps), rules)
    assert [(d.kind, d.by.kind, d.by.name) for d in found] == [
        ("dnat", "service", "default/web"),
        ("drop", "networkpolicy", "default/p"),
    ]
    assert found[1].why == "ingress to default/backend denied: isolated by default/p, default/q and 2 more"


def test_why_kube_proxy_masquerades_follows_the_chain_that_marked_the_packet():
    assert "externalTrafficPolicy: Cluster" in explain(
        "mark", "external-AAAAAAAA-default/web/tcp/", "jump mark-for-masquerade"
    )
    assert "hairpin" in explain(
        "mark", "endpoint-AAAAAAAA-default/web/tcp/__10.244.1.2/80", "ip saddr 10.244.1.2 jump mark-for-masquerade"
    )
    assert classify("reject-chain", "rule", "drop", 'reject comment "Service without endpoints"') == "reject"
    assert classify("masquerading", "rule", "accept", None) == "masquerade"
    assert service_of_chain("service-NEZTIQDU-default/hello-world-service/tcp/") == "default/hello-world-service"
