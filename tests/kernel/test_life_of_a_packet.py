"""The life-of-a-packet lab's walks, played for real: each journey ends as its step's narrative says.

One sandbox follows the lab through the player, step by step. Every walk a step offers is played
with the walk engine exactly as the player sends it (the step's from, to, protocol and port), and
its verdict and the change the narrative points at (the bridge, the two routes, the Service's DNAT
and its undoing, the masquerades, the Ingress's two connections, the policy's drop) are checked
against the cluster's own addresses. Walks that go through a Service pick an endpoint at random;
those are played until both hello-world Pods have answered, and every play is checked.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from labs import stepper
from labs.catalog import WalkSpec, get_lab
from netcore.kube import api
from netcore.sandbox import lifecycle
from netcore.walk.model import Walk
from netcore.walk.run import walk
from tests.conftest import new_sandbox_name

LAB = get_lab("life-of-a-packet")
WALKS = [(step.number, spec) for step in LAB.steps for spec in step.walks]
NODE0, NODE1 = "172.18.0.2", "172.18.0.3"
EXTERNAL, INTERNET = "198.51.100.100", "198.51.100.10"
HELLO_PODS = {"hello-world-2": "node0", "hello-world": "node1"}
MAX_PLAYS = 24  # a random choice of two misses one of them 24 times in a row once in 8 million


@pytest.fixture(scope="module")
def sandbox():
    name = new_sandbox_name()
    try:
        stepper.lab_start(sandbox=name, lab_id=LAB.id, step=1)
        yield name
    finally:
        lifecycle.delete_sandbox(name)


class Cluster:
    """The addresses the cluster gave its objects, read once the sandbox is on a step."""

    def __init__(self, sandbox: str):
        self.objects = api.load_cluster(sandbox)

    def pod(self, name: str, namespace: str = "default") -> str:
        return self.objects.get("Pod", namespace, name)["status"]["podIP"]

    def cluster_ip(self, name: str, namespace: str = "default") -> str:
        return self.objects.get("Service", namespace, name)["spec"]["clusterIP"]

    def load_balancer(self, name: str, namespace: str = "default") -> str:
        return self.objects.get("Service", namespace, name)["status"]["loadBalancer"]["ingress"][0]["ip"]

    def hello(self) -> dict[str, str]:
        """Each hello-world Pod's address and port, by pod name."""
        return {name: f"{self.pod(name)}:80" for name in HELLO_PODS}


def changes(hops, kind: str) -> list[tuple[str, object]]:
    return [(hop.place.host, change) for hop in hops for change in hop.changes if change.kind == kind]


def nat_changes(hops) -> list:
    return [
        c
        for _, c in changes(hops, "dnat")
        + changes(hops, "snat")
        + changes(hops, "masquerade")
        + changes(hops, "un-dnat")
        + changes(hops, "un-snat")
    ]


def answered_by(result: Walk) -> str:
    """The pod (``default/NAME``) or host that answered the walk."""
    return result.verdict.answered_by.place.name.removeprefix("pod ")


def route_on(hops, host: str) -> str:
    """The text of the routing decision ``host`` made for these hops."""
    (text,) = [change.text for where, change in changes(hops, "route") if where == host]
    return text


def addresses(hops) -> set[tuple[str, str]]:
    return {(hop.layers.l3["src"], hop.layers.l3["dst"]) for hop in hops}


# -- the checks, one per walk of the lab (the test below fails for a walk without one) --------------

CHECKS: dict[tuple[int, str], Callable[[Cluster, Walk], str | None]] = {}


def check(step: int, title: str):
    def register(function):
        CHECKS[(step, title)] = function
        return function

    return register


