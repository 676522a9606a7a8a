"""The exercise engine's pure core: submissions read as data, and observations judged into results."""

from __future__ import annotations

import pytest

from exercises.definition import Command, ObjectState, PathExpect, Reachability
from exercises.judge import (
    MISSING,
    Reached,
    command_judge,
    field_value,
    object_judge,
    path_judge,
    reachability_judge,
    target_address,
)
from exercises.submission import manifests_from_text, topology_from_text
from netcore.errors import NotFound, PodpathError, SpecError
from netcore.kube.api import parse_manifests
from netcore.kube.cluster import ClusterConfig, apply_objects, new_cluster
from netcore.walk.model import Actor, Change, Endpoint, Hop, Layers, Leg, Outer, Place, Verdict, Walk

NOW = "2025-01-01T00:00:00Z"


# -- submissions -------------------------------------------------------------------------------------------


def test_a_topology_submission_may_be_bare_or_wrapped_in_topology():
    bare = "hosts:\n  m1: {interfaces: {eth0: {address: 10.0.0.1/24}}}\n  m2: {}\nlinks: [[m1:eth0, m2:eth0]]\n"
    wrapped = "topology:\n" + "".join(f"  {line}\n" for line in bare.splitlines())
    assert topology_from_text(bare, "s") == topology_from_text(wrapped, "s")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "submission: a topology document (hosts and links), got nothing"),
        ("hosts: [", "submission: line 1, column 9: valid YAML (expected the node content, but found '<stream end>')"),
        (
            "hosts:\n  m1: {interfaces: {eth0: {address: 10.0.0.1}}}\n",
            "submission: hosts.m1.interfaces.eth0.address: an IPv4 address with a prefix, like 10.0.0.1/24, "
            "got '10.0.0.1'",
        ),
        ("topology:\n  hosts: {}\n", "submission: topology.hosts: at least one host"),
        ("hosts:\n  m1: {}\nnodes: 2\n", "submission: nodes: unknown field; expected one of: hosts, links"),
    ],
)
def test_a_bad_topology_submission_names_the_field(text, expected):
    with pytest.raises(SpecError) as raised:
        topology_from_text(text, "submission")
    assert str(raised.value) == expected


SERVICE = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {selector: {app: web}, ports: [{port: 80}]}\n"
NETWORK = "apiVersion: podpath.dev/v1\nkind: PodNetwork\nspec: {mode: vxlan}\n"


def test_manifests_go_to_the_api_as_written_and_a_pod_network_document_is_taken_out():
    plain = manifests_from_text(SERVICE, "s")
    assert (plain.text, plain.count, plain.cni) == (SERVICE, 1, None)
    both = manifests_from_text(NETWORK + "---\n" + SERVICE, "s")
    assert (both.count, both.cni) == (1, "vxlan")
    assert [o["kind"] for o in parse_manifests(both.text, "s")] == ["Service"]
    alone = manifests_from_text(NETWORK, "s")
    assert (alone.text, alone.count, alone.cni) == ("", 0, "vxlan")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "s: at least one document (Kubernetes manifests to apply), got nothing"),
        ("---\n", "s: at least one document (Kubernetes manifests to apply), got none"),
        (
            NETWORK + "---\n" + NETWORK,
            "s: document 2 (PodNetwork): kind: one PodNetwork document at most (also document 1)",
        ),
        (
            NETWORK.replace("podpath.dev/v1", "v1"),
            "s: document 1 (PodNetwork): apiVersion: podpath.dev/v1 for a PodNetwork, got 'v1'",
        ),
        (
            NETWORK.replace("mode: vxlan", "mode: calico"),
            "s: document 1 (PodNetwork): spec.mode: one of bridge, vxlan, nat, got 'calico'",
        ),
        (
            NETWORK.replace("spec: {mode: vxlan}", "mode: vxlan"),
            "s: document 1 (PodNetwork): mode: unknown field; expected one of: apiVersion, kind, metadata, spec",
        ),
    ],
)
def test_a_bad_cluster_submission_names_the_document_and_field(text, expected):
    with pytest.raises(SpecError) as raised:
        manifests_from_text(text, "s")
    assert str(raised.value) == expected


