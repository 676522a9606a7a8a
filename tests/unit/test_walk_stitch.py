"""Stitching recorded walks: hop order, the addresses before and after each NAT, the decisions named.

Each fixture under goldens/walk-*.json is the recording of one real walk (``podpath trace ...
--record FILE``: frames, trace events, conntrack entries, rule listings and facts), trimmed to the
walk's own material plus a few distractors (``netcore.walk.fixture.trimmed``). Replaying them needs
no root. Addresses are those of the recording sandboxes: a 2-node cluster (client and neighbour on
node0; hello-world and backend on node1; ``test-network-policy`` lets only neighbour into backend),
the connecting-containers lab on step 5 and the evolution lab on step 1.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from netcore.walk.model import Endpoint, Walk
from netcore.walk.recording import Captured, Recording
from netcore.walk.render import render_walk
from netcore.walk.stitch import stitch
from tests.golden import GOLDEN_DIR, assert_golden


def recording(name: str) -> Recording:
    return Recording.from_json(json.loads((GOLDEN_DIR / f"walk-{name}.json").read_text()))


def legs(name: str):
    return stitch(recording(name))


def path(hops) -> list[tuple[str, str, str]]:
    return [(h.place.host, h.interface, h.direction) for h in hops]


def changes(hops, kind: str):
    return [(h.place.host, h.interface, c) for h in hops for c in h.changes if c.kind == kind]


def flows(hops) -> list[tuple[str, str]]:
    return [
        (f"{h.layers.l3['src']}:{h.layers.l4['sport']}", f"{h.layers.l3['dst']}:{h.layers.l4['dport']}") for h in hops
    ]


def test_a_cross_node_service_walk_is_ordered_by_kernel_time_request_then_reply():
    leg = legs("service-bridge")[-1]
    assert path(leg.request) == [
        ("default-client", "eth0", "out"),
        ("node0", "veth9146eb15", "in"),
        ("node0", "cni0", "in"),
        ("node0", "eth0", "out"),
        ("lan", "node0", "in"),
        ("lan", "node1", "out"),
        ("node1", "eth0", "in"),
        ("node1", "cni0", "out"),
        ("node1", "veth726dfe2b", "out"),
        ("default-hello-world", "eth0", "in"),
    ]
    assert path(leg.reply)[0] == ("default-hello-world", "eth0", "out")
    assert path(leg.reply)[-1] == ("default-client", "eth0", "in")
    times = [h.time_ns for h in (*leg.request, *leg.reply)]
    assert times == sorted(times)
    assert [h.index for h in (*leg.request, *leg.reply)] == list(range(len(times)))


def test_dnat_on_the_clients_node_names_the_service_and_the_reply_is_un_dnated():
    leg = legs("service-bridge")[-1]
    ((host, interface, dnat),) = changes(leg.request, "dnat")
    assert (host, dnat.before, dnat.after) == ("node0", "10.110.65.79:8080", "10.244.1.3:80")
    assert dnat.by.kind == "service" and dnat.by.name == "default/hello-world-service"
    assert dnat.rule.chain.startswith("endpoint-") and "dnat ip to 10.244.1.3:80" in dnat.rule.text
    assert "DNAT 10.110.65.79:8080 -> 10.244.1.3:80 by Service default/hello-world-service" in dnat.text
    before = flows(leg.request)
    assert before[1] == ("10.244.0.4:" + before[0][0].split(":")[1], "10.110.65.79:8080")
    assert all(dst == "10.244.1.3:80" for _, dst in before[2:])
    ((host, interface, undo),) = changes(leg.reply, "un-dnat")
    assert (host, undo.before, undo.after) == ("node0", "10.244.1.3:80", "10.110.65.79:8080")
    assert flows(leg.reply)[-1][0] == "10.110.65.79:8080"


def test_the_dns_query_is_a_leg_of_its_own_before_the_request():
    dns, request = legs("service-bridge")
    assert (dns.purpose, dns.protocol, dns.server.address, dns.server.port) == ("dns", "udp", "10.96.0.10", 53)
    assert dns.verdict.outcome == "delivered" and dns.verdict.answer == "A 10.110.65.79"
    assert dns.verdict.at.name.startswith("pod kube-system/coredns-")
    assert changes(dns.request, "dnat")[0][2].by.name == "kube-system/kube-dns"
    assert dns.reply[-1].time_ns < request.request[0].time_ns


def test_routing_hops_name_the_route_taken():
    leg = legs("service-bridge")[-1]
    routes = {(host, interface): change.text for host, interface, change in changes(leg.request, "route")}
    assert "10.244.1.0/24 via 172.18.0.3 dev eth0" in routes[("node0", "eth0")]
    assert "TTL 64 -> 63" in routes[("node0", "eth0")]
    assert "10.244.1.0/24 dev cni0, directly connected" in routes[("node1", "cni0")]


def test_the_switch_is_a_bridge_hop_not_a_router():
    leg = legs("service-bridge")[-1]
    bridged = [(h, i) for h, i, _ in changes(leg.request, "bridge")]
    assert ("lan", "node1") in bridged
    assert not [c for h, _, c in changes(leg.request, "route") if h == "lan"]


def test_the_verdict_says_who_answered():
    verdict = legs("service-bridge")[-1].verdict
    assert verdict.outcome == "delivered"
    assert verdict.answered_by.address == "10.244.1.3" and verdict.answered_by.port == 80
    assert verdict.answer == "HTTP/1.1 200 OK: Hello World"


def test_same_node_pods_are_switched_by_the_node_bridge_without_routing():
    leg = legs("same-node")[-1]
    assert [h for h, _, _ in changes(leg.request, "route")] == []
    assert path(leg.request)[-1][0] == "default-neighbour"
    assert [c.text for _, _, c in changes(leg.request, "bridge")] == [
        "switched by bridge cni0 on node0: in by port veth9146eb15, out by port veth82649d88"
    ]


def test_vxlan_hops_carry_the_outer_headers_on_the_node_network():
    leg = legs("vxlan")[-1]
    outer = [(h.place.host, h.interface, h.outer) for h in leg.request if h.outer is not None]
    assert [(host, interface) for host, interface, _ in outer] == [
        ("node0", "eth0"),
        ("lan", "node0"),
        ("lan", "node1"),
        ("node1", "eth0"),
    ]
    for _, _, headers in outer:
        assert headers.layers.l3["src"] == "172.18.0.2" and headers.layers.l3["dst"] == "172.18.0.3"
        assert headers.layers.l4["protocol"] == "udp" and headers.layers.l4["dport"] == 4789
        assert headers.vni == 4097
    kinds = [c.kind for h in leg.request for c in h.changes]
    assert kinds.index("encapsulate") < kinds.index("decapsulate")
    assert leg.request[-1].layers.l3["dst"] == "10.244.1.3"


def test_pod_to_the_internet_is_snatted_to_the_node_address_and_back():
    leg = legs("internet")[-1]
    ((host, interface, snat),) = changes(leg.request, "masquerade")
    assert (host, interface, snat.after.split(":")[0]) == ("node0", "eth0", "172.18.0.2")
    assert snat.by.kind == "pod-egress" and snat.rule.chain == "pod-egress"
    assert leg.request[-1].layers.l3["src"] == "172.18.0.2"
    ((_, _, unsnat),) = changes(leg.reply, "un-snat")
    assert unsnat.after.split(":")[0] == "10.244.0.4"
    assert '"client_address": "172.18.0.2"' in leg.verdict.answer


def test_a_nodeport_with_cluster_policy_is_dnatted_and_masqueraded_with_the_reason():
    leg = legs("nodeport")[-1]
    ((_, _, dnat),) = changes(leg.request, "dnat")
    ((_, _, masq),) = changes(leg.request, "masquerade")
    assert (dnat.before, dnat.after, dnat.by.name) == ("172.18.0.2:30080", "10.244.1.3:80", "default/hello-np")
    assert masq.before.startswith("198.51.100.100:") and masq.after.startswith("172.18.0.2:")
    assert "externalTrafficPolicy: Cluster" in masq.text
    assert leg.request[-1].layers.l3["src"] == "172.18.0.2"
    # The packet visits node0 twice (in and out by eth0) and the switch twice: each visit is judged alone.
    assert [h for h, _, _ in changes(leg.request, "route")].count("lan") == 0
    assert {c.kind for _, _, c in changes(leg.reply, "un-dnat") + changes(leg.reply, "un-snat")} == {
        "un-dnat",
        "un-snat",
    }
    assert leg.reply[-1].layers.l3["src"] == "172.18.0.2" and leg.reply[-1].layers.l4["sport"] == 30080


def test_a_networkpolicy_drop_names_the_policy_and_ignores_the_retransmission():
    leg = legs("policy-drop")[-1]
    verdict = leg.verdict
    assert verdict.outcome == "dropped" and verdict.at.host == "node1"
    assert verdict.by.kind == "networkpolicy" and verdict.by.name == "default/test-network-policy"
    assert "ingress to default/backend denied: isolated by default/test-network-policy" in verdict.text
    assert verdict.rule.chain.startswith("policy-ingress-") and verdict.rule.text.startswith("drop")
    assert path(leg.request)[-1] == ("node1", "eth0", "in") and leg.reply == ()
    assert len(leg.request) == len(set(path(leg.request)))  # the SYN sent again a second later is no hop


def test_an_allowed_connection_shows_the_policy_rule_that_let_it_in():
    leg = legs("policy-allow")[-1]
    ((host, interface, policy),) = changes(leg.request, "policy")
    assert (host, interface) == ("node1", "cni0")
    assert policy.by.name == "default/test-network-policy"
    assert policy.text == "policy: allowed by default/test-network-policy ingress[0]"


def test_a_service_without_endpoints_is_rejected_at_once_by_the_clients_node():
    leg = legs("no-endpoints")[-1]
    verdict = leg.verdict
    assert verdict.outcome == "rejected" and verdict.at.host == "node0"
    assert verdict.by.kind == "service" and verdict.by.name == "default/empty"
    assert verdict.rule.chain == "reject-chain" and "Service without endpoints" in verdict.rule.text
    assert verdict.elapsed_ms < 100
    assert leg.reply[0].place.host == "node0" and leg.reply[0].layers.l4["protocol"] == "icmp"


def test_the_bad_way_leaves_masqueraded_and_reaches_the_other_nodes_published_port():
    leg = legs("nat-published")[-1]
    ((host, _, masq),) = changes(leg.request, "masquerade")
    assert host == "node0" and masq.after.startswith("172.18.0.2:")
    ((host, _, dnat),) = changes(leg.request, "dnat")
    assert (host, dnat.before, dnat.after) == ("node1", "172.18.0.3:8080", "10.244.1.2:80")
    assert dnat.by.kind == "port-mapping" and dnat.by.name == "default/hello-world"
    assert leg.verdict.outcome == "delivered"


def test_the_bad_way_has_no_route_to_another_nodes_pod_address():
    verdict = legs("nat-no-route")[-1].verdict
    assert verdict.outcome == "no-route" and verdict.at.host == "router"
    assert "network unreachable" in verdict.text


def test_a_rewrite_in_the_namespace_where_the_packet_died_comes_from_the_trace():
    leg = legs("nat-policy-drop")[-1]
    ((host, interface, dnat),) = changes(leg.request, "dnat")
    assert (host, interface, dnat.after) == ("node1", "eth0", "10.244.1.2:80")
    assert "seen by nft trace" in dnat.text
    assert leg.verdict.by.name == "default/test-network-policy"


def test_through_the_ingress_the_walk_has_two_connections_and_the_pod_answered():
    request, upstream = legs("ingress")
    assert request.verdict.at.name.startswith("pod ingress-nginx/ingress-nginx-controller-")
    assert changes(request.request, "dnat")[0][2].by.name == "ingress-nginx/ingress-nginx-controller"
    assert upstream.purpose == "upstream" and upstream.client.place.host == request.verdict.at.host
    assert upstream.verdict.outcome == "delivered" and upstream.verdict.at.host == "default-hello-world"
    assert upstream.request[0].time_ns > request.reply[0].time_ns
    walk = Walk("s", request.client, request.server, "tcp", (request, upstream))
    assert walk.verdict is upstream.verdict


def test_a_lab_hosts_masquerade_rule_is_quoted():
    leg = legs("lab-masquerade")[-1]
    ((host, interface, masq),) = changes(leg.request, "masquerade")
    assert (host, interface, masq.after.split(":")[0]) == ("host", "eth0", "198.51.100.2")
    assert masq.by.kind == "nat-rule" and 'ip saddr 172.17.0.0/16 oifname "eth0"' in masq.rule.text
    assert "counter packets" not in masq.rule.text


def test_an_echo_across_the_switch_of_the_physical_lab():
    leg = legs("lab-switch")[-1]
    assert path(leg.request) == [
        ("m1", "eth0", "out"),
        ("switch", "p1", "in"),
        ("switch", "p3", "out"),
        ("m3", "eth0", "in"),
    ]
    assert leg.request[0].layers.l4 == {
        "protocol": "icmp",
        "type": 8,
        "code": 0,
        "id": leg.request[0].layers.l4["id"],
        "seq": 1,
    }
    assert leg.reply[0].layers.l4["type"] == 0 and leg.verdict.outcome == "delivered"


def test_a_bridge_flood_copy_is_left_out_and_said():
    rec = recording("service-bridge")
    leg = stitch(rec)[-1]
    out_hop = next(h for h in leg.request if (h.place.host, h.interface) == ("lan", "node1"))
    original = next(c for c in rec.captures if (c.host, c.interface, c.time_ns) == ("lan", "node1", out_hop.time_ns))
    # The switch had not learnt the MAC yet: it also sent the frame to the router, which let it go.
    rec.captures += [
        replace(original, interface="router", time_ns=original.time_ns - 1),
        Captured("router", "eth0", 3, original.time_ns + 1, original.data, original.wire_length),
    ]
    flooded = stitch(rec)[-1]
    assert path(flooded.request) == path(leg.request)
    ((_, _, bridge),) = [c for c in changes(flooded.request, "bridge") if c[0] == "lan"]
    assert "flooded" in bridge.text and "router" in bridge.text


def test_other_traffic_never_appears_as_hops():
    rec = recording("service-bridge")
    walked = {
        (h.place.host, h.interface, h.direction, h.time_ns) for leg in stitch(rec) for h in (*leg.request, *leg.reply)
    }
    others = [c for c in rec.captures if (c.host, c.interface, c.direction, c.time_ns) not in walked]
    assert others, "the fixture keeps some unrelated frames as distractors"


@pytest.mark.parametrize("name", ["service-bridge", "vxlan", "policy-drop", "lab-masquerade"])
def test_the_text_of_a_walk_is_stable(name):
    rec = recording(name)
    found = stitch(rec)
    walk = Walk(
        "s1",
        Endpoint(found[0].client.address, None, found[0].client.place, "SRC"),
        found[-1].server,
        found[-1].protocol,
        tuple(found),
    )
    assert_golden(f"walk-{name}.txt", render_walk(walk))