@check(1, "client to hello-world-2 (same node)")
def same_node(cluster: Cluster, result: Walk) -> None:
    (leg,) = result.legs
    assert result.verdict.outcome == "delivered" and answered_by(result) == "default/hello-world-2"
    assert result.verdict.answer == "HTTP/1.1 200 OK: Hello World"
    client, pod = cluster.pod("client"), cluster.pod("hello-world-2")
    # The bridge, and nothing else: no routing, no NAT, the same From/To and TTL at every hop.
    assert {hop.place.host for hop in leg.request} == {"default-client", "node0", "default-hello-world-2"}
    ((host, bridge),) = changes(leg.request, "bridge")
    assert host == "node0" and "bridge cni0" in bridge.text
    assert not changes(leg.request + leg.reply, "route") and not nat_changes(leg.request + leg.reply)
    assert addresses(leg.request) == {(client, pod)} and addresses(leg.reply) == {(pod, client)}
    assert {hop.layers.l3["ttl"] for hop in leg.request} == {64}


@check(2, "client to hello-world (other node)")
def other_node(cluster: Cluster, result: Walk) -> None:
    (leg,) = result.legs
    assert result.verdict.outcome == "delivered" and answered_by(result) == "default/hello-world"
    client, pod = cluster.pod("client"), cluster.pod("hello-world")
    hosts = [hop.place.host for hop in leg.request]
    assert hosts.index("node0") < hosts.index("lan") < hosts.index("node1") < hosts.index("default-hello-world")
    routes = {host: change.text for host, change in changes(leg.request, "route")}
    assert set(routes) == {"node0", "node1"}
    assert "10.244.1.0/24 via 172.18.0.3 dev eth0 (TTL 64 -> 63)" in routes["node0"]
    assert "10.244.1.0/24 dev cni0, directly connected (TTL 63 -> 62)" in routes["node1"]
    assert leg.request[0].layers.l3["ttl"] == 64 and leg.request[-1].layers.l3["ttl"] == 62
    # Routed, not translated: the same From and To end to end, both ways.
    assert not nat_changes(leg.request + leg.reply)
    assert addresses(leg.request) == {(client, pod)} and addresses(leg.reply) == {(pod, client)}
    assert "10.244.0.0/24 via 172.18.0.2 dev eth0" in route_on(leg.reply, "node1")


@check(3, "client to hello-world-service")
def to_a_service(cluster: Cluster, result: Walk) -> str:
    dns, leg = result.legs
    service, client, pods = cluster.cluster_ip("hello-world-service"), cluster.pod("client"), cluster.hello()
    # The DNS leg: itself a journey to a Service (kube-dns), answering the ClusterIP.
    assert dns.purpose == "dns" and dns.server.address == "10.96.0.10"
    assert dns.verdict.answer == f"A {service}"
    ((host, dns_dnat),) = changes(dns.request, "dnat")
    assert host == "node0" and dns_dnat.by.name == "kube-system/kube-dns"
    # The request: To the Service IP, DNATed on the client's node to a random hello-world Pod.
    assert leg.purpose == "request"
    assert (leg.request[0].layers.l3["src"], leg.request[0].layers.l3["dst"]) == (client, service)
    ((host, dnat),) = changes(leg.request, "dnat")
    assert host == "node0" and dnat.by.kind == "service" and dnat.by.name == "default/hello-world-service"
    assert dnat.before == f"{service}:8080" and dnat.after in pods.values()
    chosen = next(name for name, address in pods.items() if address == dnat.after)
    assert dnat.text.startswith(f"DNAT {service}:8080 -> {dnat.after} by Service default/hello-world-service")
    assert leg.request[-1].place.host == f"default-{chosen}" and leg.request[-1].layers.l3["dst"] == cluster.pod(chosen)
    assert {hop.layers.l3["src"] for hop in leg.request} == {client}  # only To changes
    assert not changes(leg.request, "snat") and not changes(leg.request, "masquerade")
    # Routed to node1 only when the chosen Pod is there.
    assert bool(changes(leg.request, "route")) == (HELLO_PODS[chosen] == "node1")
    # The reply: un-DNATed on node0, so the client hears from the address it called.
    ((host, undo),) = changes(leg.reply, "un-dnat")
    assert (host, undo.before, undo.after) == ("node0", dnat.after, f"{service}:8080")
    assert leg.reply[0].layers.l3["src"] == cluster.pod(chosen) and leg.reply[-1].layers.l3["src"] == service
    assert result.verdict.outcome == "delivered" and answered_by(result) == f"default/{chosen}"
    assert "Hello World" in result.verdict.answer
    return chosen