# -- reachability and commands -------------------------------------------------------------------------------


def reach(protocol="tcp", port=80, expect="success") -> Reachability:
    return Reachability(title="t", hint=None, source="c1", target="web", protocol=protocol, port=port, expect=expect)


def test_reachability_passes_when_the_outcome_is_the_expected_one():
    assert reachability_judge(reach(), Reached("10.0.0.2", True, "connected")) == (
        True,
        "tcp to 10.0.0.2:80: connected",
    )
    assert reachability_judge(reach(expect="failure"), Reached("10.0.0.2", False, "timeout")) == (
        True,
        "tcp to 10.0.0.2:80: no answer within 1 s (dropped on the way?)",
    )
    assert reachability_judge(reach(), Reached("10.0.0.2", False, "refused")) == (
        False,
        "tcp to 10.0.0.2:80: refused (nothing listens there, or a rule rejects it)",
    )
    assert reachability_judge(reach("icmp", None), Reached("10.0.0.2", True, "connected")) == (
        True,
        "icmp to 10.0.0.2: answered",
    )


def command(**fields) -> Command:
    return Command(title="t", hint=None, host="c1", run="true", **fields)


def test_a_command_is_judged_by_exit_status_then_output_then_pattern():
    assert command_judge(command(), 0, "ok\n", None, None) == (True, "exit status 0; output: 'ok'")
    assert command_judge(command(), 1, "", None, None) == (False, "exit status 1; no output (expected exit status 0)")
    assert command_judge(command(exit=None), 28, "", None, None)[0]
    assert command_judge(command(exit=None), 0, "", None, None) == (
        False,
        "exit status 0; no output (expected a non-zero exit status)",
    )
    assert command_judge(command(output="Hello"), 0, "Bye", "Hello", None) == (
        False,
        "exit status 0; output: 'Bye' (expected it to contain 'Hello')",
    )
    assert command_judge(command(matches=r"^10\.0"), 0, "x\n10.0.0.1\n", None, r"^10\.0")[0]
    assert not command_judge(command(matches=r"^1$"), 0, "12\n", None, r"^1$")[0]


# -- objects and addresses ------------------------------------------------------------------------------------

CLUSTER_OBJECTS = """
apiVersion: v1
kind: Pod
metadata: {name: hello, labels: {app: web}}
spec: {nodeName: node1, containers: [{name: hello, image: hello-world, ports: [{containerPort: 80}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: client}
spec: {nodeName: node0, containers: [{name: client, image: busybox, command: [sleep, infinity]}]}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {type: LoadBalancer, selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: nobody}
spec: {selector: {app: nobody}, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec: {clusterIP: None, selector: {app: db}, ports: [{port: 80}]}
"""


@pytest.fixture(scope="module")
def cluster():
    made = new_cluster(ClusterConfig(nodes=2), NOW)
    made, _ = apply_objects(made, parse_manifests(CLUSTER_OBJECTS, "test"), NOW)
    return made


def service(**fields) -> ObjectState:
    return ObjectState(
        title="t",
        hint=None,
        kind="Service",
        namespace="default",
        name=fields.pop("name", None),
        labels=fields.pop("labels", None),
        **fields,
    )