def to_the_internet(cluster: Cluster, result: Walk, pod: str, node: str, node_address: str) -> None:
    (leg,) = result.legs
    ((host, snat),) = changes(leg.request, "masquerade")
    assert host == node and snat.by.kind == "pod-egress"
    assert snat.before.startswith(f"{cluster.pod(pod)}:") and snat.after.startswith(f"{node_address}:")
    assert not changes(leg.request, "dnat")
    assert leg.request[-1].place.host == "internet"
    assert (leg.request[-1].layers.l3["src"], leg.request[-1].layers.l3["dst"]) == (node_address, INTERNET)
    ((host, undo),) = changes(leg.reply, "un-snat")
    assert host == node and undo.after.startswith(f"{cluster.pod(pod)}:")
    assert leg.reply[-1].layers.l3["dst"] == cluster.pod(pod)
    assert result.verdict.outcome == "delivered" and f'"client_address": "{node_address}"' in result.verdict.answer


@check(4, "client to the internet")
def client_out(cluster: Cluster, result: Walk) -> None:
    to_the_internet(cluster, result, "client", "node0", NODE0)


@check(4, "hello-world (node1) to the internet")
def hello_world_out(cluster: Cluster, result: Walk) -> None:
    to_the_internet(cluster, result, "hello-world", "node1", NODE1)


@check(5, "external to the hello-world LoadBalancer")
def from_outside_l4(cluster: Cluster, result: Walk) -> str:
    (leg,) = result.legs
    lb, pods = cluster.load_balancer("hello-world"), cluster.hello()
    assert (leg.request[0].layers.l3["src"], leg.request[0].layers.l3["dst"]) == (EXTERNAL, lb)
    assert f"{lb}/32 via {NODE1} dev eth0" in route_on(leg.request, "router")  # node1 announces it
    ((host, dnat),) = changes(leg.request, "dnat")
    assert host == "node1" and dnat.by.name == "default/hello-world"
    assert dnat.before == f"{lb}:80" and dnat.after in pods.values()
    chosen = next(name for name, address in pods.items() if address == dnat.after)
    ((host, masq),) = changes(leg.request, "masquerade")
    assert host == "node1" and masq.by.kind == "kube-proxy" and "externalTrafficPolicy: Cluster" in masq.text
    # Masqueraded to node1's address on the way to the Pod: its bridge for its own Pod, its node
    # address for a Pod on node0 (routed there over the node network).
    source = "10.244.1.1" if chosen == "hello-world" else NODE1
    assert masq.before.startswith(f"{EXTERNAL}:") and masq.after.startswith(f"{source}:")
    assert leg.request[-1].place.host == f"default-{chosen}" and leg.request[-1].layers.l3["src"] == source
    if chosen == "hello-world-2":
        assert "node0" in [hop.place.host for hop in leg.request]
        assert [hop.place.host for hop in leg.reply].count("node1") >= 2  # back through node1
    # Both rewrites undone on node1; the client hears from the LoadBalancer address.
    ((host, undo_dnat),) = changes(leg.reply, "un-dnat")
    ((host2, undo_snat),) = changes(leg.reply, "un-snat")
    assert host == host2 == "node1"
    assert undo_dnat.after == f"{lb}:80" and undo_snat.after.startswith(f"{EXTERNAL}:")
    assert (leg.reply[-1].layers.l3["src"], leg.reply[-1].layers.l3["dst"]) == (lb, EXTERNAL)
    assert result.verdict.outcome == "delivered" and answered_by(result) == f"default/{chosen}"
    return chosen


def through_the_ingress(cluster: Cluster, result: Walk, backends: dict[str, str], answer: str) -> str:
    request, upstream = result.legs
    ingress = cluster.load_balancer("ingress-nginx-controller", "ingress-nginx")
    assert any("Ingress default/hello-ingress" in note for note in result.notes)
    # Connection 1: external to nginx, DNATed on node0 and not masqueraded (externalTrafficPolicy: Local).
    assert request.purpose == "request"
    assert (request.request[0].layers.l3["src"], request.request[0].layers.l3["dst"]) == (EXTERNAL, ingress)
    assert f"{ingress}/32 via {NODE0} dev eth0" in route_on(request.request, "router")
    ((host, dnat),) = changes(request.request, "dnat")
    assert host == "node0" and dnat.by.name == "ingress-nginx/ingress-nginx-controller"
    assert dnat.before == f"{ingress}:80"
    assert not changes(request.request, "masquerade") and not changes(request.request, "snat")
    nginx = request.verdict.at
    assert nginx.name.startswith("pod ingress-nginx/ingress-nginx-controller-")
    assert request.request[-1].place == nginx and request.request[-1].layers.l3["src"] == EXTERNAL
    assert request.reply[-1].layers.l3["src"] == ingress
    # Connection 2: nginx to a backend Pod, straight to its address: no DNAT, no ClusterIP.
    assert upstream.purpose == "upstream" and upstream.request[0].place == nginx
    nginx_ip = upstream.request[0].layers.l3["src"]
    assert nginx_ip == dnat.after.partition(":")[0]
    assert not nat_changes(upstream.request + upstream.reply)
    chosen = answered_by(result).removeprefix("default/")
    assert chosen in backends
    assert addresses(upstream.request) == {(nginx_ip, backends[chosen].partition(":")[0])}
    assert upstream.request[-1].place.host == f"default-{chosen}"
    assert result.verdict is upstream.verdict
    assert result.verdict.outcome == "delivered" and answer in result.verdict.answer
    return chosen


@check(6, "external to world.hello.org through the Ingress")
def world_through_the_ingress(cluster: Cluster, result: Walk) -> str:
    return through_the_ingress(cluster, result, cluster.hello(), "Hello World")


@check(6, "external to darkness.hello.org/void/ through the Ingress")
def darkness_through_the_ingress(cluster: Cluster, result: Walk) -> str:
    return through_the_ingress(
        cluster, result, {"hello-darkness": f"{cluster.pod('hello-darkness')}:80"}, "Hello Darkness"
    )


def dropped_by_the_policy(result: Walk, direction: str) -> None:
    verdict = result.verdict
    assert verdict.outcome == "dropped" and verdict.at.host == "node1"
    assert verdict.by.kind == "networkpolicy" and verdict.by.name == "default/test-network-policy"
    assert f"{direction} default/backend denied: isolated by default/test-network-policy" in verdict.text
    assert verdict.rule.chain.startswith(f"policy-{direction.split()[0]}-")
    assert result.legs[-1].reply == () and verdict.answered_by is None


@check(7, "intruder to backend:6379 (denied)")
def intruder_denied(cluster: Cluster, result: Walk) -> None:
    dropped_by_the_policy(result, "ingress to")
    leg = result.legs[-1]
    assert leg.request[0].layers.l3["dst"] == cluster.pod("backend") and leg.request[0].layers.l4["dport"] == 6379
    assert leg.request[-1].place.host == "node1"  # seen on node1's bridge, never at backend


@check(7, "frontend to backend:6379 (allowed)")
def frontend_allowed(cluster: Cluster, result: Walk) -> None:
    (leg,) = result.legs
    ((host, policy),) = changes(leg.request, "policy")
    assert host == "node1" and policy.by.kind == "networkpolicy" and policy.by.name == "default/test-network-policy"
    assert "allowed by default/test-network-policy ingress[0]" in policy.text
    assert leg.request[-1].place.host == "default-backend" and leg.request[-1].layers.l4["dport"] == 6379
    assert result.verdict.outcome == "delivered" and answered_by(result) == "default/backend"