def test_an_object_check_looks_for_one_object_meeting_every_condition(cluster):
    web = cluster.get("Service", "default", "web")
    assert object_judge(
        service(
            name="web",
            has_address=True,
            has_endpoints=True,
            selects={"app": "web"},
            fields=(("spec.type", "LoadBalancer"), ("spec.ports[0].port", 80)),
        ),
        cluster,
    ) == (True, "Service default/web meets every condition")
    assert object_judge(service(fields=(("spec.type", "LoadBalancer"),), has_address=True), cluster)[0]
    passed, observed = object_judge(
        service(name="nobody", has_endpoints=True, fields=(("spec.type", "NodePort"),)), cluster
    )
    assert not passed
    assert observed == (
        "Service default/nobody: spec.type is 'ClusterIP' (expected 'NodePort'); has no endpoints "
        "(its selector matches no running pod)"
    )
    assert object_judge(service(name="web", selects={"app": "db"}), cluster) == (
        False,
        "Service default/web: does not select pods labelled app=db",
    )
    assert object_judge(service(name="missing"), cluster) == (False, "no Service default/missing")
    assert object_judge(service(name="missing", exists=False), cluster) == (True, "no Service default/missing")
    assert object_judge(service(name="web", exists=False), cluster) == (
        False,
        "Service default/web exists (web); expected none",
    )
    assert field_value(web, "spec.ports[3].port") is MISSING
    headless = object_judge(service(name="db", has_address=True), cluster)
    assert headless == (False, "Service default/db: has no address (ClusterIP None)")


def test_a_reachability_target_is_an_address_a_pod_a_service_or_a_host(cluster):
    def hosts():
        return {"node0": ["172.18.0.2/24", "10.244.0.1/24"], "external": ["198.51.100.100/24"]}

    pod = cluster.get("Pod", "default", "hello")["status"]["podIP"]
    web = cluster.get("Service", "default", "web")
    assert target_address("10.1.2.3", "client", cluster, hosts) == "10.1.2.3"
    assert target_address("hello", "client", cluster, hosts) == pod
    assert target_address("default/hello", "client", cluster, hosts) == pod
    assert target_address("web", "client", cluster, hosts) == web["spec"]["clusterIP"]
    assert target_address("web.default.svc.cluster.local", "client", cluster, hosts) == web["spec"]["clusterIP"]
    assert target_address("web", "external", cluster, hosts) == web["status"]["loadBalancer"]["ingress"][0]["ip"]
    assert target_address("node0", "external", cluster, hosts) == "172.18.0.2"
    with pytest.raises(PodpathError, match="Service default/nobody has no LoadBalancer address"):
        target_address("nobody", "external", cluster, hosts)
    with pytest.raises(PodpathError, match="Service default/db is headless"):
        target_address("db", "client", cluster, hosts)
    with pytest.raises(NotFound, match="no pod, Service or host named 'ghost'"):
        target_address("ghost", "client", cluster, hosts)


def test_a_lab_host_is_reached_at_its_address_on_the_sources_network():
    addresses = {
        "host": ["198.51.100.2/24", "172.17.0.1/16"],
        "c1": ["172.17.0.2/16"],
        "internet": ["198.51.100.10/24"],
    }
    assert target_address("host", "c1", None, lambda: addresses) == "172.17.0.1"
    assert target_address("host", "internet", None, lambda: addresses) == "198.51.100.2"


# -- paths --------------------------------------------------------------------------------------------------


def hop(
    index: int,
    host: str,
    interface: str,
    direction: str,
    *changes: Change,
    name: str | None = None,
    outer: bool = False,
) -> Hop:
    layers = Layers(None, None, None)
    return Hop(
        index,
        index,
        float(index),
        Place(host, name or host),
        interface,
        direction,
        layers,
        Outer(layers, 4097) if outer else None,
        tuple(changes),
    )


def walk_of(hops: list[Hop], verdict: Verdict) -> Walk:
    leg = Leg("request", "TCP", "tcp", Endpoint("172.17.0.2"), Endpoint("198.51.100.10", 80), tuple(hops), (), verdict)
    dns = Leg(
        "dns",
        "DNS",
        "udp",
        Endpoint("10.244.0.4"),
        Endpoint("10.96.0.10", 53),
        (hop(0, "dnsbox", "eth0", "out"),),
        (),
        Verdict("delivered", "answered"),
    )
    return Walk("s1", Endpoint("172.17.0.2"), Endpoint("198.51.100.10", 80), "tcp", (dns, leg))


MASQUERADED = walk_of(
    [
        hop(0, "c1", "eth0", "out"),
        hop(1, "host", "veth-c1", "in"),
        hop(2, "host", "docker0", "in"),
        hop(
            3,
            "host",
            "eth0",
            "out",
            Change("masquerade", "SNAT (masquerade) 172.17.0.2:5 -> 198.51.100.2:5", "172.17.0.2:5", "198.51.100.2:5"),
        ),
        hop(4, "internet", "eth0", "in"),
    ],
    Verdict("delivered", "delivered to internet", Place("internet", "internet")),
)

DROPPED = walk_of(
    [
        hop(0, "pod-client", "eth0", "out", name="pod default/client"),
        hop(
            1,
            "node0",
            "vx-node1",
            "out",
            Change(
                "dnat",
                "DNAT 10.96.0.5:80 -> 10.244.1.3:80",
                "10.96.0.5:80",
                "10.244.1.3:80",
                Actor("service", "default/web"),
            ),
        ),
        hop(2, "node0", "eth0", "out", Change("encapsulate", "encapsulated"), outer=True),
        hop(3, "lan", "node1", "out", Change("bridge", "switched", by=Actor("bridge", "lan:br0"))),
    ],
    Verdict("dropped", "dropped by node1: ...", Place("node1", "node1"), Actor("networkpolicy", "default/deny")),
)


@pytest.mark.parametrize(
    ("walk", "expect", "problems"),
    [
        (
            MASQUERADED,
            PathExpect(
                verdict="delivered",
                via_bridge="docker0",
                snat_to="198.51.100.2",
                reaches="internet",
                dnat_to="none",
                via_host="host",
                encapsulated=False,
            ),
            "",
        ),
        (MASQUERADED, PathExpect(via_bridge="host:docker0", snat_to="198.51.100.2:5"), ""),
        (MASQUERADED, PathExpect(verdict="dropped"), "verdict delivered (expected dropped)"),
        (MASQUERADED, PathExpect(via_bridge="cni0"), "did not go through bridge cni0"),
        (MASQUERADED, PathExpect(via_bridge="internet:docker0"), "did not go through bridge internet:docker0"),
        (MASQUERADED, PathExpect(snat_to="198.51.100.3"), "no SNAT to 198.51.100.3 (seen: 198.51.100.2:5)"),
        (MASQUERADED, PathExpect(snat_to="none"), "SNAT on the way: SNAT (masquerade) 172.17.0.2:5 -> 198.51.100.2:5"),
        (MASQUERADED, PathExpect(via_host="dnsbox"), "did not go through dnsbox"),  # DNS legs are not the path
        (
            DROPPED,
            PathExpect(
                dropped_by="default/deny",
                service="default/web",
                dnat_to="10.244.1.3:80",
                via_host="client",
                via_bridge="br0",
                encapsulated=True,
            ),
            "",
        ),
        (
            DROPPED,
            PathExpect(dropped_by="default/other"),
            "not dropped by NetworkPolicy default/other (dropped by default/deny)",
        ),
        (DROPPED, PathExpect(service="default/api"), "not translated by Service default/api (by: default/web)"),
        (DROPPED, PathExpect(reaches="web"), "did not reach web (dropped at node1)"),
        (DROPPED, PathExpect(encapsulated=False), "was encapsulated"),
    ],
)
def test_a_path_check_reads_the_walk(walk, expect, problems):
    passed, observed = path_judge(expect, walk)
    assert passed == (not problems)
    if problems:
        assert observed.startswith(problems + ". The walk: ")
    else:
        assert observed.startswith(f"{walk.verdict.outcome}: {walk.verdict.text}; went ")