@check(7, "backend to frontend (egress denied)")
def backend_egress_denied(cluster: Cluster, result: Walk) -> None:
    dropped_by_the_policy(result, "egress from")
    hosts = {hop.place.host for hop in result.legs[-1].request}
    assert hosts <= {"default-backend", "node1"}  # it never reaches the node network


def through_the_gateway(cluster: Cluster, result: Walk, backends: set[str], rule: str) -> str:
    request, upstream = result.legs
    assert any("Gateway default/hello-gateway" in note for note in result.notes)
    assert any(f"matched default/hello {rule}" in note for note in result.notes), result.notes
    # Connection 1: external to the gateway pod's nginx, DNATed by its Service and not masqueraded.
    assert (request.request[0].layers.l3["src"], request.request[0].layers.l3["dst"]) == (EXTERNAL, "203.0.113.20")
    ((host, dnat),) = changes(request.request, "dnat")
    assert dnat.by.name == "default/hello-gateway-podpath" and dnat.before == "203.0.113.20:80"
    assert not changes(request.request, "masquerade") and not changes(request.request, "snat")
    nginx = request.verdict.at
    assert nginx.name == "pod default/hello-gateway-podpath"
    # Connection 2: nginx to the Pod it chose, straight to its address.
    assert upstream.purpose == "upstream" and upstream.request[0].place == nginx
    assert not nat_changes(upstream.request + upstream.reply)
    chosen = answered_by(result).removeprefix("default/")
    assert chosen in backends and upstream.request[-1].place.host == f"default-{chosen}"
    assert result.verdict is upstream.verdict and result.verdict.outcome == "delivered"
    return chosen


@check(8, "external to gateway.hello.org/void/ through the Gateway")
def void_through_the_gateway(cluster: Cluster, result: Walk) -> str:
    return through_the_gateway(cluster, result, {"hello-darkness"}, "rule 0 (PathPrefix /void)")


@check(8, "external to gateway.hello.org through the Gateway")
def split_through_the_gateway(cluster: Cluster, result: Walk) -> str:
    assert any(
        "not default/hello rule 0 (PathPrefix /void): path / is not PathPrefix /void" in note for note in result.notes
    )
    return through_the_gateway(cluster, result, {*HELLO_PODS, "hello-darkness"}, "rule 1 (PathPrefix /)")


RANDOM = {  # walks through a Service: the endpoints that must all be seen answering
    (3, "client to hello-world-service"): set(HELLO_PODS),
    (5, "external to the hello-world LoadBalancer"): set(HELLO_PODS),
    (6, "external to world.hello.org through the Ingress"): set(HELLO_PODS),
}


def test_every_walk_of_the_lab_has_a_check_here():
    assert {(number, spec.title) for number, spec in WALKS} == set(CHECKS)
    assert set(RANDOM) <= set(CHECKS)


def play(sandbox: str, spec: WalkSpec) -> Walk:
    """Play a walk as the player does: the step's from, to, protocol and port, nothing else."""
    return walk(
        sandbox=sandbox, source=spec.source, destination=spec.destination, protocol=spec.protocol, port=spec.port
    ).walk


@pytest.mark.parametrize(("step", "spec"), WALKS, ids=[f"{number}-{spec.title}" for number, spec in WALKS])
def test_each_walk_ends_as_its_step_says(sandbox, step, spec):
    stepper.lab_step(sandbox=sandbox, step=step)
    cluster = Cluster(sandbox)
    verify = CHECKS[(step, spec.title)]
    wanted = RANDOM.get((step, spec.title), set())
    seen = {verify(cluster, play(sandbox, spec))}
    for _ in range(MAX_PLAYS):
        if wanted <= seen:
            break
        seen.add(verify(cluster, play(sandbox, spec)))
    assert wanted <= seen, f"{spec.title}: answered only by {sorted(seen)} in {MAX_PLAYS + 1} plays"
